"""Report-style tables of estimates: domains in rows, categories in columns, exported.

:func:`report_table` turns a tidy estimate table (an :class:`~surveyweights.Estimates`
or its ``.to_frame()``) into a domain x category table of percentages: one row
per domain, one column per answer category (``columns="level"``) or per item of
a multi-response set (``columns="variable"``), cells such as ``55,9%``.  The
result, a frozen :class:`ReportTable`, keeps the numbers (``.values``), the
printed strings (``.formatted``) and the caption, and writes CSV, Markdown,
LaTeX and Excel through pandas (which delegates to ``tabulate``, ``jinja2`` and
``openpyxl``).

Labels come from the data or from the caller, never from a column's name: rows
and columns are labelled by their raw values unless ``labels=`` (or
``row_labels=``/``column_labels=``) maps them to printed labels, and a
categorical domain column keeps its categories' order.

Formatting rules (see :mod:`surveyweights.report.formatting`)
-------------------------------------------------------------
* Percentages are rounded **half away from zero** in decimal arithmetic, with the
  locale's decimal mark: ``0.5595 -> "56,0%"`` (``nl``), ``"56.0%"`` (``en``).
* Counts (the ``N=`` of a caption) use the locale's thousands separator.
* An interval is printed after the estimate, in brackets, without percent signs:
  ``58,8% [56,5–61,1]``; the en dash separates the limits so that it cannot be
  confused with a decimal comma.
* A missing cell (no estimate for that domain and category) is printed as ``–``.

Examples
--------
>>> import pandas as pd
>>> est = pd.DataFrame({
...     "size": ["micro", "micro", "large", "large"],
...     "variable": "adoption",
...     "level": ["adopter", "no_plans", "adopter", "no_plans"],
...     "estimate": [0.507, 0.493, 0.854, 0.146],
... })
>>> t = report_table(est, rows="size", caption="Adoptie per grootte", n=2915)
>>> t.caption
'Adoptie per grootte (N=2.915)'
>>> t.formatted.to_numpy().tolist()
[['50,7%', '49,3%'], ['85,4%', '14,6%']]
>>> list(t.formatted.index)
['micro', 'large']
>>> list(report_table(est, rows="size", labels={"micro": "Micro (5-9)"}).formatted.index)
['Micro (5-9)', 'large']
"""

from __future__ import annotations

import html
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._strata import check_frame
from ..errors import InputError
from ..estimation.estimates import COLUMNS
from .formatting import (
    _check_count,
    _check_decimals,
    _fmt_percent,
    _latex_escape,
    _locale,
    format_count,
)

__all__ = ["ReportTable", "report_table"]

#: A share may exceed [0, 1] by this much (floating-point noise of a ratio of sums).
_SHARE_TOLERANCE = 1e-9

_COLUMN_MODES = ("level", "variable")


# --------------------------------------------------------------------------- labels


def _check_mapping(value: Any, what: str) -> Mapping | None:
    if value is not None and not isinstance(value, Mapping):
        raise InputError(
            f"{what}={value!r} is not a mapping; give a dict from values to labels, "
            f"e.g. {{'58-63': 'ICT'}}"
        )
    return value


def _labels(keys: list, default: Mapping, maps: list[tuple[str, Mapping | None]]) -> list[str]:
    """The printed label of each key: the first mapping that has it, else the default.

    ``maps`` are ``(argument name, mapping)`` pairs, most specific first; labels
    must be unique (checked in one pass).
    """
    maps = [(what, _check_mapping(m, what)) for what, m in maps]
    out = []
    for k in keys:
        for _, m in maps:
            if m is not None and k in m:
                out.append(str(m[k]))
                break
        else:
            out.append(str(default.get(k, k)))
    seen: dict[str, int] = {}
    for x in out:
        seen[x] = seen.get(x, 0) + 1
    dup = sorted(x for x, c in seen.items() if c > 1)
    if dup:
        given = [what for what, m in maps if m is not None]
        who = " and ".join(given) + (" give" if len(given) > 1 else " gives") if given else "the values give"
        raise InputError(
            f"{who} the same label {dup} to different values; labels must be unique, fix "
            f"the mapping"
        )
    return out


def _ordered_keys(frame: pd.DataFrame, column: str) -> list:
    """The distinct values of a column: category order for a categorical, else first appearance."""
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique())
        keys = [c for c in col.cat.categories if c in present]
        return keys + ([np.nan] if col.isna().any() else [])
    return list(pd.unique(col))


# --------------------------------------------------------------------------- input


def _column_name(c: Any) -> str:
    """A domain column's name; a non-string name (e.g. 0) would be looked up as '0'."""
    if not isinstance(c, str):
        raise InputError(
            f"the estimates have a column named {c!r}, not a string; name every domain column "
            f"with a string, e.g. frame.rename(columns={{{c!r}: '{c}'}})"
        )
    return c


def _as_frame(estimates: Any) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The tidy frame and its domain (by) columns."""
    if isinstance(estimates, pd.DataFrame):
        frame = check_frame(estimates, what="the estimates").copy()
        by = tuple(_column_name(c) for c in frame.columns if c not in COLUMNS)
    elif hasattr(estimates, "to_frame") and hasattr(estimates, "by"):
        kind = getattr(estimates, "kind", "proportion")
        if kind != "proportion":
            raise InputError(
                f"the estimates are {kind}s; report tables and charts print proportions as "
                f"percentages: use sw.proportion(...)"
            )
        frame = estimates.to_frame()
        by = tuple(estimates.by)
    else:
        raise InputError(
            f"estimates must be an Estimates object (sw.proportion(...)) or its tidy DataFrame "
            f"(.to_frame()), got {type(estimates).__name__}"
        )
    missing = [c for c in ("variable", "level", "estimate") if c not in frame.columns]
    if missing:
        raise InputError(
            f"the estimate table has no column(s) {missing}; it needs the columns of "
            f"Estimates.to_frame(): the by columns, then {list(COLUMNS)}"
        )
    if frame.empty:
        raise InputError("the estimate table has no rows; there is nothing to report")
    est = pd.to_numeric(frame["estimate"], errors="coerce").to_numpy(dtype=float)
    bad = (est < -_SHARE_TOLERANCE) | (est > 1 + _SHARE_TOLERANCE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"estimate {float(est[i]):g} (row {i} of the estimates) is outside [0, 1]; "
            f"estimates must be shares "
            f"(0.559 for 55,9%); divide percentages by 100"
        )
    frame["estimate"] = est
    return frame, by


def _check_rows(frame: pd.DataFrame, by: tuple[str, ...], rows: Any) -> None:
    if rows is not None:
        if not isinstance(rows, str) or rows not in by:
            raise InputError(
                f"rows={rows!r} is not a domain column of the estimates; "
                f"the domain columns are {list(by)}"
                + ("" if by else " (estimate with by=... to get one row per domain)")
            )
    others = [c for c in by if c != rows and frame[c].nunique(dropna=False) > 1]
    if others:
        if rows is None:
            fix = f"pass rows={others[0]!r}"
        else:
            fix = (f"keep one value of {others} (e.g. frame[frame[{others[0]!r}] == ...]) "
                   f"or estimate with by={rows!r} only")
        raise InputError(
            f"the estimates are also by {others}, which a table with rows={rows!r} cannot show; "
            f"{fix}"
        )


def _check_columns(frame: pd.DataFrame, columns: Any) -> None:
    if columns not in _COLUMN_MODES:
        raise InputError(
            f"columns={columns!r} is not valid; choose 'level' (the categories of one item, "
            f"like Tabel 3) or 'variable' (one column per item of a multi-response set, "
            f"like Tabel 5)"
        )
    if columns == "level":
        variables = pd.unique(frame["variable"])
        if len(variables) > 1:
            raise InputError(
                f"columns='level' needs one variable, but the estimates hold "
                f"{len(variables)}: {list(variables)}; use columns='variable' for a "
                f"multi-response set, or keep one variable"
            )
    else:
        if frame["variable"].isna().any():
            raise InputError(
                "columns='variable' needs the variable names, but the 'variable' column "
                "has missing values; fill it with the item names"
            )
        nlev = frame.groupby("variable", sort=False)["level"].nunique(dropna=False)
        multi = nlev[nlev > 1]
        if len(multi):
            v = multi.index[0]
            levels = list(pd.unique(frame.loc[frame["variable"] == v, "level"]))
            raise InputError(
                f"columns='variable' needs one level per variable, but variable {v!r} has "
                f"levels {levels}; use columns='level' for a categorical item, or keep one "
                f"level of each variable"
            )


def _pivot(frame: pd.DataFrame, rows: str | None, columns: str, value: str) -> pd.DataFrame:
    rkey = frame[rows] if rows is not None else pd.Series([None] * len(frame), index=frame.index)
    ckey = frame[columns]
    out: dict = {}
    for r, c, v in zip(rkey, ckey, pd.to_numeric(frame[value], errors="coerce")):
        out.setdefault(c, {})[r] = float(v)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False, repr=False)
class ReportTable:
    """A table of percentages laid out like the report's tables (frozen).

    Attributes
    ----------
    values : pandas.DataFrame
        Percentages (``100 * estimate``, not rounded), one row per domain, one
        column per category, labelled as printed, in the order of the input.
    formatted : pandas.DataFrame
        The printed cells (``"55,9%"`` or ``"55,9% [53,1–58,6]"``), same shape.
    caption : str or None
        E.g. ``"Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)"``; with
        ``synthetic=True`` it ends in a ``[SYNTHETIC DATA: ...]`` note.
    ci_low, ci_high : pandas.DataFrame or None
        The interval limits as percentages (``None`` if the input had none).
    rows, columns : str or None, str
        The domain column and ``"level"`` or ``"variable"``.
    row_keys, column_keys : tuple
        The raw domain values and categories behind the labels, in order.
    locale : str
    decimals : int
    ci : bool
    synthetic : bool

    Methods
    -------
    to_csv(path), to_markdown(path), to_latex(path), to_excel(path)
        Write the table with its caption (see each method for where the caption goes).
    """

    values: pd.DataFrame
    formatted: pd.DataFrame
    caption: str | None
    ci_low: pd.DataFrame | None
    ci_high: pd.DataFrame | None
    rows: str | None
    columns: str
    row_keys: tuple
    column_keys: tuple
    locale: str
    decimals: int
    ci: bool
    synthetic: bool

    # ---------------------------------------------------------------- export

    @property
    def _corner(self) -> str:
        """Top-left header cell of CSV/Excel: the row variable, plus the synthetic flag."""
        base = self.rows or ""
        return f"{base} (SYNTHETIC DATA)".strip() if self.synthetic else base

    def to_csv(self, path: str | Path, *, numeric: bool = False) -> Path:
        """Write the table as a plain CSV (UTF-8) and its caption to a side file.

        The CSV holds only the table: a header row (the top-left cell names the
        row variable and says ``SYNTHETIC DATA`` when the data are synthetic), then
        one row per domain, so ``pd.read_csv(path, index_col=0)`` reads it back.
        The caption goes to ``<stem>.caption.txt`` next to it (not written when the
        table has no caption), because a comment line would break plain CSV readers.

        Parameters
        ----------
        path : str or Path
        numeric : bool, default False, keyword-only
            False: the printed cells (``"55,9%"``); True: the unrounded percentages
            of ``.values``.

        Returns
        -------
        Path
            The CSV file.
        """
        path = Path(path)
        table = self.values if numeric else self.formatted
        table.to_csv(path, index=True, index_label=self._corner, encoding="utf-8")
        if self.caption is not None:
            path.with_name(path.stem + ".caption.txt").write_text(self.caption + "\n", encoding="utf-8")
        return path

    def to_markdown(self, path: str | Path | None = None) -> str:
        """The table as Markdown: the caption as a bold title line, then a pipe table.

        Returns the text; writes it to ``path`` (UTF-8) when given.  Uses
        :meth:`pandas.DataFrame.to_markdown` (``tabulate``).
        """
        body = self.formatted.to_markdown(
            colalign=("left",) + ("right",) * self.formatted.shape[1]
        )
        text = (f"**{self.caption}**\n\n" if self.caption else "") + body + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_latex(self, path: str | Path | None = None, *, label: str | None = None) -> str:
        """The table as a LaTeX ``table`` environment with ``\\caption`` (and ``\\label``).

        Special characters (``%``, ``&``, ``_`` ...) are escaped.  All columns are
        paragraph columns (the row labels 32% of the line width, the cells share
        60%), so long sector names and headers wrap.  The document needs
        ``\\usepackage{booktabs,array}`` (rules and column alignment) and UTF-8
        input (the default since LaTeX 2018).  Returns the text; writes it to
        ``path`` (UTF-8) when given.  Uses :meth:`pandas.DataFrame.to_latex`
        (``jinja2``).
        """
        k = self.formatted.shape[1]
        width = f"{0.6 / k:.3f}"
        text = self.formatted.to_latex(
            caption=None if self.caption is None else _latex_escape(self.caption),
            label=label,
            escape=True,
            column_format=(
                ">{\\raggedright\\arraybackslash}p{0.32\\linewidth}"
                + f">{{\\raggedleft\\arraybackslash}}p{{{width}\\linewidth}}" * k
            ),
            position="htbp",
        )
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_excel(self, path: str | Path) -> Path:
        """Write an Excel workbook: sheet ``table`` (printed cells) and ``values``.

        On both sheets the caption is in cell A1 (bold) and the table starts on
        row 3; without a caption the table starts on row 1.  Sheet ``values``
        holds the unrounded percentages.  Read back with
        ``pd.read_excel(path, sheet_name="table", skiprows=2, index_col=0)``.
        Uses :meth:`pandas.DataFrame.to_excel` (``openpyxl``).
        """
        from openpyxl.styles import Font

        path = Path(path)
        start = 2 if self.caption else 0
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, table in (("table", self.formatted), ("values", self.values)):
                table.to_excel(writer, sheet_name=name, startrow=start, index_label=self._corner)
                ws = writer.sheets[name]
                if self.caption:
                    ws.cell(row=1, column=1, value=self.caption).font = Font(bold=True)
                width = max([len(str(x)) for x in table.index] + [len(self._corner), 10])
                ws.column_dimensions["A"].width = min(width + 2, 100)
                for j, col in enumerate(table.columns, start=2):
                    letter = ws.cell(row=start + 1, column=j).column_letter
                    ws.column_dimensions[letter].width = min(max(len(str(col)), 12) + 2, 40)
        return path

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        r, c = self.values.shape
        return (f"ReportTable({r} rows x {c} columns by {self.rows!r} and {self.columns!r}, "
                f"locale={self.locale!r}, caption={self.caption!r})")

    def __str__(self) -> str:
        body = self.formatted.to_string()
        return f"{self.caption}\n\n{body}" if self.caption else body

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(self.caption)}</strong></p>\n" if self.caption else ""
        return head + self.formatted.to_html()


# --------------------------------------------------------------------------- builder


def report_table(
    estimates: Any,
    *,
    rows: str | None,
    columns: str = "level",
    labels: Mapping[Hashable, str] | None = None,
    row_labels: Mapping[Hashable, str] | None = None,
    column_labels: Mapping[Hashable, str] | None = None,
    locale: str = "nl",
    decimals: int = 1,
    ci: bool = False,
    caption: str | None = None,
    n: int | None = None,
    synthetic: bool = False,
) -> ReportTable:
    """A report-style table of percentages: domains in rows, categories in columns.

    Parameters
    ----------
    estimates : Estimates or pandas.DataFrame
        Proportions from :func:`surveyweights.proportion`, or their tidy table
        (``.to_frame()``): the domain columns, then ``variable, level, estimate``
        and (for ``ci=True``) ``ci_low, ci_high``, estimates as shares in [0, 1].
        In a DataFrame every column that is not an estimate column
        (:data:`surveyweights.estimation.COLUMNS`) counts as a domain column.
    rows : str or None, keyword-only
        The domain column whose values become the rows (``"nace"``, ``"size"``);
        ``None`` for estimates without domains (one row, ``Totaal``/``Total``).
        Other domain columns must be constant.
    columns : {"level", "variable"}, default "level", keyword-only
        ``"level"``: the levels of one categorical item become the columns (Tabel
        3/4/7/9); ``"variable"``: one column per variable of a multi-response set,
        each with a single level (Tabel 5/6/11).
    labels : mapping, optional, keyword-only
        Printed labels by raw value, for rows and columns alike (e.g.
        ``{"58-63": "ICT", "adopter": "Uses AI"}``).  Values not in the mapping
        are printed as they are: labels come from the data or from the caller,
        never from the name of a column.
    row_labels, column_labels : mapping, optional, keyword-only
        Labels for the rows only or the columns only; they take precedence over
        ``labels``.  The AI-Barometer's own labels are in
        :mod:`surveyweights.barometer.labels`.
    locale : {"nl", "en"}, default "nl", keyword-only
        ``nl``: ``58,8%`` and ``N=2.915``; ``en``: ``58.8%`` and ``N=2,915``.
    decimals : int, default 1, keyword-only
    ci : bool, default False, keyword-only
        Print the interval in each cell: ``58,8% [56,5–61,1]``.  ``.values`` stays
        numeric; the limits are in ``.ci_low`` and ``.ci_high``.
    caption : str, optional, keyword-only
        E.g. ``"Tabel 3: Adoptiegraad per bedrijfssector"``.
    n : int, optional, keyword-only
        The base size, appended to the caption as ``(N=2.915)``.
    synthetic : bool, default False, keyword-only
        Mark the table as made from synthetic data: the caption ends in
        ``[SYNTHETIC DATA: ...]`` and the CSV/Excel corner cell says so.

    Returns
    -------
    ReportTable

    Raises
    ------
    InputError
        Unknown locale; ``rows`` not a domain column; other domain columns that
        vary; ``columns="level"`` with several variables or ``"variable"`` with
        several levels per variable; two estimates for one cell; estimates outside
        [0, 1]; ``ci=True`` without ``ci_low``/``ci_high``; bad ``decimals`` or ``n``.

    Notes
    -----
    Percentages are rounded half away from zero (0.05 -> 0.1) in decimal
    arithmetic, see :func:`~surveyweights.report.format_percent`.  Rows and
    columns keep the order of a categorical column's categories, otherwise the
    order in which domains and categories first appear in the estimates (the
    estimators list them in the order of the factor levels).

    Examples
    --------
    >>> import pandas as pd
    >>> est = pd.DataFrame({"nace": ["58-63"] * 3, "variable": "adoption",
    ...                     "level": ["adopter", "plans", "no_plans"],
    ...                     "estimate": [0.911, 0.046, 0.044],
    ...                     "ci_low": [0.88, 0.03, 0.03], "ci_high": [0.935, 0.07, 0.065]})
    >>> t = report_table(est, rows="nace", labels={"58-63": "ICT", "adopter": "Uses AI",
    ...                                            "plans": "Plans", "no_plans": "No plans"},
    ...                  caption="Tabel 3: Adoptiegraad per bedrijfssector", n=2915)
    >>> print(t)  # doctest: +NORMALIZE_WHITESPACE
    Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)
    <BLANKLINE>
        Uses AI Plans No plans
    ICT   91,1%  4,6%     4,4%
    >>> report_table(est, rows="nace", ci=True, locale="en").formatted.iloc[0, 0]
    '91.1% [88.0–93.5]'
    """
    loc = _locale(locale)
    decimals = _check_decimals(decimals)
    if n is not None:
        n = _check_count(n)
    if caption is not None and not isinstance(caption, str):
        raise InputError(f"caption={caption!r} is not a string; give e.g. caption='Tabel 3: ...'")
    frame, by = _as_frame(estimates)
    _check_rows(frame, by, rows)
    _check_columns(frame, columns)
    if ci and not {"ci_low", "ci_high"} <= set(frame.columns):
        raise InputError(
            "ci=True needs the columns 'ci_low' and 'ci_high' in the estimates; "
            "pass Estimates.to_frame() or set ci=False"
        )

    keys = [rows, columns] if rows is not None else [columns]
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        first = frame.loc[dup, keys].iloc[0].tolist()
        raise InputError(
            f"{int(dup.sum())} rows of the estimates fall in the same cell {first} of the "
            f"table; each {' x '.join(keys)} must appear once: remove duplicate estimates"
        )

    row_keys = _ordered_keys(frame, rows) if rows is not None else [None]
    col_keys = _ordered_keys(frame, columns)
    rlab = _labels(row_keys, {} if rows is not None else {None: loc.total},
                   [("row_labels", row_labels), ("labels", labels)])
    clab = _labels(col_keys, {}, [("column_labels", column_labels), ("labels", labels)])

    def grid(value: str) -> pd.DataFrame:
        g = _pivot(frame, rows, columns, value).reindex(index=row_keys, columns=col_keys)
        g.index, g.columns = pd.Index(rlab, dtype=object), pd.Index(clab, dtype=object)
        return g.astype(float)

    shares = grid("estimate")
    has_ci = {"ci_low", "ci_high"} <= set(frame.columns)
    lo = grid("ci_low") if has_ci else None
    hi = grid("ci_high") if has_ci else None

    cells = np.empty(shares.shape, dtype=object)
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            text = _fmt_percent(shares.iat[i, j], decimals, loc)
            if ci and math.isfinite(shares.iat[i, j]):
                text += (f" [{_fmt_percent(lo.iat[i, j], decimals, loc, sign=False)}–"
                         f"{_fmt_percent(hi.iat[i, j], decimals, loc, sign=False)}]")
            cells[i, j] = text
    formatted = pd.DataFrame(cells, index=shares.index, columns=shares.columns).astype("str")

    cap = caption
    if n is not None:
        count = format_count(n, locale=locale)
        cap = f"{cap} (N={count})" if cap else f"N={count}"
    if synthetic:
        cap = f"{cap} [{loc.synthetic}]" if cap else f"[{loc.synthetic}]"

    return ReportTable(
        values=shares * 100.0,
        formatted=formatted,
        caption=cap,
        ci_low=lo * 100.0 if lo is not None else None,
        ci_high=hi * 100.0 if hi is not None else None,
        rows=rows,
        columns=columns,
        row_keys=tuple(row_keys),
        column_keys=tuple(col_keys),
        locale=locale,
        decimals=decimals,
        ci=bool(ci),
        synthetic=bool(synthetic),
    )
