"""Ratios of two population totals, R's ``svyratio``: employment in adopting firms per
employee, AI budget per employee, pupils tested per enrolled pupil.

The ratio R = Y / X of the totals of two numeric variables is estimated by the
ratio of their weighted sums; its linearized score (Woodruff 1971; Lumley 2010,
sec. 2.4) goes to the design's variance method like every other estimator's.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._domains import (NA_POLICIES, Item, apply_na_policy, domain_label, domains,
                       ratio_domain_error, subset_mask)
from ._influence import Influence, dense_scores, sql_influence
from ._sql import sql_ratio_cells
from .._strata import check_columns
from ..design import Design, require_design
from ..engines.base import not_on_engine
from ..errors import InputError, user_stacklevel
from ..variance import uses_cells
from .estimates import (
    DesignEffectWarning,
    Estimates,
    _check_level,
    _interval,
    _variables,
    estimate_table,
    resolve_df,
    warn_undefined_variance,
)

__all__ = ["ratio"]


_RATIO_NEEDS = "a ratio is a ratio of totals of numeric variables"


def _numeric(data: pd.DataFrame, name: str, role: str,
             needs: str = _RATIO_NEEDS) -> tuple[np.ndarray, np.ndarray]:
    """A numeric (or boolean, as 0/1) column as floats (0 where missing), and its missing mask."""
    if not isinstance(name, str):
        raise InputError(f"the {role} must be a column name, got {name!r}")
    check_columns(data, [name], what=role, table="the design's data")
    s = data[name]
    if pd.api.types.is_bool_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        raise InputError(
            f"the {role} {name!r} has dtype {s.dtype}, not numeric; {needs} (for a share of "
            f"a category use sw.proportion, or derive a 0/1 column with design.assign)"
        )
    miss = np.isnan(v)
    return np.where(miss, 0.0, v), miss


def ratio(
    design: Design,
    numerator: str | Sequence[str],
    denominator: str,
    *,
    by: str | Sequence[str] | None = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Estimates:
    """The ratio of two population totals, Y / X, per domain, with SE and CI.

    Parameters
    ----------
    design : Design
    numerator : str or list of str
        Numeric column(s) whose total is the numerator (a list gives one block of
        rows per numerator).
    denominator : str
        Numeric column whose total is the denominator.
    by, subset, confidence_level, df
        As in :func:`surveyweights.mean`: domains, a subpopulation, the interval
        level, and the degrees of freedom (``"design"``: PSUs minus strata of the
        domain; ``"satterthwaite"``; or a number).
    na : {"error", "available"}, default "error", keyword-only
        A missing numerator or denominator inside the subset raises
        :class:`~surveyweights.errors.MissingValueError`; ``"available"`` leaves the
        unit out of both totals (R's ``svyratio(..., na.rm=TRUE)``); the count is in
        ``n_missing``.

    Returns
    -------
    Estimates
        ``kind="ratio"``; ``.to_frame()`` has the usual columns, with ``variable``
        ``"numerator/denominator"`` and an empty ``level``.  Intervals are
        ``estimate +/- t_df * se``.

    Raises
    ------
    InputError
        An unknown or non-numeric column.
    DomainError
        A denominator whose total is zero in a domain (the ratio is undefined).
    MissingValueError
        A missing value with ``na="error"``.

    Notes
    -----
    In domain d, R_d = Y_d / X_d with Y_d = sum_d w y and X_d = sum_d w x; the
    linearized score of unit i in d is z_i = w_i (y_i - R_d x_i) / X_d (zero
    outside d), and Var(R_d) is the design's variance of sum z.  Matches R's
    ``svyratio(~y, ~x, design)`` and ``svyby(~y, ~by, denominator=~x, design,
    svyratio)`` (estimate and SE); ``confint(..., df=degf(design))`` for the
    interval.  ``deff`` is R's ``svyratio(..., deff=TRUE)``: the variance against
    that of a simple random sample of the domain's size, without replacement.
    With a constant denominator the ratio is the mean of the numerator
    (R = sum w y / (c sum w), times c).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": list("aabb"), "N": [10, 10, 20, 20],
    ...                    "ai_emp": [2.0, 0.0, 5.0, 1.0], "emp": [4.0, 3.0, 10.0, 2.0]})
    >>> r = sw.ratio(sw.Design(df, strata="h", fpc="N"), "ai_emp", "emp")
    >>> round(float(r.estimate.iloc[0]), 4)
    0.4516
    """
    require_design(design)
    level = _check_level(confidence_level)
    names = _variables(numerator)
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of {list(NA_POLICIES)}")
    if design.engine.name != "pandas":
        return _ratio_sql(design, names, denominator, by=by, subset=subset, level=level, df=df,
                          na=na)
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    x, x_miss = _numeric(data, denominator, "denominator")
    frames = []
    for name in names:
        y, y_miss = _numeric(data, name, "numerator")
        it = Item(f"{name}/{denominator}", y[:, None], [None], y_miss | x_miss, False)
        code, n_missing = apply_na_policy(it, dom, na, data.index)
        frames.append(_one_ratio(design, dom, name, denominator, y, x, code, n_missing,
                                 level, df))
    table = pd.concat(frames, ignore_index=True)
    influence = functools.partial(_ratio_influence, design, names, denominator, by, mask, na)
    return Estimates("ratio", dom.by, "wald", level, df, table, influence)


def _totals(w, y, x, code, G):
    keep = code >= 0
    g, wk = code[keep], w[keep]
    Y = np.bincount(g, weights=wk * y[keep], minlength=G)
    X = np.bincount(g, weights=wk * x[keep], minlength=G)
    return Y, X


def _scores(w, y, x, code, R, X):
    """z_i = w_i (y_i - R_g x_i) / X_g for units in domain g, 0 elsewhere."""
    keep = code >= 0
    g = code[keep]
    z = np.zeros(len(w))
    z[keep] = w[keep] * (y[keep] - R[g] * x[keep]) / X[g]
    return z


def _ratio_parts(design, dom, y, x, code, name, denominator):
    G = dom.n_groups
    w = design._w
    n_g = np.bincount(code[code >= 0], minlength=G)
    if (n_g == 0).any():
        g = int(np.flatnonzero(n_g == 0)[0])
        raise ratio_domain_error(name, denominator, _where(dom, g), empty=True)
    Y, X = _totals(w, y, x, code, G)
    zero = np.flatnonzero(X == 0)
    if len(zero):
        raise ratio_domain_error(name, denominator, _where(dom, int(zero[0])), empty=False)
    R = Y / X
    return G, w, n_g, Y, X, R


def _where(dom, g: int) -> str:
    return domain_label(dom.keys, dom.by, g)


def _one_ratio(design, dom, name, denominator, y, x, code, n_missing, level, df) -> pd.DataFrame:
    G, w, n_g, Y, X, R = _ratio_parts(design, dom, y, x, code, name, denominator)
    z = _scores(w, y, x, code, R, X)
    keep = code >= 0
    ratios = functools.partial(_reestimate_ratio, y, x, code, G)

    def reestimate(wr: np.ndarray) -> np.ndarray:
        return ratios(wr)[:, None]

    lin = design.variance.variance(design, z[:, None], code, G, reestimate=reestimate)
    ddf = design.variance.domain_df(design, dom.code, G)
    # deff: R's deff(svytotal(r, design)) with r = (y - R x) / X over the domain's units
    r = np.zeros(len(w))
    r[keep] = (y[keep] - R[code[keep]] * x[keep]) / X[code[keep]]
    W = np.bincount(code[keep], weights=w[keep], minlength=G)
    rbar = np.bincount(code[keep], weights=w[keep] * r[keep], minlength=G) / W
    dev2 = np.bincount(code[keep], weights=w[keep] * (r[keep] - rbar[code[keep]]) ** 2, minlength=G)
    return _ratio_frame(design, dom.keys, dom.by, f"{name}/{denominator}", R, lin, ddf, n_g, W,
                        dev2, n_missing, level, df)


def _ratio_frame(design, keys, by, label, R, lin, ddf, n_g, W, dev2, n_missing, level,
                 df) -> pd.DataFrame:
    """The table of one ratio from its variance, design df and deff parts (every engine).

    ``dev2`` is sum w (r - rbar)^2 over the domain, r = (y - R x) / X.
    """
    G = len(R)
    warn_undefined_variance(lin.variance, design)
    var = np.maximum(lin.variance[:, 0], 0.0)
    se = np.sqrt(var)
    dfs = resolve_df(df, design_df=np.asarray(ddf, dtype=float)[:, None],
                     satterthwaite=lin.satterthwaite_df)[:, 0]
    # as the other estimators: without a population larger than the sample (weights
    # summing to no more than n) deff is against sampling with replacement
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = n_g / (n_g - 1) * dev2 / W
        fpc = np.where(W <= n_g, 1.0, (W - n_g) / W)
        vsrs = s2 * W * W * fpc / n_g
        deff = var / vsrs
        n_eff = n_g / deff
    if (W < n_g).any():
        warnings.warn(
            f"{int((W < n_g).sum())} domain(s) have weights summing to less than their number "
            f"of respondents, so deff and n_eff there are against sampling with replacement "
            f"(R's deff='replace'); use weights that sum to the population size for the usual "
            f"design effect",
            DesignEffectWarning,
            stacklevel=user_stacklevel(),
        )
    lo, hi = _interval("ratio", "wald", R, se, dfs, level, n_g)
    return estimate_table(keys, by, variable=label, level=pd.Series([None] * G, dtype=object),
                          estimate=R, se=se, ci_low=lo, ci_high=hi, df=dfs, n=n_g,
                          method="wald", confidence_level=level, deff=deff, n_eff=n_eff,
                          n_missing=n_missing)


def _ratio_sql(design, names, denominator, *, by, subset, level, df, na) -> Estimates:
    """ratio() on a SQL engine: the cell table of u = y - R_g x (see
    :func:`surveyweights.estimation._sql.sql_ratio_cells`), then the shared variance code."""
    vm = design.variance
    if not uses_cells(vm):
        raise not_on_engine(design, f"sw.ratio under the variance method {vm.name!r}",
                            alternatives="sw.mean, sw.total and sw.difference (computed on "
                                         "the engine with this variance method), or ")
    frames, parts, by_cols = [], [], ()
    for name in names:
        keys, by_cols, cells, R, X, n_missing = sql_ratio_cells(
            design, name, denominator, by=by, subset=subset, na=na)
        G = len(R)
        centre = np.zeros((G, 1))
        lin = vm.cell_variance(design, cells, centre, X)
        n_g, W, T = cells.totals()
        dev2 = cells.weighted_ss(T / W[:, None])[:, 0] / (X * X)
        frames.append(_ratio_frame(design, keys, by_cols, f"{name}/{denominator}", R, lin,
                                   vm.cell_domain_df(design, cells), n_g, W, dev2, n_missing,
                                   level, df))
        parts.append((cells, centre, X))
    table = pd.concat(frames, ignore_index=True)
    return Estimates("ratio", tuple(by_cols), "wald", level, df, table,
                     sql_influence(design, parts), engine=design.engine.name)


def _ratio_influence(design, names, denominator, by, mask, na) -> Influence:
    """The :class:`Influence` of ``ratio`` called with these arguments (for ``vcov``)."""
    data = design.data
    dom = domains(data, by, mask)
    x, x_miss = _numeric(data, denominator, "denominator")
    blocks, fns, row_groups = [], [], []
    union = np.full(len(data), -1, dtype=np.intp)
    for name in names:
        y, y_miss = _numeric(data, name, "numerator")
        it = Item(name, y[:, None], [None], y_miss | x_miss, False)
        code, _ = apply_na_policy(it, dom, na, data.index)
        G, w, _, _, X, R = _ratio_parts(design, dom, y, x, code, name, denominator)
        blocks.append(dense_scores(_scores(w, y, x, code, R, X)[:, None], code, G))
        row_groups.append(np.arange(G))
        union = np.where(code >= 0, code, union)
        fns.append(functools.partial(_reestimate_ratio, y, x, code, G))

    def reestimate(wr: np.ndarray) -> np.ndarray:
        return np.concatenate([f(wr) for f in fns])

    return Influence(design, np.hstack(blocks), union, np.concatenate(row_groups), reestimate)


def _reestimate_ratio(y, x, code, G, wr):
    Yr, Xr = _totals(np.asarray(wr, dtype=float), y, x, code, G)
    with np.errstate(invalid="ignore", divide="ignore"):
        return Yr / Xr
