"""Taylor linearization of a stratified one-stage design with fpc: the first variance method.

Every linearized estimator (means, proportions, totals, ratios, differences)
hands its *scores* to the design's variance method; for a design built from
strata, PSUs and fpc that is :class:`TaylorLinearization`, this module.  Estimates for many
domains and levels are computed in one call.

Domain-sparse scores
--------------------
The score of unit i for the estimate of domain g and level l is zero unless i is
in g (R's domain estimation: units outside stay in the design with a zero
contribution).  So instead of an n x (G*L) matrix the engine takes ``scores``
(n x L: each unit's score for its *own* domain) and ``group`` (n: the unit's
domain, or -1 if it is in none).  Memory is O(n L), independent of G.

Variance (R's ``svyrecvar`` for one-stage designs; Lumley 2010, sec. 2.2)
-------------------------------------------------------------------------
With z_hi the total score of PSU i of stratum h (zero for PSUs outside the
domain), n_h sampled PSUs and f_h = n_h / N_h:

    v_h = (1 - f_h) n_h / (n_h - 1) * sum_i (z_hi - zbar_h)^2,    V = sum_h v_h

computed in two passes (means first, then squared deviations) so that no
variance is obtained by subtracting two large numbers.  The per-stratum
contributions v_h are returned too: they feed Satterthwaite's effective degrees
of freedom, df = (sum_h v_h)^2 / sum_h v_h^2 / (n_h - 1).

Single-PSU strata follow the design's ``lonely_psu`` option exactly as R 4.1's
``onestrat``: ``remove``/``certainty`` contribute 0; ``adjust`` contributes
(1 - f_h) z_h^2 (the PSU total is not centred; for means and proportions the
scores sum to zero, so this is centring at the sample grand mean); ``average``
drops the stratum and scales the sum by (strata present) / (strata present and
not lonely).  Strata with f_h = 1 (taken completely) contribute 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import DomainVariance, Reestimate

__all__ = ["CellIndex", "TaylorLinearization", "cell_index", "domain_df",
           "stratified_covariance", "stratified_variance"]


@dataclass(frozen=True)
class CellIndex:
    """Where each unit of an element design falls among the (stratum x domain) cells.

    Built once per estimate and shared by the estimator (for its weighted sums) and
    the engine (for the variance), so the cell of every unit is computed once.

    Attributes
    ----------
    code : ndarray
        Cell (stratum * G + domain) of each unit inside a domain.
    keep : ndarray of bool or None
        The units inside a domain (None: all units).
    count : ndarray, shape (H, G)
        Units per cell.
    """

    code: np.ndarray
    keep: np.ndarray | None
    count: np.ndarray

    def select(self, a: np.ndarray) -> np.ndarray:
        """The rows of ``a`` that belong to units inside a domain."""
        return a if self.keep is None else a[self.keep]


def cell_index(design, group: np.ndarray, n_groups: int) -> CellIndex:
    """The :class:`CellIndex` of an element design (units are their own PSUs)."""
    G, H = int(n_groups), design.n_strata
    if bool((group >= 0).all()):
        keep = None
        if G == 1:
            code = design._h
        else:
            code = np.multiply(design._h, G)
            code += group
    else:
        keep = group >= 0
        code = design._h[keep] if G == 1 else design._h[keep] * G + group[keep]
    count = np.bincount(code, minlength=H * G).reshape(H, G)
    return CellIndex(code, keep, count)


def _unit_scores(design, scores: np.ndarray, group: np.ndarray, G: int):
    """Scores summed to (PSU, domain) cells; returns (stratum, group, scores) per cell."""
    if design._psu is None and G == 1 and bool((group == 0).all()):
        return design._h, group, scores  # the whole sample: no copies
    if design._psu is None:
        if bool((group >= 0).all()):
            return design._h, group, scores
        keep = group >= 0
        return design._h[keep], group[keep], scores[keep]
    keep = group >= 0
    h = design._h[keep]
    g = group[keep]
    z = scores[keep]
    psu = design._psu[keep]
    cell, first = np.unique(psu.astype(np.int64) * G + g, return_inverse=True)
    zc = np.empty((len(cell), z.shape[1]))
    for j in range(z.shape[1]):
        zc[:, j] = np.bincount(first, weights=z[:, j], minlength=len(cell))
    hc = np.empty(len(cell), dtype=np.intp)
    hc[first] = h
    return hc, (cell % G).astype(np.intp), zc


def stratified_variance(
    design,
    scores: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    *,
    index: CellIndex | None = None,
    cell_sums: np.ndarray | None = None,
) -> DomainVariance:
    """Linearization variance of ``n_groups`` x L estimates from domain-sparse scores.

    Parameters
    ----------
    design : Design
    scores : ndarray, shape (n,) or (n, L)
        Each unit's linearized score for the estimate of its own domain.  With
        ``index``, only the rows of the units inside a domain (``index.select(...)``).
    group : ndarray of int, shape (n,)
        The unit's domain in 0..n_groups-1, or -1 for units in no domain (outside a
        subset, or with a missing value under available-case analysis).
    n_groups : int
    index : CellIndex, optional, keyword-only
        The cells of an element design, when the caller has them already.
    cell_sums : ndarray, shape (H * G, L), optional, keyword-only
        The sum of the scores in each cell, when the caller can compute it from its
        own weighted sums (it saves one pass over the data).
    """
    z = np.asarray(scores, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    G, L, H = int(n_groups), z.shape[1], design.n_strata
    n_h = design._n_h
    HG = H * G
    if index is not None and design._psu is None:
        code, uz, cnt = index.code, z, index.count
    else:
        uh, ug, uz = _unit_scores(design, z, np.asarray(group), G)
        code = uh if G == 1 else uh * G + ug
        cnt = np.bincount(code, minlength=HG).reshape(H, G)
        cell_sums = None
    if cell_sums is None:
        s1 = np.empty((HG, L))
        for j in range(L):
            s1[:, j] = np.bincount(code, weights=uz[:, j], minlength=HG)
    else:
        s1 = np.asarray(cell_sums, dtype=float).reshape(HG, L)
    zbar = s1.reshape(H, G, L) / n_h[:, None, None]
    ss = np.empty((HG, L))
    zflat = zbar.reshape(HG, L)
    for j in range(L):
        dev = uz[:, j] - np.take(zflat[:, j], code)
        dev *= dev
        ss[:, j] = np.bincount(code, weights=dev, minlength=HG)
    del dev
    ss = ss.reshape(H, G, L)
    # units of the stratum outside the domain have score 0: (0 - zbar)^2 each
    ss += (n_h[:, None] - cnt)[:, :, None] * zbar * zbar
    # a cell whose n_h scores are all equal has variance exactly 0, not rounding noise
    full = (cnt == n_h[:, None]).reshape(HG)
    const = _constant_cells(code, uz, ss.reshape(HG, L), zbar.reshape(HG, L), n_h.repeat(G), full)
    if const is not None:
        ss.reshape(HG, L)[const] = 0.0

    scale, fpc_factor, lonely = _stratum_scale(design)
    contrib = ss * scale[:, None, None]

    if lonely.any():
        option = design.lonely_psu
        if option in ("remove", "certainty"):
            contrib[lonely] = 0.0
        elif option == "adjust":
            # the single PSU total, not centred (s1 is its total; zbar = s1 / 1)
            contrib[lonely] = (s1.reshape(H, G, L)[lonely] ** 2) * fpc_factor[lonely][:, None, None]
        elif option == "average":
            present = cnt > 0  # strata present in each domain (H, G)
            n_present = present.sum(axis=0)
            n_ok = (present & ~lonely[:, None]).sum(axis=0)
            contrib[lonely] = 0.0
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)
            contrib = contrib * factor[None, :, None]
        # "fail" cannot reach here: Design refuses such designs on construction
    variance = contrib.sum(axis=0)
    return DomainVariance(variance=variance, contributions=contrib, n_h=n_h, cells=cnt)


def _constant_cells(code: np.ndarray, z: np.ndarray, ss: np.ndarray, zbar: np.ndarray,
                    n_cell: np.ndarray, full: np.ndarray) -> np.ndarray | None:
    """The (cell, column) pairs whose scores are all exactly equal, so that ss is 0.

    Rounding makes the two-pass sum of squares of equal scores a tiny positive
    number (about 1e-34 where it should be 0): then an SE of 1e-17 instead of 0
    reaches the interval methods.  Only cells whose every unit is scored (``full``)
    and whose ss is at rounding level relative to the scores' second moment are
    checked, exactly, with a min/max pass over their units.
    """
    m2 = ss + n_cell[:, None] * zbar * zbar
    candidate = full[:, None] & (ss > 0) & (ss <= 1e-20 * m2)
    if not candidate.any():
        return None
    const = np.zeros_like(candidate)
    for j in np.flatnonzero(candidate.any(axis=0)):
        rows = candidate[code, j]
        c, zj = code[rows], z[rows, j]
        lo = np.full(len(ss), np.inf)
        hi = np.full(len(ss), -np.inf)
        np.minimum.at(lo, c, zj)
        np.maximum.at(hi, c, zj)
        const[:, j] = candidate[:, j] & (lo == hi)
    return const


def _stratum_scale(design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-stratum factor (1 - f_h) n_h/(n_h - 1), the fpc factor, and the lonely strata.

    A stratum taken completely (f_h = 1) has factor 0; a single-PSU stratum gets
    1 - f_h (no n/(n-1)), as R's ``onestrat``.
    """
    n_h = design._n_h
    fpc_factor = 1.0 - design._f_h
    full = fpc_factor < 1e-7
    multi = n_h > 1
    scale = np.where(multi, fpc_factor * n_h / np.maximum(n_h - 1, 1), fpc_factor)
    scale = np.where(full, 0.0, scale)
    return scale, fpc_factor, (~multi) & (~full)


def stratified_covariance(design, scores: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The K x K linearization covariance of K estimates of one domain.

    ``scores`` (n x K) are the units' scores, ``inside`` marks the units of the domain
    (the others score zero but still count in n_h).  Same formula and lonely-PSU
    rules as :func:`stratified_variance`, whose variances are its diagonal; used
    where the covariance between estimates is needed (Rao-Scott tests, contrasts).
    """
    z = np.asarray(scores, dtype=float)
    group = np.where(inside, 0, -1)
    uh, _, uz = _unit_scores(design, z, group, 1)
    H, K = design.n_strata, z.shape[1]
    n_h = design._n_h
    cnt = np.bincount(uh, minlength=H)
    s1 = np.empty((H, K))
    for j in range(K):
        s1[:, j] = np.bincount(uh, weights=uz[:, j], minlength=H)
    zbar = s1 / n_h[:, None]
    scale, fpc_factor, lonely = _stratum_scale(design)
    dev = uz - zbar[uh]
    ss = np.empty((H, K))
    for j in range(K):
        ss[:, j] = np.bincount(uh, weights=dev[:, j] * dev[:, j], minlength=H)
    const = _constant_cells(uh, uz, ss + (n_h - cnt)[:, None] * zbar * zbar, zbar, n_h, cnt == n_h)
    if const is not None:  # all scores equal: exactly 0, as in stratified_variance
        dev[const[uh]] = 0.0
    dev *= np.sqrt(scale[uh])[:, None]
    cov = dev.T @ dev
    outside = scale * (n_h - cnt)
    cov += (zbar * outside[:, None]).T @ zbar
    if lonely.any():
        option = design.lonely_psu
        if option == "adjust":
            tot = s1[lonely]
            cov += (tot * fpc_factor[lonely][:, None]).T @ tot
        elif option == "average":
            present = cnt > 0
            n_ok = int((present & ~lonely).sum())
            cov *= present.sum() / n_ok if n_ok else np.nan
    return cov


def domain_df(design, group: np.ndarray, n_groups: int) -> np.ndarray:
    """R's domain degrees of freedom: PSUs in the domain minus strata in the domain.

    This is ``degf()`` of the subset design ``design[domain, ]`` that R's ``svyby``
    hands to ``svyciprop``; for the whole sample it is ``degf(design)``.
    """
    group = np.asarray(group)
    keep = group >= 0
    G = int(n_groups)
    h = design._h[keep]
    g = group[keep]
    if design._psu is None:
        units = np.bincount(g, minlength=G)
    else:
        cells = np.unique(design._psu[keep].astype(np.int64) * G + g)
        units = np.bincount((cells % G).astype(np.intp), minlength=G)
    strata_cells = np.unique(h.astype(np.int64) * G + g)
    strata = np.bincount((strata_cells % G).astype(np.intp), minlength=G)
    return (units - strata).astype(float)


@dataclass(frozen=True)
class TaylorLinearization:
    """Stratified Taylor linearization of a one-stage design (R's ``svyrecvar``).

    The default variance method of a :class:`~surveyweights.Design` built from
    strata, PSUs (``ids=``) and fpc.  Stateless: everything it needs is in the
    design's integer codes.
    """

    name: str = "taylor"

    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None,
                 reestimate: Reestimate | None = None) -> DomainVariance:
        return stratified_variance(design, scores, group, n_groups, index=index,
                                   cell_sums=cell_sums)

    def covariance(self, design, scores, inside, *,
                   reestimate: Reestimate | None = None) -> np.ndarray:
        return stratified_covariance(design, scores, inside)

    def domain_df(self, design, group, n_groups) -> np.ndarray:
        return domain_df(design, group, n_groups)

    def degf(self, design) -> int:
        return design.n_psu - design.n_strata
