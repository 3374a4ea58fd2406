"""Weighted proportions, means and totals with standard errors and confidence intervals.

All three estimators share one path: the item is encoded as indicators (or a
numeric column), the domains of ``by=`` inside ``subset=`` become integer codes,
weighted sums per domain give the estimates, the linearized scores go to the one
design's variance method (:mod:`surveyweights.variance`), and the confidence
interval comes from :mod:`surveyweights.estimation.ci`.

Every estimator returns an :class:`Estimates` object; ``.to_frame()`` gives the
tidy table with the fixed columns :data:`COLUMNS` after the ``by`` columns.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import ci as _ci
from .. import _display
from ._domains import (NA_POLICIES, RESULT_COLUMNS, Domains, apply_na_policy, domains,
                       encode_item, item, missing_error, subset_mask)
from ._influence import Influence, domain_influence, sql_influence
from ..design import Design, require_design
from ..engines import memory
from ..engines.base import not_on_engine
from ..errors import InputError, NoDegreesOfFreedomWarning, SurveyWeightsWarning, user_stacklevel
from ..variance import uses_cells
from ..variance.base import DomainTotals
from ._sql import _sql_item_cells

__all__ = ["proportion", "mean", "total", "Estimates", "COLUMNS", "DF_CHOICES"]

#: The columns of every estimate table, after the ``by`` columns (a ``by`` column may
#: not take one of these names: see :func:`surveyweights.proportion`, Raises).
COLUMNS: tuple[str, ...] = RESULT_COLUMNS
#: Valid strings for ``df=``; a positive number (or ``numpy.inf``) is accepted too.
DF_CHOICES: tuple[str, ...] = ("design", "satterthwaite")


@dataclass(frozen=True)
class Estimates:
    """Estimates for one or more variables, levels and domains (frozen).

    Attributes
    ----------
    kind : {"proportion", "mean", "total", "ratio", "variance"}
    by : tuple of str
        The domain columns (empty for population-level estimates).
    method : str
        The confidence-interval method used in the table.
    confidence_level : float
    df_choice : str or float
        The ``df=`` argument the estimates were made with.

    Methods
    -------
    to_frame()
        The tidy table: the ``by`` columns, then :data:`COLUMNS`.
    confidence_interval(confidence_level=..., method=...)
        The same estimates with intervals recomputed for another level or method.
    vcov()
        The covariance matrix of all rows (for contrasts, :func:`surveyweights.contrast`).
    """

    kind: str
    by: tuple[str, ...]
    method: str
    confidence_level: float
    df_choice: str | float
    _table: pd.DataFrame = field(repr=False)
    _influence: Callable[[], Influence] | None = field(default=None, repr=False, compare=False)
    #: the units behind each domain (design, domain keys, per-variable domain codes),
    #: for disclosure control of report tables; None when the estimates come from elsewhere
    _units: Any = field(default=None, repr=False, compare=False)
    engine: str = "pandas"

    def to_frame(self) -> pd.DataFrame:
        """The estimates as a tidy DataFrame (a copy).

        ``.attrs["engine"]`` names the engine that computed the sufficient statistics
        (``"pandas"``, ``"duckdb"`` or ``"spark"``).
        """
        out = self._table.copy()
        out.attrs["engine"] = self.engine
        return out

    def vcov(self) -> pd.DataFrame:
        """The covariance matrix of the estimates of all rows, computed on demand.

        Rows and columns are indexed like :attr:`estimate` (domain, variable,
        level).  Its diagonal is ``se ** 2``; the off-diagonal terms are the
        covariances between domains and levels that share strata or PSUs, R's
        ``vcov(svyby(..., covmat=TRUE))``.
        """
        if self._influence is None:
            raise InputError("these estimates carry no linearization; recompute them with "
                             "sw.proportion, sw.mean, sw.total or sw.ratio")
        cov = self._influence().covariance()
        idx = self.estimate.index
        return pd.DataFrame(cov, index=idx, columns=idx)

    @property
    def estimate(self) -> pd.Series:
        """The point estimates, indexed by domain, variable and level."""
        return self._indexed("estimate")

    @property
    def se(self) -> pd.Series:
        """The standard errors, indexed by domain, variable and level."""
        return self._indexed("se")

    def _indexed(self, col: str) -> pd.Series:
        t = self._table
        return t.set_index([*self.by, "variable", "level"])[col]

    def confidence_interval(self, *, confidence_level: float | None = None,
                            method: str | None = None) -> pd.DataFrame:
        """Recompute the intervals for another confidence level or method.

        Returns the tidy table with ``ci_low``, ``ci_high``, ``method`` and
        ``confidence_level`` replaced; estimates, standard errors and df are unchanged.

        The ``likelihood`` interval computed here starts from the converged fit, so it
        agrees with R's ``svyciprop(method="likelihood")`` to about 1e-5; call
        :func:`proportion` with ``method="likelihood"`` for R's exact numbers (it
        replays R's iterations from the unit data).
        """
        level = self.confidence_level if confidence_level is None else confidence_level
        meth = self.method if method is None else method
        t = self._table.copy()
        lo, hi = _interval(self.kind, meth, t["estimate"].to_numpy(), t["se"].to_numpy(),
                           t["df"].to_numpy(), level, (t["n"] + t["n_missing"]).to_numpy())
        t["ci_low"], t["ci_high"] = lo, hi
        t["method"] = meth
        t["confidence_level"] = float(level)
        return t

    # ---------------------------------------------------------------- display
    def _title(self) -> str:
        variables = [str(v) for v in pd.unique(self._table["variable"])]
        what = ", ".join(variables[:3]) + (f" and {len(variables) - 3} more" if len(variables) > 3 else "")
        by = f" by {' x '.join(self.by)}" if self.by else ""
        df = self.df_choice if isinstance(self.df_choice, str) else _display.number(self.df_choice)
        ci = f": {_display.number(100 * self.confidence_level)}% CI ({self.method}, df={df})"
        title = f"{self.kind.capitalize()} of {what}{by}{ci}"
        if len(title) > _display.WIDTH and len(variables) > 1:
            title = f"{self.kind.capitalize()} of {len(variables)} variables{by}{ci}"
        if self.engine != "pandas":  # which engine computed the sums (SQL engines only)
            title += f" [engine {self.engine}]"
        return title

    def _keys(self) -> list[str]:
        t = self._table
        keys = list(self.by)
        if t["variable"].nunique(dropna=False) > 1:
            keys.append("variable")
        levels = pd.unique(t["level"])
        if len(levels) > 1 or not (len(levels) == 0 or levels[0] is None or levels[0] is True
                                   or (not isinstance(levels[0], str) and pd.isna(levels[0]))
                                   or (isinstance(levels[0], (int, np.integer)) and levels[0] == 1)):
            keys.append("level")
        return keys

    def __repr__(self) -> str:
        """Estimate, SE and interval of each row within 80 columns (as R prints ``svyby``)."""
        body = _display.table(self._table, self._keys(), ["estimate", "se", "ci_low", "ci_high"])
        return f"{self._title()}\n{body}"

    def _repr_html_(self) -> str:
        cols = [*self._keys(), "estimate", "se", "ci_low", "ci_high", "df", "n"]
        return _display.html_block(self._title(), self._table[cols],
                                   note="All columns (deff, n_eff, n_missing ...): .to_frame()")


@dataclass(frozen=True)
class DomainUnits:
    """Which units make up each domain of an :class:`Estimates` (private plumbing).

    ``codes[variable][i]`` is the domain (row of ``keys``) of unit ``i`` of
    ``design.data`` among the units with an observed value, or -1.  Report tables
    use it for disclosure control: the units of a cell and their weights.
    """

    design: Design
    keys: pd.DataFrame
    codes: dict


def _check_level(confidence_level: float) -> float:
    try:
        lv = float(confidence_level)
    except (TypeError, ValueError):
        raise InputError(f"confidence_level={confidence_level!r} is not a number in (0, 1)") from None
    if not 0 < lv < 1:
        raise InputError(
            f"confidence_level={confidence_level!r} is outside (0, 1); give e.g. 0.95 for a 95% interval"
        )
    return lv


class DesignEffectWarning(SurveyWeightsWarning):
    """Weights sum to less than n, so deff is against sampling with replacement."""


def _interval(kind: str, method: str, est, se, df, level, n, likelihood=None):
    """Confidence limits; an estimate with df <= 0 gets the whole parameter range.

    A domain with as many strata as respondents (one respondent per stratum) has
    zero design degrees of freedom: no t quantile exists (R returns NaN).  Its
    interval is then [0, 1] for a proportion and (-inf, inf) otherwise, with a
    :class:`NoDegreesOfFreedomWarning`.
    """
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), est.shape)
    n = np.broadcast_to(np.asarray(n, dtype=float), est.shape)
    if kind != "proportion" and method != "wald":
        raise InputError(
            f"method={method!r} is not available for a {kind}; {kind} intervals use 'wald' "
            f"(estimate +/- t_df * se)"
        )
    lv = _check_level(level)
    undefined = np.isnan(se)  # e.g. lonely_psu="average" with nothing to average over (R: NaN)
    ok = (df > 0) & ~undefined
    lo = np.full(est.shape, 0.0 if kind == "proportion" else -np.inf)
    hi = np.full(est.shape, 1.0 if kind == "proportion" else np.inf)
    lo[undefined] = hi[undefined] = np.nan
    if (~(df > 0)).any():
        warnings.warn(
            f"{int((~(df > 0)).sum())} estimate(s) have 0 design degrees of freedom (their domain has "
            f"one respondent in each stratum it touches), so no t quantile exists and the "
            f"interval is the whole range; use df='satterthwaite', which counts the "
            f"strata's own degrees of freedom, or a coarser domain",
            NoDegreesOfFreedomWarning,
            stacklevel=user_stacklevel(),
        )
    if ok.any():
        if kind == "proportion":
            extra = {}
            n_ok = n[ok]
            if method == "logit" and likelihood is not None:
                extra = {k: np.broadcast_to(v, est.shape)[ok] for k, v in likelihood.items()}
            if method == "likelihood" and likelihood is not None:
                # R fits svyglm to the rows with an observed value (n of them) and
                # normalises the weights over all rows of the domain design
                extra = {k: np.broadcast_to(v, est.shape)[ok]
                         for k, v in likelihood.items() if k != "n"}
                n_ok = np.broadcast_to(likelihood["n"], est.shape)[ok]
            if method == "logit" and extra:
                lo[ok], hi[ok] = _ci.ci_logit(est[ok], se[ok], df[ok], confidence_level=lv,
                                              **extra)
            else:
                lo[ok], hi[ok] = _ci.proportion_ci(method, est[ok], se[ok], df[ok],
                                                   confidence_level=lv, n=n_ok, **extra)
        else:
            q = stats.t.isf((1 - lv) / 2, df[ok])
            lo[ok], hi[ok] = est[ok] - q * se[ok], est[ok] + q * se[ok]
    return lo, hi


def estimate_table(keys: pd.DataFrame, by, *, variable, level, estimate, se, ci_low, ci_high,
                   df, n, method, confidence_level, n_missing, repeat: int = 1,
                   extra: dict | None = None, deff=None, n_eff=None) -> pd.DataFrame:
    """The rows of an estimate table, in the column order every estimator shows.

    The ``by`` columns of ``keys`` (each domain's row repeated ``repeat`` times: one
    per level or probability), then variable, level, estimate, se, ci_low, ci_high,
    df, n, method, the ``extra`` columns (e.g. quantiles' ``qrule``),
    confidence_level, deff and n_eff where given, and n_missing (per domain, repeated).
    """
    rows = len(keys) * repeat
    out = pd.DataFrame({c: np.repeat(keys[c].to_numpy(dtype=object), repeat) for c in by},
                       index=pd.RangeIndex(rows))
    out["variable"] = variable
    out["level"] = level
    out["estimate"] = estimate
    out["se"] = se
    out["ci_low"] = ci_low
    out["ci_high"] = ci_high
    out["df"] = df
    out["n"] = np.asarray(n).astype(np.int64)
    out["method"] = method
    for name, value in (extra or {}).items():
        out[name] = value
    out["confidence_level"] = confidence_level
    if deff is not None:
        out["deff"] = deff
        out["n_eff"] = n_eff
    out["n_missing"] = np.repeat(np.asarray(n_missing), repeat).astype(np.int64)
    return out


def resolve_df(df: Any, *, design_df: np.ndarray, satterthwaite) -> np.ndarray:
    """The degrees of freedom for each estimate from the ``df=`` argument."""
    if isinstance(df, str):
        if df == "design":
            return design_df
        if df == "satterthwaite":
            sat = satterthwaite()
            # a zero variance has no Satterthwaite df; keep the design df there
            return np.where(np.isfinite(sat), sat, design_df)
        raise InputError(
            f"df={df!r} is not a valid choice; use one of {list(DF_CHOICES)} or a positive "
            f"number (numpy.inf for the normal distribution)"
        )
    if isinstance(df, (bool, np.bool_)) or not isinstance(df, (int, float, np.integer, np.floating)):
        raise InputError(
            f"df={df!r} is not a valid choice; use one of {list(DF_CHOICES)} or a positive number"
        )
    if not df > 0:
        raise InputError(
            f"df={df!r} is not positive; use one of {list(DF_CHOICES)} or a positive number"
        )
    return np.full_like(design_df, float(df), dtype=float)


def _variables(variable: str | Sequence[str]) -> list[str]:
    if isinstance(variable, str):
        return [variable]
    try:
        names = list(variable)
    except TypeError:
        raise InputError(f"variable must be a column name or a list of names, got {variable!r}") from None
    if not names:
        raise InputError("no variable given; pass a column name or a list of names")
    return names


def _estimate(
    kind: str,
    design: Design,
    variable: str | Sequence[str],
    *,
    by,
    subset,
    level,
    method: str,
    confidence_level: float,
    df,
    na: str,
) -> Estimates:
    require_design(design)
    level_ = _check_level(confidence_level)
    names = _variables(variable)
    if kind == "proportion" and method not in _ci.CI_METHODS:
        raise InputError(f"method={method!r} is not a valid method; choose one of {list(_ci.CI_METHODS)}")
    if kind != "proportion" and method != "wald":
        raise InputError(f"method={method!r} is not available for a {kind}; use method='wald'")
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of {list(NA_POLICIES)}")
    if design.engine.name != "pandas":
        return _estimate_sql(kind, design, names, by=by, subset=subset, level=level, method=method,
                             level_=level_, df=df, na=na)
    data = design.data
    dom, hg, counts = domain_cells(design, by, subset)
    G = dom.n_groups
    frames = []
    codes = {}
    for name in names:
        enc = encode_item(data, name, kind=kind, level=level, cache=design._cache)
        cells, n_missing = item_cells(design, enc, hg, G, counts)
        if na == "error" and n_missing.any():
            raise missing_error(name, enc.missing & (dom.code >= 0), data.index)
        codes[name] = np.where(enc.missing, -1, dom.code) if enc.has_missing else dom.code
        unit = _UnitItem(design, kind, name, level, dom, na)
        frames.append(_from_cells(kind, design, cells, n_missing, dom.keys, dom.by, name,
                                  enc.levels, enc.categorical, method, level_, df, unit))
    table = pd.concat(frames, ignore_index=True)

    def influence():  # the unit-level linearization, on demand (Estimates.vcov)
        return domain_influence(design, kind, names, by, subset_mask(data, subset), level, na)

    return Estimates(kind, dom.by, method, level_, df, table, influence,
                     _units=DomainUnits(design, dom.keys, codes), engine=design.engine.name)


def _estimate_sql(kind, design, names, *, by, subset, level, method, level_, df, na) -> Estimates:
    """The estimators on a SQL engine: per-cell GROUP BY results, then :func:`_from_cells`."""
    frames, by_cols, parts = [], (), []
    for name in names:
        keys, by_cols, cells, n_missing, levels, categorical, rep = _sql_item_cells(
            design, name, by=by, subset=subset, level=level, na=na, kind=kind, replicates=True)
        frames.append(_from_cells(kind, design, cells, n_missing, keys, by_cols, name, levels,
                                  categorical, method, level_, df, rep))
        n_g, W, T = cells.totals()
        if kind == "total":
            parts.append((cells, np.zeros_like(T), np.ones(len(W))))
        else:
            parts.append((cells, T / W[:, None], W))
    table = pd.concat(frames, ignore_index=True)
    return Estimates(kind, by_cols, method, level_, df, table, sql_influence(design, parts),
                     engine=design.engine.name)


def domain_cells(design: Design, by, subset):
    """Domains, each unit's cell code and the units per cell, cached per design and ``by``.

    Without ``subset=`` the codes depend only on the design and ``by``, so they are
    computed once (warnings about empty categories are repeated on every call).
    """
    key = None
    if subset is None:
        try:
            key = ("domain_cells", by if by is None or isinstance(by, str) else tuple(by))
            hash(key)
        except TypeError:
            key = None
    if key is not None and key in design._cache:
        dom, hg, counts, caught = design._cache[key]
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=user_stacklevel())
        return dom, hg, counts
    data = design.data
    mask = subset_mask(data, subset)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dom = domains(data, by, mask, design._cache)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=user_stacklevel())
    G = dom.n_groups
    hg = cell_codes(design, dom.code, G)
    counts = np.bincount(hg, minlength=design.n_strata * G + 1)[:-1]
    if key is not None:
        design._cache[key] = (dom, hg, counts, list(caught))
    return dom, hg, counts


def cell_codes(design: Design, code: np.ndarray, G: int) -> np.ndarray:
    """Each unit's (stratum x domain) cell h * G + g, or H * G outside every domain."""
    H = design.n_strata
    h = design._h
    if G == 1:
        hg = h.astype(np.intp, copy=True)
    else:
        hg = np.multiply(h, G, dtype=np.intp)
        hg += code
    out = code < 0
    if out.any():
        hg[out] = H * G
    return hg


def item_cells(design: Design, enc, hg: np.ndarray, G: int, counts: np.ndarray | None = None):
    """The in-memory engine's cell statistics of one encoded item, and missing counts.

    ``counts`` (units per cell) saves the counting pass when the item has no
    missing value.
    """
    H = design.n_strata
    if enc.categorical:
        return memory.indicator_cells(hg, enc.k, enc.K, enc.sel, design._w, design._w2, H, G,
                                      psu=design._psu,
                                      counts=None if enc.has_missing else counts)
    return memory.numeric_cells(hg, enc.y, design._w, H, G, psu=design._psu)


class _UnitItem:
    """Unit-level data of one item, built only when a computation needs it: a variance
    method without a cell-level entry point, or the likelihood interval's IRLS start."""

    def __init__(self, design, kind, name, level, dom, na):
        self.design, self.kind, self.name, self.level, self.dom, self.na = design, kind, name, level, dom, na
        self._it = None

    def _item(self):
        if self._it is None:
            it = item(self.design.data, self.name, kind=self.kind, level=self.level)
            code, _ = apply_na_policy(it, self.dom, self.na, self.design.data.index)
            self._it = (it, code)
        return self._it

    def variance(self, centre: np.ndarray, divisor: np.ndarray, G: int, est: np.ndarray):
        it, code = self._item()
        y = it.values
        keep = code >= 0
        g = code[keep]
        scores = np.zeros_like(y)
        w = self.design._w[keep]
        scores[keep] = w[:, None] * (y[keep] - centre[g]) / divisor[g][:, None]
        vm = self.design.variance
        lin = vm.variance(self.design, scores, code, G,
                          reestimate=_reestimator(self.kind, y, code, G, est))
        return lin, vm.domain_df(self.design, self.dom.code, G)

    def irls_start(self, G: int):
        it, code = self._item()
        return _irls_start(it.values, self.design._w, self.dom.code, code, G)


def _from_cells(kind, design, cells, n_missing, keys: pd.DataFrame, by, name, levels,
                categorical: bool, method, level, df, unit: _UnitItem | None) -> pd.DataFrame:
    """Estimates, SEs, df, CIs and design effects of one item from its cell statistics.

    Shared by every engine: ``cells`` is the small table of
    :mod:`surveyweights.engines.cells`; ``unit`` gives the unit-level data where a
    computation needs it (in-memory designs only).
    """
    H, G, L = cells.shape
    n_g, W, T = cells.totals()
    empty = np.flatnonzero(n_g == 0)
    if len(empty):
        raise no_observed_value(_KeysOf(keys, by), int(empty[0]), name)
    mu = T / W[:, None]
    if kind == "total":
        est, centre, divisor = T, np.zeros_like(T), np.ones(G)
    else:
        est, centre, divisor = mu, mu, W
    vm = design.variance
    if uses_cells(vm):
        lin = vm.cell_variance(design, cells, centre, divisor)
        ddf_g = vm.cell_domain_df(design, cells)
    elif unit is not None:
        lin, ddf_g = unit.variance(centre, divisor, G, est)
    else:
        raise not_on_engine(design, f"the variance method {vm.name!r}")
    warn_undefined_variance(lin.variance, design)
    var = np.maximum(lin.variance, 0.0)
    se = np.sqrt(var)
    # df and the beta method's n come from the domain design with its non-respondents
    # to the item (as R's svyciprop(na.rm=TRUE): they stay sampled units of n_h)
    ddf = np.repeat(np.asarray(ddf_g, dtype=float)[:, None], L, axis=1)
    n_design = n_g + n_missing
    dfs = resolve_df(df, design_df=ddf, satterthwaite=lin.satterthwaite_df)

    # design effect against simple random sampling without replacement (R's deff=TRUE):
    # s^2 = n/(n-1) sum w (y - mu)^2 / W; for an indicator sum w (y - mu)^2 = T (1 - mu)
    dev2 = T * (1.0 - mu) if categorical else cells.weighted_ss(mu)
    # the reference sample without replacement needs an estimated population larger
    # than the sample (sum of weights > n); where it is not (an unweighted sample, or
    # weights scaled below 1) deff is against sampling with replacement (R's
    # deff="replace"), as R's deff=TRUE would be Inf or negative there
    no_ref = W <= n_g
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = (n_g / (n_g - 1))[:, None] * dev2 / W[:, None]
        fpc = np.where(no_ref, 1.0, (W - n_g) / W)
        vsrs = s2 * (fpc / n_g)[:, None]
        if kind == "total":
            vsrs = vsrs * (W * W)[:, None]
        deff = var / vsrs
        n_eff = n_g[:, None] / deff
    below = W < n_g
    if below.any():
        warnings.warn(
            f"{int(below.sum())} domain(s) have weights summing to less than their number of "
            f"respondents (weights scaled below 1?), so no population is larger than the "
            f"sample: deff and n_eff there are against sampling with replacement (R's "
            f"deff='replace'; R's deff=TRUE is negative). Use weights that sum to the "
            f"population size for the usual design effect",
            DesignEffectWarning,
            stacklevel=user_stacklevel(),
        )

    est_f, se_f, df_f = est.ravel(), se.ravel(), dfs.ravel()
    n_f = np.repeat(n_g, L)
    n_ci = np.repeat(n_design, L)
    likelihood = None
    se_ci = se_f
    if (kind == "proportion" and method in ("logit", "likelihood")
            and getattr(lin, "replicates", None) is not None):
        # R fits svyglm(y ~ 1, quasibinomial) to every replicate: the interval uses the
        # spread of the replicate intercepts (R's IRLS replayed from the full fit)
        start, scale = unit.irls_start(G)
        se_ci = _replicate_logit_se(lin, est, start, n_g).ravel()
        likelihood = {"irls_start": start.ravel(), "n": n_f, "n_rows": n_f,
                      "weight_scale": np.repeat(scale, L)}
        if method == "logit":
            likelihood = {"irls_start": start.ravel(), "n_rows": n_f}
    elif kind == "proportion" and method == "likelihood":
        if unit is None:
            raise not_on_engine(design, "method='likelihood' (it replays R's IRLS fit on the "
                                        "unit data)", alternatives="method='logit' (the same "
                                        "interval to about 1e-5) or ")
        start, scale = unit.irls_start(G)
        likelihood = {"irls_start": start.ravel(), "n": n_f, "n_rows": n_f,
                      "weight_scale": np.repeat(scale, L)}
    lo, hi = _interval(kind, method, est_f, se_ci, df_f, level, n_ci, likelihood)
    return estimate_table(keys, by, variable=name, repeat=L,
                          level=pd.Series(list(levels) * G, dtype=object), estimate=est_f,
                          se=se_f, ci_low=lo, ci_high=hi, df=df_f, n=n_f, method=method,
                          confidence_level=level, deff=deff.ravel(), n_eff=n_eff.ravel(),
                          n_missing=n_missing)


class _KeysOf:
    """Domain keys and by columns shaped like Domains (for messages)."""

    def __init__(self, keys: pd.DataFrame, by):
        self.keys, self.by = keys, tuple(by)


def _reestimator(kind: str, y: np.ndarray, code: np.ndarray, G: int, est: np.ndarray) -> DomainTotals:
    """The estimates as a function of domain totals: totals, or ratios of totals for means
    and proportions (what a replicate-weight variance method recomputes per replicate)."""
    if kind == "total":
        return DomainTotals.sums(y, code, G, estimate=est)
    return DomainTotals.ratio(y, code, G, estimate=est)


def _replicate_logit_se(lin, p: np.ndarray, start: np.ndarray, n_rows: np.ndarray) -> np.ndarray:
    """The SE of p implied by the replicate variance of R's logistic intercept, (G, L).

    R's ``svyciprop(method="logit"/"likelihood")`` on a replicate design fits
    ``svyglm(y ~ 1, quasibinomial)``: the full-sample fit b0 by IRLS from R's start,
    then each replicate by ``glm.fit(start = b0)`` with weights normalised to sum 1,
    whose intercept-only IRLS steps are Newton steps on the replicate proportion
    (:func:`surveyweights.estimation.ci.r_irls_replicates`).  The variance of the
    intercept is the replicates' spread around their mean (or b0 with ``mse``);
    returned as ``se_logit * pf (1 - pf)`` so that the interval functions, which
    divide by ``pf (1 - pf)``, use it unchanged.
    """
    G, L = p.shape
    pf = np.empty((G, L))
    inner = (p > 0) & (p < 1)
    pf[~inner] = p[~inner]
    rows = np.broadcast_to(n_rows[:, None], (G, L))
    if inner.any():
        pf[inner] = _ci.r_irls_estimate(p[inner], start[inner], rows[inner])
    if not inner.any():
        return np.sqrt(np.maximum(lin.variance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        b0 = np.where(inner, np.log(pf / (1.0 - pf)), 0.0)
        v = lin.transformed(lambda reps: _ci.r_irls_replicates(reps, b0),
                            derivative=np.where(inner, 1.0 / (pf * (1.0 - pf)), 0.0), centre=b0)
        se = np.sqrt(np.maximum(v, 0.0)) * pf * (1.0 - pf)
    # at p = 0 or 1 the interval is degenerate whatever the SE (see ci.ci_logit)
    return np.where(inner, se, np.sqrt(np.maximum(lin.variance, 0.0)))


def _irls_start(y: np.ndarray, w: np.ndarray, dom_code: np.ndarray, code: np.ndarray,
                G: int) -> tuple[np.ndarray, np.ndarray]:
    """R's first IRLS iterate of svyglm(y ~ 1, quasibinomial) per domain and level, (G, L),
    and the weight scale (mean weight of the fitted rows / of all rows) per domain.

    Vectorised form of :func:`surveyweights.estimation.ci.r_irls_start`: weights normalised by
    their mean over the domain design's rows (``dom_code``; with na.rm R keeps the
    rows with a missing item in that mean), the fit over the rows with an observed
    value (``code``).  Only the likelihood interval needs it (for 1e-8 parity with R).
    """
    L = y.shape[1]
    d_in = dom_code >= 0
    mean_w = (np.bincount(dom_code[d_in], weights=w[d_in], minlength=G)
              / np.bincount(dom_code[d_in], minlength=G))
    keep = code >= 0
    g = code[keep]
    wn = w[keep] / mean_w[g]
    scale = (np.bincount(g, weights=w[keep], minlength=G) / np.bincount(g, minlength=G)) / mean_w
    out = np.empty((G, L))
    for j in range(L):
        yj = y[keep, j]
        m = (wn * yj + 0.5) / (wn + 1.0)
        v = wn * m * (1.0 - m)
        z = np.log(m / (1.0 - m)) + (yj - m) / (m * (1.0 - m))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, j] = np.bincount(g, weights=v * z, minlength=G) / np.bincount(g, weights=v, minlength=G)
    return out, scale


class UndefinedVarianceWarning(SurveyWeightsWarning):
    """A variance is undefined (NaN), e.g. lonely_psu='average' with nothing to average."""


def warn_undefined_variance(variance: np.ndarray, design: Design) -> None:
    """Warn where the variance method returned NaN (the SE and interval are then NaN)."""
    bad = np.isnan(np.asarray(variance, dtype=float))
    if bad.any():
        why = (" lonely_psu='average' has no stratum with two or more PSUs in the domain to "
               "average over;" if design.lonely_psu == "average" else "")
        warnings.warn(
            f"{int(bad.sum())} variance(s) are undefined, so their SE and interval are NaN:"
            f"{why} use lonely_psu='adjust' or collapse single-unit strata",
            UndefinedVarianceWarning,
            stacklevel=user_stacklevel(),
        )


def no_observed_value(dom: Domains, g: int, name: str) -> InputError:
    """The error for a domain where nobody has an observed value of the item."""
    label = _domain_label(dom, g)
    return InputError(
        f"no respondent{' in domain ' + label if label else ''} has an observed value of "
        f"{name!r}, so it cannot be estimated; drop that domain with subset= or impute"
    )


def _domain_label(dom: Domains, g: int) -> str:
    if not dom.by:
        return ""
    vals = dom.keys.iloc[g]
    return ", ".join(f"{c}={vals[c]!r}" for c in dom.by)


_COMMON_DOC = """
    design : Design
    variable : str or list of str
        Column(s) of ``design.data``.  A list gives one block of rows per variable
        (e.g. the eight technology items of Tabel 5 in one call).
    by : str or list of str, optional, keyword-only
        Domain columns; several are crossed (sector x size).  Domains are the
        observed combinations inside the subset, as R's ``svyby``.
    subset : boolean mask or expression string, optional, keyword-only
        A subpopulation (e.g. ``"adoption == 'adopter'"``, in the safe language of
        :mod:`surveyweights.expressions`, never run as Python; or a True/False or 0/1
        mask).  Units outside it stay in the design with a zero contribution, as R's
        ``subset(design, ...)``; a missing value in the condition or the mask counts
        as False, as in R.
    confidence_level : float, default 0.95, keyword-only
    df : {"design", "satterthwaite"} or positive number, default "design", keyword-only
        Degrees of freedom of the t quantiles.  ``"design"`` is R's ``degf()`` of the
        domain design: PSUs in the domain minus strata present in it (for the whole
        sample, ``degf(design)``).  ``"satterthwaite"`` is the effective df of the
        stratified variance, (sum_h v_h)^2 / sum_h v_h^2/(n_h - 1), better for small
        domains whose variance rests on a few strata.  A number (or ``numpy.inf``)
        is used as given.
    na : {"error", "available"}, default "error", keyword-only
        A missing value of the item inside the subset raises
        :class:`~surveyweights.errors.MissingValueError`; ``"available"`` leaves such
        units out of the domain (R's ``na.rm=TRUE``); the count is in ``n_missing``.
"""


def proportion(
    design: Design,
    variable: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    subset: Any = None,
    level: Any = None,
    method: str = "logit",
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Estimates:
    """Weighted proportion(s) of a categorical, boolean or 0/1 item, with CIs.

    Parameters
    ----------{common}
    level : optional, keyword-only
        Estimate only this level.  By default: every level of a categorical item
        (they sum to 1 in each domain), ``True`` of a boolean, ``1`` of a 0/1 item.
    method : str, default "logit", keyword-only
        The interval: ``"logit"``, ``"likelihood"``, ``"asin"``, ``"beta"``,
        ``"mean"``, ``"xlogit"`` (R's ``svyciprop`` methods) or ``"wilson"``; see
        :mod:`surveyweights.estimation.ci`.

    Returns
    -------
    Estimates
        ``.to_frame()``: the ``by`` columns, then ``variable, level, estimate, se,
        ci_low, ci_high, df, n, method, confidence_level, deff, n_eff, n_missing``.

    Raises
    ------
    InputError
        Unknown column, method or df choice; a numeric item that is not 0/1; a level
        that does not occur; a ``by`` column named like a result column (``level``,
        ``variable``, ``n``, ``estimate``...: rename it).
    MissingValueError
        A missing item value inside the subset with ``na="error"``.
    DomainError
        An empty subset.

    Notes
    -----
    For domain d and level l, p = sum_d w y / sum_d w, with the linearized score
    z_i = w_i 1[i in d] (y_i - p) / sum_d w; its variance is the stratified
    with-fpc variance of :mod:`surveyweights.variance.taylor` (or the design's
    other variance method).  Matches R's
    ``svymean(~y, design)`` and ``svyby(~y, ~by, design, svymean)`` (estimates and
    SEs), ``svyciprop(~y, design, method=...)`` with ``df=degf(design)`` for the
    whole sample, and ``svyby(~y, ~by, design, svyciprop, method=...)`` per domain
    (R computes those on the domain design, whose ``degf`` is the domain df used
    here).  ``deff`` is R's ``deff=TRUE`` (against simple random sampling without
    replacement of the domain's size) and ``n_eff = n / deff``.  Where a domain's
    weights sum to no more than its respondents (an unweighted sample, or weights
    scaled below 1) that reference does not exist (R's ``deff=TRUE`` is Inf or
    negative there): deff is against sampling with replacement (R's
    ``deff="replace"``), with a ``DesignEffectWarning`` if the sum is below n.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": list("aaabbb"), "N": [30] * 3 + [60] * 3,
    ...                    "y": [1, 0, 1, 1, 1, 0]})
    >>> d = sw.Design(df, strata="h", fpc="N")
    >>> r = sw.proportion(d, "y")
    >>> round(float(r.estimate.iloc[0]), 4)
    0.6667
    """
    return _estimate("proportion", design, variable, by=by, subset=subset, level=level,
                     method=method, confidence_level=confidence_level, df=df, na=na)


def mean(
    design: Design,
    variable: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Estimates:
    """Weighted mean(s) of numeric items (or the distribution of a categorical one).

    Parameters
    ----------{common}

    Returns
    -------
    Estimates
        Intervals are ``estimate +/- t_df * se`` (method ``"wald"``).

    Notes
    -----
    Matches R's ``svymean(~y, design)`` and ``svyby(~y, ~by, design, svymean)``:
    a numeric item gives one row; a boolean or categorical item one row per level
    (R's FALSE/TRUE or factor columns).  R's ``confint()`` uses the normal
    distribution; pass ``df=numpy.inf`` for the same interval.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": list("aabb"), "w": [2.0, 2.0, 3.0, 3.0], "y": [1.0, 3.0, 5.0, 7.0]})
    >>> float(sw.mean(sw.Design(df, weights="w", strata="h"), "y").estimate.iloc[0])
    4.4
    """
    return _estimate("mean", design, variable, by=by, subset=subset, level=None,
                     method="wald", confidence_level=confidence_level, df=df, na=na)


def total(
    design: Design,
    variable: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Estimates:
    """Weighted population total(s): sums of numeric items, counts per level otherwise.

    Parameters
    ----------{common}

    Returns
    -------
    Estimates
        Intervals are ``estimate +/- t_df * se`` (method ``"wald"``).

    Notes
    -----
    Matches R's ``svytotal(~y, design)`` and ``svyby(~y, ~by, design, svytotal)``;
    for a categorical item, the estimated number of population units in each level
    (e.g. the number of enterprises using AI per size class).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"size": ["micro"] * 2 + ["large"] * 2, "N": [100, 100, 10, 10],
    ...                    "ai": ["yes", "no", "yes", "yes"]})
    >>> d = sw.Design(df, strata="size", fpc="N")
    >>> sw.total(d, "ai").to_frame()[["level", "estimate"]].values.tolist()
    [['no', 50.0], ['yes', 60.0]]
    """
    return _estimate("total", design, variable, by=by, subset=subset, level=None,
                     method="wald", confidence_level=confidence_level, df=df, na=na)


for _f in (proportion, mean, total):
    _f.__doc__ = _f.__doc__.replace("{common}", _COMMON_DOC)
