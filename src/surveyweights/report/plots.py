"""Report-style figures of estimates: bars with confidence intervals, 100% stacked bars.

Two figure types of the AI-Barometer 2025, drawn from tidy estimate tables:

* :func:`bar_chart`: horizontal bars of percentages with the confidence interval
  as error bars and the value printed next to each bar (Figuur 2 "Adoptiegraad
  type AI-technologieën", Figuur 10 "Toepassing AI-technologieën").
* :func:`stacked_bar_chart`: one 100% stacked horizontal bar per domain, one
  segment per answer category, with a legend (Tabel 3/4 as a picture: adopters,
  plans, no plans per sector).

Both use matplotlib's object API only: they build a :class:`ReportFigure` (a
:class:`matplotlib.figure.Figure`) and return it, touching no global state (no
``pyplot``, no ``matplotlib.use``), so they run headless and in parallel.
:func:`save_figure` writes PNG or SVG.  In Jupyter a returned figure shows
itself as a PNG (``ReportFigure._repr_png_``), with no ``%matplotlib inline``
and no pyplot.

With ``quality=`` (:mod:`surveyweights.report.quality`) a flagged bar is hatched
and lighter and its value carries the marker; a suppressed bar is not drawn and
its value is replaced by the symbol; the footnotes go under the figure.
Numbers on the figures use the locale of :mod:`surveyweights.report.formatting`
(``41,2%`` for ``nl``).  Labels come from the data or from ``labels=``, never from
a column's name.  With ``synthetic=True`` a "SYNTHETIC DATA" note is printed in small
type under the figure.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator
from matplotlib.transforms import blended_transform_factory

from ..errors import InputError
from .formatting import _fmt_percent, _locale
from .quality import QualityRules
from .tables import _as_frame, _check_rows, _labels, report_table

__all__ = ["ReportFigure", "bar_chart", "stacked_bar_chart", "save_figure"]

_BAR_COLOR = "#1f4e79"
_WRAP = 42          # characters per line of a category label
_TITLE_WRAP = 80    # characters per line of the title
_LEGEND_WRAP = 45   # characters per line of a legend entry
_NOTE_SIZE = 7.5
_LABEL_SIZE = 9
_FIG_WIDTH = 9.0    # inches
_NOTE_LINE = 0.17   # inches per line of small print

_FLAG_COLOR = "#8fa9c4"   # a flagged bar: lighter, and hatched
_HIDDEN_COLOR = "#d9d9d9"  # a bar whose values are suppressed
_HATCH = "///"


class ReportFigure(Figure):
    """A matplotlib Figure that shows itself in Jupyter as a PNG.

    IPython displays an object through its ``_repr_png_``; a plain Figure made
    without pyplot has none (it shows as ``<Figure size ...>`` unless the inline
    backend is active).  Everything else is :class:`matplotlib.figure.Figure`.
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100)
        return buf.getvalue()


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def _percent_axis(ax, right: float) -> None:
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(MultipleLocator(20 if right > 40 else 10))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: f"{x:.0f}%" if -1e-9 <= x <= 100 + 1e-9 else "")
    )
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", length=0, labelsize=_LABEL_SIZE)
    ax.tick_params(axis="x", labelsize=_LABEL_SIZE)
    ax.set_axisbelow(True)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)


def _layout(fig: Figure, notes: list[str], height: float) -> None:
    """Constrained layout above a band reserved for the small-print notes."""
    band = (_NOTE_LINE * len(notes) + 0.1) / height if notes else 0.0
    fig.set_layout_engine("constrained", rect=(0, band, 1, 1 - band), h_pad=0.08, w_pad=0.08)
    for i, line in enumerate(reversed(notes)):
        fig.text(0.01, (0.06 + _NOTE_LINE * i) / height, line, fontsize=_NOTE_SIZE,
                 ha="left", va="bottom", color="#444444")


def _notes(loc_name: str, *, ci_level: float | None, note: str | None, synthetic: bool,
           quality_notes: Sequence[str] = ()) -> list[str]:
    loc = _locale(loc_name)
    lines = []
    if ci_level is not None:
        level = _fmt_percent(ci_level, 0 if round(ci_level * 100, 6).is_integer() else 1, loc)
        lines.append(loc.word("ci_note", level=level))
    for q in quality_notes:
        lines.extend(_wrap(q, 140).split("\n"))
    if note:
        lines.extend(_wrap(note, 140).split("\n"))
    if synthetic:
        lines.append(loc.synthetic)
    return lines


def _check_text(value: Any, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise InputError(f"{name}={value!r} is not a string; give text or None")


def _bar_key(frame: pd.DataFrame, by: tuple[str, ...]) -> str:
    """The one column that tells the bars apart: a domain column, 'variable' or 'level'."""
    varying = [c for c in (*by, "variable", "level") if frame[c].nunique(dropna=False) > 1]
    if len(varying) > 1:
        raise InputError(
            f"bar_chart draws one bar per estimate, but the estimates vary in {varying}; keep "
            f"one value of all but one of them (e.g. one level: frame[frame['level'] == ...]), "
            f"or use stacked_bar_chart(..., rows={varying[0]!r}) for the levels of each domain"
        )
    if not varying:
        if len(frame) > 1:
            raise InputError(
                f"bar_chart cannot tell the {len(frame)} estimates apart: domain, variable and "
                f"level are the same in every row; remove the duplicate rows or fill in "
                f"the 'variable' names"
            )
        level = frame["level"].iloc[0]
        return "variable" if level in (1, True) or pd.isna(level) else "level"
    key = varying[0]
    if frame[key].isna().any():
        raise InputError(
            f"the {key!r} column has missing values, so some bars have no name; fill it in"
        )
    return key


def bar_chart(
    estimates: Any,
    *,
    labels: Mapping[Hashable, str] | None = None,
    locale: str = "nl",
    ci: bool = True,
    title: str | None = None,
    sort: bool = True,
    xlabel: str | None = None,
    note: str | None = None,
    synthetic: bool = False,
    quality: QualityRules | None = None,
) -> ReportFigure:
    """Horizontal bars of percentages with confidence intervals (like Figuur 2).

    Parameters
    ----------
    estimates : Estimates or pandas.DataFrame
        Proportions (:func:`surveyweights.proportion`) or their tidy table.  Exactly
        one of the domain columns, ``variable`` or ``level`` may vary: that column
        names the bars (one per item of a multi-response set, per level of one item,
        or per domain of one level).
    labels : mapping, optional, keyword-only
        Bar labels by raw value (the AI-Barometer's are in
        :mod:`surveyweights.barometer.labels`); unmapped values are printed as they
        are.  Long labels wrap.
    locale : {"nl", "en"}, default "nl", keyword-only
        Number format of the value labels (``41,2%`` / ``41.2%``) and the wording.
    ci : bool, default True, keyword-only
        Draw ``ci_low``-``ci_high`` as error bars and say so in a note.
    title : str, optional, keyword-only
    sort : bool, default True, keyword-only
        Largest estimate on top; ``False`` keeps the input order (top to bottom).
    xlabel : str, optional, keyword-only
        Defaults to ``"Aandeel"`` / ``"Share"``.
    note : str, optional, keyword-only
        A source line printed in small type under the figure.
    synthetic : bool, default False, keyword-only
        Print a "SYNTHETIC DATA" note under the figure.
    quality : QualityRules, optional, keyword-only
        Reliability rules (``sw.quality.rules("cv")``): flagged bars are hatched
        and lighter, suppressed bars are left out (their value is the symbol), and
        the footnotes are printed under the figure.

    Returns
    -------
    ReportFigure
        A :class:`matplotlib.figure.Figure` that displays itself in Jupyter.  One
        Axes with one bar container (one bar per estimate) and, when ``ci``, one
        error-bar container.

    Raises
    ------
    InputError
        Unknown locale; more than one of domain/variable/level varies; ``ci=True``
        without ``ci_low``/``ci_high``; estimates outside [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> est = pd.DataFrame({"variable": ["tech_text", "tech_robots"], "level": 1,
    ...                     "estimate": [0.412, 0.038], "ci_low": [0.39, 0.03],
    ...                     "ci_high": [0.435, 0.047]})
    >>> fig = bar_chart(est, labels={"tech_text": "Tekstanalyse"}, title="Figuur 2")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Tekstanalyse', 'tech_robots']
    """
    loc = _locale(locale)
    for name, value in (("title", title), ("xlabel", xlabel), ("note", note)):
        _check_text(value, name)
    frame, by = _as_frame(estimates)
    if ci and not {"ci_low", "ci_high"} <= set(frame.columns):
        raise InputError(
            "ci=True needs the columns 'ci_low' and 'ci_high' in the estimates; "
            "pass Estimates.to_frame() or set ci=False"
        )
    key = _bar_key(frame, by)
    frame = frame.reset_index(drop=True)
    if sort:
        frame = frame.sort_values("estimate", ascending=False, kind="stable").reset_index(drop=True)
    keys = list(frame[key])
    names = [_wrap(s, _WRAP) for s in _labels(keys, {}, [("labels", labels)])]

    status, qnotes = _quality(quality, frame, locale)
    hidden = status == "suppress"
    flagged = status == "flag"
    pct = np.where(hidden, np.nan, frame["estimate"].to_numpy(dtype=float) * 100)
    lines = sum(s.count("\n") + 1 for s in names)
    height = 1.3 + 0.28 * len(names) + 0.15 * lines + (0.35 if title else 0)
    notes = _notes(locale, ci_level=_ci_level(frame) if ci else None, note=note, synthetic=synthetic,
                   quality_notes=qnotes)
    height += _NOTE_LINE * len(notes)
    fig = ReportFigure(figsize=(_FIG_WIDTH, height))
    ax = fig.add_subplot()
    y = np.arange(len(names))
    bars = ax.barh(y, np.nan_to_num(pct, nan=0.0), height=0.62, color=_BAR_COLOR, zorder=2)
    for bar, f in zip(bars, flagged):
        if f:
            bar.set_facecolor(_FLAG_COLOR)
            bar.set_hatch(_HATCH)
            bar.set_edgecolor("white")
    ends = pct.copy()
    if ci:
        lo = pd.to_numeric(frame["ci_low"], errors="coerce").to_numpy(dtype=float) * 100
        hi = pd.to_numeric(frame["ci_high"], errors="coerce").to_numpy(dtype=float) * 100
        lo, hi = np.where(hidden, np.nan, lo), np.where(hidden, np.nan, hi)
        err = np.vstack([np.clip(pct - lo, 0, None), np.clip(hi - pct, 0, None)])
        ax.errorbar(pct, y, xerr=err, fmt="none", ecolor="#222222", elinewidth=1,
                    capsize=3, zorder=3)
        ends = np.fmax(ends, hi)
    ends = np.nan_to_num(ends, nan=0.0)
    right = min(100.0, float(np.nanmax(ends))) if len(ends) else 100.0
    right = right * 1.08 + 9
    for i, (yi, x, e) in enumerate(zip(y, ends, frame["estimate"])):
        if hidden[i]:
            label = quality.suppress_symbol
        else:
            label = _fmt_percent(e, 1, loc) + (f" {quality.flag_marker}" if flagged[i] else "")
        ax.text(x + right * 0.012, yi, label, va="center", ha="left",
                fontsize=_LABEL_SIZE, zorder=4)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    _percent_axis(ax, right)
    ax.set_xlabel(xlabel if xlabel is not None else loc.word("xlabel"), fontsize=_LABEL_SIZE)
    if title:
        ax.set_title(_wrap(title, _TITLE_WRAP), loc="left", fontsize=11, fontweight="bold")
    _layout(fig, notes, height)
    return fig


def _quality(quality: QualityRules | None, frame: pd.DataFrame, locale: str
             ) -> tuple[np.ndarray, list[str]]:
    """Status per row ("ok", "flag", "suppress") and the footnotes of the markers used."""
    if quality is None:
        return np.full(len(frame), "ok", dtype=object), []
    if not isinstance(quality, QualityRules):
        raise InputError(f"quality={quality!r} is not a QualityRules; give e.g. sw.quality.rules('cv')")
    qa = quality.assess(frame, kind="proportion")
    status = qa["status"].to_numpy(dtype=object)
    used = [r for r, st in zip(qa["reasons"], status) if st != "ok"]
    present = sorted({st for st in status if st != "ok"})
    return status, quality.footnotes(present, locale=locale, reasons=used) if present else []


def _ci_level(frame: pd.DataFrame) -> float | None:
    if "confidence_level" not in frame.columns:
        return None
    levels = pd.unique(pd.to_numeric(frame["confidence_level"], errors="coerce"))
    levels = [v for v in levels if math.isfinite(v)]
    return float(levels[0]) if len(levels) == 1 else None


def _legend_columns(names: list[str]) -> int:
    """As many legend columns as fit the figure width (about 0.07 inch per character)."""
    widest = max(len(line) for name in names for line in _wrap(name, _LEGEND_WRAP).split("\n"))
    per_column = 0.07 * widest + 0.6
    return max(1, min(len(names), int((_FIG_WIDTH - 0.2) // per_column)))


def _text_color(rgba) -> str:
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def stacked_bar_chart(
    estimates: Any,
    *,
    rows: str,
    labels: Mapping[Hashable, str] | None = None,
    row_labels: Mapping[Hashable, str] | None = None,
    locale: str = "nl",
    title: str | None = None,
    note: str | None = None,
    synthetic: bool = False,
    quality: QualityRules | None = None,
) -> ReportFigure:
    """100% stacked horizontal bars: one bar per domain, one segment per level (Tabel 3).

    Parameters
    ----------
    estimates : Estimates or pandas.DataFrame
        Proportions of one categorical item by a domain, e.g.
        ``sw.proportion(design, "adoption", by="nace")``.
    rows : str, keyword-only
        The domain column whose values become the bars (top to bottom in input order).
    labels : mapping, optional, keyword-only
        Labels by raw value, for the levels (legend) and the domains (bars) alike;
        unmapped values are printed as they are.
    row_labels : mapping, optional, keyword-only
        Bar labels by domain value; they take precedence over ``labels``.
    locale : {"nl", "en"}, default "nl", keyword-only
    title, note : str, optional, keyword-only
    synthetic : bool, default False, keyword-only
        Print a "SYNTHETIC DATA" note under the figure.
    quality : QualityRules, optional, keyword-only
        Reliability rules: a flagged segment is hatched and carries the marker; a
        bar with a suppressed segment is drawn grey without segments (the other
        segments would give it away) and carries the symbol; the footnotes go
        under the figure.

    Returns
    -------
    ReportFigure
        One Axes with one bar container per level (each with one bar per domain) and
        a legend; segments of 5% or more carry their percentage.

    Raises
    ------
    InputError
        As :func:`surveyweights.report.report_table` with ``columns="level"``.

    Examples
    --------
    >>> import pandas as pd
    >>> est = pd.DataFrame({"size": ["micro"] * 2 + ["large"] * 2, "variable": "adoption",
    ...                     "level": ["adopter", "other"] * 2,
    ...                     "estimate": [0.507, 0.493, 0.854, 0.146]})
    >>> fig = stacked_bar_chart(est, rows="size")
    >>> len(fig.axes[0].containers), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    (2, ['adopter', 'other'])
    """
    loc = _locale(locale)
    for name, value in (("title", title), ("note", note)):
        _check_text(value, name)
    if rows is None:
        raise InputError("rows=None: stacked_bar_chart needs a domain column, e.g. rows='nace'")
    frame, by = _as_frame(estimates)
    _check_rows(frame, by, rows)
    if quality is not None and not isinstance(quality, QualityRules):
        raise InputError(f"quality={quality!r} is not a QualityRules; give e.g. sw.quality.rules('cv')")
    table = report_table(frame, rows=rows, columns="level", labels=labels,
                         row_labels=row_labels, locale=locale, quality=quality)
    status = table.status.to_numpy()
    grey = (status == "suppress").any(axis=1)
    values = table.values.fillna(0.0)
    values.loc[grey] = 0.0
    names = [_wrap(s, _WRAP) for s in values.index]
    k = values.shape[1]
    lines = sum(s.count("\n") + 1 for s in names)
    notes = _notes(locale, ci_level=None, note=note, synthetic=synthetic,
                   quality_notes=table.notes)
    legend_lines = sum(_wrap(c, _LEGEND_WRAP).count("\n") + 1 for c in values.columns)
    legend_rows = math.ceil(legend_lines / _legend_columns(list(values.columns)))
    height = (1.5 + 0.3 * len(names) + 0.15 * lines + 0.2 * legend_rows
              + (0.35 if title else 0) + _NOTE_LINE * len(notes))
    fig = ReportFigure(figsize=(_FIG_WIDTH, height))
    ax = fig.add_subplot()
    y = np.arange(len(names))
    colors = colormaps["Blues"](np.linspace(0.85, 0.3, k)) if k > 1 else [_BAR_COLOR]
    left = np.zeros(len(names))
    for j, col in enumerate(values.columns):
        width = values[col].to_numpy(dtype=float)
        bars = ax.barh(y, width, left=left, height=0.66, color=colors[j],
                       label=_wrap(col, _LEGEND_WRAP), edgecolor="white", linewidth=0.6, zorder=2)
        shares = table.values[col].to_numpy(dtype=float) / 100
        for i, (bar, yi, x0, w, s) in enumerate(zip(bars, y, left, width, shares)):
            flagged = status[i, j] == "flag"
            if flagged:
                bar.set_hatch(_HATCH)
            if w >= 5:
                text = _fmt_percent(s, 1, loc) + (f" {quality.flag_marker}" if flagged else "")
                ax.text(x0 + w / 2, yi, text, ha="center", va="center",
                        fontsize=8, color=_text_color(colors[j]), zorder=3)
        left = left + width
    if grey.any():
        ax.barh(y[grey], np.full(int(grey.sum()), 100.0), height=0.66, color=_HIDDEN_COLOR,
                zorder=2)
        for yi in y[grey]:
            ax.text(50, yi, quality.suppress_symbol, ha="center", va="center", fontsize=8, zorder=3)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    _percent_axis(ax, 100.0)
    ax.grid(False)
    # under the x axis, from the left edge of the figure (x in figure, y in axes coordinates),
    # so that long category names have the full width; constrained layout makes room for it
    ax.legend(loc="upper left", bbox_to_anchor=(0.01, 0.0),
              bbox_transform=blended_transform_factory(fig.transFigure, ax.transAxes),
              borderaxespad=2.2, ncol=_legend_columns(list(values.columns)), frameon=False,
              fontsize=_LABEL_SIZE)
    if title:
        ax.set_title(_wrap(title, _TITLE_WRAP), loc="left", fontsize=11, fontweight="bold")
    _layout(fig, notes, height)
    return fig


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 200) -> Path:
    """Write a figure as PNG or SVG, chosen by the file extension.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Ends in ``.png`` or ``.svg`` (any case).
    dpi : int, default 200, keyword-only
        Resolution of a PNG.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        If ``fig`` is not a Figure or the extension is not ``.png``/``.svg``.

    Notes
    -----
    SVG files are written without a creation date (``metadata={"Date": None}``).
    """
    if not isinstance(fig, Figure):
        raise InputError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise InputError(
            f"cannot tell the format of {str(path)!r}: the extension must be .png or .svg"
        )
    metadata = {"Date": None} if fmt == "svg" else None
    fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path
