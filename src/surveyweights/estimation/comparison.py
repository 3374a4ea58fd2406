"""Comparisons: differences between domains, t-tests, contrasts, and the Rao-Scott test.

All ask the design's variance method (:mod:`surveyweights.variance`): the
difference and the t-test for the variance of the linearized score of the
contrast, :func:`contrast` for the covariance of the rows of an estimate table,
the chi-square test for the covariance of the cell proportions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _display
from ._domains import NA_POLICIES, apply_na_policy, domains, item, subset_mask
from .._strata import check_columns, show
from ..design import Design, require_design
from ..engines import memory
from ..engines.base import not_on_engine
from ..errors import (
    DesignError,
    DomainError,
    InputError,
    MissingValueError,
    NoDegreesOfFreedomWarning,
    user_stacklevel,
)
from ..variance import uses_cells
from ..variance.base import DomainTotals
from ..variance.replicate import ReplicateWeights
from ._domains import encode_item, missing_error
from ._sql import _sql_chisq_cells, _sql_item_cells, sql_ttest_cells
from .estimates import (
    Estimates,
    _KeysOf,
    _check_level,
    _interval,
    cell_codes,
    no_observed_value,
    resolve_df,
    warn_undefined_variance,
)

__all__ = ["difference", "Difference", "chisq_test", "ChisqTest", "ttest", "TTest", "contrast",
           "Contrast"]


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

    def _title(self) -> str:
        t = self._table
        df = t["df"].iloc[0] if len(t) else float("nan")
        return (f"Difference in {t['variable'].iloc[0]}, {show(self.between[0])} - "
                f"{show(self.between[1])} by {' x '.join(self.by)}: "
                f"{_display.number(100 * self.confidence_level)}% CI (df={_display.number(df)})")

    def __repr__(self) -> str:
        """Estimate, SE, interval and p-value per level within 80 columns."""
        keys = ["level"] if self._table["level"].nunique(dropna=False) > 1 or \
            not _trivial_level(self._table["level"].iloc[0]) else []
        body = _display.table(self._table, keys,
                              ["estimate", "se", "ci_low", "ci_high", "statistic", "p_value"],
                              formats={"p_value": _p_value})
        return f"{self._title()}\n{body}"

    def _repr_html_(self) -> str:
        cols = ["level", "estimate", "se", "ci_low", "ci_high", "df", "statistic", "p_value",
                "estimate_a", "estimate_b"]
        return _display.html_block(self._title(), self._table[cols])


def _trivial_level(level: Any) -> bool:
    """No level worth printing: a numeric item (None), or the 1/True of a 0/1 item."""
    if level is None or level is True:
        return True
    if isinstance(level, (int, np.integer)) and not isinstance(level, bool):
        return int(level) == 1
    return not isinstance(level, str) and bool(pd.isna(level))


def _p_value(p: float) -> str:
    """R's format.pval at 4 digits: ``< 2.2e-16`` below the machine epsilon."""
    if p is None or not np.isfinite(p):
        return "NA"
    return "< 2.2e-16" if p < 2.220446e-16 else _display.number(p)


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
    kind: str | None = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Difference:
    """The difference of a proportion, mean or total between two domains, a minus b.

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
    kind : {None, "proportion", "mean", "total"}, keyword-only
        What is compared.  ``None`` (default): proportions for a categorical,
        boolean or 0/1 item, means for a numeric one.  ``"total"``: the domains'
        totals (counts per level for a categorical item), e.g. the change in the
        number of adopting enterprises between two waves.
    subset, confidence_level, df, na
        As in :func:`surveyweights.proportion`.  ``df="design"`` is the design
        degrees of freedom of the two domains together (PSUs in a or b minus
        strata present in them); ``"satterthwaite"`` the effective df of the
        contrast's variance; a number is used as given (``numpy.inf`` gives R's
        ``confint(svycontrast(...))``).  For two domains that make up the whole
        design this is ``degf(design)``, one more than R's ``svyttest`` (its
        regression spends one df on the group): use :func:`ttest` for that test.

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
    two-sided ``2 * pt(-abs(estimate / se), df)``.  With ``kind="total"`` the
    scores are w y in each domain and it matches ``svycontrast(svyby(~y, ~by,
    design, svytotal, covmat=TRUE), c(a=1, b=-1))``.  For independent samples
    stacked with :func:`stack` the covariance is zero and the SE is
    sqrt(SE_a^2 + SE_b^2).

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
    if design.engine.name != "pandas":
        return _difference_sql(design, variable, by=by, between=between, level=level,
                               subset=subset, lv=lv, df=df, na=na, kind=kind)
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    ia, ib = (_domain_index(dom, v, dom.by) for v in between)
    if ia == ib:
        raise InputError(f"between={between!r} names the same domain twice")
    if kind not in (None, "proportion", "mean", "total"):
        raise InputError(f"kind={kind!r} is not valid; choose None (proportions or means), "
                         f"'proportion', 'mean' or 'total'")
    s = data[variable] if isinstance(variable, str) and variable in data else None
    numeric = (s is not None and pd.api.types.is_numeric_dtype(s.dtype)
               and not pd.api.types.is_bool_dtype(s.dtype)
               and not set(pd.unique(s.dropna())) <= {0, 1} and level is None)
    if kind is None:
        kind = "mean" if numeric else "proportion"
    it = item(data, variable, kind=kind, level=level)
    code, _ = apply_na_policy(it, dom, na, data.index)
    for g in (ia, ib):  # the same error as proportion()/mean() for the same domain
        if not (code == g).any():
            raise no_observed_value(dom, g, it.name)
    w = design._w
    y = it.values
    total = kind == "total"
    est, scores = [], np.zeros_like(y)
    for g, sign in ((ia, 1.0), (ib, -1.0)):
        rows = code == g
        W = 1.0 if total else w[rows].sum()
        p = (w[rows, None] * y[rows]).sum(axis=0) / W
        est.append(p)
        scores[rows] = sign * w[rows, None] * (y[rows] - (0.0 if total else p)) / W
    pair = np.where((code == ia) | (code == ib), 0, -1)
    L = y.shape[1]

    def contrast(t: np.ndarray) -> np.ndarray:
        # (..., 2, L): domain a, domain b; totals as they are, means as ratios to the weight total
        est_ = t[..., :L] if total else t[..., :L] / t[..., L:]
        return (est_[..., 0, :] - est_[..., 1, :])[..., None, :]

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
    return _difference_table(variable, it.levels, est, se, dfs, lv, between, dom.by,
                             categorical=it.categorical)


def _difference_sql(design, variable, *, by, between, level, subset, lv, df, na, kind):
    """difference() on a SQL engine: per-cell sums of the item by domain, then the contrast's
    variance from the cell table (:func:`surveyweights.variance.taylor.cell_contrast_variance`)."""
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of {list(NA_POLICIES)}")
    if kind not in (None, "proportion", "mean", "total"):
        raise InputError(f"kind={kind!r} is not valid; choose None (proportions or means), "
                         f"'proportion', 'mean' or 'total'")
    vm = design.variance
    replicated = isinstance(vm, ReplicateWeights)
    if not uses_cells(vm) and not replicated:
        raise not_on_engine(design, f"the variance method {vm.name!r}")
    dom_keys, dom_by, cells, n_missing, levels, categorical, rep = _sql_item_cells(
        design, variable, by=by, subset=subset, level=level, na=na,
        kind="total" if kind == "total" else "mean" if kind == "mean" else "proportion",
        numeric_means=kind is None, replicates=True)
    ia, ib = (_domain_index(_Keys(dom_keys, dom_by), v, dom_by) for v in between)
    if ia == ib:
        raise InputError(f"between={between!r} names the same domain twice")
    n_g, W, T = cells.totals()
    for g in (ia, ib):  # the same error as proportion()/mean() for the same domain
        if n_g[g] == 0:
            raise no_observed_value(_KeysOf(dom_keys, dom_by), g, variable)
    if kind == "total":
        est_all, centre, divisor = T, np.zeros_like(T), np.ones(len(W))
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            est_all = T / W[:, None]
        centre, divisor = np.nan_to_num(est_all), W
    coef = np.zeros(len(W))
    coef[ia], coef[ib] = 1.0, -1.0
    if replicated:  # the difference under every replicate, from its domain totals
        L = len(levels)
        per = rep.combine(L)

        def contrast(t):
            e = per(t)
            return (e[..., ia, :] - e[..., ib, :])[..., None, :]

        lin = vm.from_totals(rep.totals, contrast, (est_all[ia] - est_all[ib])[None, :])
        ddf_pair = rep.domain_df(coef != 0)
    else:
        lin = vm.cell_contrast_variance(design, cells, centre, divisor, coef)
        ddf_pair = vm.cell_domain_df(design, cells, members=coef != 0)[0]
    warn_undefined_variance(lin.variance, design)
    se = np.sqrt(np.maximum(lin.variance[0], 0.0))
    ddf = np.full((1, len(levels)), ddf_pair)
    dfs = resolve_df(df, design_df=ddf, satterthwaite=lin.satterthwaite_df)[0]
    return _difference_table(variable, levels, [est_all[ia], est_all[ib]], se, dfs, lv, between,
                             dom_by, categorical=categorical and kind != "total")


class _Keys:
    """The domain keys of a SQL design, shaped like Domains for _domain_index."""

    def __init__(self, keys, by):
        self.keys, self.by, self.n_groups = keys, by, len(keys)


def _difference_table(variable, levels, est, se, dfs, lv, between, by, *,
                      categorical: bool) -> Difference:
    diff = est[0] - est[1]
    # intervals as every estimator: zero df gives the whole range, with the warning
    lo, hi = _interval("mean", "wald", diff, se, dfs, lv, np.ones_like(diff))
    if categorical:  # a difference of proportions lies in [-1, 1]
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
        "level": pd.Series(list(levels), dtype=object),
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
    return Difference(tuple(by), between, lv, table)


def _check_two_levels(row: str, column: str, nr: int, nc: int) -> None:
    if nr < 2 or nc < 2:
        raise InputError(
            f"the table of {row!r} x {column!r} has {nr} x {nc} observed levels; a test of "
            f"independence needs at least two levels of each"
        )


def _selected_codes(e) -> np.ndarray:
    """Codes 0..L-1 of an encoded item's estimated levels; -1 for missing or other codes."""
    # the last entry is the -1 that a missing code (-1) indexes: no shifted copy of k
    lut = np.full(e.K + 1, -1, dtype=np.int32)
    lut[np.asarray(e.sel)] = np.arange(len(e.sel))
    return lut[e.k]


def _kept(e, keep: np.ndarray) -> np.ndarray:
    return np.flatnonzero(keep)


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

    def __repr__(self) -> str:
        """One line, as R prints ``svychisq``: F, its dfs and the p-value."""
        dropped = f"; levels without respondents left out: {self.dropped_levels}" if self.dropped_levels else ""
        return (f"Rao-Scott test of independence: F = {_display.number(self.statistic)} on "
                f"{_display.number(self.ndf)} and {_display.number(self.ddf)} df, p = "
                f"{_p_value(self.p_value)} (X-squared = {_display.number(self.chisq)}, df = "
                f"{self.df}, mean design effect {_display.number(self.mean_deff)}){dropped}")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.to_frame())

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
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of {list(NA_POLICIES)}")
    vm = design.variance
    if design.engine.name != "pandas":
        replicated = isinstance(vm, ReplicateWeights)
        if not uses_cells(vm) and not replicated:
            raise not_on_engine(design, f"the variance method {vm.name!r}")
        cells, N, row_levels, col_levels, keep_r, keep_c, rep = _sql_chisq_cells(
            design, row, column, subset=subset, na=na)
        nr, nc = int(keep_r.sum()), int(keep_c.sum())
        _check_two_levels(row, column, nr, nc)
        _, W, T = cells.totals()
        p = T[0] / W[0]
        if replicated:  # the cell proportions under every replicate, from their totals
            K = len(p)
            with np.errstate(invalid="ignore", divide="ignore"):
                thetas = rep.combine(K)(rep.totals).reshape(len(rep.totals), K)
            V = vm.spread_covariance(thetas, p)
            nu = rep.domain_df(np.array([True]))
        else:
            V = vm.cell_covariance(design, cells, p[None], W)
            nu = vm.cell_domain_df(design, cells)[0]
    else:
        data = design.data
        mask = subset_mask(data, subset)
        dom = domains(data, None, mask)
        er = encode_item(data, row, kind="total", cache=design._cache)
        ec = encode_item(data, column, kind="total", cache=design._cache)
        for e in (er, ec):
            if not e.categorical:
                raise InputError(
                    f"variable {e.name!r} is numeric; the chi-square test needs categorical items "
                    f"(convert it with .astype('category'))"
                )
        in_subset = dom.code >= 0
        for e in (er, ec):
            if na == "error" and (e.missing & in_subset).any():
                raise missing_error(e.name, e.missing & in_subset, data.index)
        row_levels, col_levels = er.levels, ec.levels
        Lr, Lc = len(row_levels), len(col_levels)
        # one code per (column level, row level) of the estimated levels, Lr * Lc for
        # units outside the subset or with a missing or other code: one pass gives the
        # observed levels (a two-way count) and, through a lookup, each unit's cell
        kr, kc = _selected_codes(er), _selected_codes(ec)
        outside = Lr * Lc
        pair = np.where(in_subset & (kr >= 0) & (kc >= 0), kc * Lr + kr, outside)
        counts = np.bincount(pair, minlength=outside + 1)[:outside].reshape(Lc, Lr)
        inside = pair != outside
        keep_r = counts.sum(axis=0) > 0
        keep_c = counts.sum(axis=1) > 0
        nr, nc = int(keep_r.sum()), int(keep_c.sum())
        _check_two_levels(row, column, nr, nc)
        N = float(mask.sum())
        rank_r = np.cumsum(keep_r) - 1
        rank_c = np.cumsum(keep_c) - 1
        if uses_cells(vm):
            # cells with the row index varying fastest, as R
            lut = np.full(outside + 1, -1, dtype=np.int32)
            lut[:outside] = np.where(keep_c[:, None] & keep_r[None, :],
                                     rank_c[:, None] * nr + rank_r[None, :], -1).ravel()
            joint = lut[pair]
            cells, _ = memory.indicator_cells(cell_codes(design, dom.code, 1), joint, nr * nc,
                                              np.arange(nr * nc), design._w, design._w2,
                                              design.n_strata, 1, psu=design._psu)
            _, W, T = cells.totals()
            p = T[0] / W[0]
            V = vm.cell_covariance(design, cells, p[None], W)
            nu = vm.cell_domain_df(design, cells)[0]
        else:
            ir = item(data, row, kind="total")
            ic = item(data, column, kind="total")
            R = ir.values[:, _kept(er, keep_r)]
            Cc = ic.values[:, _kept(ec, keep_c)]
            cellv = (R[:, :, None] * Cc[:, None, :]).transpose(0, 2, 1).reshape(len(data), nr * nc)
            w = design._w
            W = w[inside].sum()
            p = (w[inside, None] * cellv[inside]).sum(axis=0) / W
            scores = np.where(inside[:, None], w[:, None] * (cellv - p) / W, 0.0)
            # the cell proportions as ratios of totals over the analysed units
            reestimate = DomainTotals.ratio(cellv, np.where(inside, 0, -1), 1,
                                            estimate=p[None, :])
            V = vm.covariance(design, scores, inside, reestimate=reestimate)
            nu = vm.domain_df(design, dom.code, 1)[0]
    dropped = {}
    if not keep_r.all():
        dropped[row] = [lv for lv, k in zip(row_levels, keep_r) if not k]
    if not keep_c.all():
        dropped[column] = [lv for lv, k in zip(col_levels, keep_c) if not k]
    ir_levels = [lv for lv, k in zip(row_levels, keep_r) if k]
    ic_levels = [lv for lv, k in zip(col_levels, keep_c) if k]
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
    table = pd.DataFrame(pt, index=pd.Index(ir_levels, name=row),
                         columns=pd.Index(ic_levels, name=column))
    return ChisqTest(
        statistic=float(F), ndf=float(ndf), ddf=float(ddf),
        p_value=p_f,
        chisq=float(x2), df=int(k), p_value_chisq=float(stats.chi2.sf(x2 / (tr / k), k)),
        mean_deff=float(tr / k), table=table, dropped_levels=dropped,
    )


# ----------------------------------------------------------------------------- t-test
@dataclass(frozen=True)
class TTest:
    """A design-based t-test of a mean or of a difference of two domain means (frozen).

    ``to_frame()`` has one row: ``variable, contrast, estimate, se, t, df, p_value,
    ci_low, ci_high, estimate_a, estimate_b, method, confidence_level``.
    """

    variable: str
    by: tuple[str, ...]
    between: tuple[Any, Any] | None
    estimate: float
    se: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    confidence_level: float
    _table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The test as a one-row tidy DataFrame (a copy)."""
        return self._table.copy()

    def __repr__(self) -> str:
        return f"TTest({self.variable!r}, t={self.t:.4g}, df={self.df:g}, p={self.p_value:.4g})"

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self._table)


def ttest(
    design: Design,
    variable: str,
    *,
    by: str | None = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    na: str = "error",
) -> TTest:
    """Design-based t-test: a mean against 0, or the difference of means between two groups.

    Parameters
    ----------
    design : Design
    variable : str
        A numeric (or 0/1, boolean) column.
    by : str, optional, keyword-only
        A column with exactly two observed values in the analysed units; the test
        is of mean(second) - mean(first), in the order of :func:`mean`'s domains
        (categories in order, values sorted; False before True).  ``None``: the
        one-sample test of mean = 0 (subtract a value first with
        :meth:`Design.assign` to test another).
    subset, confidence_level, na
        As in :func:`surveyweights.mean`; ``na="available"`` leaves out units with a
        missing value or group (R's ``na.omit``).

    Returns
    -------
    TTest

    Raises
    ------
    InputError
        A ``by`` column with other than two observed values.

    Notes
    -----
    The difference of the two domain means has the linearized score
    z_b - z_a (:func:`difference`); the df is R's ``svyttest``: the design df of
    the units in the test, minus 1 (``degf - p + 1`` of the regression
    ``y ~ group`` with p = 2; for one sample ``degf - 1``).  Matches R's
    ``svyttest(y ~ group, design)`` and ``svyttest(y ~ 1, design)`` (estimate, t,
    df, p-value and confidence interval).  :func:`difference` of the same two
    domains has the same estimate and SE, and the design df of the domains
    (one more than here).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"g": list("ababab"), "h": list("xxxyyy"), "y": [1.0, 3, 2, 5, 2, 4]})
    >>> round(sw.ttest(sw.Design(df, strata="h"), "y", by="g").estimate, 4)
    2.3333
    """
    require_design(design)
    lv = _check_level(confidence_level)
    if not isinstance(variable, str):
        raise InputError(f"variable must be a column name, got {variable!r}")
    if by is not None and not isinstance(by, str):
        raise InputError(f"by={by!r} must be one column name with two groups")
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of ['error', 'available']")
    if design.engine.name != "pandas":
        return _ttest_sql(design, variable, by=by, subset=subset, lv=lv, na=na)
    data = design.data
    mask = subset_mask(data, subset)
    check_columns(data, [variable], what="variable", table="the design's data")
    y_all, y_miss = _ttest_values(data, variable)
    if by is not None:
        check_columns(data, [by], what="by", table="the design's data")
        g_miss = data[by].isna().to_numpy()
    else:
        g_miss = np.zeros(len(data), dtype=bool)
    miss = (y_miss | g_miss) & mask
    if miss.any():
        if na == "error":
            raise MissingValueError(
                f"{variable!r}{' or ' + repr(by) if by else ''} is missing for {int(miss.sum())} "
                f"unit(s) of the analysed subset; choose na='available' to leave them out (R's "
                f"na.omit), impute them, or exclude them explicitly with subset="
            )
    used = mask & ~miss
    w = design._w
    group = np.where(used, 0, -1)
    ddf = float(design.variance.domain_df(design, group, 1)[0])
    df_t = ddf - 1
    if by is None:
        W = w[used].sum()
        est = float((w[used] * y_all[used]).sum() / W)
        z = np.zeros(len(data))
        z[used] = w[used] * (y_all[used] - est) / W
        estimates, between, label = (np.nan, np.nan), None, "mean"

        def reestimate(wr: np.ndarray) -> np.ndarray:
            wr = np.asarray(wr, dtype=float)[used]
            return np.array([[(wr * y_all[used]).sum() / wr.sum()]])
    else:
        dom = domains(data, by, used)
        if dom.n_groups != 2:
            raise InputError(
                f"by={by!r} has {dom.n_groups} observed value(s) in the analysed units "
                f"({', '.join(show(v) for v in dom.keys[by][:10])}); a two-sample t-test needs "
                f"exactly two: restrict the units with subset=, or use sw.difference for two "
                f"of several domains"
            )
        code = dom.code
        z = np.zeros(len(data))
        means = []
        for g, sign in ((0, -1.0), (1, 1.0)):
            rows = code == g
            W = w[rows].sum()
            m = float((w[rows] * y_all[rows]).sum() / W)
            means.append(m)
            z[rows] = sign * w[rows] * (y_all[rows] - m) / W
        est = means[1] - means[0]
        between = (dom.keys[by].iloc[1], dom.keys[by].iloc[0])
        estimates = (means[1], means[0])
        label = f"{show(between[0])} - {show(between[1])}"

        def reestimate(wr: np.ndarray) -> np.ndarray:
            wr = np.asarray(wr, dtype=float)
            m = [(wr[code == g] * y_all[code == g]).sum() / wr[code == g].sum() for g in (0, 1)]
            return np.array([[m[1] - m[0]]])

    lin = design.variance.variance(design, z[:, None], group, 1, reestimate=reestimate)
    return _ttest_result(design, variable, by, between, est, lin, df_t, lv, estimates, label)


def _ttest_result(design, variable, by, between, est, lin, df_t, lv, estimates, label) -> TTest:
    """The test from its estimate, variance and df (every engine)."""
    warn_undefined_variance(lin.variance, design)
    se = float(np.sqrt(max(lin.variance[0, 0], 0.0))) if np.isfinite(lin.variance[0, 0]) else np.nan
    t = est / se if se > 0 else np.nan
    p = float(2 * stats.t.sf(abs(t), df_t)) if df_t > 0 else np.nan
    q = stats.t.isf((1 - lv) / 2, df_t) if df_t > 0 else np.nan
    table = pd.DataFrame({
        "variable": [variable], "contrast": [label], "estimate": [est], "se": [se], "t": [t],
        "df": [df_t], "p_value": [p], "ci_low": [est - q * se], "ci_high": [est + q * se],
        "estimate_a": [estimates[0]], "estimate_b": [estimates[1]],
        "method": ["two-sample" if by else "one-sample"], "confidence_level": [lv],
    })
    return TTest(variable, (by,) if by else (), between, est, se, t, df_t, p, est - q * se,
                 est + q * se, lv, table)


def _ttest_sql(design, variable, *, by, subset, lv, na) -> TTest:
    """ttest() on a SQL engine: the cell table of the variable over the analysed units
    (two domains, or one), then the shared variance code: the difference of two domain
    means is a contrast of the cells (:func:`surveyweights.variance.taylor.cell_contrast_variance`)."""
    vm = design.variance
    if not uses_cells(vm):
        raise not_on_engine(design, f"sw.ttest under the variance method {vm.name!r}",
                            alternatives="sw.difference of the two groups (computed on "
                                         "the engine with this variance method), or ")
    keys, cells = sql_ttest_cells(design, variable, by=by, subset=subset, na=na)
    n_g, W, T = cells.totals()
    mu = T[:, 0] / W
    G = len(W)
    if by is None:
        lin = vm.cell_variance(design, cells, mu[:, None], W)
        ddf = float(vm.cell_domain_df(design, cells)[0])
        est, estimates, between, label = float(mu[0]), (np.nan, np.nan), None, "mean"
    else:
        if G != 2:
            raise InputError(
                f"by={by!r} has {G} observed value(s) in the analysed units "
                f"({', '.join(show(v) for v in keys[by][:10])}); a two-sample t-test needs "
                f"exactly two: restrict the units with subset=, or use sw.difference for two "
                f"of several domains"
            )
        coef = np.array([-1.0, 1.0])
        lin = vm.cell_contrast_variance(design, cells, mu[:, None], W, coef)
        ddf = float(vm.cell_domain_df(design, cells, members=np.ones(2, dtype=bool))[0])
        est = float(mu[1] - mu[0])
        between = (keys[by].iloc[1], keys[by].iloc[0])
        estimates = (float(mu[1]), float(mu[0]))
        label = f"{show(between[0])} - {show(between[1])}"
    return _ttest_result(design, variable, by, between, est, lin, ddf - 1, lv, estimates, label)


def _ttest_values(data: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    s = data[name]
    if pd.api.types.is_bool_dtype(s.dtype) or (pd.api.types.is_numeric_dtype(s.dtype)
                                               and not isinstance(s.dtype, pd.CategoricalDtype)):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        miss = np.isnan(v)
        return np.where(miss, 0.0, v), miss
    raise InputError(f"variable {name!r} has dtype {s.dtype}, not numeric; a t-test compares means "
                     f"of a numeric, 0/1 or boolean variable")


# ----------------------------------------------------------------------------- contrasts
@dataclass(frozen=True)
class Contrast:
    """Linear combinations of estimates with their design-based SE (frozen).

    ``to_frame()`` has one row per contrast: ``contrast, estimate, se, ci_low,
    ci_high, df, statistic, p_value, confidence_level``.
    """

    coefficients: pd.DataFrame = field(repr=False)
    confidence_level: float
    _table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The contrasts as a tidy DataFrame (a copy)."""
        return self._table.copy()

    def __repr__(self) -> str:
        """Estimate, SE, interval and p-value per contrast within 80 columns."""
        title = f"Contrast: {_display.number(100 * self.confidence_level)}% CI"
        body = _display.table(self._table, ["contrast"],
                              ["estimate", "se", "ci_low", "ci_high", "p_value"],
                              formats={"p_value": _p_value})
        return f"{title}\n{body}"

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self).split("\n")[0], self._table)


def contrast(
    estimates: Estimates,
    coefficients: Mapping[Any, float] | Mapping[str, Mapping[Any, float]] | Sequence[float],
    *,
    confidence_level: float | None = None,
    df: str | float | None = None,
) -> Contrast:
    """Any linear combination of the rows of an estimate table, R's ``svycontrast``.

    Parameters
    ----------
    estimates : Estimates
        From :func:`proportion`, :func:`mean`, :func:`total` or :func:`ratio` (with
        ``by=`` for contrasts between domains).
    coefficients : mapping, mapping of mappings, or sequence
        ``{row: coefficient}``: a row is named by its domain value (a tuple with
        several ``by`` columns), or by the full index of :attr:`Estimates.estimate`
        (domain values, variable, level) when the table has several variables or
        levels.  Rows not named get 0.  A mapping of such mappings gives several
        named contrasts; a sequence gives one coefficient per row, in table order.
    confidence_level : float, optional, keyword-only
        Default: the estimates' level.
    df : {"design"} or positive number, optional, keyword-only
        ``"design"`` (default, unless the estimates were made with a numeric df):
        the design df of the domains with a non-zero coefficient together (PSUs
        minus strata they touch).  A number is used as given (``numpy.inf`` gives
        R's ``confint(svycontrast(...))``).

    Returns
    -------
    Contrast

    Raises
    ------
    InputError
        A row name that is not in the table, an ambiguous name, a sequence of the
        wrong length, a contrast with all coefficients zero.

    Notes
    -----
    With theta the rows' estimates and V their covariance
    (:meth:`Estimates.vcov`, from the joint linearization of all rows), a
    contrast c has estimate c' theta and variance c' V c.  Matches R's
    ``svycontrast(svyby(~y, ~by, design, svytotal, covmat=TRUE), c(E=1, M=-1))``
    (estimate and SE), also for means and ratios.  Totals of different domains
    of the same strata are correlated, so the SE of E - M is not
    sqrt(se_E^2 + se_M^2) unless the domains are independent samples (see
    :func:`stack`).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"g": list("aabbab"), "h": list("xxxyyy"), "y": [1.0, 2, 3, 4, 5, 6]})
    >>> tot = sw.total(sw.Design(df, strata="h"), "y", by="g")
    >>> float(sw.contrast(tot, {"a": 1, "b": -1}).to_frame()["estimate"].iloc[0])
    -5.0
    """
    if not isinstance(estimates, Estimates):
        raise InputError(f"contrast() needs an Estimates result (sw.total, sw.mean, sw.proportion, "
                         f"sw.ratio), got {type(estimates).__name__}")
    lv = estimates.confidence_level if confidence_level is None else _check_level(confidence_level)
    index = estimates.estimate.index
    C, names = _coefficient_matrix(coefficients, index, estimates.by)
    theta = estimates.estimate.to_numpy(dtype=float)
    influence = estimates._influence()
    V = influence.covariance()
    est = C @ theta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", C, V, C), 0.0))
    choice = estimates.df_choice if df is None else df
    dfs = []
    for c in C:
        rows = np.flatnonzero(c != 0)
        if isinstance(choice, str):
            if choice not in ("design", "satterthwaite"):
                raise InputError(f"df={choice!r} is not a valid choice; use 'design' or a positive number")
            dfs.append(influence.design_df(rows))
        else:
            dfs.append(float(resolve_df(choice, design_df=np.zeros(1), satterthwaite=None)[0]))
    dfs = np.array(dfs)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
        q = np.where(dfs > 0, stats.t.isf((1 - lv) / 2, np.where(dfs > 0, dfs, 1)), np.nan)
        p = np.where(dfs > 0, 2 * stats.t.sf(np.abs(stat), np.where(dfs > 0, dfs, 1)), np.nan)
    table = pd.DataFrame({"contrast": names, "estimate": est, "se": se, "ci_low": est - q * se,
                          "ci_high": est + q * se, "df": dfs, "statistic": stat, "p_value": p,
                          "confidence_level": lv})
    coef = pd.DataFrame(C, index=pd.Index(names, name="contrast"), columns=index)
    return Contrast(coef, lv, table)


def _coefficient_matrix(coefficients, index: pd.Index, by: tuple[str, ...]):
    if isinstance(coefficients, Mapping) and coefficients and all(
            isinstance(v, Mapping) for v in coefficients.values()):
        rows, names = [], []
        for name, spec in coefficients.items():
            rows.append(_one_contrast(spec, index, by))
            names.append(str(name))
        return np.array(rows), names
    c = _one_contrast(coefficients, index, by)
    return c[None, :], [_label(c, index, by)]


def _one_contrast(spec, index: pd.Index, by: tuple[str, ...]) -> np.ndarray:
    R = len(index)
    if isinstance(spec, Mapping):
        c = np.zeros(R)
        keys = list(index)
        for key, value in spec.items():
            hits = _match_row(key, keys, by)
            if len(hits) != 1:
                known = ", ".join(show(k if len(by) != 1 else k[0]) for k in keys[:20])
                why = "is not a row" if not hits else f"matches {len(hits)} rows"
                raise InputError(
                    f"contrast key {key!r} {why} of the estimates; name a domain value (rows: "
                    f"{known}), or the full (domain..., variable, level) key when the table has "
                    f"several variables or levels"
                )
            c[hits[0]] += float(value)
    else:
        try:
            c = np.asarray(list(spec), dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"coefficients={spec!r} must be a mapping {{row: coefficient}} or a "
                             f"sequence of numbers") from None
        if len(c) != R:
            raise InputError(f"coefficients has {len(c)} value(s) but the estimates have {R} rows; "
                             f"give one coefficient per row or a mapping {{row: coefficient}}")
    if not np.any(c != 0):
        raise InputError("every coefficient of the contrast is zero; give at least one non-zero "
                         "coefficient, e.g. {'E': 1, 'M': -1}")
    return c


def _match_row(key, keys: list, by: tuple[str, ...]) -> list[int]:
    k = key if isinstance(key, tuple) else (key,)
    full = [i for i, row in enumerate(keys) if tuple(row) == k]
    if full:
        return full
    if len(k) == len(by):
        return [i for i, row in enumerate(keys) if tuple(row[: len(by)]) == k]
    return []


def _row_names(index: pd.Index, by: tuple[str, ...]) -> list[str]:
    """Short names of the rows: the domain values when variable and level are the same."""
    keys = [k if isinstance(k, tuple) else (k,) for k in index]
    nb = len(by)
    if nb and len({k[nb:] for k in keys}) == 1:
        keys = [k[:nb] for k in keys]
    return [" ".join(str(v) for v in k if v is not None and not (isinstance(v, float) and np.isnan(v)))
            for k in keys]


def _label(c: np.ndarray, index: pd.Index, by: tuple[str, ...]) -> str:
    parts = []
    for coef, name in zip(c, _row_names(index, by)):
        if coef == 0:
            continue
        sign = "-" if coef < 0 else "+"
        mag = "" if abs(coef) == 1 else f"{abs(coef):g} "
        parts.append(f"{sign} {mag}{name}")
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]
