"""The variance seam: what an estimator asks of a design, whatever computes the answer.

An estimator reduces its estimates to *domain-sparse linearized scores* (each
unit's score for the estimate of its own domain, see
:mod:`surveyweights.variance.taylor`) and, optionally, a function that recomputes
the point estimates under other weights.  It hands both to the design's
:class:`VarianceMethod` and gets back a :class:`DomainVariance`.  How the variance
is computed -- Taylor linearization of a one-stage design today; calibration
residuals, replicate weights, multistage recursion or a database engine next --
is the method's business, never a branch inside an estimator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["DomainTotals", "DomainVariance", "Reestimate", "VarianceMethod", "uses_cells"]

#: Point estimates recomputed under other weights: ``f(w)`` with ``w`` of shape
#: (n,) gives the estimates (G, L) (or (K,) for a covariance); replicate-weight
#: methods call it once per replicate, Taylor linearization never does.
Reestimate = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class DomainTotals:
    """Estimates that are a smooth function of domain totals of per-unit variables.

    Means, proportions, totals, ratios, differences and the cells of a two-way
    table are all functions of a few weighted totals per domain.  An estimator that
    describes its estimates this way (instead of giving only a function of the
    weights) lets a replicate-weight method compute the totals of every replicate
    at once: from per-(PSU x domain) totals and a small matrix product for
    replicates built from a design, or one sparse product with the n x R weights
    read from a file.  A :class:`DomainTotals` is also a :data:`Reestimate`:
    calling it with a weight vector gives the estimates under those weights.

    Attributes
    ----------
    values : ndarray, shape (n, K)
        The per-unit variables whose weighted totals the estimates need (e.g. the
        item and a column of ones for a mean).
    group : ndarray of int, shape (n,)
        The domain of each unit in 0..n_groups-1, or -1 for units in none.
    n_groups : int
    combine : callable
        Maps totals of shape (..., n_groups, K) to the estimates, shape (..., *E),
        vectorised over the leading axes (one per replicate).  ``None``: the
        totals themselves.
    estimate : ndarray, optional
        The full-sample estimates (shape E), when the estimator has them; the
        centre of ``mse=True`` variances.  Default: recomputed from the weights.
    """

    values: np.ndarray
    group: np.ndarray
    n_groups: int
    combine: Callable[[np.ndarray], np.ndarray] | None = None
    estimate: np.ndarray | None = None

    def totals(self, w: np.ndarray) -> np.ndarray:
        """The weighted totals (n_groups, K) under weights ``w`` (shape (n,))."""
        keep = self.group >= 0
        g = self.group[keep]
        wk = np.asarray(w, dtype=float)[keep]
        v = self.values[keep]
        G = int(self.n_groups)
        out = np.empty((G, v.shape[1]))
        for j in range(v.shape[1]):
            out[:, j] = np.bincount(g, weights=wk * v[:, j], minlength=G)
        return out

    def apply(self, totals: np.ndarray) -> np.ndarray:
        """The estimates from totals of shape (..., n_groups, K)."""
        if self.combine is None:
            return totals
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.combine(totals)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return self.apply(self.totals(w))

    @classmethod
    def ratio(cls, y: np.ndarray, group: np.ndarray, n_groups: int, *,
              estimate: np.ndarray | None = None) -> DomainTotals:
        """Domain means of each column of ``y`` (n, L): totals of y over totals of 1."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        L = y.shape[1]
        values = np.column_stack([y, np.ones(len(y))])

        def combine(t: np.ndarray) -> np.ndarray:
            return t[..., :L] / t[..., L:]

        return cls(values, np.asarray(group), int(n_groups), combine, estimate)

    @classmethod
    def sums(cls, y: np.ndarray, group: np.ndarray, n_groups: int, *,
             estimate: np.ndarray | None = None) -> DomainTotals:
        """Domain totals of each column of ``y`` (n, L)."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        return cls(y, np.asarray(group), int(n_groups), None, estimate)


@dataclass(frozen=True)
class DomainVariance:
    """Variances of G x L estimates, with per-stratum parts where the method has them.

    Attributes
    ----------
    variance : ndarray, shape (G, L)
    contributions : ndarray, shape (H, G, L), or None
        The part of each stratum (after the lonely-PSU rule; they sum to
        ``variance``).  They give Satterthwaite's df; ``None`` for methods without
        strata (replicate weights), whose df is the design's.
    n_h : ndarray, shape (H,), or None
        Sampled PSUs per stratum (the whole design, as in R).
    cells : ndarray, shape (H, G), or None
        PSUs (units) of each domain in each stratum, when the method counted them
        (the estimator then needs no second pass for the domain df).
    replicates : ndarray, shape (R, G, L), or None
        The estimates under each replicate weight (replicate-weight methods).
    spread : callable or None
        ``spread(thetas, centre)``: the method's variance of replicate estimates
        ``thetas`` (R, ...) around ``centre`` (used by :meth:`transformed`).
    """

    variance: np.ndarray
    contributions: np.ndarray | None = None
    n_h: np.ndarray | None = None
    cells: np.ndarray | None = None
    replicates: np.ndarray | None = None
    spread: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def transformed(self, fn: Callable[[np.ndarray], np.ndarray], derivative: np.ndarray,
                    centre: np.ndarray) -> np.ndarray:
        """The variance of a smooth transformation f of the estimates, shape (G, L).

        By the delta method, ``variance * derivative**2`` (``derivative`` is f' at
        the estimates); for a replicate-weight method, the spread of ``fn`` applied
        to every replicate estimate around ``centre`` (f of the full-sample
        estimates), as R computes the variance of a logistic intercept on a
        replicate design.
        """
        if self.replicates is None or self.spread is None:
            return self.variance * np.asarray(derivative, dtype=float) ** 2
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            thetas = fn(self.replicates)
        return self.spread(thetas, centre)

    def satterthwaite_df(self) -> np.ndarray:
        """Satterthwaite's effective degrees of freedom for every estimate, shape (G, L).

        df = (sum_h v_h)^2 / sum_h (v_h^2 / (n_h - 1)) over the strata with v_h > 0 and
        n_h > 1 (Satterthwaite 1946).  NaN where the variance is zero or the method
        has no per-stratum parts (the estimators then use the design df).
        """
        if self.contributions is None or self.n_h is None:
            return np.full(np.shape(self.variance), np.nan)
        v = self.contributions
        dfh = (self.n_h - 1).astype(float)[:, None, None]
        ok = (v > 0) & (dfh > 0)
        num = np.where(ok, v, 0.0).sum(axis=0) ** 2
        den = np.where(ok, v * v / np.where(dfh > 0, dfh, 1.0), 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)


@runtime_checkable
class VarianceMethod(Protocol):
    """How a design turns an estimator's scores into variances and degrees of freedom.

    Implementations are small frozen objects holding what they need beyond the
    design (auxiliary variables, replicate weights, ...); every method takes the
    design as its first argument.

    Attributes
    ----------
    name : str
        Shown in the design's repr and in results (``"taylor"``, ...).
    """

    name: str

    def variance(
        self,
        design: Any,
        scores: np.ndarray,
        group: np.ndarray,
        n_groups: int,
        *,
        index=None,
        cell_sums: np.ndarray | None = None,
        reestimate: Reestimate | None = None,
    ) -> DomainVariance:
        """Variances of ``n_groups`` x L estimates from domain-sparse scores.

        ``scores`` (n x L, or only the rows inside a domain when ``index`` is
        given) are each unit's linearized score for the estimate of its own domain
        ``group`` (-1: in no domain).  ``index`` and ``cell_sums`` are shortcuts the
        estimator may pass (see :func:`surveyweights.variance.taylor.cell_index`);
        ``reestimate`` recomputes the estimates under other weights.
        """
        ...

    def covariance(
        self,
        design: Any,
        scores: np.ndarray,
        inside: np.ndarray,
        *,
        reestimate: Reestimate | None = None,
    ) -> np.ndarray:
        """The K x K covariance of K estimates of one domain (``inside`` marks its units)."""
        ...

    def domain_df(self, design: Any, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Degrees of freedom of each domain's estimates, shape (n_groups,)."""
        ...

    def degf(self, design: Any) -> int:
        """The design degrees of freedom (R's ``degf(design)``)."""
        ...


def uses_cells(method: Any) -> bool:
    """Whether ``method`` computes variances from per-cell sufficient statistics.

    A method opts in by defining ``cell_variance``, ``cell_contrast_variance``,
    ``cell_covariance`` and ``cell_domain_df`` in its *own* class (see
    :class:`~surveyweights.variance.TaylorLinearization`): a subclass that changes
    the unit scores (calibration residuals, ...) does not inherit the shortcut, and
    its estimators use the unit-level :meth:`VarianceMethod.variance`.
    """
    return "cell_variance" in vars(type(method))
