"""The stages of a multistage design: which clusters, strata and sampling fractions each has.

R's ``svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)`` samples districts
(stage 1), then schools within each sampled district (stage 2).  This module
reduces such a specification to integer codes, one :class:`Stage` per stage, with
the same conventions as R's ``svydesign`` and ``as.fpc`` (survey 4.1):

* the sampling unit of stage s is the combination of the ``ids`` columns of stages
  1..s (a school is identified within its district, as R's ``interaction``);
* the strata of stage s >= 2 are the sampling units of stage s - 1 (schools are
  sampled within each district; strata inside the later stages are not supported);
* ``n`` is the number of sampled units of the stage in each of its strata; the fpc
  of the stage gives, per unit, either the population size N of its stratum
  (values > 1) or the sampling fraction n/N (all values <= 1), decided stage by
  stage;
* without weights, the weight of a unit is the product over the stages of N/n
  (R's ``weights(fpc)``, the inverse of the product of the inclusion
  probabilities).

The variance that reads these codes is :class:`surveyweights.variance.MultistageLinearization`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._strata import check_columns, show
from ..errors import DesignError, InputError, LonelyPSUError, SurveyWeightsWarning, user_stacklevel

__all__ = ["Stage", "id_values", "later_stages", "split_stage_specs", "value_range"]


@dataclass(frozen=True)
class Stage:
    """One stage of a design, as integer codes (the variance method reads only these).

    Attributes
    ----------
    number : int
        1 for the primary sampling units, 2 for the units sampled within them, ...
    stratum : ndarray of int, shape (n,)
        The stratum of each row at this stage (for s >= 2: its stage s - 1 unit).
    cluster : ndarray of int, shape (n,)
        The sampling unit of each row at this stage.
    n : ndarray of int, shape (H_s,)
        Sampled units of the stage per stratum.
    fraction : ndarray of float, shape (H_s,)
        Sampling fraction n/N per stratum (0: sampled with replacement, no fpc).
    parent : ndarray of int, shape (H_s,)
        The group of strata over which ``lonely_psu="average"`` averages: all
        strata for stage 1, the stratum itself for later stages (R averages within
        the stage s - 1 unit, which holds exactly one stratum of stage s).
    prefix : ndarray of float, shape (H_s,)
        Product of the sampling fractions of the earlier stages (1 for stage 1):
        the factor R's ``svyrecvar`` applies to the stage's variance.
    labels : ndarray of object, shape (H_s,)
        A readable name of each stratum, for messages.
    """

    number: int
    stratum: np.ndarray
    cluster: np.ndarray
    n: np.ndarray
    fraction: np.ndarray
    parent: np.ndarray
    prefix: np.ndarray
    labels: np.ndarray

    @property
    def lonely(self) -> np.ndarray:
        """The strata with a single sampled unit that were not taken completely."""
        return (self.n == 1) & (self.fraction < 1 - 1e-7)


def _as_list(spec: Any) -> list | None:
    if spec is None:
        return None
    if isinstance(spec, (list, tuple)):
        return list(spec)
    return [spec]


def split_stage_specs(ids: Any, fpc: Any) -> tuple[tuple[str, ...], list | None]:
    """The ``ids`` columns (one per stage) and the fpc specifications (one per stage, or None).

    Refuses specifications that do not say what each stage is: ids that are not
    column names, an fpc list whose length differs from the number of stages.
    """
    if ids is None:
        cols: tuple[str, ...] = ()
    elif isinstance(ids, str):
        cols = (ids,)
    elif isinstance(ids, (list, tuple)):
        cols = tuple(ids)
        if not cols:
            raise InputError("ids=[] names no stage; leave ids out for element sampling, or "
                             "give one column per stage, e.g. ids=['dnum', 'snum']")
        for c in cols:
            if not isinstance(c, (str, pd.Series)):
                raise InputError(
                    f"ids contains {c!r}, which is not a column name; give one column name "
                    f"per stage, e.g. ids=['dnum', 'snum']"
                )
        names = [c for c in cols if isinstance(c, str)]
        if len(set(names)) != len(names):
            raise InputError(f"ids={list(cols)} names a column twice; give one column per stage")
    elif isinstance(ids, pd.Series):
        cols = (ids,)
    else:
        raise InputError(
            f"ids must be a column name or a list of column names (one per stage), got "
            f"{type(ids).__name__}"
        )
    fpcs = _as_list(fpc)
    k = len(cols)
    # a single fpc (not a list) with several stages is as partial as a short list
    if fpcs is not None and (isinstance(fpc, (list, tuple)) or k > 1):
        if len(fpcs) != max(k, 1):
            stages = f"{k} stage{'s' if k != 1 else ''}" if k else "element sampling (no ids)"
            raise DesignError(
                f"fpc gives {len(fpcs)} finite population correction(s) but ids={list(cols)} "
                f"describes {stages}; give one fpc per stage, e.g. ids=['dnum', 'snum'], "
                f"fpc=['fpc1', 'fpc2'] (R's svydesign(id=~dnum+snum, fpc=~fpc1+fpc2)), or "
                f"fpc=None with weights= for the with-replacement (ultimate cluster) variance"
            )
    return cols, fpcs


def value_range(codes: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest value in each group ``0..size-1`` of ``codes``."""
    lo = np.full(size, np.inf)
    hi = np.full(size, -np.inf)
    np.minimum.at(lo, codes, values)
    np.maximum.at(hi, codes, values)
    return lo, hi


def id_values(data: pd.DataFrame, spec: Any, stage: int) -> tuple[pd.Series, str]:
    """The ids of one stage (a column, or an aligned Series) and a name for messages."""
    if isinstance(spec, pd.Series):
        if not spec.index.equals(data.index):
            raise InputError(
                f"the ids Series of stage {stage} is not aligned with the data's index; pass a "
                f"column name or a Series with the same index as the data"
            )
        return spec, str(spec.name) if spec.name is not None else f"ids (stage {stage})"
    check_columns(data, [spec], what="ids" if stage == 1 else f"ids (stage {stage})",
                  table="the data")
    return data[spec], spec


def _stage_fpc(data: pd.DataFrame, spec: Any, stage: int) -> np.ndarray:
    """The fpc values of one stage, as floats, checked for missing and non-positive values."""
    if isinstance(spec, str):
        check_columns(data, [spec], what=f"fpc (stage {stage})", table="the data")
        s = data[spec]
    elif isinstance(spec, pd.Series):
        if not spec.index.equals(data.index):
            raise InputError(
                f"the fpc Series of stage {stage} is not aligned with the data's index; pass a "
                f"column name or a Series with the same index as the data"
            )
        s = spec
    else:
        raise InputError(
            f"the fpc of stage {stage} must be a column name or a Series aligned with the "
            f"data, got {type(spec).__name__}"
        )
    fv = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(fv) | (fv <= 0)
    if bad.any():
        rows = ", ".join(show(i) for i in data.index[bad][:10])
        raise DesignError(
            f"the fpc of stage {stage} is missing, non-numeric or not positive in "
            f"{int(bad.sum())} row(s) (index {rows}); give the population size (or sampling "
            f"fraction) of every unit's stratum at every stage"
        )
    return fv


def later_stages(
    data: pd.DataFrame,
    ids: tuple[str, ...],
    fpcs: Sequence[Any],
    first: Stage,
    lonely_psu: str,
) -> tuple[tuple[Stage, ...], list[pd.Series]]:
    """Stages 2..k of a multistage design (``first`` is stage 1), and each stage's N per row.

    Raises
    ------
    DesignError
        A missing id, an fpc that varies within a stage's stratum (a stage s - 1
        unit) or is smaller than the number of units sampled in it.
    LonelyPSUError
        A stage s - 1 unit with a single sampled stage s unit, not taken completely,
        under ``lonely_psu="fail"``.
    """
    stages = [first]
    sizes: list[pd.Series] = []
    prev = first
    prefix_row = np.ones(len(data))
    for s in range(2, len(ids) + 1):
        values, col = id_values(data, ids[s - 1], s)
        miss = values.isna().to_numpy()
        if miss.any():
            rows = ", ".join(show(i) for i in data.index[miss][:10])
            raise DesignError(
                f"the stage {s} id column {col!r} is missing in {int(miss.sum())} row(s) "
                f"(index {rows}); every row needs a unit at every stage"
            )
        own, _ = pd.factorize(values, sort=False)
        # the stage s unit is identified within its stage s - 1 unit (R's interaction)
        nested = prev.cluster.astype(np.int64) * (int(own.max()) + 1) + own
        cluster = np.unique(nested, return_inverse=True)[1].reshape(-1).astype(np.intp)
        stratum = prev.cluster.astype(np.intp)
        H = int(stratum.max()) + 1
        unit_stratum = np.zeros(int(cluster.max()) + 1, dtype=np.intp)
        unit_stratum[cluster] = stratum
        n = np.bincount(unit_stratum, minlength=H)
        labels = _parent_labels(data, [id_values(data, c, k + 1) for k, c in enumerate(ids[: s - 1])],
                                stratum, H)
        fv = _stage_fpc(data, fpcs[s - 1], s)
        lo, hi = value_range(stratum, fv, H)
        varying = np.flatnonzero(lo != hi)
        if len(varying):
            k = varying[0]
            raise DesignError(
                f"the fpc of stage {s} varies within {labels[k]} (from {show(lo[k])} to "
                f"{show(hi[k])}); it must be the number of stage {s} units ({col!r}) in the "
                f"population of that stage {s - 1} unit, the same on each of its rows"
            )
        if np.all(fv <= 1):
            fraction = lo
            N = n / fraction
        else:
            N = lo
            small = np.flatnonzero(N < n)
            if len(small):
                k = small[0]
                raise DesignError(
                    f"the fpc of stage {s} is {show(N[k])} in {labels[k]}, smaller than its "
                    f"{n[k]} sampled {col!r} units; it must be the population size of the stage "
                    f"(or, if all its values are <= 1, the sampling fraction)"
                )
            fraction = n / N
        prefix_row = prefix_row * prev.fraction[prev.stratum]
        prefix = np.ones(H)
        prefix[stratum] = prefix_row
        stage = Stage(s, stratum, cluster, n.astype(np.int64), np.asarray(fraction, float),
                      np.arange(H, dtype=np.intp), prefix, labels)
        _check_lonely(stage, col, lonely_psu)
        stages.append(stage)
        sizes.append(pd.Series(N[stratum], index=data.index, name=f"fpc{s}"))
        prev = stage
    return tuple(stages), sizes


def _parent_labels(data: pd.DataFrame, cols: list, stratum: np.ndarray, H: int) -> np.ndarray:
    """'dnum=200' (or 'dnum=200, snum=3') for each stage s - 1 unit."""
    first = np.full(H, -1, dtype=np.intp)
    first[stratum[::-1]] = np.arange(len(stratum))[::-1]
    vals = [(name, values.to_numpy(dtype=object)[first]) for values, name in cols]
    return np.array([", ".join(f"{c}={show(v[k])}" for c, v in vals) for k in range(H)],
                    dtype=object)


def _check_lonely(stage: Stage, col: str, lonely_psu: str) -> None:
    lonely = np.flatnonzero(stage.lonely)
    if not len(lonely):
        return
    names = "; ".join(str(stage.labels[k]) for k in lonely[:5]) + ("; ..." if len(lonely) > 5 else "")
    if lonely_psu == "fail":
        raise LonelyPSUError(
            f"{len(lonely)} stage {stage.number - 1} unit(s) have a single sampled {col!r} unit "
            f"at stage {stage.number} ({names}), so their stage {stage.number} variance cannot "
            f"be estimated; choose lonely_psu='remove', 'certainty', 'adjust' or 'average' (as "
            f"R's options(survey.lonely.psu=)), or give an fpc showing they were taken completely"
        )
    if lonely_psu == "average":
        warnings.warn(
            f"lonely_psu='average' at stage {stage.number}: {len(lonely)} stage "
            f"{stage.number - 1} unit(s) ({names}) have a single sampled {col!r} unit and no "
            f"other stratum to average over, so every variance they enter is NaN (as R's "
            f"svyrecvar); choose lonely_psu='adjust', 'remove' or 'certainty' for these designs",
            SurveyWeightsWarning,
            stacklevel=user_stacklevel(),
        )
