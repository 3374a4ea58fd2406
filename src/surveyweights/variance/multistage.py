"""Taylor linearization of a multistage design: R's ``svyrecvar`` recursion.

A two-stage sample (districts, then schools within each sampled district) has
variance from both stages.  With z the linearized scores, the variance of their
total is (Lumley 2010, sec. 3.2; Sarndal, Swensson & Wretman 1992, sec. 4.3)

    V = sum_s  sum_{h in stage s}  P_h  (1 - f_h) n_h / (n_h - 1)  sum_i (z_hi - zbar_h)^2

where the strata of stage s >= 2 are the units of stage s - 1, z_hi is the total
score of unit i of stratum h at that stage, f_h = n_h / N_h its sampling fraction,
and P_h the product of the sampling fractions of the earlier stages above h (the
weight the later-stage term gets in R's recursive ``multistage``: the stage s - 1
variance already counts 1/f of the stage s variation).  A stratum taken
completely (f_h = 1) contributes nothing at its own stage, while the stages below
it still do; a design without fpc stops at stage 1 (the "ultimate cluster"
approximation, which the one-stage :class:`TaylorLinearization` computes).

Domains follow R: the units outside the domain keep a zero score, and every
stratum keeps its design n_h, so a domain's variance counts the sampled units it
does not contain.

Lonely PSUs (a stratum with one sampled unit that was not taken completely) at
every stage follow the design's ``lonely_psu`` as R 4.1's ``onestrat``:
``remove``/``certainty`` contribute 0; ``adjust`` does not centre the single unit
(contribution (1 - f_h) z_h^2); ``average`` drops the stratum and scales the
remaining ones by (strata present) / (strata present and not lonely) within the
same stage s - 1 unit -- which, at stages >= 2 where each unit holds one stratum,
leaves nothing to average over: the variance is NaN, as in R (the design warns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import DomainVariance, Reestimate
from .taylor import domain_df

__all__ = ["MultistageLinearization", "multistage_covariance", "multistage_variance"]


def _stage_rows(design, stage, z: np.ndarray, group: np.ndarray, G: int):
    """The centred, scaled unit totals of one stage, as rows of a sum of squares.

    Returns (rows, grp, wt): the variance of domain g is the sum over rows with
    grp == g of wt * dev**2 (column by column), the covariance dev.T @ (wt * dev).
    Rows are the (unit, domain) totals plus, for every (stratum, domain) cell, one
    row standing for the n_h - (units in the cell) sampled units with a zero
    score (deviation -zbar, multiplicity n_h - count).
    """
    keep = group >= 0
    h_all, c_all = stage.stratum[keep], stage.cluster[keep]
    g_all = group[keep]
    zk = z[keep]
    H = len(stage.n)
    key = c_all.astype(np.int64) * G + g_all
    cells, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1)
    L = zk.shape[1]
    zc = np.empty((len(cells), L))
    for j in range(L):
        zc[:, j] = np.bincount(inverse, weights=zk[:, j], minlength=len(cells))
    hc = np.empty(len(cells), dtype=np.intp)
    hc[inverse] = h_all
    gc = (cells % G).astype(np.intp)
    hg = hc * G + gc
    count = np.bincount(hg, minlength=H * G)
    s1 = np.empty((H * G, L))
    for j in range(L):
        s1[:, j] = np.bincount(hg, weights=zc[:, j], minlength=H * G)
    n_h = stage.n.astype(float)
    lonely = stage.lonely
    option = design.lonely_psu
    # R's onestrat: the single unit of a lonely stratum is not centred under "adjust"
    centre = np.ones(H) if option != "adjust" else (~lonely).astype(float)
    zbar = s1 / np.repeat(n_h, G)[:, None] * np.repeat(centre, G)[:, None]
    dev = zc - zbar[hg]
    fpc_factor = 1.0 - stage.fraction
    full = fpc_factor < 1e-7
    scale = np.where(stage.n > 1, fpc_factor * n_h / np.maximum(n_h - 1, 1), fpc_factor)
    scale = np.where(full, 0.0, scale) * stage.prefix
    if option in ("remove", "certainty"):
        scale = np.where(lonely, 0.0, scale)
    factor = np.ones((H, G))
    if option == "average" and lonely.any():
        scale = np.where(lonely, 0.0, scale)
        present = count.reshape(H, G) > 0
        P = int(stage.parent.max()) + 1
        n_present = np.zeros((P, G))
        n_ok = np.zeros((P, G))
        np.add.at(n_present, stage.parent, present)
        np.add.at(n_ok, stage.parent, present & ~lonely[:, None])
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(n_present > 0, n_present / n_ok, 1.0)  # 0 lonely-only: NaN as R
        ratio = np.where((n_present > 0) & (n_ok == 0), np.nan, ratio)
        factor = ratio[stage.parent]
    cell_scale = (np.repeat(scale, G) * factor.reshape(-1))
    # units of the stratum outside the cell: n_h - count of them, each scoring 0
    missing = np.repeat(n_h, G) - count
    pad = np.flatnonzero((missing > 0) & (np.abs(zbar).sum(axis=1) > 0))
    rows = np.concatenate([dev, -zbar[pad]])
    grp = np.concatenate([gc, pad % G])
    wt = np.concatenate([cell_scale[hg], cell_scale[pad] * missing[pad]])
    return rows, grp, wt


def _stages(design):
    if design._stages is None:
        raise TypeError("MultistageLinearization needs a design with stages (ids=[...], fpc=[...])")
    return design._stages


def multistage_variance(design, scores: np.ndarray, group: np.ndarray, n_groups: int) -> DomainVariance:
    """Variances of ``n_groups`` x L estimates from domain-sparse scores, all stages."""
    z = np.asarray(scores, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    group = np.asarray(group)
    G, L = int(n_groups), z.shape[1]
    var = np.zeros((G, L))
    for stage in _stages(design):
        rows, grp, wt = _stage_rows(design, stage, z, group, G)
        for j in range(L):
            var[:, j] += np.bincount(grp, weights=wt * rows[:, j] ** 2, minlength=G)
    return DomainVariance(variance=var)


def multistage_covariance(design, scores: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The K x K covariance of K estimates of one domain (``inside`` marks its units)."""
    z = np.asarray(scores, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    group = np.where(np.asarray(inside, dtype=bool), 0, -1)
    K = z.shape[1]
    cov = np.zeros((K, K))
    for stage in _stages(design):
        rows, _, wt = _stage_rows(design, stage, z, group, 1)
        cov += rows.T @ (rows * wt[:, None])
    return cov


@dataclass(frozen=True)
class MultistageLinearization:
    """Taylor linearization of a multistage design (R's ``svyrecvar`` with several stages).

    The default variance method of a :class:`~surveyweights.Design` built with one
    ``ids`` column and one fpc per stage.  Stateless: it reads the design's stages
    (:mod:`surveyweights.design.stages`).  Degrees of freedom are R's: PSUs minus
    strata at stage 1 (``degf``), and per domain the stage-1 PSUs and strata the
    domain touches.  It has no per-stratum parts, so ``df="satterthwaite"`` falls
    back to the design df.
    """

    name: str = "multistage"

    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None,
                 reestimate: Reestimate | None = None) -> DomainVariance:
        z = np.asarray(scores, dtype=float)
        if index is not None and index.keep is not None and len(z) != len(group):
            full = np.zeros((len(group),) + z.shape[1:])
            full[index.keep] = z
            z = full
        return multistage_variance(design, z, group, n_groups)

    def covariance(self, design, scores, inside, *,
                   reestimate: Reestimate | None = None) -> np.ndarray:
        return multistage_covariance(design, scores, inside)

    def domain_df(self, design, group, n_groups) -> np.ndarray:
        return domain_df(design, group, n_groups)

    def degf(self, design) -> int:
        return design.n_psu - design.n_strata
