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
from ._domains import RESULT_COLUMNS, Domains, apply_na_policy, domains, item, subset_mask
from ._influence import Influence, domain_influence
from ..variance.base import DomainTotals
from ..variance.taylor import cell_index
from ..design import Design, require_design
from ..errors import InputError, NoDegreesOfFreedomWarning, SurveyWeightsWarning, user_stacklevel

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
    kind : {"proportion", "mean", "total", "ratio"}
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

    def to_frame(self) -> pd.DataFrame:
        """The estimates as a tidy DataFrame (a copy)."""
        return self._table.copy()

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
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    w = design._w
    frames = []
    codes = {}
    for name in names:
        it = item(data, name, kind=kind, level=level)
        code, n_missing = apply_na_policy(it, dom, na, data.index)
        codes[it.name] = code
        frames.append(_one_item(kind, design, it, dom, code, n_missing, w, method, level_, df))
    table = pd.concat(frames, ignore_index=True)
    influence = functools.partial(domain_influence, design, kind, names, by, mask, level, na)
    return Estimates(kind, dom.by, method, level_, df, table, influence,
                     _units=DomainUnits(design, dom.keys, codes))


def _one_item(kind, design, it, dom: Domains, code, n_missing, w, method, level, df) -> pd.DataFrame:
    G, L, H = dom.n_groups, it.values.shape[1], design.n_strata
    # the (stratum x domain) cell of each unit inside a domain: computed once, shared
    # by the weighted sums here and the variance engine
    idx = cell_index(design, code, G) if design._psu is None else None
    if idx is not None:
        cin = idx.code
        win, yin = idx.select(w), idx.select(it.values)
        Wc = np.bincount(cin, weights=win, minlength=H * G)
        Tc = np.empty((H * G, L))
        for j in range(L):
            Tc[:, j] = np.bincount(cin, weights=win * yin[:, j], minlength=H * G)
        n_g = idx.count.sum(axis=0).astype(float)
        W = Wc.reshape(H, G).sum(axis=0)
        T = Tc.reshape(H, G, L).sum(axis=0)
        gin = idx.select(code)
    else:
        keep = code >= 0
        gin, win, yin = code[keep], w[keep], it.values[keep]
        n_g = np.bincount(gin, minlength=G).astype(float)
        W = np.bincount(gin, weights=win, minlength=G)
        T = np.empty((G, L))
        for j in range(L):
            T[:, j] = np.bincount(gin, weights=win * yin[:, j], minlength=G)
    empty = np.flatnonzero(n_g == 0)
    if len(empty):
        raise no_observed_value(dom, int(empty[0]), it.name)
    mu = T / W[:, None]
    # linearized scores of the units inside a domain: w y for a total, w (y - mu)/W
    # for a mean; their cell sums follow from the weighted sums above
    zin = np.empty(yin.shape, order="F")
    if kind == "total":
        est = T
        for j in range(L):
            np.multiply(yin[:, j], win, out=zin[:, j])
        sums = Tc if idx is not None else None
    else:
        est = mu
        ratio = win / np.take(W, gin)
        for j in range(L):
            np.subtract(yin[:, j], np.take(mu[:, j], gin), out=zin[:, j])
            zin[:, j] *= ratio
        del ratio
        if idx is not None:
            gcell = np.tile(np.arange(G), H)
            sums = (Tc - mu[gcell] * Wc[:, None]) / W[gcell][:, None]
        else:
            sums = None
    reestimate = _reestimator(kind, it.values, code, G, est)
    if idx is not None:
        lin = design.variance.variance(design, zin, code, G, index=idx, cell_sums=sums,
                                       reestimate=reestimate)
    else:
        scores = np.zeros_like(it.values)
        scores[code >= 0] = zin
        lin = design.variance.variance(design, scores, code, G, reestimate=reestimate)
        del scores
    del zin
    warn_undefined_variance(lin.variance, design)
    var = np.maximum(lin.variance, 0.0)
    se = np.sqrt(var)
    # df and the beta method's n come from the domain design with its non-respondents
    # to the item (as R's svyciprop(na.rm=TRUE): they stay sampled units of n_h)
    if lin.cells is None or n_missing.any() or design._psu is not None:
        ddf_g = design.variance.domain_df(design, dom.code, G)
    else:
        ddf_g = (lin.cells.sum(axis=0) - (lin.cells > 0).sum(axis=0)).astype(float)
    ddf = np.repeat(ddf_g[:, None], L, axis=1)
    n_design = n_g + n_missing
    dfs = resolve_df(df, design_df=ddf, satterthwaite=lin.satterthwaite_df)

    # design effect against simple random sampling without replacement (R's deff=TRUE):
    # s^2 = n/(n-1) sum w (y - mu)^2 / W; for an indicator sum w (y - mu)^2 = T (1 - mu)
    if it.categorical:
        dev2 = T * (1.0 - mu)
    else:
        dev2 = np.empty((G, L))
        for j in range(L):
            d = yin[:, j] - np.take(mu[:, j], gin)
            dev2[:, j] = np.bincount(gin, weights=win * d * d, minlength=G)
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
    if kind == "proportion" and method in ("logit", "likelihood") and lin.replicates is not None:
        # R fits svyglm(y ~ 1, quasibinomial) to every replicate: the interval uses the
        # spread of the replicate intercepts (R's IRLS replayed from the full fit)
        start, scale = _irls_start(it.values, w, dom.code, code, G)
        se_ci = _replicate_logit_se(lin, est, start, n_g).ravel()
        likelihood = {"irls_start": start.ravel(), "n": n_f, "n_rows": n_f,
                      "weight_scale": np.repeat(scale, L)}
        if method == "logit":
            likelihood = {"irls_start": start.ravel(), "n_rows": n_f}
    elif kind == "proportion" and method == "likelihood":
        start, scale = _irls_start(it.values, w, dom.code, code, G)
        likelihood = {"irls_start": start.ravel(), "n": n_f, "n_rows": n_f,
                      "weight_scale": np.repeat(scale, L)}
    lo, hi = _interval(kind, method, est_f, se_ci, df_f, level, n_ci, likelihood)
    out = pd.DataFrame({c: np.repeat(dom.keys[c].to_numpy(dtype=object), L) for c in dom.by},
                       index=pd.RangeIndex(G * L))
    out["variable"] = it.name
    out["level"] = pd.Series(list(it.levels) * G, dtype=object)
    out["estimate"] = est_f
    out["se"] = se_f
    out["ci_low"] = lo
    out["ci_high"] = hi
    out["df"] = df_f
    out["n"] = n_f.astype(np.int64)
    out["method"] = method
    out["confidence_level"] = level
    out["deff"] = deff.ravel()
    out["n_eff"] = n_eff.ravel()
    out["n_missing"] = np.repeat(n_missing, L).astype(np.int64)
    return out


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
