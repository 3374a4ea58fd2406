"""Confidence intervals for proportions estimated from survey data.

Pure, vectorised functions: every argument may be a scalar or an array, the
arrays broadcast against each other (numpy rules), and one call returns the
lower and upper limits of every element, e.g. all domains x all confidence
levels at once.  The methods are those of R's ``survey::svyciprop`` (survey
4.1-1): ``logit``, ``likelihood``, ``asin``, ``beta`` (Korn-Graubard), ``mean``
and ``xlogit``, plus ``wilson``.

The inputs are what a design-based variance engine produces for a
(domain) proportion: the estimate ``p``, its linearization standard error
``se``, the degrees of freedom ``df`` for the t quantile (``np.inf`` for the
normal), and, for ``beta``, ``likelihood`` and ``wilson``, the sample size
``n`` of the (domain) design.  See ``docs/ci_methods.md`` for the formulas, the
R calls each function matches and the behaviour at p = 0 or 1.

References
----------
Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for proportions
with small expected number of positive counts estimated from survey data.
*Survey Methodology* 24(2), 193-201.

Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.

Rao, J. N. K. and Scott, A. J. (1984). On chi-squared tests for multiway
contingency tables with cell proportions estimated from survey data.
*Annals of Statistics* 12(1), 46-60.

Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. *Journal of the American Statistical Association* 22,
209-212.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, optimize, special, stats

from ..errors import (
    ConvergenceError,
    InputError,
    MissingValueError,
    SurveyWeightsWarning,
    user_stacklevel,
)

__all__ = [
    "CI_METHODS",
    "SE_ZERO",
    "LIKELIHOOD_PROFILES",
    "DegenerateIntervalWarning",
    "LikelihoodProfileWarning",
    "proportion_ci",
    "ci_logit",
    "ci_likelihood",
    "ci_asin",
    "ci_beta",
    "ci_mean",
    "ci_xlogit",
    "ci_wilson",
    "r_irls_start",
    "r_irls_estimate",
    "r_irls_replicates",
]

#: Valid ``method`` names for :func:`proportion_ci` (exact names only).
CI_METHODS: tuple[str, ...] = ("logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson")

#: A standard error below this (on the proportion scale) is taken as exactly 0 by
#: every method.  Rounding of the linearized scores leaves SEs of about 1e-17
#: where the variance is exactly zero (a domain inside census strata); no design
#: of fewer than 1e20 units has a true SE of a proportion this small.
SE_ZERO: float = 1e-12

#: Valid ``profile`` options of :func:`ci_likelihood`.
LIKELIHOOD_PROFILES: tuple[str, ...] = ("spline", "r", "exact")

#: Methods that need the (domain) sample size ``n``.
_NEEDS_N = frozenset({"likelihood", "beta", "wilson"})

# R's MASSprofile_glm defaults used by confint.svyglm(method = "likelihood").
_R_PROFILE_MAXSTEPS = 10
_R_PROFILE_DEL_DIVISOR = 5.0
# R's recipe is kept where its limit puts the profile statistic within this
# relative distance of the cutoff (its error is below 1e-3 in every R fixture).
_R_RECIPE_TOLERANCE = 0.01


class LikelihoodProfileWarning(SurveyWeightsWarning):
    """``likelihood`` used the exact profile root where R's recipe breaks down.

    R's ``svyciprop(method = "likelihood")`` inverts a spline through a coarse
    grid of the profile; with few clusters, a large design effect or a tiny
    n*p it returns NA or a limit far from the profile-likelihood root.  There
    ``profile="spline"`` returns the exact root, so the value differs from
    R's (``profile="r"`` keeps R's).
    """


class DegenerateIntervalWarning(SurveyWeightsWarning):
    """A method returned the zero-width interval [p, p] at p = 0 or p = 1.

    At p = 0 or 1 the design-based standard error of a 0/1 variable is 0, so
    every method built on it (``mean``, ``asin``, ``xlogit``, ``logit``,
    ``likelihood``) can only return [p, p].  ``beta`` and ``wilson`` give a
    one-sided interval there instead.
    """


# --------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------


def _as_float_array(name: str, value: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name}={value!r} is not numeric; pass a number or an array of numbers"
        ) from exc
    if np.isnan(arr).any():
        where = np.argwhere(np.isnan(arr))
        first = tuple(int(i) for i in where[0]) if arr.ndim else ()
        raise MissingValueError(
            f"{name} contains NaN (first at index {first}); a confidence interval "
            f"needs a value for every element: drop or fill the missing {name} first"
        )
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> float:
    return float(arr[bad].flat[0]) if arr.ndim else float(arr)


def _prepare(
    p: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    confidence_level: ArrayLike,
    n: ArrayLike | None = None,
    *,
    method: str,
    need_n: bool = False,
) -> tuple[np.ndarray, ...]:
    """Validate the common inputs and broadcast them to one shape."""
    p_ = _as_float_array("estimate", p)
    se_ = _as_float_array("se", se)
    df_ = _as_float_array("df", df)
    lv_ = _as_float_array("confidence_level", confidence_level)

    bad = (lv_ <= 0) | (lv_ >= 1) | ~np.isfinite(lv_)
    if bad.any():
        raise InputError(
            f"confidence_level={_first_bad(lv_, bad)!r} is outside (0, 1); "
            "pass e.g. confidence_level=0.95"
        )
    bad = (p_ < 0) | (p_ > 1) | ~np.isfinite(p_)
    if bad.any():
        raise InputError(
            f"estimate={_first_bad(p_, bad)!r} is not a proportion in [0, 1]; "
            "these methods are for proportions of a 0/1 variable"
        )
    bad = (se_ < 0) | ~np.isfinite(se_)
    if bad.any():
        raise InputError(
            f"se={_first_bad(se_, bad)!r} is not a finite standard error >= 0; "
            "pass the linearization SE of the proportion"
        )
    bad = df_ <= 0
    if bad.any():
        raise InputError(
            f"df={_first_bad(df_, bad)!r} is not > 0; pass the design degrees of "
            "freedom (e.g. units minus strata) or np.inf for a normal quantile"
        )
    se_ = np.where(se_ < SE_ZERO, 0.0, se_)  # rounding noise is exactly zero (SE_ZERO)
    arrays = [p_, se_, df_, lv_]
    if need_n:
        if n is None:
            raise InputError(
                f"method {method!r} needs n, the number of sampled units in the "
                "(domain) design; pass n=..."
            )
        n_ = _check_count("n", n)
        arrays.append(n_)
    try:
        return tuple(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        raise InputError(
            f"the inputs have shapes {shapes}, which do not broadcast together; "
            "pass arrays of one shape (or scalars)"
        ) from exc


def _check_count(name: str, value: ArrayLike) -> np.ndarray:
    arr = _as_float_array(name, value)
    bad = (arr < 2) | ~np.isfinite(arr) | (arr != np.floor(arr))
    if bad.any():
        raise InputError(
            f"{name}={_first_bad(arr, bad)!r} is not a whole number >= 2; pass the "
            "number of sampled units in the (domain) design"
        )
    return arr


def _t_quantile(confidence_level: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Upper (1 + level)/2 quantile of t_df (normal when df is infinite)."""
    return stats.t.isf((1.0 - confidence_level) / 2.0, df)


def _warn_degenerate(method: str, p: np.ndarray, mask: np.ndarray) -> None:
    if not mask.any():
        return
    count = int(mask.sum())
    values = sorted({float(v) for v in p[mask].flat})
    warnings.warn(
        f"method {method!r} returned the zero-width interval [p, p] for {count} "
        f"estimate(s) equal to {' or '.join(f'{v:g}' for v in values)}: the "
        "design-based SE is 0 there, so the interval says nothing about "
        "uncertainty; use method='beta' (Korn-Graubard) or 'wilson', which give "
        "a one-sided interval at p = 0 or 1",
        DegenerateIntervalWarning,
        stacklevel=user_stacklevel(),
    )


def _finish(
    p: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Limits as arrays, inside [0, 1] and around p.

    The methods' limits bracket p mathematically; ``min``/``max`` with p only
    absorbs rounding of the back-transforms (e.g. ``sin(asin(sqrt(p)))^2``).
    """
    low = np.asarray(np.clip(np.minimum(low, p), 0.0, 1.0), dtype=float)
    high = np.asarray(np.clip(np.maximum(high, p), 0.0, 1.0), dtype=float)
    return low, high


# --------------------------------------------------------------------------
# Wald-type methods
# --------------------------------------------------------------------------


def ci_mean(
    p: ArrayLike, se: ArrayLike, df: ArrayLike, *, confidence_level: ArrayLike = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval ``p +/- t_df * se``, truncated to [0, 1].

    Matches ``svyciprop(~y, design, method = "mean", level = confidence_level,
    df = df)`` (R survey 4.1-1; the default ``df`` is ``degf(design)``) whenever
    R's interval lies inside [0, 1].

    Parameters
    ----------
    p : array_like
        Estimated proportion(s), in [0, 1].
    se : array_like
        Linearization standard error(s) of ``p``, >= 0.
    df : array_like
        Degrees of freedom of the t quantile, > 0; ``np.inf`` for the normal.
    confidence_level : array_like, default 0.95
        In (0, 1).  Broadcasts with the other arguments.

    Returns
    -------
    low, high : numpy.ndarray
        Limits, with the broadcast shape of the inputs.

    Raises
    ------
    InputError
        On a proportion outside [0, 1], a negative se, df <= 0 or a
        confidence level outside (0, 1); ``MissingValueError`` on NaN.

    Notes
    -----
    ``[p - t se, p + t se]`` with ``t = t_{df}^{-1}((1 + level)/2)``.  R does not
    truncate; we cut the limits at 0 and 1, the only values a proportion can
    take.  At p = 0 or 1 the SE of a 0/1 variable is 0 and the interval is
    the degenerate [p, p] (R's answer too); a ``DegenerateIntervalWarning``
    says so.

    Examples
    --------
    >>> low, high = ci_mean(0.43918630794655, 0.0378939122309717, 197)
    >>> print(f"{low:.6f} {high:.6f}")
    0.364457 0.513916
    """
    p_, se_, df_, lv_ = _prepare(p, se, df, confidence_level, method="mean")
    t = _t_quantile(lv_, df_)
    low, high = p_ - t * se_, p_ + t * se_
    _warn_degenerate("mean", p_, ((p_ == 0) | (p_ == 1)) & (se_ == 0))
    return _finish(p_, low, high)


def ci_asin(
    p: ArrayLike, se: ArrayLike, df: ArrayLike, *, confidence_level: ArrayLike = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Arcsine-square-root (variance-stabilised) interval.

    Matches ``svyciprop(~y, design, method = "asin", level = confidence_level,
    df = df)`` (R survey 4.1-1) whenever ``asin(sqrt(p)) -/+ h`` stays inside
    [0, pi/2].

    Parameters
    ----------
    p, se, df, confidence_level : array_like
        As for :func:`ci_mean`.

    Returns
    -------
    low, high : numpy.ndarray

    Raises
    ------
    InputError
        As for :func:`ci_mean`.

    Notes
    -----
    With ``theta = asin(sqrt(p))`` and the delta-method half-width
    ``h = t_df * se / (2 sqrt(p (1 - p)))`` the interval is
    ``[sin^2(theta - h), sin^2(theta + h)]``.  R back-transforms without
    bounds, so when ``theta - h < 0`` its lower limit folds back above 0 (and
    can exceed p); we cut the angle to [0, pi/2], which gives 0 (or 1) there.
    At p = 0 or 1 the transformed SE is 0/0 (R returns NaN); we return the
    degenerate [p, p] with a ``DegenerateIntervalWarning``.

    Examples
    --------
    >>> low, high = ci_asin(0.439186307946551, 0.0378939122309717, 197)
    >>> print(f"{low:.6f} {high:.6f}")
    0.365427 0.514322
    """
    p_, se_, df_, lv_ = _prepare(p, se, df, confidence_level, method="asin")
    t = _t_quantile(lv_, df_)
    edge = (p_ == 0) | (p_ == 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(edge, 0.0, t * se_ / (2.0 * np.sqrt(p_ * (1.0 - p_))))
    theta = np.arcsin(np.sqrt(p_))
    low = np.sin(np.clip(theta - h, 0.0, np.pi / 2)) ** 2
    high = np.sin(np.clip(theta + h, 0.0, np.pi / 2)) ** 2
    low = np.where(edge | (h == 0), p_, low)
    high = np.where(edge | (h == 0), p_, high)
    _warn_degenerate("asin", p_, edge)
    return _finish(p_, low, high)


def ci_xlogit(
    p: ArrayLike, se: ArrayLike, df: ArrayLike, *, confidence_level: ArrayLike = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval on the logit scale, by the delta method.

    Matches ``svyciprop(~y, design, method = "xlogit", level = confidence_level,
    df = df)`` (R survey 4.1-1).

    Parameters
    ----------
    p, se, df, confidence_level : array_like
        As for :func:`ci_mean`.

    Returns
    -------
    low, high : numpy.ndarray

    Raises
    ------
    InputError
        As for :func:`ci_mean`.

    Notes
    -----
    ``expit(logit(p) -/+ t_df * se / (p (1 - p)))``.  The interval always lies
    inside (0, 1).  At p = 0 or 1 the logit is infinite and the transformed SE
    0/0 (R returns NaN); we return the degenerate [p, p] with a
    ``DegenerateIntervalWarning``.

    Examples
    --------
    >>> low, high = ci_xlogit(0.439186307946551, 0.0378939122309717, 197)
    >>> print(f"{low:.6f} {high:.6f}")
    0.366358 0.514731
    """
    return _logit_wald("xlogit", p, se, df, confidence_level)


def ci_logit(
    p: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    *,
    confidence_level: ArrayLike = 0.95,
    irls_start: ArrayLike | None = None,
    n_rows: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Wald interval for the intercept of a logistic working model.

    Matches ``svyciprop(~y, design, method = "logit", level = confidence_level,
    df = df)`` (R survey 4.1-1), which fits ``svyglm(y ~ 1, design,
    family = quasibinomial)`` by IRLS and back-transforms
    ``confint(fit, method = "Wald", ddf = df)``.

    Parameters
    ----------
    p, se, df, confidence_level : array_like
        As for :func:`ci_mean`.
    irls_start : array_like, optional
        R's first IRLS iterate, from :func:`r_irls_start`; with it the
        interval is centred on R's IRLS fit instead of ``logit(p)``, as R's is.
        Needs ``n_rows``.
    n_rows : array_like, optional
        ``nrow(design)`` of the (domain) design; only with ``irls_start``.

    Returns
    -------
    low, high : numpy.ndarray

    Raises
    ------
    InputError
        As for :func:`ci_mean`; also ``irls_start`` without ``n_rows``.

    Notes
    -----
    For an intercept-only model the fitted intercept is ``logit(p)`` and its
    design-based (sandwich) SE is ``se / (p (1 - p))``, so the interval is the
    closed form of :func:`ci_xlogit`.  R's IRLS stops at a tolerance, so its
    estimate and limits differ from the closed form by about 1e-10 relative
    (1e-8 for a small p); ``irls_start`` removes that difference.
    At p = 0 or 1 R's IRLS does not converge and returns a meaningless
    interval around ~1e-12 (that need not contain 0); we return the
    degenerate [p, p] with a ``DegenerateIntervalWarning``.

    Examples
    --------
    >>> low, high = ci_logit(0.43918630794655, 0.0378939122309717, 197)
    >>> print(f"{low:.6f} {high:.6f}")
    0.366358 0.514731
    """
    if irls_start is None:
        if n_rows is not None:
            raise InputError("n_rows is used only with irls_start; pass both or neither")
        return _logit_wald("logit", p, se, df, confidence_level)
    if n_rows is None:
        raise InputError(
            "irls_start needs n_rows, nrow(design) of the (domain) design; pass n_rows=..."
        )
    p_, se_, df_, lv_ = _prepare(p, se, df, confidence_level, method="logit")
    b1 = _finite_array("irls_start", irls_start)
    rows = _check_count("n_rows", n_rows)
    try:
        p_, se_, df_, lv_, b1, rows = np.broadcast_arrays(p_, se_, df_, lv_, b1, rows)
    except ValueError as exc:
        raise InputError(
            "irls_start/n_rows do not broadcast with the other inputs; pass one value "
            "per estimate"
        ) from exc
    edge = (p_ == 0) | (p_ == 1)
    fit = np.array(p_, dtype=float, copy=True)
    for idx in np.ndindex(p_.shape):
        if not edge[idx]:
            fit[idx] = _r_irls(float(p_[idx]), float(b1[idx]), float(rows[idx]))[1]
    return _logit_wald("logit", p_, se_, df_, lv_, centre=fit)


def _logit_wald(
    method: str,
    p: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    confidence_level: ArrayLike,
    centre: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """expit(logit(c) -/+ t se / (c (1 - c))) with c = centre (default p)."""
    p_, se_, df_, lv_ = _prepare(p, se, df, confidence_level, method=method)
    t = _t_quantile(lv_, df_)
    edge = (p_ == 0) | (p_ == 1)
    inner = np.where(edge, 0.5, p_ if centre is None else centre)
    b0 = special.logit(inner)
    h = t * se_ / (inner * (1.0 - inner))
    low = np.where(edge | (h == 0), p_, special.expit(b0 - h))
    high = np.where(edge | (h == 0), p_, special.expit(b0 + h))
    _warn_degenerate(method, p_, edge)
    return _finish(p_, low, high)


# --------------------------------------------------------------------------
# Korn-Graubard (beta) and Wilson
# --------------------------------------------------------------------------


def ci_beta(
    p: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    *,
    confidence_level: ArrayLike = 0.95,
    n: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Korn-Graubard interval: Clopper-Pearson at a design-based effective n.

    Matches ``svyciprop(~y, design, method = "beta", level = confidence_level)``
    (R survey 4.1-1) with ``df = degf(design)`` and ``n = nrow(design)``.

    Parameters
    ----------
    p, se : array_like
        Estimated proportion(s) and their linearization SE(s).
    df : array_like
        Degrees of freedom of the variance estimate, > 0 (``np.inf`` allowed).
        R always uses ``degf(design)`` here and ignores its ``df=`` argument;
        pass ``degf`` to match R.
    confidence_level : array_like, default 0.95
        In (0, 1).  R uses the level both in the quantiles and in the df
        correction of n_eff.
    n : array_like
        ``nrow(design)`` in R: the number of sampled units in the (domain)
        design, >= 2.  For ``subset()``/``svyby`` domains of an ordinary
        design this is the domain sample size; for a calibrated
        (post-stratified, raked) design R keeps out-of-domain rows with zero
        weight, so its ``nrow`` is the full sample size.

    Returns
    -------
    low, high : numpy.ndarray

    Raises
    ------
    InputError
        On bad p, se, df, level or n (n missing, < 2 or not whole).

    Notes
    -----
    With ``a = (1 - level)/2`` and ``q = 1 - p``::

        n_eff = p q / se^2 * (t_{n-1}^{-1}(a) / t_{df}^{-1}(a))^2
        low   = Beta^{-1}(a;     n_eff p,     n_eff q + 1)
        high  = Beta^{-1}(1 - a; n_eff p + 1, n_eff q)

    (Korn and Graubard 1998, eq. for the df-adjusted effective sample size).
    The df factor is <= 1 whenever ``df <= n - 1``, as for any design; with a
    larger df it exceeds 1 and the interval can shrink as the level grows.

    At p = 0 or 1 the SE of a 0/1 variable is 0 and n_eff is 0/0 (R returns
    NaN).  We use design effect 1 there, ``n_eff = n * (t_{n-1}/t_{df})^2``, as
    Korn and Graubard (1998) recommend, which gives the one-sided
    Clopper-Pearson limits ``[0, 1 - (a)^(1/n_eff)]`` at p = 0 and
    ``[a^(1/n_eff), 1]`` at p = 1.  With 0 < p < 1 and se = 0 (a domain
    inside census strata) n_eff is infinite and the interval is [p, p].

    References
    ----------
    Korn, E. L. and Graubard, B. I. (1998). *Survey Methodology* 24, 193-201.

    Examples
    --------
    >>> low, high = ci_beta(0.439186307946551, 0.0378939122309717, 197, n=200)
    >>> print(f"{low:.6f} {high:.6f}")
    0.363631 0.516880
    """
    p_, se_, df_, lv_, n_ = _prepare(p, se, df, confidence_level, n, method="beta", need_n=True)
    a = (1.0 - lv_) / 2.0
    ratio2 = (stats.t.ppf(a, n_ - 1.0) / stats.t.ppf(a, df_)) ** 2
    q_ = 1.0 - p_
    edge = (p_ == 0) | (p_ == 1)
    exact_zero_var = (se_ == 0) & ~edge
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(edge, n_, p_ * q_ / np.where(se_ > 0, se_, 1.0) ** 2) * ratio2
    # Placeholders keep the beta parameters valid where the limit is set below.
    safe = edge | exact_zero_var
    a_lo = np.where(safe, 1.0, n_eff * p_)
    b_lo = np.where(safe, 1.0, n_eff * q_ + 1.0)
    a_hi = np.where(safe, 1.0, n_eff * p_ + 1.0)
    b_hi = np.where(safe, 1.0, n_eff * q_)
    low = stats.beta.ppf(a, a_lo, b_lo)
    high = stats.beta.ppf(1.0 - a, a_hi, b_hi)
    # Clopper-Pearson with x = 0 or x = n_eff: Beta(1, n_eff) and Beta(n_eff, 1).
    low = np.where(p_ == 0, 0.0, low)
    high = np.where(p_ == 0, stats.beta.ppf(1.0 - a, 1.0, n_eff), high)
    low = np.where(p_ == 1, stats.beta.ppf(a, n_eff, 1.0), low)
    high = np.where(p_ == 1, 1.0, high)
    low = np.where(exact_zero_var, p_, low)
    high = np.where(exact_zero_var, p_, high)
    return _finish(p_, low, high)


def ci_wilson(
    p: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    *,
    confidence_level: ArrayLike = 0.95,
    n: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval at the design-based effective sample size.

    Not in R survey 4.1-1.

    Parameters
    ----------
    p, se, df, confidence_level : array_like
        As for :func:`ci_mean`; ``t_df`` replaces the normal quantile.
    n : array_like
        Number of sampled units in the (domain) design, >= 2.  Used only at
        p = 0 or 1 (design effect 1 there, see Notes).

    Returns
    -------
    low, high : numpy.ndarray

    Raises
    ------
    InputError
        On bad p, se, df, level or n.

    Notes
    -----
    Wilson's (1927) score interval for a binomial proportion with the sample
    size replaced by the effective sample size ``n_eff = p (1 - p) / se^2``
    (n divided by the estimated design effect; the "Wilson" interval of
    Franco, Little, Louis and Slud 2019, who recommend it for complex
    surveys), and with the ``t_df`` quantile in place of the normal one, the
    same df handling as the other methods here (with ``df = np.inf`` it is
    exactly the published z form)::

        k      = t^2 / n_eff                  (= t^2 se^2 / (p (1 - p)))
        centre = (p + k/2) / (1 + k)
        half   = sqrt(k p (1 - p) + k^2 / 4) / (1 + k)
        CI     = [centre - half, centre + half]

    The interval always lies in [0, 1] and contains p.  At p = 0 or 1 the SE
    of a 0/1 variable is 0; we use design effect 1 there (``n_eff = n``), as
    Korn and Graubard (1998) recommend for their interval, which gives
    ``[0, t^2 / (n + t^2)]`` at p = 0 and ``[n / (n + t^2), 1]`` at p = 1.
    With 0 < p < 1 and se = 0 the interval is [p, p].

    References
    ----------
    Wilson, E. B. (1927). *JASA* 22, 209-212.

    Franco, C., Little, R. J. A., Louis, T. A. and Slud, E. V. (2019).
    Comparative study of confidence intervals for proportions in complex
    sample surveys.  *Journal of Survey Statistics and Methodology* 7(3),
    334-364.

    Examples
    --------
    >>> low, high = ci_wilson(0.0, 0.0, np.inf, n=100)
    >>> print(f"{low:.6f} {high:.6f}")
    0.000000 0.036993
    """
    p_, se_, df_, lv_, n_ = _prepare(p, se, df, confidence_level, n, method="wilson", need_n=True)
    t = _t_quantile(lv_, df_)
    q_ = 1.0 - p_
    edge = (p_ == 0) | (p_ == 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(edge, t * t / n_, t * t * se_ * se_ / np.where(edge, 1.0, p_ * q_))
    # centre -/+ half, written without cancellation: (centre - half) equals
    # p^2 / ((1 + k)(centre + half)), and symmetrically for the upper limit.
    half = np.sqrt(k * p_ * q_ + k * k / 4.0) / (1.0 + k)
    centre_lo = (p_ + k / 2.0) / (1.0 + k)
    centre_hi = (q_ + k / 2.0) / (1.0 + k)
    low = p_ * p_ / ((1.0 + k) * (centre_lo + half))
    high = 1.0 - q_ * q_ / ((1.0 + k) * (centre_hi + half))
    exact = (k == 0) & ~edge  # zero SE inside (0, 1): [p, p] exactly, as every method
    low = np.where(exact, p_, low)
    high = np.where(exact, p_, high)
    return _finish(p_, low, high)


# --------------------------------------------------------------------------
# likelihood (Rao-Scott scaled profile deviance)
# --------------------------------------------------------------------------


def ci_likelihood(
    p: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    *,
    confidence_level: ArrayLike = 0.95,
    n: ArrayLike,
    n_rows: ArrayLike | None = None,
    irls_start: ArrayLike | None = None,
    profile: str = "spline",
    weight_scale: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Profile-likelihood interval with the Rao-Scott design-effect scaling.

    Matches ``svyciprop(~y, design, method = "likelihood", level =
    confidence_level, df = df)`` (R survey 4.1-1), i.e. ``confint(svyglm(y ~ 1,
    design, family = quasibinomial), method = "likelihood", ddf = df)``
    back-transformed, for a 0/1 ``y``: to 1e-8 relative when ``irls_start`` is
    given, wherever R's numerical recipe works (see Notes).  Without
    ``irls_start`` the limits differ from R's by R's IRLS convergence error:
    up to 1e-5 relative on our survey fixtures, 1e-3 for a small p.

    Parameters
    ----------
    p, se, df, confidence_level : array_like
        As for :func:`ci_mean`.  ``p`` is the weighted proportion (svymean).
    n : array_like
        Number of sampled units with a non-zero weight in the (domain) design,
        >= 2 (the domain sample size).  It sets the working-model dispersion
        ``phi = n / (n - 1)``.
    n_rows : array_like, optional
        Number of rows of the (domain) design R fits the model to
        (``nrow(design)``, also the sum of svyglm's normalised weights);
        defaults to ``n``.  It differs from ``n`` only for domains of
        calibrated (post-stratified, raked) designs, where R keeps
        out-of-domain rows with zero weight: pass the full sample size there
        to match R.  Not used by ``profile="exact"``.
    irls_start : array_like, optional
        R's first IRLS iterate of the intercept (logit scale), from
        :func:`r_irls_start` on the (domain) data.  With it we replay R's IRLS
        (see Notes) and match R to 1e-8; pass svymean's p-hat as ``p`` then.
        Without it we use the converged fit.  Not with ``profile="exact"``.
    weight_scale : array_like, optional
        The mean weight of the fitted rows over the mean weight of all rows of the
        (domain) design, default 1.  It differs from 1 only for
        ``svyciprop(..., na.rm=TRUE)``: R normalises svyglm's weights by their mean
        over all rows, the rows with a missing value included, which scales the
        weight sum, the dispersion and the design effect of the fit by this ratio.
    profile : {"spline", "r", "exact"}, default "spline"
        ``"spline"``: R's numerical recipe (profile on a grid, spline, linear
        inverse interpolation), replaced by the exact root where that recipe
        breaks down.  ``"r"``: R's recipe wherever it returns a limit on the
        right side of p, however inaccurate (strict parity with R).
        ``"exact"``: the root of the profile equation (brentq).  R's recipe
        differs from the exact root by about 1e-7 relative for design effects
        near 1, up to 1e-3 on our survey fixtures and 7e-3 on small cluster
        samples with few positives, and by much more where it breaks down.

    Returns
    -------
    low, high : numpy.ndarray

    Raises
    ------
    InputError
        On bad inputs, an unknown ``profile``, n/n_rows < 2, or
        ``irls_start`` with ``profile="exact"``.
    ConvergenceError
        If the root finder of the exact profile fails.

    Warns
    -----
    LikelihoodProfileWarning
        Where the exact root replaced R's recipe.
    DegenerateIntervalWarning
        At p = 0 or 1.

    Notes
    -----
    For ``y ~ 1`` with normalised weights summing to W, the working deviance
    at ``mu`` is ``D(mu) = D(p) + 2 W KL(p, mu)`` with
    ``KL(p, mu) = p log(p/mu) + (1-p) log((1-p)/(1-mu))``.  R scales it by the
    working dispersion ``phi`` (the design-weighted variance of the Pearson
    residuals, exactly ``n/(n-1)`` for a 0/1 variable) and compares the signed
    root ``z(mu) = sign(mu - p) sqrt(2 W KL / phi)`` with ``t_df sqrt(lambda)``,
    where ``lambda = W se^2 / (p (1-p))`` is the ratio of the design-based to
    the model-based variance of the intercept (the Rao-Scott design effect).
    W cancels, so the interval is the set of ``mu`` with::

        KL(p, mu) <= t_df^2 se^2 phi / (2 p (1 - p)),   phi = n / (n - 1)

    ``profile="exact"`` finds both ends with ``scipy.optimize.brentq`` on the
    logit scale.

    R's recipe: it evaluates ``z`` on the intercepts
    ``b0 + k (zmax/5) se/(p(1-p))``, k = +/-1, ..., +/-9, stopping a side once
    ``|z| >= zmax = sqrt(F^{-1}_{1, n_rows-1}(1 - alpha))``,
    ``alpha = Phi(-t_df sqrt(lambda))/2``; its inverse link is clamped to
    [eps, 1 - eps] beyond ``|eta| = 30``.  It fits an interpolating cubic
    spline with Forsythe-Malcolm-Moler end conditions through the points,
    tabulates it at ``3 * (number of points)`` equally spaced intercepts and
    inverts the table by linear interpolation at ``-/+ t_df sqrt(lambda)``.
    ``b0`` is R's IRLS fit, and R's model-based variance is taken at the
    IRLS iterate ``mu'`` before the last, so R's lambda is
    ``W se^2 mu'(1-mu') / (pf (1-pf))^2`` with ``pf = expit(b0)``.  With
    ``irls_start`` we replay the Newton steps ``b <- b + (p - mu)/(mu(1-mu))``
    and R's stopping rule (relative deviance change < 1e-8) to get ``pf`` and
    ``mu'``; without it ``pf = mu' = p``.

    R's recipe breaks down in two ways.  It returns NA when the table does not
    reach the cutoff (a tiny design effect at a high level), and with a coarse
    grid (few clusters, a design effect of 10 or more, a tiny n*p) its limit
    can be 2-16% away from the profile root, or orders of magnitude in a far
    tail (R fixtures ``synth_*`` in ``tests/fixtures/ci``).  With
    ``profile="spline"`` we keep R's limit where it lies on the right side of
    p and its profile statistic is within 1% of the cutoff (R's error is below
    1e-3 on every R fixture where the recipe works), and return the exact
    root with a ``LikelihoodProfileWarning`` elsewhere.  This keeps the
    intervals nested across confidence levels.  ``profile="r"`` replaces only
    NA and wrong-side limits.

    At p = 0 or 1 R stops with "profiling has found a better solution"; the
    scaled deviance has zero width there, so we return the degenerate
    [p, p] with a ``DegenerateIntervalWarning``.  With 0 < p < 1 and se = 0
    the interval is [p, p].

    References
    ----------
    Rao and Scott (1984); Lumley (2010), section 2.3; Forsythe, G. E.,
    Malcolm, M. A. and Moler, C. B. (1977). *Computer Methods for
    Mathematical Computations*, section 4.4, Prentice-Hall; McCullagh, P. and
    Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., section 2.5
    (IRLS).

    Examples
    --------
    >>> low, high = ci_likelihood(0.43918630794655, 0.0378939122309717, 197, n=200)
    >>> print(f"{low:.6f} {high:.6f}")
    0.365608 0.514599
    """
    if not isinstance(profile, str) or profile not in LIKELIHOOD_PROFILES:
        raise InputError(
            f"profile={profile!r} is not a valid likelihood profile; use one of "
            f"{', '.join(repr(m) for m in LIKELIHOOD_PROFILES)}"
        )
    if profile == "exact" and irls_start is not None:
        raise InputError(
            "irls_start only reproduces R's IRLS path for profile='spline'; drop "
            "irls_start or use profile='spline'"
        )
    p_, se_, df_, lv_, n_ = _prepare(
        p, se, df, confidence_level, n, method="likelihood", need_n=True
    )
    rows_ = n_ if n_rows is None else _check_count("n_rows", n_rows)
    start_ = (
        np.full(p_.shape, np.nan)
        if irls_start is None
        else _finite_array("irls_start", irls_start)
    )
    scale_ = np.ones(p_.shape) if weight_scale is None else _finite_array("weight_scale", weight_scale)
    if np.any(scale_ <= 0):
        raise InputError("weight_scale must be positive (a ratio of mean weights)")
    try:
        p_, se_, df_, lv_, n_, rows_, start_, scale_ = np.broadcast_arrays(
            p_, se_, df_, lv_, n_, rows_, start_, scale_
        )
    except ValueError as exc:
        raise InputError(
            f"n_rows/irls_start have shapes {np.shape(rows_)}/{np.shape(start_)}, "
            f"which do not broadcast with the other inputs (shape {p_.shape}); "
            "pass one value per estimate"
        ) from exc
    edge = (p_ == 0) | (p_ == 1)
    low = np.array(p_, dtype=float, copy=True)
    high = np.array(p_, dtype=float, copy=True)
    t = _t_quantile(lv_, df_)
    replaced = np.zeros(p_.shape, dtype=bool)
    for idx in np.ndindex(p_.shape):
        if edge[idx] or se_[idx] == 0:
            continue
        low[idx], high[idx], replaced[idx] = _likelihood_one(
            float(p_[idx]), float(se_[idx]), float(t[idx]), float(n_[idx]),
            float(rows_[idx]), float(start_[idx]),
            _R_RECIPE_TOLERANCE if profile == "spline" else np.inf,
            profile == "exact", float(scale_[idx]),
        )
    _warn_degenerate("likelihood", p_, edge)
    if replaced.any():
        warnings.warn(
            f"R's grid-and-spline recipe for the likelihood interval breaks down for "
            f"{int(replaced.sum())} estimate(s) (R returns NA or a limit more than 1% "
            "off the profile-likelihood root there: few clusters, large design effect "
            "or tiny n*p); returned the exact profile-likelihood limit instead "
            "(profile='r' keeps R's value)",
            LikelihoodProfileWarning,
            stacklevel=user_stacklevel(),
        )
    return _finish(p_, low, high)


def r_irls_start(y: ArrayLike, weights: ArrayLike) -> float:
    """R's first IRLS iterate for ``svyglm(y ~ 1, family = quasibinomial)``.

    Pass the result as ``irls_start`` to :func:`ci_likelihood` to reproduce
    R's ``svyciprop(method = "likelihood")`` to 1e-8 (see its Notes).

    Parameters
    ----------
    y : array_like
        The 0/1 variable for every row of the (domain) design R fits the
        model to.
    weights : array_like
        Sampling weights of the same rows, >= 0.  For a domain of an ordinary
        design these are the domain's rows; for a domain of a calibrated
        design R keeps every row and gives out-of-domain rows weight 0.

    Returns
    -------
    float
        The intercept after one IRLS step, on the logit scale.

    Raises
    ------
    InputError
        On y outside {0, 1}, negative or all-zero weights, or unequal lengths.

    Notes
    -----
    svyglm normalises the weights, ``w_i = weights_i / mean(weights)``; the
    binomial family starts at ``m_i = (w_i y_i + 1/2) / (w_i + 1)``, and one
    IRLS step is the weighted least-squares fit of the working response
    ``logit(m_i) + (y_i - m_i) / (m_i (1 - m_i))`` with working weights
    ``w_i m_i (1 - m_i)`` (McCullagh and Nelder 1989, section 2.5).  Because
    the start depends on each unit's weight, this value, unlike the
    interval's other inputs, needs the unit-level data.

    Examples
    --------
    R: ``coef(glm(y ~ 1, quasibinomial, control = glm.control(maxit = 1)))``
    with ``y = c(1, 0, 0, 1, 0)`` is -0.486389124400288.

    >>> round(r_irls_start([1, 0, 0, 1, 0], [1, 1, 1, 1, 1]), 12)
    -0.4863891244
    """
    y_ = _finite_array("y", y).ravel()
    w_ = _finite_array("weights", weights).ravel()
    if y_.shape != w_.shape:
        raise InputError(
            f"y has {y_.size} values but weights has {w_.size}; pass one weight per row"
        )
    if not np.isin(y_, (0.0, 1.0)).all():
        raise InputError(
            "y must be a 0/1 variable (the proportion's indicator); got values "
            f"{sorted(set(y_[~np.isin(y_, (0.0, 1.0))].tolist()))[:5]}"
        )
    if (w_ < 0).any() or not (w_ > 0).any():
        raise InputError(
            "weights must be >= 0 with at least one > 0; pass the sampling weights "
            "of the (domain) design"
        )
    wn = w_ / w_.mean()
    m = (wn * y_ + 0.5) / (wn + 1.0)
    var = m * (1.0 - m)
    z = special.logit(m) + (y_ - m) / var
    ww = wn * var
    return float(np.sum(ww * z) / np.sum(ww))


def _finite_array(name: str, value: ArrayLike) -> np.ndarray:
    arr = _as_float_array(name, value)
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains an infinite value; pass finite numbers")
    return arr


# R's glm.control() defaults used by svyglm.
_GLM_EPSILON = 1e-8
_GLM_MAXIT = 25


def _r_irls(p: float, b1: float, w_sum: float) -> tuple[float, float]:
    """R's IRLS replayed from its first iterate: (mean before the last step, fit).

    From the second iteration on, the intercept-only weighted least-squares
    step is Newton's step ``b + (p - mu)/(mu(1-mu))``; R stops when the
    deviance ``-2 W (p log mu + (1-p) log(1-mu))`` changes by less than
    ``epsilon * (|dev| + 0.1)`` (``glm.control()`` defaults).
    """

    def dev(mu: float) -> float:
        return -2.0 * w_sum * (p * math.log(mu) + (1.0 - p) * math.log1p(-mu))

    b = b1
    mu = float(special.expit(b))
    d_old = dev(mu)
    prev = mu
    for _ in range(2, _GLM_MAXIT + 1):
        prev = mu
        b = b + (p - mu) / (mu * (1.0 - mu))
        mu = float(special.expit(b))
        if not 0.0 < mu < 1.0:
            break
        d_new = dev(mu)
        if abs(d_new - d_old) / (abs(d_new) + 0.1) < _GLM_EPSILON:
            break
        d_old = d_new
    return prev, mu


def r_irls_estimate(p: ArrayLike, irls_start: ArrayLike, n_rows: ArrayLike) -> np.ndarray:
    """R's reported estimate for ``svyciprop(method = "logit"/"likelihood")``.

    R reports ``expit`` of its IRLS intercept, which differs from the weighted
    proportion ``p`` by the IRLS convergence error (1e-10 relative typically,
    1e-8 for a small p).  This replays R's iterations.

    Parameters
    ----------
    p : array_like
        The weighted proportion (``svymean``), in (0, 1).
    irls_start : array_like
        R's first IRLS iterate, from :func:`r_irls_start`.
    n_rows : array_like
        ``nrow(design)`` of the (domain) design.

    Returns
    -------
    numpy.ndarray
        The estimate R prints, with the broadcast shape of the inputs.

    Raises
    ------
    InputError
        On p outside (0, 1), a non-finite ``irls_start`` or a bad ``n_rows``.

    Examples
    --------
    R: ``plogis(coef(glm(y ~ 1, quasibinomial)))`` with ``y = c(1, 0, 0, 1, 0)``
    is 0.40000000000000013 (4 IRLS iterations).

    >>> b1 = r_irls_start([1, 0, 0, 1, 0], [1, 1, 1, 1, 1])
    >>> abs(float(r_irls_estimate(0.4, b1, 5)) - 0.40000000000000013) < 1e-16
    True
    """
    p_ = _as_float_array("estimate", p)
    b_ = _finite_array("irls_start", irls_start)
    w_ = _check_count("n_rows", n_rows)
    bad = (p_ <= 0) | (p_ >= 1)
    if bad.any():
        raise InputError(
            f"estimate={_first_bad(p_, bad)!r} is not strictly inside (0, 1); R's IRLS "
            "does not converge at p = 0 or 1"
        )
    p_, b_, w_ = np.broadcast_arrays(p_, b_, w_)
    out = np.empty(p_.shape)
    for idx in np.ndindex(p_.shape):
        out[idx] = _r_irls(float(p_[idx]), float(b_[idx]), float(w_[idx]))[1]
    return out


def r_irls_replicates(p: ArrayLike, start: ArrayLike) -> np.ndarray:
    """R's logistic intercepts of replicate fits: ``glm.fit(start = b0)`` replayed.

    On a replicate design R's ``svyglm(y ~ 1, family = quasibinomial)`` refits every
    replicate with ``glm.fit(weights = w_r / sum(w_r), start = b0)``.  For an
    intercept-only model each IRLS step is the Newton step
    ``b <- b + (p_r - mu)/(mu (1 - mu))`` on the replicate proportion p_r, and R
    stops when the deviance ``-2 (p_r log mu + (1 - p_r) log(1 - mu))`` changes by
    less than ``1e-8 (|dev| + 0.1)`` (``glm.control()``), at most 25 steps.  A
    replicate close to the full sample often stops after one step, so its
    intercept is not ``logit(p_r)``; replaying the steps gives R's values.

    Parameters
    ----------
    p : array_like, shape (R, ...)
        Replicate proportions (NaN for a replicate without the domain).
    start : array_like
        The full-sample intercept b0, broadcast against ``p[0]``.

    Returns
    -------
    numpy.ndarray
        The replicate intercepts (logit scale), shape of ``p``; NaN where p is NaN.

    Examples
    --------
    >>> import math
    >>> b = r_irls_replicates([[0.30], [0.31]], [math.log(0.3 / 0.7)])
    >>> [round(float(x), 12) for x in b[:, 0]]  # logit(0.30), logit(0.31) after R's steps
    [-0.847297860387, -0.800119300112]
    """
    p_ = np.asarray(p, dtype=float)
    b = np.array(np.broadcast_to(np.asarray(start, dtype=float), p_.shape), dtype=float)
    with np.errstate(all="ignore"):
        mu = special.expit(b)

        def dev(mu_: np.ndarray) -> np.ndarray:
            return -2.0 * (p_ * np.log(mu_) + (1.0 - p_) * np.log1p(-mu_))

        d_old = dev(mu)
        active = np.isfinite(p_) & (mu > 0) & (mu < 1)
        for _ in range(_GLM_MAXIT):
            if not active.any():
                break
            b_new = np.where(active, b + (p_ - mu) / (mu * (1.0 - mu)), b)
            mu_new = special.expit(b_new)
            d_new = dev(mu_new)
            conv = np.abs(d_new - d_old) / (np.abs(d_new) + 0.1) < _GLM_EPSILON
            b = b_new
            mu = np.where(active, mu_new, mu)
            d_old = np.where(active, d_new, d_old)
            active &= ~conv & (mu > 0) & (mu < 1)
    return np.where(np.isfinite(p_), b, np.nan)


def _kl_logit(p: float, d: float) -> float:
    """KL(p, mu) for mu = expit(logit(p) + d), accurate for small |d|.

    ``p/mu = 1 + (1-p) expm1(-d)`` and ``(1-p)/(1-mu) = 1 + p expm1(d)``, so no
    first-order cancellation happens in the logarithms.
    """
    q = 1.0 - p
    b0 = math.log(p) - math.log1p(-p)
    if -d < 700.0:
        log_p_mu = math.log1p(q * math.expm1(-d))
    else:  # expm1 would overflow: log(expit(b0)) - log(expit(b0 + d))
        log_p_mu = _softplus(-(b0 + d)) - _softplus(-b0)
    if d < 700.0:
        log_q_1mmu = math.log1p(p * math.expm1(d))
    else:
        log_q_1mmu = _softplus(b0 + d) - _softplus(b0)
    return max(p * log_p_mu + q * log_q_1mmu, 0.0)


# R's logit inverse link (make.link("logit")$linkinv) returns eps/(1+eps) below
# eta = -30 and (1/eps)/(1+1/eps) above +30, so R's profile deviance is flat
# beyond |eta| = 30.
_R_ETA_THRESH = 30.0
_R_MU_LOW = np.finfo(float).eps / (1.0 + np.finfo(float).eps)
_R_MU_HIGH = (1.0 / np.finfo(float).eps) / (1.0 + 1.0 / np.finfo(float).eps)


def _r_profile_kl(p: float, bp: float, d: float) -> float:
    """KL(p, mu) at intercept logit(p) + d (= bp + d) with R's clamped link."""
    eta = bp + d
    if -_R_ETA_THRESH <= eta <= _R_ETA_THRESH:
        return _kl_logit(p, d)
    mu = _R_MU_LOW if eta < 0 else _R_MU_HIGH
    q = 1.0 - p
    return max(p * math.log(p / mu) + q * math.log(q / (1.0 - mu)), 0.0)


def _softplus(x: float) -> float:
    """log(1 + exp(x)) without overflow."""
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _likelihood_one(
    p: float, se: float, t: float, n: float, n_rows: float, b1: float, tolerance: float,
    exact_only: bool, scale: float = 1.0,
) -> tuple[float, float, bool]:
    """One interval; the flag says R's recipe was replaced by the exact root.

    With ``b1`` (R's first IRLS iterate) the fit is replayed: R centres its
    grid on the IRLS fit ``pf`` (not exactly p), scales the deviance by the
    Pearson dispersion at ``pf`` and takes the model-based variance at the
    iterate before the last.
    """
    q = 1.0 - p
    # W, the sum of svyglm's normalised weights over the fitted rows: n_rows, times
    # the weight scale c when the normalising mean includes rows that are not fitted
    w_sum = n_rows * scale
    if np.isfinite(b1):
        mu_prev, pf = _r_irls(p, b1, w_sum)
    else:
        mu_prev = pf = p
    qf = 1.0 - pf
    bp = float(special.logit(p))  # _kl_logit measures intercepts from logit(p)
    b0 = float(special.logit(pf))  # R's fitted intercept: the grid centre
    off = b0 - bp
    kl0 = _kl_logit(p, off)  # the deviance of R's fit, above its minimum
    phi = scale * n / (n - 1.0) * (p * q + (p - pf) ** 2) / (pf * qf)
    lam = w_sum * se * se * mu_prev * (1.0 - mu_prev) / (pf * qf) ** 2
    cutoff = t * math.sqrt(lam)
    # the interval ends solve 2 W (KL(p, mu) - kl0) / phi = cutoff^2
    target = kl0 + cutoff * cutoff * phi / (2.0 * w_sum)
    if exact_only:
        d_lo, d_hi = _likelihood_exact(p, target)
        return float(special.expit(bp + d_lo)), float(special.expit(bp + d_hi)), False
    sb = se / (pf * qf)  # design-based SE of the intercept
    alpha = stats.norm.cdf(-cutoff) / 2.0
    # zmax = sqrt(F^{-1}_{1, n_rows-1}(1 - alpha)) = t^{-1}_{n_rows-1}(1 - alpha/2); the t
    # form is used because scipy's F quantile loses digits far in the tail.
    zmax = float(stats.t.isf(alpha / 2.0, n_rows - 1.0)) if alpha > 0 else np.inf
    step = zmax / _R_PROFILE_DEL_DIVISOR * sb
    limits = [np.nan, np.nan]  # on the logit scale, NaN where R gives NA
    with np.errstate(all="ignore"):  # a huge design effect can overflow the table
        if np.isfinite(step) and step > 0 and np.isfinite(cutoff):
            bs, zs = [b0], [0.0]
            for sgn in (-1.0, 1.0):
                z, k = 0.0, 0
                while (k := k + 1) < _R_PROFILE_MAXSTEPS and abs(z) < zmax:
                    d = sgn * k * step
                    kl = _r_profile_kl(p, bp, off + d) - kl0
                    z = sgn * math.sqrt(2.0 * w_sum * max(kl, 0.0) / phi)
                    bs.append(b0 + d)
                    zs.append(z)
            order = np.argsort(bs)
            bx, zy = np.asarray(bs)[order], np.asarray(zs)[order]
            grid = np.linspace(bx[0], bx[-1], 3 * bx.size)
            zgrid = _fmm_spline(bx, zy, grid)
            if np.isfinite(zgrid).all():
                limits = [_linear_inverse(zgrid, grid, c) for c in (-cutoff, cutoff)]
    # Keep R's limit only where its recipe worked: on the right side of the
    # estimate and, for profile="spline", with the profile statistic within
    # `tolerance` of the cutoff.  Elsewhere R returns NA or a limit that can be
    # far off (coarse grid for a huge design effect or a tiny n p).
    fallback = False
    for i, sgn in enumerate((-1.0, 1.0)):
        d = limits[i] - bp
        ok = bool(np.isfinite(d)) and sgn * d > 0
        if ok and np.isfinite(tolerance):
            z = math.sqrt(2.0 * w_sum * max(_kl_logit(p, d) - kl0, 0.0) / phi)
            ok = abs(z - cutoff) <= tolerance * cutoff
        if not ok:
            fallback = True
            limits[i] = bp + _likelihood_exact(p, target)[i]
    return float(special.expit(limits[0])), float(special.expit(limits[1])), fallback


def _likelihood_exact(p: float, target: float) -> tuple[float, float]:
    """Both roots d < 0 < d' of KL(p, expit(logit(p) + d)) = target (brentq).

    Returns -inf (+inf) when the root lies beyond the floating-point range,
    i.e. the limit is 0 (1) to double precision.
    """
    if not np.isfinite(target):
        return -np.inf, np.inf
    q = 1.0 - p

    def f(d: float) -> float:
        return float(_kl_logit(p, d)) - target

    out = []
    for sgn in (-1.0, 1.0):
        d = sgn * max(np.sqrt(2.0 * target / (p * q)), 1e-300)
        for _ in range(2100):
            if f(d) > 0 or not np.isfinite(d):
                break
            d *= 2.0
        if not np.isfinite(d) or f(d) <= 0:
            out.append(sgn * np.inf)
            continue
        lo, hi = (d, 0.0) if sgn < 0 else (0.0, d)
        try:
            root, info = optimize.brentq(
                f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500,
                full_output=True,
            )
        except (RuntimeError, ValueError) as exc:
            raise ConvergenceError(
                f"the profile-likelihood root for p={p!r} did not converge ({exc}); "
                "use method='logit' or 'beta' for this estimate"
            ) from exc
        if not info.converged:
            raise ConvergenceError(
                f"the profile-likelihood root for p={p!r} did not converge after "
                f"{info.iterations} iterations; use method='logit' or 'beta'"
            )
        out.append(float(root))
    return out[0], out[1]


def _fmm_spline(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """Interpolating cubic spline with Forsythe-Malcolm-Moler end conditions.

    The third derivative of the spline on the first (last) interval equals
    that of the cubic through the first (last) four points, i.e. six times
    the third divided difference; with three points it is zero (a parabola),
    with two the spline is the line.  Solved for the second derivatives M_i.
    """
    m = x.size
    h = np.diff(x)
    delta = np.diff(y) / h
    if m == 2:
        return y[0] + delta[0] * (xout - x[0])
    rhs = np.zeros(m)
    diag = np.zeros(m)
    upper = np.zeros(m)  # upper[i] multiplies M_{i+1} in row i
    lower = np.zeros(m)  # lower[i] multiplies M_{i-1} in row i
    diag[1:-1] = 2.0 * (h[:-1] + h[1:])
    upper[1:-1] = h[1:]
    lower[1:-1] = h[:-1]
    rhs[1:-1] = 6.0 * (delta[1:] - delta[:-1])
    if m > 3:
        dd2 = np.diff(delta) / (x[2:] - x[:-2])
        dd3 = np.diff(dd2) / (x[3:] - x[:-3])
        left, right = dd3[0], dd3[-1]
    else:
        left = right = 0.0
    # (M_1 - M_0)/h_0 = 6 f[x0..x3]; (M_{m-1} - M_{m-2})/h_{m-2} = 6 f[x_{m-4}..x_{m-1}]
    diag[0], upper[0], rhs[0] = -h[0], h[0], 6.0 * h[0] * h[0] * left
    diag[-1], lower[-1], rhs[-1] = h[-1], -h[-1], 6.0 * h[-1] * h[-1] * right
    ab = np.zeros((3, m))
    ab[0, 1:] = upper[:-1]
    ab[1, :] = diag
    ab[2, :-1] = lower[1:]
    if not (np.isfinite(ab).all() and np.isfinite(rhs).all()):
        return np.full(np.shape(xout), np.nan)
    mom = linalg.solve_banded((1, 1), ab, rhs)
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, m - 2)
    hi = h[i]
    u = x[i + 1] - xout
    v = xout - x[i]
    return (
        (mom[i] * u**3 + mom[i + 1] * v**3) / (6.0 * hi)
        + (y[i] / hi - mom[i] * hi / 6.0) * u
        + (y[i + 1] / hi - mom[i + 1] * hi / 6.0) * v
    )


def _linear_inverse(zs: np.ndarray, bs: np.ndarray, c: float) -> float:
    """Linear interpolation of b at z = c in the table (zs, bs); NaN outside."""
    order = np.argsort(zs, kind="stable")
    zs, bs = zs[order], bs[order]
    uz, inv = np.unique(zs, return_inverse=True)
    if uz.size != zs.size:  # tied z values: average their b values
        bs = np.bincount(inv, weights=bs) / np.bincount(inv)
        zs = uz
    if not (zs[0] <= c <= zs[-1]):
        return float("nan")
    return float(np.interp(c, zs, bs))


# --------------------------------------------------------------------------
# dispatcher
# --------------------------------------------------------------------------

_METHOD_OPTIONS: dict[str, frozenset[str]] = {
    "likelihood": frozenset({"n_rows", "irls_start", "profile", "weight_scale"}),
    "logit": frozenset({"n_rows", "irls_start"}),
}


def proportion_ci(
    method: str,
    estimate: ArrayLike,
    se: ArrayLike,
    df: ArrayLike,
    *,
    confidence_level: ArrayLike = 0.95,
    n: ArrayLike | None = None,
    **method_inputs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval(s) for proportion(s) by the named method.

    Parameters
    ----------
    method : str
        One of :data:`CI_METHODS`: ``"logit"``, ``"likelihood"``, ``"asin"``,
        ``"beta"``, ``"mean"``, ``"xlogit"``, ``"wilson"`` (exact names).
    estimate : array_like
        Estimated proportion(s) in [0, 1].
    se : array_like
        Linearization standard error(s), >= 0.
    df : array_like
        Degrees of freedom, > 0 (``np.inf`` for normal quantiles); R's
        ``svyciprop`` default is ``degf(design)`` of the (domain) design.
    confidence_level : array_like, default 0.95
        In (0, 1); broadcasts, e.g. shape (1, L) against estimates of shape
        (D, 1) gives every domain at every level.
    n : array_like, optional
        Number of sampled units in the (domain) design; required by
        ``"beta"`` (R's ``nrow(design)``), ``"likelihood"`` (units with
        non-zero weight) and ``"wilson"``, ignored by the others.
    **method_inputs
        ``"likelihood"``: ``n_rows``, ``irls_start``, ``profile`` and ``weight_scale``, see
        :func:`ci_likelihood`; ``"logit"``: ``irls_start`` and ``n_rows``, see
        :func:`ci_logit`.

    Returns
    -------
    low, high : numpy.ndarray
        Limits with the broadcast shape of the inputs.

    Raises
    ------
    InputError
        Unknown method (the message lists the valid names), an option the
        method does not take, a missing ``n``, or a bad value.
    ConvergenceError
        From ``"likelihood"`` with ``profile="exact"`` if the root finder fails.

    Notes
    -----
    Each method's formula, R counterpart and behaviour at p = 0 or 1 are in
    its own function's docstring and in ``docs/ci_methods.md``.

    Examples
    --------
    >>> import numpy as np
    >>> low, high = proportion_ci("logit", [0.48, 0.28], [0.0496405481967998,
    ...                           0.0619823883186507], [99, 49],
    ...                           confidence_level=np.array([[0.9], [0.95]]))
    >>> low.shape
    (2, 2)
    """
    if not isinstance(method, str) or method not in CI_METHODS:
        raise InputError(
            f"method={method!r} is not a confidence-interval method; use one of "
            f"{', '.join(repr(m) for m in CI_METHODS)}"
        )
    allowed = _METHOD_OPTIONS.get(method, frozenset())
    unknown = sorted(set(method_inputs) - allowed)
    if unknown:
        hint = (
            f"it takes {', '.join(sorted(allowed))}" if allowed else "it takes no extra options"
        )
        raise InputError(
            f"method {method!r} does not take {', '.join(unknown)}; {hint}"
        )
    if method in _NEEDS_N:
        if n is None:
            raise InputError(
                f"method {method!r} needs n, the number of sampled units in the "
                "(domain) design; pass n=..."
            )
        func = {"likelihood": ci_likelihood, "beta": ci_beta, "wilson": ci_wilson}[method]
        return func(estimate, se, df, confidence_level=confidence_level, n=n, **method_inputs)
    if method == "logit":
        return ci_logit(estimate, se, df, confidence_level=confidence_level, **method_inputs)
    func = {"asin": ci_asin, "mean": ci_mean, "xlogit": ci_xlogit}[method]
    return func(estimate, se, df, confidence_level=confidence_level)
