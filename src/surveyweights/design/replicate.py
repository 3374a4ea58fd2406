"""Replicate designs built from a design: jackknife, BRR/Fay, bootstrap and successive differences.

:func:`replicate` turns a :class:`~surveyweights.Design` (strata, PSUs, fpc) into a
new design whose variance comes from replicate weights
(:class:`~surveyweights.variance.replicate.ReplicateWeights`), with the
conventions of R's ``as.svrepdesign`` (survey 4.1):

* ``"jk1"`` -- delete-one-PSU jackknife of an unstratified design: scale
  (1 - f)(n - 1)/n, rscales 1 (R's ``jk1weights``);
* ``"jkn"`` -- stratified jackknife: replicate r deletes one PSU of stratum h and
  multiplies the other PSUs of h by n_h/(n_h - 1); scale 1, rscales
  (1 - f_h)(n_h - 1)/n_h.  Strata taken completely (f_h = 1, certainty strata)
  get no replicates, as R with ``survey.drop.replicates=TRUE``; single-PSU strata
  follow the design's ``lonely_psu`` as R's ``jknweights``;
* ``"brr"`` and ``"fay"`` -- balanced repeated replication for designs with two
  PSUs per stratum: R's Hadamard matrix (``hadamard()``: Sylvester, Paley), the
  selected PSU of each stratum gets factor 2 - rho and the other rho; scale
  1/(R (1 - rho)^2);
* ``"bootstrap"`` -- Canty and Davison's bootstrap (R's ``bootweights``): per
  stratum n_h PSUs drawn with replacement (without replacement from a
  pseudo-population of N_h when the design has an fpc); scale
  nbar/((nbar - 1)(R - 1)) with nbar the harmonic mean of the n_h;
* ``"subbootstrap"`` -- Rao and Wu's rescaled bootstrap (R's ``subbootweights``):
  n_h - 1 PSUs drawn with replacement, factors times n_h/(n_h - 1); scale 1/(R - 1);
* ``"sdr"`` -- successive-difference replication (Fay and Train 1995): PSUs in
  data order within each stratum, PSU k gets factor
  1 + sqrt(1 - f_h) 2^(-3/2) (a_k,r - a_k+1,r) from two consecutive rows of a
  +/-1 Hadamard matrix of order R (cyclic within the stratum); scale 4/R.

Replicates are kept as their structure (a factor per PSU and replicate, or the
jackknife's deleted PSU), so no n x R matrix is materialised until asked for
(:attr:`Design.replicate_weights`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import DesignError, EngineError, InputError
from ..variance.replicate import (
    ClusterFactors,
    JackknifeFactors,
    ReplicateWeights,
)
from .design import Design, require_design

__all__ = ["REPLICATE_METHODS", "hadamard", "replay_adjustment", "replicate"]

#: The methods of :func:`replicate`.
REPLICATE_METHODS: tuple[str, ...] = ("jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "sdr")


def replicate(
    design: Design,
    *,
    method: str,
    replicates: int | None = None,
    rng: Any = None,
    rho: float | None = None,
    mse: bool = False,
) -> Design:
    """A new design whose variance comes from replicate weights built from ``design``.

    Parameters
    ----------
    design : Design
        A design with strata, PSUs and fpc and Taylor-linearization variance.
    method : {"jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "sdr"}, keyword-only
        See the module notes.  ``"jk1"`` needs an unstratified design, ``"jkn"``,
        ``"brr"`` and ``"fay"`` a stratified one (as R).
    replicates : int, keyword-only
        Number of replicates for ``"bootstrap"``, ``"subbootstrap"`` (required) and
        ``"sdr"`` (default 80, the ACS's; must be the order of a Hadamard matrix
        we build: a power of 2, or 2^k (p + 1) for a prime p = 3 mod 4).  The
        jackknife has one replicate per PSU and BRR one per Hadamard row.
    rng : int, numpy.random.Generator or SeedSequence, keyword-only
        Required for ``"bootstrap"`` and ``"subbootstrap"``.
    rho : float, keyword-only
        Fay's coefficient, 0 < rho < 1, for ``"fay"`` (R's ``fay.rho``).
    mse : bool, default False, keyword-only
        Centre the variance on the full-sample estimate instead of the mean of
        the replicate estimates (R's ``mse=TRUE``).

    Returns
    -------
    Design
        The same data, weights, strata, PSUs and fpc, with
        :class:`~surveyweights.variance.replicate.ReplicateWeights` as its variance
        method.  Every estimator works on it unchanged.

    Raises
    ------
    InputError
        Unknown method, bad ``replicates``/``rng``/``rho``, a design that already
        has replicate weights.
    DesignError
        A design that does not fit the method (strata for ``"jk1"``, none for
        ``"jkn"``, not two PSUs per stratum for BRR, a stratum of one PSU for the
        sub-bootstrap, every stratum taken completely).

    Notes
    -----
    Matches R's ``as.svrepdesign(design, type=...)`` (``"JK1"``, ``"JKn"``,
    ``"BRR"``, ``"Fay"``, ``"bootstrap"``, ``"subbootstrap"``) for the replicate
    weights, scale, rscales and ``degf``, and hence ``svymean``, ``svytotal``,
    ``svyby``, ``svyciprop`` and ``svychisq`` on the result.  Bootstrap draws use
    numpy's generator, so they are not R's random numbers; SDR has no R
    counterpart in survey 4.1 (the ``svrep`` package has one).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2.0, 3.0, 4.0, 5.0, 9.0]})
    >>> r = sw.replicate(sw.Design(df, ids="psu"), method="jk1")
    >>> r.variance.n_replicates, r.degf
    (3, 2)
    >>> round(float(sw.mean(r, "y").se.iloc[0]), 6)  # R: SE(svymean(~y, as.svrepdesign(d, "JK1")))
    1.607275
    """
    require_design(design)
    if not isinstance(method, str) or method not in REPLICATE_METHODS:
        raise InputError(
            f"method={method!r} is not a replicate method; choose one of {list(REPLICATE_METHODS)}"
        )
    if isinstance(design.variance, ReplicateWeights):
        raise InputError(
            f"the design already has {design.variance.type!r} replicate weights; build "
            f"replicates from the original design (strata, PSUs, fpc) instead"
        )
    if getattr(design, "calibration", None) is not None or getattr(design, "history", ()):
        raise InputError(
            "the design's weights were adjusted (calibrated, raked, trimmed or nonresponse-"
            "adjusted); replicates built from them would ignore the adjustment. Build the "
            "replicates from the design before the adjustment and adjust the replicate design: "
            "sw.calibrate(sw.replicate(design, method=...), ...) re-calibrates every replicate"
        )
    if not isinstance(mse, (bool, np.bool_)):
        raise InputError(f"mse={mse!r} must be True or False")
    if method != "fay" and rho is not None:
        raise InputError(f"rho= is Fay's coefficient; it is used only with method='fay', not {method!r}")
    cluster, cluster_stratum, psu_labels = _clusters(design, method)
    if method in ("jk1", "jkn"):
        if replicates is not None:
            raise InputError(
                f"replicates={replicates!r} does not apply to method={method!r}: the jackknife "
                f"has one replicate per PSU"
            )
        structure, scale, rscales = _jackknife(design, cluster, cluster_stratum, method)
        extra: dict = {}
    elif method in ("brr", "fay"):
        if replicates is not None:
            raise InputError(
                f"replicates={replicates!r} does not apply to method={method!r}: BRR uses one "
                f"replicate per column of a Hadamard matrix"
            )
        if method == "fay":
            if rho is None or not isinstance(rho, (int, float, np.floating)) or not 0 < rho < 1:
                raise InputError(
                    f"method='fay' needs rho= strictly between 0 and 1 (Fay's coefficient, "
                    f"e.g. rho=0.5), got {rho!r}"
                )
        r_rho = float(rho) if method == "fay" else 0.0
        structure, scale, rscales = _brr(design, cluster, cluster_stratum, r_rho)
        extra = {"rho": r_rho}
    elif method in ("bootstrap", "subbootstrap"):
        n_rep = _check_replicates(replicates, method, required=True)
        if rng is None:
            raise InputError(
                f"method={method!r} draws random replicates; pass rng= (an int seed or a "
                f"numpy Generator) so that the replicates can be reproduced"
            )
        gen = _make_rng(rng)
        structure, scale, rscales = _bootstrap(design, cluster, cluster_stratum, n_rep, gen,
                                               sub=method == "subbootstrap")
        extra = {}
    else:  # sdr
        n_rep = _check_replicates(80 if replicates is None else replicates, method, required=False)
        structure, scale, rscales = _sdr(design, cluster, cluster_stratum, n_rep)
        extra = {}
    variance = ReplicateWeights(structure, scale, rscales, mse=bool(mse), type=method,
                                psu_labels=psu_labels, **extra)
    # every unit touches its own PSU, so the design's rank is that of all PSU rows
    degf = structure.rank_of_touched(np.ones(len(cluster_stratum), dtype=bool)) - 1
    variance = replace(variance, design_degf=int(degf))
    return replace(design, weights=design.weights, strata=design.strata, fpc=design.fpc,
                   variance=variance)


def replay_adjustment(design: Design, adjust, *, label: str, remember_input: bool = False,
                      rows: np.ndarray | None = None, before: Any = None,
                      indexed: bool = False) -> ReplicateWeights:
    """The replicate method of ``design`` after a weight adjustment, replayed per replicate.

    An adjuster (calibration, raking, post-stratification, trimming, nonresponse
    adjustment) that changes the full-sample weights w into ``adjust(w)`` must
    change every replicate's weights the same way, so that the replicate variance
    reflects the adjustment (R's ``calibrate.svyrep.design``, ``rake`` and
    ``postStratify`` on replicate designs).  This applies ``adjust`` to each
    column of the analysis replicate weights and returns the new variance method
    (unit-level weights, R's ``degf`` recomputed, ``label`` added to its history).

    Parameters
    ----------
    design : Design
        A design whose variance method is
        :class:`~surveyweights.variance.replicate.ReplicateWeights`.
    adjust : callable
        ``adjust(d)`` -> adjusted weights, for a weight vector ``d`` of shape (n,):
        the adjuster's pure function (e.g. ``d * calibration_factors(d, ...).g``).
        It may return fewer rows (the respondents of a nonresponse adjustment),
        the same for every replicate.  With ``indexed=True`` it is called as
        ``adjust(d, r)`` with the replicate's number r (0-based).
    label : str
        What was replayed, e.g. ``"calibrate(raking)"``.
    remember_input : bool, keyword-only
        Keep the replicate weights the adjustment started from (restricted to
        ``rows``) in the result's ``before``: a calibration does, so that
        trimming can re-calibrate from them.
    rows : ndarray of int, optional, keyword-only
        The input rows the adjusted design keeps (for ``remember_input``).
    before : optional, keyword-only
        Otherwise, the ``before`` to carry (a re-calibration keeps its calibration's).
    """
    from ..variance.replicate import UnitWeights

    v = design.variance
    if not isinstance(v, ReplicateWeights):
        raise InputError("replay_adjustment needs a design with replicate weights")
    if design._sql is not None:
        from ..engines.base import not_on_engine

        raise not_on_engine(design, f"replaying {label} on every replicate's weights")
    base = v.analysis_weights(design)
    R = v.n_replicates
    out = None
    for r in range(R):
        col = np.ascontiguousarray(base[:, r])
        got = adjust(col, r) if indexed else adjust(col)
        if out is None:
            out = np.empty((len(got), R))
        out[:, r] = got
    if remember_input:
        if rows is None:
            before = (v.structure, design._w)
        else:
            before = (UnitWeights(np.ascontiguousarray(base[np.asarray(rows)])), None)
    structure = UnitWeights(out)
    rank = structure.rank(None, np.arange(out.shape[0]))
    return replace(v, structure=structure, design_degf=int(rank - 1),
                   history=tuple(v.history) + (label,), before=before)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _make_rng(rng: Any) -> np.random.Generator:
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"rng={rng!r} cannot seed a random generator ({exc}); pass an int seed, a "
            f"numpy.random.Generator or a SeedSequence"
        ) from None


def _check_replicates(replicates: Any, method: str, *, required: bool) -> int:
    if replicates is None:
        raise InputError(
            f"method={method!r} needs replicates= (the number of replicate weights, e.g. 200)"
        )
    if isinstance(replicates, (bool, np.bool_)) or not isinstance(replicates, (int, np.integer)):
        raise InputError(f"replicates={replicates!r} must be a whole number >= 2")
    if replicates < 2:
        raise InputError(f"replicates={replicates!r} must be at least 2")
    return int(replicates)


def _clusters(design: Design, method: str) -> tuple[np.ndarray, np.ndarray, Any]:
    """The PSU code of each unit (0..C-1, first appearance), the stratum of each PSU, and
    (SQL engines) the PSU labels.

    A SQL design has no unit rows: its PSUs come from one ``SELECT DISTINCT`` of
    (stratum, PSU), ordered by stratum and then by label (in memory: by first
    appearance), and each unit finds its factors through its PSU's label.
    """
    if design._sql is not None:
        return _sql_clusters(design, method)
    if design._psu is None:
        cluster = np.arange(design.n, dtype=np.intp)
        return cluster, design._h.astype(np.intp), None
    cluster = design._psu.astype(np.intp)
    cs = np.zeros(int(cluster.max()) + 1, dtype=np.intp)
    cs[cluster] = design._h
    return cluster, cs, None


def _sql_clusters(design: Design, method: str):
    import pandas as pd

    from ..engines.sql import psus_query
    from .design import _key_sort

    if design.ids is None:
        raise EngineError(
            f"sw.replicate(method={method!r}) on the {design.engine.name} engine needs a design "
            f"with PSUs (ids=): replicate factors are per PSU, and the engine sums the units "
            f"of each PSU (one row per PSU and domain comes back). In an element design every "
            f"unit is its own PSU, so that would fetch n = {design.n:,} per-unit totals, the "
            f"unit data itself; use design.collect() to build the replicates in memory, or "
            f"replicate weight columns stored in the source (Design(..., replicate_weights=...))"
        )
    src = design.engine
    sq = design._sql
    res = src.run(psus_query(src, strata=sq["strata"], ids=design.ids))
    ns = len(sq["strata"])
    if ns == 0:
        h = np.zeros(len(res["__p"]), dtype=np.intp)
    elif ns == 1:
        h = sq["lookup"].get_indexer(pd.Index(res["__s0"], dtype=object))
    else:
        h = sq["lookup"].get_indexer(pd.MultiIndex.from_arrays([res[f"__s{i}"] for i in range(ns)]))
    labels = list(res["__p"])
    order = sorted(range(len(labels)), key=lambda i: (int(h[i]), _key_sort(labels[i])))
    psu_labels = pd.Index([labels[i] for i in order], dtype=object)
    return np.empty(0, dtype=np.intp), np.asarray(h, dtype=np.intp)[order], psu_labels


def _jackknife(design: Design, cluster, cluster_stratum, method):
    H = design.n_strata
    n_h = design._n_h
    f_h = design._f_h
    if method == "jk1" and H > 1:
        raise DesignError(
            f"method='jk1' is the jackknife of an unstratified design, but this design has {H} "
            f"strata; use method='jkn' (as R's as.svrepdesign)"
        )
    if method == "jkn" and design.strata is None:
        raise DesignError(
            "method='jkn' needs a stratified design; use method='jk1' or 'bootstrap' for an "
            "unstratified one (as R's as.svrepdesign)"
        )
    deleted, stratum, inside, outside, rscales = [], [], [], [], []
    C = len(cluster_stratum)
    by_stratum = [np.flatnonzero(cluster_stratum == h) for h in range(H)]
    for h in range(H):
        psus = by_stratum[h]
        n = int(n_h[h])
        corr = 1.0 - float(f_h[h])
        if corr < 1e-7:  # taken completely: no replicates (R's survey.drop.replicates)
            continue
        if n == 1:
            option = design.lonely_psu
            if option == "adjust":
                deleted.append(int(psus[0]))
                stratum.append(h)
                inside.append(0.0)
                outside.append(H / (H - 1) if H > 1 else 0.0)
                rscales.append((H - 1) / H)
            continue  # remove / certainty / average: no replicate ("fail" raised earlier)
        for p in psus:
            deleted.append(int(p))
            stratum.append(h)
            inside.append(n / (n - 1))
            outside.append(1.0)
            rscales.append(corr * (n - 1) / n)
    if not deleted:
        raise DesignError(
            "every stratum is taken completely (fpc equals the sample size), so the design has "
            "no sampling variance and no jackknife replicates; you have the whole population"
        )
    structure = JackknifeFactors(cluster, cluster_stratum, np.array(deleted, dtype=np.intp),
                                 np.array(stratum, dtype=np.intp), np.array(inside),
                                 np.array(outside))
    R = len(deleted)
    if method == "jk1":
        n = C
        corr = 1.0 - float(f_h[0])
        return structure, corr * (n - 1) / n, np.ones(R)
    scale = 1.0
    if R < C and design.lonely_psu == "average":
        scale = C / R  # R's jknweights
    return structure, scale, np.array(rscales)


def _brr(design: Design, cluster, cluster_stratum, rho):
    H = design.n_strata
    n_h = design._n_h
    bad = np.flatnonzero(n_h != 2)
    if design.strata is None or len(bad):
        k = bad[0] if len(bad) else 0
        raise DesignError(
            f"BRR needs exactly 2 PSUs in every stratum, but stratum "
            f"{design._stratum_labels[k]!r} has {int(n_h[k])}; pair PSUs into pseudo-strata of "
            f"two (or collapse strata), or use method='jkn' or 'bootstrap'"
        )
    had = hadamard(H)  # 0/1, first row all ones
    # R's brrweights: strata in sorted order of their labels; the first PSU (first
    # appearance) of the k-th stratum is selected in replicate i when had[k + 1, i] == 1
    labels = np.asarray(design._stratum_labels, dtype=object)
    order = sorted(range(H), key=lambda h: str(labels[h]))
    rank_of = np.empty(H, dtype=np.intp)
    rank_of[order] = np.arange(H)
    C = len(cluster_stratum)
    first = np.zeros(C, dtype=bool)
    seen = np.zeros(H, dtype=bool)
    for p in range(C):
        h = cluster_stratum[p]
        if not seen[h]:
            first[p] = True
            seen[h] = True
    sel = had[1 + rank_of[cluster_stratum]]  # (C, R): 1 where the stratum's first PSU is chosen
    chosen = np.where(first[:, None], sel == 1, sel == 0)
    factors = np.where(chosen, 2.0 - rho, rho)
    R = had.shape[1]
    if design.fpc is not None and (design._f_h > 0).any():
        import warnings

        from ..errors import SurveyWeightsWarning, user_stacklevel

        warnings.warn(
            "BRR and Fay replicates ignore the finite population correction (as R's "
            "as.svrepdesign, which drops it); use method='jkn' to keep it",
            SurveyWeightsWarning,
            stacklevel=user_stacklevel(),
        )
    return ClusterFactors(cluster, factors), 1.0 / (R * (1.0 - rho) ** 2), np.ones(R)


def _bootstrap(design: Design, cluster, cluster_stratum, R, gen, *, sub):
    H = design.n_strata
    n_h = design._n_h
    f_h = design._f_h
    C = len(cluster_stratum)
    factors = np.empty((C, R))
    for h in range(H):
        psus = np.flatnonzero(cluster_stratum == h)
        n = len(psus)
        if sub:
            if n < 2:
                raise DesignError(
                    f"stratum {design._stratum_labels[h]!r} has a single PSU; the sub-bootstrap "
                    f"draws n_h - 1 = 0 PSUs there; collapse it with a neighbour or use "
                    f"method='bootstrap'"
                )
            counts = gen.multinomial(n - 1, np.full(n, 1.0 / n), size=R)
            factors[psus] = counts.T * (n / (n - 1))
        elif f_h[h] > 0:
            # without replacement from a pseudo-population of N_h (R: rep(psu, length = N_h))
            N = int(math.floor(n / f_h[h] + 1e-9))
            colors = np.full(n, N // n, dtype=np.int64)
            colors[gen.permutation(n)[: N % n]] += 1
            counts = gen.multivariate_hypergeometric(colors, n, size=R)
            factors[psus] = counts.T
        else:
            counts = gen.multinomial(n, np.full(n, 1.0 / n), size=R)
            factors[psus] = counts.T
    if sub:
        scale = 1.0 / (R - 1)
    else:
        nbar = 1.0 / np.mean(1.0 / n_h)
        if nbar <= 1:
            raise DesignError(
                "every stratum has a single PSU, so the bootstrap has no variance; collapse strata"
            )
        scale = nbar / ((nbar - 1.0) * (R - 1))
    return ClusterFactors(cluster, factors), scale, np.ones(R)


def _sdr(design: Design, cluster, cluster_stratum, R):
    had = hadamard_order(R) * 2.0 - 1.0  # +/-1
    H = design.n_strata
    f_h = design._f_h
    C = len(cluster_stratum)
    factors = np.ones((C, R))
    c = 2.0 ** -1.5
    row = 0  # a running row counter (rows 1..R-1) across strata
    for h in range(H):
        psus = np.flatnonzero(cluster_stratum == h)
        n = len(psus)
        if n < 2:
            continue
        r1 = 1 + (row + np.arange(n)) % (R - 1)
        r2 = np.roll(r1, -1)  # cyclic: the last PSU pairs with the first
        row += n
        factors[psus] = 1.0 + np.sqrt(max(1.0 - f_h[h], 0.0)) * c * (had[r1] - had[r2])
    return ClusterFactors(cluster, factors), 4.0 / R, np.ones(R)


# --------------------------------------------------------------------------
# Hadamard matrices (0/1 coding, first row and column all ones, as R's survey)
# --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _small_primes() -> tuple[int, ...]:
    """Primes p = 3 (mod 4) up to 7919: the Paley primes of R's survey::paley."""
    limit = 7919
    sieve = np.ones(limit + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, int(limit ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = False
    return tuple(int(p) for p in np.flatnonzero(sieve) if p % 4 == 3)


def _sylvester(size: int) -> np.ndarray:
    i = np.arange(size)
    bits = np.bitwise_and(i[:, None], i[None, :])
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return (1 - parity).astype(np.int8)


def _doubler(h: np.ndarray) -> np.ndarray:
    return np.block([[h, h], [h, 1 - h]]).astype(np.int8)


def _paley_prime(p: int) -> np.ndarray:
    """Paley's construction of order p + 1 for a prime p = 3 (mod 4), as R's ``paley(prime=p)``."""
    m = np.add.outer(np.arange(p), np.arange(p)) % p
    res = {0, 1} | {(i * i) % p for i in range(2, (p - 1) // 2 + 1)}
    core = np.where(np.isin(m, list(res)), 0, 1)
    out = np.ones((p + 1, p + 1), dtype=np.int8)
    out[1:, 1:] = core
    return out


def _paley(n: int, nmax: int) -> np.ndarray | None:
    """R's ``survey::paley(n, nmax)``: a Paley-type matrix of order > n, or None."""
    primes = _small_primes()
    nceil = nn = n + 4 - (n % 4)
    if (n % 4) + 4 == (n % 8):
        while nn % 8 == 0:
            nn //= 2
        if (nn - 1) in primes:
            m = _paley_prime(nn - 1)
            while nn < nceil:
                m = _doubler(m)
                nn *= 2
            return m
    if n > max(primes):
        return None
    p = min(q for q in primes if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3, 2 * (nceil + 3))
    if p > nmax:
        return None
    return _paley_prime(p)


_PRECOOKED = (4, 16, 28, 36)  # R's survey:::hadamard.sizes


def hadamard(n: int) -> np.ndarray:
    """A 0/1 Hadamard matrix with more than ``n`` rows, as R's ``survey::hadamard(n)``.

    Follows R's choice (a Sylvester matrix, a Paley matrix, or a doubling) so that
    BRR replicates match R's.  Where R doubles one of its stored matrices of order
    28 or 36, we use the smallest Sylvester or Paley-type matrix of order > n
    instead (a valid but different set of replicates).

    Examples
    --------
    >>> hadamard(3).tolist()
    [[1, 1, 1, 1], [1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1]]
    >>> hadamard(11).shape
    (12, 12)
    """
    m = n - (n % 4)
    sizes = np.array(_PRECOOKED)
    pre = np.flatnonzero((m < sizes) & (m + 4 >= sizes))
    if len(pre):
        s = int(sizes[pre.min()])
        if s in (4, 16):
            return _sylvester(s)
        return _fallback(n)
    if (m < sizes).all():
        return _sylvester(4)
    scaled = sizes * 2.0 ** np.maximum(0, np.ceil(np.log2((n + 1) / sizes)))
    best = int(np.argmin(scaled - n))
    h = None
    if scaled[best] - n > 4:
        h = _paley(n, int(scaled[best]))
    if h is None:
        if sizes[best] in (4, 16):
            h = _sylvester(int(scaled[best]))
        else:
            return _fallback(n)
    return h


def _fallback(n: int) -> np.ndarray:
    """The smallest Sylvester or (doubled) Paley matrix of order > n."""
    best = None
    order = 4
    while order <= 4 * (n + 4):
        if order > n and (best is None or order < best):
            best = order
        order *= 2
    for p in _small_primes():
        order = p + 1
        if order > n and (best is None or order < best):
            best = order
        if order > n:
            break
    return hadamard_order(int(best))


def hadamard_order(order: int) -> np.ndarray:
    """A 0/1 Hadamard matrix of exactly ``order`` rows (Sylvester or doubled Paley)."""
    k = order
    doublings = 0
    while True:
        if k >= 4 and (k & (k - 1)) == 0:
            h = _sylvester(k)
            break
        if (k - 1) in _small_primes():
            h = _paley_prime(k - 1)
            break
        if k % 2 or k < 8:
            near = [r for r in range(4, 4 * order + 8, 4) if _buildable(r)]
            below = max([r for r in near if r <= order], default=None)
            above = min([r for r in near if r >= order], default=None)
            raise InputError(
                f"no Hadamard matrix of order {order} is available here (we build powers of 2 "
                f"and 2^k (p + 1) for primes p = 3 mod 4); choose replicates={below} or {above}"
            )
        k //= 2
        doublings += 1
    for _ in range(doublings):
        h = _doubler(h)
    return h


def _buildable(order: int) -> bool:
    k = order
    while True:
        if k >= 4 and (k & (k - 1)) == 0:
            return True
        if (k - 1) in _small_primes():
            return True
        if k % 2 or k < 8:
            return False
        k //= 2
