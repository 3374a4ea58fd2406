"""Weight trimming: every weight inside [lower, upper], the excess redistributed.

Two cases:

* **an uncalibrated design**: the weights are trimmed to the bounds and the
  trimmed amount is spread over the units inside the bounds so that the weight
  total is kept, repeated until no weight leaves the bounds.  ``redistribute=``
  chooses how:

  - ``"equal"`` (default): the weights outside the bounds are set to the bound
    they cross and the same amount s is added to every other weight, capped at
    the bounds: w_i = clip(d_i + s, lower, upper) with s such that sum w = sum d.
    This is R's ``trimWeights(design, lower=, upper=, strict=TRUE)``, which adds
    ``sum(trimmings)/sum(!outside)`` to the weights inside and repeats while a
    weight is outside; without ``strict=TRUE`` R stops after one pass and can
    leave weights above ``upper``.  (When R needs several passes, its later passes
    also give a share to weights already set to a bound, so it can end elsewhere.)
  - ``"proportional"``: the same, with the weights inside scaled by a common
    factor: w_i = clip(k d_i, lower, upper).

  If the weights inside the bounds cannot absorb the total (e.g. every weight is
  above ``upper``: R then silently lowers the population size), the shift is
  applied to all weights, w = clip(d + s, lower, upper).

  As in R, the trimmed weights are then treated as fixed (the variance method is
  unchanged).

* **a calibrated design** (``design.calibration`` set): trimming and
  redistributing would break the calibration, so the weights are re-calibrated
  from the calibration's own starting weights d to the same margins, with each
  unit's g bounded by [lower / d_i, upper / d_i] (and by the calibration's own
  bounds): the method's truncated version (Deville & Särndal 1992; a logit
  calibration whose unit bounds exclude g = 1 uses truncated linear).  The
  variance then takes the residuals of this calibration.  If no weights within
  the bounds reproduce the margins, :class:`~surveyweights.errors.CalibrationError`
  says which bounds the sample allows.

On a replicate-weight design the same is done to every replicate: trimming and
redistributing each replicate column (units a replicate leaves out stay out), or,
for a calibrated design, re-calibrating each replicate from the weights its
calibration started from (``ReplicateWeights.before``) to the totals it was
calibrated to, with its weights in the bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._strata import show
from .. import _display
from ..engines.base import require_memory
from ..errors import CalibrationError, InputError
from ..variance.calibrated import CalibratedVariance, ResidualStep
from ..variance.replicate import ReplicateWeights
from .calibration import (
    CalibrationResult,
    _adjusted,
    _as_number,
    _calibrate_spec,
    _check_control,
    _kish,
    _report,
    _require_design,
    _Spec,
    calibration_factors,
)

__all__ = ["REDISTRIBUTE", "TrimmingResult", "trim_weights"]

#: Valid values of ``redistribute=``.
REDISTRIBUTE: tuple[str, ...] = ("equal", "proportional")


@dataclass(frozen=True)
class TrimmingResult:
    """What :func:`trim_weights` did (frozen); the last entry of the new design's ``history``.

    Attributes
    ----------
    lower, upper : float
        The bounds on the weights.
    redistribute : str
        ``"equal"``, ``"proportional"``, or ``"recalibrated"`` for a calibrated design.
    n_below, n_above : int
        Units whose weight was below ``lower`` / above ``upper`` before trimming.
    n_at_lower, n_at_upper : int
        Units whose trimmed weight sits on a bound.
    weights_before, weights_after : pandas.Series
    kish : pandas.DataFrame
        Rows ``before``/``after``: weight sum, min, max, Kish n_eff, CV, deff.
    calibration : CalibrationResult or None
        The re-calibration that kept the margins of a calibrated design.
    """

    lower: float
    upper: float
    redistribute: str
    n_below: int
    n_above: int
    n_at_lower: int
    n_at_upper: int
    weights_before: pd.Series = field(repr=False)
    weights_after: pd.Series = field(repr=False)
    kish: pd.DataFrame = field(repr=False)
    calibration: CalibrationResult | None = field(default=None, repr=False)

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.kish.reset_index())


def _solve_shift(w0: np.ndarray, total: float, lo: float, hi: float, mode: str) -> np.ndarray:
    """w = clip(w0 + x) ("equal") or clip(x w0) ("proportional") with sum w = total.

    The sum S(x) is continuous, nondecreasing and piecewise linear in x with kinks
    at the breakpoints where a unit meets a bound; bisection over the sorted
    breakpoints finds the piece holding the root, which is then solved exactly.
    The caller has checked n lower <= total <= n upper.
    """
    if mode == "equal":
        def f(x):
            return np.clip(w0 + x, lo, hi)
        brk = np.concatenate([lo - w0, hi - w0])
    else:
        def f(x):
            return np.clip(x * w0, lo, hi)
        brk = np.concatenate([lo / w0, hi / w0])
        brk = brk[brk > 0]
    brk = np.unique(brk[np.isfinite(brk)])

    def S(x):
        return float(f(x).sum())

    def slope(x):  # of S on the piece around x
        free = (w0 + x > lo) & (w0 + x < hi) if mode == "equal" else (x * w0 > lo) & (x * w0 < hi)
        return float(free.sum()) if mode == "equal" else float(w0[free].sum())

    if len(brk) == 0:
        return f(0.0 if mode == "equal" else 1.0)
    if S(brk[0]) >= total:  # the root lies below every breakpoint
        x0 = brk[0]
        k = slope(x0 - 1.0 if mode == "equal" else x0 / 2)
        return f(x0 - (S(x0) - total) / k) if k > 0 else f(x0)
    if S(brk[-1]) <= total:  # above every breakpoint
        x0 = brk[-1]
        k = slope(x0 + 1.0 if mode == "equal" else x0 * 2)
        return f(x0 + (total - S(x0)) / k) if k > 0 else f(x0)
    a, b = 0, len(brk) - 1
    while b - a > 1:
        m = (a + b) // 2
        if S(brk[m]) <= total:
            a = m
        else:
            b = m
    x0, x1 = brk[a], brk[b]
    s0, s1 = S(x0), S(x1)
    return f(x0 + (total - s0) * (x1 - x0) / (s1 - s0) if s1 > s0 else x0)


def _redistribute(w0: np.ndarray, total: float, lo: float, hi: float, mode: str) -> np.ndarray:
    """Weights outside the bounds set to the bound they cross, the others shifted (or
    scaled) together so that the total is kept; the clean fixed point over all units
    when the units inside cannot absorb the total."""
    outside = (w0 < lo) | (w0 > hi)
    inside = ~outside
    pinned = np.clip(w0[outside], lo, hi).sum()
    rest = total - pinned
    k = int(inside.sum())
    if k and k * lo * (1 - 1e-12) <= rest <= k * hi * (1 + 1e-12):
        w = np.clip(w0, lo, hi)
        w[inside] = _solve_shift(w0[inside], rest, lo, hi, mode)
    else:
        w = _solve_shift(w0, total, lo, hi, mode)
    # rounding of the shift can leave a weight a hair outside: pin it
    return np.clip(w, lo, hi)


def trim_weights(
    design,
    *,
    lower: float | None = None,
    upper: float | None = None,
    redistribute: str = "equal",
    tolerance: float = 1e-10,
    max_iterations: int = 100,
):
    """Trim the weights into [lower, upper]; returns a new :class:`~surveyweights.Design`.

    Parameters
    ----------
    design : Design
        Unchanged.  If it is calibrated (``design.calibration``), its margins are kept.
    lower, upper : float, optional, keyword-only
        Bounds on the weights (at least one).
    redistribute : {"equal", "proportional"}, default "equal", keyword-only
        How the trimmed excess goes to the other weights of an uncalibrated design
        (module docstring); a calibrated design is re-calibrated instead.
    tolerance, max_iterations : keyword-only
        For the re-calibration of a calibrated design (as :func:`~surveyweights.calibrate`).

    Returns
    -------
    Design
        Every weight inside [lower, upper] (to rounding); ``history`` ends with a
        :class:`TrimmingResult`.

    Raises
    ------
    CalibrationError
        The weight total (uncalibrated) or the margins (calibrated) cannot be kept
        with all weights in the bounds; the message gives the bounds that can.
    InputError
        No bound, lower >= upper, an unknown ``redistribute``.

    Notes
    -----
    With ``redistribute="equal"`` the weights equal R's ``trimWeights(design,
    lower=, upper=, strict=TRUE)`` (module docstring for when they can differ).
    R keeps the weight total only while some weight is inside the bounds; here
    the total is always kept, or an error says why it cannot be.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> d = sw.Design(pd.DataFrame({"y": range(5)}), weights=pd.Series([1.0, 1, 1, 1, 16]))
    >>> sw.trim_weights(d, upper=8).weights.tolist()
    [3.0, 3.0, 3.0, 3.0, 8.0]
    """
    _require_design(design)
    require_memory(design, "sw.trim_weights (it gives every unit a new weight)",
                   alternatives="trimmed weights written to the source as a column (then "
                                "sw.Design(source, weights=...)), or ")
    if redistribute not in REDISTRIBUTE:
        raise InputError(f"redistribute={redistribute!r} is not valid; choose one of {list(REDISTRIBUTE)}")
    if lower is None and upper is None:
        raise InputError("trim_weights needs lower=, upper= or both, e.g. upper=40")
    lo = -np.inf if lower is None else _as_number(lower, "lower")
    hi = np.inf if upper is None else _as_number(upper, "upper")
    if np.isnan(lo) or np.isnan(hi) or not lo < hi:
        raise InputError(f"lower={lower!r} must be below upper={upper!r}")
    if hi <= 0:
        raise InputError(f"upper={upper!r} must be positive: a design's weights are positive")
    _check_control(tolerance, max_iterations)
    w0 = design._w.copy()
    n = len(w0)
    n_below, n_above = int(np.sum(w0 < lo)), int(np.sum(w0 > hi))
    before = design.weights.rename("weight")
    cal = design.calibration
    replicated = isinstance(design.variance, ReplicateWeights)
    if cal is not None and (isinstance(design.variance, CalibratedVariance) or replicated):
        if replicated and design.variance.before is None:
            raise InputError(
                "this replicate design is calibrated, but the replicate weights its calibration "
                "started from are not kept, so its replicates cannot be re-calibrated within the "
                "bounds; trim the design before calibrating it, or calibrate it with sw.calibrate"
            )
        result, w, variance, fitted = _recalibrate(design, cal, lo, hi, tolerance, max_iterations)
        mode = "recalibrated"
    else:
        total = float(w0.sum())
        if total < n * lo * (1 - 1e-12) or total > n * hi * (1 + 1e-12):
            need = total / n
            raise CalibrationError(
                f"the {n} weights sum to {show(total)}, a mean weight of {need:.6g}, which "
                f"weights inside [{show(lo)}, {show(hi)}] cannot keep: the bounds must "
                f"include the mean weight (lower <= {need:.6g} <= upper)"
            )
        if n_below == 0 and n_above == 0:
            w = w0
        else:
            w = _redistribute(w0, total, lo, hi, redistribute)
        if np.any(w <= 0):
            raise CalibrationError(
                f"trimming to [{show(lo)}, {show(hi)}] leaves {int(np.sum(w <= 0))} weight(s) <= 0; "
                f"give a positive lower bound"
            )
        result, variance, mode = None, design.variance, redistribute
    atol = 1e-9
    record = TrimmingResult(
        lower=float(lo), upper=float(hi), redistribute=mode, n_below=n_below, n_above=n_above,
        n_at_lower=int(np.sum(np.abs(w - lo) <= atol * max(1.0, abs(lo)))) if np.isfinite(lo) else 0,
        n_at_upper=int(np.sum(np.abs(w - hi) <= atol * max(1.0, abs(hi)))) if np.isfinite(hi) else 0,
        weights_before=before, weights_after=pd.Series(w, index=design.data.index, name="weight"),
        kish=_kish(w0, w), calibration=result,
    )
    replay = options = None
    if mode == "recalibrated" and replicated:
        replay = _replicate_recalibration(design.variance.before, cal, lo, hi, *fitted,
                                          tolerance=tolerance, max_iterations=max_iterations)
        options = {"indexed": True, "before": design.variance.before}
    elif mode != "recalibrated":
        def replay(d_r: np.ndarray) -> np.ndarray:
            # the same trimming on a replicate's weights; units a replicate leaves out
            # (weight 0, e.g. the jackknife's deleted PSU) stay out (R's trimWeights on a
            # replicate design would raise them to the lower bound)
            out = np.zeros_like(d_r)
            kept = d_r > 0
            out[kept] = _redistribute(d_r[kept], float(d_r[kept].sum()), lo, hi, redistribute)
            return out
    return _adjusted(design, w, variance=variance,
                     calibration=result if result is not None else cal, record=record,
                     replay=replay, replay_options=options)


def _replicate_recalibration(before, cal: CalibrationResult, lo: float, hi: float, method: str,
                             columns, *, tolerance, max_iterations):
    """The re-calibration within [lo, hi] of replicate r, as of the full sample: from the
    weights d_r its calibration started from, to the totals its calibrated weights
    reproduce (the margins, or a nonresponse adjustment's replicate class totals),
    with each unit's g in [lo / d_r,i, hi / d_r,i] and the calibration's own bounds.
    Units a replicate leaves out (d_r,i = 0) stay out."""
    structure, base_w = before
    aux = cal.auxiliaries
    b_lo, b_hi = cal.bounds

    def replay(current: np.ndarray, r: int) -> np.ndarray:
        d = np.asarray(structure.column(base_w, r), dtype=float)
        totals = aux.rmatvec(current)
        kept = d > 0
        safe = np.where(kept, d, 1.0)
        glo = np.where(kept, np.maximum(lo / safe, b_lo), b_lo)
        ghi = np.where(kept, np.minimum(hi / safe, b_hi), b_hi)
        if np.any(glo > ghi):
            raise CalibrationError(
                f"in replicate {r + 1} a unit's starting weight and the calibration bounds "
                f"{cal.bounds} leave no weight in [{show(lo)}, {show(hi)}]; widen the trimming "
                f"bounds"
            )
        how = method
        if how == "logit" and not (np.all(glo < 1) and np.all(ghi > 1)):
            how = "linear"
        fit = calibration_factors(d, aux, totals, method=how, bounds=(glo, ghi),
                                  tolerance=tolerance, max_iterations=max_iterations,
                                  columns=columns)
        if not fit.converged:
            raise CalibrationError(
                f"no weights of replicate {r + 1} within [{show(lo)}, {show(hi)}] reproduce "
                f"the margins, although the full sample's do; widen the bounds"
            )
        return np.where(kept, np.clip(d * fit.g, lo, hi), 0.0)

    return replay


def _recalibrate(design, cal: CalibrationResult, lo: float, hi: float, tolerance, max_iterations):
    d = np.asarray(cal.design_weights, dtype=float)
    glo = np.maximum(lo / d, cal.bounds[0])
    ghi = np.minimum(hi / d, cal.bounds[1])
    if np.any(glo > ghi):
        i = int(np.flatnonzero(glo > ghi)[0])
        raise CalibrationError(
            f"unit {show(design.data.index[i])} has design weight {show(d[i])} and the "
            f"calibration bounds {cal.bounds} on g, so its weight cannot lie in "
            f"[{show(lo)}, {show(hi)}]; widen the trimming bounds or recalibrate with wider bounds"
        )
    method = cal.method
    if method == "logit" and not (np.all(glo < 1) and np.all(ghi > 1)):
        method = "linear"
    labels = _labels_from_report(cal)
    spec = _Spec(margins=(), aux=cal.auxiliaries, totals=cal.totals, labels=labels)
    text = (f"within [{show(lo)}, {show(hi)}]" if np.isfinite(lo) and np.isfinite(hi)
            else f"<= {show(hi)}" if np.isfinite(hi) else f">= {show(lo)}")
    result, fit = _calibrate_spec(design.data.index, spec, d, method=method, lo=glo, hi=ghi,
                                  bounds=cal.bounds, tolerance=tolerance,
                                  max_iterations=max_iterations, bounds_text=text, per=d,
                                  what="weights")
    w = d * fit.g
    w = np.clip(w, lo, hi)
    report = cal.report.copy()
    report["initial"] = cal.report["initial"].to_numpy()
    report = _recompute(report, cal, w)
    result = replace(result, report=report, method=method, variance="calibration")
    variance = design.variance
    if isinstance(variance, CalibratedVariance):
        step = ResidualStep(cal.auxiliaries, d, w / d, fit.columns)
        variance = CalibratedVariance(variance.base, variance.steps[:-1] + (step,), variance.name)
    # (a replicate design's method is replaced by the per-replicate replay)
    return result, w, variance, (method, fit.columns)


class _Label:
    """A stand-in margin for labels in messages when only the report is at hand."""

    def __init__(self, key, numeric):
        self.key = key
        self.numeric = numeric
        self.columns = key if isinstance(key, tuple) else (key,)


def _labels_from_report(cal: CalibrationResult) -> list:
    """(margin, level) per column of X, from the report rows of cells with units."""
    rows = cal.report[cal.report["n"] > 0]
    cat = rows[rows["level"] != "(total)"]
    num = rows[rows["level"] == "(total)"]
    out = []
    for key, lev in zip(cat["margin"], cat["level"]):
        lab = _Label(key, False)
        out.append((lab, lev if isinstance(lev, tuple) else (lev,)))
    for key in num["margin"]:
        out.append((_Label(key, True), None))
    return out


def _recompute(report: pd.DataFrame, cal: CalibrationResult, w: np.ndarray) -> pd.DataFrame:
    """The report's achieved totals and misfits under the weights w."""
    ach = cal.auxiliaries.rmatvec(w)
    rows = np.flatnonzero(report["n"].to_numpy() > 0)
    cat_rows = [r for r in rows if report["level"].iloc[r] != "(total)"]
    num_rows = [r for r in rows if report["level"].iloc[r] == "(total)"]
    achieved = report["achieved"].to_numpy(dtype=float).copy()
    achieved[cat_rows + num_rows] = ach
    report["achieved"] = achieved
    t = report["target"].to_numpy()
    diff = achieved - t
    report["misfit"] = np.where(t != 0, diff / np.where(t != 0, np.abs(t), 1.0), diff)
    return report
