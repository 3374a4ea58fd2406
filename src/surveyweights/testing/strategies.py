"""Hypothesis strategies for property tests of survey weighting and estimation.

Users' pipelines have invariants that must hold for *any* frame and sample, not
only for the one in the fixture: the weights of every stratum sum to N_h, the
estimates do not change when the rows are reordered, a proportion lies in
[0, 1].  These strategies draw the inputs:

* :func:`populations` -- population frames: strata (one or several crossed
  columns) with counts N_h;
* :func:`stratified_samples` -- a stratified sample drawn from such a frame (or
  from a fixed frame such as Tabel 1/2), rows shuffled, with optional items;
* :func:`designs` -- a valid :class:`~surveyweights.Design`, with or without
  PSUs (clusters) and with or without a finite population correction;
* :func:`items` -- an item column with missing values.

Every strategy is deterministic given hypothesis' draws (no global random
state) and shrinks towards small frames and samples.

Examples
--------
>>> from hypothesis import given, settings
>>> import surveyweights as sw
>>> from surveyweights.testing import strategies as sws
>>> @settings(max_examples=20)
... @given(sws.stratified_samples())
... def test_weights_sum_to_population(sample):
...     ps = sw.poststratify(sample.data, sample.frame, strata=sample.strata)
...     assert abs(ps.weights.sum() - sample.frame.table["N"].sum()) < 1e-6 * sample.frame.table["N"].sum()
>>> test_weights_sum_to_population()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without hypothesis
    raise ImportError(
        "surveyweights.testing.strategies needs the hypothesis package, an optional "
        "dependency: pip install 'surveyweights[testing]' (the assertions and the pytest "
        "fixtures of surveyweights.testing work without it)"
    ) from exc

from .._strata import as_columns
from ..design import LONELY_PSU_OPTIONS, Design
from ..errors import InputError
from ..frame import PopulationFrame

__all__ = ["StratifiedSample", "designs", "items", "populations", "stratified_samples"]

#: Characters of drawn stratum labels: digits and punctuation, so that a label like
#: "1", "01" or "a-1" reaches the code under test.
_LABEL_CHARS = "abcxyz019-_"


@dataclass(frozen=True)
class StratifiedSample:
    """A stratified sample and the population frame it was drawn from.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per sampled unit: the stratum columns, ``id`` (unique) and the items
        asked for; rows in random order, the index either a RangeIndex or unique
        unordered integers.
    frame : PopulationFrame
        The population counts N_h (column ``N``).
    """

    data: pd.DataFrame
    frame: PopulationFrame

    @property
    def strata(self) -> list[str]:
        """The stratum columns (as a list, ready for ``strata=``)."""
        return list(self.frame.strata)

    @property
    def n_h(self) -> pd.Series:
        """Sampled units per population stratum (0 for a stratum without units)."""
        cols = self.strata
        counts = self.data.groupby(cols, sort=False, observed=True).size()
        keys = pd.MultiIndex.from_frame(self.frame.table[cols]) if len(cols) > 1 \
            else pd.Index(self.frame.table[cols[0]])
        return counts.reindex(keys, fill_value=0).rename("n")


def _check_range(name: str, lo: Any, hi: Any, *, minimum: int) -> tuple[int, int]:
    for label, v in ((f"min_{name}", lo), (f"max_{name}", hi)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise InputError(f"{label}={v!r} is not a whole number >= {minimum}")
    if lo > hi:
        raise InputError(f"min_{name}={lo} is larger than max_{name}={hi}; give min <= max")
    return int(lo), int(hi)


def _divisors(k: int) -> list[int]:
    return [d for d in range(1, k + 1) if k % d == 0]


@st.composite
def _populations(draw, columns, min_strata, max_strata, min_count, max_count) -> PopulationFrame:
    cols = draw(st.sampled_from([("stratum",), ("region", "sector")])) if columns is None else columns
    # K strata, split into one number of levels per column whose product is K
    rest = draw(st.integers(min_strata, max_strata))
    sizes = []
    for _ in cols[:-1]:
        k = draw(st.sampled_from(_divisors(rest)))
        sizes.append(k)
        rest //= k
    sizes.append(rest)
    labels = st.text(_LABEL_CHARS, min_size=1, max_size=4)
    levels = [draw(st.lists(labels, min_size=k, max_size=k, unique=True)) for k in sizes]
    grid = pd.MultiIndex.from_product(levels, names=list(cols)).to_frame(index=False)
    grid["N"] = draw(st.lists(st.integers(min_count, max_count), min_size=len(grid), max_size=len(grid)))
    return PopulationFrame(grid, tuple(cols), "N")


def populations(
    *,
    columns: str | Sequence[str] | None = None,
    min_strata: int = 1,
    max_strata: int = 8,
    min_count: int = 1,
    max_count: int = 10_000,
) -> st.SearchStrategy[PopulationFrame]:
    """Population frames: strata with counts N_h.

    Parameters
    ----------
    columns : str or list of str, optional, keyword-only
        The stratum columns; several are crossed (every combination is a stratum).
        Default: ``"stratum"`` or the crossed ``("region", "sector")``, drawn.
    min_strata, max_strata : int, default 1 and 8, keyword-only
        Bounds on the number of strata.
    min_count, max_count : int, default 1 and 10000, keyword-only
        Bounds on each N_h.

    Returns
    -------
    hypothesis strategy of PopulationFrame
        Column ``N``; string labels (which may look like numbers, e.g. ``"01"``).
    """
    cols = None if columns is None else as_columns(columns, what="columns")
    lo, hi = _check_range("strata", min_strata, max_strata, minimum=1)
    clo, chi = _check_range("count", min_count, max_count, minimum=0)
    return _populations(cols, lo, hi, clo, chi)


def _item_values(draw, n: int, spec: Any, missing: bool) -> Any:
    """One item column of length n (an array): numeric, 0/1 (``"binary"``) or categorical."""
    holes = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool) \
        if missing else np.zeros(n, dtype=bool)
    if spec == "numeric":
        vals = np.asarray(draw(st.lists(st.floats(-1000, 1000, allow_nan=False, width=32),
                                        min_size=n, max_size=n)), dtype=float)
        vals[holes] = np.nan
        return vals
    if spec == "binary":
        vals = np.asarray(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
        return pd.arrays.IntegerArray(vals, holes)
    codes = np.asarray(draw(st.lists(st.integers(0, len(spec) - 1), min_size=n, max_size=n)),
                       dtype=np.int64)
    codes[holes] = -1
    return pd.Categorical.from_codes(codes, categories=list(spec))


def _check_items(items: Any) -> dict[str, Any]:
    if items is None:
        return {}
    if not isinstance(items, Mapping):
        raise InputError(
            f"items must be a mapping {{column: 'numeric' | 'binary' | [levels]}}, got "
            f"{type(items).__name__}"
        )
    for k, spec in items.items():
        if not isinstance(k, str):
            raise InputError(f"item name {k!r} is not a column name (a string)")
        ok = spec in ("numeric", "binary") if isinstance(spec, str) else (
            isinstance(spec, Sequence) and len(spec) > 0 and len(set(spec)) == len(spec))
        if not ok:
            raise InputError(
                f"item {k!r} has spec {spec!r}; give 'numeric', 'binary' or a list of distinct "
                f"levels, e.g. ['adopter', 'plans', 'no_plans']"
            )
    return dict(items)


def items(
    size: int | None = None,
    *,
    levels: Sequence[Any] | str = "numeric",
    missing: bool = True,
    name: str = "item",
) -> st.SearchStrategy[pd.Series]:
    """An item column whose values may be missing.

    Parameters
    ----------
    size : int, optional
        Length of the column; default drawn from 1 to 20.
    levels : "numeric", "binary" or list, default "numeric", keyword-only
        ``"numeric"``: floats (NaN when missing); ``"binary"``: 0/1 as nullable
        ``Int64`` (``pd.NA`` when missing); a list: a categorical with these
        categories (NaN when missing).
    missing : bool, default True, keyword-only
        Whether values may be missing (some draws have none, some have all missing).
    name : str, default "item", keyword-only

    Returns
    -------
    hypothesis strategy of pandas.Series
    """
    if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0):
        raise InputError(f"size={size!r} is not a whole number >= 0")
    sizes = st.integers(1, 20) if size is None else st.just(int(size))

    _check_items({name: levels})

    @st.composite
    def draw_item(draw):
        return pd.Series(_item_values(draw, draw(sizes), levels, bool(missing)), name=name)

    return draw_item()


def _draw_sample(draw, frame: PopulationFrame, min_per: int, max_per: int,
                 item_specs: Mapping[str, Any], missing: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """A shuffled stratified sample of the frame and the frame row of each unit."""
    table = frame.table
    N = table[frame.count].to_numpy(dtype=np.int64)
    n_h = [draw(st.integers(min(min_per, int(Nh)), min(max_per, int(Nh)))) for Nh in N]
    rows = np.repeat(np.arange(len(table)), n_h)
    if len(rows):
        rows = rows[np.asarray(draw(st.permutations(range(len(rows)))), dtype=np.intp)]
    n = len(rows)
    columns: dict[str, Any] = {"id": np.arange(1, n + 1, dtype=np.int64)}
    for c in frame.strata:
        columns[c] = table[c].to_numpy()[rows]
    for name, spec in item_specs.items():
        columns[name] = _item_values(draw, n, spec, missing)
    index = None
    if n and draw(st.booleans()):  # an index that is neither 0..n-1 nor sorted
        index = pd.Index(draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n, unique=True)),
                         dtype=np.int64)
    return pd.DataFrame(columns, index=index), rows


@st.composite
def _samples(draw, population, min_per, max_per, item_specs, missing) -> StratifiedSample:
    frame = draw(population)
    data, _ = _draw_sample(draw, frame, min_per, max_per, item_specs, missing)
    return StratifiedSample(data, frame)


def stratified_samples(
    population: PopulationFrame | st.SearchStrategy[PopulationFrame] | None = None,
    *,
    min_per_stratum: int = 1,
    max_per_stratum: int = 5,
    items: Mapping[str, Any] | None = None,
    missing: bool = False,
) -> st.SearchStrategy[StratifiedSample]:
    """Stratified samples drawn without replacement from a population frame.

    Parameters
    ----------
    population : PopulationFrame or strategy, optional
        The frame to sample from, fixed (e.g. ``sw.datasets.barometer_2025_frame()``)
        or drawn; default :func:`populations`.
    min_per_stratum, max_per_stratum : int, default 1 and 5, keyword-only
        Bounds on n_h (never above N_h).  ``min_per_stratum=0`` allows population
        strata without a sampled unit (which post-stratification must collapse).
    items : mapping, optional, keyword-only
        Item columns to add: ``{"adoption": ["adopter", "plans", "no_plans"],
        "employees": "numeric", "uses_ai": "binary"}`` (see :func:`items`).
    missing : bool, default False, keyword-only
        Whether the items may have missing values.

    Returns
    -------
    hypothesis strategy of StratifiedSample
        ``.data`` (rows shuffled, sometimes with a non-default index), ``.frame``,
        ``.strata``, ``.n_h``.
    """
    if population is None:
        population = populations()
    elif isinstance(population, PopulationFrame):
        population = st.just(population)
    elif not isinstance(population, st.SearchStrategy):
        raise InputError(
            f"population must be a PopulationFrame or a hypothesis strategy of one, got "
            f"{type(population).__name__}"
        )
    lo, hi = _check_range("per_stratum", min_per_stratum, max_per_stratum, minimum=0)
    return _samples(population, lo, hi, _check_items(items), bool(missing))


@st.composite
def _designs(draw, psus, fpc, lonely_psu, item_specs, missing, max_strata) -> Design:
    clustered = draw(st.booleans()) if psus is None else psus
    fpc_kind = draw(st.sampled_from(["none", "size", "fraction"])) if fpc is None else (
        draw(st.sampled_from(["size", "fraction"])) if fpc else "none")
    min_units = 1 if lonely_psu != "fail" else 2
    if not clustered:
        frame = draw(populations(min_count=min_units, max_strata=max_strata))
        data, rows = _draw_sample(draw, frame, min_units, 6, item_specs, missing)
        N = frame.table[frame.count].to_numpy(dtype=float)
        n_h = np.bincount(rows, minlength=len(N)).astype(float)
        weights: Any = None
        if fpc_kind == "size":
            data["fpc"] = N[rows]
        elif fpc_kind == "fraction":
            data["fpc"] = (n_h / N)[rows]
        else:
            data["w"] = draw(st.lists(st.floats(0.5, 1000, allow_nan=False, width=32),
                                      min_size=len(data), max_size=len(data)))
            weights = "w"
        return Design(data, weights=weights, strata=list(frame.strata),
                      fpc=None if fpc_kind == "none" else "fpc", lonely_psu=lonely_psu)
    # one-stage cluster sample: m_h PSUs per stratum, 1-3 units per PSU, M_h PSUs in the population
    H = draw(st.integers(1, max_strata))
    m_h = np.asarray(draw(st.lists(st.integers(min_units, 4), min_size=H, max_size=H)), dtype=np.int64)
    M_h = m_h + np.asarray(draw(st.lists(st.integers(0, 30), min_size=H, max_size=H)), dtype=np.int64)
    psu_stratum = np.repeat(np.arange(H), m_h)
    P = len(psu_stratum)
    size = np.asarray(draw(st.lists(st.integers(1, 3), min_size=P, max_size=P)), dtype=np.int64)
    w_psu = np.asarray(draw(st.lists(st.floats(0.5, 1000, allow_nan=False, width=32),
                                     min_size=P, max_size=P)), dtype=float)
    unit_psu = np.repeat(np.arange(P), size)
    unit_psu = unit_psu[np.asarray(draw(st.permutations(range(len(unit_psu)))), dtype=np.intp)]
    h = psu_stratum[unit_psu]
    n = len(unit_psu)
    columns: dict[str, Any] = {"id": np.arange(1, n + 1, dtype=np.int64),
                               "stratum": np.array([f"h{k}" for k in range(H)], dtype=object)[h],
                               "psu": unit_psu + 1}
    for name, spec in item_specs.items():
        columns[name] = _item_values(draw, n, spec, missing)
    if fpc_kind == "size":
        columns["fpc"] = M_h[h].astype(float)
    elif fpc_kind == "fraction":
        columns["fpc"] = (m_h / M_h)[h]
    if fpc_kind == "none":
        columns["w"] = w_psu[unit_psu]
    else:
        # PSUs taken whole: the design weight M_h / m_h, given explicitly (a Design refuses
        # to derive weights from the fpc of clusters, which may have been subsampled)
        columns["w"] = (M_h / m_h)[h]
    return Design(pd.DataFrame(columns), weights="w", strata="stratum", ids="psu",
                  fpc=None if fpc_kind == "none" else "fpc", lonely_psu=lonely_psu)


def designs(
    *,
    psus: bool | None = None,
    fpc: bool | None = None,
    lonely_psu: str = "fail",
    items: Mapping[str, Any] | None = None,
    missing: bool = False,
    max_strata: int = 6,
) -> st.SearchStrategy[Design]:
    """Valid stratified designs, with or without PSUs and finite population correction.

    Parameters
    ----------
    psus : bool, optional, keyword-only
        ``True``: one-stage cluster samples (column ``psu``, 1-3 units per PSU);
        ``False``: element samples; default: both.
    fpc : bool, optional, keyword-only
        ``True``: an ``fpc`` column, as population sizes or as sampling fractions
        (drawn), and the weights N_h/n_h it implies; ``False``: sampling with
        replacement and drawn weights (column ``w``); default: both.
    lonely_psu : str, default "fail", keyword-only
        The design's lonely-PSU option; with ``"fail"`` every stratum has at least 2
        PSUs, otherwise a stratum may have one.
    items : mapping, optional, keyword-only
        Item columns, as for :func:`stratified_samples`; default
        ``{"y": "numeric", "c": ["a", "b", "c"]}``.
    missing : bool, default False, keyword-only
        Whether the items may have missing values.
    max_strata : int, default 6, keyword-only

    Returns
    -------
    hypothesis strategy of Design
        Strata in ``stratum`` (or crossed ``region``, ``sector``), ``id`` unique.
    """
    if psus is not None and not isinstance(psus, bool):
        raise InputError(f"psus={psus!r} must be True, False or None (both)")
    if fpc is not None and not isinstance(fpc, bool):
        raise InputError(f"fpc={fpc!r} must be True, False or None (both)")
    _check_range("strata", 1, max_strata, minimum=1)
    specs = _check_items({"y": "numeric", "c": ["a", "b", "c"]} if items is None else items)
    if lonely_psu not in LONELY_PSU_OPTIONS:
        raise InputError(f"lonely_psu={lonely_psu!r} is not a valid option; choose one of "
                         f"{list(LONELY_PSU_OPTIONS)}")
    return _designs(psus, fpc, lonely_psu, specs, bool(missing), int(max_strata))
