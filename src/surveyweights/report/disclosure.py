"""Statistical disclosure control of tables: primary and secondary cell suppression.

Before a statistical office publishes a table of a business survey it hides
every cell that would tell too much about a few enterprises, and then enough
other cells that the hidden ones cannot be worked out from what is published.

**Primary suppression** (:func:`rules`):

* the *threshold rule*: a cell with fewer than ``min_units`` contributing units;
* the *(n, k) dominance rule* on a magnitude such as employment or turnover: a
  cell in which the ``n`` largest units hold more than a share ``k`` of the
  cell's total (``dominance=(2, 0.9)``: the two largest hold more than 90%).

**Secondary suppression** (:func:`protect`).  The row, column and grand totals
of a table are published (in the table or elsewhere, like the barometer's
overall figures), so a lone suppressed cell in a row is the row total minus
the others.  :func:`protect` chooses the fewest extra cells (ties: the smallest
ones) such that every primary cell can move by at least ``protection`` times
its value, up and down, in some table that agrees with everything published.
It solves one mixed-integer program (the model of Fischetti & Salazar-González
1999: a binary "suppressed" variable per cell and, per primary cell and
direction, a deviation table that keeps every published total) with
:func:`scipy.optimize.milp` (HiGHS), so the pattern is minimal for that model.

**Audit** (:func:`audit`).  An intruder who knows the published cells, the
totals and the bounds of the cells (0-100% for a share, no negative counts)
can compute the smallest and largest value each suppressed cell can take by
linear programming.  :func:`audit` does exactly that (two LPs per suppressed
cell, :func:`scipy.optimize.linprog`) and :class:`Suppression` reports it: no
suppressed cell of a protected table has a zero-width interval.

**Tables of estimates.**  For a table of shares or means, the totals that an
intruder can use are the domain sizes times the estimates: the share of a
sector is the weighted mean of its size classes, sum_c W_rc p_rc / W_r, with
W_rc the estimated number of enterprises of each cell.  :func:`protect` takes
these cell weights (``weights=``); :func:`surveyweights.report_table` passes
them from the design (``suppress=``).  A categorical item's shares also add up
to 100% in each row, which is a published row total.

Symbols: a suppressed cell prints ``x``, Statistics Canada's symbol for
"suppressed to meet the confidentiality requirements".

References
----------
Hundepool, A. et al. (2012), *Statistical Disclosure Control*, Wiley, ch. 4
(threshold and dominance rules, secondary suppression, the intruder's LP).
Fischetti, M. and Salazar-González, J.-J. (1999), Models and algorithms for the
2-dimensional cell suppression problem in statistical disclosure control,
*Mathematical Programming* 84, 283-312.

Examples
--------
>>> import pandas as pd
>>> from surveyweights.report import disclosure
>>> units = pd.DataFrame({"sector": list("AAABBBBCCC"), "size": list("sllslsllsl"),
...                       "employment": [5, 40, 60, 8, 30, 45, 50, 12, 9, 70]})
>>> s = disclosure.magnitude_table(units, rows="sector", columns="size",
...                                magnitude="employment", rules=disclosure.rules(min_units=2))
>>> int(s.primary.to_numpy().sum()), int(s.secondary.to_numpy().sum()), s.recoverable
(2, 2, 0)
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .. import _display
from ..errors import ConvergenceError, InputError

__all__ = ["DisclosureRules", "Suppression", "audit", "magnitude_table", "protect", "rules",
           "MARGINS"]

#: Which totals of a table are published: each row's, each column's.
MARGINS: tuple[str, ...] = ("rows", "columns")
_TOL = 1e-9


@dataclass(frozen=True)
class DisclosureRules:
    """Primary suppression rules and the secondary-suppression settings (frozen).

    Build it with :func:`rules`; see there for the parameters.
    """

    min_units: int | None = None
    dominance: tuple[int, float] | None = None
    magnitude: str | None = None
    secondary: bool = True
    protection: float = 0.1
    symbol: str = "x"

    def primary(self, n_units: np.ndarray, top_share: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Which cells break a primary rule, and which rule (``"min_units"``, ``"dominance"``)."""
        n_units = np.asarray(n_units, dtype=float)
        hit = np.zeros(n_units.shape, dtype=bool)
        why = np.full(n_units.shape, "", dtype=object)
        if self.min_units is not None:
            few = np.isfinite(n_units) & (n_units < self.min_units)
            hit |= few
            why[few] = "min_units"
        if self.dominance is not None and top_share is not None:
            share = np.asarray(top_share, dtype=float)
            with np.errstate(invalid="ignore"):
                dom = np.isfinite(share) & (share > self.dominance[1]) & ~hit
            hit |= dom
            why[dom] = "dominance"
        return hit, why

    def footnote(self, *, locale: str = "nl", reasons: Sequence[str] = ("min_units", "dominance",
                                                                          "secondary")) -> str:
        """The footnote of the suppression symbol, naming the rules that were applied."""
        from .formatting import _fmt_percent, _locale

        loc = _locale(locale)
        parts = []
        if self.min_units is not None and "min_units" in reasons:
            parts.append(loc.word("min_units", k=self.min_units))
        if self.dominance is not None and "dominance" in reasons:
            n, k = self.dominance
            share = _fmt_percent(k, 0 if round(k * 100, 6).is_integer() else 1, loc)
            key = "dominance_one" if n == 1 else "dominance"
            parts.append(loc.word(key, n=n, k=share, magnitude=self.magnitude))
        text = "; ".join(parts)
        if "secondary" in reasons:
            text = f"{text} {loc.word('secondary')}" if text else loc.word("secondary")
        return loc.word("disclosure_note", symbol=self.symbol, reasons=text)

    def __repr__(self) -> str:
        parts = []
        if self.min_units is not None:
            parts.append(f"min_units={self.min_units}")
        if self.dominance is not None:
            parts.append(f"dominance={self.dominance} on {self.magnitude!r}")
        parts.append("secondary suppression" if self.secondary else "no secondary suppression")
        return f"DisclosureRules({', '.join(parts)}; protection {self.protection:g}, symbol {self.symbol!r})"

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self))


def rules(
    *,
    min_units: int | None = None,
    dominance: tuple[int, float] | None = None,
    magnitude: str | None = None,
    secondary: bool = True,
    protection: float = 0.1,
    symbol: str = "x",
) -> DisclosureRules:
    """Disclosure rules for ``suppress=`` of report tables and for :func:`magnitude_table`.

    Parameters
    ----------
    min_units : int, optional, keyword-only
        Threshold rule: suppress a cell with fewer contributing units (respondents
        in the domain of an estimate; units in the cell of a magnitude table).
    dominance : (n, k), optional, keyword-only
        (n, k) dominance rule: suppress a cell whose ``n`` largest units hold more
        than the share ``k`` (0 < k < 1) of the cell's total of ``magnitude``.
    magnitude : str, optional, keyword-only
        The column of the unit data that the dominance rule sums, e.g.
        ``"employment"``; required with ``dominance``.
    secondary : bool, default True, keyword-only
        Also suppress the fewest other cells so that no suppressed cell can be
        derived from the published totals.  Turning it off leaves primary cells
        recoverable: use only when the table's totals are not published.
    protection : float, default 0.1, keyword-only
        Each primary cell must be able to move by this share of its value, up and
        down, in a table consistent with everything published (for a cell of 0,
        by this share of its range, or of the table's largest value).
    symbol : str, default "x", keyword-only
        Printed for a suppressed cell.

    Returns
    -------
    DisclosureRules

    Raises
    ------
    InputError
        A bad threshold, a dominance pair that is not (whole number >= 1, share in
        (0, 1)), dominance without a magnitude column, no rule at all.

    Examples
    --------
    >>> rules(min_units=10, dominance=(2, 0.9), magnitude="employment")
    DisclosureRules(min_units=10, dominance=(2, 0.9) on 'employment', secondary suppression; protection 0.1, symbol 'x')
    """
    if min_units is not None and (isinstance(min_units, bool) or not isinstance(min_units, (int, np.integer))
                                  or min_units < 1):
        raise InputError(
            f"min_units={min_units!r} is not a whole number >= 1; give e.g. min_units=10"
        )
    if dominance is not None:
        ok = (isinstance(dominance, (tuple, list)) and len(dominance) == 2
              and isinstance(dominance[0], (int, np.integer)) and not isinstance(dominance[0], bool)
              and dominance[0] >= 1 and isinstance(dominance[1], (int, float, np.floating))
              and not isinstance(dominance[1], bool) and 0 < float(dominance[1]) < 1)
        if not ok:
            raise InputError(
                f"dominance={dominance!r} is not a pair (n, k) of a whole number n >= 1 and a "
                f"share 0 < k < 1; give e.g. dominance=(2, 0.9): the two largest units hold "
                f"more than 90%"
            )
        dominance = (int(dominance[0]), float(dominance[1]))
        if not isinstance(magnitude, str) or not magnitude:
            raise InputError(
                f"dominance={dominance!r} needs magnitude=, the column whose cell totals the "
                f"largest units may dominate, e.g. magnitude='employment'"
            )
    elif magnitude is not None:
        raise InputError(
            f"magnitude={magnitude!r} is only used by the dominance rule; give dominance=(n, k) "
            f"too, or leave magnitude out"
        )
    if min_units is None and dominance is None:
        raise InputError("no disclosure rule given; give min_units=..., dominance=(n, k) or both")
    if not isinstance(secondary, (bool, np.bool_)):
        raise InputError(f"secondary={secondary!r} is not True or False")
    if isinstance(protection, bool) or not isinstance(protection, (int, float)) \
            or not 0 < float(protection) <= 1:
        raise InputError(
            f"protection={protection!r} is not a share in (0, 1]; give e.g. 0.1: an intruder "
            f"must not pin a suppressed cell down to within 10% of its value"
        )
    if not isinstance(symbol, str) or not symbol.strip():
        raise InputError(f"symbol={symbol!r} is not a printable symbol; give e.g. symbol='x'")
    return DisclosureRules(int(min_units) if min_units is not None else None, dominance, magnitude,
                           bool(secondary), float(protection), symbol)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Suppression:
    """A table with its suppression pattern and the intruder's audit (frozen).

    Attributes
    ----------
    values : pandas.DataFrame
        The cell values (rows x columns); NaN for a cell that does not exist.
    primary, secondary : pandas.DataFrame of bool
        The cells suppressed by a primary rule, and the ones added so that those
        cannot be derived from the totals.
    reason : pandas.DataFrame of str
        ``"min_units"``, ``"dominance"``, ``"secondary"``, ``"given"`` (a primary
        cell passed to :func:`protect`) or ``""``.
    audit : pandas.DataFrame
        One row per primary or secondary cell: ``row, column, role`` (``"primary"``
        or ``"secondary"``), ``value, low, high`` (the smallest and largest value
        consistent with everything published; cells hidden for another reason,
        ``free=`` of :func:`protect`, count as unknown),
        ``recoverable`` (``high - low`` is zero) and, for primary cells,
        ``protected`` (the interval reaches ``protection`` below and above).
    weights : pandas.DataFrame
        The cell weights of the published totals (1 for a table of totals).
    margins : tuple of str
        The published totals: ``"rows"``, ``"columns"``.
    rules : DisclosureRules or None
    """

    values: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    reason: pd.DataFrame
    audit: pd.DataFrame
    weights: pd.DataFrame
    margins: tuple[str, ...]
    rules: DisclosureRules | None = None

    @property
    def suppressed(self) -> pd.DataFrame:
        """Primary or secondary."""
        return self.primary | self.secondary

    @property
    def recoverable(self) -> int:
        """How many primary or secondary cells an intruder can compute exactly (0 when protected).

        Cells hidden for another reason (``free=`` of :func:`protect`, e.g. too
        unreliable to publish) are not confidential and not audited.
        """
        return int(self.audit["recoverable"].sum()) if len(self.audit) else 0

    def published(self, symbol: str | None = None) -> pd.DataFrame:
        """The table as published: the values, with the symbol in suppressed cells."""
        sym = symbol if symbol is not None else (self.rules.symbol if self.rules else "x")
        out = self.values.astype(object).copy()
        out[self.suppressed.to_numpy()] = sym
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: ``row, column, value, weight, primary, secondary, reason``."""
        r, c = np.meshgrid(np.arange(self.values.shape[0]), np.arange(self.values.shape[1]),
                           indexing="ij")
        return pd.DataFrame({
            "row": self.values.index.to_numpy(dtype=object)[r.ravel()],
            "column": self.values.columns.to_numpy(dtype=object)[c.ravel()],
            "value": self.values.to_numpy(dtype=float).ravel(),
            "weight": self.weights.to_numpy(dtype=float).ravel(),
            "primary": self.primary.to_numpy().ravel(),
            "secondary": self.secondary.to_numpy().ravel(),
            "reason": self.reason.to_numpy(dtype=object).ravel(),
        })

    def __repr__(self) -> str:
        p, s = int(self.primary.to_numpy().sum()), int(self.secondary.to_numpy().sum())
        cells = int(np.isfinite(self.values.to_numpy(dtype=float)).sum())
        rec = self.recoverable
        verdict = ("no suppressed cell can be recovered from the published totals" if rec == 0
                   else f"{rec} suppressed cell(s) can be recovered from the published totals")
        return (f"Suppression: {p} primary and {s} secondary of {cells} cells "
                f"(totals published: {', '.join(self.margins) or 'none'}); audit: {verdict}")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.published().reset_index())


# --------------------------------------------------------------------------- magnitude tables


def _cell_stats(units: pd.DataFrame, rows: str, columns: str, magnitude: str | None,
                n_top: int) -> pd.DataFrame:
    keys = [rows, columns]
    g = units.groupby(keys, sort=False, observed=True, dropna=False)
    out = g.size().rename("n_units").to_frame()
    if magnitude is not None:
        out["total"] = g[magnitude].sum()
        out["top"] = g[magnitude].apply(lambda s: float(np.sort(s.to_numpy(dtype=float))[::-1][:n_top].sum()))
    return out


def magnitude_table(
    units: pd.DataFrame,
    *,
    rows: str,
    columns: str,
    magnitude: str,
    rules: DisclosureRules,
    margins: Sequence[str] = MARGINS,
) -> Suppression:
    """A table of totals of ``magnitude`` from unit records, with primary and secondary suppression.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit (enterprise): the row and column classification and the
        magnitude (e.g. employment).
    rows, columns : str, keyword-only
        The classification columns (e.g. ``"nace"`` and ``"size"``).
    magnitude : str, keyword-only
        The column summed in each cell; it must be >= 0 and complete.
    rules : DisclosureRules, keyword-only
        From :func:`rules`; the dominance rule uses ``rules.magnitude`` (which may
        differ from the tabulated ``magnitude``).
    margins : sequence of {"rows", "columns"}, default both, keyword-only
        The totals that are published.

    Returns
    -------
    Suppression
        The totals (rows and columns in order of first appearance, or of the
        categories of a categorical column), the pattern and its audit.

    Raises
    ------
    InputError
        Missing columns, negative or missing magnitudes.
    """
    if not isinstance(units, pd.DataFrame):
        raise InputError(f"units must be a DataFrame of unit records, got {type(units).__name__}")
    if not isinstance(rules, DisclosureRules):
        raise InputError(f"rules={rules!r} is not a DisclosureRules; build it with sw.disclosure.rules(...)")
    cols = [rows, columns, magnitude] + ([rules.magnitude] if rules.magnitude else [])
    missing = [c for c in dict.fromkeys(cols) if not isinstance(c, str) or c not in units.columns]
    if missing:
        raise InputError(f"column(s) {missing} are not in the unit data; its columns are {list(units.columns)}")
    for c in dict.fromkeys([magnitude] + ([rules.magnitude] if rules.magnitude else [])):
        v = pd.to_numeric(units[c], errors="coerce")
        bad = v.isna() | (v < 0)
        if bad.any():
            i = units.index[bad.to_numpy()][0]
            value = units.loc[i, c]
            value = value.item() if hasattr(value, "item") else value
            raise InputError(
                f"magnitude column {c!r} has the value {value!r} in row {i!r}; a "
                f"magnitude must be a number >= 0 for every unit: fix or drop that unit"
            )
    for c in (rows, columns):
        if units[c].isna().any():
            raise InputError(f"column {c!r} has missing values; every unit needs a {c} to be tabulated")
    n_top = rules.dominance[0] if rules.dominance else 1
    st = _cell_stats(units, rows, columns, rules.magnitude, n_top)
    tot = units.groupby([rows, columns], sort=False, observed=True)[magnitude].sum()
    rkeys = _keys(units[rows])
    ckeys = _keys(units[columns])
    index = pd.MultiIndex.from_product([rkeys, ckeys])
    values = tot.reindex(index).to_numpy(dtype=float).reshape(len(rkeys), len(ckeys))
    n_units = st["n_units"].reindex(index).to_numpy(dtype=float).reshape(values.shape)
    share = None
    if rules.magnitude is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            share = (st["top"] / st["total"]).reindex(index).to_numpy(dtype=float).reshape(values.shape)
    prim, why = rules.primary(n_units, share)
    prim &= np.isfinite(values)
    frame = pd.DataFrame(values, index=pd.Index(rkeys, name=rows), columns=pd.Index(ckeys, name=columns))
    return protect(frame, primary=prim, lower=0.0, margins=margins, rules=rules, _reasons=why)


def _keys(col: pd.Series) -> list:
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique())
        return [c for c in col.cat.categories if c in present]
    return list(pd.unique(col))


# --------------------------------------------------------------------------- the model


def _relations(finite: np.ndarray, weights: np.ndarray, margins: Sequence[str]) -> np.ndarray:
    """The published totals as rows of coefficients on the finite cells (row-major order)."""
    R, C = finite.shape
    idx = -np.ones((R, C), dtype=int)
    idx[finite] = np.arange(int(finite.sum()))
    rel = []
    if "rows" in margins:
        for r in range(R):
            if finite[r].any():
                a = np.zeros(int(finite.sum()))
                a[idx[r, finite[r]]] = weights[r, finite[r]]
                rel.append(a)
    if "columns" in margins:
        for c in range(C):
            if finite[:, c].any():
                a = np.zeros(int(finite.sum()))
                a[idx[finite[:, c], c]] = weights[finite[:, c], c]
                rel.append(a)
    return np.array(rel).reshape(len(rel), int(finite.sum()))


def _protection_levels(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, protection: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    span = np.where(np.isfinite(hi - lo), hi - lo, np.nanmax(np.abs(x)) if len(x) else 1.0)
    scale = np.where(x != 0, np.abs(x), span)
    p = protection * scale
    up = np.minimum(p, hi - x)
    down = np.minimum(p, x - lo)
    return np.maximum(up, 0.0), np.maximum(down, 0.0)


@contextlib.contextmanager
def _quiet_solver() -> Any:
    """Silence HiGHS's own prints to the process's stdout (file descriptor 1) during a solve.

    Some HiGHS builds print a debug line ("HighsMipSolverData::transformNew...") straight
    from C, past ``disp=False``; it would land in the middle of a command's output.  The
    descriptor is restored when the solve returns.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, io.UnsupportedOperation):  # no real stdout: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def _solve_pattern(x, w, lo, hi, A, primary, free, protection):
    """The minimal secondary pattern (bool over the finite cells) by one MILP."""
    m = len(x)
    up, down = _protection_levels(x, lo, hi, protection)
    targets = [(p, +1, up[p]) for p in np.flatnonzero(primary) if up[p] > _TOL] + \
              [(p, -1, down[p]) for p in np.flatnonzero(primary) if down[p] > _TOL]
    if not targets:
        return primary.copy()
    # capacities of the deviations; an infinite bound gets a big-M that no useful flow needs
    need = max(abs(t[2]) * w[t[0]] for t in targets)
    big = np.where(w > 0, 4.0 * need / np.where(w > 0, w, 1.0), 0.0) + 1.0
    U = np.minimum(hi - x, big)
    L = np.minimum(x - lo, big)
    T = len(targets)
    nvar = m + T * m
    rows, cols, vals, lb, ub = [], [], [], [], []
    k = A.shape[0]
    r0 = 0
    Acoo = sparse.coo_matrix(A)
    for t in range(T):
        off = m + t * m
        # published totals unchanged
        rows += list(r0 + Acoo.row); cols += list(off + Acoo.col); vals += list(Acoo.data)
        lb += [0.0] * k; ub += [0.0] * k
        r0 += k
        # a cell moves only if suppressed: f <= U s and f >= -L s
        ii = np.arange(m)
        rows += list(r0 + ii) + list(r0 + ii); cols += list(off + ii) + list(ii)
        vals += [1.0] * m + list(-U)
        lb += [-np.inf] * m; ub += [0.0] * m
        r0 += m
        rows += list(r0 + ii) + list(r0 + ii); cols += list(off + ii) + list(ii)
        vals += [1.0] * m + list(L)
        lb += [0.0] * m; ub += [np.inf] * m
        r0 += m
    M = sparse.csr_matrix((vals, (rows, cols)), shape=(r0, nvar))
    vlo = np.concatenate([primary.astype(float)] + [-L] * T)
    vhi = np.concatenate([np.ones(m)] + [U] * T)
    for t, (p, sign, amount) in enumerate(targets):
        j = m + t * m + p
        if sign > 0:
            vlo[j] = max(vlo[j], amount)
        else:
            vhi[j] = min(vhi[j], -amount)
    vhi[:m] = np.where(free, 1.0, vhi[:m])
    contrib = np.abs(w * x)
    scale = contrib.max() if len(contrib) and contrib.max() > 0 else 1.0
    cost = np.concatenate([np.where(free | primary, 0.0, 1.0 + 1e-3 * contrib / scale),
                           np.zeros(T * m)])
    integrality = np.concatenate([np.ones(m), np.zeros(T * m)])
    with _quiet_solver():
        res = milp(cost, integrality=integrality, bounds=Bounds(vlo, vhi),
                   constraints=LinearConstraint(M, lb, ub),
                   options={"time_limit": 120.0, "mip_rel_gap": 0.0})
    if res.status == 2 or res.x is None:  # infeasible
        return None
    if not res.success and res.x is None:  # pragma: no cover - time limit without a solution
        raise ConvergenceError(
            f"the secondary-suppression program found no pattern within 120 s ({res.message}); "
            f"suppress by hand or split the table"
        )
    s = res.x[:m] > 0.5
    return s | primary


def _intervals(x, w, lo, hi, A, suppressed, targets=None) -> tuple[np.ndarray, np.ndarray]:
    """The intruder's LP: min and max of each suppressed cell given everything published.

    ``targets`` (default: every suppressed cell) are the cells to solve for; the
    other suppressed cells are unknowns too, but their range is not computed.
    """
    S = np.flatnonzero(suppressed)
    low = np.full(len(x), np.nan)
    high = np.full(len(x), np.nan)
    targets = suppressed if targets is None else targets
    if not len(S) or not targets.any():
        return low, high
    P = ~suppressed
    if A.shape[0]:
        A_S = A[:, S]
        b = A @ x - A[:, P] @ x[P]
        keep = np.abs(A_S).sum(axis=1) > 0
        A_S, b = A_S[keep], b[keep]
    else:
        A_S, b = np.zeros((0, len(S))), np.zeros(0)
    bounds = [(None if not np.isfinite(lo[i]) else lo[i], None if not np.isfinite(hi[i]) else hi[i])
              for i in S]
    for j, i in enumerate(S):
        if not targets[i]:
            continue
        c = np.zeros(len(S))
        for sign, out in ((1.0, low), (-1.0, high)):
            c[j] = sign
            res = linprog(c, A_eq=A_S if len(b) else None, b_eq=b if len(b) else None,
                          bounds=bounds, method="highs")
            if res.status == 3:  # unbounded: the cell can go to infinity
                out[i] = -np.inf if sign > 0 else np.inf
            elif res.status == 0:
                out[i] = res.x[j]
            else:  # pragma: no cover - the true table is always feasible
                raise ConvergenceError(f"the audit LP failed for a suppressed cell: {res.message}")
    return low, high


def _bounds(values: np.ndarray, bound: Any, name: str) -> np.ndarray:
    if bound is None:
        return np.full(values.shape, -np.inf if name == "lower" else np.inf)
    b = np.asarray(bound.to_numpy(dtype=float) if isinstance(bound, pd.DataFrame) else bound,
                   dtype=float)
    try:
        return np.broadcast_to(b, values.shape).astype(float)
    except ValueError:
        raise InputError(
            f"{name} has shape {b.shape}, the table {values.shape}; give one number or a table "
            f"of the same shape"
        ) from None


def protect(
    values: pd.DataFrame,
    *,
    primary: Any,
    weights: Any = None,
    lower: Any = None,
    upper: Any = None,
    margins: Sequence[str] = MARGINS,
    protection: float | None = None,
    free: Any = None,
    rules: DisclosureRules | None = None,
    _reasons: np.ndarray | None = None,
) -> Suppression:
    """Secondary suppression: the fewest extra cells that protect the primary ones.

    Parameters
    ----------
    values : pandas.DataFrame
        The table (rows x columns); NaN marks a cell that does not exist.
    primary : array-like of bool, keyword-only
        Same shape: the cells that must not be disclosed.
    weights : array-like, optional, keyword-only
        Same shape (or one number): the published totals are sums of
        ``weights * values`` over rows and columns.  Default 1 (a table of totals);
        for shares and means, the cells' estimated population sizes.
    lower, upper : number or array-like, optional, keyword-only
        What an intruder knows about each cell without the table (0 and 1 for a
        share, 0 for a count).  Default unbounded.
    margins : sequence of {"rows", "columns"}, default both, keyword-only
        The published totals.
    protection : float, optional, keyword-only
        Default ``rules.protection`` or 0.1; see :func:`rules`.
    free : array-like of bool, optional, keyword-only
        Cells that are hidden anyway (e.g. too unreliable to publish): they may
        serve as secondary cells at no cost and are not counted as secondary.
    rules : DisclosureRules, optional, keyword-only
        Stored in the result (for the symbol and the footnote).

    Returns
    -------
    Suppression

    Raises
    ------
    InputError
        Shapes that differ, unknown margins, a primary cell that no pattern can
        protect (e.g. the only cell of a row whose total is published).

    Notes
    -----
    With s_i = 1 for a suppressed cell, the program is: minimise the number of
    suppressed non-primary cells (ties: the smallest w_i |x_i|) such that for each
    primary cell p and direction +/-, there is a deviation table f with
    ``sum w f = 0`` over every published row and column, ``lower <= x + f <=
    upper``, f_i = 0 unless s_i = 1, and f_p >= protection |x_p| (or <=
    -protection |x_p|).  Such an f is a table an intruder cannot tell from the
    true one, so the audit interval of p reaches at least that far; at the
    optimum every secondary cell carries some deviation, so none has a
    zero-width interval either.  :func:`audit` checks both by linear programming.
    """
    if not isinstance(values, pd.DataFrame):
        raise InputError(f"values must be a DataFrame (rows x columns), got {type(values).__name__}")
    x2 = values.to_numpy(dtype=float)
    shape = x2.shape
    margins = tuple(margins)
    bad = [m for m in margins if m not in MARGINS]
    if bad:
        raise InputError(f"margins {bad} are not valid; choose from {list(MARGINS)}")
    prim2 = np.asarray(primary.to_numpy() if isinstance(primary, pd.DataFrame) else primary, dtype=bool)
    if prim2.shape != shape:
        raise InputError(f"primary has shape {prim2.shape}, the table {shape}; give one flag per cell")
    w2 = np.broadcast_to(np.asarray(1.0 if weights is None else (
        weights.to_numpy(dtype=float) if isinstance(weights, pd.DataFrame) else weights), dtype=float),
        shape).astype(float)
    free2 = np.zeros(shape, dtype=bool) if free is None else np.asarray(
        free.to_numpy() if isinstance(free, pd.DataFrame) else free, dtype=bool)
    lo2, hi2 = _bounds(x2, lower, "lower"), _bounds(x2, upper, "upper")
    finite = np.isfinite(x2)
    prim2 = prim2 & finite
    free2 = free2 & finite & ~prim2
    if ((w2 < 0) | ~np.isfinite(w2))[finite].any():
        raise InputError("weights must be finite and >= 0 for every cell of the table")
    prot = protection if protection is not None else (rules.protection if rules else 0.1)
    x, w, lo, hi = x2[finite], w2[finite], lo2[finite], hi2[finite]
    prim, fr = prim2[finite], free2[finite]
    A = _relations(finite, w2, margins)
    secondary = rules.secondary if rules is not None else True
    if prim.any() and secondary and A.shape[0]:
        pattern = _solve_pattern(x, w, lo, hi, A, prim, fr, prot)
        if pattern is None:
            cells = [(values.index[r], values.columns[c]) for r, c in zip(*np.nonzero(prim2))]
            raise InputError(
                f"no suppression pattern can protect the cell(s) {cells[:5]}: with the "
                f"{' and '.join(margins)} totals published they stay within "
                f"{100 * prot:g}% of their value (a cell alone in its row or column is that "
                f"total; a cell that makes up nearly all of a total is close to it); merge rows "
                f"or columns, lower protection=, or do not publish that total (margins=...)"
            )
    else:
        pattern = prim.copy()
    sec = pattern & ~prim & ~fr
    hidden = pattern | fr
    low, high = _intervals(x, w, lo, hi, A, hidden, targets=pattern & ~fr)
    up, down = _protection_levels(x, lo, hi, prot)
    tol = _TOL * np.maximum(1.0, np.abs(x))
    audit_rows = []
    ridx, cidx = np.nonzero(finite)
    for i in np.flatnonzero(pattern & ~fr):
        r, c = ridx[i], cidx[i]
        audit_rows.append({
            "row": values.index[r], "column": values.columns[c],
            "role": "primary" if prim[i] else "secondary",
            "value": x[i], "low": low[i], "high": high[i],
            "recoverable": bool(high[i] - low[i] <= tol[i]),
            "protected": (bool(low[i] <= x[i] - down[i] + tol[i] and high[i] >= x[i] + up[i] - tol[i])
                          if prim[i] else None),
        })
    audit_frame = pd.DataFrame(audit_rows, columns=["row", "column", "role", "value", "low", "high",
                                                    "recoverable", "protected"])
    sec2 = np.zeros(shape, dtype=bool)
    sec2[finite] = sec
    reason = np.full(shape, "", dtype=object)
    if _reasons is not None:
        reason[prim2] = np.asarray(_reasons, dtype=object)[prim2]
    else:
        reason[prim2] = "given"
    reason[sec2] = "secondary"

    def frame(a: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(a, index=values.index, columns=values.columns)

    return Suppression(values=values.copy(), primary=frame(prim2), secondary=frame(sec2),
                       reason=frame(reason), audit=audit_frame, weights=frame(w2),
                       margins=margins, rules=rules)


def audit(
    values: pd.DataFrame,
    suppressed: Any,
    *,
    weights: Any = None,
    lower: Any = None,
    upper: Any = None,
    margins: Sequence[str] = MARGINS,
) -> pd.DataFrame:
    """What an intruder can compute: the range of every suppressed cell, by linear programming.

    Parameters
    ----------
    values : pandas.DataFrame
        The true table.
    suppressed : array-like of bool
        The cells that are not published.
    weights, lower, upper, margins : keyword-only
        As in :func:`protect`.

    Returns
    -------
    pandas.DataFrame
        One row per suppressed cell: ``row, column, value, low, high,
        recoverable``; ``low`` and ``high`` are the minimum and maximum of the
        cell over all tables that agree with the published cells, the published
        totals and the bounds.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame([[10.0, 20.0], [30.0, 40.0]])
    >>> audit(t, [[True, False], [False, False]], lower=0)[["value", "low", "high", "recoverable"]]
       value   low  high  recoverable
    0   10.0  10.0  10.0         True
    """
    x2 = values.to_numpy(dtype=float)
    s2 = np.asarray(suppressed.to_numpy() if isinstance(suppressed, pd.DataFrame) else suppressed,
                    dtype=bool)
    if s2.shape != x2.shape:
        raise InputError(f"suppressed has shape {s2.shape}, the table {x2.shape}")
    w2 = np.broadcast_to(np.asarray(1.0 if weights is None else weights, dtype=float), x2.shape)
    lo2, hi2 = _bounds(x2, lower, "lower"), _bounds(x2, upper, "upper")
    finite = np.isfinite(x2)
    A = _relations(finite, w2, tuple(margins))
    x = x2[finite]
    sup = s2[finite]
    low, high = _intervals(x, w2[finite], lo2[finite], hi2[finite], A, sup)
    ridx, cidx = np.nonzero(finite)
    rows = []
    for i in np.flatnonzero(sup):
        rows.append({"row": values.index[ridx[i]], "column": values.columns[cidx[i]],
                     "value": x[i], "low": low[i], "high": high[i],
                     "recoverable": bool(high[i] - low[i] <= _TOL * max(1.0, abs(x[i])))})
    return pd.DataFrame(rows, columns=["row", "column", "value", "low", "high", "recoverable"])
