"""Calibration of a SQL design to categorical margins, from per-cell sums.

With categorical margins a unit's auxiliary vector x_i depends only on its
*calibration cell* k (the cross of the margin variables), so g_i = F(x_k' lambda)
is constant in a cell and the calibration equations aggregate exactly:

    sum_i d_i g_i x_i = sum_k g_k X[k] (sum_{i in k} d_i) = t_x.

One GROUP BY (stratum x margin variables: units, sum d, sum d^2, min d, max d)
gives everything the solver (:func:`~surveyweights.weighting.calibration.calibration_factors`,
run on the K cells with weights sum_{i in k} d_i), the margin checks and the
diagnostics need.  The calibrated design's weight on the SQL side is d * g[k], a
CASE over the cells folded into the design's weight expression, so every query
uses it unchanged; its variance method
(:class:`~surveyweights.variance.calibrated.CellCalibratedVariance`) takes the
calibration residuals from per-atom sums.  No unit row leaves the engine.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from .._strata import show
from ..errors import InputError, MissingValueError
from ..variance.calibrated import CellCalibratedVariance, CellStep, ResidualStep
from ..variance.taylor import TaylorLinearization
from .base import not_on_engine
from .sql import SOURCE

__all__ = ["calibrate_sql"]


def _margin_columns(design, pairs) -> list[str]:
    from ..weighting.calibration import _columns_of, _label

    cols: list[str] = []
    for key, spec in pairs:
        if not isinstance(spec, (Mapping, pd.Series)):
            raise not_on_engine(
                design, f"calibration to the numeric total of margin {_label(key)} (its auxiliary "
                        f"varies unit by unit)",
                alternatives="categorical margins ({level: count}, computed from cell sums), or ")
        cols += [c for c in _columns_of(key) if c not in cols]
    return cols


def _lookup_strata(design, res: dict) -> np.ndarray:
    sq = design._sql
    ns = len(sq["strata"])
    m = len(res["__n"])
    if ns == 0:
        return np.zeros(m, dtype=np.intp)
    if ns == 1:
        return sq["lookup"].get_indexer(pd.Index(res["__s0"], dtype=object))
    return sq["lookup"].get_indexer(pd.MultiIndex.from_arrays([res[f"__s{i}"] for i in range(ns)]))


def calibrate_sql(design, margins, *, method: str, lo: float, hi: float, population_size,
                  collapse, variance: str, tolerance: float, max_iterations: int):
    """:func:`~surveyweights.calibrate` on a SQL design (categorical margins only)."""
    from ..estimation._sql import _num, _scale
    from ..weighting.calibration import (CellWeights, _calibrate_spec, _columns_of, _label,
                                         _normalise, _parse)

    vm = design.variance
    if not isinstance(vm, (TaylorLinearization, CellCalibratedVariance)):
        raise not_on_engine(design, f"calibrating a design with the variance method {vm.name!r}")
    if variance == "rake":
        raise not_on_engine(design, "variance='rake' (R rake()'s sweeps over the units)",
                            alternatives="variance='calibration' (the default), or ")
    pairs = _normalise(margins)
    cols = _margin_columns(design, pairs)
    src = design.engine
    for key, _ in pairs:  # the in-memory check's message for a missing column
        missing = [c for c in _columns_of(key) if c not in src.schema()]
        if missing:
            raise InputError(
                f"margin {_label(key)}: column(s) {missing} not found in the design's data; "
                f"available columns: {list(src.schema())}"
            )
    sq = design._sql
    ns = len(sq["strata"])
    sel = [f"{src.q(c)} AS __s{i}" for i, c in enumerate(sq["strata"])]
    sel += [f"{src.q(c)} AS __c{j}" for j, c in enumerate(cols)]
    keys = [f"__s{i}" for i in range(ns)] + [f"__c{j}" for j in range(len(cols))]
    fs = src.fsum
    sql = (f"SELECT {', '.join(keys)}, count(*) AS __n, {fs('__d')} AS __sd, "
           f"{fs('__d * __d')} AS __sd2, min(__d) AS __dmin, max(__d) AS __dmax FROM "
           f"(SELECT {', '.join(sel)}, {sq['weight']} AS __d FROM {SOURCE}) AS __t "
           f"GROUP BY {', '.join(keys)}")
    res = src.run(sql)
    n = _num(res["__n"])
    vals = {c: np.asarray(res[f"__c{j}"], dtype=object) for j, c in enumerate(cols)}
    for key, _ in pairs:  # a unit without a value in a margin variable: as in memory
        for c in _columns_of(key):
            na = pd.isna(pd.Series(vals[c], dtype=object)).to_numpy()
            if na.any():
                raise MissingValueError(
                    f"margin {_label(key)}: column {c!r} is missing in {int(n[na].sum())} row(s); "
                    f"every unit needs a value to be calibrated: impute it or give those units a "
                    f"level of their own"
                )
    h = _lookup_strata(design, res)
    sc = _scale(design, h)
    d_sum, d_sum2 = _num(res["__sd"]) * sc, _num(res["__sd2"]) * sc * sc
    d_min, d_max = _num(res["__dmin"]) * sc, _num(res["__dmax"]) * sc
    # the calibration cells: distinct combinations of the margin variables
    if len(cols) == 1:
        cell, uniq = pd.factorize(pd.Index(vals[cols[0]], dtype=object), sort=False)
        cell_keys = pd.Index(list(uniq), dtype=object, name=cols[0])
    else:
        cell, uniq = pd.factorize(pd.MultiIndex.from_arrays([vals[c] for c in cols]), sort=False)
        cell_keys = pd.MultiIndex.from_tuples(list(uniq), names=cols)
    K = len(cell_keys)
    agg = lambda v: np.bincount(cell, weights=v, minlength=K)  # noqa: E731
    n_k = agg(n).astype(np.int64)
    cw = CellWeights(n=n_k, sum=agg(d_sum), sum2=agg(d_sum2),
                     min=pd.Series(d_min).groupby(cell).min().reindex(range(K)).to_numpy(),
                     max=pd.Series(d_max).groupby(cell).max().reindex(range(K)).to_numpy())
    frame = pd.DataFrame({c: (cell_keys if len(cols) == 1 else cell_keys.get_level_values(c)
                              ).to_numpy(dtype=object) for c in cols})
    spec = _parse(frame, margins, collapse, population_size, counts=n_k)
    text = f"within bounds=({show(lo)}, {show(hi)})"
    result, fit = _calibrate_spec(cell_keys, spec, cw.sum, method=method, lo=lo, hi=hi,
                                  bounds=(lo, hi), tolerance=tolerance,
                                  max_iterations=max_iterations, bounds_text=text, cells=cw)
    g = fit.g
    result = replace(result, g=pd.Series(g, index=cell_keys, name="g"), design_weights=cw.sum)
    # the calibrated weight d * g[k]: a CASE over the cells, inside the weight expression
    whens = []
    for k in range(K):
        key = (cell_keys[k],) if len(cols) == 1 else cell_keys[k]
        cond = " AND ".join(f"{src.q(c)} = {src.lit(_plain(v))}" for c, v in zip(cols, key))
        whens.append(f"WHEN {cond} THEN {src.lit(float(g[k]))}")
    weight = f"({sq['weight']}) * (CASE {' '.join(whens)} END)"
    H = design.n_strata
    sw_h = np.bincount(h, weights=d_sum * g[cell], minlength=H)
    call = dict(margins=margins, method=method, bounds=(lo, hi), population_size=population_size,
                collapse=collapse, tolerance=tolerance, max_iterations=max_iterations)
    step = CellStep(tuple(cols), cell_keys, g,
                    ResidualStep(spec.aux, cw.sum, g, fit.columns, gram=fit.gram), call)
    new_vm = vm.then(step) if isinstance(vm, CellCalibratedVariance) \
        else CellCalibratedVariance(vm, (step,))
    out = copy.copy(design)  # same source, strata and PSUs; new weights and variance
    for name, value in (("variance", new_vm), ("calibration", result),
                        ("history", tuple(design.history) + (result,)),
                        ("_sql", {**sq, "weight": weight, "sw_h": sw_h}),
                        ("_cache", {})):
        object.__setattr__(out, name, value)
    return out


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v
