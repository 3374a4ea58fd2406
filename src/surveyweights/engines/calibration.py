"""Calibration of a SQL design to categorical margins, from per-cell sums.

With categorical margins a unit's auxiliary vector x_i depends only on its
*calibration cell* k (the cross of the margin variables), so g_i = F(x_k' lambda)
is constant in a cell and the calibration equations aggregate exactly:

    sum_i d_i g_i x_i = sum_k g_k X[k] (sum_{i in k} d_i) = t_x.

One GROUP BY (stratum x margin variables: units, sum d, sum d^2, min d, max d)
gives everything the solver (:func:`~surveyweights.weighting.calibration.calibration_factors`,
run on the K cells with weights sum_{i in k} d_i), the margin checks and the
diagnostics need (:func:`calibration_cells`).  The calibrated design's weight on
the SQL side is d * F(x' lambda), with x' lambda a sum of one small CASE per
margin, folded into the design's weight expression, so every query uses it unchanged; its variance method
(:class:`~surveyweights.variance.calibrated.CellCalibratedVariance`) takes the
calibration residuals from per-atom sums (:func:`calibrated_design`).  No unit row
leaves the engine.  The margins themselves are parsed and checked by
:func:`surveyweights.calibrate`, as in memory.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..variance.calibrated import CellCalibratedVariance, CellStep, ResidualStep
from ..variance.taylor import TaylorLinearization
from .base import not_on_engine
from .sql import SOURCE, strata_of

__all__ = ["CalibrationCells", "CellWeights", "calibrated_design", "calibration_cells"]


@dataclass(frozen=True)
class CellWeights:
    """The weights before calibration summarised per calibration cell.

    ``n`` units, ``sum`` and ``sum2`` (sum d, sum d^2), ``min`` and ``max`` of d per
    cell: enough for the solver (the calibration equations aggregate exactly over a
    cell, where g is constant) and for the Kish summary.
    """

    n: np.ndarray
    sum: np.ndarray
    sum2: np.ndarray
    min: np.ndarray
    max: np.ndarray


@dataclass(frozen=True)
class CalibrationCells:
    """The K calibration cells of a SQL design (the combinations of the margin variables).

    Attributes
    ----------
    columns : tuple of str
        The margin variables.
    frame : pandas.DataFrame
        One row per cell, one column per margin variable (None where a unit has no value).
    keys : pandas.Index
        The cells as an index (a MultiIndex for several variables), in ``frame``'s order.
    weights : CellWeights
    h, cell : ndarray of int
        Per (stratum x cell) row of the query: its stratum and its cell.
    d_sum : ndarray
        Per (stratum x cell) row: sum d.
    """

    columns: tuple
    frame: pd.DataFrame
    keys: pd.Index
    weights: CellWeights
    h: np.ndarray
    cell: np.ndarray
    d_sum: np.ndarray


def _floats(values) -> np.ndarray:
    """A query's result column as floats, 0 for NULL (an empty sum)."""
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").fillna(0.0).to_numpy(float)


def calibration_cells(design, columns) -> CalibrationCells:
    """One GROUP BY over stratum x margin variables: the design's calibration cells."""
    vm = design.variance
    if not isinstance(vm, (TaylorLinearization, CellCalibratedVariance)):
        raise not_on_engine(design, f"calibrating a design with the variance method {vm.name!r}")
    src = design.engine
    sq = design._sql
    cols = tuple(columns)
    ns = len(sq["strata"])
    sel = [f"{src.q(c)} AS __s{i}" for i, c in enumerate(sq["strata"])]
    sel += [f"{src.q(c)} AS __c{j}" for j, c in enumerate(cols)]
    keys = [f"__s{i}" for i in range(ns)] + [f"__c{j}" for j in range(len(cols))]
    fs = src.fsum
    res = src.run(
        f"SELECT {', '.join(keys)}, count(*) AS __n, {fs('__d')} AS __sd, "
        f"{fs('__d * __d')} AS __sd2, min(__d) AS __dmin, max(__d) AS __dmax FROM "
        f"(SELECT {', '.join(sel)}, {sq['weight']} AS __d FROM {SOURCE}) AS __t "
        f"GROUP BY {', '.join(keys)}")
    h = strata_of(design, res, len(res["__n"]))
    # without a weight column the queries count with weight 1; d = N_h / n_h is applied here
    sc = np.ones(len(h)) if sq["scale"] is None else sq["scale"][h]
    n = _floats(res["__n"])
    d_sum, d_sum2 = _floats(res["__sd"]) * sc, _floats(res["__sd2"]) * sc * sc
    d_min, d_max = _floats(res["__dmin"]) * sc, _floats(res["__dmax"]) * sc
    vals = [pd.Series(res[f"__c{j}"], dtype=object).where(lambda v: v.notna(), None)
            for j in range(len(cols))]
    if len(cols) == 1:
        cell, uniq = pd.factorize(pd.Index(vals[0], dtype=object), sort=False,
                                  use_na_sentinel=False)
        keys_ix = pd.Index(list(uniq), dtype=object, name=cols[0])
        frame = pd.DataFrame({cols[0]: pd.Series(list(uniq), dtype=object)})
    else:
        combo = pd.Series(list(zip(*vals)), dtype=object)
        cell, uniq = pd.factorize(combo, sort=False, use_na_sentinel=False)
        keys_ix = pd.MultiIndex.from_tuples(list(uniq), names=list(cols))
        frame = pd.DataFrame({c: pd.Series([u[j] for u in uniq], dtype=object)
                              for j, c in enumerate(cols)})
    K = len(uniq)
    cell = np.asarray(cell, dtype=np.intp)
    per = pd.DataFrame({"cell": cell, "min": d_min, "max": d_max}).groupby("cell")
    weights = CellWeights(
        n=np.bincount(cell, weights=n, minlength=K).astype(np.int64),
        sum=np.bincount(cell, weights=d_sum, minlength=K),
        sum2=np.bincount(cell, weights=d_sum2, minlength=K),
        min=per["min"].min().reindex(range(K)).to_numpy(),
        max=per["max"].max().reindex(range(K)).to_numpy())
    return CalibrationCells(cols, frame, keys_ix, weights, h, cell, d_sum)


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _nested_case(src, columns, items) -> str:
    """A value per combination of ``columns`` as CASE expressions nested by column."""
    col = src.q(columns[0])
    groups: dict = {}
    for key, gk in items:
        groups.setdefault(_plain(key[0]), []).append((key[1:], gk))
    whens = []
    for v, rest in groups.items():
        inner = (src.lit(rest[0][1]) if len(columns) == 1
                 else _nested_case(src, columns[1:], rest))
        whens.append(f"WHEN {src.lit(v)} THEN {inner}")
    return f"(CASE {col} {' '.join(whens)} END)"


def _factor_sql(src, terms, method: str, bounds) -> str:
    """g = F(x' lambda) in SQL: x' lambda as a sum of one small CASE per margin.

    ``terms`` are (columns, [(level values, lambda)]) per categorical margin and
    plain numbers (the population size's lambda).  x' lambda adds one lambda per
    margin, so a row meets each margin's levels only, not all K cells (at 1e6 rows
    and 660 cells: 0.2 s per query instead of 4 s for a CASE over the cells).
    """
    parts = []
    for term in terms:
        if isinstance(term, tuple):
            columns, items = term
            parts.append(_nested_case(src, columns, items))
        else:
            parts.append(src.lit(float(term)))
    u = "(" + " + ".join(parts) + ")"
    lo, hi = bounds
    if method == "logit":
        A = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
        c = float(np.log((1.0 - lo) / (hi - 1.0)))
        z = f"({src.lit(A)} * {u} + {src.lit(c)})"
        return (f"({src.lit(lo)} + {src.lit(hi - lo)} * "
                f"(CAST(1.0 AS DOUBLE) / (CAST(1.0 AS DOUBLE) + exp(-{z}))))")
    g = f"(CAST(1.0 AS DOUBLE) + {u})" if method == "linear" else f"exp({u})"
    if np.isfinite(lo) and (method == "linear" or lo > 0):
        g = f"greatest({g}, {src.lit(float(lo))})"
    if np.isfinite(hi):
        g = f"least({g}, {src.lit(float(hi))})"
    return g


def calibrated_design(design, cells: CalibrationCells, g: np.ndarray, residual: ResidualStep,
                      result, *, terms: list, method: str, bounds: tuple, replay: Callable):
    """A copy of the SQL ``design`` with weights d g, the calibration step and its report.

    The weight is d F(x' lambda) computed in the engine from ``terms`` (see
    :func:`_factor_sql`); ``g`` (per cell, from the solver) is the same factor for the
    variance.  ``replay(in_memory_design)`` makes the same calibration in memory
    (``design.collect()``).
    """
    src = design.engine
    sq = design._sql
    weight = f"({sq['weight']}) * {_factor_sql(src, terms, method, bounds)}"
    sw_h = np.bincount(cells.h, weights=cells.d_sum * g[cells.cell], minlength=design.n_strata)
    step = CellStep(cells.columns, cells.keys, np.asarray(g, dtype=float), residual, replay)
    vm = design.variance
    new_vm = vm.then(step) if isinstance(vm, CellCalibratedVariance) \
        else CellCalibratedVariance(vm, (step,))
    out = copy.copy(design)  # same source, strata and PSUs; new weights and variance
    for name, value in (("variance", new_vm), ("calibration", result),
                        ("history", tuple(design.history) + (result,)),
                        ("_sql", {**sq, "weight": weight, "sw_h": sw_h}), ("_cache", {})):
        object.__setattr__(out, name, value)
    return out
