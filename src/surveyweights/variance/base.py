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

__all__ = ["DomainVariance", "Reestimate", "VarianceMethod", "uses_cells"]

#: Point estimates recomputed under other weights: ``f(w)`` with ``w`` of shape
#: (n,) gives the estimates (G, L) (or (K,) for a covariance); replicate-weight
#: methods call it once per replicate, Taylor linearization never does.
Reestimate = Callable[[np.ndarray], np.ndarray]


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
    """

    variance: np.ndarray
    contributions: np.ndarray | None = None
    n_h: np.ndarray | None = None
    cells: np.ndarray | None = None

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
