"""Independent samples in one design: survey waves, regions sampled separately.

``sw.stack({"2023": d23, "2025": d25}, key="year")`` gives one :class:`Design`
whose rows are those of both waves, with a column ``year``.  Each wave keeps its
own strata, PSUs and fpc, so the waves are independent samples: estimates of one
wave have no covariance with those of the other, and the change between waves,
``sw.difference(both, "adoption", by="year", between=("2025", "2023"))``, has
SE sqrt(SE_2023^2 + SE_2025^2).  This is R's ``svydesign`` on the ``rbind`` of
the waves with strata ``interaction(year, stratum)`` (and ReGenesees' ``svyDelta``,
Stata's ``svy`` with independent samples).  A panel -- the same units in both
waves -- is not independent and must not be stacked.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._strata import show
from ..engines.base import require_memory
from ..errors import DesignError, InputError
from ..variance import MultistageLinearization, TaylorLinearization
from ..variance.stacked import StackedVariance
from .design import Design

__all__ = ["stack"]


def _labels(d: Design) -> np.ndarray:
    """Each row's stratum label (stage 1)."""
    return np.asarray(d._stratum_labels, dtype=object)[d._h]


def stack(designs: Mapping[Hashable, Design] | Sequence[Design], *, key: str | None = None) -> Design:
    """One design made of independent samples, each keeping its own strata.

    Parameters
    ----------
    designs : mapping of label to Design, or sequence of Design
        The independent samples, e.g. ``{"2023": d23, "2025": d25}``.
    key : str, optional, keyword-only
        Name of a new column holding each row's label (a categorical in the order
        of ``designs``), to use in ``by=``.  The strata and PSUs are then
        namespaced by it: stratum ``"a"`` of wave ``"2023"`` becomes ``"2023: a"``.
        Without ``key``, the designs' strata labels must all differ (separately
        sampled regions, say).

    Returns
    -------
    Design
        The rows of all designs (index 0..n-1; the inputs are not changed),
        their weights, strata, PSUs and fpc.  Its variance is the sum of the
        samples' variances, each computed by the sample's own variance method.

    Raises
    ------
    DesignError
        Strata labels shared by two designs without ``key`` (they would be
        merged into one stratum); designs with different ``lonely_psu`` options
        or numbers of stages; a ``key`` column that exists already.
    InputError
        Something other than designs, or ``key`` with a sequence.

    Notes
    -----
    For independent samples s, Var(sum_s t_s) = sum_s Var(t_s), and a domain
    estimate (a wave's mean) has variance from its own sample only; the
    difference of two waves' means therefore has variance Var_1 + Var_2.  The
    design df is the sum of the samples' (R's ``degf`` of the stacked design:
    PSUs minus strata).  Matches R's ``svydesign(id=~1, strata=~interaction(wave,
    stratum), fpc=, weights=, data=rbind(...))`` with ``svyby``, ``svycontrast``,
    ``svyttest`` and ``svychisq`` by wave.  Each sample's variance method is
    kept: calibrated samples keep their own residuals, replicate-weight samples
    their replicates.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> a = sw.Design(pd.DataFrame({"h": ["x", "x", "y", "y"], "v": [1.0, 2, 3, 5]}), strata="h")
    >>> b = sw.Design(pd.DataFrame({"h": ["x", "x", "x"], "v": [2.0, 4, 9]}), strata="h")
    >>> both = sw.stack({"2023": a, "2025": b}, key="year")
    >>> both.n_strata, both.degf
    (3, 4)
    """
    labels, waves = _as_waves(designs, key)
    for d in waves:
        require_memory(d, "sw.stack (it concatenates the samples' unit rows)",
                       alternatives="one source holding every wave, with the wave in the strata "
                                    "(strata=['wave', 'stratum']), or ")
    option = {d.lonely_psu for d in waves}
    if len(option) > 1:
        raise DesignError(
            f"the designs have different lonely_psu options ({sorted(option)}); give them the "
            f"same one first, e.g. design.with_lonely_psu('adjust')"
        )
    stages = {d.n_stages for d in waves}
    if len(stages) > 1:
        raise DesignError(
            f"the designs have different numbers of stages ({sorted(stages)}); stacking keeps "
            f"each design's stages, so give them the same: e.g. describe a one-stage design's "
            f"units as a second stage, or use the ultimate-cluster form (fpc=None, weights=)"
        )
    if key is not None:
        for lab, d in zip(labels, waves):
            if key in d.data.columns:
                raise DesignError(
                    f"key={key!r} is already a column of design {show(lab)}'s data; choose a new "
                    f"column name for the sample labels, e.g. key='wave'"
                )
    else:
        seen: dict[Any, int] = {}
        for i, d in enumerate(waves):
            for s in map(str, np.unique(np.asarray(d._stratum_labels, dtype=object).astype(str))):
                if s in seen:
                    raise DesignError(
                        f"stratum {s!r} occurs in design {seen[s]} and in design {i}: stacked "
                        f"without key= their units would form one stratum, as if sampled "
                        f"together; give key='wave' (with a mapping {{label: design}}) to keep "
                        f"each design's strata apart"
                    )
                seen[s] = i
    n = [d.n for d in waves]
    starts = np.concatenate([[0], np.cumsum(n)])
    frames = []
    for lab, d in zip(labels, waves):
        f = d.data.reset_index(drop=True)
        if key is not None:
            f = f.assign(**{key: lab})
        frames.append(f)
    data = pd.concat(frames, ignore_index=True)
    if key is not None:
        data[key] = pd.Categorical(data[key], categories=list(labels))
    prefix = [f"{lab}: " if key is not None else "" for lab in labels]
    strata = pd.Series(np.concatenate([p + _labels(d).astype(str) for p, d in zip(prefix, waves)]),
                       name="stratum")
    weights = pd.Series(np.concatenate([d._w for d in waves]), name="weight")
    ids: Any = None
    if any(d._psu is not None for d in waves):
        psu = np.concatenate([
            (d._psu if d._psu is not None else np.arange(d.n)).astype(np.int64) + 10 ** 12 * i
            for i, d in enumerate(waves)])
        ids = pd.Series(psu, name="psu")
    fpc: Any = None
    with_fpc = [d.fpc is not None for d in waves]
    if any(with_fpc) and not all(with_fpc):
        raise DesignError(
            f"designs {', '.join(show(l) for l, f in zip(labels, with_fpc) if not f)} have no fpc "
            f"and the others have one; give every design its fpc (or none), so that the stacked "
            f"design keeps each one's finite population correction"
        )
    if all(with_fpc):
        per_stage = [d.fpc if isinstance(d.fpc, tuple) else (d.fpc,) for d in waves]
        fpc = [pd.Series(np.concatenate([s[k].to_numpy(dtype=float) for s in per_stage]))
               for k in range(len(per_stage[0]))]
        if len(fpc) == 1:
            fpc = fpc[0]
    ids: Any = None
    if any(d._psu is not None for d in waves) or waves[0].n_stages > 1:
        # PSUs unique across the samples; element samples' units are their own PSUs
        psu = np.concatenate([
            (d._psu if d._psu is not None else np.arange(d.n)).astype(np.int64) + starts[i]
            for i, d in enumerate(waves)])
        ids = pd.Series(psu, name="psu")
        if waves[0].n_stages > 1:
            ids = [ids, *(pd.Series(np.concatenate([d._stages[k].cluster for d in waves]))
                          for k in range(1, waves[0].n_stages))]
    default = all(type(d.variance) in (TaylorLinearization, MultistageLinearization) for d in waves)
    variance = None if default else StackedVariance(
        tuple(waves), tuple((int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])))
    return Design(data, weights=weights, strata=strata, ids=ids, fpc=fpc,
                  lonely_psu=waves[0].lonely_psu, variance=variance)


def _as_waves(designs, key):
    if isinstance(designs, Design):
        raise InputError("stack() takes several designs: a mapping {label: design} or a list")
    if isinstance(designs, Mapping):
        labels = list(designs.keys())
        waves = list(designs.values())
    else:
        if key is not None:
            raise InputError(
                f"key={key!r} needs labels: pass a mapping {{label: design}}, e.g. "
                f"sw.stack({{'2023': d23, '2025': d25}}, key={key!r})"
            )
        try:
            waves = list(designs)
        except TypeError:
            raise InputError("stack() takes a mapping {label: design} or a list of designs") from None
        labels = list(range(len(waves)))
    if len(waves) < 2:
        raise InputError(f"stack() needs at least two designs, got {len(waves)}")
    for lab, d in zip(labels, waves):
        if not isinstance(d, Design):
            raise InputError(f"design {show(lab)} is a {type(d).__name__}, not a Design")
    return labels, waves
