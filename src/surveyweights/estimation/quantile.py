"""Quantiles with design-based confidence intervals, R's ``svyquantile`` (survey >= 4.1).

The point estimate inverts the weighted distribution function with one of R's
quantile rules (``qrule``).  The interval comes from the distribution function
too: Woodruff (1952) turns a confidence interval for the proportion of the
population at or below the estimate into one for the quantile; the score interval
(Francisco & Fuller 1991) inverts a test of that proportion.  Both need only the
variance of a proportion, which the design's variance method provides, so they
work for every design the library has (strata, clusters, stages, calibration,
replicate weights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._domains import Item, apply_na_policy, domains, subset_mask
from ..design import Design, require_design
from .. import _display
from ..engines.base import require_memory
from ..errors import InputError
from .estimates import _check_level, _variables, estimate_table, resolve_df, warn_undefined_variance
from .ratio import _numeric

__all__ = ["quantile", "Quantiles", "QRULES", "QUANTILE_METHODS", "qrule"]

#: R's quantile rules (``svyquantile(qrule=)``): the first is R's default.
QRULES: tuple[str, ...] = ("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5",
                           "hf6", "hf7", "hf8", "hf9")
#: Interval types (``svyquantile(interval.type=)``): Woodruff with the proportion's
#: interval by ``mean`` (R's default), ``beta``, ``xlogit`` or ``asin``; and ``score``.
QUANTILE_METHODS: tuple[str, ...] = ("mean", "beta", "xlogit", "asin", "score")


@dataclass(frozen=True)
class Quantiles:
    """Quantile estimates per domain, variable and probability (frozen).

    ``to_frame()`` has the ``by`` columns, then ``variable, level, estimate, se,
    ci_low, ci_high, df, n, method, qrule, confidence_level, n_missing``; ``level``
    is the probability q.  ``se`` is R's: the interval's width divided by
    2 t_{df, 1 - alpha/2}.
    """

    by: tuple[str, ...]
    method: str
    qrule: str
    confidence_level: float
    _table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The estimates as a tidy DataFrame (a copy)."""
        return self._table.copy()

    @property
    def estimate(self) -> pd.Series:
        """The quantiles, indexed by domain, variable and q."""
        return self._table.set_index([*self.by, "variable", "level"])["estimate"]

    @property
    def se(self) -> pd.Series:
        """The standard errors, indexed by domain, variable and q."""
        return self._table.set_index([*self.by, "variable", "level"])["se"]

    def __repr__(self) -> str:
        """Estimate, SE and interval of each quantile within 80 columns."""
        title = (f"Quantiles(method={self.method!r}, qrule={self.qrule!r}, "
                 f"{self.confidence_level:.0%})")
        keys = [*self.by] + (["variable"] if self._table["variable"].nunique() > 1 else []) + ["level"]
        body = _display.table(self._table, keys, ["estimate", "se", "ci_low", "ci_high"])
        return f"{title}\n{body}"

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self).split("\n")[0], self._table)


# ----------------------------------------------------------------- quantile rules
def _cumsum(w: np.ndarray) -> np.ndarray:
    """Cumulative sums accumulated in extended precision, as R's cumsum()."""
    return np.cumsum(w.astype(np.longdouble)).astype(float)


def _total(w: np.ndarray) -> float:
    """The sum accumulated in extended precision, as R's sum()."""
    return float(np.sum(w.astype(np.longdouble)))


def _qs(xs: np.ndarray, ws: np.ndarray, p: float, total: float):
    """The two order statistics around the p-quantile of sorted (x, w) and their gaps.

    Returns (x_low, x_up, 0-based position of x_low, p - F(x_low), F(x_up) - p),
    where x_low is the last value with F(x) <= p.  When even the smallest value
    has F(x) > p, both are the smallest value and the first gap is p - 0: R's
    ``qs`` takes the first value as x_low there and so returns the *second* one.
    """
    cumw = _cumsum(ws)
    below = np.flatnonzero(cumw <= p * total)
    if not len(below):
        return xs[0], xs[0], -1, p, cumw[0] / total - p
    pos = int(below[-1])
    nxt = pos if pos == len(xs) - 1 else pos + 1
    return xs[pos], xs[nxt], pos, p - cumw[pos] / total, cumw[nxt] / total - p


def _approx(pk: np.ndarray, y: np.ndarray, p: float, *, constant: bool) -> float:
    """R's approx(pk, y, p, rule=2) (linear, or constant with f=0), ties of pk averaged."""
    order = np.argsort(pk, kind="stable")
    pk, y = pk[order], y[order]
    uniq, start = np.unique(pk, return_index=True)
    if len(uniq) < len(pk):
        y = np.add.reduceat(y, start) / np.diff(np.append(start, len(pk)))
        pk = uniq
    if p <= pk[0]:
        return float(y[0])
    if p >= pk[-1]:
        return float(y[-1])
    i = int(np.searchsorted(pk, p, side="right")) - 1
    if constant or p == pk[i]:
        return float(y[i])
    return float(y[i] + (y[i + 1] - y[i]) * ((p - pk[i]) / (pk[i + 1] - pk[i])))


def qrule(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math") -> float:
    """The p-quantile of x with weights w under one of R's rules (``svyquantile(qrule=)``).

    ``math`` (= ``hf1``): the smallest x whose weighted distribution function is
    >= p (the inverse of the step function); ``school`` (= ``hf2``): the average of
    the two order statistics where it jumps exactly at p; ``hf3``-``hf9`` and
    ``shahvaish``: the weighted forms of Hyndman & Fan's (1996) types and of Shah &
    Vaish (2006), as R's ``qrule_hf3`` ... ``qrule_shahvaish`` define them.  Zero
    weights are dropped first.  Where p is below the weight share of the smallest
    value, ``math``, ``school`` and ``hf1``-``hf4`` give the smallest value; R
    4.1 gives the second smallest (and ``hf4`` a value below the data), because its
    ``qs`` helper falls back to the first position when no value qualifies.  R's ``shahvaish`` (reproduced here) subtracts half
    the raw weight from a cumulative sum of normalised weights, so with unequal
    weights it is not monotone in p; prefer another rule for weighted data.

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)
    >>> qrule(x, w, 0.5), qrule(x, w, 0.5, "school"), qrule(x, w, 0.5, "hf7")
    (2.0, 2.5, 2.5)
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    nz = w != 0
    if not nz.all():
        x, w = x[nz], w[nz]
    total = _total(w)
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    n = len(xs)
    if rule in ("math", "hf1", "school", "hf2"):
        qlow, qup, _, wlow, _ = _qs(xs, ws, p, total)
        if wlow == 0:
            return float(qlow if rule in ("math", "hf1") else (qlow + qup) / 2)
        return float(qup)
    if rule == "hf3":
        ux, inv = np.unique(xs, return_inverse=True)
        uw = np.bincount(inv.reshape(-1), weights=ws)
        qlow, qup, ilow, wlow, _ = _qs(ux, uw, p, _total(uw))
        return float(qlow if wlow == 0 and (ilow + 1) % 2 == 0 else qup)
    if rule == "hf4":
        qlow, qup, _, wlow, wup = _qs(xs, ws, p, total)
        gamma = wlow / (wup + wlow)
        return float(qlow * (1 - gamma) + qup * gamma)
    cumw = _cumsum(ws)
    if rule == "shahvaish":
        wbar = ws / float(np.mean(ws.astype(np.longdouble)))
        S = _cumsum(wbar)
        pk = (S + 0.5 - ws / 2) / (n + 1)
        return _approx(pk, xs, p, constant=True)
    before = np.concatenate([[0.0], cumw[:-1]])
    if rule == "hf5":
        pk = (cumw - ws / 2) / cumw[-1]
    elif rule == "hf6":
        pk = cumw / (cumw[-1] + ws[-1])
    elif rule == "hf7":
        pk = before / cumw[-2]
    elif rule == "hf8":
        pk = (before * 1 / 3 + cumw * 2 / 3) / (cumw[-1] + ws[-1] / 3)
    elif rule == "hf9":
        pk = (before * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + ws[-1] / 4)
    else:
        raise InputError(f"qrule={rule!r} is not a valid rule; choose one of {list(QRULES)}")
    return _approx(pk, xs, p, constant=False)


# ----------------------------------------------------------------- Brent's root finder
def _zeroin(f: Callable[[float], float], a: float, b: float, fa: float, fb: float, tol: float,
            maxit: int = 1000) -> float:
    """A root of f in [a, b] by Brent's (1973, ch. 4) method, with R's uniroot() stopping rule.

    Bisection safeguarded by secant and inverse quadratic interpolation steps; it
    stops when the bracket's half-width is below 2 eps |b| + tol / 2.  Written from
    Brent's description; the same algorithm as R's ``uniroot`` (netlib's zeroin),
    so on the step functions of the score interval it ends at the same point.
    """
    eps = np.finfo(float).eps
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # two points: secant
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # three points: inverse quadratic interpolation
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < 0.75 * cb * q - abs(tol_act * q) / 2 and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


# ----------------------------------------------------------------- the estimator
def _proportion_limits(method, p, se, df, n_rows, degf, alpha):
    """R's woodruffCI: the interval for the proportion at or below the estimate."""
    t = stats.norm.isf(alpha / 2) if np.isinf(df) else stats.t.isf(alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            return p - t * se, p + t * se
        if method == "xlogit":
            eta, s = np.log(p / (1 - p)), se / (p * (1 - p))
            lo, hi = eta - t * s, eta + t * s
            return 1 / (1 + np.exp(-lo)), 1 / (1 + np.exp(-hi))
        if method == "asin":
            eta, s = np.arcsin(np.sqrt(p)), se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(eta - t * s) ** 2, np.sin(eta + t * s) ** 2
        # beta (Korn & Graubard 1998), R's n.eff with nrow - 1 and degf of the design
        n_eff = p * (1 - p) / se ** 2 * (stats.t.ppf(alpha / 2, n_rows - 1)
                                         / stats.t.ppf(alpha / 2, degf)) ** 2
        lo = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        hi = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
        return float(lo), float(hi)


def quantile(
    design: Design,
    variable: str | Sequence[str],
    q: float | Sequence[float],
    *,
    by: str | Sequence[str] | None = None,
    subset: Any = None,
    method: str = "mean",
    qrule: str = "math",
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Quantiles:
    """Quantiles of numeric variables per domain, with design-based confidence intervals.

    Parameters
    ----------
    design : Design
    variable : str or list of str
        Numeric column(s).
    q : float or list of float
        Probabilities, each strictly between 0 and 1.
    by, subset, confidence_level, na
        As in :func:`surveyweights.mean`.  ``na="available"`` analyses the units
        with an observed value (R's ``na.rm=TRUE``, whose domain design then has
        only those rows: their count and df are used).
    method : {"mean", "beta", "xlogit", "asin", "score"}, default "mean", keyword-only
        The interval (R's ``interval.type``).  ``"mean"``, R's default, is
        Woodruff's: the Wald interval p +/- t se of the proportion p of the
        population at or below the estimate, mapped back through the quantile
        rule.  ``"beta"``, ``"xlogit"`` and ``"asin"`` use the Korn-Graubard, logit
        and arcsine intervals for p instead.  ``"score"`` inverts the score test of
        p (Francisco & Fuller 1991).
    qrule : str, default "math", keyword-only
        How a quantile is read from the weighted distribution function (R's
        ``qrule``; the default ``"math"`` is R's default): see :func:`qrule`.  The
        interval limits use the same rule.
    df : {"design", "satterthwaite"} or positive number, default "design", keyword-only
        Degrees of freedom of the t quantiles; ``"design"`` is R's ``degf()`` of the
        domain design.

    Returns
    -------
    Quantiles

    Raises
    ------
    InputError
        A probability outside (0, 1), an unknown method or rule, a non-numeric
        variable.
    MissingValueError
        A missing value with ``na="error"``.

    Notes
    -----
    Matches R's ``svyquantile(~x, design, quantiles=q, interval.type=method,
    qrule=qrule)`` of survey >= 4.1 (estimate, limits and SE), and per domain R's
    ``svyquantile`` on ``subset(design, domain)`` -- what ``svyby`` hands it.  The
    SE is derived from the interval, as R's: (upper - lower) / (2 t_df).  A limit
    whose proportion falls outside [0, 1] is NaN, as in R.

    The score interval follows R exactly, including a detail of R's
    ``ffullerCI``: the roots of the score test, found by Brent's method with R's
    tolerance 1 / (100 sqrt(n)), are turned into data values through the
    **unweighted** share of observations at or below them, which the quantile
    rule then reads from the weighted distribution.  With equal weights this is
    the root's own order statistic; with unequal weights it can move the limit
    (see the docs page on quantiles).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": [1] * 5 + [2] * 5, "N": [50] * 5 + [100] * 5,
    ...                    "y": [3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3]})
    >>> r = sw.quantile(sw.Design(df, strata="h", fpc="N"), "y", 0.5)
    >>> float(r.estimate.iloc[0])
    4.0
    """
    require_design(design)
    require_memory(design, "sw.quantile (it sorts the unit values of the weighted distribution)",
                   alternatives="sw.proportion of a 0/1 column such as x <= c (a share below a "
                                "value, computed on the engine), or ")
    level = _check_level(confidence_level)
    names = _variables(variable)
    probs = _probabilities(q)
    if method not in QUANTILE_METHODS:
        raise InputError(f"method={method!r} is not a valid interval type; choose one of "
                         f"{list(QUANTILE_METHODS)} ('mean' is R's default, Woodruff's interval)")
    if qrule not in QRULES:
        raise InputError(f"qrule={qrule!r} is not a valid rule; choose one of {list(QRULES)} "
                         f"('math' is R's default)")
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    frames = [_one_variable(design, dom, name, probs, method, qrule, level, df, na)
              for name in names]
    return Quantiles(dom.by, method, qrule, level, pd.concat(frames, ignore_index=True))


def _probabilities(q) -> np.ndarray:
    vals = np.atleast_1d(np.asarray(q, dtype=object))
    out = []
    for v in vals:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InputError(f"q={v!r} is not a probability; give numbers strictly between 0 and 1, "
                             f"e.g. q=[0.25, 0.5, 0.75]")
        if not 0 < float(v) < 1:
            raise InputError(f"q={v!r} is outside (0, 1); quantiles are defined for probabilities "
                             f"strictly between 0 and 1: use e.g. 0.5 for the median (the minimum "
                             f"and maximum are data.min() and data.max())")
        out.append(float(v))
    if not out:
        raise InputError("q is empty; give at least one probability, e.g. q=0.5")
    return np.array(out)


def _one_variable(design, dom, name, probs, method, rule, level, df, na) -> pd.DataFrame:
    data = design.data
    x_all, miss = _numeric(data, name, "variable")
    it = Item(name, x_all[:, None], [None], miss, False)
    code, n_missing = apply_na_policy(it, dom, na, data.index)
    G, Q = dom.n_groups, len(probs)
    w = design._w
    alpha = 1 - level
    # the domain design of R's svyquantile(na.rm=TRUE): its rows are the observed ones
    ddf = design.variance.domain_df(design, code, G)
    n_g = np.bincount(code[code >= 0], minlength=G)
    est = np.full((G, Q), np.nan)
    for g in range(G):
        rows = code == g
        if not rows.any():
            raise InputError(f"no respondent{_where(dom, g)} has an observed value of {name!r}; "
                             f"drop that domain with subset= or impute")
        for k, p in enumerate(probs):
            est[g, k] = qrule(x_all[rows], w[rows], p, rule)
    # the proportion at or below each estimate, and its variance from the design
    ind = np.zeros((len(w), Q))
    keep = code >= 0
    ind[keep] = (x_all[keep, None] <= est[code[keep]]).astype(float)
    W = np.bincount(code[keep], weights=w[keep], minlength=G)
    P = np.column_stack([np.bincount(code[keep], weights=w[keep] * ind[keep, k], minlength=G)
                         for k in range(Q)]) / W[:, None]
    z = np.zeros_like(ind)
    z[keep] = w[keep, None] * (ind[keep] - P[code[keep]]) / W[code[keep], None]

    def reestimate(wr: np.ndarray) -> np.ndarray:
        wr = np.asarray(wr, dtype=float)
        Wr = np.bincount(code[keep], weights=wr[keep], minlength=G)
        return np.column_stack([np.bincount(code[keep], weights=wr[keep] * ind[keep, k], minlength=G)
                                for k in range(Q)]) / Wr[:, None]

    lin = design.variance.variance(design, z, code, G, reestimate=reestimate)
    warn_undefined_variance(lin.variance, design)
    se_p = np.sqrt(np.maximum(lin.variance, 0.0))
    dfs = resolve_df(df, design_df=np.repeat(ddf[:, None], Q, axis=1),
                     satterthwaite=lin.satterthwaite_df)
    lo = np.full((G, Q), np.nan)
    hi = np.full((G, Q), np.nan)
    for g in range(G):
        rows = code == g
        xg, wg = x_all[rows], w[rows]
        for k, p in enumerate(probs):
            if method == "score":
                lo[g, k], hi[g, k] = _score_limits(design, xg, rows, p, rule, dfs[g, k], alpha)
                continue
            plo, phi = _proportion_limits(method, P[g, k], se_p[g, k], dfs[g, k], n_g[g], ddf[g], alpha)
            if not (np.isnan(plo) or plo < 0):
                lo[g, k] = qrule(xg, wg, plo, rule)
            if not (np.isnan(phi) or phi > 1):
                hi[g, k] = qrule(xg, wg, phi, rule)
    tq = np.where(np.isinf(dfs), stats.norm.isf(alpha / 2), stats.t.isf(alpha / 2, dfs))
    se = (hi - lo) / (2 * tq)
    return estimate_table(dom.keys, dom.by, variable=name, repeat=Q, level=np.tile(probs, G),
                          estimate=est.ravel(), se=se.ravel(), ci_low=lo.ravel(),
                          ci_high=hi.ravel(), df=dfs.ravel(), n=np.repeat(n_g, Q),
                          method=method, extra={"qrule": rule}, confidence_level=level,
                          n_missing=n_missing)


def _where(dom, g: int) -> str:
    if not dom.by:
        return ""
    vals = dom.keys.iloc[g]
    return " in domain " + ", ".join(f"{c}={vals[c]!r}" for c in dom.by)


def _score_limits(design, xg, rows, p, rule, df, alpha) -> tuple[float, float]:
    """R's ffullerCI: invert the score test of P(X <= theta) = p by Brent's method."""
    w = design._w
    group = np.where(rows, 0, -1)
    wd = w[rows]
    Wd = wd.sum()

    def z_stat(theta: float) -> float:
        u = (xg > theta).astype(float) - (1 - p)
        m = float(np.dot(wd, u) / Wd)
        z = np.zeros(len(w))
        z[rows] = wd * (u - m) / Wd

        def reestimate(wr: np.ndarray) -> np.ndarray:
            wr = np.asarray(wr, dtype=float)[rows]
            return np.array([[np.dot(wr, u) / wr.sum()]])

        v = design.variance.variance(design, z[:, None], group, 1,
                                     reestimate=reestimate).variance[0, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return m / np.sqrt(v)

    t = stats.norm.isf(alpha / 2) if np.isinf(df) else stats.t.isf(alpha / 2, df)
    q25, q75 = np.quantile(xg, [0.25, 0.75])
    iqr = q75 - q25
    lower, upper = xg.min() + iqr / 100, xg.max() - iqr / 100
    tol = 1 / (100 * np.sqrt(len(xg)))
    z_lo, z_hi = z_stat(lower), z_stat(upper)
    limits = []
    for crit in (t, -t):
        fa, fb = z_lo - crit, z_hi - crit
        if not (np.isfinite(fa) and np.isfinite(fb)) or fa * fb > 0:
            limits.append(np.nan)  # R's uniroot stops: no sign change in the search range
            continue
        root = _zeroin(lambda th: z_stat(th) - crit, lower, upper, fa, fb, tol)
        # R maps the root back through the unweighted share of observations below it
        limits.append(qrule(xg, w[rows], float(np.mean(xg <= root)), rule))
    return limits[0], limits[1]
