"""The population variance of a numeric variable, R's ``svyvar``: the spread of
turnover or of AI budgets, per domain, with its SE.

The estimate is a smooth function of three domain totals (of 1, x and x^2), so
its linearized score goes to the design's variance method and its replicate
re-estimate to replicate-weight methods, like every other estimator's.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design import Design, require_design
from ..engines.base import not_on_engine
from ..errors import InputError
from ..variance import uses_cells
from ._domains import (NA_POLICIES, Item, apply_na_policy, domains, subset_mask,
                       too_few_units_error)
from ._influence import Influence, dense_scores, sql_influence
from ._sql import sql_var_cells
from .estimates import (Estimates, _check_level, _interval, _variables, estimate_table, resolve_df,
                        warn_undefined_variance)
from .ratio import _numeric, _where

__all__ = ["var"]


def var(
    design: Design,
    variable: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    subset: Any = None,
    confidence_level: float = 0.95,
    df: str | float = "design",
    na: str = "error",
) -> Estimates:
    """The population variance of a numeric variable per domain, with SE and CI.

    Parameters
    ----------
    design : Design
    variable : str or list of str
        Numeric (or boolean) column(s); a list gives one block of rows per variable.
    by, subset, confidence_level, df
        As in :func:`surveyweights.mean`: domains, a subpopulation, the interval
        level, and the degrees of freedom.
    na : {"error", "available"}, default "error", keyword-only
        A missing value inside the subset raises
        :class:`~surveyweights.errors.MissingValueError`; ``"available"`` leaves the
        unit out (its count is in ``n_missing``, and it is not counted in n).

    Returns
    -------
    Estimates
        ``kind="variance"``; ``.to_frame()`` has the usual columns, with an empty
        ``level``.  Intervals are ``estimate +/- t_df * se``.

    Raises
    ------
    InputError
        An unknown or non-numeric column.
    DomainError
        A domain with fewer than two units (the variance needs n - 1 > 0).
    MissingValueError
        A missing value with ``na="error"``.

    Notes
    -----
    In domain d with n_d units, weights w, total weight W_d and mean m_d,

    .. math:: S^2_d = \\frac{n_d}{n_d - 1} \\frac{\\sum_d w_i (x_i - m_d)^2}{W_d},

    the n - 1 divisor of R's ``svyvar`` (for equal weights, the sample variance).
    Its linearized score is z_i = w_i (n_d/(n_d-1) (x_i - m_d)^2 - S^2_d) / W_d in d
    (the derivative with respect to m_d vanishes), which is R's SE, the SE of
    ``svymean`` of the squared deviations.  Replicate methods recompute m_d and
    S^2_d in every replicate, as R's ``svyvar`` on a replicate design.  Matches
    ``svyvar(~x, design)`` and ``svyby(~x, ~by, design, svyvar)`` (estimate and SE).

    With ``na="available"`` n_d counts the units with an observed value; R's
    ``svyvar(..., na.rm=TRUE)`` on a (non-replicate) design counts the units with
    a missing value in n too, so there the two differ by the factor n/(n-1).

    References
    ----------
    Lumley, T. (2010). *Complex Surveys*, sec. 2.4 (linearization).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> round(float(sw.var(sw.Design(df), "x").estimate.iloc[0]), 12)  # the sample variance
    1.666666666667
    """
    require_design(design)
    level = _check_level(confidence_level)
    names = _variables(variable)
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of {list(NA_POLICIES)}")
    if design.engine.name != "pandas":
        return _var_sql(design, names, by=by, subset=subset, level=level, df=df, na=na)
    data = design.data
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    frames = []
    for name in names:
        x, code, n_missing = _item(data, dom, name, na)
        frames.append(_one_var(design, dom, name, x, code, n_missing, level, df))
    table = pd.concat(frames, ignore_index=True)
    influence = functools.partial(_var_influence, design, names, by, mask, na)
    return Estimates("variance", dom.by, "wald", level, df, table, influence)


def _item(data, dom, name, na):
    x, miss = _numeric(data, name, "variable", "a variance is of a numeric variable")
    it = Item(name, x[:, None], [None], miss, False)
    code, n_missing = apply_na_policy(it, dom, na, data.index)
    return x, code, n_missing


def _parts(design, dom, x, code, name):
    """n_d, W_d, m_d, S^2_d and the scores z of one variable."""
    G = dom.n_groups
    w = design._w
    keep = code >= 0
    g = code[keep]
    n = np.bincount(g, minlength=G)
    few = np.flatnonzero(n < 2)
    if len(few):
        k = int(few[0])
        raise too_few_units_error(name, _where(dom, k), int(n[k]))
    S, W, m = _variance(w, x, code, G, n)
    z = np.zeros(len(w))
    c = n / (n - 1.0)
    z[keep] = w[keep] * (c[g] * (x[keep] - m[g]) ** 2 - S[g]) / W[g]
    return n, S, z


def _variance(w, x, code, G, n):
    keep = code >= 0
    g, wk, xk = code[keep], w[keep], x[keep]
    W = np.bincount(g, weights=wk, minlength=G)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(g, weights=wk * xk, minlength=G) / W
        dev2 = np.bincount(g, weights=wk * (xk - m[g]) ** 2, minlength=G)
        S = n / (n - 1.0) * dev2 / W
    return S, W, m


def _reestimate(x, code, G, n, wr):
    return _variance(np.asarray(wr, dtype=float), x, code, G, n)[0]


def _one_var(design, dom, name, x, code, n_missing, level, df) -> pd.DataFrame:
    G = dom.n_groups
    n, S, z = _parts(design, dom, x, code, name)
    fn = functools.partial(_reestimate, x, code, G, n)

    def reestimate(wr: np.ndarray) -> np.ndarray:
        return fn(wr)[:, None]

    lin = design.variance.variance(design, z[:, None], code, G, reestimate=reestimate)
    ddf = design.variance.domain_df(design, dom.code, G)
    return _var_frame(design, dom.keys, dom.by, name, S, lin, ddf, n, n_missing, level, df)


def _var_frame(design, keys, by, name, S, lin, ddf, n, n_missing, level, df) -> pd.DataFrame:
    """The table of one variable's population variances (every engine)."""
    G = len(S)
    warn_undefined_variance(lin.variance, design)
    se = np.sqrt(np.maximum(lin.variance[:, 0], 0.0))
    dfs = resolve_df(df, design_df=np.asarray(ddf, dtype=float)[:, None],
                     satterthwaite=lin.satterthwaite_df)[:, 0]
    lo, hi = _interval("variance", "wald", S, se, dfs, level, n)
    return estimate_table(keys, by, variable=name, level=pd.Series([None] * G, dtype=object),
                          estimate=S, se=se, ci_low=lo, ci_high=hi, df=dfs, n=n,
                          method="wald", confidence_level=level, n_missing=n_missing)


def _var_sql(design, names, *, by, subset, level, df, na) -> Estimates:
    """var() on a SQL engine: the cell table of u = n/(n-1) (x - m)^2, whose weighted domain
    mean is S^2 (:func:`surveyweights.estimation._sql.sql_var_cells`), then shared code."""
    vm = design.variance
    if not uses_cells(vm):
        raise not_on_engine(design, f"sw.var under the variance method {vm.name!r}",
                            alternatives="sw.mean, sw.total and sw.difference (computed on "
                                         "the engine with this variance method), or ")
    frames, parts, by_cols = [], [], ()
    for name in names:
        keys, by_cols, cells, n_missing = sql_var_cells(design, name, by=by, subset=subset, na=na)
        n, W, T = cells.totals()
        S = T[:, 0] / W
        lin = vm.cell_variance(design, cells, S[:, None], W)
        frames.append(_var_frame(design, keys, by_cols, name, S, lin,
                                 vm.cell_domain_df(design, cells), n, n_missing, level, df))
        parts.append((cells, S[:, None], W))
    table = pd.concat(frames, ignore_index=True)
    return Estimates("variance", tuple(by_cols), "wald", level, df, table,
                     sql_influence(design, parts), engine=design.engine.name)


def _var_influence(design, names, by, mask, na) -> Influence:
    """The :class:`Influence` of ``var`` called with these arguments (for ``vcov``)."""
    data = design.data
    dom = domains(data, by, mask)
    G = dom.n_groups
    blocks, fns, row_groups = [], [], []
    union = np.full(len(data), -1, dtype=np.intp)
    for name in names:
        x, code, _ = _item(data, dom, name, na)
        n, _, z = _parts(design, dom, x, code, name)
        blocks.append(dense_scores(z[:, None], code, G))
        row_groups.append(np.arange(G))
        union = np.where(code >= 0, code, union)
        fns.append(functools.partial(_reestimate, x, code, G, n))

    def reestimate(wr: np.ndarray) -> np.ndarray:
        return np.concatenate([f(wr) for f in fns])

    return Influence(design, np.hstack(blocks), union, np.concatenate(row_groups), reestimate)
