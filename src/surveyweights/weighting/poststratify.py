"""Post-stratification weights w_h = N_h / n_h, with explicit collapsing and diagnostics.

Every respondent in stratum h gets the weight N_h / n_h, where N_h is the
population of the stratum (from a :class:`~surveyweights.PopulationFrame`) and
n_h the number of usable responses in it.  The weights of a stratum then sum to
N_h and all weights sum to N.  This is the weighting of the AI-Barometer 2025
(section 3.3) and of R's ``svydesign(ids=~1, strata=~stratum, fpc=~N_h)``,
whose ``weights()`` are exactly N_h / n_h.

A population stratum without respondents has no defined weight.  The library
never collapses strata on its own: the caller names the merge with
``collapse={source: target}``, and the merge is applied to populations and
respondent counts alike and reported in the diagnostics.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._strata import (
    as_columns,
    as_key,
    check_columns,
    check_no_clash,
    check_no_missing,
    factorize_keys,
    format_key,
    row_keys,
)
from .. import _display
from ..errors import InputError, StratumError
from ..frame import PopulationFrame

__all__ = ["poststratify", "PostStratification", "kish_summary"]


@dataclass(frozen=True)
class PostStratification:
    """Post-stratification weights and their diagnostics.

    Attributes
    ----------
    weights : pandas.Series
        One weight per respondent, named ``"weight"``, aligned with the responses' index.
    stratum : pandas.Series
        The weighting stratum of each respondent after any collapsing, as a string
        label (``"35-39 | medium"``); this is the stratum of the design.
    fpc : pandas.Series
        N of each respondent's weighting stratum (the population size used for the
        finite population correction), aligned with the responses' index.
    diagnostics : pandas.DataFrame
        One row per population stratum: the stratum columns, ``N``, ``n`` (its own
        respondents), ``collapsed_into`` (the label of the weighting stratum, equal to
        its own label when not collapsed), ``N_group``, ``n_group``, ``weight``
        (N_group / n_group) and ``weight_sum`` (the weight total of its own respondents).
    summary : pandas.Series
        Overall figures: ``N``, ``n``, ``weight_sum`` (= N), ``n_strata``,
        ``n_weighting_strata``, ``n_collapsed``, ``kish_n_eff``, ``weight_cv``,
        ``kish_deff``, ``weight_min``, ``weight_max``.
    collapsed : pandas.DataFrame
        One row per collapsed stratum: ``source``, ``target`` (after following chains),
        ``N``, ``n``.  Empty when nothing was collapsed.
    strata : tuple of str
        The stratum columns.
    """

    weights: pd.Series
    stratum: pd.Series
    fpc: pd.Series
    diagnostics: pd.DataFrame
    summary: pd.Series
    collapsed: pd.DataFrame
    strata: tuple[str, ...]

    def __repr__(self) -> str:
        """One line: strata, collapses, the weights' range and Kish's effective n."""
        s = self.summary
        collapsed = f", {int(s['n_collapsed'])} collapsed" if int(s["n_collapsed"]) else ""
        return (f"PostStratification: {_display.number(int(s['n']))} respondents in "
                f"{int(s['n_weighting_strata'])} weighting strata{collapsed}; weights "
                f"{_display.number(s['weight_min'])} to {_display.number(s['weight_max'])}, sum "
                f"{_display.number(s['weight_sum'])}; Kish n_eff {_display.number(s['kish_n_eff'])}, "
                f"deff {_display.number(s['kish_deff'])}")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.weight_table())

    def weight_table(self) -> pd.DataFrame:
        """Diagnostics restricted to the columns a report prints: strata, N, n, weight."""
        return self.diagnostics[[*self.strata, "N", "n", "collapsed_into", "weight", "weight_sum"]].copy()


#: The columns of ``PostStratification.diagnostics`` after the strata columns.
DIAGNOSTIC_COLUMNS: tuple[str, ...] = ("N", "n", "collapsed_into", "N_group", "n_group", "weight",
                                       "weight_sum")


def kish_summary(weights: np.ndarray | pd.Series) -> dict[str, float]:
    """Kish's effective sample size, the weights' coefficient of variation and deff.

    Notes
    -----
    With n weights w_i: n_eff = (sum w)^2 / sum w^2, CV = sd(w) / mean(w) with the
    population standard deviation (divisor n), and Kish's design effect due to
    unequal weighting deff = 1 + CV^2 = n / n_eff (Kish 1965, *Survey Sampling*, 8.2).
    """
    w = np.asarray(weights, dtype=float)
    if w.size == 0:
        return {"kish_n_eff": 0.0, "weight_cv": float("nan"), "kish_deff": float("nan")}
    s1, s2 = w.sum(), np.square(w).sum()
    n_eff = s1 * s1 / s2
    cv = float(w.std(ddof=0) / w.mean())
    return {"kish_n_eff": float(n_eff), "weight_cv": cv, "kish_deff": 1.0 + cv * cv}


def _stratum_label(key: tuple) -> str:
    return " | ".join(str(k) for k in key)


def _resolve_collapse(
    collapse: Mapping[Hashable, Hashable] | None,
    known: set[tuple],
    ncols: int,
) -> dict[tuple, tuple]:
    """Map each collapsed source stratum to its final target, following chains."""
    if not collapse:
        return {}
    if not isinstance(collapse, Mapping):
        raise InputError(
            f"collapse must be a mapping {{source stratum: target stratum}}, got "
            f"{type(collapse).__name__}; e.g. collapse={{('35-39', 'large'): ('35-39', 'medium')}}"
        )
    step: dict[tuple, tuple] = {}
    for src, dst in collapse.items():
        s, d = as_key(src, ncols), as_key(dst, ncols)
        for k, role in ((s, "source"), (d, "target")):
            if k not in known:
                raise StratumError(
                    f"collapse {role} stratum {format_key(k)} is not in the population frame; "
                    f"use the frame's stratum codes"
                )
        if s == d:
            raise StratumError(f"collapse maps stratum {format_key(s)} onto itself; remove that entry")
        step[s] = d
    final: dict[tuple, tuple] = {}
    for s in step:
        path = [s]
        cur = step[s]
        while cur in step:
            if cur in path:
                cycle = " -> ".join(format_key(k) for k in (*path, cur))
                raise StratumError(f"collapse has a cycle ({cycle}); every chain must end in a stratum that is kept")
            path.append(cur)
            cur = step[cur]
        final[s] = cur
    return final


def poststratify(
    data: pd.DataFrame,
    population: PopulationFrame | pd.DataFrame,
    *,
    strata: str | Sequence[str],
    count: str = "N",
    collapse: Mapping[Hashable, Hashable] | None = None,
) -> PostStratification:
    """Post-stratification weights w_h = N_h / n_h for each respondent.

    Parameters
    ----------
    data : pandas.DataFrame
        The usable responses, one row per respondent, with the stratum columns.
    population : PopulationFrame or pandas.DataFrame
        Population counts per stratum.  A DataFrame must hold the ``strata`` columns
        and the ``count`` column (one row per stratum).
    strata : str or list of str, keyword-only
        The stratum columns (the same names in ``data`` and ``population``).
    count : str, default "N", keyword-only
        The population count column of a DataFrame ``population``.
    collapse : mapping, optional, keyword-only
        Strata to merge, ``{source: target}``; keys are tuples of stratum values (or
        bare values when there is one stratum column), e.g.
        ``{("35-39", "large"): ("35-39", "medium")}``.  Merged strata share the weight
        (N_source + N_target) / (n_source + n_target).  Chains (a -> b -> c) are followed.

    Returns
    -------
    PostStratification
        ``weights`` aligned with ``data.index``, plus ``stratum``, ``fpc``,
        ``diagnostics``, ``summary`` and ``collapsed``.

    Raises
    ------
    MissingValueError
        If a stratum column is missing for some respondents (the rows are named).
    StratumError
        If a respondent's stratum is not in the population frame, a population
        stratum with N_h > 0 has no respondents (use ``collapse=``), a stratum with
        N_h = 0 has respondents, or ``collapse`` names an unknown stratum or a cycle.

    Notes
    -----
    The weights equal R's ``weights(svydesign(ids=~1, strata=~stratum, fpc=~N_h,
    data=...))``.  With collapsing they equal that design built on the collapsed
    stratum variable.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"size": ["micro", "micro", "large"]})
    >>> pop = pd.DataFrame({"size": ["micro", "large"], "N": [100, 10]})
    >>> poststratify(data, pop, strata="size").weights.tolist()
    [50.0, 50.0, 10.0]
    """
    strata = as_columns(strata, what="strata")
    check_no_clash(strata, DIAGNOSTIC_COLUMNS, what="strata", table="the weighting diagnostics")
    if isinstance(population, PopulationFrame):
        frame = population
        if tuple(frame.strata) != strata:
            raise InputError(
                f"the population frame is stratified by {list(frame.strata)} but "
                f"strata={list(strata)}; use the same stratum columns"
            )
    elif isinstance(population, pd.DataFrame):
        frame = PopulationFrame.from_long(population, strata=strata, count=count)
    else:
        raise InputError(
            f"population must be a PopulationFrame or a DataFrame, got {type(population).__name__}"
        )
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    check_columns(data, strata, what="strata", table="the responses")
    check_no_missing(data, strata, table="the responses")

    keys = frame.keys()
    N = dict(zip(keys, frame.table[frame.count].tolist()))
    codes, uniq = factorize_keys(data, strata)
    uniq_keys = row_keys(uniq, strata)
    per_code = np.bincount(codes, minlength=len(uniq_keys))
    n: dict[tuple, int] = dict.fromkeys(keys, 0)
    unknown: dict[tuple, int] = {}
    for k, c in zip(uniq_keys, per_code.tolist()):
        if k in n:
            n[k] += c
        else:
            unknown[k] = c
    if unknown:
        listed = ", ".join(f"{format_key(k)} ({c} respondent{'s' if c > 1 else ''})"
                           for k, c in list(unknown.items())[:10])
        raise StratumError(
            f"{len(unknown)} respondent stratum/strata not in the population frame: {listed}; "
            f"correct the respondents' stratum codes or add the stratum to the population frame"
        )
    zero_pop = [k for k in keys if N[k] == 0 and n[k] > 0]
    if zero_pop:
        k = zero_pop[0]
        raise StratumError(
            f"stratum {format_key(k)} has population N=0 but {n[k]} respondent(s); a stratum "
            f"with respondents must have a positive population: correct the count or the "
            f"respondents' stratum"
        )

    final = _resolve_collapse(collapse, set(keys), len(strata))
    group_of = {k: final.get(k, k) for k in keys}
    N_group: dict[tuple, int] = {}
    n_group: dict[tuple, int] = {}
    for k in keys:
        g = group_of[k]
        N_group[g] = N_group.get(g, 0) + N[k]
        n_group[g] = n_group.get(g, 0) + n[k]
    empty = [g for g in N_group if n_group[g] == 0 and N_group[g] > 0]
    if empty:
        lines = []
        for g in empty:
            members = [k for k in keys if group_of[k] == g]
            lines.append(
                f"{format_key(g)} (N={N_group[g]}"
                + (f", merged from {', '.join(format_key(m) for m in members)}" if len(members) > 1 else "")
                + ")"
            )
        example_src = empty[0]
        example = ""
        same_first = [k for k in keys if k != example_src and k[:-1] == example_src[:-1] and n_group[group_of[k]] > 0]
        if same_first:
            example = f", e.g. collapse={{{format_key(example_src)}: {format_key(same_first[0])}}}"
        raise StratumError(
            f"{len(empty)} population stratum/strata have no respondents, so N_h/n_h is "
            f"undefined: {'; '.join(lines)}. Merge each into a neighbouring stratum with "
            f"collapse={{source: target}}{example}"
        )

    weight_of = {g: (N_group[g] / n_group[g] if n_group[g] > 0 else np.nan) for g in N_group}
    groups = [group_of[k] for k in uniq_keys]
    weights = pd.Series(np.array([weight_of[g] for g in groups], dtype=float)[codes],
                        index=data.index, name="weight")
    stratum = pd.Series(np.array([_stratum_label(g) for g in groups], dtype=object)[codes],
                        index=data.index, name="stratum")
    fpc = pd.Series(np.array([float(N_group[g]) for g in groups], dtype=float)[codes],
                    index=data.index, name="fpc")

    diag = frame.table[list(strata)].copy()
    diag["N"] = [N[k] for k in keys]
    diag["n"] = [n[k] for k in keys]
    diag["collapsed_into"] = [_stratum_label(group_of[k]) for k in keys]
    diag["N_group"] = [N_group[group_of[k]] for k in keys]
    diag["n_group"] = [n_group[group_of[k]] for k in keys]
    diag["weight"] = [weight_of[group_of[k]] for k in keys]
    diag["weight_sum"] = [weight_of[group_of[k]] * n[k] if n[k] else 0.0 for k in keys]

    collapsed = pd.DataFrame(
        {"source": [_stratum_label(s) for s in final],
         "target": [_stratum_label(t) for t in final.values()],
         "N": [N[s] for s in final],
         "n": [n[s] for s in final]},
        columns=["source", "target", "N", "n"],
    )
    w = weights.to_numpy()
    summary = pd.Series(
        {"N": frame.total, "n": len(data), "weight_sum": float(w.sum()),
         "n_strata": len(keys), "n_weighting_strata": len(N_group),
         "n_collapsed": len(final), **kish_summary(w),
         "weight_min": float(w.min()) if len(w) else np.nan,
         "weight_max": float(w.max()) if len(w) else np.nan},
        dtype=float,
    )
    return PostStratification(weights, stratum, fpc, diag, summary, collapsed, strata)
