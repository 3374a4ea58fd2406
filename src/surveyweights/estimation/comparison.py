"""Comparisons: the difference between two domains, and the Rao-Scott test of independence.

Both ask the design's variance method (:mod:`surveyweights.variance`): the
difference for the variance of the linearized score of the contrast, the
chi-square test for the covariance of the cell proportions.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._domains import apply_na_policy, domains, item, subset_mask
from .._strata import show
from ..design import Design, require_design
from ..errors import DesignError, DomainError, InputError, NoDegreesOfFreedomWarning, user_stacklevel
from ..variance.base import DomainTotals
from .estimates import _check_level, _interval, no_observed_value, resolve_df, warn_undefined_variance

__all__ = ["difference", "Difference", "chisq_test", "ChisqTest"]


@dataclass(frozen=True)
class Difference:
    """The difference between two domain estimates, with its design-based SE (frozen).

    ``to_frame()`` has one row per level with columns ``variable, level, contrast,
    estimate, se, ci_low, ci_high, df, statistic, p_value, estimate_a, estimate_b,
    method, confidence_level``; ``statistic`` is estimate / se and ``p_value`` the
    two-sided p-value of a zero difference under t_df.
    """

    by: tuple[str, ...]
    between: tuple[Any, Any]
    confidence_level: float
    _table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The comparison as a tidy DataFrame (a copy)."""
        return self._table.copy()

    def __repr__(self) -> str:
        return f"Difference({self.between[0]!r} - {self.between[1]!r} by {list(self.by)})\n{self._table!r}"


def _domain_index(dom, value: Any, by: tuple[str, ...]) -> int:
    key = value if isinstance(value, tuple) else (value,)
    if len(key) != len(by):
        raise InputError(
            f"domain {value!r} has {len(key)} value(s) but by= has {len(by)} column(s); give one "
            f"value per by column, e.g. ('58-63', 'large')"
        )
    match = np.ones(dom.n_groups, dtype=bool)
    for c, v in zip(by, key):
        match &= (dom.keys[c].to_numpy(dtype=object) == v)
    hits = np.flatnonzero(match)
    if not len(hits):
        known = [tuple(r) if len(by) > 1 else r[0] for r in dom.keys.itertuples(index=False)]
        raise DomainError(
            f"domain {value!r} of {list(by)} has no respondents in the analysed subset; "
            f"domains with respondents: {', '.join(show(k) for k in known[:20])}"
        )
    return int(hits[0])


def difference(
    design: Design,
    variable: str,
    *,
    by: str | Sequence[str],
    between: tuple[Any, Any],
    level: Any = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Difference:
    """The difference of a proportion (or mean) between two domains, a minus b.

    Parameters
    ----------
    design : Design
    variable : str
        A categorical, boolean or 0/1 item (difference of proportions; every level,
        or ``level=``), or a numeric item (difference of means).
    by : str or list of str, keyword-only
        The domain columns.
    between : (a, b), keyword-only
        The two domains; with several ``by`` columns each is a tuple of values.
    level : optional, keyword-only
        The level of a categorical item to compare (default: all levels).
    subset, confidence_level, df, na
        As in :func:`surveyweights.proportion`.  ``df="design"`` is the design
        degrees of freedom of the two domains together (PSUs in a or b minus
        strata present in them); ``"satterthwaite"`` the effective df of the
        contrast's variance; a number is used as given (``numpy.inf`` gives R's
        ``confint(svycontrast(...))``).

    Returns
    -------
    Difference

    Notes
    -----
    The linearized score of p_a - p_b is z_a - z_b, the domain scores of the two
    estimates (:func:`surveyweights.proportion`, Notes); its stratified variance is
    Var(p_a) + Var(p_b) - 2 Cov(p_a, p_b), with the covariance that arises when
    the domains share strata.  Matches R's ``svycontrast(svyby(~y, ~by, design,
    svymean, covmat=TRUE), c(a=1, b=-1))`` (estimate and SE); ``p_value`` is the
    two-sided ``2 * pt(-abs(estimate / se), df)``.

    Degenerate cases behave as in :func:`surveyweights.proportion`: a domain without
    an observed value raises the same ``InputError``; with 0 df the interval is the
    whole range ([-1, 1] for proportions, (-inf, inf) for means) and ``p_value`` is
    NaN, with a ``NoDegreesOfFreedomWarning``; a difference of exactly 0 with SE 0
    (both domains inside census strata) has ``p_value`` 1.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"g": list("aabbab"), "h": list("xxxyyy"), "y": [1, 0, 1, 1, 0, 0]})
    >>> r = sw.difference(sw.Design(df, strata="h"), "y", by="g", between=("b", "a"))
    >>> round(float(r.to_frame()["estimate"].iloc[0]), 4)
    0.3333
    """
    require_design(design)
    if not isinstance(between, tuple) or len(between) != 2:
        raise InputError(f"between={between!r} must be a pair (a, b) of domains, e.g. ('large', 'micro')")
    lv = _check_level(confidence_level)
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    ia, ib = (_domain_index(dom, v, dom.by) for v in between)
    if ia == ib:
        raise InputError(f"between={between!r} names the same domain twice")
    s = data[variable] if isinstance(variable, str) and variable in data else None
    numeric = (s is not None and pd.api.types.is_numeric_dtype(s.dtype)
               and not pd.api.types.is_bool_dtype(s.dtype)
               and not set(pd.unique(s.dropna())) <= {0, 1} and level is None)
    it = item(data, variable, kind="mean" if numeric else "proportion", level=level)
    code, _ = apply_na_policy(it, dom, na, data.index)
    for g in (ia, ib):  # the same error as proportion()/mean() for the same domain
        if not (code == g).any():
            raise no_observed_value(dom, g, it.name)
    w = design._w
    y = it.values
    est, scores = [], np.zeros_like(y)
    for g, sign in ((ia, 1.0), (ib, -1.0)):
        rows = code == g
        W = w[rows].sum()
        p = (w[rows, None] * y[rows]).sum(axis=0) / W
        est.append(p)
        scores[rows] = sign * w[rows, None] * (y[rows] - p) / W
    pair = np.where((code == ia) | (code == ib), 0, -1)
    L = y.shape[1]

    def contrast(t: np.ndarray) -> np.ndarray:
        means = t[..., :L] / t[..., L:]  # (..., 2, L): domain a, domain b
        return (means[..., 0, :] - means[..., 1, :])[..., None, :]

    # the difference as a function of the two domains' totals of (y, 1)
    reestimate = DomainTotals(np.column_stack([y, np.ones(len(y))]),
                              np.where(code == ia, 0, np.where(code == ib, 1, -1)), 2,
                              contrast, (est[0] - est[1])[None, :])
    lin = design.variance.variance(design, scores, pair, 1, reestimate=reestimate)
    warn_undefined_variance(lin.variance, design)
    se = np.sqrt(np.maximum(lin.variance[0], 0.0))
    ddf = np.full((1, y.shape[1]), design.variance.domain_df(design, np.where(
        (dom.code == ia) | (dom.code == ib), 0, -1), 1)[0])
    dfs = resolve_df(df, design_df=ddf, satterthwaite=lin.satterthwaite_df)[0]
    diff = est[0] - est[1]
    # intervals as every estimator: zero df gives the whole range, with the warning
    lo, hi = _interval("mean", "wald", diff, se, dfs, lv, np.ones_like(diff))
    if it.categorical:  # a difference of proportions lies in [-1, 1]
        lo, hi = np.where(dfs > 0, lo, -1.0), np.where(dfs > 0, hi, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = diff / se
    # two-sided p-value of a zero difference; NaN where no t distribution exists (df 0)
    # or where both the difference and its SE are 0
    pval = np.where(dfs > 0, 2 * stats.t.sf(np.abs(tstat), np.where(dfs > 0, dfs, 1.0)), np.nan)
    pval = np.where((se == 0) & (diff == 0) & (dfs > 0), 1.0, pval)  # known exactly: no gap
    label = f"{show(between[0])} - {show(between[1])}"
    table = pd.DataFrame({
        "variable": variable,
        "level": pd.Series(list(it.levels), dtype=object),
        "contrast": label,
        "estimate": diff,
        "se": se,
        "ci_low": lo,
        "ci_high": hi,
        "df": dfs,
        "statistic": tstat,
        "p_value": pval,
        "estimate_a": est[0],
        "estimate_b": est[1],
        "method": "wald",
        "confidence_level": lv,
    })
    return Difference(dom.by, between, lv, table)


@dataclass(frozen=True)
class ChisqTest:
    """Rao-Scott test of independence in a two-way table (frozen).

    Attributes
    ----------
    statistic, ndf, ddf, p_value : float
        The second-order (F) correction, R's default ``svychisq(statistic="F")``.
    chisq, df, p_value_chisq : float
        The Pearson X^2 of the weighted table scaled to the sample size, its df
        (r-1)(c-1), and the p-value of the first-order correction X^2 / mean(delta)
        (R's ``statistic="Chisq"``, which reports the unadjusted X^2 as statistic).
    mean_deff : float
        The mean generalized design effect, tr(Delta) / ((r-1)(c-1)).
    table : pandas.DataFrame
        Weighted cell proportions (rows x columns).
    dropped_levels : dict
        Levels of the row or column variable without any respondent, left out of the
        test (R keeps them and returns NaN).
    """

    statistic: float
    ndf: float
    ddf: float
    p_value: float
    chisq: float
    df: int
    p_value_chisq: float
    mean_deff: float
    table: pd.DataFrame = field(repr=False)
    dropped_levels: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: ``test, statistic, df1, df2, p_value``."""
        return pd.DataFrame({
            "test": ["Rao-Scott F", "Rao-Scott chi-square"],
            "statistic": [self.statistic, self.chisq],
            "df1": [self.ndf, float(self.df)],
            "df2": [self.ddf, np.inf],
            "p_value": [self.p_value, self.p_value_chisq],
        })


def chisq_test(
    design: Design,
    row: str,
    column: str,
    *,
    subset: Any = None,
    na: str = "error",
) -> ChisqTest:
    """Rao-Scott corrected chi-square test of independence of two categorical items.

    Parameters
    ----------
    design : Design
    row, column : str
        Categorical (or boolean / 0/1) columns.
    subset : mask or expression string, optional, keyword-only
        Test within a subpopulation (R's ``svychisq(~r+c, subset(design, ...))``).
    na : {"error", "available"}, keyword-only
        ``"available"`` leaves out units with a missing row or column value (R's
        default ``na.rm=TRUE``); as in R, the sample size N and the design df still
        count them.

    Returns
    -------
    ChisqTest
        With 0 design degrees of freedom (one unit per stratum) the F test has no
        denominator df: ``p_value`` is NaN, with a ``NoDegreesOfFreedomWarning``.

    Raises
    ------
    DesignError
        The design gives the table no sampling variance (tr(Delta) = 0: every
        stratum is taken completely or lonely and left out), where R returns F = inf
        with p = NaN.

    Notes
    -----
    With p the weighted cell proportions over the analysed units, V their
    linearization covariance, N the number of units in the (sub)design and C a
    basis of the contrasts orthogonal to the row and column margins:
    X^2 = N sum (p_rc - p_r. p_.c)^2 / (p_r. p_.c);
    Delta = (C' D^- C / N)^-1 (C' D^- V D^- C) with D^- = diag(1/p) (0 for an
    empty cell); F = X^2 / tr(Delta) on ndf = tr(Delta)^2 / tr(Delta^2) and
    ddf = nu * ndf, nu the design degrees of freedom (Rao & Scott 1984, Ann.
    Statist. 12; Lumley 2010, sec. 6.1).  Matches R's ``svychisq(~row + column,
    design)`` (F, ndf, ddf, p) and ``statistic="Chisq"`` (X^2, df, p).  Empty cells
    whose row and column occur are handled through the zeros of D^-; a level that
    never occurs is dropped and reported in ``dropped_levels``.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"a": list("xxyyxyxy"), "b": list("uvuvuuvv"), "h": list("pppqqqqp")})
    >>> res = sw.chisq_test(sw.Design(df, strata="h"), "a", "b")
    >>> round(res.ndf, 6) == 1.0
    True
    """
    require_design(design)
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, None, mask)
    ir = item(data, row, kind="total")
    ic = item(data, column, kind="total")
    for it in (ir, ic):
        if not it.categorical:
            raise InputError(
                f"variable {it.name!r} is numeric; the chi-square test needs categorical items "
                f"(convert it with .astype('category'))"
            )
    code_r, _ = apply_na_policy(ir, dom, na, data.index)
    code_c, _ = apply_na_policy(ic, dom, na, data.index)
    inside = (code_r >= 0) & (code_c >= 0)
    w = design._w
    dropped = {}
    keep_r = ir.values[inside].sum(axis=0) > 0
    keep_c = ic.values[inside].sum(axis=0) > 0
    if not keep_r.all():
        dropped[row] = [lv for lv, k in zip(ir.levels, keep_r) if not k]
    if not keep_c.all():
        dropped[column] = [lv for lv, k in zip(ic.levels, keep_c) if not k]
    R = ir.values[:, keep_r]
    Cc = ic.values[:, keep_c]
    nr, nc = R.shape[1], Cc.shape[1]
    if nr < 2 or nc < 2:
        raise InputError(
            f"the table of {row!r} x {column!r} has {nr} x {nc} observed levels; a test of "
            f"independence needs at least two levels of each"
        )
    # cells with the row index varying fastest, as R
    cells = (R[:, :, None] * Cc[:, None, :]).transpose(0, 2, 1).reshape(len(data), nr * nc)
    W = w[inside].sum()
    p = (w[inside, None] * cells[inside]).sum(axis=0) / W
    scores = np.where(inside[:, None], w[:, None] * (cells - p) / W, 0.0)
    # the cell proportions as ratios of totals over the analysed units
    reestimate = DomainTotals.ratio(cells, np.where(inside, 0, -1), 1, estimate=p[None, :])
    V = design.variance.covariance(design, scores, inside, reestimate=reestimate)
    N = float(mask.sum())
    nu = design.variance.domain_df(design, dom.code, 1)[0]
    pt = p.reshape(nc, nr).T  # rows x columns
    pr, pc = pt.sum(axis=1), pt.sum(axis=0)
    expected = np.outer(pr, pc)
    x2 = N * np.sum((pt - expected) ** 2 / expected)
    # contrasts orthogonal to intercept, row and column indicators
    ri = np.tile(np.eye(nr), (nc, 1))
    ci = np.repeat(np.eye(nc), nr, axis=0)
    X1 = np.column_stack([np.ones(nr * nc), ri[:, 1:], ci[:, 1:]])
    X12 = np.column_stack([ri[:, 1:][:, i] * ci[:, 1:][:, j] for j in range(nc - 1) for i in range(nr - 1)])
    Q, _ = np.linalg.qr(X1)
    Cmat = X12 - Q @ (Q.T @ X12)
    dinv = np.where(p > 0, 1.0 / np.where(p > 0, p, 1.0), 0.0)
    denom = Cmat.T @ (dinv[:, None] * Cmat) / N
    numr = Cmat.T @ (dinv[:, None] * V * dinv[None, :]) @ Cmat
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = np.trace(delta), np.trace(delta @ delta)
    k = (nr - 1) * (nc - 1)
    if not tr > 1e-12 * k:
        why = ("is undefined (lonely_psu='average' has no stratum with two or more units to "
               "average over)" if np.isnan(tr) else
               "is 0: every stratum holding these units is taken completely, or has a single "
               f"unit that lonely_psu={design.lonely_psu!r} leaves out, so the weighted table "
               "is exact")
        raise DesignError(
            f"the sampling variance of the table of {row!r} x {column!r} {why}; no Rao-Scott "
            f"test is possible. Use lonely_psu='adjust', or collapse single-unit strata"
        )
    ndf = tr * tr / tr2
    F = x2 / tr
    ddf = nu * ndf
    if not nu > 0:
        warnings.warn(
            f"the design has {nu:g} degrees of freedom for the test of {row!r} x {column!r} "
            f"(one unit per stratum), so the F test has no denominator df and its p-value is "
            f"NaN; collapse strata, or read the first-order chi-square p_value_chisq",
            NoDegreesOfFreedomWarning,
            stacklevel=user_stacklevel(),
        )
    p_f = float(stats.f.sf(F, ndf, ddf)) if nu > 0 else float("nan")
    table = pd.DataFrame(pt, index=pd.Index([lv for lv, kk in zip(ir.levels, keep_r) if kk], name=row),
                         columns=pd.Index([lv for lv, kk in zip(ic.levels, keep_c) if kk], name=column))
    return ChisqTest(
        statistic=float(F), ndf=float(ndf), ddf=float(ddf),
        p_value=p_f,
        chisq=float(x2), df=int(k), p_value_chisq=float(stats.chi2.sf(x2 / (tr / k), k)),
        mean_deff=float(tr / k), table=table, dropped_levels=dropped,
    )
