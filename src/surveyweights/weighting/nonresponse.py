"""Nonresponse adjustment within response classes (weighting-class adjustment).

Starting from the design of the full sample (respondents and nonrespondents,
with design weights d), each respondent's weight is inflated by the inverse of
the weighted response rate of its class c:

    w_i = d_i * (sum_{sampled in c} d) / (sum_{responded in c} d),

so that the respondents of each class carry the weight of all the units
sampled in it.  This is post-stratification of the respondents to the class
totals of the full sample, and the returned design is built that way: the
respondents, with the full sample's strata, PSUs and population sizes (fpc), and
a variance method that takes the residuals on the class indicators
(:mod:`surveyweights.variance.calibrated`).

The variance treats the respondents as the design's sample within each class
(response homogeneity groups: within a class, response is unrelated to the
outcome; Särndal, Swensson & Wretman 1992, sec. 15.6).  When the classes are the
strata, this is exact: the respondents of stratum h are then a simple random
sample of n_h of its N_h units, and the design equals
``Design.from_population`` on the respondents (weights N_h / n_h, same
estimates and SEs).  When classes cut across strata, the class totals of the
full sample are themselves estimates; their first-phase variance is not added
(R's ``twophase()`` design would add it).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._strata import as_columns, check_columns, show
from .. import _display
from ..engines.base import require_memory
from ..errors import CalibrationError, DesignError, InputError, MissingValueError
from ..variance.calibrated import CalibratedVariance, ResidualStep
from ..variance.replicate import ReplicateWeights
from .calibration import (
    CalibrationResult,
    _adjusted,
    _calibrate_spec,
    _parse,
    _require_design,
    _rows_text,
)

__all__ = ["NonresponseResult", "adjust_nonresponse"]


@dataclass(frozen=True)
class NonresponseResult:
    """What :func:`adjust_nonresponse` did (frozen); the last entry of the design's ``history``.

    Attributes
    ----------
    classes : tuple of str
        The class columns.
    table : pandas.DataFrame
        One row per class: the class columns, ``sampled``, ``responded``,
        ``weight_sampled`` (sum of d), ``weight_responded``, ``response_rate``
        (unweighted), ``weighted_response_rate`` and ``adjustment`` (its inverse,
        the factor applied to the respondents' weights).
    n_sampled, n_responded : int
    calibration : CalibrationResult
        The post-stratification of the respondents to the class totals (also the
        new design's ``calibration``).
    """

    classes: tuple[str, ...]
    table: pd.DataFrame = field(repr=False)
    n_sampled: int
    n_responded: int
    calibration: CalibrationResult = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-class table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.table)


def _responded(data: pd.DataFrame, responded) -> np.ndarray:
    if isinstance(responded, str):
        check_columns(data, [responded], what="responded", table="the design's data")
        s = data[responded]
        name = repr(responded)
    elif isinstance(responded, pd.Series):
        if not responded.index.equals(data.index):
            raise InputError("responded Series is not aligned with the design's data; pass a "
                             "column name or a Series with the data's index")
        s = responded
        name = "responded"
    else:
        arr = np.asarray(responded)
        if arr.ndim != 1 or len(arr) != len(data):
            raise InputError(f"responded must be a column name or one True/False per row ({len(data)})")
        s = pd.Series(arr, index=data.index)
        name = "responded"
    na = s.isna().to_numpy()
    if na.any():
        raise MissingValueError(
            f"{name} is missing in {int(na.sum())} row(s) (index {_rows_text(data.index, na)}); "
            f"every sampled unit must be marked as respondent (True) or not (False)"
        )
    values = set(pd.unique(s))
    if not values <= {True, False, 0, 1}:
        raise InputError(
            f"{name} must hold True/False (or 1/0), found {sorted(map(show, values - {True, False, 0, 1}))[:5]}; "
            f"compare explicitly, e.g. data['status'] == 'complete'"
        )
    return s.to_numpy().astype(bool)


def adjust_nonresponse(
    design,
    *,
    responded,
    classes: str | Sequence[str],
    collapse: Mapping[Hashable, Hashable] | None = None,
):
    """Inflate respondents' weights within response classes; returns the respondents' design.

    Parameters
    ----------
    design : Design
        The full sample: respondents and nonrespondents, with their design weights
        (e.g. N_h / m_h for m_h sampled units per stratum), strata, PSUs and fpc.
        Unchanged.  Adjust for nonresponse before calibrating.
    responded : str, boolean Series or array, keyword-only
        Which sampled units responded.
    classes : str or list of str, keyword-only
        The response classes (crossed if several), e.g. the strata, or
        ``["nace", "size"]``.
    collapse : dict, optional, keyword-only
        ``{class: merged_into_class}`` for classes without respondents (keys are
        tuples when there are several class columns).

    Returns
    -------
    Design
        The respondents (``data`` is the full sample's rows that responded), with
        weights d_i / (weighted response rate of the class), the full sample's
        strata, PSUs and population sizes; ``history`` ends with a
        :class:`NonresponseResult`.

    Raises
    ------
    CalibrationError
        A class with sampled units but no respondent (the message names it and
        suggests ``collapse=``); no respondent at all.
    DesignError
        The design is already calibrated (adjust for nonresponse first).

    Notes
    -----
    With the strata as classes and d = N_h / m_h this gives exactly N_h / n_h and
    the estimates and SEs of ``Design.from_population`` on the respondents (see
    the module docstring for the variance in general).  In R: post-stratify the
    respondents' design ``svydesign(ids=~1, strata=~h, fpc=~N_h, weights=~d,
    data=respondents)`` to the class totals of the full sample with
    ``postStratify``.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> s = pd.DataFrame({"h": list("aaaabbb"), "N": [40] * 4 + [12] * 3,
    ...                   "r": [True, True, False, True, True, True, False]})
    >>> r = sw.adjust_nonresponse(sw.Design(s, strata="h", fpc="N"), responded="r", classes="h")
    >>> r.weights.round(6).tolist()
    [13.333333, 13.333333, 13.333333, 6.0, 6.0]
    """
    _require_design(design)
    require_memory(design, "sw.adjust_nonresponse (it gives every respondent a new weight)",
                   alternatives="adjusted weights written to the source as a column (then "
                                "sw.Design(source, weights=...)), or ")

    if isinstance(design.variance, CalibratedVariance) or (
            isinstance(design.variance, ReplicateWeights) and design.calibration is not None):
        raise DesignError(
            "this design is already calibrated; adjust the full sample for nonresponse first "
            "and calibrate the respondents' design afterwards"
        )
    data = design.data
    cols = as_columns(classes, what="classes")
    check_columns(data, cols, what="classes", table="the design's data")
    for c in cols:
        na = data[c].isna().to_numpy()
        if na.any():
            raise MissingValueError(
                f"class column {c!r} is missing in {int(na.sum())} row(s) (index "
                f"{_rows_text(data.index, na)}); every sampled unit needs a response class"
            )
    resp = _responded(data, responded)
    if not resp.any():
        raise CalibrationError("no sampled unit responded; there is nothing to weight")
    d = design._w
    key = cols[0] if len(cols) == 1 else cols
    full = data[list(cols)].copy()
    full["__d"] = d
    full["__r"] = resp
    full["__rd"] = np.where(resp, d, 0.0)
    grouped = full.groupby(list(cols), sort=False, observed=True)
    table = grouped.agg(sampled=("__d", "size"), responded=("__r", "sum"),
                        weight_sampled=("__d", "sum"), weight_responded=("__rd", "sum")).reset_index()
    # collapse classes: map keys, then re-aggregate
    cmap: dict = {}
    if collapse:
        if not isinstance(collapse, Mapping):
            raise InputError("collapse must be a dict {class: merged_into_class}")
        known = {tuple(r) for r in table[list(cols)].itertuples(index=False)}
        for src, dst in collapse.items():
            s_ = src if isinstance(src, tuple) else (src,)
            t_ = dst if isinstance(dst, tuple) else (dst,)
            for k, role in ((s_, "class"), (t_, "target class")):
                if k not in known:
                    raise InputError(f"collapse {role} {src if role == 'class' else dst!r} is not a "
                                     f"class of the sample")
            cmap[s_] = t_
        for s_ in list(cmap):
            t_ = cmap[s_]
            seen = {s_}
            while t_ in cmap:
                if t_ in seen:
                    raise InputError("collapse has a cycle; every chain must end in a class that is kept")
                seen.add(t_)
                t_ = cmap[t_]
            cmap[s_] = t_
    keys = [tuple(r) for r in table[list(cols)].itertuples(index=False)]
    merged = [cmap.get(k, k) for k in keys]
    agg: dict = {}
    for k, m, ws, wr, ns, nr in zip(keys, merged, table["weight_sampled"], table["weight_responded"],
                                     table["sampled"], table["responded"]):
        a = agg.setdefault(m, [0.0, 0.0, 0, 0])
        a[0] += ws
        a[1] += wr
        a[2] += ns
        a[3] += nr
    empty = [m for m, a in agg.items() if a[3] == 0]
    if empty:
        m = empty[0]
        shown = show(m[0]) if len(m) == 1 else str(m)
        others = [k for k, a in agg.items() if a[3] > 0]
        example = (show(others[0][0]) if len(others[0]) == 1 else str(others[0])) if others else "..."
        raise CalibrationError(
            f"response class {shown} of {list(cols)} has {agg[m][2]} sampled unit(s) (weight "
            f"{show(agg[m][0])}) but no respondent, so its weight cannot be carried; merge it "
            f"into a similar class with collapse={{{shown}: {example}}}"
        )
    # the respondents, post-stratified to the full sample's class totals
    rdata = data[resp]
    if cmap:
        # the class each respondent counts in, after collapsing
        mapped = [cmap.get(k, k) for k in zip(*(rdata[c].tolist() for c in cols))]
        rdata = rdata.copy()
        for j, c in enumerate(cols):
            rdata[c] = pd.Series([m[j] for m in mapped], index=rdata.index, dtype=object)
    targets = {(m[0] if len(cols) == 1 else m): a[0] for m, a in agg.items()}
    margins = {key: targets}
    rd = d[resp]
    spec = _parse(rdata, margins, None, None)
    result, fit = _calibrate_spec(rdata.index, spec, rd, method="linear", lo=-np.inf, hi=np.inf,
                                  bounds=(-np.inf, np.inf), tolerance=1e-12, max_iterations=10,
                                  bounds_text="")
    w = rd * fit.g
    out = pd.DataFrame({c: [m[j] for m in agg] for j, c in enumerate(cols)})
    out["sampled"] = [a[2] for a in agg.values()]
    out["responded"] = [a[3] for a in agg.values()]
    out["weight_sampled"] = [a[0] for a in agg.values()]
    out["weight_responded"] = [a[1] for a in agg.values()]
    out["response_rate"] = out["responded"] / out["sampled"]
    out["weighted_response_rate"] = out["weight_responded"] / out["weight_sampled"]
    out["adjustment"] = 1.0 / out["weighted_response_rate"]
    record = NonresponseResult(classes=cols, table=out, n_sampled=len(data),
                               n_responded=int(resp.sum()), calibration=result)
    replay = options = None
    if isinstance(design.variance, ReplicateWeights):
        replay = _replicate_replay(data, cols, cmap, list(agg), resp)
        options = {"remember_input": True, "rows": np.flatnonzero(resp)}
        variance = design.variance  # replaced by the replay
    else:
        step = ResidualStep(spec.aux, rd, fit.g, fit.columns)
        variance = CalibratedVariance(design.variance, (step,))
    return _adjusted(design, w, variance=variance,
                     calibration=result, record=record, data=data[resp],
                     strata=None if design.strata is None else design.strata[resp],
                     fpc=None if design.fpc is None else design.fpc[resp],
                     replay=replay, replay_options=options)


def _replicate_replay(data: pd.DataFrame, cols, cmap: dict, classes: list, resp: np.ndarray):
    """The adjustment of one replicate's weights d_r (all sampled units) -> the
    respondents' weights d_r,i * (sum_{sampled in c} d_r) / (sum_{responded in c} d_r).

    Each replicate carries its own class totals, so the replicate variance includes
    the variation of the full sample's class totals (the first phase), which the
    linearization of a design without replicates leaves out.
    """
    index = {m: i for i, m in enumerate(classes)}
    keys = zip(*(data[c].tolist() for c in cols))
    cls = np.fromiter((index[cmap.get(k, k)] for k in keys), dtype=np.intp, count=len(data))
    C = len(classes)

    def replay(d_r: np.ndarray) -> np.ndarray:
        total = np.bincount(cls, weights=d_r, minlength=C)
        kept = np.bincount(cls, weights=np.where(resp, d_r, 0.0), minlength=C)
        lost = (kept <= 0) & (total > 0)
        if lost.any():
            m = classes[int(np.flatnonzero(lost)[0])]
            shown = show(m[0]) if len(m) == 1 else str(m)
            raise CalibrationError(
                f"in a replicate, response class {shown} of {list(cols)} keeps weight "
                f"{show(float(total[index[m]]))} but none of its respondents (the replicate "
                f"dropped their PSUs), so its weight cannot be carried; merge the class into "
                f"a similar one with collapse={{{shown}: ...}}"
            )
        factor = np.divide(total, kept, out=np.zeros(C), where=kept > 0)
        return (d_r * factor[cls])[resp]

    return replay
