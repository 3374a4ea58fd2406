"""Sufficient statistics per cell: the small table every engine produces.

The engines (in memory, DuckDB, Spark) differ only in how they compute these
sums; everything after them -- estimates, variances with their per-stratum
parts, degrees of freedom, design effects, intervals -- is shared code
(:mod:`surveyweights.variance.taylor` and :mod:`surveyweights.estimation`).

Cells
-----
For an element design a cell is a (stratum h, domain g) pair; for a cluster
design it is a (PSU, domain) pair, and the per-(h, g) parts are sums over its
rows.  Every item has L columns (the indicators of its levels, or one numeric
column) and, per cell, a *shift* m (0 for indicators, the weighted cell mean for
numeric items, so that no sum of large values cancels later).  With
a = w (y - m) and e = w - wbar (wbar: the cell's mean weight) the statistics are

    n, n_all  units with an observed item / all units of the domain in the cell
    sw        sum w
    s         sum a                           (H, G, L)
    q         sum w (y - m)^2                 (design effects)
    mll       sum (a - abar)^2                (centred: no cancellation)
    mlw       sum (a - abar)(w - wbar)
    mww       sum (w - wbar)^2

The linearized score of unit i for an estimate with centre c and divisor D
(c = mu, D = W for a mean; c = 0, D = 1 for a total) is t_i / D with
t_i = w_i (y_i - c) = a_i + (m - c) w_i.  So the cell's score sum and its
centred sum of squares are exact functions of the table:

    s1  = (s + delta sw) / D,   delta = m - c
    ssw = (mll + 2 delta mlw + delta^2 mww) / D^2

and the stratum's sum of squared deviations from its mean score (the other
n_h - n units of the stratum score 0) is ``ssw + s1^2 (n_h - n) / (n_h n)``, a
sum of non-negative terms (see :func:`surveyweights.variance.taylor.cell_variance`).

For indicators the sums come from three per-level sums (count, sum w, sum w^2),
which a single GROUP BY (or one ``np.bincount`` pass) produces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CalibrationAtoms", "CellStats", "ClusterRows", "from_level_sums", "from_shifted_sums",
           "cluster_from_level_sums", "cluster_from_shifted_sums"]


@dataclass(frozen=True)
class ClusterRows:
    """Per (PSU x domain) sums of a cluster design (one row per pair with units).

    Attributes
    ----------
    h, g, psu : ndarray of int, shape (R,)
        The row's stratum, domain and PSU (any integer id, unique across strata).
    n, n_all : ndarray, shape (R,)
        Units with an observed item / all units of the domain in the PSU.
    sw : ndarray, shape (R,)
    s : ndarray, shape (R, L)
        sum w (y - m), m the shift of the row's (h, g) cell.
    """

    h: np.ndarray
    g: np.ndarray
    psu: np.ndarray
    n: np.ndarray
    n_all: np.ndarray
    sw: np.ndarray
    s: np.ndarray


@dataclass(frozen=True)
class CalibrationAtoms:
    """Per-atom sums for the variance of a design calibrated on a SQL engine.

    An atom is a group of units that share stratum, PSU (cluster designs),
    calibration cell of every calibration step, domain and item level: within it the
    calibration residual of unit i for an estimate e is r_ie = alpha_e a_il +
    w_i V_e, with a_il = w_i (y_il - m_l) and alpha, V constant (see
    :mod:`surveyweights.variance.calibrated`).  Atoms cover *every* unit of the
    design, also those outside ``subset=``, the domain or with a missing item (their
    residual -w_i b is not zero).

    Attributes
    ----------
    h, psu : ndarray of int, shape (A,)
        Stratum and PSU id (``psu`` None for element designs).
    g : ndarray of int, shape (A,)
        The domain of the atom's units when they are in one and observed, else -1.
    cell : tuple of ndarray of int
        The atom's calibration cell in each calibration step, in order.
    n, sw, mww : ndarray, shape (A,)
        Units, sum w, sum (w - wbar)^2.
    m, sa, mll, mlw : ndarray, shape (A, L)
        The shift m_l (the level's indicator value, or the numeric item's cell mean),
        sum a_l, sum (a_l - abar_l)^2 and sum (a_l - abar_l)(w - wbar) (zero for
        indicators, whose a is 0).
    """

    h: np.ndarray
    psu: np.ndarray | None
    g: np.ndarray
    cell: tuple
    n: np.ndarray
    sw: np.ndarray
    mww: np.ndarray
    m: np.ndarray
    sa: np.ndarray
    mll: np.ndarray
    mlw: np.ndarray


def centred_weight_ss(n: np.ndarray, sw: np.ndarray, sw2: np.ndarray) -> np.ndarray:
    """sum (w - wbar)^2 from n, sum w and sum w^2: exactly 0 where the weights are equal
    at rounding level (the rule of :func:`from_level_sums`)."""
    nn = np.asarray(n, dtype=float)
    mww = np.maximum(sw2 - _safe_div(sw * sw, nn), 0.0)
    return np.where(mww <= 8.0 * (nn + 1) * np.finfo(float).eps * sw2, 0.0, mww)


@dataclass(frozen=True)
class CellStats:
    """Sufficient statistics of one item per (stratum x domain) cell (see module notes).

    Arrays are dense over the H strata and G domains.  ``rows`` is set for cluster
    designs (their variance is computed from PSU totals); ``mll``/``mlw``/``mww``
    for element designs.  ``level_sw2`` keeps the per-level sum w^2 of an
    indicator item (shape (H, G, L)), which covariances between levels need.
    """

    n: np.ndarray
    n_all: np.ndarray
    sw: np.ndarray
    s: np.ndarray
    m: np.ndarray
    q: np.ndarray
    mll: np.ndarray | None = None
    mlw: np.ndarray | None = None
    mww: np.ndarray | None = None
    level_sw2: np.ndarray | None = None
    rows: ClusterRows | None = None
    atoms: CalibrationAtoms | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        """(H, G, L)."""
        return self.s.shape

    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per domain: units with an observed item n_g (G,), sum w W (G,), sum w y T (G, L)."""
        n_g = self.n.sum(axis=0).astype(float)
        W = self.sw.sum(axis=0)
        T = (self.s + self.m * self.sw[:, :, None]).sum(axis=0)
        return n_g, W, T

    def weighted_ss(self, mu: np.ndarray) -> np.ndarray:
        """sum w (y - mu_g)^2 per domain and column (G, L), for design effects."""
        d = self.m - mu[None]
        return (self.q + 2.0 * d * self.s + d * d * self.sw[:, :, None]).sum(axis=0)


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def from_level_sums(cnt: np.ndarray, sw: np.ndarray, sw2: np.ndarray, sel: np.ndarray,
                    H: int, G: int) -> CellStats:
    """Cell statistics of an indicator item from per-(cell, level) sums.

    ``cnt``, ``sw``, ``sw2`` have shape (H * G, K + 1): count, sum w and sum w^2 of
    the units of each cell by level code, column 0 for units whose item is
    missing.  ``sel`` picks the L levels estimated (indices into 0..K-1).
    """
    cnt = np.asarray(cnt, dtype=np.int64).reshape(H, G, -1)
    sw = np.asarray(sw, dtype=float).reshape(H, G, -1)
    sw2 = np.asarray(sw2, dtype=float).reshape(H, G, -1)
    cols = np.asarray(sel, dtype=np.intp) + 1
    n_all = cnt.sum(axis=2)
    n = n_all - cnt[:, :, 0]
    sw_obs = sw[:, :, 1:].sum(axis=2)
    sw2_obs = sw2[:, :, 1:].sum(axis=2)
    s = sw[:, :, cols]
    s2 = sw2[:, :, cols]
    nn = n[:, :, None].astype(float)
    mll = s2 - _safe_div(s * s, nn)
    mlw = s2 - _safe_div(s * sw_obs[:, :, None], nn)
    mww = sw2_obs - _safe_div(sw_obs * sw_obs, n.astype(float))
    # Cells whose weights are equal (the usual N_h/n_h): the one-pass moments leave
    # rounding noise where the centred moments are 0 (a cell whose units all have
    # the same score then gets an SE of about 1e-10 instead of 0, and the interval
    # methods treat it as a real SE).  There, with c^2 = sum w^2 / n, the moments are
    # exactly mww = mlw = 0 and mll = c^2 n_l (n - n_l) / n (0 when n_l is 0 or n),
    # with n_l = s / c rounded to a whole number (the level counts are not always
    # counted).  "Equal" is judged at rounding level: sum (w - wbar)^2 <= 8 (n + 1)
    # eps sum w^2.
    const = (n > 0) & (mww <= 8.0 * (n + 1) * np.finfo(float).eps * sw2_obs)
    if const.any():
        c = _safe_div(sw_obs, n.astype(float))[:, :, None]
        cnt_l = np.rint(_safe_div(s, c))
        c2 = _safe_div(sw2_obs, n.astype(float))[:, :, None]
        exact = _safe_div(c2 * cnt_l * (nn - cnt_l), nn)
        mll = np.where(const[:, :, None], exact, mll)
        mlw = np.where(const[:, :, None], 0.0, mlw)
        mww = np.where(const, 0.0, mww)
    return CellStats(n=n, n_all=n_all, sw=sw_obs, s=s, m=np.zeros_like(s), q=s.copy(),
                     mll=mll, mlw=mlw, mww=mww, level_sw2=s2)


def from_shifted_sums(n: np.ndarray, n_all: np.ndarray, sw: np.ndarray, m: np.ndarray,
                      sa: np.ndarray, saa: np.ndarray, sae: np.ndarray, see: np.ndarray,
                      se: np.ndarray, q: np.ndarray, H: int, G: int) -> CellStats:
    """Cell statistics of a numeric item from its second-pass sums.

    The first pass gave per cell n, sum w and sum w y, hence the shift m (weighted
    cell mean) and the mean weight wbar; the second pass sums, over the units of
    the cell with d = y - m, a = w d and e = w - wbar: ``sa`` = sum a, ``saa`` =
    sum a^2, ``sae`` = sum a e, ``see`` = sum e^2, ``se`` = sum e and ``q`` = sum w
    d^2.  All arrays have H * G rows; L = 1.
    """
    shp = (H, G)
    n = np.asarray(n, dtype=np.int64).reshape(shp)
    nn = n.astype(float)
    sa, saa, sae = (np.asarray(x, dtype=float).reshape(shp) for x in (sa, saa, sae))
    see, se_ = (np.asarray(x, dtype=float).reshape(shp) for x in (see, se))
    mll = saa - _safe_div(sa * sa, nn)
    mlw = sae - _safe_div(sa * se_, nn)
    mww = see - _safe_div(se_ * se_, nn)
    return CellStats(
        n=n, n_all=np.asarray(n_all, dtype=np.int64).reshape(shp),
        sw=np.asarray(sw, dtype=float).reshape(shp),
        s=sa[:, :, None], m=np.asarray(m, dtype=float).reshape(H, G, 1),
        q=np.asarray(q, dtype=float).reshape(H, G, 1),
        mll=np.maximum(mll, 0.0)[:, :, None], mlw=mlw[:, :, None], mww=np.maximum(mww, 0.0),
    )


def cluster_from_level_sums(h: np.ndarray, g: np.ndarray, psu: np.ndarray, cnt: np.ndarray,
                            sw: np.ndarray, sel: np.ndarray, H: int, G: int) -> CellStats:
    """Cell statistics of an indicator item in a cluster design from per-(PSU, domain, level) sums.

    ``h``, ``g``, ``psu`` (R,) identify the rows; ``cnt`` and ``sw`` (R, K + 1)
    are their count and sum w by level code (column 0: item missing).
    """
    cnt = np.asarray(cnt, dtype=np.int64)
    sw = np.asarray(sw, dtype=float)
    cols = np.asarray(sel, dtype=np.intp) + 1
    n_all = cnt.sum(axis=1)
    n = n_all - cnt[:, 0]
    sw_obs = sw[:, 1:].sum(axis=1)
    rows = ClusterRows(h=np.asarray(h, dtype=np.intp), g=np.asarray(g, dtype=np.intp),
                       psu=np.asarray(psu, dtype=np.int64), n=n, n_all=n_all, sw=sw_obs,
                       s=sw[:, cols])
    return _cluster_cells(rows, np.zeros((H, G, len(cols))), H, G, q=None)


def cluster_from_shifted_sums(h, g, psu, n, n_all, sw, s, m_cell, q_cell, H: int, G: int) -> CellStats:
    """Cell statistics of a numeric item in a cluster design.

    Rows (PSU x domain): ``n``, ``n_all``, ``sw`` and ``s`` = sum w (y - m) with m
    the weighted mean of the row's (h, g) cell, given as ``m_cell`` (H * G,);
    ``q_cell`` (H * G,) is sum w (y - m)^2 per cell.
    """
    rows = ClusterRows(h=np.asarray(h, dtype=np.intp), g=np.asarray(g, dtype=np.intp),
                       psu=np.asarray(psu, dtype=np.int64), n=np.asarray(n, dtype=np.int64),
                       n_all=np.asarray(n_all, dtype=np.int64), sw=np.asarray(sw, dtype=float),
                       s=np.asarray(s, dtype=float).reshape(len(h), 1))
    return _cluster_cells(rows, np.asarray(m_cell, dtype=float).reshape(H, G, 1), H, G,
                          q=np.asarray(q_cell, dtype=float).reshape(H, G, 1))


def _cluster_cells(rows: ClusterRows, m: np.ndarray, H: int, G: int, q) -> CellStats:
    hg = rows.h * G + rows.g
    L = rows.s.shape[1]
    n = np.bincount(hg, weights=rows.n, minlength=H * G).astype(np.int64).reshape(H, G)
    n_all = np.bincount(hg, weights=rows.n_all, minlength=H * G).astype(np.int64).reshape(H, G)
    sw = np.bincount(hg, weights=rows.sw, minlength=H * G).reshape(H, G)
    s = np.empty((H, G, L))
    for j in range(L):
        s[:, :, j] = np.bincount(hg, weights=rows.s[:, j], minlength=H * G).reshape(H, G)
    if q is None:  # indicators: sum w y^2 = sum w y
        q = s.copy()
    return CellStats(n=n, n_all=n_all, sw=sw, s=s, m=m, q=q, rows=rows)
