"""Variance of estimates from a calibrated design: residuals on the auxiliaries, then the base method.

Calibration makes the weights depend on the sample, so treating calibrated
weights as fixed overstates the variance of anything correlated with the
auxiliaries (R's ``apiclus1``: the SE of a raked total is 2.5 times too large).
The linearization of Deville & Särndal (1992) replaces each unit's score z_i by
its *g-weighted residual* from the d-weighted regression on the auxiliaries x_i:

    r_i = z_i - g_i d_i x_i' B,    B = (sum_i d_i x_i x_i')^- sum_i x_i z_i / g_i,

where d are the weights before calibration and g = w/d the calibration factors
(so z_i / g_i = d_i y_i for a total).  The residuals then go to the design's
previous variance method (stratified Taylor linearization, R's ``svyrecvar``).
This is exactly what R's ``calibrate()`` and ``postStratify()`` store in
``design$postStrata`` and apply inside ``svyrecvar`` (the ``qr.resid`` of x/w on
X sqrt(d), times w), for every estimator.

Two consequences for the seam:

* a residual is nonzero outside the estimate's domain, so the domain-sparse
  scores an estimator hands over are expanded to all n units, one column per
  (domain, level), and the base method is called without its ``index`` /
  ``cell_sums`` shortcuts (they are valid for raw scores only);
* calibrating a calibrated design appends a step: the steps are applied in the
  order the calibrations were made, as R applies ``design$postStrata``.

:class:`RakeStep` reproduces the variance of R's ``rake()`` instead: ten sweeps
of x <- x - w * ave(x / w, margin) over the margins (an unweighted within-cell
mean, iterated), which differs from the regression residual when the weights
vary within margin cells; it exists for users who must reproduce R ``rake()``
output.

References
----------
Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in survey
sampling. *JASA* 87, 376-382.  Lumley, T. (2010). *Complex Surveys*, ch. 7.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import linalg

from .base import DomainVariance, Reestimate, VarianceMethod

__all__ = ["CalibratedVariance", "RakeStep", "ResidualStep"]

#: Columns of the expanded (unit x domain-level) score matrix handled per block,
#: as a number of matrix elements (bounds the memory of a domain table).
_BLOCK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class ResidualStep:
    """One calibration: g-weighted residuals from the d-weighted regression on X.

    Parameters
    ----------
    aux : object
        The auxiliary matrix X (n x p), with ``matmat(B)`` (X @ B) and
        ``rmatmat(V)`` (X' V), e.g. :class:`surveyweights.weighting.auxiliary.AuxiliaryMatrix`.
    d : ndarray, shape (n,)
        The weights before this calibration.
    g : ndarray, shape (n,)
        The calibration factors w / d.
    columns : ndarray of int
        Linearly independent columns of X spanning its column space (overlapping
        margins make X rank-deficient; the residual only depends on the span).
    gram : ndarray, optional
        X' diag(d) X, if the caller has it.
    """

    aux: Any
    d: np.ndarray
    g: np.ndarray
    columns: np.ndarray
    gram: np.ndarray | None = field(default=None, repr=False, compare=False)
    _chol: tuple = field(init=False, repr=False, compare=False)
    _scale: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        S = np.asarray(self.columns)
        M = (self.aux.gram(self.d) if self.gram is None else self.gram)[np.ix_(S, S)]
        s = np.sqrt(np.diag(M))
        object.__setattr__(self, "_scale", s)
        object.__setattr__(self, "_chol", linalg.cho_factor(M / np.outer(s, s), lower=True))

    def _coef(self, V: np.ndarray) -> np.ndarray:
        """(X_S' D X_S)^-1 X_S' V, scattered to all p columns (zeros elsewhere)."""
        rhs = self.aux.rmatmat(V)[self.columns]
        s = self._scale[:, None]
        B = np.zeros((self.aux.p, V.shape[1]))
        B[self.columns] = linalg.cho_solve(self._chol, rhs / s) / s
        return B

    def apply(self, Z: np.ndarray) -> np.ndarray:
        """The residuals of the score columns ``Z`` (n x K), a new array."""
        gd = (self.g * self.d)[:, None]
        return Z - gd * self.aux.matmat(self._coef(Z / self.g[:, None]))


@dataclass(frozen=True)
class RakeStep:
    """R ``rake()``'s variance: ``sweeps`` passes of x <- x - w ave(x / w, margin).

    Parameters
    ----------
    codes : tuple of ndarray
        The level of each unit in each margin, in the order of the margins.
    w : ndarray, shape (n,)
        The raked weights.
    sweeps : int
        10, as R's ``svyrecvar`` for a ``raking`` object.
    """

    codes: tuple
    w: np.ndarray
    sweeps: int = 10

    def apply(self, Z: np.ndarray) -> np.ndarray:
        X = np.array(Z, dtype=float)
        w = self.w[:, None]
        counts = [np.bincount(c) for c in self.codes]
        for _ in range(self.sweeps):
            for c, cnt in zip(self.codes, counts):
                q = X / w
                for k in range(X.shape[1]):
                    mean = np.bincount(c, weights=q[:, k], minlength=len(cnt)) / cnt
                    X[:, k] -= self.w * mean[c]
        return X


@dataclass(frozen=True)
class CalibratedVariance:
    """A variance method that takes calibration residuals, then asks the previous method.

    Parameters
    ----------
    base : VarianceMethod
        The method of the design before its first calibration (usually
        :class:`~surveyweights.variance.TaylorLinearization`).
    steps : tuple of ResidualStep or RakeStep
        The calibrations in the order they were made.

    Notes
    -----
    Degrees of freedom (design and domain) are the base method's: calibration
    does not change R's ``degf()``.  Estimates in G domains with L levels cost an
    n x (G L) residual matrix, handled in blocks of about 4e6 elements.
    """

    base: VarianceMethod
    steps: tuple = ()
    name: str = "calibrated"

    def residuals(self, Z: np.ndarray) -> np.ndarray:
        """The scores ``Z`` (n x K, all units) after every calibration step."""
        R = np.asarray(Z, dtype=float)
        for step in self.steps:
            R = step.apply(R)
        return R

    def then(self, step) -> CalibratedVariance:
        """This method with one more calibration step."""
        return CalibratedVariance(self.base, self.steps + (step,), self.name)

    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None,
                 reestimate: Reestimate | None = None) -> DomainVariance:
        z = np.asarray(scores, dtype=float)
        if z.ndim == 1:
            z = z[:, None]
        n, L, G = design.n, z.shape[1], int(n_groups)
        group = np.asarray(group)
        inside = group >= 0
        if z.shape[0] != n:  # the estimator passed only the rows inside a domain
            full = np.zeros((n, L))
            full[inside] = z
            z = full
        K = G * L
        var = np.empty(K)
        contrib = None
        n_h = None
        width = max(1, _BLOCK_ELEMENTS // max(n, 1))
        zero = np.zeros(n, dtype=np.intp)
        all_inside = bool(inside.all())
        rows = None if all_inside else np.flatnonzero(inside)
        for start in range(0, K, width):
            stop = min(K, start + width)
            if G == 1:
                # one domain: the scores themselves, zero outside it
                Zb = z[:, start:stop] if all_inside else np.where(inside[:, None], z[:, start:stop], 0.0)
            else:
                # column k = g * L + l holds the level-l scores of the units of domain g
                Zb = np.zeros((n, stop - start))
                r_ = np.arange(n) if rows is None else rows
                col = group[r_].astype(np.int64) * L
                for j in range(L):
                    c = col + j - start
                    ok = (c >= 0) & (c < stop - start)
                    Zb[r_[ok], c[ok]] = z[r_[ok], j]
            dv = self.base.variance(design, self.residuals(Zb), zero, 1)
            var[start:stop] = dv.variance[0]
            if dv.contributions is not None:
                if contrib is None:
                    contrib = np.empty((dv.contributions.shape[0], K))
                contrib[:, start:stop] = dv.contributions[:, 0, :]
            n_h = dv.n_h
        H = None if contrib is None else contrib.shape[0]
        cells = None
        if design._psu is None:
            # units of each domain in each stratum (the estimator's domain df)
            h = design._h if all_inside else design._h[inside]
            gg = group if all_inside else group[inside]
            cells = np.bincount(h.astype(np.int64) * G + gg, minlength=design.n_strata * G
                                ).reshape(design.n_strata, G)
        return DomainVariance(
            variance=var.reshape(G, L),
            contributions=None if contrib is None else contrib.reshape(H, G, L),
            n_h=n_h,
            cells=cells,
        )

    def covariance(self, design, scores, inside, *,
                   reestimate: Reestimate | None = None) -> np.ndarray:
        z = np.where(np.asarray(inside)[:, None], np.asarray(scores, dtype=float), 0.0)
        return self.base.covariance(design, self.residuals(z), np.ones(design.n, dtype=bool))

    def domain_df(self, design, group, n_groups) -> np.ndarray:
        return self.base.domain_df(design, group, n_groups)

    def degf(self, design) -> int:
        return self.base.degf(design)
