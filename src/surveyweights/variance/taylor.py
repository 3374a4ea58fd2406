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

from ..errors import InputError
from .base import DomainVariance, Reestimate

__all__ = ["CellIndex", "TaylorLinearization", "cell_contrast_variance", "cell_covariance",
           "cell_domain_df", "cell_index", "cell_variance", "cell_vcov", "domain_df",
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


# ------------------------------------------------------------------ cell-level entry
# The same variance from per-cell sufficient statistics (surveyweights.engines.cells):
# what the fused in-memory pass and the SQL engines feed.  Exact rewriting of the
# unit-level formula above, with every sum of squares a sum of non-negative terms.

def _stratum_parts(design, cells, centre: np.ndarray, divisor: np.ndarray,
                   coef: np.ndarray | None = None):
    """Per-stratum score sums s1 (H, Q, L), sums of squared deviations from the
    stratum's mean score ss (H, Q, L), and the (h, q) cells with scored units.

    Estimates: (domain g, column l) with centre ``centre[g, l]`` and divisor
    ``divisor[g]``.  Without ``coef`` every domain is one estimate (Q = G); with
    ``coef`` (G,) the single estimate is the linear combination sum_g coef_g est_g
    (Q = 1; a difference of two domains has coef +1 and -1).
    """
    n_h = design._n_h.astype(float)
    H, G, L = cells.shape
    D = np.asarray(divisor, dtype=float)
    delta = cells.m - np.asarray(centre, dtype=float)[None]
    if cells.rows is None:
        s1 = (cells.s + delta * cells.sw[:, :, None]) / D[None, :, None]
        ssw = (cells.mll + 2.0 * delta * cells.mlw + delta * delta * cells.mww[:, :, None])
        ssw = np.maximum(ssw, 0.0) / (D * D)[None, :, None]
        n = cells.n.astype(float)
        if coef is None:
            nn = n[:, :, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                extra = s1 * s1 * (n_h[:, None, None] - nn) / (n_h[:, None, None] * nn)
            ss = np.where(nn > 0, ssw + extra, 0.0)
            return s1, ss, cells.n > 0
        c = np.asarray(coef, dtype=float)
        used = c != 0
        s1u, sswu, nu = s1[:, used], ssw[:, used], n[:, used][:, :, None]
        cu = c[used][None, :, None]
        tot = (cu * s1u).sum(axis=1)                       # (H, L)
        zbar = tot / n_h[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            zc = np.where(nu > 0, cu * s1u / np.where(nu > 0, nu, 1.0), 0.0)
        ss = (cu * cu * sswu + nu * (zc - zbar[:, None, :]) ** 2).sum(axis=1)
        ss += (n_h - nu[:, :, 0].sum(axis=1))[:, None] * zbar * zbar
        return tot[:, None, :], ss[:, None, :], (n[:, used] > 0).any(axis=1)[:, None]
    r = cells.rows
    z = (r.s + delta[r.h, r.g] * r.sw[:, None]) / D[r.g][:, None]
    if coef is None:
        Q, key_h, key_q, key_p = G, r.h, r.g, None
        obs = r.n > 0
    else:
        c = np.asarray(coef, dtype=float)[r.g]
        sel = c != 0
        z = z[sel] * c[sel][:, None]
        # the PSU's score is the sum over its domains' rows
        key, inv = np.unique(r.psu[sel], return_inverse=True)
        zz = np.zeros((len(key), L))
        for j in range(L):
            zz[:, j] = np.bincount(inv, weights=z[:, j], minlength=len(key))
        hh = np.empty(len(key), dtype=np.intp)
        hh[inv] = r.h[sel]
        obs_p = np.zeros(len(key), dtype=bool)
        np.logical_or.at(obs_p, inv, r.n[sel] > 0)
        Q, key_h, key_q, z, obs = 1, hh, np.zeros(len(key), dtype=np.intp), zz, obs_p
    hq = key_h * Q + key_q
    s1 = np.empty((H * Q, L))
    for j in range(L):
        s1[:, j] = np.bincount(hq, weights=z[:, j], minlength=H * Q)
    k = np.bincount(hq, minlength=H * Q)
    zbar = s1 / np.repeat(n_h, Q)[:, None]
    ss = np.empty((H * Q, L))
    for j in range(L):
        dev = z[:, j] - zbar[hq, j]
        ss[:, j] = np.bincount(hq, weights=dev * dev, minlength=H * Q)
    ss += (np.repeat(n_h, Q) - k)[:, None] * zbar * zbar
    present = np.bincount(hq[obs], minlength=H * Q).reshape(H, Q) > 0
    return s1.reshape(H, Q, L), ss.reshape(H, Q, L), present


def _apply_scale(design, s1: np.ndarray, ss: np.ndarray, present: np.ndarray) -> DomainVariance:
    scale, fpc_factor, lonely = _stratum_scale(design)
    contrib = ss * scale[:, None, None]
    if lonely.any():
        option = design.lonely_psu
        if option in ("remove", "certainty"):
            contrib[lonely] = 0.0
        elif option == "adjust":
            contrib[lonely] = s1[lonely] ** 2 * fpc_factor[lonely][:, None, None]
        elif option == "average":
            n_present = present.sum(axis=0)
            n_ok = (present & ~lonely[:, None]).sum(axis=0)
            contrib[lonely] = 0.0
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)
            contrib = contrib * factor[None, :, None]
    return DomainVariance(variance=contrib.sum(axis=0), contributions=contrib,
                          n_h=design._n_h, cells=None)


def cell_variance(design, cells, centre: np.ndarray, divisor: np.ndarray) -> DomainVariance:
    """Linearization variance of G x L estimates from cell statistics.

    Same numbers as :func:`stratified_variance` on the unit scores
    w_i (y_il - centre_gl) / divisor_g, from the small table of
    :class:`~surveyweights.engines.cells.CellStats` instead of n rows.

    For an element design, stratum h and domain g with n units in the cell:
    sum over the stratum's n_h units of (z_i - zbar_h)^2 = ssw + s1^2 (n_h - n) /
    (n_h n), where ssw is the cell's centred sum of squares and s1 its score sum
    (the n_h - n units outside the cell score 0).  For a cluster design the PSU
    totals of the scores are formed from the per-(PSU, domain) rows and centred in
    two passes.
    """
    s1, ss, present = _stratum_parts(design, cells, centre, divisor)
    return _apply_scale(design, s1, ss, present)


def cell_contrast_variance(design, cells, centre: np.ndarray, divisor: np.ndarray,
                           coef: np.ndarray) -> DomainVariance:
    """Variance (1, L) of sum_g coef_g estimate_g, e.g. a difference of two domains."""
    s1, ss, present = _stratum_parts(design, cells, centre, divisor, coef=coef)
    return _apply_scale(design, s1, ss, present)


def _lonely_covariance(design, cov: np.ndarray, s1: np.ndarray, present: np.ndarray) -> np.ndarray:
    """The lonely-PSU rules on a covariance whose lonely strata were left out: ``adjust``
    adds (1 - f_h) s1_h s1_h' (s1_h: the stratum's score totals), ``average`` scales by
    (strata present) / (strata present and not lonely), as :func:`stratified_covariance`."""
    _, fpc_factor, lonely = _stratum_scale(design)
    option = design.lonely_psu
    if lonely.any():
        if option == "adjust":
            tot = s1[lonely]
            cov += (tot * fpc_factor[lonely][:, None]).T @ tot
        elif option == "average":
            n_ok = int((present & ~lonely).sum())
            cov = cov * (present.sum() / n_ok if n_ok else np.nan)
    return cov


def cell_covariance(design, cells, centre: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """The L x L covariance of the L estimates of a single domain (G = 1) from cell statistics.

    Needs the per-level sums of an indicator item (``cells.level_sw2``) for an
    element design; same formula and lonely-PSU rules as
    :func:`stratified_covariance`.  Every stratum's part is a diagonal plus a few
    outer products, so the sum over strata is a handful of (H x L) matrix
    products: O(L^2) memory whatever the number of strata.
    """
    H, G, L = cells.shape
    n_h = design._n_h.astype(float)
    D = float(np.asarray(divisor, dtype=float).reshape(-1)[0])
    delta = (cells.m - np.asarray(centre, dtype=float)[None])[:, 0, :]   # (H, L)
    scale, _, lonely = _stratum_scale(design)
    c = scale.copy()
    if lonely.any():
        c[lonely] = 0.0  # remove/certainty/average drop them; adjust adds them back below
    if cells.rows is None:
        n = cells.n[:, 0].astype(float)
        s = cells.s[:, 0, :]
        s1 = (s + delta * cells.sw[:, 0, None]) / D
        if cells.level_sw2 is None:
            raise InputError("a covariance between columns needs an indicator item's level sums")
        with np.errstate(invalid="ignore", divide="ignore"):
            inv_n = np.where(n > 0, 1.0 / np.where(n > 0, n, 1.0), 0.0)
            extra_f = np.where(n > 0, (n_h - n) / (n_h * np.where(n > 0, n, 1.0)), 0.0)
        mlw = cells.mlw[:, 0, :]
        mww = cells.mww[:, 0]
        # sum_h c_h [diag(sw2) - s s'/n + delta mlw' + mlw delta' + mww delta delta'] / D^2
        #   + sum_h c_h extra_h s1 s1'
        cov = np.diag(c @ cells.level_sw2[:, 0, :])
        cov -= (s * (c * inv_n)[:, None]).T @ s
        cross = (delta * c[:, None]).T @ mlw
        cov += cross + cross.T
        cov += (delta * (c * mww)[:, None]).T @ delta
        cov /= D * D
        cov += (s1 * (c * extra_f)[:, None]).T @ s1
        present = n > 0
    else:
        r = cells.rows
        z = (r.s + delta[r.h] * r.sw[:, None]) / D
        s1 = np.zeros((H, L))
        np.add.at(s1, r.h, z)
        zbar = s1 / n_h[:, None]
        dev = (z - zbar[r.h]) * np.sqrt(c[r.h])[:, None]
        cov = dev.T @ dev
        k = np.bincount(r.h, minlength=H)
        cov += (zbar * (c * (n_h - k))[:, None]).T @ zbar
        present = np.bincount(r.h[r.n > 0], minlength=H) > 0
    return _lonely_covariance(design, cov, s1, present)


def cell_vcov(design, cells, centre: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """The (G L) x (G L) covariance of all G x L estimates of one item from cell statistics.

    Rows are ordered domain-major (row g L + l), as an estimate table.  Same
    numbers as :func:`stratified_covariance` on the dense scores (each estimate's
    scores in a column of its own), from the cell table: in stratum h the units of
    cell (h, g) score t_i e_g (their scores t_i in the block of domain g, zero
    elsewhere), the other n_h - n_h. units score 0, so the stratum's sum of
    outer products of deviations from its mean zbar_h is

        sum_g [M_hg (block g) + n_hg (zc_hg e_g - zbar_h)(zc_hg e_g - zbar_h)']
            + (n_h - n_h.) zbar_h zbar_h'

    with M_hg the cell's centred cross moments of the scores and zc_hg their cell
    mean: every term is a product of deviations, as in the two-pass unit formula.
    For an indicator item the levels' cross moments are -s_l s_l' / n (a unit has
    one level); a numeric item has one column.  Cluster designs sum the
    per-(PSU, domain) rows to PSU totals and centre them per stratum.
    """
    H, G, L = cells.shape
    R = G * L
    n_h = design._n_h.astype(float)
    D = np.asarray(divisor, dtype=float).reshape(G)
    delta = cells.m - np.asarray(centre, dtype=float).reshape(G, L)[None]      # (H, G, L)
    scale, _, lonely = _stratum_scale(design)
    c = scale.copy()
    if lonely.any():
        c[lonely] = 0.0  # remove/certainty/average drop them; adjust adds them back below
    if cells.rows is None:
        n = cells.n.astype(float)                                             # (H, G)
        s1 = (cells.s + delta * cells.sw[:, :, None]) / D[None, :, None]      # (H, G, L)
        with np.errstate(invalid="ignore", divide="ignore"):
            inv_n = np.where(n > 0, 1.0 / np.where(n > 0, n, 1.0), 0.0)
        # within cells: C(a_l, a_l') (diag mll; -s_l s_l'/n off it), shifted by delta
        caa = -cells.s[:, :, :, None] * cells.s[:, :, None, :] * inv_n[:, :, None, None]
        idx = np.arange(L)
        caa[:, :, idx, idx] = cells.mll
        m = (caa + delta[:, :, :, None] * cells.mlw[:, :, None, :]
             + cells.mlw[:, :, :, None] * delta[:, :, None, :]
             + delta[:, :, :, None] * delta[:, :, None, :] * cells.mww[:, :, None, None])
        m /= (D * D)[None, :, None, None]
        within = np.einsum("h,hgkl->gkl", c, m)                               # (G, L, L)
        cov = np.zeros((R, R))
        for g in range(G):
            cov[g * L:(g + 1) * L, g * L:(g + 1) * L] = within[g]
        # between cells: deviations of the cell means from the stratum's mean score
        s1r = s1.reshape(H, R)
        zbar = s1r / n_h[:, None]
        zc = s1 * inv_n[:, :, None]                                           # (H, G, L)
        X = np.repeat(-zbar[:, None, :], G, axis=1)                          # (H, G, R)
        for g in range(G):
            X[:, g, g * L:(g + 1) * L] += zc[:, g, :]
        X *= np.sqrt(c[:, None] * n)[:, :, None]
        cov += np.einsum("hgr,hgs->rs", X, X)
        out = zbar * np.sqrt(c * (n_h - n.sum(axis=1)))[:, None]
        cov += out.T @ out
        present = (n > 0).any(axis=1)
    else:
        r = cells.rows
        z = (r.s + delta[r.h, r.g] * r.sw[:, None]) / D[r.g][:, None]        # (rows, L)
        key, inv = np.unique(r.psu, return_inverse=True)
        Z = np.zeros((len(key), R))
        np.add.at(Z, (inv[:, None], r.g[:, None] * L + np.arange(L)[None, :]), z)
        ph = np.empty(len(key), dtype=np.intp)
        ph[inv] = r.h
        s1r = np.zeros((H, R))
        np.add.at(s1r, ph, Z)
        zbar = s1r / n_h[:, None]
        dev = (Z - zbar[ph]) * np.sqrt(c[ph])[:, None]
        cov = dev.T @ dev
        k = np.bincount(ph, minlength=H)
        out = zbar * np.sqrt(c * (n_h - k))[:, None]
        cov += out.T @ out
        present = np.bincount(r.h[r.n > 0], minlength=H) > 0
    return _lonely_covariance(design, cov, s1r, present)


def cell_domain_df(design, cells, members: np.ndarray | None = None) -> np.ndarray:
    """R's domain degrees of freedom from cell statistics: PSUs in the domain minus its strata.

    Units with a missing item still count (they are sampled units of the domain
    design, as R's ``svyciprop(na.rm=TRUE)``).  With ``members`` (G,) bool the
    domains marked are taken together as one (shape (1,)), as for a difference.
    """
    H, G, _ = cells.shape
    if members is not None:
        mem = np.asarray(members, dtype=bool)
    if cells.rows is None:
        n_all = cells.n_all if members is None else cells.n_all[:, mem].sum(axis=1, keepdims=True)
        return (n_all.sum(axis=0) - (n_all > 0).sum(axis=0)).astype(float)
    r = cells.rows
    keep = r.n_all > 0
    if members is None:
        g = r.g[keep]
        units = np.bincount(g, minlength=G)
        strata_cells = np.unique(r.h[keep].astype(np.int64) * G + g)
        strata = np.bincount((strata_cells % G).astype(np.intp), minlength=G)
        return (units - strata).astype(float)
    keep &= mem[r.g]
    return np.array([len(np.unique(r.psu[keep])) - len(np.unique(r.h[keep]))], dtype=float)


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

    # the cell-level entry points (engines' sufficient statistics)
    def cell_variance(self, design, cells, centre, divisor) -> DomainVariance:
        return cell_variance(design, cells, centre, divisor)

    def cell_contrast_variance(self, design, cells, centre, divisor, coef) -> DomainVariance:
        return cell_contrast_variance(design, cells, centre, divisor, coef)

    def cell_covariance(self, design, cells, centre, divisor) -> np.ndarray:
        return cell_covariance(design, cells, centre, divisor)

    def cell_domain_df(self, design, cells, members=None) -> np.ndarray:
        return cell_domain_df(design, cells, members)

    def cell_vcov(self, design, cells, centre, divisor) -> np.ndarray:
        return cell_vcov(design, cells, centre, divisor)

    def degf(self, design) -> int:
        return design.n_psu - design.n_strata
