"""SYNTHETIC replica microdata of the Flemish AI-Barometer 2025 (not real responses).

.. warning::

   Everything this module makes or loads is **synthetic**.  The rows are invented
   by a seeded generator so that their *weighted* percentages reproduce the
   published tables of the AI-Barometer 2025; no row is, or derives from, a real
   enterprise's answer.  Every frame carries ``DataFrame.attrs["source"]`` saying so.

The generator works in two stages (details, formulas and the deviations achieved
are in ``docs/replica.md``):

1. **Counts per stratum.**  For each question, cell probabilities per stratum
   (11 sectors x 4 size classes) are fitted to the published sector *and* size
   margins by iterative proportional fitting (IPF) on the stratum x answer table
   with the weighted base as stratum totals.  The fitted expected counts are then
   turned into *integer* counts per stratum by mixed-integer feasibility problems
   (:func:`scipy.optimize.milp`, HiGHS, node-limited and so deterministic): every
   published cell must lie within a tolerance of its printed value (0.049 pp for
   Tabel 3/4, the smallest feasible of 0.1 ... 0.5 pp for Tabel 5/6, the smallest
   feasible of 0.049 ... 10 pp otherwise, but never tighter than the cell's domain alone
   allows), with the counts kept in the narrowest feasible window around the IPF fit
   and, where HiGHS finds one, the point of that window nearest the fit.
   These counts do not depend on the seed.
2. **Respondents.**  The counts are dealt out to individual respondents at random
   (``rng``), with plausible within-stratum associations (more technologies ->
   more applications, non-individual initiative, later phase, rising budget);
   then item non-response (MCAR within strata), the 432 unusable raw responses and
   the 9,610 sampled enterprise ids are drawn.

Weights are w_h = N_h / n_h (Tabel 1 population, Tabel 2 usable responses), as in
:func:`surveyweights.poststratify`; a weighted percentage of a domain is
100 * sum(w * y) / sum(w * base).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.optimize import Bounds, LinearConstraint, milp

from ._published import barometer_2025_headlines, barometer_2025_published
from .errors import ConvergenceError, InputError

__all__ = [
    "ADOPTION_LEVELS",
    "APP_ITEMS",
    "BUDGET_LEVELS",
    "DEFAULT_NONRESPONSE",
    "DEFAULT_RAW_SPLIT",
    "DEFAULT_SEED",
    "INITIATIVE_LEVELS",
    "NONINDIVIDUAL",
    "PHASE_LEVELS",
    "PLANS_LEVELS",
    "ReplicaResult",
    "TECH_ITEMS",
    "barometer_2025_replica",
    "barometer_2025_replica_raw",
    "barometer_2025_replica_sample",
    "make_barometer_replica",
]

# --------------------------------------------------------------------------- codes
NACE_CODES: tuple[str, ...] = (
    "10-33", "35-39", "41-43", "45-47", "49-53", "55-56",
    "58-63", "64-66", "68-75", "77-82;95.1", "86-88",
)
SIZE_CODES: tuple[str, ...] = ("micro", "small", "medium", "large")
#: Adoption status, derived: ``adopter`` iff at least one ``tech_*`` is 1.
ADOPTION_LEVELS: tuple[str, ...] = ("adopter", "plans", "no_plans")
#: Answer to the plans question (non-adopters only).
PLANS_LEVELS: tuple[str, ...] = ("yes", "no")
#: The eight technologies of Tabel 5/6 (mandatory question, never missing).
TECH_ITEMS: tuple[str, ...] = (
    "tech_text", "tech_speech", "tech_nlg", "tech_media",
    "tech_vision", "tech_ml", "tech_rpa", "tech_robots",
)
#: Initiative (Tabel 7/8), adopters only.
INITIATIVE_LEVELS: tuple[str, ...] = (
    "individual_shadow", "individual_approved", "teams", "it", "management",
)
#: Initiatives after which the phase question is asked.
NONINDIVIDUAL: tuple[str, ...] = ("teams", "it", "management")
#: Adoption phase (Tabel 9/10), adopters with a non-individual initiative only.
PHASE_LEVELS: tuple[str, ...] = ("experiment", "integrate", "scale", "reduce")
#: Applications (Tabel 11/12), multi-response 0/1, adopters only.
APP_ITEMS: tuple[str, ...] = (
    "app_marketing", "app_customer_service", "app_production", "app_administration",
    "app_strategy", "app_procurement", "app_logistics", "app_ict_security",
    "app_hr", "app_rnd",
)
#: Evolution of the AI budget (Figuur 11), adopters only.
BUDGET_LEVELS: tuple[str, ...] = ("down", "same", "up_slightly", "up_strongly")

#: Default seed of the bundled replica.
DEFAULT_SEED = 2025
#: Default item non-response rates (share of eligible respondents, MCAR within strata).
#: ``applications`` is the whole app_* battery (missing together).
DEFAULT_NONRESPONSE: Mapping[str, float] = {
    "plans": 0.04, "initiative": 0.05, "phase": 0.03, "budget": 0.07, "applications": 0.05,
}
#: Default split of the 432 unusable raw responses over the screening rules (section 3.3).
DEFAULT_RAW_SPLIT: Mapping[str, int] = {
    "not_sampled": 160, "duplicate": 140, "mandatory_missing": 132,
}

#: Figuur 11 (report section 4.5, line 485 of the text rendering), % of adopters.
BUDGET_HEADLINE: Mapping[str, float] = {
    "down": 1.2, "same": 53.0, "up_slightly": 35.1, "up_strongly": 10.8,
}
#: Section 4.5 text: share of adopters whose budget rose (slightly or strongly).
_BUDGET_UP_86_88 = 25.7
_BUDGET_UP_OVER_HALF = ("58-63", "68-75", "49-53", "64-66")

_N_ADOPTERS = 1982          # base_n of Tabel 7/8/11/12 (unweighted adopters)
_N_NONINDIVIDUAL = 1139     # base_n of Tabel 9/10
_N_RAW = 3347               # responses received (section 3.3)
_PRINT_TOL = 0.049          # |diff| < 0.05 pp: the replica rounds to the printed value
_TECH_TOL = 0.5             # hard tolerance of Tabel 5/6
_N_TECH_TOL = _PRINT_TOL     # Figuur 1 number-of-technologies shares: tolerance max(tau, this)

_SOURCE = (
    "SYNTHETIC replica of the AI-Barometer 2025 (generated by surveyweights.replica, "
    "seed {seed}), not real survey responses"
)
_FILES = {
    "data": "barometer_2025_replica.csv",
    "complete": "barometer_2025_replica_complete.csv",
    "raw": "barometer_2025_replica_raw.csv",
    "sample": "barometer_2025_replica_sample.csv",
}


# ============================================================================ MILP
class _Milp:
    """A tiny builder for :func:`scipy.optimize.milp` models (sparse rows)."""

    def __init__(self) -> None:
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.n = 0
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, shape, *, lb=0.0, ub=np.inf, integer=False, cost=0.0) -> np.ndarray:
        size = int(np.prod(shape))
        idx = np.arange(self.n, self.n + size)
        self.n += size
        self.lb.append(np.broadcast_to(np.asarray(lb, float), (size,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, float), (size,)).copy())
        self.integer.append(np.full(size, 1 if integer else 0))
        self.cost.append(np.broadcast_to(np.asarray(cost, float), (size,)).copy())
        return idx.reshape(shape)

    def row(self, idx, coef, lo=-np.inf, hi=np.inf) -> None:
        idx = np.asarray(idx).ravel()
        coef = np.broadcast_to(np.asarray(coef, float), idx.shape).ravel()
        r = len(self.lo)
        self.rows.extend([r] * len(idx))
        self.cols.extend(idx.tolist())
        self.vals.extend(coef.tolist())
        self.lo.append(lo)
        self.hi.append(hi)

    def solve(self, what: str, *, gap: float = 1e-6, node_limit: int = 2000) -> np.ndarray:
        a = sparse.csr_array(
            (self.vals, (self.rows, self.cols)), shape=(len(self.lo), self.n)
        )
        res = milp(
            c=np.concatenate(self.cost),
            constraints=LinearConstraint(a, self.lo, self.hi),
            integrality=np.concatenate(self.integer),
            bounds=Bounds(np.concatenate(self.lb), np.concatenate(self.ub)),
            options={"mip_rel_gap": gap, "node_limit": node_limit, "presolve": True},
        )
        if res.x is None:
            raise ConvergenceError(
                f"the integer search for {what} found no solution ({res.message}); the "
                f"published targets and Tabel 2 counts admit no integer counts within the "
                f"tolerances; widen the tolerance of the offending table"
            )
        return res.x


# ============================================================================= IPF
def _ipf(base: np.ndarray, dims: list[tuple[np.ndarray, np.ndarray]], *,
         prior: np.ndarray | None = None, max_iter: int = 5000, tol: float = 1e-10) -> np.ndarray:
    """Fit cell shares pi[h, k] to group x answer margins by IPF.

    Parameters
    ----------
    base : (H,) weighted base per stratum, W_h (the stratum totals of the table).
    dims : list of (codes (H,), targets (G, K)): for each margin (sector, size), the
        group of each stratum and the target weighted count of each answer per group.
    prior : (H, K) optional positive seed table of shares.

    Returns
    -------
    (H, K) shares with rows summing to 1 (rows of strata with W_h = 0 are the prior).

    Notes
    -----
    The margins are first made consistent: each group's targets are rescaled to its
    base W_g = sum_{h in g} W_h, and the answer totals T_k are set to the mean over
    the margins, with each margin adjusted to (W_g, T_k) by two-way IPF.  The three-way
    IPF then cycles m[h,k] <- m[h,k] * T_gk / sum_{h in g} m[h,k] over the margins and
    m[h,k] <- m[h,k] * W_h / sum_k m[h,k], i.e. fits the log-linear model without the
    stratum-by-answer-by-margin interaction (Deming & Stephan, 1940).
    """
    H = len(base)
    K = dims[0][1].shape[1]
    fitted = []
    for codes, targets in dims:
        G = targets.shape[0]
        wg = np.bincount(codes, weights=base, minlength=G)
        t = np.clip(targets.astype(float), 0.0, None)
        rs = t.sum(axis=1, keepdims=True)
        t = np.where(rs > 0, t / np.where(rs > 0, rs, 1) * wg[:, None], wg[:, None] / K)
        fitted.append(t)
    totals = np.mean([t.sum(axis=0) for t in fitted], axis=0)
    for i, t in enumerate(fitted):
        wg = t.sum(axis=1)
        for _ in range(max_iter):
            cs = t.sum(axis=0)
            t = t * np.where(cs > 0, totals / np.where(cs > 0, cs, 1), 0.0)
            rs = t.sum(axis=1)
            t = t * np.where(rs > 0, wg / np.where(rs > 0, rs, 1), 0.0)[:, None]
            if np.abs(t.sum(axis=0) - totals).max() < tol * max(1.0, totals.sum()):
                break
        fitted[i] = t
    m = (np.full((H, K), 1.0 / K) if prior is None else prior / prior.sum(axis=1, keepdims=True))
    m = m * base[:, None]
    for _ in range(max_iter):
        worst = 0.0
        for (codes, _), t in zip(dims, fitted):
            G = t.shape[0]
            cur = np.zeros((G, K))
            np.add.at(cur, codes, m)
            f = np.where(cur > 0, t / np.where(cur > 0, cur, 1), 0.0)
            worst = max(worst, float(np.abs(cur - t).max()))
            m = m * f[codes]
        rs = m.sum(axis=1)
        m = m * np.where(rs > 0, base / np.where(rs > 0, rs, 1), 0.0)[:, None]
        if worst < tol * max(1.0, base.sum()):
            break
    rs = m.sum(axis=1, keepdims=True)
    fallback = np.full((H, K), 1.0 / K) if prior is None else prior / prior.sum(axis=1, keepdims=True)
    return np.where(rs > 0, m / np.where(rs > 0, rs, 1), fallback)


# ========================================================================= targets
@dataclass(frozen=True)
class _Strata:
    """The 44 strata as arrays, in the order of :func:`datasets.barometer_2025`."""

    frame: pd.DataFrame
    nace: np.ndarray   # sector code 0..10
    size: np.ndarray   # size code 0..3
    N: np.ndarray
    n: np.ndarray      # usable responses (Tabel 2)
    sample: np.ndarray  # sampled enterprises (Tabel 1)
    w: np.ndarray      # N_h / n_h

    def mask(self, by: str, domain: str) -> np.ndarray:
        if by == "nace":
            return self.nace == NACE_CODES.index(domain)
        if by == "size":
            return self.size == SIZE_CODES.index(domain)
        return np.ones(len(self.N), dtype=bool)


@cache
def _strata() -> _Strata:
    from .datasets import barometer_2025

    t = barometer_2025()
    N = t["N"].to_numpy(dtype=float)
    n = t["responses"].to_numpy(dtype=np.int64)
    return _Strata(
        frame=t[["nace", "size", "N", "sample", "responses"]].copy(),
        nace=np.array([NACE_CODES.index(v) for v in t["nace"]]),
        size=np.array([SIZE_CODES.index(v) for v in t["size"]]),
        N=N, n=n, sample=t["sample"].to_numpy(dtype=np.int64), w=N / n,
    )


#: Headline variables (barometer_2025_headlines) that the replica's columns determine.
_HEADLINE_VARIABLES: tuple[str, ...] = (
    "adoption", "technology", "initiative", "phase", "application", "n_technologies",
)
_COMPOSITES = {
    ("adoption", "non_adopter"): ("plans", "no_plans"),
    ("initiative", "individual"): ("individual_shadow", "individual_approved"),
    ("technology", "tech_generative"): ("tech_nlg", "tech_media"),
    ("n_technologies", "four_or_more"): ("four", "five", "six", "seven", "eight"),
}
#: Number of technologies of an adopter, 1..8 (Figuur 1 reports one, two, three, four or more).
_N_TECH_ITEMS: tuple[str, ...] = ("one", "two", "three", "four", "five", "six", "seven", "eight")


@cache
def _published_cells() -> pd.DataFrame:
    """Every published percentage the replica targets or reports, one row per cell.

    Columns: ``source`` ("Tabel 3".. "Tabel 12", "Figuur 1".., "text 4.5"), ``table``
    (Int64), ``by`` ("nace", "size" or "all"), ``domain``, ``variable``, ``item``,
    ``base``, ``published``.
    """
    pub = barometer_2025_published()
    parts = [pd.DataFrame({
        "source": "Tabel " + pub["table"].astype(str),
        "table": pub["table"].astype("Int64"),
        "by": pub["by"], "domain": pub["domain"], "variable": pub["variable"],
        "item": pub["item"], "base": pub["base"], "published": pub["percent"],
    })]
    head = barometer_2025_headlines()
    head = head[head["variable"].isin(list(_HEADLINE_VARIABLES))]
    parts.append(pd.DataFrame({
        "source": head["figure"].where(head["figure"] != "text", "text 4.1"),
        "table": pd.array([pd.NA] * len(head), dtype="Int64"),
        "by": "all", "domain": "all", "variable": head["variable"], "item": head["item"],
        "base": head["base"], "published": head["percent"],
    }))
    parts.append(pd.DataFrame({
        "source": "Figuur 11", "table": pd.array([pd.NA] * 4, dtype="Int64"),
        "by": "all", "domain": "all", "variable": "budget", "item": list(BUDGET_HEADLINE),
        "base": "adopters", "published": list(BUDGET_HEADLINE.values()),
    }))
    parts.append(pd.DataFrame({
        "source": "text 4.5", "table": pd.array([pd.NA], dtype="Int64"),
        "by": "nace", "domain": "86-88", "variable": "budget", "item": "up",
        "base": "adopters", "published": _BUDGET_UP_86_88,
    }))
    cells = pd.concat(parts, ignore_index=True)
    for c in ("source", "by", "domain", "variable", "item", "base"):
        cells[c] = cells[c].astype("str")
    return cells


def _members(variable: str, item: str) -> tuple[str, ...]:
    if (variable, item) in _COMPOSITES:
        return _COMPOSITES[(variable, item)]
    if (variable, item) == ("budget", "up"):
        return ("up_slightly", "up_strongly")
    return (item,)


# =================================================================== count search
def _add_cells(model: _Milp, x: np.ndarray, items: tuple[str, ...], cells: pd.DataFrame,
               S: _Strata, denom: np.ndarray, *, hard: Mapping[int, float] | None = None,
               max_cost: float = 10.0, sum_cost: float = 1.0) -> dict[str, Any]:
    """Add |weighted % - published| <= e_c for every cell, and E_source >= e_c.

    ``x[h, k]`` are the count variables of the answers ``items``; ``denom[h]`` is the
    number of base respondents in stratum h (a constant), so a cell's weighted
    percentage is 100 * sum_{h in g} w_h * sum_{k in cell} x[h, k] / sum_{h in g} w_h * denom[h].
    """
    hard = hard or {}
    e = model.add(len(cells), ub=[hard.get(ci, np.inf) for ci in cells.index], cost=sum_cost)
    maxes: dict[str, np.ndarray] = {}
    for i, (_, cell) in enumerate(cells.iterrows()):
        src = cell["source"]
        if src not in maxes:
            maxes[src] = model.add(1, cost=max_cost)
        g = S.mask(cell["by"], cell["domain"])
        d = float((S.w[g] * denom[g]).sum())
        ks = [items.index(m) for m in _members(cell["variable"], cell["item"])]
        idx = x[np.ix_(np.flatnonzero(g), ks)]
        coef = np.repeat((100.0 * S.w[g] / d)[:, None], len(ks), axis=1) if d > 0 else 0 * idx
        p = float(cell["published"])
        model.row(np.r_[idx.ravel(), e[i]], np.r_[coef.ravel(), -1.0], hi=p)
        model.row(np.r_[idx.ravel(), e[i]], np.r_[coef.ravel(), 1.0], lo=p)
        model.row([e[i], maxes[src][0]], [1.0, -1.0], hi=0.0)
    return {"e": e, "max": maxes}


_TAUS = (_PRINT_TOL, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
_POLISH_NODES = 300
_ZS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0)


def _window(xhat: np.ndarray, shares: np.ndarray, cap: np.ndarray, z: float | None):
    """Bounds xhat -/+ max(1, z * sqrt(xhat * (1 - pi))) (None: 0..cap)."""
    if z is None:
        return np.zeros_like(xhat), cap.astype(float)
    d = np.maximum(1.0, z * np.sqrt(np.clip(xhat * (1.0 - shares), 0.0, None)))
    return np.clip(np.floor(xhat - d), 0.0, cap), np.clip(np.ceil(xhat + d), 0.0, cap)


def _ladder(what: str, build, taus, zs=_ZS) -> np.ndarray:
    """Smallest tolerance tau, then smallest window z, for which ``build(tau, z)`` solves.

    ``build(tau, z)`` returns the solution or raises :class:`ConvergenceError` when the
    node-limited MILP finds no integer point (infeasible, or none found in the budget).
    The search is deterministic: HiGHS is run without a time limit.
    """
    for tau in taus:
        for z in (*zs, None):
            try:
                return build(tau, z)
            except ConvergenceError:
                continue
    raise ConvergenceError(
        f"the integer search for {what} found no counts within a tolerance of {taus[-1]} pp; "
        f"the published cells cannot be met with the Tabel 2 stratum sizes"
    )


def _closeness(model: _Milp, x: np.ndarray, xhat: np.ndarray, shares: np.ndarray) -> None:
    """Objective sum |x - xhat| / sd, sd = sqrt(max(xhat (1 - pi), 0.25)): stay near the IPF fit."""
    sd = np.sqrt(np.maximum(xhat * (1.0 - shares), 0.25))
    u = model.add(x.shape, cost=(1.0 / sd).ravel())
    for xi, ui, xh in zip(x.ravel(), u.ravel(), xhat.ravel()):
        model.row([xi, ui], [1.0, -1.0], hi=float(xh))
        model.row([xi, ui], [1.0, 1.0], lo=float(xh))


def _polish(build, counts: np.ndarray, chosen: dict) -> np.ndarray:
    """Re-solve at the chosen (tau, z) minimising the distance to the IPF fit.

    The feasibility solve returns any integer point in the window, often at its edge;
    this pass, with the same constraints and node budget, returns the best point HiGHS
    finds, or keeps the first one if it finds none within the budget.
    """
    tau, z = chosen["tau"], chosen["z"]
    try:
        return build(tau, z, polish=True)
    except ConvergenceError:
        chosen["tau"], chosen["z"] = tau, z
        return counts


def _search_counts(what: str, base: np.ndarray, items: tuple[str, ...], shares: np.ndarray,
                   cells: pd.DataFrame, S: _Strata, *, taus=_TAUS,
                   extra=None, polish: bool = True) -> tuple[np.ndarray, float]:
    """Integer counts x[h, k] with sum_k x[h, k] = base[h], near the published cells.

    Every cell c must satisfy |weighted % - published| <= max(tau, b_c), where b_c is
    the best bound any counts could reach in the cell's domain alone
    (:func:`_domain_bounds`); tau is the smallest value of ``taus`` that admits a
    solution, and among those the counts closest to the IPF fit (smallest window z,
    :func:`_window`) are taken; with ``polish`` the point in that window nearest the
    IPF fit is then sought (:func:`_polish`).  Returns the counts and tau.
    """
    H, K = len(base), len(items)
    cap = np.repeat(base[:, None], K, axis=1).astype(float)
    xhat = base[:, None] * shares
    bounds = _domain_bounds(what, base, items, cells, S)
    chosen = {}

    def build(tau, z, polish=False):
        model = _Milp()
        nodes = _POLISH_NODES if polish else 2000
        lo, hi = _window(xhat, shares, cap, z)
        x = model.add((H, K), lb=lo.ravel(), ub=hi.ravel(), integer=True)
        for h in range(H):
            model.row(x[h], 1.0, lo=base[h], hi=base[h])
        tol = {ci: max(tau, b) for ci, b in bounds.items()}
        _add_cells(model, x, items, cells, S, base, hard=tol, max_cost=0.0, sum_cost=0.0)
        if extra is not None:
            extra(model, x)
        if polish:
            _closeness(model, x, xhat, shares)
        sol = model.solve(what, node_limit=nodes)
        chosen["tau"], chosen["z"] = tau, z
        return np.rint(sol[x]).astype(np.int64)

    counts = _ladder(what, build, taus)
    if polish:
        counts = _polish(build, counts, chosen)
    return counts, chosen["tau"]


def _domain_bounds(what: str, base: np.ndarray, items: tuple[str, ...], cells: pd.DataFrame,
                   S: _Strata, denom: np.ndarray | None = None, *,
                   single: bool = True) -> dict[int, float]:
    """Per cell, the smallest tolerance integer counts can reach in the cell's domain.

    For each domain (a sector, a size class, or all) the cells are first checked for
    integer counts of that domain's strata within 0.049 pp (a feasibility problem);
    if there are none, min E s.t. |weighted % - published| <= E over the domain's
    cells is solved and the domain's cells get E* + 1e-6.  Other domains' strata do
    not enter, so this is a lower bound for the joint search.
    """
    out: dict[int, float] = {}
    denom = base if denom is None else denom
    for (by, domain), grp in cells.groupby(["by", "domain"], sort=False):
        g = S.mask(by, domain)
        sub = _Strata(S.frame[g], S.nace[g], S.size[g], S.N[g], S.n[g], S.sample[g], S.w[g])
        bg = base[g]
        best = None
        for attempt in ("feasible", "minimax"):
            model = _Milp()
            x = model.add((len(bg), len(items)),
                          ub=np.repeat(bg[:, None], len(items), 1).ravel(), integer=True)
            for h in range(len(bg) if single else 0):
                model.row(x[h], 1.0, lo=bg[h], hi=bg[h])
            if attempt == "feasible":
                _add_cells(model, x, items, grp.assign(source="bound"), sub, denom[g],
                           hard=dict.fromkeys(grp.index, _PRINT_TOL), max_cost=0.0, sum_cost=0.0)
                try:
                    model.solve(f"{what} ({by} {domain})")
                except ConvergenceError:
                    continue
                best = _PRINT_TOL
                break
            terms = _add_cells(model, x, items, grp.assign(source="bound"), sub, denom[g],
                               max_cost=1.0, sum_cost=0.0)
            sol = model.solve(f"{what} ({by} {domain})", node_limit=5000)
            best = float(sol[terms["max"]["bound"][0]]) + 1e-6
        for ci in grp.index:
            out[ci] = max(_PRINT_TOL, best)
    return out


def _margin_targets(cells: pd.DataFrame, items: tuple[str, ...], by: str,
                    S: _Strata, denom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IPF margin for one dimension: codes per stratum and target weighted counts (G, K)."""
    codes = S.nace if by == "nace" else S.size
    labels = NACE_CODES if by == "nace" else SIZE_CODES
    t = np.zeros((len(labels), len(items)))
    sub = cells[cells["by"] == by]
    for _, c in sub.iterrows():
        if c["item"] not in items:
            continue
        g = labels.index(c["domain"])
        d = float((S.w * denom)[codes == g].sum())
        t[g, items.index(c["item"])] = c["published"] / 100.0 * d
    return codes, t


def _binary_margin(cells, item, by, S, denom, base):
    """IPF margin (yes, no) of a multi-response item whose % has base ``denom``."""
    codes, t = _margin_targets(cells, (item,), by, S, denom)
    wb = np.bincount(codes, weights=S.w * base, minlength=t.shape[0])
    yes = np.minimum(t[:, 0], wb)
    return codes, np.column_stack([yes, wb - yes])


def _adoption_counts(S: _Strata) -> np.ndarray:
    """(H, 3) counts of adopter / plans / no_plans per stratum (Tabel 3/4, hard)."""
    cells = _published_cells()
    cells = cells[cells["variable"] == "adoption"]
    base = S.n
    dims = [_margin_targets(cells, ADOPTION_LEVELS, by, S, base) for by in ("nace", "size")]
    shares = _ipf(S.w * base, dims)

    def n_adopters(model, x):
        model.row(x[:, 0], 1.0, lo=_N_ADOPTERS, hi=_N_ADOPTERS)

    # (no polish: HiGHS finds no point within the polish node budget here)
    counts, _ = _search_counts("adoption (Tabel 3/4)", base, ADOPTION_LEVELS, shares, cells,
                               S, taus=(_PRINT_TOL,), extra=n_adopters, polish=False)
    return counts



def _n_tech_prior(mean: np.ndarray, phi: float) -> np.ndarray:
    """(H, 8) shares of 1..8 technologies: 1 + BetaBinomial(7, p*phi, (1-p)*phi), p = (mean-1)/7."""
    p = np.clip((mean - 1.0) / 7.0, 1e-3, 1 - 1e-3)
    k = np.arange(8)
    return stats.betabinom.pmf(k[None, :], 7, (p * phi)[:, None], ((1 - p) * phi)[:, None])


def _tech_counts(S: _Strata, adopters: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Integer counts of each technology and of the number of technologies per stratum.

    Returns ``t`` (H, 8): adopters using each technology (Tabel 5/6 order of
    :data:`TECH_ITEMS`), ``c`` (H, 8): adopters using exactly 1..8 technologies, and the
    tolerance tau reached.  Constraints, per stratum h: 0 <= t[h, j] <= a_h;
    sum_k c[h, k] = a_h (every adopter uses at least one technology);
    sum_k k c[h, k] = sum_j t[h, j]; and the Gale-Ryser conditions, so that a 0/1
    adopter x technology matrix with these margins exists: for every k = 1..7, the
    sum of the k largest t[h, j] <= sum_r min(r, k) c[h, r], linearised as
    k lambda + sum_j mu_j <= sum_r min(r, k) c[h, r], mu_j >= t[h, j] - lambda,
    mu, lambda >= 0 (the sum of the k largest entries is min over lambda of
    k lambda + sum_j max(t_j - lambda, 0)).
    """
    H, J = len(adopters), len(TECH_ITEMS)
    allcells = _published_cells()
    cells = allcells[(allcells["variable"] == "technology") & (allcells["item"] != "tech_generative")]
    ncells = allcells[allcells["variable"] == "n_technologies"]
    a = adopters.astype(np.int64)
    shares = np.zeros((H, J))
    for j, item in enumerate(TECH_ITEMS):
        dims = [_binary_margin(cells, item, by, S, S.n, a) for by in ("nace", "size")]
        shares[:, j] = _ipf(S.w * a, dims)[:, 0]
    that = a[:, None] * shares
    # prior of the number of technologies: beta-binomial with the stratum's mean,
    # overdispersion phi fitted to Figuur 1 (weighted shares of all firms)
    mean = np.clip(shares.sum(axis=1), 1.0, 8.0)
    target = ncells.set_index("item")["published"]
    best = None
    for phi in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0):
        pr = _n_tech_prior(mean, phi)
        tot = (S.w * a) @ pr / S.N.sum() * 100
        got = np.r_[tot[:3], tot[3:].sum()]
        err = np.abs(got - target[["one", "two", "three", "four_or_more"]].to_numpy()).max()
        if best is None or err < best[0]:
            best = (err, phi)
    cshare = _n_tech_prior(mean, best[1])
    chat = a[:, None] * cshare
    capt = np.repeat(a[:, None], J, axis=1).astype(float)
    tbounds = _domain_bounds("technologies", a, TECH_ITEMS, cells, S, denom=S.n, single=False)
    chosen = {}

    def build(tau, z):
        model = _Milp()
        lo, hi = _window(that, shares, capt, z)
        t = model.add((H, J), lb=lo.ravel(), ub=hi.ravel(), integer=True)
        lo, hi = _window(chat, cshare, capt, z)
        c = model.add((H, 8), lb=lo.ravel(), ub=hi.ravel(), integer=True)
        k = np.arange(1, 9)
        for h in range(H):
            model.row(c[h], 1.0, lo=a[h], hi=a[h])
            model.row(np.r_[c[h], t[h]], np.r_[k, -np.ones(J)], lo=0.0, hi=0.0)
            if a[h] == 0:
                continue
            for kk in range(1, 8):
                lam = model.add(1)
                mu = model.add(J)
                for j in range(J):
                    model.row([mu[j], t[h, j], lam[0]], [1.0, -1.0, 1.0], lo=0.0)
                model.row(np.r_[lam, mu, c[h]], np.r_[kk, np.ones(J), -np.minimum(k, kk)], hi=0.0)
        tol = {ci: max(tau, b) for ci, b in tbounds.items()}
        _add_cells(model, t, TECH_ITEMS, cells, S, S.n, hard=tol, max_cost=0.0, sum_cost=0.0)
        _add_cells(model, c, _N_TECH_ITEMS, ncells, S, S.n,
                   hard=dict.fromkeys(ncells.index, max(tau, _N_TECH_TOL)), max_cost=0.0,
                   sum_cost=0.0)
        sol = model.solve("technologies (Tabel 5/6, Figuur 1)")
        chosen["tau"] = tau
        return np.rint(sol[np.r_[t.ravel(), c.ravel()]]).astype(np.int64)

    # (tau = 0.049 is skipped: the node budget runs out before HiGHS decides it)
    sol = _ladder("technologies (Tabel 5/6)", build, (0.1, 0.2, 0.3, _TECH_TOL))
    return sol[: H * J].reshape(H, J), sol[H * J:].reshape(H, 8), chosen["tau"]



def _single_choice_counts(what: str, variable: str, items: tuple[str, ...], base: np.ndarray,
                          S: _Strata, *, cells: pd.DataFrame | None = None, prior=None,
                          extra=None, taus=_TAUS, polish: bool = True) -> tuple[np.ndarray, float]:
    """IPF to the sector and size margins of ``variable``, then the integer search."""
    if cells is None:
        allcells = _published_cells()
        cells = allcells[allcells["variable"] == variable]
    if prior is None:
        dims = [_margin_targets(cells, items, by, S, base) for by in ("nace", "size")]
        shares = _ipf(S.w * base, dims)
    else:
        shares = prior
    return _search_counts(what, base, items, shares, cells, S, taus=taus, extra=extra,
                          polish=polish)


def _initiative_counts(S: _Strata, adopters: np.ndarray) -> tuple[np.ndarray, float]:
    """(H, 5) initiative counts among adopters (Tabel 7/8, Figuur 4); 1139 non-individual."""
    nonind = [INITIATIVE_LEVELS.index(v) for v in NONINDIVIDUAL]

    def n_nonindividual(model, x):
        model.row(x[:, nonind], 1.0, lo=_N_NONINDIVIDUAL, hi=_N_NONINDIVIDUAL)

    # (no polish: HiGHS finds no point within the polish node budget here)
    return _single_choice_counts("initiative (Tabel 7/8)", "initiative", INITIATIVE_LEVELS,
                                 adopters, S, extra=n_nonindividual, polish=False)


def _phase_counts(S: _Strata, nonindividual: np.ndarray) -> tuple[np.ndarray, float]:
    """(H, 4) phase counts among adopters with a non-individual initiative (Tabel 9/10)."""
    return _single_choice_counts("phase (Tabel 9/10)", "phase", PHASE_LEVELS, nonindividual, S)


def _application_counts(S: _Strata, adopters: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """(H, 10) adopters using each application (Tabel 11/12, Figuur 10), item by item."""
    allcells = _published_cells()
    out = np.zeros((len(adopters), len(APP_ITEMS)), dtype=np.int64)
    taus = {}
    for j, app in enumerate(APP_ITEMS):
        cells = allcells[(allcells["variable"] == "application") & (allcells["item"] == app)]
        items = (app, "_no")
        dims = [_binary_margin(cells, app, by, S, adopters, adopters) for by in ("nace", "size")]
        shares = _ipf(S.w * adopters, dims)
        x, taus[app] = _search_counts(f"{app} (Tabel 11/12)", adopters, items, shares, cells, S)
        out[:, j] = x[:, 0]
    return out, taus


def _budget_prior(S: _Strata, adopters: np.ndarray) -> np.ndarray:
    """(H, 4) budget shares: logistic P(up) by sector and size, calibrated to Figuur 11.

    The report gives only the overall split (Figuur 11) and, in the text of section
    4.5, that more than half of the adopters in NACE 58-63, 68-75, 49-53 and 64-66
    and 25.7% in NACE 86-88 saw the budget rise, and that rises are more frequent in
    large, then medium and small, than in micro firms.  The prior encodes this as
    logit P(up) = alpha + s_sector + z_size (s = +0.6 for the four sectors, -0.9 for
    86-88, 0 otherwise; z = -0.35 micro, 0 small, 0.1 medium, 0.5 large; assumptions
    of the replica, not published numbers), alpha solved so that the weighted share
    of rises is 45.9%; within a rise, strongly:slightly = 10.8:35.1; down = 1.2%.
    """
    from scipy.optimize import brentq

    s = np.zeros(len(NACE_CODES))
    for code in _BUDGET_UP_OVER_HALF:
        s[NACE_CODES.index(code)] = 0.6
    s[NACE_CODES.index("86-88")] = -0.9
    z = np.array([-0.35, 0.0, 0.1, 0.5])
    W = S.w * adopters
    up = (BUDGET_HEADLINE["up_slightly"] + BUDGET_HEADLINE["up_strongly"]) / 100

    def share(alpha):
        return float(W @ (1 / (1 + np.exp(-(alpha + s[S.nace] + z[S.size])))) / W.sum() - up)

    alpha = brentq(share, -10, 10)
    pu = 1 / (1 + np.exp(-(alpha + s[S.nace] + z[S.size])))
    down = np.full(len(W), BUDGET_HEADLINE["down"] / 100)
    upsum = BUDGET_HEADLINE["up_slightly"] + BUDGET_HEADLINE["up_strongly"]
    return np.column_stack([
        down, 1 - down - pu,
        pu * BUDGET_HEADLINE["up_slightly"] / upsum, pu * BUDGET_HEADLINE["up_strongly"] / upsum,
    ])


def _budget_counts(S: _Strata, adopters: np.ndarray) -> tuple[np.ndarray, float]:
    """(H, 4) budget counts among adopters: Figuur 11 and the section 4.5 statements."""
    allcells = _published_cells()
    cells = allcells[allcells["variable"] == "budget"]
    W = S.w * adopters
    up = [BUDGET_LEVELS.index("up_slightly"), BUDGET_LEVELS.index("up_strongly")]

    def share_row(model, x, g):
        """coefficients of the weighted % of rises in domain g."""
        idx = x[np.ix_(np.flatnonzero(g), up)]
        coef = np.repeat((100 * S.w[g] / W[g].sum())[:, None], 2, axis=1)
        return idx.ravel(), coef.ravel()

    def statements(model, x):
        for i, code in enumerate(NACE_CODES):
            if code == "86-88":
                continue
            idx, coef = share_row(model, x, S.nace == i)
            if code in _BUDGET_UP_OVER_HALF:
                model.row(idx, coef, lo=50.5)
            else:
                model.row(idx, coef, hi=49.5)
        rows = [share_row(model, x, S.size == i) for i in range(4)]
        gap = 2.0
        for lower, upper in ((0, 1), (0, 2), (1, 3), (2, 3)):
            model.row(np.r_[rows[upper][0], rows[lower][0]],
                      np.r_[rows[upper][1], -rows[lower][1]], lo=gap)

    return _single_choice_counts("budget (Figuur 11)", "budget", BUDGET_LEVELS, adopters, S,
                                 cells=cells, prior=_budget_prior(S, adopters), extra=statements)


# ========================================================================== counts
@dataclass(frozen=True)
class _Counts:
    adoption: np.ndarray     # (H, 3) adopter, plans, no_plans
    tech: np.ndarray         # (H, 8) adopters using each technology
    n_tech: np.ndarray       # (H, 8) adopters using exactly 1..8 technologies
    initiative: np.ndarray   # (H, 5)
    phase: np.ndarray        # (H, 4) among adopters with a non-individual initiative
    application: np.ndarray  # (H, 10)
    budget: np.ndarray       # (H, 4)
    tau: Mapping[str, float]  # tolerance level reached per question (before domain bounds)

    def to_frame(self, S: _Strata) -> pd.DataFrame:
        t = S.frame[["nace", "size", "N", "responses"]].reset_index(drop=True).copy()
        t["weight"] = S.w
        blocks = [
            (self.adoption, ADOPTION_LEVELS, ""), (self.tech, TECH_ITEMS, ""),
            (self.n_tech, tuple(f"{k}" for k in range(1, 9)), "n_tech_"),
            (self.initiative, INITIATIVE_LEVELS, "initiative_"),
            (self.phase, PHASE_LEVELS, "phase_"), (self.application, APP_ITEMS, ""),
            (self.budget, BUDGET_LEVELS, "budget_"),
        ]
        for arr, names, prefix in blocks:
            for j, name in enumerate(names):
                t[prefix + name] = arr[:, j].astype(np.int64)
        return t


@cache
def _counts() -> _Counts:
    """The integer counts per stratum of every answer (independent of the seed)."""
    S = _strata()
    adoption = _adoption_counts(S)
    a = adoption[:, 0]
    tech, n_tech, tau_tech = _tech_counts(S, a)
    initiative, tau_ini = _initiative_counts(S, a)
    nonind = initiative[:, [INITIATIVE_LEVELS.index(v) for v in NONINDIVIDUAL]].sum(axis=1)
    phase, tau_phase = _phase_counts(S, nonind)
    application, tau_app = _application_counts(S, a)
    budget, tau_budget = _budget_counts(S, a)
    return _Counts(adoption, tech, n_tech, initiative, phase, application, budget,
                   {"adoption": _PRINT_TOL, "technology": tau_tech, "initiative": tau_ini,
                    "phase": tau_phase, **tau_app, "budget": tau_budget})


# ====================================================================== respondents
def _generative_target() -> float:
    cells = _published_cells()
    return float(cells.loc[cells["item"] == "tech_generative", "published"].iloc[0])


def _weighted_pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k distinct positions drawn with probability proportional to ``weights``.

    Efraimidis & Spirakis (2006): keep the k largest keys log(u) / weight.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(rng.random(len(weights))) / np.asarray(weights, float)
    return np.sort(np.argsort(-keys, kind="stable")[:k])


#: Technologies that tend to go together (plausible clusters, not published figures):
#: language and media generation tools; perception and automation.
_TECH_CLUSTERS: tuple[tuple[str, ...], ...] = (
    ("tech_text", "tech_nlg", "tech_media", "tech_speech"),
    ("tech_vision", "tech_ml", "tech_rpa", "tech_robots"),
)
_CLUSTER_BETA = 0.6


def _affinity() -> np.ndarray:
    A = np.zeros((len(TECH_ITEMS), len(TECH_ITEMS)))
    for cluster in _TECH_CLUSTERS:
        idx = [TECH_ITEMS.index(t) for t in cluster]
        A[np.ix_(idx, idx)] = 1.0
    np.fill_diagonal(A, 0.0)
    return A


def _tech_matrix(rng: np.random.Generator, row_sums: np.ndarray, col_sums: np.ndarray,
                 sweeps: int = 20) -> np.ndarray:
    """A random 0/1 adopter x technology matrix with the given row and column sums.

    Built by the constructive proof of the Gale-Ryser theorem (rows in decreasing
    order of their sums, each taking the columns with the largest remaining sums, ties
    at random), then mixed by ``sweeps`` x (number of ones) proposed checkerboard swaps
    [[1, 0], [0, 1]] <-> [[0, 1], [1, 0]], which keep both margins.  A swap is accepted
    with probability min(1, exp(beta * d)), d = change in the number of pairs of
    technologies of one cluster (:data:`_TECH_CLUSTERS`) used together by the two firms,
    so that related technologies co-occur more often than under independence.
    """
    m, J = len(row_sums), len(col_sums)
    M = np.zeros((m, J), dtype=np.int8)
    left = col_sums.astype(np.int64).copy()
    for i in np.argsort(-row_sums, kind="stable"):
        order = np.lexsort((rng.random(J), -left))
        take = order[: row_sums[i]]
        if row_sums[i] and left[take].min() <= 0:
            raise ConvergenceError(
                "technology counts violate the Gale-Ryser conditions; this is a bug in "
                "surveyweights.replica, please report it"
            )
        M[i, take] = 1
        left[take] -= 1
    if m < 2:
        return M
    A = _affinity()
    n_try = sweeps * max(int(M.sum()), 1)
    r1 = rng.integers(0, m, n_try)
    r2 = rng.integers(0, m, n_try)
    c1 = rng.integers(0, J, n_try)
    c2 = rng.integers(0, J, n_try)
    u = rng.random(n_try)
    for t in range(n_try):
        i, k, j, l = r1[t], r2[t], c1[t], c2[t]
        if M[i, j] == 1 and M[k, l] == 1 and M[i, l] == 0 and M[k, j] == 0:
            d = (M[i] @ (A[l] - A[j]) - A[l, j]) + (M[k] @ (A[j] - A[l]) - A[j, l])
            if d >= 0 or u[t] < np.exp(_CLUSTER_BETA * d):
                M[i, j] = M[k, l] = 0
                M[i, l] = M[k, j] = 1
    return M


#: Technologies that make an application more likely (plausible associations only).
_APP_AFFINITY: Mapping[str, tuple[str, ...]] = {
    "app_marketing": ("tech_media", "tech_nlg"),
    "app_customer_service": ("tech_speech", "tech_text"),
    "app_production": ("tech_robots", "tech_vision", "tech_ml"),
    "app_administration": ("tech_text", "tech_rpa"),
    "app_strategy": ("tech_ml",),
    "app_procurement": ("tech_ml", "tech_rpa"),
    "app_logistics": ("tech_robots", "tech_vision", "tech_rpa"),
    "app_ict_security": ("tech_ml", "tech_vision"),
    "app_hr": ("tech_text", "tech_nlg"),
    "app_rnd": ("tech_ml", "tech_nlg", "tech_vision"),
}
#: Relative propensity of each budget answer by phase ("individual" = no phase asked).
_BUDGET_PROPENSITY: Mapping[str, Mapping[str, float]] = {
    "up_strongly": {"scale": 4.0, "integrate": 2.0, "experiment": 1.0, "individual": 0.7,
                    "reduce": 0.3},
    "up_slightly": {"scale": 2.0, "integrate": 2.0, "experiment": 1.0, "individual": 0.8,
                    "reduce": 0.5},
    "down": {"scale": 0.5, "integrate": 0.5, "experiment": 1.0, "individual": 1.0,
             "reduce": 20.0},
}


def _generative_moves(M: np.ndarray, sign: int) -> list[tuple[int, int, int, int]]:
    """Checkerboard swaps that change the number of nlg-or-media users by ``sign``.

    Down (-1): row i has one of nlg/media (call it g) but not the other, row k has the
    other but not g, and a column x with M[i, x] = 0, M[k, x] = 1: i gives g to k and
    takes x (i leaves the generative users, k was one already).  Up (+1): i has both,
    k has neither, M[i, x] = 0, M[k, x] = 1: i gives g to k and takes x.
    Returns (i, k, g, x) tuples.
    """
    nlg, media = TECH_ITEMS.index("tech_nlg"), TECH_ITEMS.index("tech_media")
    moves = []
    for g, other in ((nlg, media), (media, nlg)):
        if sign < 0:
            rows_i = np.flatnonzero((M[:, g] == 1) & (M[:, other] == 0))
            rows_k = np.flatnonzero((M[:, g] == 0) & (M[:, other] == 1))
        else:
            rows_i = np.flatnonzero((M[:, g] == 1) & (M[:, other] == 1))
            rows_k = np.flatnonzero((M[:, g] == 0) & (M[:, other] == 0))
        for i in rows_i[:20]:
            for k in rows_k[:20]:
                xs = np.flatnonzero((M[i] == 0) & (M[k] == 1))
                xs = xs[(xs != nlg) & (xs != media)]
                if len(xs):
                    moves.append((int(i), int(k), g, int(xs[0])))
                    break
    return moves


def _match_generative(rng: np.random.Generator, Ms: list[np.ndarray], S: _Strata,
                      target: float) -> None:
    """Swap techs (margins kept) until the weighted % using nlg or media is ``target``.

    Figuur 2 reports generative AI (natural language generation or image/video/audio
    generation) for 47.6% of all firms.  Greedy: while a swap in some stratum h brings
    sum_h w_h G_h closer to target * N / 100, make one (stratum drawn at random among
    those that can), where G_h counts adopters using nlg or media.
    """
    nlg, media = TECH_ITEMS.index("tech_nlg"), TECH_ITEMS.index("tech_media")
    goal = target / 100.0 * S.N.sum()
    cur = sum(S.w[h] * int(((M[:, nlg] + M[:, media]) > 0).sum()) for h, M in enumerate(Ms))
    while True:
        sign = -1 if cur > goal else 1
        ok = [h for h in range(len(Ms)) if abs(cur + sign * S.w[h] - goal) < abs(cur - goal)]
        rng.shuffle(ok)
        for h in ok:
            moves = _generative_moves(Ms[h], sign)
            if moves:
                i, k, g, x = moves[rng.integers(len(moves))]
                M = Ms[h]
                M[i, g], M[i, x], M[k, g], M[k, x] = 0, 1, 1, 0
                cur += sign * S.w[h]
                break
        else:
            return


def _tech_matrices(rng: np.random.Generator, C: _Counts) -> list[np.ndarray]:
    """Adopter x technology 0/1 matrices per stratum, rows in random order."""
    out = []
    for h in range(len(C.adoption)):
        a = int(C.adoption[h, 0])
        row_sums = np.repeat(np.arange(1, 9), C.n_tech[h])[rng.permutation(a)]
        out.append(_tech_matrix(rng, row_sums, C.tech[h]))
    return out


def _stratum_rows(rng: np.random.Generator, h: int, C: _Counts,
                  M: np.ndarray) -> dict[str, np.ndarray]:
    """The complete answers of the n_h respondents of stratum h, from its counts."""
    a, p, q = (int(v) for v in C.adoption[h])
    n = a + p + q
    ntech = M.sum(axis=1)
    # initiative: management, it, teams drawn with weight = number of technologies
    initiative = np.full(a, "", dtype=object)
    free = np.arange(a)
    for level in ("management", "it", "teams"):
        k = int(C.initiative[h, INITIATIVE_LEVELS.index(level)])
        pick = free[_weighted_pick(rng, ntech[free], k)]
        initiative[pick] = level
        free = np.setdiff1d(free, pick)
    k = int(C.initiative[h, INITIATIVE_LEVELS.index("individual_shadow")])
    pick = free[_weighted_pick(rng, np.ones(len(free)), k)]
    initiative[pick] = "individual_shadow"
    initiative[np.setdiff1d(free, pick)] = "individual_approved"
    # phase among non-individual initiatives: scale, integrate favour more technologies
    phase = np.full(a, "", dtype=object)
    free = np.flatnonzero(np.isin(initiative, NONINDIVIDUAL))
    for level, power in (("scale", 1.0), ("integrate", 0.5), ("reduce", 0.0)):
        k = int(C.phase[h, PHASE_LEVELS.index(level)])
        pick = free[_weighted_pick(rng, ntech[free] ** power, k)]
        phase[pick] = level
        free = np.setdiff1d(free, pick)
    phase[free] = "experiment"
    # applications: more technologies and related technologies make an application likelier
    apps = np.zeros((a, len(APP_ITEMS)), dtype=np.int8)
    for j, app in enumerate(APP_ITEMS):
        aff = M[:, [TECH_ITEMS.index(t) for t in _APP_AFFINITY[app]]].sum(axis=1)
        apps[_weighted_pick(rng, (1.0 + ntech) * (1.0 + 2.0 * aff), int(C.application[h, j])), j] = 1
    # budget: rises go more often to firms integrating or scaling, cuts to 'reduce'
    budget = np.full(a, "same", dtype=object)
    stage = np.where(phase == "", "individual", phase)
    free = np.arange(a)
    for level in ("down", "up_strongly", "up_slightly"):
        prop = np.array([_BUDGET_PROPENSITY[level][s] for s in stage[free]])
        k = int(C.budget[h, BUDGET_LEVELS.index(level)])
        pick = free[_weighted_pick(rng, prop, k)]
        budget[pick] = level
        free = np.setdiff1d(free, pick)
    # non-adopters: plans yes / no
    plans = np.array(["yes"] * p + ["no"] * q, dtype=object)[rng.permutation(p + q)]
    adoption = np.r_[np.full(a, "adopter", dtype=object),
                     np.where(plans == "yes", "plans", "no_plans").astype(object)]
    out = {
        "adoption": adoption,
        "plans": np.r_[np.full(a, "", dtype=object), plans],
        "initiative": np.r_[initiative, np.full(p + q, "", dtype=object)],
        "phase": np.r_[phase, np.full(p + q, "", dtype=object)],
        "budget": np.r_[budget, np.full(p + q, "", dtype=object)],
    }
    for j, col in enumerate(TECH_ITEMS):
        out[col] = np.r_[M[:, j], np.zeros(p + q, dtype=np.int8)].astype(np.int64)
    for j, col in enumerate(APP_ITEMS):
        out[col] = np.r_[apps[:, j].astype(float), np.full(p + q, np.nan)]
    order = rng.permutation(n)
    return {k: v[order] for k, v in out.items()}


# ========================================================================== frames
_DATA_COLUMNS: tuple[str, ...] = (
    "id", "nace", "size", "adoption", "plans", *TECH_ITEMS,
    "initiative", "phase", "budget", *APP_ITEMS,
)
_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "nace": NACE_CODES, "size": SIZE_CODES, "adoption": ADOPTION_LEVELS,
    "plans": PLANS_LEVELS, "initiative": INITIATIVE_LEVELS, "phase": PHASE_LEVELS,
    "budget": BUDGET_LEVELS,
}


def _typed(columns: Mapping[str, Any], *, raw: bool = False) -> pd.DataFrame:
    """Columns -> DataFrame with the replica dtypes ("" or NaN = missing)."""
    out = {}
    for col, values in columns.items():
        if col in _CATEGORIES:
            vals = pd.Series(values, dtype="object").replace({"": None})
            out[col] = pd.Categorical(vals, categories=list(_CATEGORIES[col]))
        elif col in TECH_ITEMS and not raw:
            out[col] = np.asarray(values, dtype=np.int64)
        elif col in TECH_ITEMS or col in APP_ITEMS:
            vals = pd.to_numeric(pd.Series(values, dtype="object").replace({"": None}))
            out[col] = pd.array(vals.round(), dtype="Int64")
        else:
            out[col] = np.asarray(values, dtype=np.int64)
    return pd.DataFrame(out)


def _check_rates(nonresponse: Mapping[str, float] | None) -> dict[str, float]:
    rates = dict(DEFAULT_NONRESPONSE)
    if nonresponse is not None:
        if not isinstance(nonresponse, Mapping):
            raise InputError(
                f"nonresponse must be a mapping item -> rate, got {type(nonresponse).__name__}; "
                f"e.g. nonresponse={dict(DEFAULT_NONRESPONSE)}"
            )
        unknown = sorted(set(nonresponse) - set(DEFAULT_NONRESPONSE))
        if unknown:
            raise InputError(
                f"nonresponse names unknown item(s) {unknown}; valid items: "
                f"{list(DEFAULT_NONRESPONSE)}"
            )
        rates.update(nonresponse)
    for k, v in rates.items():
        if not isinstance(v, (int, float, np.floating)) or not 0.0 <= float(v) < 1.0:
            raise InputError(
                f"nonresponse[{k!r}] = {v!r} is not a rate in [0, 1); give a share such as 0.05"
            )
    return {k: float(v) for k, v in rates.items()}


def _check_split(raw_split: Mapping[str, int] | None) -> dict[str, int]:
    split = dict(DEFAULT_RAW_SPLIT)
    if raw_split is not None:
        if not isinstance(raw_split, Mapping) or set(raw_split) != set(DEFAULT_RAW_SPLIT):
            raise InputError(
                f"raw_split must map each of {list(DEFAULT_RAW_SPLIT)} to a count, got "
                f"{raw_split!r}"
            )
        split = {k: raw_split[k] for k in DEFAULT_RAW_SPLIT}
    for k, v in split.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise InputError(f"raw_split[{k!r}] = {v!r} is not a non-negative integer count")
    total = sum(split.values())
    if total != _N_RAW - 2915:
        raise InputError(
            f"raw_split sums to {total}, but the report excluded {_N_RAW - 2915} of {_N_RAW} "
            f"responses (section 3.3); make the counts sum to {_N_RAW - 2915}"
        )
    return {k: int(v) for k, v in split.items()}


def _nonresponse(rng: np.random.Generator, cols: dict[str, np.ndarray],
                 rates: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Item non-response, MCAR: each eligible answer is lost with its item's rate.

    Eligible: ``plans`` for non-adopters; ``initiative``, ``budget`` and the app_*
    battery (as a block) for adopters; ``phase`` for adopters whose initiative is
    teams / it / management.  A missing initiative also removes the phase answer (the
    questionnaire routes to the phase question from the initiative answer).  The
    adoption status of a non-adopter whose plans answer is missing is missing.
    """
    out = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in cols.items()}
    n = len(out["adoption"])
    adopter = out["adoption"] == "adopter"
    draws = {k: rng.random(n) < rates[k] for k in DEFAULT_NONRESPONSE}
    lose = draws["plans"] & ~adopter & (out["plans"] != "")
    out["plans"][lose] = ""
    out["adoption"][lose] = ""
    lose_ini = draws["initiative"] & adopter & (out["initiative"] != "")
    nonind = np.isin(out["initiative"], NONINDIVIDUAL)
    out["initiative"][lose_ini] = ""
    lose_phase = (draws["phase"] | lose_ini) & nonind
    out["phase"][lose_phase] = ""
    out["budget"][draws["budget"] & adopter] = ""
    lose_app = draws["applications"] & adopter
    for col in APP_ITEMS:
        out[col] = out[col].astype(float)
        out[col][lose_app] = np.nan
    return out


def _answers(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Frame -> dict of plain arrays ("" for missing categories, NaN for missing 0/1)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype("object").where(s.notna(), "").to_numpy(dtype=object)
        else:
            out[col] = s.astype("float64").to_numpy() if col in APP_ITEMS or col in TECH_ITEMS \
                else s.to_numpy()
    return out


def _raw_responses(rng, complete: pd.DataFrame, data: pd.DataFrame, S: _Strata,
                   sample: pd.DataFrame, usable_ids: set, wrong_ids: np.ndarray,
                   split: Mapping[str, int], rates: Mapping[str, float]) -> pd.DataFrame:
    """The 3,347 received responses: the usable ones plus the three kinds of unusable ones.

    * ``not_sampled``: a complete-looking response under an enterprise number that was
      not sampled (e.g. a sister company's), for an invitation of a random stratum
      (drawn in proportion to the sample sizes); answers copied from a usable
      respondent of that stratum, with fresh item non-response.
    * ``duplicate``: a second response of a usable respondent, received after the first:
      40% resubmissions of the same answers, 35% broken off after the plans question
      (follow-up items missing), 25% a colleague's different answers (copied from
      another respondent of the stratum).
    * ``mandatory_missing``: sampled non-respondents who broke off at the technology
      question: 70% left all eight tech items (and everything after) empty, 30% left
      one to four of them empty.
    Rows are in order of receipt (column ``received``); each usable response comes
    before its duplicates, so ``duplicates="first"`` keeps it.
    """
    cstr = complete["nace"].astype(str) + "|" + complete["size"].astype(str)
    keys = (S.frame["nace"].astype(str) + "|" + S.frame["size"].astype(str)).tolist()
    by_stratum = {k: np.flatnonzero((cstr == k).to_numpy()) for k in keys}
    comp = _answers(complete)
    base = _answers(data)
    n_use = len(data)
    parts = [dict(base)]
    times = [np.sort(rng.random(n_use))]

    def take(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {k: v[rows].copy() for k, v in comp.items()}

    # (a) not sampled
    k_ns = rng.multivariate_hypergeometric(S.sample, split["not_sampled"])
    rows = np.concatenate([rng.choice(by_stratum[keys[h]], k) for h, k in enumerate(k_ns)]
                          ).astype(np.int64)
    ns = _nonresponse(rng, take(rows), rates)
    ns["id"] = wrong_ids[: len(rows)].astype(np.int64)
    parts.append(ns)
    times.append(rng.random(len(rows)))
    # (b) duplicates
    orig = np.sort(rng.choice(n_use, split["duplicate"], replace=False))
    kind = rng.choice(3, len(orig), p=[0.40, 0.35, 0.25])
    id_pos = pd.Index(complete["id"]).get_indexer(data["id"].to_numpy()[orig])
    rows = id_pos.copy()
    for i in np.flatnonzero(kind == 2):
        key = cstr.iat[id_pos[i]]
        rows[i] = rng.choice(by_stratum[key])
    dup = _nonresponse(rng, take(rows), rates)
    partial = kind == 1
    for col in ("initiative", "phase", "budget"):
        dup[col][partial] = ""
    for col in APP_ITEMS:
        dup[col][partial] = np.nan
    dup["id"] = data["id"].to_numpy()[orig].astype(np.int64)
    dup["nace"] = base["nace"][orig]
    dup["size"] = base["size"][orig]
    parts.append(dup)
    t_orig = times[0][orig]
    times.append(t_orig + (1.0 - t_orig) * rng.random(len(orig)))
    # (c) mandatory question unanswered: sampled firms without a usable response
    pool = sample[~sample["id"].isin(usable_ids)]
    pkey = (pool["nace"].astype(str) + "|" + pool["size"].astype(str)).to_numpy()
    avail = np.array([(pkey == k).sum() for k in keys])
    k_mm = rng.multivariate_hypergeometric(avail, split["mandatory_missing"])
    ids, rows = [], []
    for h, k in enumerate(k_mm):
        if k:
            ids.append(rng.choice(pool["id"].to_numpy()[pkey == keys[h]], k, replace=False))
            rows.append(rng.choice(by_stratum[keys[h]], k))
    rows = np.concatenate(rows).astype(np.int64)
    mm = _nonresponse(rng, take(rows), rates)
    mm["id"] = np.concatenate(ids).astype(np.int64)
    m = len(rows)
    breakoff = rng.random(m) < 0.70
    for col in TECH_ITEMS:
        mm[col] = mm[col].astype(float)
    n_blank = rng.integers(1, 5, m)
    for i in range(m):
        cols = TECH_ITEMS if breakoff[i] else tuple(rng.choice(TECH_ITEMS, n_blank[i], replace=False))
        for col in cols:
            mm[col][i] = np.nan
    mm["adoption"][:] = ""
    for col in ("plans", "initiative", "phase", "budget"):
        mm[col][breakoff] = ""
    for col in APP_ITEMS:
        mm[col][breakoff] = np.nan
    parts.append(mm)
    times.append(rng.random(m))

    cols = {c: np.concatenate([np.asarray(p[c], dtype=object if c in _CATEGORIES else None)
                               for p in parts]) for c in _DATA_COLUMNS}
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    raw = _typed({c: v[order] for c, v in cols.items()}, raw=True)
    raw.insert(0, "received", np.arange(1, len(raw) + 1, dtype=np.int64))
    return raw


# ====================================================================== deviations
def _weights_of(frame: pd.DataFrame, S: _Strata) -> np.ndarray:
    key = pd.MultiIndex.from_frame(S.frame[["nace", "size"]].astype(str))
    pos = key.get_indexer(pd.MultiIndex.from_arrays(
        [frame["nace"].astype(str), frame["size"].astype(str)]))
    return S.w[pos]


def _replica_percent(frame: pd.DataFrame, w: np.ndarray, cell: pd.Series) -> float:
    """Weighted % of one published cell in the (complete) replica."""
    var, item = cell["variable"], cell["item"]
    members = _members(var, item)
    if cell["base"] == "all":
        base = np.ones(len(frame), dtype=bool)
    else:
        base = (frame["adoption"] == "adopter").to_numpy(dtype=bool)
        if cell["base"] == "adopters_nonindividual":
            base = base & frame["initiative"].isin(NONINDIVIDUAL).to_numpy(dtype=bool)
    if var == "adoption":
        num = frame["adoption"].isin(members).to_numpy()
    elif var == "technology":
        num = (frame[list(members)].to_numpy() == 1).any(axis=1)
    elif var == "n_technologies":
        k = frame[list(TECH_ITEMS)].to_numpy().sum(axis=1)
        num = np.isin(k, [_N_TECH_ITEMS.index(m) + 1 for m in members])
    elif var == "application":
        num = (frame[item] == 1).fillna(False).to_numpy(dtype=bool)
    else:
        num = frame[var].isin(members).to_numpy()
    if cell["by"] == "all":
        dom = np.ones(len(frame), dtype=bool)
    else:
        dom = (frame[cell["by"]].astype(str) == cell["domain"]).to_numpy()
    den = float((w * (base & dom)).sum())
    return 100.0 * float((w * (num & base & dom)).sum()) / den


def _guarantee(source: str, domain: str, tol: Mapping[tuple[str, str], float]) -> float:
    if source in ("Tabel 3", "Tabel 4"):
        return tol.get((source, domain), 0.05)
    if source in ("Tabel 5", "Tabel 6"):
        return _TECH_TOL
    return np.nan


def _deviations(complete: pd.DataFrame, S: _Strata) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per published cell and per source: replica (complete data) versus published."""
    cells = _published_cells().copy()
    w = _weights_of(complete, S)
    cells["replica"] = [_replica_percent(complete, w, c) for _, c in cells.iterrows()]
    cells["diff"] = cells["replica"] - cells["published"]
    cells["abs_diff"] = cells["diff"].abs()
    cells["rounds_to_published"] = (cells["replica"] - cells["published"]).abs() < 0.05
    # Tabel 3/4 cells whose domain admits no integer counts within 0.05 pp
    adop = _published_cells()
    adop = adop[adop["variable"] == "adoption"]
    bounds = _domain_bounds("adoption", S.n, ADOPTION_LEVELS, adop, S)
    tol = {(adop.at[i, "source"], adop.at[i, "domain"]): max(0.05, b)
           for i, b in bounds.items()}
    cells["guarantee"] = [_guarantee(s, d, tol) for s, d in zip(cells["source"], cells["domain"])]
    order = {s: i for i, s in enumerate(dict.fromkeys(cells["source"]))}
    summary = (
        cells.groupby("source", sort=False)
        .agg(variable=("variable", lambda v: ", ".join(dict.fromkeys(v))),
             base=("base", "first"), n_cells=("item", "size"),
             max_abs_diff=("abs_diff", "max"), mean_abs_diff=("abs_diff", "mean"),
             n_rounds_to_published=("rounds_to_published", "sum"),
             guarantee=("guarantee", "max"))
        .reset_index()
    )
    summary = summary.sort_values("source", key=lambda s: s.map(order)).reset_index(drop=True)
    summary["n_rounds_to_published"] = summary["n_rounds_to_published"].astype(np.int64)
    return summary, cells


# ========================================================================== result
@dataclass(frozen=True)
class ReplicaResult:
    """SYNTHETIC replica of the AI-Barometer 2025, as made by :func:`make_barometer_replica`.

    Attributes
    ----------
    data : pandas.DataFrame
        The 2,915 usable responses *with* item non-response (what the pipeline imputes).
    complete : pandas.DataFrame
        The same respondents, same order, without non-response.  The published-precision
        guarantees refer to this frame.
    raw : pandas.DataFrame
        The 3,347 received responses in order of receipt (column ``received``): the
        usable ones plus 432 unusable ones (not sampled, duplicate, mandatory question
        unanswered).
    sampled_ids : pandas.DataFrame
        The 9,610 sampled enterprises: ``id``, ``nace``, ``size`` (Tabel 1 counts).
    deviations : pandas.DataFrame
        One row per published source (Tabel 3..12, Figuur 1/2/4/6/10/11, text): the
        number of cells, the largest and mean |replica - published| in percentage
        points, how many cells round to the printed value, and the guaranteed bound.
    cells : pandas.DataFrame
        The same per published cell (``published``, ``replica``, ``diff``...).
    counts : pandas.DataFrame
        The integer counts per stratum that the integer search chose (seed-independent).
    seed : int or None
        The seed, when ``rng`` was an int (``None`` for other ``rng`` values).
    """

    data: pd.DataFrame
    complete: pd.DataFrame
    raw: pd.DataFrame
    sampled_ids: pd.DataFrame
    deviations: pd.DataFrame
    cells: pd.DataFrame
    counts: pd.DataFrame
    seed: int | None = field(default=None)

    def to_frame(self) -> pd.DataFrame:
        """The usable responses with item non-response (``.data``)."""
        return self.data

    def to_csv(self, directory: str | Path) -> dict[str, Path]:
        """Write the frames as the bundled CSV files (``barometer_2025_replica*.csv``).

        Returns the paths written, keyed ``data``, ``complete``, ``raw``, ``sample``.
        """
        directory = Path(directory)
        frames = {"data": self.data, "complete": self.complete, "raw": self.raw,
                  "sample": self.sampled_ids}
        out = {}
        for key, frame in frames.items():
            path = directory / _FILES[key]
            path.write_text(_csv_text(frame), encoding="utf-8")
            out[key] = path
        return out


def _csv_text(frame: pd.DataFrame) -> str:
    """The exact CSV text the bundled files hold (missing = empty field, \\n line ends)."""
    return frame.to_csv(index=False, lineterminator="\n")


def _label(frame: pd.DataFrame, seed: Any) -> pd.DataFrame:
    frame.attrs["source"] = _SOURCE.format(seed=seed)
    return frame


def make_barometer_replica(
    *,
    rng: Any = DEFAULT_SEED,
    nonresponse: Mapping[str, float] | None = None,
    raw_split: Mapping[str, int] | None = None,
) -> ReplicaResult:
    """Generate the SYNTHETIC replica microdata of the AI-Barometer 2025.

    The rows are invented; only their weighted percentages are tied to the report.

    Parameters
    ----------
    rng : int, numpy.random.Generator or anything ``numpy.random.default_rng`` accepts, \
default 2025, keyword-only
        Source of randomness for dealing the per-stratum counts out to respondents,
        the ids, item non-response and the unusable raw responses.  The per-stratum
        counts themselves (and so every weighted percentage of the complete data) do
        not depend on it.
    nonresponse : mapping, optional, keyword-only
        Item non-response rates among eligible respondents, keys ``plans``,
        ``initiative``, ``phase``, ``budget``, ``applications`` (the app_* battery as a
        block); defaults :data:`DEFAULT_NONRESPONSE`.
    raw_split : mapping, optional, keyword-only
        Counts of unusable raw responses per screening rule (``not_sampled``,
        ``duplicate``, ``mandatory_missing``), summing to 432; default
        :data:`DEFAULT_RAW_SPLIT` (160, 140, 132).

    Returns
    -------
    ReplicaResult
        ``data``, ``complete``, ``raw``, ``sampled_ids``, ``deviations``, ``cells``,
        ``counts``; every frame has ``attrs["source"]`` stating that it is synthetic.

    Raises
    ------
    InputError
        If ``nonresponse`` or ``raw_split`` is malformed.
    ConvergenceError
        If the integer search finds no counts (does not happen with the bundled tables).

    Notes
    -----
    Columns of ``data`` / ``complete`` (dtypes): ``id`` (int64, enterprise id);
    ``nace``, ``size`` (categorical, report order); ``adoption`` (categorical
    adopter / plans / no_plans; ``adopter`` iff some tech_* is 1; missing where a
    non-adopter's ``plans`` is missing); ``plans`` (categorical yes / no, non-adopters
    only); ``tech_*`` (int64 0/1, mandatory, never missing); ``initiative``
    (categorical, adopters only); ``phase`` (categorical, adopters whose initiative is
    teams / it / management); ``budget`` (categorical, adopters only); ``app_*``
    (Int64 0/1, adopters only).

    Weighted with w_h = N_h / n_h, the complete data reproduce every sector and size
    cell of Tabel 3/4 to the printed precision (|diff| < 0.05 pp), except in NACE
    35-39, where no integer counts of its 4 + 4 + 26 + 6 respondents can do so (the
    best possible, reached here, is 0.052 pp), and Tabel 5/6 within 0.5 pp.  See
    ``deviations`` for the rest.

    Examples
    --------
    >>> res = make_barometer_replica()
    >>> len(res.data), len(res.raw), len(res.sampled_ids)
    (2915, 3347, 9610)
    """
    rates = _check_rates(nonresponse)
    split = _check_split(raw_split)
    seed = int(rng) if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) else None
    gen = np.random.default_rng(rng)
    S = _strata()
    C = _counts()
    H = len(S.N)
    n_sample = int(S.sample.sum())
    allids = gen.choice(900_000, size=n_sample + split["not_sampled"], replace=False) + 100_000
    sample_ids = allids[:n_sample]
    wrong_ids = allids[n_sample:]
    # sampled enterprises per stratum, and the usable respondents among them
    starts = np.r_[0, np.cumsum(S.sample)]
    Ms = _tech_matrices(gen, C)
    _match_generative(gen, Ms, S, _generative_target())
    parts, usable = [], []
    for h in range(H):
        ids_h = sample_ids[starts[h]:starts[h + 1]]
        resp = np.sort(gen.choice(ids_h, int(S.n[h]), replace=False))
        rows = _stratum_rows(gen, h, C, Ms[h])
        rows["id"] = gen.permutation(resp)
        rows["nace"] = np.full(len(resp), S.frame["nace"].iat[h], dtype=object)
        rows["size"] = np.full(len(resp), S.frame["size"].iat[h], dtype=object)
        parts.append(rows)
        usable.append(resp)
    cols = {c: np.concatenate([p[c] for p in parts]) for c in _DATA_COLUMNS}
    order = gen.permutation(len(cols["id"]))
    cols = {c: v[order] for c, v in cols.items()}
    complete = _typed(cols)
    data = _typed(_nonresponse(gen, _answers(complete), rates))
    sample = pd.DataFrame({
        "id": sample_ids.astype(np.int64),
        "nace": pd.Categorical(np.repeat(S.frame["nace"].to_numpy(), S.sample),
                               categories=list(NACE_CODES)),
        "size": pd.Categorical(np.repeat(S.frame["size"].to_numpy(), S.sample),
                               categories=list(SIZE_CODES)),
    }).sort_values("id").reset_index(drop=True)
    usable_ids = set(np.concatenate(usable).tolist())
    raw = _raw_responses(gen, complete, data, S, sample, usable_ids, wrong_ids, split, rates)
    deviations, cells = _deviations(complete, S)
    counts = C.to_frame(S)
    label = seed if seed is not None else "from a user-supplied rng"
    for frame in (data, complete, raw, sample, deviations, cells, counts):
        _label(frame, label)
    return ReplicaResult(data=data, complete=complete, raw=raw, sampled_ids=sample,
                         deviations=deviations, cells=cells, counts=counts, seed=seed)


# ========================================================================= loaders
def _from_text(frame: pd.DataFrame, *, raw: bool) -> pd.DataFrame:
    """Bundled CSV (all str, "" = missing) -> the replica dtypes."""
    cols = {}
    for col in frame.columns:
        v = frame[col].to_numpy(dtype=object)
        if col in _CATEGORIES:
            cols[col] = v
        elif col in TECH_ITEMS or col in APP_ITEMS:
            cols[col] = np.array([np.nan if x == "" else float(x) for x in v])
        else:
            cols[col] = v.astype(np.int64)
    return _typed(cols, raw=raw)


@cache
def _bundled(key: str) -> pd.DataFrame:
    with (files("surveyweights") / "data" / _FILES[key]).open("r", encoding="utf-8") as fh:
        text = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return _from_text(text, raw=(key == "raw"))


def _load(key: str) -> pd.DataFrame:
    frame = _bundled(key).copy()
    return _label(frame, DEFAULT_SEED)


def barometer_2025_replica(*, complete: bool = False) -> pd.DataFrame:
    """SYNTHETIC replica of the AI-Barometer 2025 usable responses (2,915 rows).

    Not real survey responses: made by :func:`make_barometer_replica` with the
    default seed (2025) and bundled as ``barometer_2025_replica.csv``.

    Parameters
    ----------
    complete : bool, default False, keyword-only
        ``False``: with item non-response (``plans``, ``initiative``, ``phase``,
        ``budget``, the app_* battery), as the pipeline's imputation step expects.
        ``True``: the same respondents in the same order without non-response; the
        published-precision guarantees refer to this version.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (int64); ``nace``, ``size``, ``adoption``, ``plans``,
        ``initiative``, ``phase``, ``budget`` (categorical in code order);
        ``tech_*`` (int64 0/1); ``app_*`` (Int64 0/1, missing for non-adopters).
        ``attrs["source"]`` says the data are synthetic.

    Examples
    --------
    >>> df = barometer_2025_replica()
    >>> len(df), df["tech_text"].dtype.name, df["app_hr"].dtype.name
    (2915, 'int64', 'Int64')
    >>> df.attrs["source"].startswith("SYNTHETIC")
    True
    """
    if not isinstance(complete, bool):
        raise InputError(f"complete must be True or False, got {complete!r}")
    return _load("complete" if complete else "data")


def barometer_2025_replica_raw() -> pd.DataFrame:
    """SYNTHETIC replica of the 3,347 received AI-Barometer 2025 responses (before screening).

    The 2,915 usable responses (as in :func:`barometer_2025_replica`) plus 432 unusable
    ones: 160 under an enterprise number that was not sampled, 140 second responses of
    a firm that had answered already, 132 that left the mandatory technology question
    (partly) unanswered.  Rows are in order of receipt (``received``); ``tech_*`` are
    Int64 here because they can be missing.

    Examples
    --------
    >>> import surveyweights as sw
    >>> raw = barometer_2025_replica_raw()
    >>> res = sw.screen_responses(raw, id="id",
    ...                           sampled_ids=barometer_2025_replica_sample()["id"],
    ...                           mandatory={"technologies": list(TECH_ITEMS)},
    ...                           duplicates="first")
    >>> res.summary.set_index("rule")["n"].to_dict()
    {'not_sampled': 160, 'duplicate': 140, 'mandatory_missing': 132, 'kept': 2915, 'total': 3347}
    """
    return _load("raw")


def barometer_2025_replica_sample() -> pd.DataFrame:
    """SYNTHETIC ids of the 9,610 sampled enterprises with their stratum (Tabel 1 counts).

    Columns ``id`` (int64), ``nace``, ``size`` (categorical), sorted by id.

    Examples
    --------
    >>> s = barometer_2025_replica_sample()
    >>> len(s), int(s.groupby("size", observed=True).size()["large"])
    (9610, 1071)
    """
    return _load("sample")
