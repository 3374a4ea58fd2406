"""The joint linearization of every row of an estimate table, computed on demand.

A table of domain estimates (``sw.total(d, "enroll", by="stype")``) is made from
domain-sparse scores: each unit scores only for its own domain.  Contrasts between
rows (R's ``svycontrast``) need the covariance between domains, hence each row's
scores as a column of its own: an n x R matrix.  Estimators do not keep it (it can
be large); they store how to rebuild it, and :meth:`Estimates.vcov` asks for it
only when a covariance is wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._domains import apply_na_policy, domains, item, subset_mask

__all__ = ["Influence", "domain_influence", "dense_scores"]


@dataclass(frozen=True)
class Influence:
    """Scores of every row of an estimate table, one column per row.

    Attributes
    ----------
    design : Design
    scores : ndarray, shape (n, R)
        Unit i's linearized score for the estimate of row r (zero outside the
        row's domain).
    group : ndarray of int, shape (n,)
        Each unit's domain (-1: outside every domain of the table).
    row_group : ndarray of int, shape (R,)
        The domain of each row.
    reestimate : callable
        The R estimates under other weights (for replicate-weight variance methods).
    """

    design: Any
    scores: np.ndarray
    group: np.ndarray
    row_group: np.ndarray
    reestimate: Callable[[np.ndarray], np.ndarray]

    def covariance(self) -> np.ndarray:
        """The R x R covariance of the rows, from the design's variance method."""
        d = self.design
        return d.variance.covariance(d, self.scores, self.group >= 0, reestimate=self.reestimate)

    def design_df(self, rows: np.ndarray) -> float:
        """The design df of the domains of ``rows`` together (PSUs minus strata they touch)."""
        doms = np.unique(self.row_group[rows])
        together = np.where(np.isin(self.group, doms), 0, -1)
        return float(self.design.variance.domain_df(self.design, together, 1)[0])


def dense_scores(z: np.ndarray, code: np.ndarray, G: int) -> np.ndarray:
    """Domain-sparse scores (n x L, unit i scoring for domain code[i]) as n x (G * L) columns.

    Column g * L + l holds the scores for level l of domain g: the row order of
    an estimate table.
    """
    n, L = z.shape
    out = np.zeros((n, G * L))
    inside = np.flatnonzero(code >= 0)
    cols = code[inside, None] * L + np.arange(L)[None, :]
    out[inside[:, None], cols] = z[inside]
    return out


def domain_influence(design, kind: str, names: Sequence[str], by, subset, level, na: str) -> Influence:
    """The :class:`Influence` of ``sw.proportion``/``mean``/``total`` called with these arguments.

    Scores as the estimators': w y for a total, w (y - mean_g) / W_g for a mean or
    proportion of domain g.
    """
    data = design.data
    w = design._w
    mask = subset_mask(data, subset)
    dom = domains(data, by, mask)
    G = dom.n_groups
    blocks, fns, row_groups = [], [], []
    union = np.full(len(data), -1, dtype=np.intp)
    for name in names:
        it = item(data, name, kind=kind, level=level)
        code, _ = apply_na_policy(it, dom, na, data.index)
        y = it.values
        L = y.shape[1]
        keep = code >= 0
        W = np.bincount(code[keep], weights=w[keep], minlength=G)
        T = np.column_stack([np.bincount(code[keep], weights=w[keep] * y[keep, j], minlength=G)
                             for j in range(L)])
        z = np.zeros_like(y)
        if kind == "total":
            z[keep] = w[keep, None] * y[keep]
        else:
            mu = T / W[:, None]
            z[keep] = w[keep, None] * (y[keep] - mu[code[keep]]) / W[code[keep], None]
        blocks.append(dense_scores(z, code, G))
        row_groups.append(np.repeat(np.arange(G), L))
        union = np.where(keep, code, union)
        fns.append(_reestimate_block(kind, y, code, G))

    def reestimate(wr: np.ndarray) -> np.ndarray:
        return np.concatenate([f(wr) for f in fns])

    return Influence(design, np.hstack(blocks), union, np.concatenate(row_groups), reestimate)


def _reestimate_block(kind: str, y: np.ndarray, code: np.ndarray, G: int):
    keep = code >= 0

    def f(wr: np.ndarray) -> np.ndarray:
        wk = np.asarray(wr, dtype=float)[keep]
        g = code[keep]
        T = np.column_stack([np.bincount(g, weights=wk * y[keep, j], minlength=G)
                             for j in range(y.shape[1])])
        if kind == "total":
            return T.ravel()
        W = np.bincount(g, weights=wk, minlength=G)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (T / W[:, None]).ravel()

    return f


@dataclass(frozen=True)
class CellInfluence:
    """The joint linearization of one item's estimate table from its cell statistics.

    What a SQL engine's estimates keep for :meth:`Estimates.vcov` and contrasts:
    the small per-cell table of :mod:`surveyweights.engines.cells`, the centre
    (G, L) and divisor (G,) of the scores w (y - centre) / divisor.  Same
    interface as :class:`Influence`.
    """

    design: Any
    cells: Any
    centre: np.ndarray
    divisor: np.ndarray

    def _method(self):
        from ..engines.base import not_on_engine
        from ..variance import uses_cells

        vm = self.design.variance
        if not uses_cells(vm) or not hasattr(vm, "cell_vcov"):
            raise not_on_engine(self.design, f"the covariance of estimates under the variance "
                                             f"method {vm.name!r}",
                                alternatives="sw.difference for two domains (computed on the "
                                             "engine), or ")
        return vm

    def covariance(self) -> np.ndarray:
        """The R x R covariance of the rows (domain-major, as the table)."""
        return self._method().cell_vcov(self.design, self.cells, self.centre, self.divisor)

    def design_df(self, rows: np.ndarray) -> float:
        """The design df of the domains of ``rows`` together, counting the units with an
        observed value (as :meth:`Influence.design_df`)."""
        from dataclasses import replace

        H, G, L = self.cells.shape
        members = np.zeros(G, dtype=bool)
        members[np.unique(np.asarray(rows) // L)] = True
        observed = replace(self.cells, n_all=self.cells.n)
        if observed.rows is not None:
            observed = replace(observed, rows=replace(observed.rows, n_all=observed.rows.n))
        return float(self._method().cell_domain_df(self.design, observed, members=members)[0])


def sql_influence(design, parts: list) -> Callable[[], CellInfluence]:
    """The ``_influence`` of estimates made on a SQL engine: one item's
    :class:`CellInfluence`; several items raise (their cross-covariance needs
    joint moments of the items, which the per-item cell tables do not hold)."""

    def influence() -> CellInfluence:
        if len(parts) != 1:
            from ..engines.base import not_on_engine

            raise not_on_engine(design, "the covariance between estimates of different variables",
                                alternatives="one variable per call (contrasts within it work "
                                             "on the engine), or ")
        return CellInfluence(design, *parts[0])

    return influence
