"""Assertions for users' test suites: frames, weights, margins, estimates, published figures.

Each function passes silently or raises :class:`AssertionError` whose message
names every offending stratum, cell or domain with the expected value, the
actual value, their difference and the tolerance, one line each, capped at
``max_lines`` lines (the header says how many there are in all).  They follow
``numpy.testing`` and ``pandas.testing``: the expected value is the reference
(a published table, R's output), the actual value is what the code under test
produced.

Bad *arguments* (an unknown column, a published value that is not a number)
raise :class:`~surveyweights.errors.InputError`, not ``AssertionError``, so that
a mistake in the test is never mistaken for a failure of the weighting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from .._strata import as_columns, check_columns
from ..design import Design
from ..engines.base import require_memory
from ..errors import InputError
from ..frame import PopulationFrame
from ..weighting import PostStratification

__all__ = [
    "MAX_LINES",
    "assert_estimates_close",
    "assert_frame_equal_published",
    "assert_margins",
    "assert_published_within_rounding",
    "assert_weights_calibrated",
]

#: Default number of offending lines printed in a failure message.
MAX_LINES = 20

#: The numeric columns of an estimate table that :func:`assert_estimates_close` compares.
VALUE_COLUMNS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "df", "n", "deff",
                                  "n_eff", "n_missing")


# --------------------------------------------------------------------- helpers
def _fmt(x: Any) -> str:
    """A number for a message: integers without '.0', floats in shortest round-trip form."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, Decimal):
        return str(x)
    if isinstance(x, float):
        if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return repr(x)
    return repr(x) if isinstance(x, str) else str(x)


def _diff(actual: float, expected: float) -> str:
    d = float(actual) - float(expected)
    if not math.isfinite(d):
        return "difference undefined"
    return f"difference {d:+.6g}"


def _value(v: Any) -> Any:
    """A key value as a plain Python value (numpy scalars unwrapped, 2.0 -> 2, NaN -> None)."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if v.is_integer():
            return int(v)
    return v


def _show_key(columns: Sequence[str], values: Sequence[Any]) -> str:
    return ", ".join(f"{c}={_value(v)!r}" for c, v in zip(columns, values))


def _check_max_lines(max_lines: Any) -> int:
    if isinstance(max_lines, bool) or not isinstance(max_lines, (int, np.integer)) or max_lines < 1:
        raise InputError(f"max_lines={max_lines!r} is not a whole number >= 1; give e.g. max_lines=20")
    return int(max_lines)


def _check_tolerance(rtol: Any, atol: Any) -> tuple[float, float]:
    out = []
    for name, v in (("rtol", rtol), ("atol", atol)):
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = float("nan")
        if isinstance(v, bool) or not math.isfinite(f) or f < 0:
            raise InputError(f"{name}={v!r} is not a finite number >= 0; give e.g. {name}=1e-9")
        out.append(f)
    return out[0], out[1]


def _fail(header: str, lines: list[str], max_lines: int) -> None:
    """Raise AssertionError with the header and at most ``max_lines`` offending lines."""
    shown = lines[:max_lines]
    more = len(lines) - len(shown)
    text = header + "\n" + "\n".join("  " + ln for ln in shown)
    if more:
        text += f"\n  ... and {more} more (pass max_lines= to see them)"
    raise AssertionError(text)


def _close(actual: float, expected: float, rtol: float, atol: float) -> bool:
    """numpy's rule |actual - expected| <= atol + rtol |expected|; NaN equals NaN, inf equals inf."""
    a, e = float(actual), float(expected)
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    if math.isinf(a) or math.isinf(e):
        return a == e
    return abs(a - e) <= atol + rtol * abs(e)


def _tol(expected: float, rtol: float, atol: float) -> str:
    e = float(expected)
    return f"tolerance {atol + rtol * abs(e):.3g}" if math.isfinite(e) else "tolerance exact"


def _frame_parts(
    frame: Any, *, what: str
) -> tuple[pd.DataFrame, tuple[str, ...] | None, tuple[str, ...] | None, str | None]:
    """(table, strata, count columns, N column) of a PopulationFrame or a DataFrame."""
    if isinstance(frame, PopulationFrame):
        return frame.table, frame.strata, tuple(dict.fromkeys((frame.count, *frame.counts))), frame.count
    if isinstance(frame, pd.DataFrame):
        return frame, None, None, None
    raise InputError(
        f"{what} must be a PopulationFrame or a pandas DataFrame, got {type(frame).__name__}; "
        f"load the bundled Tabel 1/2 with sw.datasets.barometer_2025_frame()"
    )


def _keys(table: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    return [tuple(_value(v) for v in row) for row in zip(*(table[c].tolist() for c in columns))]


# ---------------------------------------------------- population frames (Tabel 1/2)
def assert_frame_equal_published(
    frame: PopulationFrame | pd.DataFrame,
    published: PopulationFrame | pd.DataFrame,
    *,
    strata: str | Sequence[str] | None = None,
    counts: str | Sequence[str] | None = None,
    atol: float = 0,
    max_lines: int = MAX_LINES,
) -> None:
    """Assert that a population frame has the published counts, stratum by stratum.

    Compares every count column (population N_h, sampled units, usable responses)
    of every stratum, then the margins of each stratum column (the printed row and
    column totals of a crosstab such as Tabel 1) and the grand total.

    Parameters
    ----------
    frame : PopulationFrame or pandas.DataFrame
        The frame under test (e.g. built from the user's register and sample).
    published : PopulationFrame or pandas.DataFrame
        The reference, e.g. ``sw.datasets.barometer_2025_frame()`` (Tabel 1/2).
    strata : str or list of str, optional, keyword-only
        The stratum columns; default: those of ``published`` (or of ``frame``) when
        it is a :class:`~surveyweights.PopulationFrame`.
    counts : str or list of str, optional, keyword-only
        The count columns to compare.  Default: the count columns of ``published``
        (for a PopulationFrame, its ``count`` and ``counts``; for a DataFrame, its
        numeric columns) that ``frame`` also has.
    atol : float, default 0, keyword-only
        Allowed absolute difference (counts are compared exactly by default).
    max_lines : int, default 20, keyword-only
        At most this many offending lines in the message.

    Raises
    ------
    AssertionError
        Naming each stratum whose count differs (expected, actual, difference), each
        stratum present in one frame only, each differing margin and the total.
    InputError
        If the strata cannot be determined or a count column is missing.

    Examples
    --------
    >>> import surveyweights as sw
    >>> from surveyweights import testing as swt
    >>> pub = sw.datasets.barometer_2025_frame()
    >>> swt.assert_frame_equal_published(pub.table, pub)      # passes silently
    >>> ours = pub.table.copy()
    >>> ours.loc[0, "N"] += 1
    >>> swt.assert_frame_equal_published(ours, pub)
    Traceback (most recent call last):
    ...
    AssertionError: frame differs from the published frame in 1 of 44 strata, 2 margins and the total (columns ['N', 'sample', 'responses'], tolerance atol=0):
      stratum nace='10-33', size='micro': N expected 1504, actual 1505, difference +1
      margin nace='10-33': N expected 4952, actual 4953, difference +1
      margin size='micro': N expected 16148, actual 16149, difference +1
      total: N expected 37839, actual 37840, difference +1
    """
    max_lines = _check_max_lines(max_lines)
    _, atol = _check_tolerance(0, atol)
    f_tab, f_strata, _, _ = _frame_parts(frame, what="frame")
    p_tab, p_strata, p_counts, _ = _frame_parts(published, what="published")
    if strata is None:
        cols = p_strata or f_strata
        if cols is None:
            raise InputError(
                "strata= is needed when neither frame nor published is a PopulationFrame; "
                "pass e.g. strata=['nace', 'size']"
            )
    else:
        cols = as_columns(strata, what="strata")
    check_columns(f_tab, cols, what="strata", table="the frame")
    check_columns(p_tab, cols, what="strata", table="the published frame")
    if counts is None:
        candidates = p_counts or tuple(c for c in p_tab.columns if c not in cols
                                       and pd.api.types.is_numeric_dtype(p_tab[c])
                                       and not pd.api.types.is_bool_dtype(p_tab[c]))
        value_cols = tuple(c for c in candidates if c in f_tab.columns)
        if not value_cols:
            raise InputError(
                f"the frame has none of the published count columns {list(candidates)}; "
                f"name the columns to compare with counts=[...]"
            )
    else:
        value_cols = as_columns(counts, what="counts")
        check_columns(f_tab, value_cols, what="count", table="the frame")
        check_columns(p_tab, value_cols, what="count", table="the published frame")

    def numeric(tab: pd.DataFrame, name: str) -> pd.DataFrame:
        for c in value_cols:
            # text is refused, never converted: '1.504' would silently become 1.504
            if not pd.api.types.is_numeric_dtype(tab[c]) or pd.api.types.is_bool_dtype(tab[c]):
                example = tab[c].dropna().iloc[0] if tab[c].notna().any() else None
                raise InputError(
                    f"count column {c!r} of {name} is not numeric (e.g. {example!r}); parse "
                    f"printed counts with sw.PopulationFrame.from_long(..., thousands='.') or "
                    f"sw.parse_count first"
                )
        return tab[list(value_cols)].astype(float)

    fv, pv = numeric(f_tab, "the frame"), numeric(p_tab, "the published frame")
    f_keys, p_keys = _keys(f_tab, cols), _keys(p_tab, cols)
    for keys, name in ((f_keys, "the frame"), (p_keys, "the published frame")):
        seen: set[tuple] = set()
        for k in keys:
            if k in seen:
                raise InputError(f"stratum {_show_key(cols, k)} appears twice in {name}; each "
                                 f"stratum must have one row")
            seen.add(k)
    f_index = {k: i for i, k in enumerate(f_keys)}
    p_index = {k: i for i, k in enumerate(p_keys)}

    lines: list[str] = []
    n_cells = 0
    for k in p_keys:
        if k not in f_index:
            continue
        bad = False
        for c in value_cols:
            e, a = pv[c].iloc[p_index[k]], fv[c].iloc[f_index[k]]
            if not _close(a, e, 0.0, atol):
                bad = True
                lines.append(f"stratum {_show_key(cols, k)}: {c} expected {_fmt(e)}, actual {_fmt(a)}, "
                             f"{_diff(a, e)}")
        n_cells += bad
    only_p = [k for k in p_keys if k not in f_index]
    only_f = [k for k in f_keys if k not in p_index]
    for k in only_p:
        vals = ", ".join(f"{c} {_fmt(pv[c].iloc[p_index[k]])}" for c in value_cols)
        lines.append(f"stratum {_show_key(cols, k)}: missing from the frame (published {vals})")
    for k in only_f:
        vals = ", ".join(f"{c} {_fmt(fv[c].iloc[f_index[k]])}" for c in value_cols)
        lines.append(f"stratum {_show_key(cols, k)}: in the frame but not published ({vals})")

    n_margins = 0
    if len(cols) > 1:
        for c in cols:
            fm = fv.groupby([k for k in f_tab[c].map(_value)], sort=False).sum()
            pm = pv.groupby([k for k in p_tab[c].map(_value)], sort=False).sum()
            levels = list(pm.index) + [lv for lv in fm.index if lv not in pm.index]
            for lv in levels:
                bad = False
                for vc in value_cols:
                    e = pm[vc].get(lv, 0.0)
                    a = fm[vc].get(lv, 0.0)
                    if not _close(a, e, 0.0, atol):
                        bad = True
                        lines.append(f"margin {c}={lv!r}: {vc} expected {_fmt(e)}, actual {_fmt(a)}, "
                                     f"{_diff(a, e)}")
                n_margins += bad
    total_bad = False
    for vc in value_cols:
        e, a = pv[vc].sum(), fv[vc].sum()
        if not _close(a, e, 0.0, atol):
            total_bad = True
            lines.append(f"total: {vc} expected {_fmt(e)}, actual {_fmt(a)}, {_diff(a, e)}")
    if lines:
        parts = [f"{n_cells} of {len(p_keys)} strata"]
        if only_p:
            parts.append(f"{len(only_p)} {'stratum' if len(only_p) == 1 else 'strata'} missing")
        if only_f:
            parts.append(f"{len(only_f)} {'stratum' if len(only_f) == 1 else 'strata'} not published")
        if n_margins:
            parts.append(f"{n_margins} margin{'s' if n_margins > 1 else ''}")
        if total_bad:
            parts.append("the total")
        what = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
        _fail(f"frame differs from the published frame in {what} (columns {list(value_cols)}, "
              f"tolerance atol={_fmt(atol)}):", lines, max_lines)


# ------------------------------------------------------------------ weights
def _weights_and_data(design_or_weights: Any, data: Any) -> tuple[pd.Series, pd.DataFrame]:
    if isinstance(design_or_weights, Design):
        require_memory(design_or_weights, "this assertion (it reads every unit's weight)",
                       alternatives="sw.total of each margin's column on the engine, compared with "
                                    "assert_estimates_close, or ")
        if data is not None:
            raise InputError("data= is only for a weights Series; a Design carries its own data")
        return design_or_weights.weights, design_or_weights.data
    w = design_or_weights.weights if isinstance(design_or_weights, PostStratification) else design_or_weights
    if not isinstance(w, pd.Series):
        raise InputError(
            f"design_or_weights must be a Design, a PostStratification or a pandas Series of "
            f"weights, got {type(design_or_weights).__name__}"
        )
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            "a weights Series needs data=: the DataFrame holding the stratum columns, with "
            "the same index as the weights"
        )
    if not w.index.equals(data.index):
        if len(w) != len(data) or not w.index.isin(data.index).all() or not w.index.is_unique:
            raise InputError(
                f"the weights ({len(w)} values) are not aligned with data= ({len(data)} rows): "
                f"give a Series with the same index as the data"
            )
        w = w.reindex(data.index)
    return w, data


def _rows_text(index: pd.Index, limit: int = 5) -> str:
    shown = ", ".join(_fmt(_value(i)) for i in index[:limit])
    return shown + (", ..." if len(index) > limit else "")


def assert_weights_calibrated(
    design_or_weights: Design | PostStratification | pd.Series,
    frame: PopulationFrame | pd.DataFrame,
    strata: str | Sequence[str] | None = None,
    *,
    data: pd.DataFrame | None = None,
    count: str | None = None,
    poststratified: bool = True,
    rtol: float = 1e-9,
    atol: float = 0,
    max_lines: int = MAX_LINES,
) -> None:
    """Assert that the weights sum to N_h in every stratum and to N, and equal N_h/n_h.

    Parameters
    ----------
    design_or_weights : Design, PostStratification or pandas.Series
        The weights under test: a design (its weights and data), a
        :class:`~surveyweights.PostStratification` or a Series of weights (then pass
        ``data=``).
    frame : PopulationFrame or pandas.DataFrame
        The population counts N_h, e.g. ``sw.datasets.barometer_2025_frame()``.
    strata : str or list of str, optional
        The stratum columns, present in the data and the frame.  Default: the
        frame's strata (a PopulationFrame).
    data : pandas.DataFrame, optional, keyword-only
        The respondents, with the stratum columns, when the weights are a Series.
    count : str, optional, keyword-only
        The frame's N_h column; default the PopulationFrame's ``count``, or ``"N"``.
    poststratified : bool, default True, keyword-only
        Also check that every weight equals N_h / n_h, n_h being the number of
        respondents of its stratum in the data.  Pass ``False`` for weights that only
        need to sum to N_h (e.g. after a within-stratum nonresponse adjustment).
    rtol, atol : float, keyword-only
        A sum S passes when |S - N_h| <= atol + rtol N_h (numpy's rule); the same
        for each weight against N_h / n_h.
    max_lines : int, default 20, keyword-only

    Raises
    ------
    AssertionError
        Naming each stratum whose weight sum is not N_h, each stratum whose weights
        are not N_h / n_h (with an example row), respondents in strata absent from the
        frame or without a stratum, and a wrong total.
    InputError
        Unknown columns, misaligned weights, a non-numeric N_h.

    Notes
    -----
    A population stratum with no respondents has weight sum 0, which fails unless
    N_h = 0: a design that collapsed it into a neighbour is calibrated to the
    collapsed frame, not to this one, and the message says where it went.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> from surveyweights import testing as swt
    >>> pop = pd.DataFrame({"size": ["micro", "large"], "N": [300, 20]})
    >>> data = pd.DataFrame({"size": ["micro"] * 3 + ["large"] * 2})
    >>> d = sw.Design.from_population(data, pop, strata="size")
    >>> swt.assert_weights_calibrated(d, pop, strata="size")      # passes silently
    >>> swt.assert_weights_calibrated(d, pop.assign(N=[300, 30]), strata="size")
    Traceback (most recent call last):
    ...
    AssertionError: weights are not calibrated to the frame in 1 of 2 strata and the total (rtol=1e-09, atol=0):
      stratum size='large': weight sum expected N_h = 30, actual 20, difference -10 (tolerance 3e-08)
      stratum size='large': 2 of 2 weights differ from N_h/n_h = 30/2 = 15, e.g. row 3: 10 (difference -5, tolerance 1.5e-08)
      total: weight sum expected N = 330, actual 320, difference -10 (tolerance 3.3e-07)
    """
    max_lines = _check_max_lines(max_lines)
    rtol, atol = _check_tolerance(rtol, atol)
    w, data = _weights_and_data(design_or_weights, data)
    tab, f_strata, _, f_count = _frame_parts(frame, what="frame")
    if strata is None:
        if f_strata is None:
            raise InputError("strata= is needed when the frame is a DataFrame; pass e.g. "
                             "strata=['nace', 'size']")
        cols = f_strata
    else:
        cols = as_columns(strata, what="strata")
    count = count or f_count or "N"
    check_columns(tab, [*cols, count], what="strata or count", table="the frame")
    check_columns(data, cols, what="strata", table="the data")
    N = pd.to_numeric(tab[count], errors="coerce").to_numpy(dtype=float)
    if np.isnan(N).any():
        raise InputError(f"the frame's count column {count!r} has missing or non-numeric values; "
                         f"give N_h for every stratum")
    wv = pd.to_numeric(w, errors="coerce").to_numpy(dtype=float)

    lines: list[str] = []
    missing = data[list(cols)].isna().any(axis=1).to_numpy()
    if missing.any():
        lines.append(f"{int(missing.sum())} respondent(s) have no stratum (row {_rows_text(data.index[missing])}), "
                     f"weight sum {_fmt(float(np.nansum(wv[missing])))}")
    f_keys = _keys(tab, cols)
    where = {k: i for i, k in enumerate(f_keys)}
    d_keys = _keys(data, cols)
    code = np.array([where.get(k, -1) if not m else -2 for k, m in zip(d_keys, missing)], dtype=np.int64)
    outside = code == -1
    if outside.any():
        extra: dict[tuple, list[int]] = {}
        for i in np.flatnonzero(outside):
            extra.setdefault(d_keys[i], []).append(i)
        for k, rows in extra.items():
            lines.append(f"stratum {_show_key(cols, k)}: {len(rows)} respondent(s) (row "
                         f"{_rows_text(data.index[rows])}) with weight sum {_fmt(float(np.nansum(wv[rows])))}, "
                         f"but the stratum is not in the frame")
    inside = code >= 0
    K = len(f_keys)
    sums = np.bincount(code[inside], weights=wv[inside], minlength=K)
    n_h = np.bincount(code[inside], minlength=K)
    collapsed = {}
    if isinstance(design_or_weights, Design) and design_or_weights.weighting is not None:
        diag = design_or_weights.weighting.diagnostics
        if set(cols) <= set(diag.columns):
            for k, into in zip(_keys(diag, cols), diag["collapsed_into"]):
                if into != " | ".join(str(v) for v in k):
                    collapsed[k] = into
    n_bad = 0
    for j, k in enumerate(f_keys):
        bad = False
        if not _close(sums[j], N[j], rtol, atol):
            bad = True
            hint = f" (collapsed into {collapsed[k]!r} by the weighting)" if k in collapsed else ""
            lines.append(f"stratum {_show_key(cols, k)}: weight sum expected N_h = {_fmt(N[j])}, actual "
                         f"{_fmt(float(sums[j]))}, {_diff(sums[j], N[j])} ({_tol(N[j], rtol, atol)}){hint}")
        if poststratified and n_h[j] > 0:
            target = N[j] / n_h[j]
            rows = np.flatnonzero(code == j)
            off = [i for i in rows if not _close(wv[i], target, rtol, atol)]
            if off:
                bad = True
                i = off[0]
                lines.append(f"stratum {_show_key(cols, k)}: {len(off)} of {len(rows)} weights differ from "
                             f"N_h/n_h = {_fmt(N[j])}/{n_h[j]} = {target:.10g}, e.g. row "
                             f"{_fmt(_value(data.index[i]))}: {_fmt(float(wv[i]))} ({_diff(wv[i], target)}, "
                             f"{_tol(target, rtol, atol)})")
        n_bad += bad
    total_e, total_a = float(N.sum()), float(np.nansum(wv))
    total_bad = not _close(total_a, total_e, rtol, atol)
    if total_bad:
        lines.append(f"total: weight sum expected N = {_fmt(total_e)}, actual {_fmt(total_a)}, "
                     f"{_diff(total_a, total_e)} ({_tol(total_e, rtol, atol)})")
    if lines:
        what = f"{n_bad} of {K} strata" + (" and the total" if total_bad else "")
        if outside.any() or missing.any():
            what += ", with respondents outside the frame"
        _fail(f"weights are not calibrated to the frame in {what} (rtol={_fmt(rtol)}, "
              f"atol={_fmt(atol)}):", lines, max_lines)


# ------------------------------------------------------------------ margins
def _margin_targets(margins: Any) -> list[tuple[tuple[str, ...], tuple | None, float]]:
    """Margins as (variables, level tuple or None for a numeric total, target)."""
    out: list[tuple[tuple[str, ...], tuple | None, float]] = []

    def target(v: Any, where: str) -> float:
        if isinstance(v, (bool, np.bool_)):
            raise InputError(f"the target of {where} is {v!r}, not a number")
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InputError(f"the target of {where} is {v!r}, not a number; give the "
                             f"population total, e.g. 1504") from None
        if not math.isfinite(f):
            raise InputError(f"the target of {where} is {v!r}; give a finite population total")
        return f

    def variables(key: Any) -> tuple[str, ...]:
        if isinstance(key, str):
            return (key,)
        if isinstance(key, tuple) and key and all(isinstance(k, str) for k in key):
            return key
        raise InputError(f"margin key {key!r} is not a column name or a tuple of column names "
                         f"(a crossed margin, e.g. ('nace', 'size'))")

    if isinstance(margins, pd.DataFrame):
        check_columns(margins, ["variable", "level", "target"], what="margin",
                      table="the margins table")
        for var, level, t in zip(margins["variable"], margins["level"], margins["target"]):
            vs = variables(var)
            lv = _value(level) if not isinstance(level, tuple) else level
            if lv is None or lv == "":
                out.append((vs, None, target(t, f"margin {var!r}")))
            else:
                lvl = lv if isinstance(lv, tuple) else (lv,)
                if len(lvl) != len(vs):
                    raise InputError(f"level {level!r} of margin {var!r} needs {len(vs)} value(s), one "
                                     f"per variable")
                out.append((vs, lvl, target(t, f"margin {var!r} level {level!r}")))
    elif isinstance(margins, Mapping):
        for key, spec in margins.items():
            vs = variables(key)
            if isinstance(spec, (Mapping, pd.Series)):
                for level, t in spec.items():
                    lvl = level if isinstance(level, tuple) else (level,)
                    if len(lvl) != len(vs):
                        raise InputError(
                            f"level {level!r} of margin {key!r} needs {len(vs)} value(s), one per "
                            f"variable, e.g. {tuple('...' for _ in vs)}"
                        )
                    out.append((vs, lvl, target(t, f"margin {key!r} level {level!r}")))
            else:
                if len(vs) != 1:
                    raise InputError(f"crossed margin {key!r} needs a mapping {{levels: target}}")
                out.append((vs, None, target(spec, f"margin {key!r}")))
    else:
        raise InputError(
            f"margins must be a dict {{variable: {{level: target}}}} (or {{variable: total}} for "
            f"a numeric variable, tuple keys for crossed margins) or a DataFrame with columns "
            f"variable, level, target; got {type(margins).__name__}"
        )
    if not out:
        raise InputError("margins is empty: give at least one target")
    return out


def assert_margins(
    design: Design | pd.Series,
    margins: Mapping[Any, Any] | pd.DataFrame,
    *,
    data: pd.DataFrame | None = None,
    population_size: float | None = None,
    check_levels: bool = True,
    rtol: float = 1e-9,
    atol: float = 0,
    max_lines: int = MAX_LINES,
) -> None:
    """Assert that the weighted totals of a (calibrated) design equal the margins.

    Works on any design: the weighted count of each level (or the weighted total of
    a numeric variable) is computed from the design's weights and data and compared
    with its target, so it checks a calibration (raking, linear, logit) whatever
    produced it: :func:`surveyweights.calibrate` or another program's weights.
    ``margins`` takes the forms ``sw.calibrate`` takes.

    Parameters
    ----------
    design : Design or pandas.Series
        The design, or a Series of weights with ``data=``.
    margins : dict or pandas.DataFrame
        The targets, in the forms calibration takes:

        * ``{"size": {"micro": 16148, "large": 1128, ...}}``: weighted count per level;
        * ``{"employees": 512000.0}``: weighted total of a numeric column;
        * ``{("nace", "size"): {("10-33", "micro"): 1504, ...}}``: a crossed margin;
        * a long DataFrame with columns ``variable``, ``level``, ``target`` (``level``
          empty for a numeric total; tuples for a crossed margin).
    data : pandas.DataFrame, optional, keyword-only
        The data, when ``design`` is a Series of weights.
    population_size : float, optional, keyword-only
        Also check that the weights sum to this N (a calibration's intercept).
    check_levels : bool, default True, keyword-only
        Also fail when a level present in the data (with positive weight) has no
        target in a categorical margin: a calibration margin covers every level.
    rtol, atol : float, keyword-only
        A total T passes when |T - target| <= atol + rtol |target|.
    max_lines : int, default 20, keyword-only

    Raises
    ------
    AssertionError
        Naming every margin cell whose weighted total differs (target, actual,
        difference, tolerance), levels without a target, and numeric variables with
        missing values.
    InputError
        Unknown columns, a target that is not a number, a malformed margin.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> from surveyweights import testing as swt
    >>> df = pd.DataFrame({"size": ["micro", "micro", "large"], "w": [5.0, 5.0, 2.0]})
    >>> d = sw.Design(df, weights="w")
    >>> swt.assert_margins(d, {"size": {"micro": 10, "large": 2}})   # passes silently
    >>> swt.assert_margins(d, {"size": {"micro": 12, "large": 2}})
    Traceback (most recent call last):
    ...
    AssertionError: weighted totals differ from 1 of 2 margin targets (rtol=1e-09, atol=0):
      size='micro': target 12, weighted total 10, difference -2 (tolerance 1.2e-08)
    """
    max_lines = _check_max_lines(max_lines)
    rtol, atol = _check_tolerance(rtol, atol)
    w, data = _weights_and_data(design, data)
    wv = pd.to_numeric(w, errors="coerce").to_numpy(dtype=float)
    targets = _margin_targets(margins)
    check_columns(data, sorted({v for vs, _, _ in targets for v in vs}), what="margin",
                  table="the data")
    lines: list[str] = []
    n_bad = 0
    if population_size is not None:
        N = float(population_size)
        actual = float(wv.sum())
        targets_n = len(targets) + 1
        if not _close(actual, N, rtol, atol):
            n_bad += 1
            lines.append(f"population size: target {_fmt(N)}, sum of the weights {_fmt(actual)}, "
                         f"{_diff(actual, N)} ({_tol(N, rtol, atol)})")
    else:
        targets_n = len(targets)
    covered: dict[tuple[str, ...], set] = {}
    for vs, level, t in targets:
        label = _show_key(vs, level) if level is not None else f"total of {vs[0]!r}"
        if level is None:
            x = pd.to_numeric(data[vs[0]], errors="coerce").to_numpy(dtype=float)
            nan = np.isnan(x)
            if nan.any():
                n_bad += 1
                lines.append(f"{label}: {int(nan.sum())} missing or non-numeric value(s) (row "
                             f"{_rows_text(data.index[nan])}), so the weighted total is undefined; "
                             f"target {_fmt(t)}")
                continue
            actual = float(np.dot(wv, x))
        else:
            mask = np.ones(len(data), dtype=bool)
            for v, lv in zip(vs, level):
                mask &= data[v].eq(lv).fillna(False).to_numpy(dtype=bool)
            covered.setdefault(vs, set()).add(tuple(_value(x) for x in level))
            actual = float(wv[mask].sum())
        if not _close(actual, t, rtol, atol):
            n_bad += 1
            hint = ""
            if level is not None and actual == 0:
                seen = data[vs[0]].dropna().unique()[:6]
                hint = (f"; no respondent has this level (values of {vs[0]!r} include "
                        f"{[_value(s) for s in seen]})")
            lines.append(f"{label}: target {_fmt(t)}, weighted total {_fmt(actual)}, "
                         f"{_diff(actual, t)} ({_tol(t, rtol, atol)}){hint}")
    n_levels = 0
    if check_levels:
        for vs, known in covered.items():
            present = data[list(vs)].dropna()
            keys = _keys(present, vs)
            wsub = wv[data.index.get_indexer(present.index)]
            extra: dict[tuple, float] = {}
            for k, wi in zip(keys, wsub):
                if k not in known:
                    extra[k] = extra.get(k, 0.0) + float(wi)
            for k, s in extra.items():
                if s > 0:
                    n_levels += 1
                    lines.append(f"{_show_key(vs, k)}: weighted total {_fmt(s)} but no target in the "
                                 f"margin of {vs if len(vs) > 1 else vs[0]!r} (pass check_levels=False "
                                 f"to allow a partial margin)")
    if lines:
        what = f"{n_bad} of {targets_n} margin targets"
        if n_levels:
            what += f" and {n_levels} level(s) without a target"
        _fail(f"weighted totals differ from {what} (rtol={_fmt(rtol)}, atol={_fmt(atol)}):",
              lines, max_lines)


# ---------------------------------------------------------------- estimates
def _estimate_table(estimates: Any) -> tuple[pd.DataFrame, tuple[str, ...], str | None]:
    """(tidy table, by columns, kind) of an Estimates result or a tidy DataFrame."""
    kind = getattr(estimates, "kind", None)
    by = tuple(getattr(estimates, "by", ()) or ())
    if isinstance(estimates, pd.DataFrame):
        table = estimates
    elif hasattr(estimates, "to_frame") and callable(estimates.to_frame):
        table = estimates.to_frame()
    else:
        raise InputError(
            f"estimates must be an Estimates result (sw.proportion, sw.mean, sw.total) or its "
            f".to_frame(), got {type(estimates).__name__}"
        )
    if not isinstance(table, pd.DataFrame) or "estimate" not in table.columns:
        raise InputError("the estimates have no 'estimate' column; pass an Estimates result or "
                         "its .to_frame()")
    if not by and not hasattr(estimates, "by"):
        anchor = "variable" if "variable" in table.columns else None
        if anchor:
            by = tuple(table.columns[: list(table.columns).index(anchor)])
    return table, by, kind


def _key_columns(table: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    """The columns that identify an estimate: by, variable (if several) and level (if any)."""
    cols = list(by)
    if "variable" in table.columns and table["variable"].nunique(dropna=False) > 1:
        cols.append("variable")
    if "level" in table.columns and table["level"].notna().any():
        cols.append("level")
    return cols


def _norm(v: Any) -> str | None:
    """A key value compared by its printed form: 1, 1.0, np.int64(1) and '1' all match."""
    v = _value(v)
    return None if v is None else str(v)


def _lookup(table: pd.DataFrame, key_cols: list[str]) -> dict[tuple, list[int]]:
    index: dict[tuple, list[int]] = {}
    for i, k in enumerate(zip(*(table[c].tolist() for c in key_cols)) if key_cols else [()] * len(table)):
        index.setdefault(tuple(_norm(v) for v in k), []).append(i)
    return index


def _expected_rows(expected: Any, table: pd.DataFrame, by: tuple[str, ...], *,
                   value_cols: Sequence[str] | None, what: str) -> tuple[list[str], list[tuple], list[dict]]:
    """Normalise the expected values to (key columns, keys, {column: value} per row)."""
    all_keys = [*by, *(["variable"] if "variable" in table.columns else []),
                *(["level"] if "level" in table.columns else [])]
    natural = _key_columns(table, by)
    if isinstance(expected, pd.DataFrame):
        if len(expected) == 0:
            raise InputError(f"the expected {what} table has no rows")
        key_cols = [c for c in all_keys if c in expected.columns]
        if value_cols is None:
            vals = [c for c in VALUE_COLUMNS if c in expected.columns]
        else:
            vals = list(value_cols)
            check_columns(expected, vals, what=what, table="the expected table")
        if not vals:
            raise InputError(
                f"the expected table has none of the columns {list(VALUE_COLUMNS)}; name the "
                f"column(s) to compare, e.g. an 'estimate' column"
            )
        keys = [tuple(_norm(v) for v in k) for k in zip(*(expected[c].tolist() for c in key_cols))] \
            if key_cols else [()] * len(expected)
        rows = [dict(zip(vals, r)) for r in zip(*(expected[c].tolist() for c in vals))]
        return key_cols, keys, rows
    cols = list(value_cols) if value_cols is not None else ["estimate"]
    if isinstance(expected, (Mapping, pd.Series)):
        items = list(expected.items())
        if not items:
            raise InputError(f"the expected {what} mapping is empty")
        lens = {len(k) if isinstance(k, tuple) else 1 for k, _ in items}
        if len(lens) != 1:
            raise InputError(f"the keys of the expected {what} have different lengths; give every "
                             f"key as ({', '.join(natural)})")
        (n,) = lens
        if n == len(natural):
            key_cols = natural
        elif n == len(all_keys):
            key_cols = all_keys
        else:
            raise InputError(
                f"the expected {what} keys have {n} value(s), but the estimates are identified by "
                f"({', '.join(natural) or 'nothing: give a single number'})"
            )
        keys, rows = [], []
        for k, v in items:
            keys.append(tuple(_norm(x) for x in (k if isinstance(k, tuple) else (k,))))
            rows.append(dict(v) if isinstance(v, Mapping) else {c: v for c in cols[:1]})
        return key_cols, keys, rows
    if isinstance(expected, (int, float, str, Decimal, np.number)) and not isinstance(expected, bool):
        if len(table) != 1:
            listing = ", ".join(
                _show_key(natural, k) for k in zip(*(table[c].tolist() for c in natural)))[:300] if natural else ""
            raise InputError(
                f"a single expected value needs a single estimate, but there are {len(table)} "
                f"({listing}); give a mapping {{level: value}} or select one level (level=...)"
            )
        return [], [()], [{cols[0]: expected}]
    raise InputError(
        f"expected must be a number, a mapping {{key: value}} or a DataFrame, got "
        f"{type(expected).__name__}"
    )


def _match(key_cols: list[str], keys: list[tuple], table: pd.DataFrame, by: tuple[str, ...],
           expected: Any) -> tuple[list[int | None], list[str]]:
    """Row of the table for each expected key (None when absent); InputError if ambiguous."""
    index = _lookup(table, key_cols)
    natural = _key_columns(table, by)
    out: list[int | None] = []
    for k in keys:
        rows = index.get(k, [])
        if len(rows) > 1:
            ignored = ""
            if isinstance(expected, pd.DataFrame):
                other = [c for c in expected.columns if c not in key_cols and c not in VALUE_COLUMNS]
                ignored = f" (columns {other} of the expected table are not estimate keys)" if other else ""
            raise InputError(
                f"expected row ({_show_key(key_cols, k) or 'no key'}) matches {len(rows)} estimates"
                f"{ignored}; identify each estimate by ({', '.join(natural)})"
            )
        out.append(rows[0] if rows else None)
    return out, natural


def _available(table: pd.DataFrame, cols: list[str]) -> str:
    parts = []
    for c in cols:
        vals = list(dict.fromkeys(_norm(v) for v in table[c].tolist()))
        shown = ", ".join(repr(v) for v in vals[:8]) + (", ..." if len(vals) > 8 else "")
        parts.append(f"{c} in [{shown}]")
    return "; ".join(parts)


def assert_estimates_close(
    estimates: Any,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 0,
    columns: Sequence[str] | None = None,
    max_lines: int = MAX_LINES,
) -> None:
    """Assert that estimates equal expected numbers (e.g. R's output), domain by domain.

    Expected values are matched to the estimates by domain (the ``by`` columns),
    variable and level, never by row order; estimates without an expected value are
    not checked.

    Parameters
    ----------
    estimates : Estimates or pandas.DataFrame
        A result of :func:`~surveyweights.proportion`, :func:`~surveyweights.mean`,
        :func:`~surveyweights.total` (or its ``.to_frame()``).
    expected : number, mapping or pandas.DataFrame
        * a number, when there is one estimate;
        * a mapping ``{key: value}``, the key being the level, or the tuple
          ``(*by values, level)`` (with the variable before the level when there
          are several variables); the value a number (the estimate) or a mapping
          ``{"estimate": ..., "se": ...}``;
        * a DataFrame with the ``by``, ``variable`` and/or ``level`` columns it needs
          and any of ``estimate, se, ci_low, ci_high, df, n, deff, n_eff,
          n_missing``; other columns are ignored.
    rtol, atol : float, keyword-only
        A value passes when |actual - expected| <= atol + rtol |expected| (numpy's
        rule); NaN matches NaN.  R parity uses ``rtol=1e-8``.
    columns : list of str, optional, keyword-only
        The columns to compare (default: all value columns of a DataFrame; the
        estimate for numbers and mappings of numbers).
    max_lines : int, default 20, keyword-only

    Raises
    ------
    AssertionError
        Naming each domain and level whose value differs (expected, actual,
        difference, tolerance) and each expected domain or level that has no estimate.
    InputError
        An expected key that matches several estimates, an unknown column.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> from surveyweights import testing as swt
    >>> df = pd.DataFrame({"h": list("aaabbb"), "w": [2.0] * 3 + [3.0] * 3,
    ...                    "y": [1.0, 3.0, 2.0, 5.0, 7.0, 6.0], "g": list("xxxyyy")})
    >>> d = sw.Design(df, weights="w", strata="h")
    >>> swt.assert_estimates_close(sw.mean(d, "y"), 4.4)                 # passes silently
    >>> swt.assert_estimates_close(sw.mean(d, "y", by="g"), {"x": 2.0, "y": 6.5})
    Traceback (most recent call last):
    ...
    AssertionError: 1 of 2 expected estimates differ (rtol=1e-07, atol=0):
      g='y': estimate expected 6.5, actual 6, difference -0.5 (tolerance 6.5e-07)
    """
    max_lines = _check_max_lines(max_lines)
    rtol, atol = _check_tolerance(rtol, atol)
    table, by, _ = _estimate_table(estimates)
    key_cols, keys, rows = _expected_rows(expected, table, by, value_cols=columns, what="estimates")
    matched, natural = _match(key_cols, keys, table, by, expected)
    lines: list[str] = []
    n_bad = 0
    for k, row, pos in zip(keys, rows, matched):
        name = _show_key(key_cols, k) or "the estimate"
        if pos is None:
            n_bad += 1
            lines.append(f"{name}: no such estimate (the estimates have {_available(table, key_cols)})")
            continue
        bad = False
        for c, e in row.items():
            if c not in table.columns:
                raise InputError(f"column {c!r} is not in the estimates; compare one of "
                                 f"{[v for v in VALUE_COLUMNS if v in table.columns]}")
            try:
                ef = float(e)
            except (TypeError, ValueError):
                raise InputError(f"expected {c} of {name} is {e!r}, not a number") from None
            a = float(table[c].iloc[pos])
            if not _close(a, ef, rtol, atol):
                bad = True
                lines.append(f"{name}: {c} expected {_fmt(ef)}, actual {_fmt(a)}, {_diff(a, ef)} "
                             f"({_tol(ef, rtol, atol)})")
        n_bad += bad
    if lines:
        _fail(f"{n_bad} of {len(keys)} expected estimates differ (rtol={_fmt(rtol)}, "
              f"atol={_fmt(atol)}):", lines, max_lines)


# --------------------------------------------------------- published figures
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _parse_published(value: Any, where: str) -> Decimal:
    """A printed figure as an exact Decimal: 58.8, '58,8', '58,8%', '1.234,5', '−3,2'."""
    if isinstance(value, (bool, np.bool_)):
        raise InputError(f"published value {value!r} ({where}) is a boolean, not a number")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, (int, np.integer)):
        d = Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InputError(f"published value {value!r} ({where}) is missing or not finite; "
                             f"leave unpublished cells out")
        d = Decimal(repr(float(value)))
    elif isinstance(value, str):
        s = value.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
        s = s.removesuffix("%")
        if "," in s and "." in s:  # the last mark is the decimal one
            dec = "," if s.rfind(",") > s.rfind(".") else "."
            s = s.replace("." if dec == "," else ",", "")
        s = s.replace(",", ".")
        if not _NUMBER.fullmatch(s):
            raise InputError(
                f"published value {value!r} ({where}) is not a number; give it as printed, e.g. "
                f"'58,8' or '58,8%' (Dutch decimal comma) or 58.8"
            )
        d = Decimal(s)
    else:
        raise InputError(f"published value {value!r} ({where}) has type {type(value).__name__}; "
                         f"give a number or the printed text")
    return d


def _round_half_away(x: float, scale: Decimal, decimals: int) -> Decimal:
    """``x * scale`` rounded half away from zero in decimal arithmetic on ``repr(x)``."""
    d = Decimal(repr(float(x))) * scale
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(q) if q == 0 else q


def assert_published_within_rounding(
    estimates: Any,
    published: Any,
    *,
    decimals: int = 1,
    scale: float | None = None,
    column: str | None = None,
    max_lines: int = MAX_LINES,
) -> None:
    """Assert that each published figure is the estimate rounded as the report rounds.

    The estimate times ``scale`` (100: a share printed as a percentage) is rounded
    to ``decimals`` places **half away from zero** in decimal arithmetic on the
    float's shortest representation (the report's rule, as
    :func:`surveyweights.report.formatting.format_percent`), and must equal the
    published figure.

    Parameters
    ----------
    estimates : Estimates or pandas.DataFrame
        E.g. ``sw.proportion(design, "adoption", by="size")``.
    published : number, str, mapping or pandas.DataFrame
        The printed figures: ``58.8`` or ``"58,8"``/``"58,8%"`` (Dutch decimal comma)
        for a single estimate; a mapping ``{level: figure}`` or
        ``{(*by values, level): figure}``; or a DataFrame with the ``by``, ``variable``
        and/or ``level`` columns it needs and a figure column (``column=``; default the
        first of ``published``, ``percent``, ``percent_text``, ``value``).
    decimals : int, default 1, keyword-only
        Decimal places of the printed figures.
    scale : float, optional, keyword-only
        Factor from estimate to printed unit.  Default: 100 (percentages), except 1
        for the means and totals of an Estimates result.
    column : str, optional, keyword-only
        The figure column of a DataFrame ``published``.
    max_lines : int, default 20, keyword-only

    Raises
    ------
    AssertionError
        Naming each domain and level whose estimate does not round to the published
        figure: the figure, the estimate, what it rounds to, the difference and the
        interval of values that print as the figure (the tolerance).
    InputError
        A published value that is not a number or has more decimals than
        ``decimals``; a key that matches several estimates.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> from surveyweights import testing as swt
    >>> df = pd.DataFrame({"ai": ["yes"] * 5 + ["no"] * 3})
    >>> est = sw.proportion(sw.Design(df), "ai")               # yes: 0.625, no: 0.375
    >>> swt.assert_published_within_rounding(est, {"yes": "62,5%", "no": 37.5})
    >>> swt.assert_published_within_rounding(est, {"yes": 63, "no": 38}, decimals=0)
    >>> swt.assert_published_within_rounding(est, {"yes": "62,4"})
    Traceback (most recent call last):
    ...
    AssertionError: 1 of 1 published figures are not the estimate rounded half away from zero to 1 decimal (scale 100):
      level='yes': published 62.4, estimate 62.5 rounds to 62.5, difference +0.1 (tolerance: 62.4 is printed for [62.35, 62.45))
    """
    max_lines = _check_max_lines(max_lines)
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or decimals < 0:
        raise InputError(f"decimals={decimals!r} is not a whole number >= 0; give e.g. decimals=1 "
                         f"for 58,8%")
    decimals = int(decimals)
    table, by, kind = _estimate_table(estimates)
    if scale is None:
        scale_d = Decimal(1) if kind in ("mean", "total") else Decimal(100)
    else:
        try:
            sf = float(scale)
        except (TypeError, ValueError):
            sf = float("nan")
        if isinstance(scale, bool) or not math.isfinite(sf) or sf <= 0:
            raise InputError(f"scale={scale!r} is not a positive number; give 100 for percentages "
                             f"or 1 for figures in the estimate's own unit")
        scale_d = Decimal(repr(sf)) if isinstance(scale, float) else Decimal(str(scale))
    if isinstance(published, pd.DataFrame):
        if column is None:
            column = next((c for c in ("published", "percent", "percent_text", "value")
                           if c in published.columns), None)
            if column is None:
                raise InputError(
                    f"the published table has no figure column (published, percent, "
                    f"percent_text or value); name it with column=, columns are "
                    f"{list(map(str, published.columns))}"
                )
        check_columns(published, [column], what="figure", table="the published table")
        pub = published.rename(columns={column: "__published__"})
        if "estimate" in pub.columns:
            pub = pub.drop(columns="estimate")
        pub = pub.rename(columns={"__published__": "estimate"})
        key_cols, keys, rows = _expected_rows(pub, table, by, value_cols=["estimate"], what="figures")
    else:
        key_cols, keys, rows = _expected_rows(published, table, by, value_cols=None, what="figures")
    matched, _ = _match(key_cols, keys, table, by, published)
    step = Decimal(1).scaleb(-decimals)
    half = step / 2
    lines: list[str] = []
    for k, row, pos in zip(keys, rows, matched):
        name = _show_key(key_cols, k) or "the estimate"
        fig = _parse_published(row["estimate"], name)
        if fig != fig.quantize(step, rounding=ROUND_HALF_UP):
            raise InputError(
                f"published value {row['estimate']!r} ({name}) has more than decimals={decimals} "
                f"decimal(s); pass the number of decimals the report prints"
            )
        fig = fig.quantize(step)
        if pos is None:
            lines.append(f"{name}: published {fig}, but there is no such estimate (the estimates "
                         f"have {_available(table, key_cols)})")
            continue
        est = float(table["estimate"].iloc[pos])
        interval = (f"{fig} is printed for [{fig - half}, {fig + half})" if fig >= 0 else
                    f"{fig} is printed for ({fig - half}, {fig + half}]")
        if not math.isfinite(est):
            lines.append(f"{name}: published {fig}, estimate is {est!r} (tolerance: {interval})")
            continue
        got = _round_half_away(est, scale_d, decimals)
        if got != fig:
            scaled = Decimal(repr(est)) * scale_d
            lines.append(f"{name}: published {fig}, estimate {_fmt(float(scaled))} rounds to {got}, "
                         f"{_diff(float(scaled), float(fig))} (tolerance: {interval})")
    if lines:
        _fail(f"{len(lines)} of {len(keys)} published figures are not the estimate rounded half away "
              f"from zero to {decimals} decimal{'s' if decimals != 1 else ''} (scale {scale_d}):",
              lines, max_lines)
