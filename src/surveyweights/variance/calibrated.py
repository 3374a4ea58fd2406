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

from scipy import sparse

from ..errors import InputError
from .base import DomainVariance, Reestimate, VarianceMethod
from .taylor import _apply_scale, _stratum_scale, cell_domain_df

__all__ = ["CalibratedVariance", "CellCalibratedVariance", "CellStep", "RakeStep", "ResidualStep"]

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


# ------------------------------------------------------------------ SQL engines
@dataclass(frozen=True)
class CellStep:
    """One calibration of a SQL design, at the level of its calibration cells.

    With categorical margins the auxiliary vector of a unit depends only on its
    calibration cell k (the cross of the margin variables), so the calibration
    factor g_k and the regression of the residuals are functions of per-cell sums.

    Parameters
    ----------
    columns : tuple of str
        The margin variables, whose values define the cells.
    keys : pandas.Index
        The cells: one entry per combination of the margin variables in the sample
        (a MultiIndex for more than one variable), in the order of ``residual``'s rows.
    g : ndarray, shape (K,)
        The calibration factor of each cell.
    residual : ResidualStep
        The d-weighted regression on the cells' auxiliaries (``aux`` has one row per
        cell, ``d`` the cells' sums of the weights before this calibration).
    replay : callable
        ``replay(design)``: the same calibration of an in-memory design
        (``design.collect()``).
    """

    columns: tuple
    keys: Any
    g: np.ndarray
    residual: ResidualStep
    replay: Any = field(default=None, repr=False, compare=False)

    def index_of(self, values: dict) -> np.ndarray:
        """The cell of each row of ``values`` (column name -> array), -1 if none."""
        import pandas as pd

        if len(self.columns) == 1:
            probe = pd.Index(values[self.columns[0]], dtype=object)
        else:
            probe = pd.MultiIndex.from_arrays([values[c] for c in self.columns])
        return np.asarray(self.keys.get_indexer(probe), dtype=np.intp)


@dataclass(frozen=True)
class CellCalibratedVariance:
    """Calibration residuals from per-atom sums: the variance of a calibrated SQL design.

    The same numbers as :class:`CalibratedVariance` over Taylor linearization, from
    the :class:`~surveyweights.engines.cells.CalibrationAtoms` an SQL engine returns
    instead of unit rows.  Within an atom (stratum [x PSU] x calibration cells x
    domain x level) unit i's residual for estimate e is

        r_ie = alpha_e a_il + w_i V_e,

    a_il = w_i (y_il - m_l); alpha_e = 1/D_e for the estimate's own domain and
    observed units (else 0), and V_e = alpha_e (m_l - c_e) - b_e with b the sum over
    the calibration steps s of beta_s[k_s] / (product of the later steps' g).
    beta_s = X_s B_s with B_s = (X_s' D_s X_s)^- sum_k X_s[k] (sum_{i in k} r_i) / g_k:
    the regression of :class:`ResidualStep`, aggregated to cells exactly because x
    and g are constant in a cell.  Each stratum's sum of squared deviations is then
    a sum of non-negative terms: the atoms' centred sums
    alpha^2 mll + 2 alpha V mlw + V^2 mww plus n_a (rbar_a - rbar_h)^2 (element
    designs), or the squared deviations of the PSU totals (cluster designs), scaled
    as Taylor linearization scales them (fpc, lonely PSUs).

    Parameters
    ----------
    base : TaylorLinearization
        The method of the design before its first calibration.
    steps : tuple of CellStep
        The calibrations in the order they were made.
    """

    base: VarianceMethod
    steps: tuple = ()
    name: str = "calibrated"

    @property
    def columns(self) -> tuple:
        """Every margin variable of every step, once, in order of appearance."""
        out: list = []
        for st in self.steps:
            out += [c for c in st.columns if c not in out]
        return tuple(out)

    def replay(self, design):
        """The same calibrations, in order, of an in-memory ``design`` (its base design)."""
        for st in self.steps:
            design = st.replay(design)
        return design

    def then(self, step: CellStep) -> CellCalibratedVariance:
        """This method with one more calibration step."""
        return CellCalibratedVariance(self.base, self.steps + (step,), self.name)

    # -- the residual algebra ------------------------------------------------
    def _residuals(self, atoms, alpha: np.ndarray, V: np.ndarray, lev: np.ndarray):
        """Per atom and column: the residual sum S (A, E) and the centred sum of squares."""
        A = len(atoms.n)
        sa = atoms.sa[:, lev]
        sw = atoms.sw[:, None]
        V = V.copy()
        later = np.ones(A)
        laters = []
        for st, k in reversed(list(zip(self.steps, atoms.cell))):
            laters.append(later.copy())
            later = later * st.g[k]
        laters.reverse()
        for st, k, lat in zip(self.steps, atoms.cell, laters):
            S = alpha * sa + V * sw
            K = len(st.g)
            to_cell = sparse.csr_matrix((1.0 / st.g[k], (k, np.arange(A))), shape=(K, A))
            B = st.residual._coef(np.asarray(to_cell @ S))
            beta = st.residual.aux.matmat(B)
            V -= beta[k] / lat[:, None]
        S = alpha * sa + V * sw
        ssw = alpha * alpha * atoms.mll[:, lev] + 2.0 * alpha * V * atoms.mlw[:, lev] \
            + V * V * atoms.mww[:, None]
        return S, np.maximum(ssw, 0.0), V

    def _parts(self, design, atoms, S: np.ndarray, ssw: np.ndarray):
        """Per stratum: residual sums s1 (H, E) and squared deviations ss (H, E)."""
        H = design.n_strata
        A = len(atoms.n)
        n_h = design._n_h.astype(float)
        to_h = sparse.csr_matrix((np.ones(A), (atoms.h, np.arange(A))), shape=(H, A))
        s1 = np.asarray(to_h @ S)
        zbar = s1 / n_h[:, None]
        if atoms.psu is None:
            n = atoms.n.astype(float)[:, None]
            dev = S / n - zbar[atoms.h]
            ss = np.asarray(to_h @ (ssw + n * dev * dev))
            return s1, ss, None
        psu, inv = np.unique(atoms.psu, return_inverse=True)
        P = len(psu)
        to_p = sparse.csr_matrix((np.ones(A), (inv, np.arange(A))), shape=(P, A))
        T = np.asarray(to_p @ S)
        hp = np.empty(P, dtype=np.intp)
        hp[inv] = atoms.h
        dev = T - zbar[hp]
        ss = np.asarray(sparse.csr_matrix((np.ones(P), (hp, np.arange(P))), shape=(H, P)) @ (dev * dev))
        k = np.bincount(hp, minlength=H)
        ss += (n_h - k)[:, None] * zbar * zbar
        return s1, ss, (T, hp, zbar, k)

    def _atoms_of(self, design, cells):
        if cells.atoms is None:  # an estimator whose queries do not produce the atoms
            raise self._unit(design)
        return cells.atoms

    def _columns(self, atoms, centre, divisor, coef=None):
        """alpha, V (before the calibration steps) and the level of each column."""
        centre = np.asarray(centre, dtype=float)
        D = np.asarray(divisor, dtype=float).reshape(-1)
        G, L = centre.shape
        A = len(atoms.n)
        inside = np.flatnonzero(atoms.g >= 0)
        ga = atoms.g[inside]
        with np.errstate(invalid="ignore", divide="ignore"):
            f = 1.0 / D[ga] if coef is None else np.asarray(coef, dtype=float)[ga] / D[ga]
        dm = (atoms.m[inside] - centre[ga]) * f[:, None]
        if coef is None:
            E = G * L
            alpha, V = np.zeros((A, E)), np.zeros((A, E))
            cols = ga[:, None] * L + np.arange(L)[None, :]
            alpha[inside[:, None], cols] = f[:, None]
            V[inside[:, None], cols] = dm
            lev = np.tile(np.arange(L), G)
        else:
            alpha, V = np.zeros((A, L)), np.zeros((A, L))
            alpha[inside] = f[:, None]
            V[inside] = dm
            lev = np.arange(L)
        return alpha, V, lev

    # -- the cell-level entry points -------------------------------------------
    def cell_variance(self, design, cells, centre, divisor) -> DomainVariance:
        atoms = self._atoms_of(design, cells)
        G, L = np.shape(centre)
        alpha, V, lev = self._columns(atoms, centre, divisor)
        S, ssw, _ = self._residuals(atoms, alpha, V, lev)
        s1, ss, _ = self._parts(design, atoms, S, ssw)
        H = design.n_strata
        return _apply_scale(design, s1.reshape(H, G, L), ss.reshape(H, G, L),
                            np.ones((H, G), dtype=bool))

    def cell_contrast_variance(self, design, cells, centre, divisor, coef) -> DomainVariance:
        atoms = self._atoms_of(design, cells)
        L = np.shape(centre)[1]
        alpha, V, lev = self._columns(atoms, centre, divisor, coef=coef)
        S, ssw, _ = self._residuals(atoms, alpha, V, lev)
        s1, ss, _ = self._parts(design, atoms, S, ssw)
        H = design.n_strata
        return _apply_scale(design, s1.reshape(H, 1, L), ss.reshape(H, 1, L),
                            np.ones((H, 1), dtype=bool))

    def cell_covariance(self, design, cells, centre, divisor) -> np.ndarray:
        """The L x L covariance of one domain's L indicator estimates (Rao-Scott)."""
        atoms = self._atoms_of(design, cells)
        if np.any(atoms.mll) or np.any(atoms.mlw):
            raise InputError("a covariance between columns needs an indicator item's level sums")
        alpha, V, lev = self._columns(atoms, centre, divisor)
        S, _, V = self._residuals(atoms, alpha, V, lev)
        H = design.n_strata
        n_h = design._n_h.astype(float)
        scale, fpc_factor, lonely = _stratum_scale(design)
        c = scale.copy()
        c[lonely] = 0.0
        s1, _, cluster = self._parts(design, atoms, S, np.zeros_like(S))
        zbar = s1 / n_h[:, None]
        if cluster is None:
            n = atoms.n.astype(float)
            dev = S / n[:, None] - zbar[atoms.h]
            ca = c[atoms.h]
            cov = (V * (ca * atoms.mww)[:, None]).T @ V + (dev * (ca * n)[:, None]).T @ dev
        else:
            T, hp, zbar, k = cluster
            dev = T - zbar[hp]
            cov = (dev * c[hp][:, None]).T @ dev
            cov += (zbar * (c * (n_h - k))[:, None]).T @ zbar
        if lonely.any():
            if design.lonely_psu == "adjust":
                tot = s1[lonely]
                cov += (tot * fpc_factor[lonely][:, None]).T @ tot
            elif design.lonely_psu == "average":
                present = design._n_h > 0
                n_ok = int((present & ~lonely).sum())
                cov = cov * (present.sum() / n_ok if n_ok else np.nan)
        return cov

    def cell_domain_df(self, design, cells, members=None) -> np.ndarray:
        return cell_domain_df(design, cells, members)

    # -- the unit-level protocol: not on a SQL engine ------------------------------
    def _unit(self, design):
        from ..engines.base import not_on_engine

        return not_on_engine(design, "this estimator on a calibrated design (calibration "
                                     "residuals of unit-level scores)")

    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None,
                 reestimate: Reestimate | None = None) -> DomainVariance:
        raise self._unit(design)

    def covariance(self, design, scores, inside, *,
                   reestimate: Reestimate | None = None) -> np.ndarray:
        raise self._unit(design)

    def domain_df(self, design, group, n_groups) -> np.ndarray:
        raise self._unit(design)

    def degf(self, design) -> int:
        return self.base.degf(design)
