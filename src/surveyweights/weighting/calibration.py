"""Calibration of survey weights to known totals: linear (GREG), raking, logit, bounds.

The calibrated weights w_i = d_i g_i stay as close as possible to the design
weights d_i (in the distance of the chosen method) while reproducing known
population totals of auxiliary variables x_i exactly:

    sum_i d_i g_i x_i = t_x.

With g_i = F(x_i' lambda) the calibration equations are solved for lambda by
Newton's method (Deville & Särndal 1992).  The methods are R's ``calibrate(calfun=)``:

=========  ===============================================  ==========================
method     F(u)                                             g range
=========  ===============================================  ==========================
linear     1 + u  (GREG; post-stratification on one margin)  any (truncated by bounds)
raking     exp(u) (multiplicative; what ``rake()`` converges to)  (0, inf), truncated by bounds
logit      L + (U - L) expit(A u + c), A = (U-L)/((U-1)(1-L))  (L, U), needs finite bounds
=========  ===============================================  ==========================

with c = log((1-L)/(U-1)), so that F(0) = 1.  ``bounds=(L, U)`` truncates the
linear and raking methods (R's ``cal.linear`` and ``cal.raking`` with bounds; the
"truncated linear" method of Deville & Särndal).

Layers
------
* :func:`calibration_factors` -- the pure solver: design weights d, an
  :class:`~surveyweights.weighting.auxiliary.AuxiliaryMatrix` (or a dense array) X,
  totals, method, bounds -> g.  It knows nothing of designs or labels, so the
  replicate-weight methods can replay a calibration on each replicate's weights.
* :func:`calibrate` and :func:`rake` -- margins given by name and level, checked
  with messages that name the fix, solved, and returned as a new
  :class:`~surveyweights.Design` whose variance method takes the calibration
  residuals (:mod:`surveyweights.variance.calibrated`), with the diagnostics
  (:class:`CalibrationResult`) attached as ``design.calibration``.

The solver
----------
Newton's method on the convex dual Phi(lambda) = sum_i d_i P(x_i' lambda) -
lambda' t (P' = F), with a backtracking line search on Phi, so that raking from a
far start and the truncated (piecewise) methods converge where a plain Newton
step overshoots (R's ``grake`` halves the step only when g becomes infinite).
Overlapping margins (country x size with country x sector) make X
rank-deficient: a set of linearly independent columns is chosen once (pivoted
QR of the scaled d-weighted Gram matrix), the targets of the other columns are
checked to follow from theirs, and Newton runs on the independent columns.
Convergence: every margin cell within ``tolerance`` x (1 + |target|), R's
criterion (R's default epsilon is 1e-7; ours is 1e-10).  The solution g is
unique for every method, so it does not depend on the path: it equals R's up to
both programs' convergence tolerances.

References
----------
Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in survey
sampling. *JASA* 87, 376-382.  Deville, J.-C., Särndal, C.-E. and Sautory, O.
(1993). Generalized raking procedures in survey sampling. *JASA* 88, 1013-1020.
Lumley, T. (2010). *Complex Surveys*, ch. 7.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special

from .._strata import show
from .. import _display
from ..errors import CalibrationError, ConvergenceError, InputError, MissingValueError
from ..variance.calibrated import CalibratedVariance, RakeStep, ResidualStep
from ..variance.replicate import ReplicateWeights
from ..engines.calibration import CellWeights, calibrated_design, calibration_cells
from .auxiliary import AuxiliaryMatrix, CategoricalBlock, NumericBlock
from .poststratify import kish_summary

__all__ = [
    "METHODS",
    "VARIANCES",
    "CalibrationFit",
    "CalibrationResult",
    "calibrate",
    "calibration_factors",
    "independent_columns",
    "rake",
]

#: Valid values of ``method=``.
METHODS: tuple[str, ...] = ("linear", "raking", "logit")
#: Valid values of ``variance=``.
VARIANCES: tuple[str, ...] = ("calibration", "rake")
#: Relative size of a pivot below which a column of the scaled Gram matrix is
#: taken as a linear combination of the columns before it.
_RANK_RTOL = 1e-9
#: Relative tolerance for the targets of dependent columns (overlapping margins).
_CONSISTENCY_RTOL = 1e-8


# --------------------------------------------------------------------------- solver
def _bounds_arrays(method: str, bounds, n: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (None, None) if bounds is None else bounds
    lo = -np.inf if lo is None else lo
    hi = np.inf if hi is None else hi
    lo = np.broadcast_to(np.asarray(lo, dtype=float), (n,))
    hi = np.broadcast_to(np.asarray(hi, dtype=float), (n,))
    if method == "raking":
        lo = np.maximum(lo, 0.0)
    return lo, hi


def _distance(method: str, u: np.ndarray, lo: np.ndarray, hi: np.ndarray, free: bool = False):
    """g = F(u), F'(u) and a primitive P(u) of F (the dual objective's integrand).

    ``free``: no finite bound (linear: lo = -inf; raking: lo <= 0), hi = inf.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if free and method == "linear":
            return 1.0 + u, np.ones_like(u), u + 0.5 * u * u
        if free and method == "raking":
            e = np.exp(u)
            return e, e, e
        if method == "linear":
            v = 1.0 + u
            g = np.clip(v, lo, hi)
            dg = ((v > lo) & (v < hi)).astype(float)
            below = np.minimum(v - lo, 0.0)
            above = np.maximum(v - hi, 0.0)
            P = u + 0.5 * u * u - 0.5 * below * below - 0.5 * above * above
        elif method == "raking":
            e = np.exp(u)
            g = np.clip(e, lo, hi)
            inside = (e > lo) & (e < hi)
            dg = np.where(inside, e, 0.0)
            P = np.where(inside, e, 0.0)
            low = e <= lo
            P = np.where(low, lo * (1.0 + u - np.log(np.where(low, lo, 1.0))), P)
            high = e >= hi
            P = np.where(high, hi * (1.0 + u - np.log(np.where(high, hi, 1.0))), P)
        else:  # logit
            A = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
            c = np.log((1.0 - lo) / (hi - 1.0))
            s = special.expit(A * u + c)
            g = lo + (hi - lo) * s
            dg = (hi - lo) * A * s * (1.0 - s)
            P = lo * u + (hi - lo) / A * np.logaddexp(0.0, A * u + c)
    return g, dg, P


def independent_columns(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linearly independent columns of X from its Gram matrix X' D X.

    Returns ``(S, dep, coef)``: the independent columns, the others, and the
    coefficients expressing each dependent column in the independent ones
    (X[:, dep] = X[:, S] @ coef on the sample).  Columns are chosen by Cholesky
    factorisation with diagonal pivoting of the Gram matrix scaled to unit
    diagonal (rank-revealing for a positive semidefinite matrix; Higham 2002,
    sec. 10.3): a column whose remaining (Schur complement) diagonal falls below
    1e-9 is a combination of the columns chosen before it.  All-zero columns are
    dependent with coefficient 0.
    """
    p = gram.shape[0]
    diag = np.diag(gram).copy()
    live = np.flatnonzero(diag > 0)
    if len(live) == 0:
        return np.zeros(0, dtype=np.intp), np.arange(p), np.zeros((0, p))
    s = np.sqrt(diag[live])
    C = gram[np.ix_(live, live)] / np.outer(s, s)
    m = len(live)
    L = np.zeros((m, m))
    rest = np.diag(C).copy()
    chosen: list[int] = []
    for k in range(m):
        j = int(np.argmax(rest))
        if rest[j] <= _RANK_RTOL:
            break
        col = C[:, j] - L[:, :k] @ L[j, :k]
        col /= np.sqrt(rest[j])
        L[:, k] = col
        rest -= col * col
        rest[j] = -np.inf
        rest[chosen] = -np.inf
        chosen.append(j)
    S = np.sort(live[chosen])
    dep = np.setdiff1d(np.arange(p), S)
    if len(dep):
        coef = linalg.solve(gram[np.ix_(S, S)], gram[np.ix_(S, dep)], assume_a="pos")
    else:
        coef = np.zeros((len(S), 0))
    return S, dep, coef


@dataclass(frozen=True)
class CalibrationFit:
    """What :func:`calibration_factors` found (frozen).

    Attributes
    ----------
    g : ndarray, shape (n,)
        The calibration factors; the calibrated weights are ``d * g``.
    converged : bool
        Every total reproduced within ``tolerance * (1 + |total|)``.
    iterations : int
        Newton iterations done.
    misfit : ndarray, shape (p,)
        Achieved minus target total, per column of X.
    max_relative_misfit : float
        max_j |misfit_j| / (1 + |target_j|), the convergence criterion.
    tolerance : float
    lam : ndarray, shape (p,)
        The Lagrange multipliers (zero on dependent columns); g = F(X @ lam).
    columns : ndarray of int
        The independent columns of X used by Newton's method.
    """

    g: np.ndarray
    converged: bool
    iterations: int
    misfit: np.ndarray
    max_relative_misfit: float
    tolerance: float
    lam: np.ndarray = field(repr=False)
    columns: np.ndarray = field(repr=False)
    gram: np.ndarray | None = field(default=None, repr=False)


def calibration_factors(
    d: np.ndarray,
    aux: AuxiliaryMatrix | np.ndarray,
    totals: np.ndarray,
    *,
    method: str = "linear",
    bounds: tuple | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
    columns: np.ndarray | None = None,
    gram: np.ndarray | None = None,
) -> CalibrationFit:
    """Calibration factors g for weights d, auxiliaries X and totals t (the pure solver).

    Solves sum_i d_i g_i x_i = t with g_i = F(x_i' lambda) (see the module
    docstring for F).  No labels, no design, no checks of the margins: the
    building block for :func:`calibrate` and for replaying a calibration on
    replicate weights (give the same ``aux``, ``totals``, ``method`` and
    ``bounds`` as ``design.calibration``, and a replicate's weights as ``d``; units
    with d = 0 keep g = F(x' lambda) but contribute nothing).

    Parameters
    ----------
    d : ndarray, shape (n,)
        Weights before calibration (nonnegative).
    aux : AuxiliaryMatrix or ndarray, shape (n, p)
    totals : ndarray, shape (p,)
    method : {"linear", "raking", "logit"}, keyword-only
    bounds : (lower, upper) or None, keyword-only
        Bounds on g, each a number or an array of n per-unit bounds (None: no bound).
        Required (finite, lower < 1 < upper) for ``"logit"``.
    tolerance : float, default 1e-10, keyword-only
        Converged when every |achieved - target| <= tolerance (1 + |target|).
    max_iterations : int, default 100, keyword-only
    columns : ndarray of int, optional, keyword-only
        Independent columns of X, if already known (:func:`independent_columns`).
    gram : ndarray, optional, keyword-only
        X' diag(d) X, if already computed (it is returned in ``CalibrationFit.gram``).

    Returns
    -------
    CalibrationFit
        ``converged`` is False (never an exception) when the tolerance was not
        reached: the caller decides what to say.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> fit = calibration_factors(np.array([2.0, 2.0, 3.0]), X, np.array([6.0, 6.0]))
    >>> fit.g.round(6).tolist(), fit.converged
    ([1.5, 1.5, 2.0], True)
    """
    if method not in METHODS:
        raise InputError(f"method={method!r} is not a calibration method; choose one of {list(METHODS)}")
    d = np.asarray(d, dtype=float)
    if not isinstance(aux, AuxiliaryMatrix):
        aux = AuxiliaryMatrix.from_dense(aux)
    T = np.asarray(totals, dtype=float).ravel()
    n, p = aux.n, aux.p
    if len(d) != n or len(T) != p:
        raise InputError(f"d has {len(d)} values and totals {len(T)} for an auxiliary matrix of "
                         f"shape ({n}, {p}); give one weight per row and one total per column")
    lo, hi = _bounds_arrays(method, bounds, n)
    if method == "logit" and not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))
                                  and np.all(lo < 1) and np.all(hi > 1)):
        raise InputError("logit calibration needs finite bounds with lower < 1 < upper, "
                         "e.g. bounds=(0.5, 2.0)")
    free = bool(np.all(hi == np.inf) and (np.all(lo == -np.inf) if method == "linear"
                                          else np.all(lo <= 0)))
    gram0 = aux.gram(d) if gram is None else gram
    S = independent_columns(gram0)[0] if columns is None else np.asarray(columns)
    diag0 = np.maximum(np.diag(gram0)[S], np.finfo(float).tiny)
    scale_T = 1.0 + np.abs(T)

    lam = np.zeros(p)
    u = np.zeros(n)
    g, dg, P = _distance(method, u, lo, hi, free)
    misfit = T - aux.rmatvec(d * g)
    phi = float(np.dot(d, P) - lam @ T)
    it = 0
    converged = False
    polished = False
    while True:
        if np.all(np.abs(misfit) <= tolerance * scale_T):
            converged = True
            # one more Newton step takes a quadratically converging solution from
            # the tolerance to rounding error (kept only if it helps)
            if polished or len(S) == 0:
                break
            polished = True
            keep = (lam, u, g, dg, phi, misfit)
        elif polished:
            break
        if it >= max_iterations or len(S) == 0:
            break
        it += 1
        J = aux.gram(d * dg)[np.ix_(S, S)]
        jd = np.diag(J).copy()
        # columns whose units all sit at a bound have no curvature: step as the
        # untruncated linear method would (a Levenberg-Marquardt-like safeguard)
        dead = jd < 1e-8 * diag0
        J[np.diag_indices_from(J)] += np.where(dead, diag0, 0.0)
        step_S = _solve_pd(J, misfit[S])
        slope = -float(misfit[S] @ step_S)
        step = np.zeros(p)
        step[S] = step_S
        du = aux.matvec(step)
        t = 1.0
        accepted = False
        for _ in range(80):
            u_new = u + t * du
            g_new, dg_new, P_new = _distance(method, u_new, lo, hi, free)
            phi_new = float(np.dot(d, P_new) - (lam + t * step) @ T)
            if np.isfinite(phi_new) and phi_new <= phi + 1e-4 * t * slope + 1e-13 * (1.0 + abs(phi)):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            if polished:
                lam, u, g, dg, phi, misfit = keep
            break
        lam = lam + t * step
        u, g, dg, phi = u_new, g_new, dg_new, phi_new
        misfit = T - aux.rmatvec(d * g)
        if polished:
            if np.max(np.abs(misfit) / scale_T) > np.max(np.abs(keep[5]) / scale_T):
                lam, u, g, dg, phi, misfit = keep
            break
    rel = np.abs(misfit) / scale_T
    return CalibrationFit(g=g, converged=converged, iterations=it, misfit=-misfit,
                          max_relative_misfit=float(rel.max()) if len(rel) else 0.0,
                          tolerance=tolerance, lam=lam, columns=S, gram=gram0)


def _solve_pd(J: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = np.sqrt(np.diag(J))
    try:
        c = linalg.cho_factor(J / np.outer(s, s), lower=True)
        return linalg.cho_solve(c, b / s) / s
    except linalg.LinAlgError:
        return np.linalg.lstsq(J, b, rcond=None)[0]


# --------------------------------------------------------------------------- margins
@dataclass(frozen=True)
class _Margin:
    key: Any                      # as given: a column name or a tuple of names
    columns: tuple[str, ...]
    numeric: bool
    levels: list                  # level keys (tuples) in the user's order; [None] if numeric
    targets: np.ndarray           # one per level
    present: np.ndarray           # bool per level: has sample units (a column of X)
    codes: np.ndarray | None      # level index (among present levels) of each unit
    values: np.ndarray | None     # the numeric column


@dataclass(frozen=True)
class _Spec:
    margins: tuple[_Margin, ...]
    aux: AuxiliaryMatrix
    totals: np.ndarray
    labels: list                  # (margin key, level) per column of X


def _label(key) -> str:
    return repr(key) if isinstance(key, str) else "(" + ", ".join(map(repr, key)) + ")"


def _level_label(margin: _Margin, level) -> str:
    if margin.numeric:
        return "(total)"
    return show(level[0]) if len(margin.columns) == 1 else "(" + ", ".join(show(v) for v in level) + ")"


def _public_level(margin: _Margin, level):
    if margin.numeric:
        return "(total)"
    return level[0] if len(margin.columns) == 1 else level


def _as_number(value, what: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise CalibrationError(f"{what} is {value!r}, not a number; give a count or a total")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise CalibrationError(f"{what} is {value!r}, not a number; give a count or a total") from None
    return x


def _normalise(margins) -> list[tuple[Any, Any]]:
    """(key, spec) pairs from a mapping or a long DataFrame (variable, level, target)."""
    if isinstance(margins, pd.DataFrame):
        need = ["variable", "level", "target"]
        missing = [c for c in need if c not in margins.columns]
        if missing:
            raise InputError(
                f"a margins DataFrame needs the columns {need}; {missing} not found (columns: "
                f"{list(map(str, margins.columns))})"
            )
        out: dict = {}
        for var, lev, tgt in zip(margins["variable"], margins["level"], margins["target"]):
            var = tuple(var) if isinstance(var, list) else var
            if lev is None or (not isinstance(lev, (tuple, list)) and pd.isna(lev)) or lev == "(total)":
                if var in out:
                    raise InputError(f"margins DataFrame gives variable {var!r} both a total and levels")
                out[var] = tgt
            else:
                spec = out.setdefault(var, {})
                if not isinstance(spec, dict):
                    raise InputError(f"margins DataFrame gives variable {var!r} both a total and levels")
                lev = tuple(lev) if isinstance(lev, list) else lev
                if lev in spec:
                    raise InputError(f"margins DataFrame lists level {lev!r} of {var!r} twice")
                spec[lev] = tgt
        return list(out.items())
    if isinstance(margins, Mapping):
        if not margins:
            raise InputError("margins is empty; give at least one margin, e.g. {'stype': {'E': 4421, ...}}")
        return list(margins.items())
    raise InputError(
        f"margins must be a dict {{variable: {{level: count}} or total}} or a DataFrame with "
        f"columns variable, level, target; got {type(margins).__name__}"
    )


def _columns_of(key) -> tuple[str, ...]:
    if isinstance(key, str):
        return (key,)
    if isinstance(key, tuple) and key and all(isinstance(c, str) for c in key):
        if len(set(key)) != len(key):
            raise InputError(f"margin {key!r} names a column twice")
        return key
    raise InputError(
        f"margin key {key!r} is not a column name or a tuple of column names; cross "
        f"columns with a tuple, e.g. ('country', 'size')"
    )


def _rows_text(index: pd.Index, mask: np.ndarray) -> str:
    bad = index[mask]
    return ", ".join(show(i) for i in bad[:10]) + (", ..." if len(bad) > 10 else "")


def _parse(data: pd.DataFrame, margins, collapse, population_size, counts=None) -> _Spec:
    """The margins checked against the data and turned into the auxiliary matrix.

    ``counts``: the number of units each row of ``data`` stands for (a SQL engine's
    calibration cells, one row per combination of the margin variables); the unit
    counts in the checks and messages are then sums of it.
    """
    pairs = _normalise(margins)
    collapse = {} if collapse is None else collapse
    if not isinstance(collapse, Mapping):
        raise InputError(
            f"collapse must be a dict {{margin: {{level: merged_into_level}}}}, got {type(collapse).__name__}"
        )
    keys = [k for k, _ in pairs]
    for k in collapse:
        if k not in keys:
            raise InputError(f"collapse names margin {k!r}, which is not among the margins {keys}")
    out: list[_Margin] = []
    n = len(data)
    for key, spec in pairs:
        cols = _columns_of(key)
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise InputError(
                f"margin {_label(key)}: column(s) {missing} not found in the design's data; "
                f"available columns: {list(map(str, data.columns))}"
            )
        for c in cols:
            na = data[c].isna().to_numpy()
            if na.any():
                raise MissingValueError(
                    f"margin {_label(key)}: column {c!r} is missing in {int(na.sum())} row(s) "
                    f"(index {_rows_text(data.index, na)}); every unit needs a value to be "
                    f"calibrated: impute it or give those units a level of their own"
                )
        if not isinstance(spec, (Mapping, pd.Series)):
            # a numeric total
            if len(cols) != 1:
                raise InputError(f"margin {_label(key)} crosses columns, so it needs counts per level, not one total")
            t = _as_number(spec, f"the total of margin {_label(key)}")
            col = data[cols[0]]
            if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
                raise CalibrationError(
                    f"margin {_label(key)} is given one total ({show(t)}) but column {cols[0]!r} "
                    f"is not numeric (dtype {col.dtype}); give counts per level, e.g. "
                    f"{{{cols[0]!r}: {{level: count, ...}}}}"
                )
            x = col.to_numpy(dtype=float)
            if not np.isfinite(t):
                raise CalibrationError(
                    f"the total of margin {_label(key)} is {show(t)}; targets must be finite numbers"
                )
            if not np.all(np.isfinite(x)):
                raise CalibrationError(f"column {cols[0]!r} has infinite values; an auxiliary must be finite")
            if t < 0 and not np.any(x < 0):
                raise CalibrationError(
                    f"the total of margin {_label(key)} is {show(t)}, negative, but column "
                    f"{cols[0]!r} has no negative values, so no positive weights reach it: "
                    f"correct the total"
                )
            if key in collapse:
                raise InputError(f"collapse= applies to categorical margins; {_label(key)} is a numeric total")
            out.append(_Margin(key, cols, True, [None], np.array([t]), np.array([bool(np.any(x != 0))]),
                               None, x))
            continue
        items = list(spec.items())
        if not items:
            raise InputError(f"margin {_label(key)} has no levels")
        levels, targets = [], []
        for lev, tgt in items:
            lk = lev if isinstance(lev, tuple) else (lev,)
            if len(lk) != len(cols):
                raise InputError(
                    f"margin {_label(key)}: level {lev!r} has {len(lk)} value(s) for {len(cols)} "
                    f"column(s); a crossed margin's levels are tuples, e.g. {('BE', 'small')!r}"
                )
            t = _as_number(tgt, f"the target of level {lev!r} of margin {_label(key)}")
            if not np.isfinite(t) or t < 0:
                raise CalibrationError(
                    f"margin {_label(key)}: the target of level {show(lev) if not isinstance(lev, tuple) else lev} "
                    f"is {show(t)}; counts must be finite and nonnegative: correct the margin"
                )
            levels.append(lk)
            targets.append(t)
        if len(set(levels)) != len(levels):
            raise InputError(f"margin {_label(key)} lists a level twice")
        pos = {lk: i for i, lk in enumerate(levels)}
        targets_arr = np.array(targets, dtype=float)
        # collapse: merge levels (targets added, sample values mapped)
        mapping: dict[tuple, tuple] = {}
        if key in collapse:
            cmap = collapse[key]
            if not isinstance(cmap, Mapping):
                raise InputError(f"collapse[{key!r}] must be a dict {{level: merged_into_level}}")
            for src, dst in cmap.items():
                s = src if isinstance(src, tuple) else (src,)
                t_ = dst if isinstance(dst, tuple) else (dst,)
                for lk, role in ((s, "level"), (t_, "target level")):
                    if lk not in pos:
                        raise InputError(
                            f"collapse of margin {_label(key)}: {role} {src if role == 'level' else dst!r} "
                            f"is not a level of the margin; use one of its levels"
                        )
                if s == t_:
                    raise InputError(f"collapse of margin {_label(key)} maps {src!r} onto itself")
                mapping[s] = t_
            for s in mapping:  # follow chains
                seen = [s]
                t_ = mapping[s]
                while t_ in mapping:
                    if t_ in seen:
                        raise InputError(f"collapse of margin {_label(key)} has a cycle through {src!r}")
                    seen.append(t_)
                    t_ = mapping[t_]
                mapping[s] = t_
            for s, t_ in mapping.items():
                targets_arr[pos[t_]] += targets_arr[pos[s]]
            keep = [i for i, lk in enumerate(levels) if lk not in mapping]
            levels = [levels[i] for i in keep]
            targets_arr = targets_arr[keep]
            pos = {lk: i for i, lk in enumerate(levels)}
        per = [pd.factorize(data[c], sort=False) for c in cols]
        if len(per) == 1:
            ucodes = per[0][0]
            parts = [np.asarray(per[0][1], dtype=object)]
        else:
            comb = np.zeros(n, dtype=np.int64)
            for codes_c, uniq_c in per:
                comb = comb * max(len(uniq_c), 1) + codes_c
            ucodes, first = pd.factorize(comb, sort=False)
            rest = np.asarray(first, dtype=np.int64)
            parts = []
            for codes_c, uniq_c in reversed(per):
                size = max(len(uniq_c), 1)
                parts.append(np.asarray(uniq_c, dtype=object)[rest % size])
                rest = rest // size
            parts.reverse()
        sample_keys = [tuple(v.item() if isinstance(v, np.generic) else v for v in row) for row in zip(*parts)]
        level_of_unique = np.empty(len(sample_keys), dtype=np.intp)
        counts_k = np.bincount(ucodes, weights=counts, minlength=len(sample_keys)).astype(np.int64)
        for j, sk in enumerate(sample_keys):
            sk = mapping.get(sk, sk)
            if sk not in pos:
                shown = show(sk[0]) if len(sk) == 1 else str(sk)
                raise CalibrationError(
                    f"margin {_label(key)} has no target for level {shown}, held by "
                    f"{int(counts_k[j])} sample unit(s); every level in the sample needs a "
                    f"population count: add it to the margin, or merge it into another level "
                    f"with collapse={{{key!r}: {{{shown}: <a level of the margin>}}}}"
                )
            level_of_unique[j] = pos[sk]
        unit_level = level_of_unique[ucodes]
        n_units = np.bincount(unit_level, weights=counts, minlength=len(levels)).astype(np.int64)
        for i, lk in enumerate(levels):
            shown = show(lk[0]) if len(lk) == 1 else str(lk)
            if n_units[i] == 0 and targets_arr[i] > 0:
                others = [lv for j, lv in enumerate(levels) if n_units[j] > 0]
                example = (show(others[0][0]) if len(others[0]) == 1 else str(others[0])) if others else "..."
                raise CalibrationError(
                    f"margin {_label(key)}: level {shown} has a population of {show(targets_arr[i])} "
                    f"but no units in the sample, so no weight can reach it; merge it into a "
                    f"neighbouring level with collapse={{{key!r}: {{{shown}: {example}}}}}, or drop "
                    f"the level from this and every other margin explicitly (the population "
                    f"then excludes it)"
                )
            if n_units[i] > 0 and targets_arr[i] == 0:
                raise CalibrationError(
                    f"margin {_label(key)}: level {shown} has a target of 0 but {int(n_units[i])} "
                    f"sample unit(s); a level without population cannot hold sampled units: "
                    f"correct the target or the units' values"
                )
        present = n_units > 0
        remap = np.cumsum(present) - 1
        out.append(_Margin(key, cols, False, levels, targets_arr, present,
                           remap[unit_level].astype(np.intp), None))
    if population_size is not None:
        t = _as_number(population_size, "population_size")
        if not np.isfinite(t) or t <= 0:
            raise CalibrationError(f"population_size={population_size!r} must be a positive number")
        out.append(_Margin("(population size)", (), True, [None], np.array([t]), np.array([True]),
                           None, np.ones(n)))
    seen = set()
    for m in out:
        if m.key in seen:
            raise InputError(f"margin {_label(m.key)} is given twice")
        seen.add(m.key)
    _check_consistent_margins(out)
    blocks, totals, labels = [], [], []
    numeric_cols, numeric_totals, numeric_labels = [], [], []
    for m in out:
        if m.numeric:
            if m.present[0]:
                numeric_cols.append(m.values)
                numeric_totals.append(m.targets[0])
                numeric_labels.append((m, None))
            continue
        blocks.append(CategoricalBlock(m.codes, int(m.present.sum())))
        for lk, t, pr in zip(m.levels, m.targets, m.present):
            if pr:
                totals.append(t)
                labels.append((m, lk))
    if numeric_cols:
        blocks.append(NumericBlock(np.column_stack(numeric_cols)))
        totals.extend(numeric_totals)
        labels.extend(numeric_labels)
    for m in out:
        if m.numeric and not m.present[0] and m.targets[0] != 0:
            raise CalibrationError(
                f"margin {_label(m.key)}: column is 0 for every sample unit but its total is "
                f"{show(m.targets[0])}; no weights reach it: drop the margin or correct the data"
            )
    aux = AuxiliaryMatrix(tuple(blocks), n)
    return _Spec(tuple(out), aux, np.array(totals, dtype=float), labels)


def _check_consistent_margins(margins: list[_Margin]) -> None:
    """Categorical margins must agree on the population size and on shared columns."""
    cat = [m for m in margins if not m.numeric]
    sizes = [("(population size)", m.targets[0]) for m in margins if m.key == "(population size)"]
    sizes += [(m.key, float(m.targets.sum())) for m in cat]
    if len(sizes) > 1:
        k0, t0 = sizes[0]
        for k, t in sizes[1:]:
            if abs(t - t0) > _CONSISTENCY_RTOL * max(1.0, abs(t0)):
                raise CalibrationError(
                    f"margins {_label(k0)} and {_label(k)} disagree on the population size: "
                    f"{show(t0)} and {show(t)} (difference {show(t - t0)}); every margin must "
                    f"count the same population, or no weights can meet both: correct one of them"
                )
    for i, a in enumerate(cat):
        for b in cat[i + 1:]:
            shared = [c for c in a.columns if c in b.columns]
            if not shared:
                continue
            ta, tb = _aggregate(a, shared), _aggregate(b, shared)
            for key in sorted(set(ta) | set(tb), key=str):
                x, y = ta.get(key, 0.0), tb.get(key, 0.0)
                if abs(x - y) > _CONSISTENCY_RTOL * max(1.0, abs(x), abs(y)):
                    shown = show(key[0]) if len(key) == 1 else str(key)
                    raise CalibrationError(
                        f"margins {_label(a.key)} and {_label(b.key)} disagree on "
                        f"{'/'.join(shared)} = {shown}: {show(x)} and {show(y)}; margins that "
                        f"share a column must give the same totals for its levels: correct one of them"
                    )


def _aggregate(m: _Margin, shared: list[str]) -> dict:
    idx = [m.columns.index(c) for c in shared]
    out: dict = {}
    for lk, t in zip(m.levels, m.targets):
        k = tuple(lk[i] for i in idx)
        out[k] = out.get(k, 0.0) + float(t)
    return out


def _check_dependent_targets(spec: _Spec, gram: np.ndarray):
    S, dep, coef = independent_columns(gram)
    if len(dep):
        T = spec.totals
        pred = coef.T @ T[S]
        bad = np.abs(T[dep] - pred) > _CONSISTENCY_RTOL * np.maximum(1.0, np.abs(T[dep]))
        if bad.any():
            j = dep[np.flatnonzero(bad)[0]]
            m, lk = spec.labels[j]
            involved = sorted({_label(spec.labels[k][0].key) for k in S[np.abs(coef[:, np.flatnonzero(bad)[0]]) > 1e-9]}
                              | {_label(m.key)})
            raise CalibrationError(
                f"the margins {', '.join(involved)} overlap in the sample, and their targets "
                f"disagree: the target of margin {_label(m.key)} level {_level_label(m, lk)} is "
                f"{show(T[j])}, but the other margins imply {show(pred[np.flatnonzero(bad)[0]])}; "
                f"take all margins from one population table"
            )
    return S


# --------------------------------------------------------------------------- diagnostics
@dataclass(frozen=True)
class CalibrationResult:
    """Diagnostics of a calibration, attached to the calibrated design (frozen).

    Attributes
    ----------
    method : {"linear", "raking", "logit"}
    bounds : (float, float)
        The bounds on g (``-inf``/``inf`` where none).
    variance : {"calibration", "rake"}
        How the design's variance accounts for the calibration.
    converged : bool
        Always True on a design (a calibration that does not converge raises
        :class:`~surveyweights.errors.ConvergenceError`).
    iterations : int
        Newton iterations.
    tolerance : float
    g : pandas.Series
        The calibration factors w / d, aligned with the data (on a SQL engine: one
        per calibration cell, indexed by the margin variables' values).
    report : pandas.DataFrame
        One row per margin cell: ``margin``, ``level`` (``"(total)"`` for a numeric
        auxiliary), ``target``, ``initial`` (weighted total before), ``achieved``
        (after), ``misfit`` ((achieved - target) / target; the absolute difference
        where the target is 0), ``n`` (sample units in the cell).
    g_summary : pandas.Series
        min, 1%, 5%, 25%, 50%, 75%, 95%, 99% quantiles and max of g; ``n_at_lower``
        and ``n_at_upper`` (units whose g sits on a bound, to 1e-9).
    kish : pandas.DataFrame
        Rows ``before`` and ``after``: ``weight_sum``, ``weight_min``,
        ``weight_max``, ``kish_n_eff``, ``weight_cv``, ``kish_deff``.
    auxiliaries, totals, columns, design_weights
        The solver's inputs (the auxiliary matrix X, its column totals, its
        independent columns, and d): ``calibration_factors(d_r, c.auxiliaries,
        c.totals, method=c.method, bounds=c.bounds)`` replays the calibration on
        other weights d_r (replicate weights).  On a SQL engine they are per
        calibration cell: X has one row per cell, d holds the cells' sums of d.
    """

    method: str
    bounds: tuple[float, float]
    variance: str
    converged: bool
    iterations: int
    tolerance: float
    g: pd.Series = field(repr=False)
    report: pd.DataFrame = field(repr=False)
    g_summary: pd.Series = field(repr=False)
    kish: pd.DataFrame = field(repr=False)
    auxiliaries: AuxiliaryMatrix = field(repr=False)
    totals: np.ndarray = field(repr=False)
    columns: np.ndarray = field(repr=False)
    design_weights: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The per-cell report (a copy)."""
        return self.report.copy()

    @property
    def max_misfit(self) -> float:
        """The largest |misfit| over the margin cells."""
        return float(np.max(np.abs(self.report["misfit"].to_numpy())))

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.report)


def _report(spec: _Spec, d: np.ndarray, w: np.ndarray, counts=None) -> pd.DataFrame:
    rows = []
    for m in spec.margins:
        if m.numeric:
            x = m.values
            rows.append((m.key, "(total)", m.targets[0], float(d @ x), float(w @ x),
                         len(x) if counts is None else int(np.sum(counts))))
            continue
        k = int(m.present.sum())
        init = np.bincount(m.codes, weights=d, minlength=k)
        ach = np.bincount(m.codes, weights=w, minlength=k)
        cnt = np.bincount(m.codes, weights=counts, minlength=k).astype(np.int64)
        j = 0
        for lk, t, pr in zip(m.levels, m.targets, m.present):
            if pr:
                rows.append((m.key, _public_level(m, lk), t, init[j], ach[j], int(cnt[j])))
                j += 1
            else:
                rows.append((m.key, _public_level(m, lk), t, 0.0, 0.0, 0))
    out = pd.DataFrame(rows, columns=["margin", "level", "target", "initial", "achieved", "n"])
    out["margin"] = pd.Series([r[0] for r in rows], dtype=object)
    out["level"] = pd.Series([r[1] for r in rows], dtype=object)
    t = out["target"].to_numpy()
    diff = out["achieved"].to_numpy() - t
    with np.errstate(divide="ignore", invalid="ignore"):
        out["misfit"] = np.where(t != 0, diff / np.where(t != 0, np.abs(t), 1.0), diff)
    return out[["margin", "level", "target", "initial", "achieved", "misfit", "n"]]


_G_PROBS = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)


def _repeated_quantile(values: np.ndarray, counts: np.ndarray, probs) -> np.ndarray:
    """``np.quantile(np.repeat(values, counts), probs)`` without the repeat (linear rule)."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    ends = np.cumsum(np.asarray(counts, dtype=np.int64)[order])
    N = int(ends[-1])
    pos = np.asarray(probs, dtype=float) * (N - 1)
    j = np.floor(pos).astype(np.int64)
    t = pos - j
    a = v[np.searchsorted(ends, j, side="right")]
    b = v[np.searchsorted(ends, np.minimum(j + 1, N - 1), side="right")]
    # numpy's lerp: a + t (b - a), from the upper end when t >= 1/2
    return np.where(t >= 0.5, b - (b - a) * (1.0 - t), a + (b - a) * t)


def _g_summary(g: np.ndarray, lo: np.ndarray, hi: np.ndarray, counts=None) -> pd.Series:
    """Quantiles of g and units on a bound; ``counts``: units per value of ``g`` (cells)."""
    q = (np.quantile(g, _G_PROBS) if counts is None else _repeated_quantile(g, counts, _G_PROBS))
    names = ["min", "q01", "q05", "q25", "median", "q75", "q95", "q99", "max"]
    s = dict(zip(names, q.tolist()))
    c = np.ones(len(g)) if counts is None else np.asarray(counts, dtype=float)
    s["n_at_lower"] = float(np.sum(c * (np.isfinite(lo) & (np.abs(g - lo) <= 1e-9 * np.maximum(1, np.abs(lo))))))
    s["n_at_upper"] = float(np.sum(c * (np.isfinite(hi) & (np.abs(g - hi) <= 1e-9 * np.maximum(1, np.abs(hi))))))
    return pd.Series(s, dtype=float, name="g")


def _kish_cells(cw: CellWeights, g: np.ndarray) -> pd.DataFrame:
    """:func:`_kish` from per-cell sums: w = d g with g constant in each cell."""
    rows = {}
    N = float(cw.n.sum())
    for name, f in (("before", np.ones_like(g)), ("after", g)):
        s1, s2 = float(np.sum(f * cw.sum)), float(np.sum(f * f * cw.sum2))
        mean = s1 / N
        cv = float(np.sqrt(max(s2 / N - mean * mean, 0.0)) / mean)
        rows[name] = {"weight_sum": s1, "weight_min": float(np.min(f * cw.min)),
                      "weight_max": float(np.max(f * cw.max)), "kish_n_eff": s1 * s1 / s2,
                      "weight_cv": cv, "kish_deff": 1.0 + cv * cv}
    return pd.DataFrame.from_dict(rows, orient="index")


def _kish(before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    rows = {}
    for name, w in (("before", before), ("after", after)):
        rows[name] = {"weight_sum": float(w.sum()), "weight_min": float(w.min()),
                      "weight_max": float(w.max()), **kish_summary(w)}
    return pd.DataFrame.from_dict(rows, orient="index")


# --------------------------------------------------------------------------- diagnosis
def _eq_constraints(aux: AuxiliaryMatrix, S: np.ndarray, d: np.ndarray):
    """The sparse matrix (X_S' D) of the calibration equations in g."""
    from scipy import sparse

    X = sparse.hstack([
        sparse.csr_matrix((np.ones(aux.n), (np.arange(aux.n), b.codes)), shape=(aux.n, b.n_levels))
        if isinstance(b, CategoricalBlock) else sparse.csr_matrix(b.values)
        for b in aux.blocks
    ]).tocsc()[:, S]
    return (X.multiply(d[:, None])).T.tocsr()


def feasible_range(d: np.ndarray, aux: AuxiliaryMatrix, totals: np.ndarray, columns: np.ndarray,
                   lower: np.ndarray, upper: np.ndarray, per: np.ndarray | None = None) -> dict:
    """Linear programs that say which bounds the data allow.

    With the calibration equations X_S' D g = t_S and the bounds given per unit as
    ``lower <= g <= upper``, returns ``feasible`` (the bounds can be met), and
    ``min_upper`` (the smallest c such that ``lower <= g`` and ``per * g <= c`` is
    feasible; ``per`` = 1 for bounds on g, = d for bounds on weights) and
    ``max_lower`` (the largest c with ``c <= per * g`` and ``g <= upper``); NaN where
    that program is itself infeasible.
    """
    from scipy import sparse

    n = len(d)
    A = _eq_constraints(aux, columns, d)
    b = totals[columns]
    per = np.ones(n) if per is None else per
    res = optimize.linprog(np.zeros(n), A_eq=A, b_eq=b, bounds=np.column_stack([lower, upper]),
                           method="highs")
    out = {"feasible": res.status == 0}
    # variables (g, c): minimise c subject to per * g - c <= 0, lower <= g
    A2 = sparse.hstack([A, sparse.csr_matrix((A.shape[0], 1))]).tocsr()
    ub = sparse.hstack([sparse.diags(per), -sparse.csr_matrix(np.ones((n, 1)))]).tocsr()
    c = np.zeros(n + 1)
    c[-1] = 1.0
    glo = np.column_stack([lower, np.full(n, np.inf)])
    r = optimize.linprog(c, A_ub=ub, b_ub=np.zeros(n), A_eq=A2, b_eq=b,
                         bounds=[*map(tuple, np.where(np.isfinite(glo), glo, None)), (None, None)],
                         method="highs")
    out["min_upper"] = float(r.x[-1]) if r.status == 0 else np.nan
    # maximise c subject to c - per * g <= 0, g <= upper
    ub = sparse.hstack([-sparse.diags(per), sparse.csr_matrix(np.ones((n, 1)))]).tocsr()
    ghi = np.column_stack([np.where(np.isfinite(lower), 0.0, lower) * 0.0, upper])
    r = optimize.linprog(-c, A_ub=ub, b_ub=np.zeros(n), A_eq=A2, b_eq=b,
                         bounds=[*map(tuple, np.where(np.isfinite(ghi), ghi, None)), (None, None)],
                         method="highs")
    out["max_lower"] = float(r.x[-1]) if r.status == 0 else np.nan
    return out


def _fail(spec: _Spec, fit: CalibrationFit, d: np.ndarray, method: str, lo: np.ndarray,
          hi: np.ndarray, bounds_text: str, *, per=None, what: str = "g") -> None:
    """Raise the error that explains a calibration that did not converge."""
    bounded = bool(np.any(np.isfinite(lo)) or np.any(np.isfinite(hi))) and not (
        method == "raking" and np.all(lo == 0) and np.all(~np.isfinite(hi)))
    if bounded:
        fr = feasible_range(d, spec.aux, spec.totals, fit.columns, np.asarray(lo, float),
                            np.asarray(hi, float), per)
        if not fr["feasible"]:
            parts = []
            has_lo = bool(np.any(np.isfinite(lo) & ((lo > 0) if method == "raking" else True)))
            has_hi = bool(np.any(np.isfinite(hi)))
            if has_hi:
                if np.isfinite(fr["min_upper"]):
                    parts.append(f"{'with the lower bound kept, ' if has_lo else ''}the upper "
                                 f"bound must be at least {fr['min_upper']:.6g}")
                else:
                    parts.append("the lower bound is too high for any upper bound")
            if has_lo:
                if np.isfinite(fr["max_lower"]):
                    parts.append(f"{'with the upper bound kept, ' if has_hi else ''}the lower "
                                 f"bound must be at most {fr['max_lower']:.6g}")
                else:
                    parts.append("the upper bound is too low for any lower bound")
            raise CalibrationError(
                f"no {what} {bounds_text} can reproduce the margins (the bounds are "
                f"infeasible for this sample): {'; '.join(parts)}. Widen the bounds, or "
                f"collapse the margin cells that need the extreme factors (see the report of "
                f"an unbounded calibration)"
            )
    rel = np.abs(fit.misfit) / (1.0 + np.abs(spec.totals))
    j = int(np.argmax(rel))
    m, lk = spec.labels[j]
    extra = ""
    if method == "logit":
        extra = (" Logit calibration keeps g strictly inside the bounds: if the margins need "
                 "g on a bound, widen the bounds a little.")
    raise ConvergenceError(
        f"{method} calibration did not converge in {fit.iterations} iterations: the worst "
        f"margin cell is {_label(m.key)} level {_level_label(m, lk)}, target "
        f"{show(spec.totals[j])}, achieved {show(spec.totals[j] + fit.misfit[j])} (relative "
        f"misfit {rel[j]:.3g}, tolerance {fit.tolerance:.3g}). Raise max_iterations=, or "
        f"collapse margin cells with very few units.{extra}"
    )


# --------------------------------------------------------------------------- public API
def _check_bounds(method: str, bounds) -> tuple[float, float]:
    if bounds is None:
        if method == "logit":
            raise InputError(
                "method='logit' needs bounds=(lower, upper) with lower < 1 < upper, e.g. "
                "bounds=(0.5, 2.0); use method='linear' or 'raking' for no bounds"
            )
        return (-np.inf, np.inf) if method == "linear" else (0.0, np.inf)
    try:
        lo, hi = bounds
    except (TypeError, ValueError):
        raise InputError(f"bounds={bounds!r} must be a pair (lower, upper), e.g. (0.5, 2.0)") from None
    lo = -np.inf if lo is None else _as_number(lo, "the lower bound")
    hi = np.inf if hi is None else _as_number(hi, "the upper bound")
    if np.isnan(lo) or np.isnan(hi) or not lo < hi:
        raise InputError(f"bounds={bounds!r}: the lower bound must be below the upper bound")
    if not lo <= 1 <= hi:
        raise InputError(
            f"bounds={bounds!r} exclude g = 1 (weights unchanged); bounds on w/d must satisfy "
            f"lower <= 1 <= upper, e.g. (0.5, 2.0)"
        )
    if method == "logit" and not (np.isfinite(lo) and np.isfinite(hi) and lo < 1 < hi):
        raise InputError(
            f"bounds={bounds!r}: logit calibration needs finite bounds with lower < 1 < upper, "
            f"e.g. (0.5, 2.0)"
        )
    if method == "raking":
        lo = max(lo, 0.0)
    return (float(lo), float(hi))


def _require_design(design) -> None:
    from ..design.design import require_design

    require_design(design)


def _adjusted(design, weights: np.ndarray, *, variance, calibration, record, data=None,
              strata=None, fpc=None, replay=None, replay_options=None):
    """A copy of ``design`` with new weights, variance method and history.

    With the same rows, the design's validated codes (strata, PSUs, fpc) are kept
    and only the weights change (they are positive and finite: the callers check),
    so adjusting a design of 1e6 rows does not factorise its strata again.  New
    rows (nonresponse) build and validate a new design.

    On a replicate-weight design the adjustment is replayed on every replicate's
    weights instead (``replay(d_r)`` -> adjusted replicate weights; R's
    ``calibrate.svyrep.design``), so that the replicate variance reflects it.
    """
    if isinstance(design.variance, ReplicateWeights):
        if replay is None:
            raise InputError(
                f"{type(record).__name__} cannot yet be replayed on replicate weights; adjust the "
                f"design before building replicates with sw.replicate(...) (the replicate variance "
                f"then ignores the adjustment), or use a design without replicate weights"
            )
        from ..design.replicate import replay_adjustment

        variance = replay_adjustment(design, replay, label=type(record).__name__,
                                     **(replay_options or {}))
    history = tuple(design.history) + (record,)
    if data is None:
        w = np.ascontiguousarray(weights, dtype=float)
        out = copy.copy(design)
        for name, value in (("weights", pd.Series(w, index=design.data.index, name="weight")),
                            ("_w", w), ("variance", variance), ("calibration", calibration),
                            ("history", history)):
            object.__setattr__(out, name, value)
        return out
    return replace(
        design, data=data, weights=pd.Series(weights, index=data.index, name="weight"),
        strata=design.strata if strata is None else strata,
        fpc=design.fpc if fpc is None else fpc,
        variance=variance, calibration=calibration, history=history,
    )


def _calibrate_spec(index: pd.Index, spec: _Spec, d: np.ndarray, *, method: str, lo, hi,
                    bounds: tuple[float, float], tolerance: float, max_iterations: int,
                    bounds_text: str, per=None, what: str = "g", cells: CellWeights | None = None):
    """Solve, check, and build the CalibrationResult (no design yet).

    With ``cells`` the rows are calibration cells (a SQL engine): ``d`` holds each
    cell's sum of weights, and g is the cell's factor.
    """
    gram = spec.aux.gram(d)
    S = _check_dependent_targets(spec, gram)
    fit = calibration_factors(d, spec.aux, spec.totals, method=method, bounds=(lo, hi),
                              tolerance=tolerance, max_iterations=max_iterations, columns=S,
                              gram=gram)
    if not fit.converged:
        _fail(spec, fit, d, method, np.broadcast_to(lo, d.shape), np.broadcast_to(hi, d.shape),
              bounds_text, per=per, what=what)
    g = fit.g
    w = d * g
    bad = ~(w > 0)
    if bad.any():
        raise CalibrationError(
            f"{method} calibration gives {int(bad.sum() if cells is None else cells.n[bad].sum())} "
            f"unit(s) a weight <= 0 (smallest g = {show(float(g.min()))}, "
            f"{'at index' if cells is None else 'in the calibration cell(s)'} "
            f"{_rows_text(index, bad)}); a design "
            f"needs positive weights: set a positive lower bound, e.g. bounds=(0.1, None), or "
            f"use method='raking' or 'logit'"
        )
    lo_a, hi_a = np.broadcast_to(lo, d.shape), np.broadcast_to(hi, d.shape)
    result = CalibrationResult(
        method=method, bounds=bounds, variance="calibration", converged=True,
        iterations=fit.iterations, tolerance=tolerance,
        g=pd.Series(g, index=index, name="g"),
        report=_report(spec, d, w, None if cells is None else cells.n),
        g_summary=_g_summary(g, lo_a, hi_a, None if cells is None else cells.n),
        kish=_kish(d, w) if cells is None else _kish_cells(cells, g), auxiliaries=spec.aux, totals=spec.totals, columns=fit.columns,
        design_weights=d,
    )
    return result, replace(fit, gram=gram)  # the gram is reused by the variance step (same d)


def calibrate(
    design,
    margins,
    *,
    method: str = "linear",
    bounds: tuple[float | None, float | None] | None = None,
    population_size: float | None = None,
    collapse: Mapping[Hashable, Mapping[Hashable, Hashable]] | None = None,
    variance: str = "calibration",
    tolerance: float = 1e-10,
    max_iterations: int = 100,
):
    """Calibrate a design's weights to known margins; returns a new :class:`~surveyweights.Design`.

    Parameters
    ----------
    design : Design
        The design to calibrate (unchanged).  Its weights are the d of the
        calibration; a calibrated design can be calibrated again (the variance
        then takes both calibrations' residuals, in order, as R does).
    margins : dict or pandas.DataFrame
        The known totals.  A dict maps

        * a column name to ``{level: count}`` (a categorical margin) or to a number
          (the total of a numeric auxiliary, e.g. employment);
        * a tuple of column names to ``{(level, level): count}`` (a crossed margin,
          e.g. ``("country", "size")``).

        A ``pandas.Series`` works in place of ``{level: count}``.  Or a long
        DataFrame with columns ``variable``, ``level``, ``target`` (``level`` empty
        for a numeric total; ``variable`` a tuple for a crossed margin).
        Overlapping margins (country x size with country x sector) are allowed.
    method : {"linear", "raking", "logit"}, default "linear", keyword-only
        The distance (module docstring): ``"linear"`` is GREG (one categorical
        margin: post-stratification), ``"raking"`` multiplicative, ``"logit"``
        bounded.  With ``bounds``, linear and raking are truncated.
    bounds : (lower, upper), optional, keyword-only
        Bounds on g = w/d, lower <= 1 <= upper (``None`` for no bound on one side).
        Required for ``"logit"``.
    population_size : float, optional, keyword-only
        The number of population units N, when no categorical margin gives it
        (a calibration to numeric totals only; R's intercept).
    collapse : dict, optional, keyword-only
        ``{margin: {level: merged_into_level}}``: merge margin levels (their targets
        are added, the units' values mapped) before calibrating, e.g. for a level
        without sample units.
    variance : {"calibration", "rake"}, default "calibration", keyword-only
        ``"calibration"``: g-weighted residuals from the d-weighted regression on
        the auxiliaries (Deville-Särndal; R's ``calibrate()``/``postStratify()``).
        ``"rake"``: R ``rake()``'s iterated within-margin means, for
        reproducing R ``rake()`` output (raking to categorical margins only).
    tolerance : float, default 1e-10, keyword-only
        Every margin cell within tolerance x (1 + |target|) (R's criterion; R's
        default is 1e-7).
    max_iterations : int, default 100, keyword-only

    Returns
    -------
    Design
        Weights d g; ``.calibration`` is the :class:`CalibrationResult`, ``.history``
        ends with it; its variance method is
        :class:`~surveyweights.variance.calibrated.CalibratedVariance`.

    Raises
    ------
    CalibrationError
        A margin level with population but no sample units (use ``collapse=``), a
        sample level missing from a margin, margins that disagree on shared
        totals, negative or missing targets, bounds that the sample cannot meet
        (the message gives the feasible range), weights <= 0 from linear
        calibration.
    ConvergenceError
        No convergence: the message names the worst margin cell and its misfit.
    InputError
        Unknown method, bad bounds, unknown columns.

    Notes
    -----
    Matches R's ``calibrate(design, formula, population, calfun=method,
    bounds=bounds)`` (weights and every estimate's SE; R's formula with an
    intercept and treatment contrasts spans the same space as our indicator
    columns), and for one categorical margin with ``method="linear"``,
    ``postStratify(design, ~var, table)``.  R rescales the weights before
    solving when every target is > 20 times its sample total, and then applies
    its bounds to the rescaled g; here bounds always apply to w/d.

    On a SQL engine (DuckDB, Spark) every margin must be categorical: g is then
    constant in each calibration cell (the cross of the margin variables), the
    equations are solved on the cells' sums of d, the weights become d g[k] inside
    the engine, and ``.calibration.g`` has one factor per cell
    (:mod:`surveyweights.engines.calibration`; the documentation's Engines page).
    Numeric totals and ``variance="rake"`` raise :class:`~surveyweights.errors.EngineError`
    there (they need unit-level data: ``design.collect()``).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": list("aabb"), "sex": list("mfmf"), "N": [10, 10, 20, 20],
    ...                    "y": [1.0, 2.0, 3.0, 4.0]})
    >>> d = sw.Design(df, strata="h", fpc="N")
    >>> c = sw.calibrate(d, {"sex": {"m": 12, "f": 18}})
    >>> c.weights.round(4).tolist()
    [4.0, 6.0, 8.0, 12.0]
    >>> c.calibration.report[["level", "target", "achieved"]].round(9).values.tolist()
    [['m', 12.0, 12.0], ['f', 18.0, 18.0]]
    """
    _require_design(design)
    if method not in METHODS:
        raise InputError(f"method={method!r} is not a calibration method; choose one of {list(METHODS)}")
    if variance not in VARIANCES:
        raise InputError(f"variance={variance!r} is not valid; choose one of {list(VARIANCES)}")
    _check_control(tolerance, max_iterations)
    lo, hi = _check_bounds(method, bounds)
    if design._sql is not None:  # a SQL engine: solved on the calibration cells' sums
        call = dict(margins=margins, method=method, bounds=bounds, population_size=population_size,
                    collapse=collapse, tolerance=tolerance, max_iterations=max_iterations)
        return _calibrate_cells(design, call, variance=variance, lo=lo, hi=hi)
    spec = _parse(design.data, margins, collapse, population_size)
    if variance == "rake":
        if method != "raking" or np.isfinite(hi) or lo > 0:
            raise InputError(
                "variance='rake' reproduces R rake(), which rakes without bounds: use it with "
                "method='raking' and no bounds (or the default variance='calibration')"
            )
        if any(m.numeric for m in spec.margins):
            raise InputError(
                "variance='rake' needs categorical margins only (R rake() post-stratifies "
                "margin by margin); use variance='calibration' with a numeric total"
            )
    d = design._w.copy()
    text = f"within bounds=({show(lo)}, {show(hi)})"
    result, fit = _calibrate_spec(design.data.index, spec, d, method=method, lo=lo, hi=hi, bounds=(lo, hi),
                                  tolerance=tolerance, max_iterations=max_iterations,
                                  bounds_text=text)
    w = d * fit.g
    if variance == "rake":
        step = RakeStep(tuple(m.codes for m in spec.margins if not m.numeric), w)
        result = replace(result, variance="rake")
    else:
        step = ResidualStep(spec.aux, d, fit.g, fit.columns, gram=fit.gram)
    def replay(d_r: np.ndarray) -> np.ndarray:
        # the same calibration on a replicate's weights (R's calibrate.svyrep.design)
        f = calibration_factors(d_r, spec.aux, spec.totals, method=method, bounds=(lo, hi),
                                tolerance=tolerance, max_iterations=max_iterations,
                                columns=fit.columns)
        if not f.converged:
            raise CalibrationError(
                f"the {method} calibration converges on the full-sample weights but not on a "
                f"replicate's weights; widen the bounds or raise max_iterations"
            )
        return d_r * f.g

    variance_method = design.variance if isinstance(design.variance, ReplicateWeights) \
        else _stack(design.variance, step)
    return _adjusted(design, w, variance=variance_method, calibration=result, record=result,
                     replay=replay, replay_options={"remember_input": True})


def _calibrate_cells(design, call: dict, *, variance: str, lo: float, hi: float):
    """:func:`calibrate` on a SQL design: categorical margins, solved on the calibration cells.

    g is constant in a cell (the cross of the margin variables), so the equations,
    the checks and the diagnostics need only each cell's units and sums of d
    (:mod:`surveyweights.engines.calibration`).
    """
    from ..engines.base import not_on_engine

    if variance == "rake":
        raise not_on_engine(design, "variance='rake' (R rake()'s sweeps over the units)",
                            alternatives="variance='calibration' (the default), or ")
    pairs = _normalise(call["margins"])
    cols: list[str] = []
    for key, spec in pairs:
        if not isinstance(spec, (Mapping, pd.Series)):
            raise not_on_engine(
                design, f"calibration to the numeric total of margin {_label(key)} (its auxiliary "
                        f"varies unit by unit)",
                alternatives="categorical margins ({level: count}, computed from cell sums), or ")
        cols += [c for c in _columns_of(key) if c not in cols]
    have = design.engine.schema()
    for key, _ in pairs:
        missing = [c for c in _columns_of(key) if c not in have]
        if missing:
            raise InputError(
                f"margin {_label(key)}: column(s) {missing} not found in the design's data; "
                f"available columns: {list(have)}"
            )
    cells = calibration_cells(design, cols)
    for key, _ in pairs:  # a unit without a value in a margin variable: as in memory
        for c in _columns_of(key):
            na = cells.frame[c].isna().to_numpy()
            if na.any():
                raise MissingValueError(
                    f"margin {_label(key)}: column {c!r} is missing in "
                    f"{int(cells.weights.n[na].sum())} row(s); every unit needs a value to be "
                    f"calibrated: impute it or give those units a level of their own"
                )
    spec = _parse(cells.frame, call["margins"], call["collapse"], call["population_size"],
                  counts=cells.weights.n)
    result, fit = _calibrate_spec(cells.keys, spec, cells.weights.sum, method=call["method"], lo=lo,
                                  hi=hi, bounds=(lo, hi), tolerance=call["tolerance"],
                                  max_iterations=call["max_iterations"],
                                  bounds_text=f"within bounds=({show(lo)}, {show(hi)})",
                                  cells=cells.weights)
    result = replace(result, g=pd.Series(fit.g, index=cells.keys, name="g"),
                     design_weights=cells.weights.sum)
    step = ResidualStep(spec.aux, cells.weights.sum, fit.g, fit.columns, gram=fit.gram)
    # x' lambda per margin: each categorical block's levels (raw values, before collapse=)
    # with their lambda, and the population size's lambda (its column is 1 for every unit)
    terms: list = []
    cat = iter(m for m in spec.margins if not m.numeric)
    for blk, off in zip(spec.aux.blocks, spec.aux.offsets):
        if isinstance(blk, CategoricalBlock):
            m = next(cat)
            values = cells.frame[list(m.columns)].itertuples(index=False, name=None)
            items = dict(zip(values, fit.lam[off + blk.codes]))
            terms.append((m.columns, list(items.items())))
        else:
            terms += [float(v) for v in fit.lam[off:off + blk.width] if v != 0]
    return calibrated_design(design, cells, fit.g, step, result, terms=terms,
                             method=call["method"], bounds=(lo, hi),
                             replay=lambda d: calibrate(d, **call))


def _stack(method, step) -> CalibratedVariance:
    if isinstance(method, CalibratedVariance):
        return method.then(step)
    return CalibratedVariance(method, (step,))


def _check_control(tolerance, max_iterations) -> None:
    if not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise InputError(f"tolerance={tolerance!r} must be a number in (0, 1), e.g. 1e-10")
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, (int, np.integer)) or max_iterations < 1:
        raise InputError(f"max_iterations={max_iterations!r} must be a positive integer")


def rake(
    design,
    margins,
    *,
    bounds: tuple[float | None, float | None] | None = None,
    collapse: Mapping[Hashable, Mapping[Hashable, Hashable]] | None = None,
    variance: str = "calibration",
    tolerance: float = 1e-10,
    max_iterations: int = 100,
):
    """Rake a design to categorical margins: :func:`calibrate` with ``method="raking"``.

    Parameters
    ----------
    design : Design
    margins : dict or pandas.DataFrame
        As :func:`calibrate`; usually one ``{level: count}`` per margin, crossed
        margins keyed by tuples.
    bounds, collapse, tolerance, max_iterations
        As :func:`calibrate`.
    variance : {"calibration", "rake"}, default "calibration", keyword-only
        ``"rake"`` reproduces the SEs of R's ``rake()``, whose variance removes
        *unweighted* within-cell means of x/w in ten alternating sweeps over the
        margins instead of the d-weighted regression on all margins at once.  The
        two agree when the weights are constant within the margin cells (R's
        self-weighting ``apiclus1``) and differ otherwise; see the calibration
        page of the documentation for numbers.

    Returns
    -------
    Design

    Notes
    -----
    The weights are the converged raking weights: R's ``rake(design,
    sample.margins, population.margins, control=list(maxit=, epsilon=))`` gives
    the same weights once its iterative proportional fitting has converged (its
    default ``epsilon=1`` stops when no cell of the weighted table moves by 1 unit).

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"a": list("xxyy"), "b": list("uvuv")})
    >>> r = sw.rake(sw.Design(df), {"a": {"x": 30, "y": 70}, "b": {"u": 40, "v": 60}})
    >>> r.weights.round(6).tolist()
    [12.0, 18.0, 28.0, 42.0]
    """
    return calibrate(design, margins, method="raking", bounds=bounds, collapse=collapse,
                     variance=variance, tolerance=tolerance, max_iterations=max_iterations)
