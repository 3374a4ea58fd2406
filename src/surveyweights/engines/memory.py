"""The in-memory engine: cell statistics in one fused pass of ``np.bincount``.

For an indicator item the unit's (stratum x domain) cell and its level code are
combined into one integer, and three bincounts (count, sum w, sum w^2) give every
sufficient statistic (:func:`surveyweights.engines.cells.from_level_sums`).  The
cell code of each unit is computed once per design and ``by``/``subset`` and
cached by the estimator; w^2 is computed once per design.  A numeric item takes
two passes: weighted cell means first, then sums centred at them, so that items
with large values lose no precision.

Everything here is plain numpy on arrays; the estimator builds the codes.
"""

from __future__ import annotations

import numpy as np

from .cells import (CellStats, cluster_from_level_sums, cluster_from_shifted_sums,
                    from_level_sums, from_shifted_sums)

__all__ = ["NAME", "indicator_cells", "numeric_cells"]

#: The engine's name in results.
NAME = "pandas"


def indicator_cells(hg: np.ndarray, k: np.ndarray, K: int, sel: np.ndarray, w: np.ndarray,
                    w2: np.ndarray, H: int, G: int, psu: np.ndarray | None = None,
                    counts: np.ndarray | None = None) -> tuple[CellStats, np.ndarray]:
    """Cell statistics of an indicator item, and the units with a missing item per domain.

    ``hg`` (n,): the unit's cell h * G + g, or H * G outside every domain; ``k``
    (n,): its level code 0..K-1, -1 if the item is missing; ``sel``: the levels
    estimated.  ``psu`` (n,) for a cluster design.  ``counts`` (H * G,): the units
    per cell, when the item has no missing value (saves the counting pass).
    """
    HG = H * G
    if psu is None:
        code = np.multiply(hg, K + 1, dtype=np.intp)
        code += k
        code += 1
        B = (HG + 1) * (K + 1)
        if counts is None:
            cnt = np.bincount(code, minlength=B)[: HG * (K + 1)]
        else:  # only the totals per cell are used: put them in the first level's column
            cnt = np.zeros((HG, K + 1), dtype=np.int64)
            cnt[:, 1] = counts
            cnt = cnt.ravel()
        sw = np.bincount(code, weights=w, minlength=B)[: HG * (K + 1)]
        sw2 = np.bincount(code, weights=w2, minlength=B)[: HG * (K + 1)]
        del code
        cells = from_level_sums(cnt.reshape(HG, K + 1), sw.reshape(HG, K + 1),
                                sw2.reshape(HG, K + 1), sel, H, G)
        missing = cnt.reshape(H, G, K + 1)[:, :, 0].sum(axis=0)
        return cells, missing
    inside = hg < HG
    hgi = hg[inside]
    key = psu[inside].astype(np.int64) * G + hgi % G
    rows, inv = np.unique(key, return_inverse=True)
    R = len(rows)
    code = inv.astype(np.intp) * (K + 1) + k[inside] + 1
    cnt = np.bincount(code, minlength=R * (K + 1)).reshape(R, K + 1)
    sw = np.bincount(code, weights=w[inside], minlength=R * (K + 1)).reshape(R, K + 1)
    rh = np.empty(R, dtype=np.intp)
    rh[inv] = hgi // G
    cells = cluster_from_level_sums(rh, rows % G, rows // G, cnt, sw, sel, H, G)
    missing = np.bincount(rows % G, weights=cnt[:, 0], minlength=G).astype(np.int64)
    return cells, missing


def numeric_cells(hg: np.ndarray, y: np.ndarray, w: np.ndarray, H: int, G: int,
                  psu: np.ndarray | None = None) -> tuple[CellStats, np.ndarray]:
    """Cell statistics of a numeric item (NaN: missing) in two passes, and missing counts."""
    HG = H * G
    obs = ~np.isnan(y)
    n_all = np.bincount(hg, minlength=HG + 1)[:HG]
    if obs.all():
        keep = None if bool((hg < HG).all()) else hg < HG
    else:
        keep = obs & (hg < HG)
    hk = hg if keep is None else hg[keep]
    yk = y if keep is None else y[keep]
    wk = w if keep is None else w[keep]
    n = np.bincount(hk, minlength=HG)
    sw = np.bincount(hk, weights=wk, minlength=HG)
    swy = np.bincount(hk, weights=wk * yk, minlength=HG)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(n > 0, swy / np.where(sw > 0, sw, 1.0), 0.0)
        wbar = np.where(n > 0, sw / np.maximum(n, 1), 0.0)
    d = yk - m[hk]
    a = wk * d
    missing = (n_all - n).reshape(H, G).sum(axis=0)
    if psu is not None:
        q = np.bincount(hk, weights=a * d, minlength=HG)
        key = (psu if keep is None else psu[keep]).astype(np.int64) * G + hk % G
        rows, inv = np.unique(key, return_inverse=True)
        R = len(rows)
        rh = np.empty(R, dtype=np.intp)
        rh[inv] = hk // G
        rn = np.bincount(inv, minlength=R)
        rsw = np.bincount(inv, weights=wk, minlength=R)
        rs = np.bincount(inv, weights=a, minlength=R)
        # units of the domain whose item is missing count in n_all of their PSU row
        ins = hg < HG
        key_all = psu[ins].astype(np.int64) * G + hg[ins] % G
        pos = np.searchsorted(rows, key_all)
        known = (pos < R) & (rows[np.minimum(pos, R - 1)] == key_all)
        rn_all = np.bincount(pos[known], minlength=R)
        # a PSU whose domain units all lack the item still counts for the df
        extra = np.unique(key_all[~known])
        if len(extra):
            hx = np.empty(len(extra), dtype=np.intp)
            kx, invx = np.unique(key_all[~known], return_inverse=True)
            hx[invx] = (hg[ins][~known]) // G
            rows = np.concatenate([rows, extra])
            rh = np.concatenate([rh, hx])
            rn = np.concatenate([rn, np.zeros(len(extra), dtype=rn.dtype)])
            rn_all = np.concatenate([rn_all, np.bincount(invx, minlength=len(extra))])
            rsw = np.concatenate([rsw, np.zeros(len(extra))])
            rs = np.concatenate([rs, np.zeros(len(extra))])
        cells = cluster_from_shifted_sums(rh, rows % G, rows // G, rn, rn_all, rsw, rs, m, q, H, G)
        return cells, missing
    e = wk - wbar[hk]
    sa = np.bincount(hk, weights=a, minlength=HG)
    saa = np.bincount(hk, weights=a * a, minlength=HG)
    sae = np.bincount(hk, weights=a * e, minlength=HG)
    see = np.bincount(hk, weights=e * e, minlength=HG)
    se = np.bincount(hk, weights=e, minlength=HG)
    q = np.bincount(hk, weights=a * d, minlength=HG)
    cells = from_shifted_sums(n, n_all, sw, m, sa, saa, sae, see, se, q, H, G)
    return cells, missing
