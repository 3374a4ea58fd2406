"""Report-style tables of estimates: domains in rows, categories in columns, exported.

:func:`report_table` turns estimates (an :class:`~surveyweights.Estimates` or its
``.to_frame()``) into a publication table:

* **one-way**: one row per domain and one column per answer category
  (``columns="level"``, like Tabel 3) or per item of a multi-response set
  (``columns="variable"``, like Tabel 5);
* **two-way**: rows and columns are two domain columns (``rows="nace",
  columns="size"``), one level of one item in every cell (``level="adopter"``).

Proportions print as percentages (``55,9%``); means, totals and ratios as
numbers (``1.234,5``).  Optional columns give n, the SE, the CV and the
interval (``stats=``), or the interval goes in the cell (``ci=True``).
``quality=`` (:mod:`surveyweights.report.quality`) flags unreliable cells with a
marker and a footnote and suppresses the worst; ``suppress=``
(:mod:`surveyweights.report.disclosure`) applies disclosure control with
secondary suppression.  The result, a frozen :class:`ReportTable`, keeps the
published numbers, the printed strings, the caption and the footnotes, and
writes CSV, Markdown, LaTeX and Excel; ``.to_frame()`` is the long table with
the numbers (estimate, ci_low, ci_high, se, cv, n) next to the printed text.

Labels come from the data or from the caller, never from a column's name: rows
and columns are labelled by their raw values unless ``labels=`` (or
``row_labels=``/``column_labels=``) maps them to printed labels, and a
categorical domain column keeps its categories' order.

Formatting rules (see :mod:`surveyweights.report.formatting`)
-------------------------------------------------------------
* Numbers are rounded **half away from zero** in decimal arithmetic, with the
  locale's decimal mark: ``0.5595 -> "56,0%"`` (``nl``), ``"56.0%"`` (``en``).
* Counts (the ``N=`` of a caption) use the locale's thousands separator.
* An interval is printed after the estimate, in brackets, without percent signs:
  ``58,8% [56,5–61,1]``; the en dash separates the limits so that it cannot be
  confused with a decimal comma.
* A missing cell (no estimate for that domain and category) is printed as ``–``;
  a flagged cell ends in the quality marker (``12,3% E``); a suppressed cell is
  the symbol alone (``F``, ``x``).

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
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._strata import check_frame
from ..errors import EngineError, InputError
from ..estimation.estimates import COLUMNS
from .disclosure import DisclosureRules, Suppression, protect
from .formatting import (
    _check_count,
    _check_decimals,
    _fmt_many,
    _fmt_number,
    _fmt_percent,
    _latex_escape,
    _locale,
    format_count,
)
from .quality import QualityRules

__all__ = ["ReportTable", "report_table", "KINDS", "STATS"]

#: A share may exceed [0, 1] by this much (floating-point noise of a ratio of sums).
_SHARE_TOLERANCE = 1e-9
_COLUMN_MODES = ("level", "variable")
#: The kinds of estimates a table prints, with their default decimals.
KINDS: dict[str, int] = {"proportion": 1, "mean": 1, "total": 0, "ratio": 2}
#: Optional statistics columns (``stats=``).
STATS: tuple[str, ...] = ("n", "se", "cv", "ci")
_FRAME_COLUMNS = ("row_label", "column_label", "estimate", "ci_low", "ci_high", "se", "cv", "n",
                  "flag", "suppressed", "status", "symbol", "text")


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


def _as_frame(estimates: Any, kind: str | None = None, *, proportions_only: bool = True
              ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The tidy frame and its domain (by) columns (figures: proportions only)."""
    frame, by, _kind, _units = _read(estimates, kind, proportions_only=proportions_only)
    return frame, by


def _read(estimates: Any, kind: str | None, *, proportions_only: bool = False):
    units = None
    if isinstance(estimates, pd.DataFrame):
        frame = check_frame(estimates, what="the estimates").copy()
        by = tuple(_column_name(c) for c in frame.columns if c not in COLUMNS)
        kind = "proportion" if kind is None else kind
    elif hasattr(estimates, "to_frame") and hasattr(estimates, "by"):
        est_kind = getattr(estimates, "kind", "proportion")
        if kind is not None and kind != est_kind:
            raise InputError(
                f"kind={kind!r} but the estimates are {est_kind}s; leave kind out for an "
                f"Estimates object"
            )
        kind = est_kind
        frame = estimates.to_frame()
        by = tuple(estimates.by)
        units = getattr(estimates, "_units", None)
    else:
        raise InputError(
            f"estimates must be an Estimates object (sw.proportion(...)) or its tidy DataFrame "
            f"(.to_frame()), got {type(estimates).__name__}"
        )
    if kind not in KINDS:
        raise InputError(f"kind={kind!r} is not a kind of estimate; choose one of {list(KINDS)}")
    if proportions_only and kind != "proportion":
        raise InputError(
            f"the estimates are {kind}s; charts print proportions as percentages: use "
            f"sw.proportion(...)"
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
    if kind == "proportion":
        bad = (est < -_SHARE_TOLERANCE) | (est > 1 + _SHARE_TOLERANCE)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"estimate {float(est[i]):g} (row {i} of the estimates) is outside [0, 1]; "
                f"estimates must be shares "
                f"(0.559 for 55,9%); divide percentages by 100, or give kind='mean' for numbers"
            )
    frame["estimate"] = est
    return frame, by, kind, units


def _check_rows(frame: pd.DataFrame, by: tuple[str, ...], rows: Any, also: tuple = ()) -> None:
    if rows is not None:
        if not isinstance(rows, str) or rows not in by:
            raise InputError(
                f"rows={rows!r} is not a domain column of the estimates; "
                f"the domain columns are {list(by)}"
                + ("" if by else " (estimate with by=... to get one row per domain)")
            )
    shown = (rows, *also)
    others = [c for c in by if c not in shown and frame[c].nunique(dropna=False) > 1]
    if others:
        if rows is None:
            fix = f"pass rows={others[0]!r}"
        else:
            fix = (f"keep one value of {others} (e.g. frame[frame[{others[0]!r}] == ...]), "
                   f"estimate with by={rows!r} only, or make a two-way table with "
                   f"columns={others[0]!r}")
        raise InputError(
            f"the estimates are also by {others}, which a table with rows={rows!r} cannot show; "
            f"{fix}"
        )


def _check_columns(frame: pd.DataFrame, columns: Any, by: tuple[str, ...]) -> str:
    """The table's layout: "level", "variable" or "two-way"."""
    if isinstance(columns, str) and columns in by:
        return "two-way"
    if columns not in _COLUMN_MODES:
        raise InputError(
            f"columns={columns!r} is not valid; choose 'level' (the categories of one item, "
            f"like Tabel 3), 'variable' (one column per item of a multi-response set, "
            f"like Tabel 5) or a domain column for a two-way table ({list(by)})"
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
                f"levels {levels}; use columns='level' for a categorical item, give level=... "
                f"or keep one level of each variable"
            )
    return columns


def _select_level(frame: pd.DataFrame, level: Any, layout: str, columns: str) -> pd.DataFrame:
    levels = list(pd.unique(frame["level"]))
    if level is not None:
        keep = frame["level"].to_numpy(dtype=object) == level
        if not keep.any():
            raise InputError(f"level={level!r} is not a level of the estimates; they have {levels}")
        return frame[keep]
    if layout == "two-way":
        variables = list(pd.unique(frame["variable"]))
        if len(variables) > 1:
            raise InputError(
                f"a two-way table (columns={columns!r}) shows one item, but the estimates hold "
                f"{variables}; keep one variable"
            )
        if len(levels) > 1:
            raise InputError(
                f"a two-way table (columns={columns!r}) shows one level in each cell, but the "
                f"estimates have the levels {levels}; choose one with level=..., e.g. "
                f"level={levels[0]!r}"
            )
    return frame


def _check_stats(stats: Any) -> tuple[str, ...]:
    if isinstance(stats, str):
        stats = (stats,)
    try:
        items = tuple(stats)
    except TypeError:
        raise InputError(f"stats={stats!r} is not a list; give e.g. stats=('n', 'se', 'cv')") from None
    bad = [s for s in items if s not in STATS]
    if bad:
        raise InputError(f"stats {bad} are not valid; choose from {list(STATS)}")
    return tuple(s for s in STATS if s in items)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False, repr=False)
class ReportTable:
    """A publication table: estimates laid out like the report's tables (frozen).

    Attributes
    ----------
    values : pandas.DataFrame
        The published numbers, one row per domain, one column per category or
        per domain of the column variable, labelled as printed: percentages
        (``100 * estimate``, not rounded) for proportions, the estimates
        otherwise; NaN where a cell is suppressed or missing.
    formatted : pandas.DataFrame
        The printed cells (``"55,9%"``, ``"55,9% [53,1–58,6]"``, ``"12,3% E"``,
        ``"F"``), with the optional ``stats`` columns after each estimate column.
    caption : str or None
        E.g. ``"Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)"``; with
        ``synthetic=True`` it ends in a ``[SYNTHETIC DATA: ...]`` note.
    ci_low, ci_high : pandas.DataFrame or None
        The published interval limits on the scale of ``values`` (``None`` if the
        input had none).
    rows, columns : str or None, str
        The domain column and ``"level"``, ``"variable"`` or the column domain.
    row_keys, column_keys : tuple
        The raw domain values and categories behind the labels, in order.
    locale : str
    decimals : int
    ci : bool
    synthetic : bool
    kind : str
        ``"proportion"``, ``"mean"``, ``"total"`` or ``"ratio"``.
    notes : tuple of str
        The footnotes (quality markers, suppression symbol), in the locale.
    status : pandas.DataFrame
        Per cell: ``"ok"``, ``"flag"``, ``"suppress"`` (quality), ``"confidential"``
        (disclosure control) or ``"missing"``.
    suppression : Suppression or None
        The disclosure-control pattern and its audit (``suppress=``).
    stats : tuple of str

    Methods
    -------
    to_frame(), to_csv(path), to_markdown(path), to_latex(path), to_excel(path)
        The long table with numbers and text, and the exports (caption and notes
        included; see each method).
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
    kind: str = "proportion"
    notes: tuple[str, ...] = ()
    status: pd.DataFrame | None = None
    suppression: Suppression | None = None
    stats: tuple[str, ...] = ()
    _cells: pd.DataFrame | None = None

    # ---------------------------------------------------------------- numbers

    def to_frame(self, *, published: bool = True) -> pd.DataFrame:
        """One row per cell: the numbers next to the printed text.

        Columns: the row key (named after ``rows``, or ``row``), the column key
        (named after ``columns``), ``row_label, column_label, estimate, ci_low,
        ci_high, se, cv, n, flag, suppressed, status, symbol, text``.  Numbers are on
        the estimates' scale (a share 0.588, not 58.8); ``cv = se / |estimate|``;
        ``flag`` is True for a cell published with a quality marker, ``suppressed``
        for one that is not published (quality or disclosure); ``symbol`` is the
        marker or symbol printed.

        Parameters
        ----------
        published : bool, default True, keyword-only
            True: the numbers of a suppressed cell are NaN, as in every export.
            False: the confidential numbers too, for checking (never publish them).
        """
        out = self._cells.copy()
        if published:
            hide = out["suppressed"].to_numpy()
            for c in ("estimate", "ci_low", "ci_high", "se", "cv"):
                out.loc[hide, c] = np.nan
        return out.reset_index(drop=True)

    # ---------------------------------------------------------------- export

    @property
    def _corner(self) -> str:
        """Top-left header cell of CSV/Excel: the row variable, plus the synthetic flag."""
        base = self.rows or ""
        return f"{base} (SYNTHETIC DATA)".strip() if self.synthetic else base

    def _side_text(self) -> str | None:
        lines = ([self.caption] if self.caption else []) + list(self.notes)
        return "\n".join(lines) + "\n" if lines else None

    def to_csv(self, path: str | Path, *, numeric: bool = False) -> Path:
        """Write the table as a plain CSV (UTF-8), its caption and footnotes to a side file.

        ``numeric=False``: the printed table, a header row (the top-left cell names
        the row variable and says ``SYNTHETIC DATA`` when the data are synthetic),
        then one row per domain, so ``pd.read_csv(path, index_col=0)`` reads it
        back.  ``numeric=True``: :meth:`to_frame`, the numbers next to the text.
        The caption and footnotes go to ``<stem>.caption.txt`` next to it (not
        written when there are none), because comment lines would break plain CSV
        readers.

        Returns
        -------
        Path
            The CSV file.
        """
        path = Path(path)
        if numeric:
            self.to_frame().to_csv(path, index=False, encoding="utf-8")
        else:
            self.formatted.to_csv(path, index=True, index_label=self._corner, encoding="utf-8")
        side = self._side_text()
        if side is not None:
            path.with_name(path.stem + ".caption.txt").write_text(side, encoding="utf-8")
        return path

    def to_markdown(self, path: str | Path | None = None) -> str:
        """The table as Markdown: the caption as a bold title line, a pipe table, the notes.

        Returns the text; writes it to ``path`` (UTF-8) when given.  Uses
        :meth:`pandas.DataFrame.to_markdown` (``tabulate``).
        """
        body = self.formatted.to_markdown(
            colalign=("left",) + ("right",) * self.formatted.shape[1], disable_numparse=True
        )
        text = (f"**{self.caption}**\n\n" if self.caption else "") + body + "\n"
        if self.notes:
            text += "\n" + "\n".join(f"{note}  " for note in self.notes).rstrip() + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_latex(self, path: str | Path | None = None, *, label: str | None = None) -> str:
        """The table as a LaTeX ``table`` environment with ``\\caption`` (and ``\\label``).

        Special characters (``%``, ``&``, ``_`` ...) are escaped.  All columns are
        paragraph columns (the row labels 32% of the line width, the cells share
        60%), so long sector names and headers wrap.  The footnotes follow the
        tabular in small type.  The document needs ``\\usepackage{booktabs,array}``
        (rules and column alignment) and UTF-8 input (the default since LaTeX
        2018).  Returns the text; writes it to ``path`` (UTF-8) when given.  Uses
        :meth:`pandas.DataFrame.to_latex` (``jinja2``).
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
        if self.notes:
            notes = "\\par\\footnotesize\n" + "\\\\\n".join(_latex_escape(n) for n in self.notes) + "\n"
            text = text.replace("\\end{table}", notes + "\\end{table}")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_excel(self, path: str | Path) -> Path:
        """Write an Excel workbook: sheet ``table`` (printed cells) and ``values`` (numbers).

        Sheet ``table``: the caption in cell A1 (bold) and the table from row 3
        (without a caption, from row 1), the footnotes under it.  Read back with
        ``pd.read_excel(path, sheet_name="table", skiprows=2, nrows=<rows>,
        index_col=0)``.  Sheet ``values``: :meth:`to_frame` from row 3 (row 1
        without a caption), one row per cell with the estimate, ci_low, ci_high, se,
        cv and n as numbers (shares formatted as percentages), the flag, the
        suppression and the printed text.  Uses :meth:`pandas.DataFrame.to_excel`
        (``openpyxl``).
        """
        from openpyxl.styles import Font

        path = Path(path)
        start = 2 if self.caption else 0
        long = self.to_frame()
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            self.formatted.to_excel(writer, sheet_name="table", startrow=start,
                                    index_label=self._corner)
            long.to_excel(writer, sheet_name="values", startrow=start, index=False)
            for name, table in (("table", self.formatted), ("values", long)):
                ws = writer.sheets[name]
                if self.caption:
                    ws.cell(row=1, column=1, value=self.caption).font = Font(bold=True)
                if name == "table":
                    width = max([len(str(x)) for x in table.index] + [len(self._corner), 10])
                    ws.column_dimensions["A"].width = min(width + 2, 100)
                    for i, note in enumerate(self.notes):
                        ws.cell(row=start + len(table) + 3 + i, column=1, value=note)
                    first = 2
                else:
                    first = 1
                for j, col in enumerate(table.columns, start=first):
                    letter = ws.cell(row=start + 1, column=j).column_letter
                    ws.column_dimensions[letter].width = min(max(len(str(col)), 12) + 2, 40)
            if self.kind == "proportion":
                ws = writer.sheets["values"]
                for name in ("estimate", "ci_low", "ci_high", "se", "cv"):
                    j = list(long.columns).index(name) + 1
                    for r in range(len(long)):
                        ws.cell(row=start + 2 + r, column=j).number_format = "0.0%"
        return path

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        r, c = self.values.shape
        return (f"ReportTable({r} rows x {c} columns by {self.rows!r} and {self.columns!r}, "
                f"locale={self.locale!r}, caption={self.caption!r})")

    def __str__(self) -> str:
        body = self.formatted.to_string()
        text = f"{self.caption}\n\n{body}" if self.caption else body
        return text + ("\n\n" + "\n".join(self.notes) if self.notes else "")

    def _repr_html_(self) -> str:
        head = f"<p><strong>{html.escape(self.caption)}</strong></p>\n" if self.caption else ""
        notes = "".join(f"<p><small>{html.escape(n)}</small></p>\n" for n in self.notes)
        return head + self.formatted.to_html() + ("\n" + notes if notes else "")


# --------------------------------------------------------------------------- builder


def _grid(frame: pd.DataFrame, rkey: str | None, ckey: str, row_keys: list, col_keys: list,
          value: str) -> np.ndarray:
    out = np.full((len(row_keys), len(col_keys)), np.nan)
    if value not in frame.columns:
        return out
    r, c = _cell_positions(frame, rkey, ckey, row_keys, col_keys)
    out[r, c] = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return out


def _positions(values: Any, keys: list) -> np.ndarray:
    """Where each value sits among ``keys``, in one hashed pass (missing values match a
    missing key, whichever of NaN/None/NA they are)."""
    vals = pd.Index(np.asarray(values, dtype=object), dtype=object)
    index = pd.Index([np.nan if k is None else _nan_key(k) for k in keys], dtype=object)
    vals = vals.where(~vals.isna(), np.nan)
    pos = index.get_indexer(vals)
    if (pos < 0).any():  # unreachable: the keys are the frame's own values
        raise InputError("a table cell could not be placed; report this as a bug")
    return pos


def _cell_positions(frame: pd.DataFrame, rkey: str | None, ckey: str, row_keys: list,
                    col_keys: list) -> tuple[np.ndarray, np.ndarray]:
    r = (_positions(frame[rkey], row_keys) if rkey is not None
         else np.zeros(len(frame), dtype=np.intp))
    return r, _positions(frame[ckey], col_keys)


def _nan_key(k: Any) -> Any:
    return np.nan if (not isinstance(k, str) and k is not None and pd.isna(k)) else k


def _row_index(frame: pd.DataFrame, rkey: str | None, ckey: str, row_keys: list,
               col_keys: list) -> np.ndarray:
    """The position in ``frame`` of each cell's estimate (-1 for a missing cell)."""
    out = -np.ones((len(row_keys), len(col_keys)), dtype=int)
    r, c = _cell_positions(frame, rkey, ckey, row_keys, col_keys)
    out[r, c] = np.arange(len(frame))
    return out


def _cell_units(units: Any, frame: pd.DataFrame, by: tuple[str, ...]
                ) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Per estimate row: the estimated domain size (sum of weights) and its units' rows."""
    design, keys, codes = units.design, units.keys, units.codes
    w = np.asarray(design._w, dtype=float)
    sizes = np.full(len(frame), np.nan)
    members: list[np.ndarray | None] = [None] * len(frame)
    if by:
        lookup = {tuple(k): g for g, k in enumerate(keys[list(by)].itertuples(index=False))}
        groups = [lookup.get(t) for t in zip(*(frame[c].tolist() for c in by))]
    else:
        groups = [0] * len(frame)
    # the units of every domain of a variable from one stable sort of its codes: linear
    # in the rows and units, where a scan of the codes per row would be quadratic
    split: dict = {}
    for pos, (var, g) in enumerate(zip(frame["variable"].tolist(), groups)):
        code = codes.get(var)
        if code is None or g is None:
            continue
        if var not in split:
            order = np.argsort(code, kind="stable")
            counts = np.bincount(code[code >= 0], minlength=int(code.max()) + 1 if len(code) else 0)
            start = np.searchsorted(code[order], 0)
            bounds = start + np.concatenate([[0], np.cumsum(counts)])
            split[var] = (order, bounds)
        order, bounds = split[var]
        if g + 1 >= len(bounds):
            members[pos] = np.empty(0, dtype=np.intp)
            sizes[pos] = 0.0
            continue
        idx = np.sort(order[bounds[g]:bounds[g + 1]])
        members[pos] = idx
        sizes[pos] = w[idx].sum()
    return sizes, members


def _disclosure(rules: DisclosureRules, frame: pd.DataFrame, by: tuple[str, ...], kind: str,
                units: Any, pos: np.ndarray, est: np.ndarray, n: np.ndarray, layout: str,
                free: np.ndarray, values_index: pd.Index, values_columns: pd.Index) -> Suppression:
    shape = pos.shape
    if units is None and (rules.dominance is not None or rules.secondary):
        need = "the dominance rule" if rules.dominance is not None else "secondary suppression"
        raise InputError(
            f"{need} needs the units behind each cell (their weights"
            f"{' and ' + repr(rules.magnitude) if rules.dominance else ''}); pass the Estimates "
            f"object itself (sw.proportion(...)), not its .to_frame()"
        )
    if kind == "ratio" and rules.secondary:
        raise InputError(
            "secondary suppression of a table of ratios needs the denominators' totals, which "
            "report tables do not have yet; suppress a table of the numerator's totals "
            "(sw.total) instead, or pass a DisclosureRules with secondary=False when the "
            "table's totals are not published"
        )
    sizes = np.full(shape, np.nan)
    share = None
    if units is not None:
        w_rows, members = _cell_units(units, frame, by)
        ok = pos >= 0
        sizes[ok] = w_rows[pos[ok]]
        if rules.dominance is not None:
            data = units.design.data
            if rules.magnitude not in data.columns:
                raise InputError(
                    f"magnitude={rules.magnitude!r} is not a column of the design's data; its "
                    f"columns are {list(data.columns)}"
                )
            mag = pd.to_numeric(data[rules.magnitude], errors="coerce").to_numpy(dtype=float)
            if np.isnan(mag).any() or (mag < 0).any():
                raise InputError(
                    f"magnitude column {rules.magnitude!r} has missing or negative values; the "
                    f"dominance rule needs a number >= 0 for every unit"
                )
            n_top = rules.dominance[0]
            share = np.full(shape, np.nan)
            for (r, c), p in np.ndenumerate(pos):
                if p >= 0 and members[p] is not None:
                    v = np.sort(mag[members[p]])[::-1]
                    total = v.sum()
                    share[r, c] = v[:n_top].sum() / total if total > 0 else np.nan
    primary, why = rules.primary(n, share)
    primary &= np.isfinite(est)
    if kind == "total":
        weights = np.ones(shape)
    else:
        weights = np.where(np.isfinite(sizes), sizes, 0.0)
    if kind == "proportion":
        lower, upper = 0.0, 1.0
    else:
        lower = 0.0 if np.nanmin(est) >= 0 else None
        upper = None
    if layout == "two-way":
        margins: tuple[str, ...] = ("rows", "columns")
    elif layout == "level":
        sums = np.nansum(est, axis=1)
        complete = kind == "proportion" and np.allclose(sums[np.isfinite(est).any(axis=1)], 1.0,
                                                        atol=1e-9)
        margins = ("rows", "columns") if complete else ("columns",)
    else:
        margins = ("columns",)
    values = pd.DataFrame(est, index=values_index, columns=values_columns)
    return protect(values, primary=primary, weights=weights, lower=lower, upper=upper,
                   margins=margins, free=free, rules=rules, _reasons=why)


def report_table(
    estimates: Any,
    *,
    rows: str | None,
    columns: str = "level",
    level: Any = None,
    labels: Mapping[Hashable, str] | None = None,
    row_labels: Mapping[Hashable, str] | None = None,
    column_labels: Mapping[Hashable, str] | None = None,
    locale: str = "nl",
    decimals: int | None = None,
    ci: bool = False,
    stats: Sequence[str] = (),
    caption: str | None = None,
    n: int | None = None,
    synthetic: bool = False,
    quality: QualityRules | None = None,
    suppress: DisclosureRules | None = None,
    kind: str | None = None,
) -> ReportTable:
    """A publication table of estimates: domains in rows, categories or domains in columns.

    Parameters
    ----------
    estimates : Estimates or pandas.DataFrame
        From :func:`surveyweights.proportion`, :func:`~surveyweights.mean`,
        :func:`~surveyweights.total` (or a ratio estimator), or their tidy table
        (``.to_frame()``): the domain columns, then ``variable, level, estimate``
        and what the options need (``ci_low, ci_high, se, n, df``).  In a DataFrame
        every column that is not an estimate column
        (:data:`surveyweights.estimation.COLUMNS`) counts as a domain column.
    rows : str or None, keyword-only
        The domain column whose values become the rows (``"nace"``, ``"size"``);
        ``None`` for estimates without domains (one row, ``Totaal``/``Total``).
        Other domain columns must be constant, or be ``columns``.
    columns : str, default "level", keyword-only
        ``"level"``: the levels of one categorical item become the columns (Tabel
        3/4/7/9); ``"variable"``: one column per variable of a multi-response set,
        each with a single level (Tabel 5/6/11); a domain column (e.g. ``"size"``
        with ``rows="nace"``): a two-way table of one level of one item.
    level : optional, keyword-only
        Keep only this level (needed for a two-way table of a categorical item,
        e.g. ``level="adopter"``).
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
        Every number format and word of the table, its caption and its notes:
        ``nl``: ``58,8%`` and ``N=2.915``; ``en``: ``58.8%`` and ``N=2,915``.
    decimals : int, optional, keyword-only
        Default 1 for proportions (percentages) and means, 0 for totals, 2 for ratios.
    ci : bool, default False, keyword-only
        Print the interval in each cell: ``58,8% [56,5–61,1]``.
    stats : sequence of {"n", "se", "cv", "ci"}, keyword-only
        Extra columns after each estimate column: respondents, standard error
        (percentage points for a proportion), coefficient of variation and the
        interval.  ``n`` is one column at the end when it is the same across a row.
    caption : str, optional, keyword-only
        E.g. ``"Tabel 3: Adoptiegraad per bedrijfssector"``.
    n : int, optional, keyword-only
        The base size, appended to the caption as ``(N=2.915)``.
    synthetic : bool, default False, keyword-only
        Mark the table as made from synthetic data: the caption ends in
        ``[SYNTHETIC DATA: ...]`` and the CSV/Excel corner cell says so.
    quality : QualityRules, optional, keyword-only
        Reliability rules (``sw.quality.rules("cv")``): a flagged cell gets the
        rules' marker and a footnote, a suppressed one the rules' symbol.
    suppress : DisclosureRules, optional, keyword-only
        Disclosure control (``sw.disclosure.rules(min_units=10, ...)``): cells of
        domains with too few respondents, or dominated by their largest units, are
        suppressed, and then (``secondary=True``) the fewest other cells such that
        none can be derived from the table's published totals (rows and columns of
        a two-way table; the overall shares, and 100% per row, of a one-way
        table).  Needs an Estimates object, whose design gives the cells' weights
        and units.  The pattern and its audit are in ``.suppression``.
    kind : {"proportion", "mean", "total", "ratio"}, optional, keyword-only
        For a DataFrame (default ``"proportion"``); an Estimates object knows its kind.

    Returns
    -------
    ReportTable

    Raises
    ------
    InputError
        Unknown locale, layout or statistic; ``rows`` not a domain column; other
        domain columns that vary; ``columns="level"`` with several variables or
        ``"variable"`` with several levels per variable; a two-way table with
        several levels and no ``level=``; two estimates for one cell; shares
        outside [0, 1]; ``ci=True`` without ``ci_low``/``ci_high``; bad
        ``decimals`` or ``n``; disclosure control of a DataFrame.

    Notes
    -----
    Numbers are rounded half away from zero (0.05 -> 0.1) in decimal arithmetic,
    see :func:`~surveyweights.report.format_percent`.  Rows and columns keep the
    order of a categorical column's categories, otherwise the order in which
    domains and categories first appear in the estimates (the estimators list
    them in the order of the factor levels).  Quality rules come first: a cell
    they suppress is hidden anyway, so disclosure control may use it as a
    secondary cell at no cost.

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
    if n is not None:
        n = _check_count(n)
    if caption is not None and not isinstance(caption, str):
        raise InputError(f"caption={caption!r} is not a string; give e.g. caption='Tabel 3: ...'")
    stats = _check_stats(stats)
    if quality is not None and not isinstance(quality, QualityRules):
        raise InputError(
            f"quality={quality!r} is not a QualityRules; give e.g. sw.quality.rules('cv')"
        )
    if suppress is not None and not isinstance(suppress, DisclosureRules):
        raise InputError(
            f"suppress={suppress!r} is not a DisclosureRules; give e.g. "
            f"sw.disclosure.rules(min_units=10)"
        )
    frame, by, kind, units = _read(estimates, kind)
    engine = getattr(estimates, "engine", "pandas")
    if units is None and engine != "pandas" and suppress is not None and (
            suppress.dominance is not None or suppress.secondary):
        raise EngineError(
            f"{'the dominance rule' if suppress.dominance is not None else 'secondary suppression'}"
            f" needs the units behind each cell, which the {engine} engine leaves in the database "
            f"(it only fetches per-cell sums); use the threshold rule alone "
            f"(sw.disclosure.rules(min_units=..., secondary=False)), or estimate on an in-memory "
            f"design: design.collect() loads the source into pandas"
        )
    decimals = KINDS[kind] if decimals is None else _check_decimals(decimals)
    layout = _check_columns(frame, columns, by)
    if layout == "two-way":
        if rows is None or rows == columns:
            raise InputError(
                f"a two-way table needs two different domain columns, got rows={rows!r} and "
                f"columns={columns!r}"
            )
        _check_rows(frame, by, rows, also=(columns,))
    else:
        _check_rows(frame, by, rows)
    frame = _select_level(frame, level, layout, columns).reset_index(drop=True)
    if layout != "two-way":
        _check_columns(frame, columns, by)
    if (ci or "ci" in stats) and not {"ci_low", "ci_high"} <= set(frame.columns):
        raise InputError(
            "ci=True needs the columns 'ci_low' and 'ci_high' in the estimates; "
            "pass Estimates.to_frame() or set ci=False"
        )
    for stat, col in (("se", "se"), ("cv", "se"), ("n", "n")):
        if stat in stats and col not in frame.columns:
            raise InputError(
                f"stats={list(stats)} needs the column {col!r} in the estimates; pass "
                f"Estimates.to_frame()"
            )
    if suppress is not None and "n" not in frame.columns:
        raise InputError("suppress= needs the column 'n' (respondents per domain); pass an Estimates object")

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
    # a numeric item's one "level" (None) is printed as the variable's name
    col_default = ({k: str(frame["variable"].iloc[0]) for k in col_keys if _nan_key(k) is None
                    or (not isinstance(k, str) and pd.isna(k))} if columns == "level" else {})
    clab = _labels(col_keys, col_default, [("column_labels", column_labels), ("labels", labels)])
    rindex, cindex = pd.Index(rlab, dtype=object), pd.Index(clab, dtype=object)

    def grid(value: str) -> np.ndarray:
        return _grid(frame, rows, columns, row_keys, col_keys, value)

    est, se, lo, hi, nn = grid("estimate"), grid("se"), grid("ci_low"), grid("ci_high"), grid("n")
    pos = _row_index(frame, rows, columns, row_keys, col_keys)
    has_ci = {"ci_low", "ci_high"} <= set(frame.columns)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(est != 0, se / np.abs(est), np.nan)
    shape = est.shape
    exists = np.isfinite(est)

    # quality, then disclosure control (a quality-suppressed cell is hidden anyway)
    qstatus = np.full(shape, "ok", dtype=object)
    qreasons: list = []
    if quality is not None:
        qa = quality.assess(frame, kind=kind)
        for (r, c), p in np.ndenumerate(pos):
            if p >= 0:
                qstatus[r, c] = qa["status"].iloc[p]
        qreasons = [qa["reasons"].iloc[p] for p in pos.ravel() if p >= 0]
    suppression = None
    confidential = np.zeros(shape, dtype=bool)
    if suppress is not None:
        suppression = _disclosure(suppress, frame, by, kind, units, pos, est, nn, layout,
                                  exists & (qstatus == "suppress"), rindex, cindex)
        confidential = suppression.suppressed.to_numpy()
    status = np.where(~exists, "missing",
                      np.where(confidential, "confidential", qstatus)).astype(object)
    hidden = (status == "confidential") | (status == "suppress")

    # printed cells
    pct = kind == "proportion"
    scale = 100.0 if pct else 1.0

    def fmt(x: float, *, sign: bool = True) -> str:
        return _fmt_percent(x, decimals, loc, sign=sign) if pct else _fmt_number(x, decimals, loc)

    def symbol_of(r: int, c: int) -> str:
        if status[r, c] == "confidential":
            return suppress.symbol
        if status[r, c] == "suppress":
            return quality.suppress_symbol
        if status[r, c] == "flag":
            return quality.flag_marker
        return ""

    # every cell formatted in one vectorised pass per number (linear, no per-cell lookups)
    symbols = np.full(shape, "", dtype=object)
    if suppress is not None:
        symbols[status == "confidential"] = suppress.symbol
    if quality is not None:
        symbols[status == "suppress"] = quality.suppress_symbol
        symbols[status == "flag"] = quality.flag_marker
    text = _fmt_many(est, decimals, loc, percent=pct) if pct else np.vectorize(
        lambda v: _fmt_number(v, decimals, loc), otypes=[object])(est) if est.size else \
        np.empty(shape, dtype=object)
    if ci:
        many = ((lambda a: _fmt_many(a, decimals, loc, percent=True, sign=False)) if pct else
                np.vectorize(lambda v: _fmt_number(v, decimals, loc), otypes=[object]))
        if est.size:
            lo_t, hi_t = many(lo), many(hi)
            with_ci = np.isfinite(est)
            text = np.where(with_ci, text + " [" + lo_t + "–" + hi_t + "]", text)
    if quality is not None:
        text = np.where(status == "flag", text + f" {quality.flag_marker}", text)
    text = np.where(hidden, symbols, text).astype(object)

    level_text = None
    if has_ci and "confidence_level" in frame.columns:
        lv = pd.unique(pd.to_numeric(frame["confidence_level"], errors="coerce"))
        lv = [v for v in lv if np.isfinite(v)]
        if len(lv) == 1:
            level_text = _fmt_percent(lv[0], 0 if round(lv[0] * 100, 6).is_integer() else 1, loc)
    n_per_row = bool(np.all([len(set(nn[r][exists[r]])) <= 1 for r in range(shape[0])]))

    columns_out: dict[str, list[str]] = {}
    for j, label in enumerate(clab):
        columns_out[label] = list(text[:, j])
        for stat in stats:
            if stat == "n" and n_per_row:
                continue
            head, cells = _stat_column(stat, j, label, est, se, cv, lo, hi, nn, hidden, status,
                                       symbol_of, fmt, pct, decimals, loc, level_text)
            columns_out[head] = cells
    if "n" in stats and n_per_row:
        per_row = [next((v for v in nn[r] if np.isfinite(v)), np.nan) for r in range(shape[0])]
        columns_out[loc.word("n")] = [format_count(int(v), locale=locale) if np.isfinite(v)
                                      else loc.missing for v in per_row]
    formatted = pd.DataFrame(columns_out, index=rindex).astype("str")
    formatted.columns = pd.Index(list(columns_out), dtype=object)

    # notes
    notes: list[str] = []
    if quality is not None:
        present = {s for s in status.ravel() if s in ("flag", "suppress")}
        if present:
            used = [qreasons[i] for i, s in enumerate(
                [status[r, c] for (r, c), p in np.ndenumerate(pos) if p >= 0]) if s in present]
            notes += quality.footnotes(sorted(present), locale=locale, reasons=used)
    if suppression is not None and confidential.any():
        why = {w for w in suppression.reason.to_numpy().ravel() if w}
        notes.append(suppress.footnote(locale=locale, reasons=tuple(why)))

    cap = caption
    if n is not None:
        count = format_count(n, locale=locale)
        cap = f"{cap} (N={count})" if cap else f"N={count}"
    if synthetic:
        cap = f"{cap} [{loc.synthetic}]" if cap else f"[{loc.synthetic}]"

    def published(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(np.where(hidden, np.nan, a * scale), index=rindex, columns=cindex)

    # the long table
    rname = rows if rows is not None else "row"
    cname = columns
    r_i, c_i = np.nonzero(np.ones(shape, dtype=bool))
    cells = pd.DataFrame({
        rname: pd.Series([row_keys[r] for r in r_i], dtype=object),
        cname: pd.Series([col_keys[c] for c in c_i], dtype=object),
        "row_label": [rlab[r] for r in r_i],
        "column_label": [clab[c] for c in c_i],
        "estimate": est[r_i, c_i], "ci_low": lo[r_i, c_i], "ci_high": hi[r_i, c_i],
        "se": se[r_i, c_i], "cv": cv[r_i, c_i],
        "n": pd.array([int(v) if np.isfinite(v) else None for v in nn[r_i, c_i]], dtype="Int64"),
        "flag": status[r_i, c_i] == "flag",
        "suppressed": hidden[r_i, c_i],
        "status": status[r_i, c_i].astype(str),
        "symbol": symbols[r_i, c_i].astype(str),
        "text": text[r_i, c_i].astype(str),
    })
    cells = cells[exists[r_i, c_i]].reset_index(drop=True)

    return ReportTable(
        values=published(est),
        formatted=formatted,
        caption=cap,
        ci_low=published(lo) if has_ci else None,
        ci_high=published(hi) if has_ci else None,
        rows=rows,
        columns=columns,
        row_keys=tuple(row_keys),
        column_keys=tuple(col_keys),
        locale=locale,
        decimals=decimals,
        ci=bool(ci),
        synthetic=bool(synthetic),
        kind=kind,
        notes=tuple(notes),
        status=pd.DataFrame(status, index=rindex, columns=cindex).astype("str"),
        suppression=suppression,
        stats=stats,
        _cells=cells,
    )


def _stat_column(stat, j, label, est, se, cv, lo, hi, nn, hidden, status, symbol_of, fmt, pct,
                 decimals, loc, level_text):
    """Header and cells of one optional statistics column of estimate column ``j``."""
    cells = []
    for r in range(est.shape[0]):
        if status[r, j] == "missing":
            cells.append(loc.missing)
            continue
        if stat == "n":
            cells.append(_fmt_number(nn[r, j], 0, loc))
            continue
        if hidden[r, j]:
            cells.append(symbol_of(r, j))
            continue
        if stat == "se":
            cells.append(_fmt_number(100 * se[r, j], decimals, loc) if pct
                         else _fmt_number(se[r, j], decimals, loc))
        elif stat == "cv":
            cells.append(_fmt_percent(cv[r, j], 1, loc))
        else:
            cells.append(f"[{fmt(lo[r, j], sign=False)}–{fmt(hi[r, j], sign=False)}]")
    if stat == "se":
        word = loc.word("se_pp") if pct else loc.word("se")
    elif stat == "ci":
        word = loc.word("ci", level=level_text) if level_text else loc.word("ci_plain")
    else:
        word = loc.word(stat)
    return f"{label}: {word}", cells
