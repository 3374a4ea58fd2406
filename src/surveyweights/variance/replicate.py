"""Replicate-weight variance: the spread of the estimates over replicate weights (R's ``svrVar``).

A design with replicate weights (built from strata and PSUs by
:func:`surveyweights.replicate`, or read from a file with ``Design(...,
replicate_weights=...)``) holds a :class:`ReplicateWeights` variance method.
For estimates theta computed with the full-sample weights and theta_r computed
with replicate r's weights (r = 1..R),

    v = scale * sum_r rscales_r (theta_r - c)^2

with c the mean of the theta_r over the replicates with rscales_r > 0, or the
full-sample theta when ``mse=True`` (R's ``svrVar``; Wolter 2007, ch. 3-5).
Replicates that give no estimate (a domain with no weight in that replicate)
are left out of that estimate's variance with a warning, as R does.

How replicate estimates are computed
------------------------------------
Estimators describe their estimates as a function of domain totals
(:class:`~surveyweights.variance.base.DomainTotals`).  The replicate totals then
come from the *structure* of the replicate weights, without an n x R matrix when
the structure makes it unnecessary:

* :class:`ClusterFactors` -- replicate weight ``w_i * F[psu_i, r]`` (bootstrap,
  BRR, Fay, SDR built from a design): per-(PSU x domain) totals in one pass over
  the data, then one small product ``F' t``;
* :class:`JackknifeFactors` -- the delete-one-PSU jackknife (JK1, JKn): replicate
  r deletes PSU d_r of stratum h_r, so its totals are
  ``a_r (S - S_h) + b_r (S_h - t_d)`` from the PSU totals t, stratum totals S_h and
  overall totals S: O(PSUs) work, no PSU x replicate matrix either;
* :class:`UnitWeights` -- an n x R matrix of analysis weights (read from a file,
  or re-calibrated per replicate): one sparse-times-dense product.

Degrees of freedom
------------------
As R's ``degf`` for replicate designs: the rank of the analysis replicate
weights (of the rows in the domain, for a domain) minus 1, with R's tolerance
1e-5.  Rows of one PSU are proportional, so the rank is that of the PSU rows;
for the jackknife it follows exactly from the left null space of its structured
factor matrix (see :meth:`JackknifeFactors.rank`), without a QR of a PSU x
replicate matrix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from ..errors import InputError, SurveyWeightsWarning, user_stacklevel
from .base import DomainTotals, DomainVariance, Reestimate

__all__ = [
    "ClusterFactors",
    "SourceColumns",
    "JackknifeFactors",
    "REPLICATE_TYPES",
    "ReplicateNAWarning",
    "ReplicateWeights",
    "UnitWeights",
]

#: The replicate types a :class:`ReplicateWeights` method can carry.
REPLICATE_TYPES: tuple[str, ...] = (
    "jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "sdr", "other",
)

#: R's ``degf(..., tol = 1e-5)`` for replicate designs.
RANK_TOLERANCE = 1e-5


class ReplicateNAWarning(SurveyWeightsWarning):
    """Some replicates gave no estimate (e.g. a domain without weight in them) and were left out."""


def numerical_rank(m: np.ndarray, tol: float = RANK_TOLERANCE) -> int:
    """The rank of ``m`` with R's relative tolerance: columns scaled to unit length,
    singular values below ``tol`` count as zero (R's ``qr(x, tol = 1e-5)$rank``
    for all but near-degenerate matrices).

    For a tall matrix the eigenvalues of its column Gram matrix, normalised to a
    unit diagonal, are the squared singular values of the column-scaled matrix:
    one BLAS product and no copy of ``m``.
    """
    m = np.asarray(m, dtype=float)
    if m.size == 0:
        return 0
    rows, cols = m.shape
    if rows >= cols:
        return gram_rank(m.T @ m, tol)
    else:
        norms = np.sqrt(np.einsum("ij,ij->j", m, m))
        nz = norms > 0
        if not nz.any():
            return 0
        scaled = m[:, nz] / norms[nz]
        gram = scaled @ scaled.T
    ev = np.linalg.eigvalsh(gram)
    return int((ev > tol * tol).sum())


def gram_rank(gram: np.ndarray, tol: float = RANK_TOLERANCE) -> int:
    """:func:`numerical_rank` of a matrix from its column Gram matrix ``m' m`` (R x R).

    SQL engines sum the Gram matrix of the replicate weights in the database
    (one ``GROUP BY``), so the rank needs no unit rows.
    """
    gram = np.asarray(gram, dtype=float)
    if gram.size == 0:
        return 0
    d = np.sqrt(np.maximum(np.diag(gram), 0.0))
    nz = d > 0
    if not nz.any():
        return 0
    gram = gram[np.ix_(nz, nz)] / np.outer(d[nz], d[nz])
    ev = np.linalg.eigvalsh(gram)
    return int((ev > tol * tol).sum())


def certified_rank(n: np.ndarray, sums: np.ndarray, sumsq: np.ndarray,
                   tol: float = RANK_TOLERANCE) -> int | None:
    """R when bucket sums of an (N, R) matrix A prove that :func:`numerical_rank` of A is R;
    None when they do not (then the Gram matrix decides).

    The rows of A are split into buckets b (``n[b]`` rows, column sums ``sums[b]`` and
    sums of squares ``sumsq[b]``).  With s_b the sum of bucket b's rows, Cauchy-Schwarz
    gives (v's_b)^2 <= n_b sum_(i in b) (v'a_i)^2, so S'S <= n_max A'A; and the
    column-scaled Gram matrix C^-1 A'A C^-1 (C^2 = diag of A'A, the column sums of
    ``sumsq``) has smallest eigenvalue >= lambda_min(A'A) / max_j C_jj^2.  So if
    lambda_min(S'S) > tol^2 n_max max_j C_jj^2 (less the eigenvalue's rounding), every
    eigenvalue of the scaled Gram matrix exceeds tol^2: rank R.  A SQL engine sums
    4R buckets (a hash of the row) with 2R + 1 aggregates, instead of the
    R (R + 1) / 2 of the Gram matrix.
    """
    n = np.asarray(n, dtype=float)
    sums = np.asarray(sums, dtype=float)
    R = sums.shape[1]
    if len(n) < R:
        return None
    c2 = np.asarray(sumsq, dtype=float).sum(axis=0)
    if not (c2 > 0).all():
        return None
    ev = np.linalg.eigvalsh(sums.T @ sums)
    low = ev[0] - 64.0 * np.finfo(float).eps * ev[-1]
    return R if low > tol * tol * float(n.max()) * float(c2.max()) else None


# --------------------------------------------------------------------------
# replicate structures
# --------------------------------------------------------------------------


def _domain_columns(values: np.ndarray, group: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The rows inside a domain (None: all) and the values as a float (n, K) array."""
    v = np.asarray(values, dtype=float)
    if v.ndim == 1:
        v = v[:, None]
    keep = None if bool((group >= 0).all()) else np.flatnonzero(group >= 0)
    return keep, v


@dataclass(frozen=True, eq=False)
class UnitWeights:
    """Replicate analysis weights given per unit: an (n, R) matrix.

    For replicate weights read from a file, and for replicate weights that an
    adjustment (calibration, raking, trimming) changed unit by unit.
    """

    matrix: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_replicates(self) -> int:
        return int(self.matrix.shape[1])

    def weights(self, w: np.ndarray) -> np.ndarray:
        """The (n, R) analysis weights."""
        return self.matrix

    def column(self, w: np.ndarray, r: int) -> np.ndarray:
        return self.matrix[:, r]

    def totals(self, w: np.ndarray, values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Replicate domain totals, shape (R, G, K): one sparse x dense product."""
        keep, v = _domain_columns(values, group)
        n, K = v.shape
        G = int(n_groups)
        idx = np.arange(n) if keep is None else keep
        g = group[idx]
        rows = (g[:, None] * K + np.arange(K)[None, :]).ravel()
        cols = np.repeat(idx, K)
        data = v[idx].ravel()
        indicator = sparse.csr_array((data, (rows, cols)), shape=(G * K, n))
        t = indicator @ self.matrix  # (G K, R)
        return np.ascontiguousarray(t.T).reshape(self.n_replicates, G, K)

    def rank(self, w: np.ndarray, rows: np.ndarray) -> int:
        return unit_rank(self.matrix, np.asarray(rows), self._row_max())

    def _row_max(self) -> np.ndarray:
        if "row_max2" not in self._cache:
            m = self.matrix
            self._cache["row_max2"] = np.maximum(m.max(axis=1), -m.min(axis=1)) ** 2
        return self._cache["row_max2"]


def unit_rank(matrix: np.ndarray, rows: np.ndarray, row_max2: np.ndarray | None = None,
              tol: float = RANK_TOLERANCE) -> int:
    """:func:`numerical_rank` of ``matrix[rows]`` (n_D x R), certified from a few rows
    when they already have full column rank.

    With A the domain's rows, B a subset of them and c_j the column norms of A,
    ``C^-1 A'A C^-1 >= C^-1 B'B C^-1``, whose smallest eigenvalue is at least
    ``lambda_min(B'B) / max_j c_j^2`` and ``max_j c_j^2 <= sum_i max_j A_ij^2``.  So
    if ``lambda_min(B'B) > tol^2 sum_i max_j A_ij^2`` the domain's replicate weights
    have full rank R under the same criterion, at the cost of a k x R product
    (k = 4R rows spread over the domain) instead of an n_D x R one.  Otherwise
    (e.g. jackknife-structured weights) the full Gram matrix decides.
    """
    R = matrix.shape[1]
    n_d = len(rows)
    if n_d > 4 * R and row_max2 is not None:
        bound = float(row_max2[rows].sum())
        for k in (4 * R, 16 * R):
            if n_d <= k:
                break
            sub = matrix[rows[np.linspace(0, n_d - 1, k).astype(np.intp)]]
            ev = np.linalg.eigvalsh(sub.T @ sub)
            if ev[0] > tol * tol * bound:
                return R
    return numerical_rank(matrix[rows], tol)


def _cluster_totals(cluster: np.ndarray, n_clusters: int, w: np.ndarray, values: np.ndarray,
                    group: np.ndarray, n_groups: int) -> np.ndarray:
    """Weighted totals per (cluster x domain), shape (C, G, K)."""
    keep, v = _domain_columns(values, group)
    G = int(n_groups)
    K = v.shape[1]
    if keep is None:
        code = cluster if G == 1 else cluster * G + group
        wk, vk = w, v
    else:
        code = cluster[keep] * G + group[keep]
        wk, vk = w[keep], v[keep]
    out = np.empty((n_clusters * G, K))
    for j in range(K):
        out[:, j] = np.bincount(code, weights=wk * vk[:, j], minlength=n_clusters * G)
    return out.reshape(n_clusters, G, K)


@dataclass(frozen=True, eq=False)
class ClusterFactors:
    """Replicate weights ``w_i * factors[cluster_i, r]``: a factor per PSU and replicate.

    Bootstrap, sub-bootstrap, BRR, Fay and SDR replicates built from a design.

    Attributes
    ----------
    cluster : ndarray of int, shape (n,)
        The PSU (0..C-1) of each unit.
    factors : ndarray, shape (C, R)
    """

    cluster: np.ndarray
    factors: np.ndarray
    _full_rank: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_replicates(self) -> int:
        return int(self.factors.shape[1])

    def weights(self, w: np.ndarray) -> np.ndarray:
        return w[:, None] * self.factors[self.cluster]

    def column(self, w: np.ndarray, r: int) -> np.ndarray:
        return w * self.factors[self.cluster, r]

    def totals(self, w: np.ndarray, values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
        t = _cluster_totals(self.cluster, self.factors.shape[0], w, values, group, n_groups)
        return self.from_cluster_totals(t)

    def from_cluster_totals(self, t: np.ndarray) -> np.ndarray:
        """Replicate totals (R, G, K) from per-(PSU x domain) totals t (C, G, K): ``F' t``."""
        C, G, K = t.shape
        return (self.factors.T @ t.reshape(C, G * K)).reshape(self.n_replicates, G, K)

    def rank(self, w: np.ndarray, rows: np.ndarray) -> int:
        touched = np.zeros(self.factors.shape[0], dtype=bool)
        touched[self.cluster[rows]] = True
        return self.rank_of_touched(touched)

    def domain_ranks(self, group: np.ndarray, n_groups: int) -> np.ndarray:
        """:meth:`rank` of every domain's rows, from one pass over the units."""
        return _touched_ranks(self.cluster, self.factors.shape[0], group, n_groups,
                              self.rank_of_touched)

    def rank_of_touched(self, touched: np.ndarray) -> int:
        if touched.all():  # every PSU: the design's rank, once
            if "all" not in self._full_rank:
                self._full_rank["all"] = numerical_rank(self.factors)
            return self._full_rank["all"]
        return numerical_rank(self.factors[touched])


def _touched_ranks(cluster: np.ndarray, n_clusters: int, group: np.ndarray, n_groups: int,
                   rank_of_touched) -> np.ndarray:
    """The rank of each domain's PSU rows: which PSUs hold rows of which domain from one
    ``bincount`` over the units, then the structure's rank of those PSUs."""
    G = int(n_groups)
    inside = group >= 0
    code = cluster * G + group if inside.all() else cluster[inside] * G + group[inside]
    touched = np.bincount(code, minlength=n_clusters * G).reshape(n_clusters, G) > 0
    return np.array([rank_of_touched(touched[:, g]) if touched[:, g].any() else 0
                     for g in range(G)])


@dataclass(frozen=True, eq=False)
class JackknifeFactors:
    """Delete-one-PSU jackknife replicates (JK1, JKn), kept as their structure.

    Replicate r deletes PSU ``deleted[r]`` of stratum ``stratum[r]``: that PSU gets
    factor 0, the other PSUs of the stratum ``inside[r]`` (n_h / (n_h - 1)) and
    all other PSUs ``outside[r]`` (1; R's ``lonely.psu="adjust"`` column uses
    H / (H - 1)).

    Attributes
    ----------
    cluster : ndarray of int, shape (n,)
        The PSU (0..C-1) of each unit.
    cluster_stratum : ndarray of int, shape (C,)
        The stratum of each PSU.
    deleted, stratum : ndarray of int, shape (R,)
    inside, outside : ndarray, shape (R,)
    """

    cluster: np.ndarray
    cluster_stratum: np.ndarray
    deleted: np.ndarray
    stratum: np.ndarray
    inside: np.ndarray
    outside: np.ndarray

    @property
    def n_replicates(self) -> int:
        return int(len(self.deleted))

    @property
    def n_clusters(self) -> int:
        return int(len(self.cluster_stratum))

    def factor_column(self, r: int) -> np.ndarray:
        """The factors of replicate r for every PSU, shape (C,)."""
        f = np.where(self.cluster_stratum == self.stratum[r], self.inside[r], self.outside[r])
        f[self.deleted[r]] = 0.0
        return f

    def factors(self) -> np.ndarray:
        """The (C, R) factor matrix (materialised: for export and small designs)."""
        C, R = self.n_clusters, self.n_replicates
        same = self.cluster_stratum[:, None] == self.stratum[None, :]
        f = np.where(same, self.inside[None, :], self.outside[None, :])
        f[self.deleted, np.arange(R)] = 0.0
        return f

    def weights(self, w: np.ndarray) -> np.ndarray:
        return w[:, None] * self.factors()[self.cluster]

    def column(self, w: np.ndarray, r: int) -> np.ndarray:
        return w * self.factor_column(r)[self.cluster]

    def totals(self, w: np.ndarray, values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
        t = _cluster_totals(self.cluster, self.n_clusters, w, values, group, n_groups)
        return self.from_cluster_totals(t)

    def from_cluster_totals(self, t: np.ndarray) -> np.ndarray:
        """Replicate totals (R, G, K) from per-(PSU x domain) totals t (C, G, K)."""
        C, G, K = t.shape
        flat = t.reshape(C, G * K)
        H = int(self.cluster_stratum.max()) + 1
        s_h = np.empty((H, G * K))
        for j in range(G * K):
            s_h[:, j] = np.bincount(self.cluster_stratum, weights=flat[:, j], minlength=H)
        s = s_h.sum(axis=0)
        sh_r = s_h[self.stratum]
        out = self.outside[:, None] * (s[None, :] - sh_r)
        out += self.inside[:, None] * (sh_r - flat[self.deleted])
        return out.reshape(self.n_replicates, G, K)

    def rank(self, w: np.ndarray, rows: np.ndarray) -> int:
        """The rank of the factor rows of the PSUs touched by ``rows``.

        A vector y on the m touched PSUs is in the left null space iff for every
        replicate r (stratum h, deleted PSU d, factors a outside and b inside)
        ``a (Y - Y_h) + b (Y_h - y_d) = 0`` (Y = sum y, Y_h its part in h, y_d = 0
        for an untouched d).  Every touched PSU of a stratum with replicates is
        deleted once, so y is a constant t_h there; the PSUs of strata without
        replicates (taken completely, or lonely and removed) enter only through
        their sum Z.  That leaves a small linear system in (t_h, Z); the rank is
        m minus the dimension of its solutions (plus the k0 - 1 free directions of
        the k0 PSUs summed in Z).
        """
        touched = np.zeros(self.n_clusters, dtype=bool)
        touched[self.cluster[rows]] = True
        return self.rank_of_touched(touched)

    def domain_ranks(self, group: np.ndarray, n_groups: int) -> np.ndarray:
        """:meth:`rank` of every domain's rows, from one pass over the units."""
        return _touched_ranks(self.cluster, self.n_clusters, group, n_groups, self.rank_of_touched)

    def rank_of_touched(self, touched: np.ndarray) -> int:
        """:meth:`rank` given which PSUs (a boolean per PSU) hold rows of the domain."""
        m = int(touched.sum())
        if m == 0:
            return 0
        H = int(max(self.cluster_stratum.max(), self.stratum.max() if len(self.stratum) else 0)) + 1
        m_h = np.bincount(self.cluster_stratum[touched], minlength=H)
        has_rep = np.zeros(H, dtype=bool)
        has_rep[self.stratum] = True
        var_strata = np.flatnonzero(has_rep & (m_h > 0))
        k0 = int(m_h[~has_rep].sum())
        pos = {int(h): i for i, h in enumerate(var_strata)}
        nvar = len(var_strata) + (1 if k0 > 0 else 0)
        if nvar == 0:
            return m
        # one constraint per (stratum, deleted PSU touched or not): at most 2 per stratum
        kind = touched[self.deleted].astype(np.int64)
        key = self.stratum.astype(np.int64) * 2 + kind
        _, first = np.unique(key, return_index=True)
        rows_m = []
        for r in first:
            h = int(self.stratum[r])
            a, b = float(self.outside[r]), float(self.inside[r])
            row = np.zeros(nvar)
            # a * Y
            for g, i in pos.items():
                row[i] += a * m_h[g]
            if k0 > 0:
                row[-1] += a
            if h in pos:
                mh = float(m_h[h])
                row[pos[h]] += -a * mh + b * (mh - 1.0 if kind[r] else mh)
            rows_m.append(row)
        mat = np.array(rows_m)
        norms = np.abs(mat).max(axis=1)
        mat = mat[norms > 0] / norms[norms > 0, None]
        rank_m = int(np.linalg.matrix_rank(mat)) if len(mat) else 0
        null = (nvar - rank_m) + (k0 - 1 if k0 > 0 else 0)
        return m - null


@dataclass(frozen=True, eq=False)
class SourceColumns:
    """Replicate weights that stay in a SQL engine's source: the names of their columns.

    A SQL design never fetches unit rows, so its replicate totals come from
    ``GROUP BY`` sums of each replicate column (R sums per domain and level in
    one query) and its rank from the Gram matrix of the columns, summed in the
    same way (:func:`gram_rank`).  ``combined`` is False when the columns are
    factors to multiply by the full-sample weight (R's ``combined.weights=FALSE``).
    """

    columns: tuple[str, ...]
    combined: bool = True

    @property
    def n_replicates(self) -> int:
        return len(self.columns)


# --------------------------------------------------------------------------
# the variance method
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ReplicateWeights:
    """Variance from replicate weights (R's ``svyrep.design`` and ``svrVar``).

    Built by :func:`surveyweights.replicate` (from a design) or by
    ``Design(..., replicate_weights=...)`` (from a file); users rarely build one
    directly.

    Attributes
    ----------
    structure : UnitWeights, ClusterFactors or JackknifeFactors
        How replicate weights follow from the full-sample weights.
    scale : float
    rscales : ndarray, shape (R,)
    mse : bool
        Centre on the full-sample estimate instead of the replicates' mean.
    type : str
        One of :data:`REPLICATE_TYPES`.
    rho : float or None
        Fay's rho.
    names : tuple of str
        The names of the replicate weight columns.
    design_degf : int
        The design degrees of freedom, R's ``degf``: rank of the analysis
        replicate weights minus 1.
    history : tuple of str
        The adjustments replayed on the replicates, oldest first.
    before : (structure, weights) or None
        The replicate weights the latest calibration started from (replicate r's
        are ``structure.column(weights, r)``), which
        :func:`~surveyweights.trim_weights` re-calibrates within its bounds, as it
        does with the full-sample design weights.
    psu_labels : pandas.Index or None
        On a SQL engine, the PSU labels in the order of the structure's PSUs
        (sorted within each stratum): per-PSU sums fetched from the database are
        put in this order before the factors are applied.
    name : str
        ``type``, shown in the design's repr.
    """

    structure: Any
    scale: float
    rscales: np.ndarray
    mse: bool = False
    type: str = "other"
    rho: float | None = None
    names: tuple[str, ...] = ()
    design_degf: int | None = None
    history: tuple[str, ...] = ()
    before: Any = field(default=None, repr=False)
    psu_labels: Any = field(default=None, repr=False)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.type)
        object.__setattr__(self, "rscales", np.asarray(self.rscales, dtype=float))
        if not self.names:
            object.__setattr__(self, "names", tuple(f"rep{i + 1}" for i in range(self.n_replicates)))

    @property
    def n_replicates(self) -> int:
        return self.structure.n_replicates

    # ------------------------------------------------------------- spread
    def spread(self, thetas: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """``scale * sum_r rscales_r (theta_r - c)^2`` for each estimate (R's ``svrVar``).

        ``thetas`` has the replicates on its first axis; ``c`` is the mean of the
        replicates with a positive rscale, or ``centre`` when ``mse=True``.  A
        replicate with a non-finite estimate is left out of that estimate.
        """
        th = np.asarray(thetas, dtype=float)
        R = th.shape[0]
        flat = th.reshape(R, -1)
        rs = self.rscales
        ok = np.isfinite(flat)
        pos = (rs > 0)[:, None] & ok
        if self.mse:
            c = np.broadcast_to(np.asarray(centre, dtype=float), th.shape[1:]).reshape(-1)
        else:
            cnt = pos.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                c = np.where(pos, flat, 0.0).sum(axis=0) / cnt
        d = np.where(ok, flat - c, 0.0)
        v = self.scale * (rs[:, None] * d * d).sum(axis=0)
        if not ok.all():
            dropped = (~ok).any(axis=0)
            v = np.where(ok.any(axis=0), v, np.nan)
            warnings.warn(
                f"{int((~ok).any(axis=1).sum())} of {R} replicates gave no estimate for "
                f"{int(dropped.sum())} estimate(s) (a domain without weight in those "
                f"replicates); they were left out of the variance of those estimates, as R's "
                f"svrVar does; a domain this small is better reported as unreliable",
                ReplicateNAWarning,
                stacklevel=user_stacklevel(),
            )
        return v.reshape(th.shape[1:])

    def spread_covariance(self, thetas: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """The covariance matrix of K estimates from their replicates (R, K)."""
        th = np.asarray(thetas, dtype=float)
        ok = np.isfinite(th).all(axis=1)
        if not ok.all():
            warnings.warn(
                f"{int((~ok).sum())} of {len(th)} replicates gave no estimate and were left "
                f"out of the covariance, as R's svrVar does",
                ReplicateNAWarning,
                stacklevel=user_stacklevel(),
            )
        th, rs = th[ok], self.rscales[ok]
        c = np.asarray(centre, dtype=float) if self.mse else th[rs > 0].mean(axis=0)
        d = (th - c) * np.sqrt(rs)[:, None]
        return self.scale * (d.T @ d)

    # ------------------------------------------------------------- estimates
    def replicate_estimates(self, design, reestimate: Reestimate | None) -> tuple[np.ndarray, np.ndarray]:
        """The estimates under every replicate (R, ...) and under the full-sample weights."""
        w = design._w
        if isinstance(reestimate, DomainTotals):
            t = self.structure.totals(w, reestimate.values, reestimate.group, reestimate.n_groups)
            thetas = reestimate.apply(t)
            full = reestimate.estimate if reestimate.estimate is not None else reestimate(w)
            return thetas, np.asarray(full, dtype=float)
        if reestimate is None or not callable(reestimate):
            raise InputError(
                "this estimator gives no way to recompute its estimates under other weights, "
                "which a replicate-weight design needs; pass reestimate= (a function of the "
                "weights) or a DomainTotals to design.variance.variance(...)"
            )
        full = np.asarray(reestimate(w), dtype=float)
        thetas = np.stack([np.asarray(reestimate(self.structure.column(w, r)), dtype=float)
                           for r in range(self.n_replicates)])
        return thetas, full

    def from_totals(self, totals: np.ndarray, combine, estimate: np.ndarray) -> DomainVariance:
        """The variance of estimates given their replicate totals (R, G, K).

        ``combine`` maps totals (..., G, K) to estimates (vectorised over the
        replicates); ``estimate`` is the full-sample estimate (the centre with
        ``mse=True``).  SQL engines compute the totals in the database (per-PSU
        sums times the factors, or sums of each replicate column).
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            thetas = combine(np.asarray(totals, dtype=float))
        full = np.asarray(estimate, dtype=float)
        var = self.spread(thetas, full)
        return DomainVariance(variance=np.asarray(var).reshape(np.shape(full)),
                              replicates=thetas, spread=self.spread)

    # ------------------------------------------------------------- the protocol
    def variance(self, design, scores, group, n_groups, *, index=None, cell_sums=None,
                 reestimate: Reestimate | None = None) -> DomainVariance:
        thetas, full = self.replicate_estimates(design, reestimate)
        var = self.spread(thetas, full)
        return DomainVariance(variance=np.asarray(var).reshape(np.shape(full)),
                              replicates=thetas, spread=self.spread)

    def covariance(self, design, scores, inside, *,
                   reestimate: Reestimate | None = None) -> np.ndarray:
        thetas, full = self.replicate_estimates(design, reestimate)
        R = thetas.shape[0]
        return self.spread_covariance(thetas.reshape(R, -1), full.reshape(-1))

    def domain_df(self, design, group, n_groups) -> np.ndarray:
        """R's ``degf(design[domain, ])``: rank of the domain's replicate weights minus 1."""
        group = np.asarray(group)
        if hasattr(self.structure, "domain_ranks"):  # PSU structures: one pass for all domains
            return self.structure.domain_ranks(group, n_groups) - 1.0
        w = design._w
        return np.array([self.structure.rank(w, np.flatnonzero(group == g)) - 1.0
                         for g in range(int(n_groups))])

    def degf(self, design) -> int:
        if self.design_degf is not None:
            return int(self.design_degf)
        return int(self.structure.rank(design._w, np.arange(design.n)) - 1)

    def analysis_weights(self, design) -> np.ndarray:
        """The (n, R) analysis replicate weights (materialised)."""
        return self.structure.weights(design._w)
