"""recombine(): weighted recombination of rounded domain percentages.

Two kinds of test:

* the AI-Barometer 2025 headlines are recombined from the sector tables and,
  independently, from the size tables, with the populations of Tabel 1; every
  recombined interval must agree with the published figure;
* hypothesis properties of the interval, including a brute-force oracle that
  enumerates every vertex of the input box.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from surveyweights.barometer.published import barometer_2025_headlines, barometer_2025_published
from surveyweights.errors import (
    DomainError,
    InputError,
    MissingValueError,
    PopulationFrameError,
)
from surveyweights.recombine import Recombination, RecombinationTable, recombine

DATA = Path(__file__).parent.parent / "src" / "surveyweights" / "barometer" / "data"
SIZE_LABELS = {
    "Micro (5-9 werknemers)": "micro",
    "Klein (10-49 werknemers)": "small",
    "Middelgroot (50-249 werknemers)": "medium",
    "Groot (>= 250 werknemers)": "large",
}
# route -> (adoption table, first table of the route); tables of one route
# are adoption, technology, initiative, phase, application in steps of 2.
ROUTES = {"nace": 3, "size": 4}


# --------------------------------------------------------------------------
# helpers (no module-level state: everything is read on demand)
# --------------------------------------------------------------------------


def _population(route: str) -> pd.Series:
    """N_d per sector (Totaal row) or per size class (Totaal column) of Tabel 1."""
    t = pd.read_csv(DATA / "barometer_2025_tabel1_population.csv", dtype=str)
    t = t.set_index("grootte").map(lambda x: int(x.replace(".", "")))
    if route == "nace":
        n = t.loc["Totaal"].drop("Totaal")
        n.index = [c.removeprefix("NACE ") for c in n.index]
    else:
        n = t["Totaal"].drop("Totaal").rename(index=SIZE_LABELS)
    assert n.sum() == 37839
    return n.astype("int64")


def _table(number: int) -> pd.DataFrame:
    pub = barometer_2025_published()
    t = pub[pub["table"] == number]
    items = list(t["item"].unique())
    return t.pivot(index="domain", columns="item", values="percent")[items]


def _headline(variable: str, item: str) -> float:
    h = barometer_2025_headlines()
    row = h[(h["variable"] == variable) & (h["item"] == item)]
    assert len(row) == 1, (variable, item)
    return float(row["percent"].iloc[0])


def _headlines(variable: str) -> pd.Series:
    h = barometer_2025_headlines()
    h = h[h["variable"] == variable]
    return pd.Series(h["percent"].to_numpy(), index=h["item"].to_numpy())


def _adopter_share(route: str) -> pd.Series:
    return _table(ROUTES[route])["adopter"]


def _nonindividual_share(route: str) -> pd.Series:
    """teams + it + management of Tabel 7/8: a sum of 3 printed cells (step 0.3)."""
    return _table(ROUTES[route] + 4)[["teams", "it", "management"]].sum(axis=1)


# --------------------------------------------------------------------------
# worked examples from the task description
# --------------------------------------------------------------------------


def test_adoption_from_sectors_is_58_77():
    r = recombine(_table(3)["adopter"], _population("nace"))
    assert round(r.estimate, 2) == 58.77
    assert r.consistent_with(58.8)


def test_adoption_from_sizes_is_58_75():
    r = recombine(_table(4)["adopter"], _population("size"))
    assert round(r.estimate, 2) == 58.75
    assert r.consistent_with(58.8)


def test_text_analysis_from_sizes_interval():
    # (35.6*16148 + 42.5*16695 + 51.3*3868 + 65.0*1128) / 37839 = 41.126...
    r = recombine(_table(6)["tech_text"], _population("size"))
    assert round(r.estimate, 2) == 41.13
    # every input +/- 0.05 and a plain weighted mean: the interval is +/- 0.05
    assert r.low == pytest.approx(r.estimate - 0.05, abs=1e-12)
    assert r.high == pytest.approx(r.estimate + 0.05, abs=1e-12)
    assert (round(r.low, 2), round(r.high, 2)) == (41.08, 41.18)
    assert r.consistent_with(41.2)  # [41.15, 41.25] overlaps [41.08, 41.18]
    assert not r.consistent_with(41.3)


# --------------------------------------------------------------------------
# every headline the tables allow, by sector and by size
# --------------------------------------------------------------------------

DIRECT = [  # (variable, offset from the route's adoption table, share spec)
    ("adoption", 0, "none"),
    ("technology", 2, "none"),
    ("initiative", 4, "adopters"),
    ("phase", 6, "adopters_nonindividual"),
    ("application", 8, "adopters"),
]


def _cases():
    out = []
    for route in ROUTES:
        for variable, offset, spec in DIRECT:
            out.append(pytest.param(route, variable, offset, spec, id=f"{route}-{variable}"))
    return out


def _share_kwargs(route: str, spec: str) -> dict:
    if spec == "none":
        return {}
    if spec == "adopters":
        return {"shares": _adopter_share(route)}
    return {
        "shares": [_adopter_share(route), _nonindividual_share(route)],
        "share_precision": [0.1, 0.3],
    }


@pytest.mark.parametrize(("route", "variable", "offset", "spec"), _cases())
def test_headlines_reproduced(route, variable, offset, spec):
    table = _table(ROUTES[route] + offset)
    published = _headlines(variable)
    published = published[published.index.isin(table.columns)]
    # every column of the table has a headline, and vice versa
    assert sorted(published.index) == sorted(table.columns)
    res = recombine(table, _population(route), published=published, **_share_kwargs(route, spec))
    assert isinstance(res, RecombinationTable)
    frame = res.to_frame()
    assert list(frame["item"]) == list(table.columns)
    bad = frame[~frame["consistent"].astype(bool)]
    assert bad.empty, f"inconsistent with the report:\n{bad.to_string()}"
    assert res.consistent_with(published).all()


@pytest.mark.parametrize("route", ROUTES)
def test_phase_with_complement_share(route):
    # non-individual share as 100 - (shadow + approved): 2 printed cells, step 0.2
    ini = _table(ROUTES[route] + 4)
    nonind = 100 - ini[["individual_shadow", "individual_approved"]].sum(axis=1)
    res = recombine(_table(ROUTES[route] + 6), _population(route),
                    shares=[_adopter_share(route), nonind], share_precision=[0.1, 0.2])
    assert res.consistent_with(_headlines("phase")).all()


@pytest.mark.parametrize("route", ROUTES)
def test_non_adopters_41_2(route):
    t = _table(ROUTES[route])
    published = _headline("adoption", "non_adopter")
    r = recombine(t["plans"] + t["no_plans"], _population(route), precision=0.2)
    assert r.consistent_with(published)
    r = recombine(100 - t["adopter"], _population(route))
    assert r.consistent_with(published)


@pytest.mark.parametrize("route", ROUTES)
def test_individual_initiative_48_9(route):
    ini = _table(ROUTES[route] + 4)
    r = recombine(ini["individual_shadow"] + ini["individual_approved"], _population(route),
                  shares=_adopter_share(route), precision=0.2)
    assert r.consistent_with(_headline("initiative", "individual"))


@pytest.mark.parametrize("route", ROUTES)
def test_generative_ai_47_6_within_frechet_bounds(route):
    # nlg OR media per domain lies in [max(nlg, media), min(100, nlg + media)];
    # the population value lies between the recombined bounds.
    t = _table(ROUTES[route] + 2)
    n = _population(route)
    lower = recombine(np.maximum(t["tech_nlg"], t["tech_media"]), n)
    upper = recombine(np.minimum(100.0, t["tech_nlg"] + t["tech_media"]), n, precision=0.2)
    published = _headline("technology", "tech_generative")
    assert lower.low - 0.05 <= published <= upper.high + 0.05


@pytest.mark.parametrize("route", ROUTES)
def test_consistent_column_is_meaningful(route):
    # the same recombination against a wrong published value must disagree
    table = _table(ROUTES[route])
    shifted = _headlines("adoption")[list(table.columns)] + 0.3
    res = recombine(table, _population(route), published=shifted)
    assert not res.to_frame()["consistent"].astype(bool).any()


# --------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------


def test_series_result_and_frame():
    r = recombine(pd.Series({"A": 50.0, "B": 70.0}, name="adopter"),
                  pd.Series({"A": 300, "B": 100}), published=55.0)
    assert isinstance(r, Recombination)
    assert r.item == "adopter"
    assert r.n_domains == 2
    assert r.estimate == pytest.approx(55.0, abs=1e-12)
    assert (r.low, r.high) == (pytest.approx(54.95, abs=1e-12), pytest.approx(55.05, abs=1e-12))
    f = r.to_frame()
    assert list(f.columns) == ["item", "estimate", "low", "high", "published", "consistent"]
    assert f["consistent"].tolist() == [True]
    with pytest.raises(AttributeError):
        r.estimate = 1.0  # frozen


def test_frame_columns_do_not_depend_on_published():
    r = recombine(pd.Series({"A": 50.0}), pd.Series({"A": 3}))
    f = r.to_frame()
    assert list(f.columns) == ["item", "estimate", "low", "high", "published", "consistent"]
    assert f["published"].isna().all() and f["consistent"].isna().all()
    assert r.consistent is None


def test_consistent_with_touching_intervals():
    r = recombine(pd.Series({"A": 50.0}), pd.Series({"A": 3}))  # [49.95, 50.05]
    assert r.consistent_with(50.1)  # [50.05, 50.15] touches
    assert not r.consistent_with(50.2)
    assert r.consistent_with(50.2, precision=0.3)
    assert not r.consistent_with(50.1, precision=0)


def test_table_indexing_and_series():
    pct = pd.DataFrame({"x": [10.0, 30.0], "y": [90.0, 70.0]}, index=["A", "B"])
    res = recombine(pct, pd.Series({"A": 1, "B": 3}), precision=0)
    assert res.items == ["x", "y"]
    assert len(res) == 2
    assert res["y"].estimate == pytest.approx(75.0)
    assert res.estimate.to_dict() == {"x": pytest.approx(25.0), "y": pytest.approx(75.0)}
    with pytest.raises(DomainError, match=r"unknown item 'z'; valid items are \['x', 'y'\]"):
        res["z"]
    with pytest.raises(DomainError, match=r"published values for unknown items \['z'\]"):
        res.consistent_with({"z": 1.0})
    assert res.consistent_with({"x": 25.0}).to_dict() == {"x": True}


def test_dataframe_equals_column_by_column():
    pct = _table(11)
    n = _population("nace")
    share = _adopter_share("nace")
    res = recombine(pct, n, shares=share)
    for item in pct.columns:
        single = recombine(pct[item], n, shares=share)
        assert res[item].estimate == single.estimate
        assert (res[item].low, res[item].high) == (single.low, single.high)


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


def test_error_domains_do_not_match():
    with pytest.raises(DomainError, match=r"domains \['C'\] are in percentages but not in sizes"):
        recombine(pd.Series({"A": 1.0, "C": 2.0}), pd.Series({"A": 1, "B": 2}))
    with pytest.raises(DomainError, match=r"domains \['B'\] are in sizes but not in percentages"):
        recombine(pd.Series({"A": 1.0, "C": 2.0}), pd.Series({"A": 1, "B": 2}))
    with pytest.raises(DomainError, match=r"domains \['B'\] are in percentages but not in shares"):
        recombine(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": 1, "B": 2}),
                  shares=pd.Series({"A": 50.0}))
    with pytest.raises(DomainError, match=r"not in shares\[1\]"):
        recombine(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": 1, "B": 2}),
                  shares=[pd.Series({"A": 50.0, "B": 1.0}), pd.Series({"A": 50.0})])


def test_error_duplicate_domain():
    with pytest.raises(DomainError, match=r"percentages has duplicate domain labels \['A'\]"):
        recombine(pd.Series([1.0, 2.0], index=["A", "A"]), pd.Series({"A": 1}))


def test_error_negative_size():
    with pytest.raises(PopulationFrameError, match=r"sizes must be >= 0, domains \['B'\]"):
        recombine(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": 1, "B": -2}))


@pytest.mark.parametrize("bad", [-0.1, 100.5])
def test_error_percentage_out_of_range(bad):
    with pytest.raises(InputError, match=r"percentages must lie in \[0, 100\].*domain B"):
        recombine(pd.Series({"A": 1.0, "B": bad}), pd.Series({"A": 1, "B": 2}))
    with pytest.raises(InputError, match=r"shares must lie in \[0, 100\].*domain B"):
        recombine(pd.Series({"A": 1.0, "B": 1.0}), pd.Series({"A": 1, "B": 2}),
                  shares=pd.Series({"A": 1.0, "B": bad}))


def test_error_nan():
    msg = r"percentages has missing values \(NaN\) for domains \['B'\]"
    with pytest.raises(MissingValueError, match=msg):
        recombine(pd.Series({"A": 1.0, "B": np.nan}), pd.Series({"A": 1, "B": 2}))
    with pytest.raises(MissingValueError, match=r"sizes has missing values"):
        recombine(pd.Series({"A": 1.0, "B": 1.0}), pd.Series({"A": 1, "B": np.nan}))
    with pytest.raises(MissingValueError, match=r"shares has missing values"):
        recombine(pd.Series({"A": 1.0, "B": 1.0}), pd.Series({"A": 1, "B": 2}),
                  shares=pd.Series({"A": 1.0, "B": np.nan}))


def test_error_nan_is_also_an_input_error():
    with pytest.raises(InputError):
        recombine(pd.Series({"A": np.nan}), pd.Series({"A": 1}))


def test_error_text_percentages():
    with pytest.raises(InputError, match=r"percentages must be numeric.*'55,9%'"):
        recombine(pd.Series({"A": "55,9%"}), pd.Series({"A": 1}))


def test_error_bad_precision():
    with pytest.raises(InputError, match=r"precision=-0.1 must be a finite number >= 0"):
        recombine(pd.Series({"A": 1.0}), pd.Series({"A": 1}), precision=-0.1)
    with pytest.raises(InputError, match=r"share_precision has 1 entries but there are 2 share"):
        recombine(pd.Series({"A": 1.0}), pd.Series({"A": 1}),
                  shares=[pd.Series({"A": 1.0}), pd.Series({"A": 1.0})], share_precision=[0.1])


def test_error_empty_subpopulation():
    with pytest.raises(DomainError, match=r"the \(sub\)population is empty"):
        recombine(pd.Series({"A": 1.0, "B": 2.0}), pd.Series({"A": 1, "B": 2}),
                  shares=pd.Series({"A": 0.0, "B": 0.0}))
    with pytest.raises(DomainError, match=r"percentages has no domains"):
        recombine(pd.Series([], dtype="float64"), pd.Series([], dtype="int64"))


def test_error_wrong_types():
    msg = r"sizes must be a pandas Series indexed by domain label, got list"
    with pytest.raises(InputError, match=msg):
        recombine(pd.Series({"A": 1.0}), [1])
    with pytest.raises(InputError, match=r"only `percentages` may be a DataFrame"):
        recombine(pd.Series({"A": 1.0}), pd.DataFrame({"N": [1]}, index=["A"]))
    with pytest.raises(InputError, match=r"published must be a Series or mapping keyed by item"):
        recombine(pd.DataFrame({"x": [1.0]}, index=["A"]), pd.Series({"A": 1}), published=3.0)
    with pytest.raises(InputError, match=r"published='58,8' is not a number"):
        recombine(pd.Series({"A": 1.0}), pd.Series({"A": 1}), published="58,8")


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------


def _brute_force(p, n, shares, p_prec, s_precs):
    """min/max over every vertex of the box of all scalar inputs (test oracle).

    All 2^(d (1 + k)) vertices at once: row v of ``bits`` says, for each of the d
    percentages and the k x d shares, whether vertex v takes its low or high end.
    """
    p = np.asarray(p, dtype=float)
    p_ends = np.stack([np.clip(p - p_prec / 2, 0, 100), np.clip(p + p_prec / 2, 0, 100)])
    share_ends = [
        np.stack([np.clip(s - sp / 2, 0, 100), np.clip(s + sp / 2, 0, 100)]) / 100
        for s, sp in zip(shares, s_precs)
    ]
    d = len(p)
    k = len(shares)
    idx = np.arange(d)
    m = d * (1 + k)
    bits = ((np.arange(2 ** m)[:, None] >> np.arange(m)) & 1).reshape(-1, 1 + k, d)
    a = np.tile(np.asarray(n, dtype=float), (len(bits), 1))
    for j in range(k):
        a = a * share_ends[j][bits[:, j + 1, :], idx]
    total = a.sum(axis=1)
    ok = total > 0
    if not ok.any():
        return np.inf, -np.inf
    val = (a * p_ends[bits[:, 0, :], idx]).sum(axis=1)[ok] / total[ok]
    return float(val.min()), float(val.max())


@st.composite
def instances(draw, max_domains=8, max_shares=2):
    d = draw(st.integers(1, max_domains))
    k = draw(st.integers(0, max_shares))
    pct = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 1))
    p = draw(st.lists(pct, min_size=d, max_size=d))
    n = draw(st.lists(st.integers(0, 100_000), min_size=d, max_size=d))
    shares = [draw(st.lists(pct, min_size=d, max_size=d)) for _ in range(k)]
    prec = st.sampled_from([0.0, 0.1, 0.2, 0.3, 1.0, 5.0])
    p_prec = draw(prec)
    s_precs = [draw(prec) for _ in range(k)]
    a_mid = np.asarray(n, dtype=float)
    for s in shares:
        a_mid = a_mid * np.asarray(s) / 100
    assume(a_mid.sum() > 0)
    labels = [f"d{i}" for i in range(d)]
    return {
        "p": pd.Series(p, index=labels, dtype="float64"),
        "n": pd.Series(n, index=labels, dtype="int64"),
        "shares": [pd.Series(s, index=labels, dtype="float64") for s in shares],
        "p_prec": p_prec,
        "s_precs": s_precs,
    }


def _run(inst, **override):
    kw = dict(shares=inst["shares"], precision=inst["p_prec"], share_precision=inst["s_precs"])
    kw.update(override)
    return recombine(inst["p"], inst["n"], **kw)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_estimate_inside_interval(inst):
    r = _run(inst)
    assert r.low <= r.estimate <= r.high
    assert 0 <= r.low and r.high <= 100


@settings(max_examples=80, deadline=None)
@given(instances())
def test_zero_precision_collapses(inst):
    r = _run(inst, precision=0.0, share_precision=[0.0] * len(inst["shares"]))
    assert r.low == pytest.approx(r.estimate, abs=1e-9)
    assert r.high == pytest.approx(r.estimate, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(instances(), st.floats(1.0, 10.0))
def test_interval_monotone_in_precision(inst, factor):
    narrow = _run(inst)
    wide = _run(inst, precision=inst["p_prec"] * factor,
                share_precision=[s * factor for s in inst["s_precs"]])
    assert wide.low <= narrow.low + 1e-9
    assert wide.high >= narrow.high - 1e-9
    # widening only the percentages, or only the shares, also nests
    wide_p = _run(inst, precision=inst["p_prec"] + 0.5)
    assert wide_p.low <= narrow.low + 1e-9 and wide_p.high >= narrow.high - 1e-9


@settings(max_examples=100, deadline=None)
@given(instances(max_domains=8, max_shares=0))
def test_matches_brute_force_without_shares(inst):
    r = _run(inst)
    lo, hi = _brute_force(inst["p"], inst["n"], [], inst["p_prec"], [])
    assert r.low == pytest.approx(lo, abs=1e-9)
    assert r.high == pytest.approx(hi, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(instances(max_domains=4, max_shares=2))
def test_matches_brute_force_with_shares(inst):
    # at most 4 domains x 3 inputs = 2**12 vertices
    r = _run(inst)
    lo, hi = _brute_force(inst["p"], inst["n"], inst["shares"], inst["p_prec"], inst["s_precs"])
    assert r.low == pytest.approx(lo, abs=1e-9)
    assert r.high == pytest.approx(hi, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(instances(max_domains=6, max_shares=1), st.randoms(use_true_random=False))
def test_random_interior_points_inside_interval(inst, rnd):
    r = _run(inst)
    p = inst["p"].to_numpy()
    n = inst["n"].to_numpy(dtype=float)
    for _ in range(50):
        pp = np.clip(p + np.array([rnd.uniform(-0.5, 0.5) for _ in p]) * inst["p_prec"], 0, 100)
        a = n.copy()
        for s, sp in zip(inst["shares"], inst["s_precs"]):
            ss = np.clip(s.to_numpy() + np.array([rnd.uniform(-0.5, 0.5) for _ in p]) * sp, 0, 100)
            a = a * ss
        if a.sum() <= 0:
            continue
        val = float(np.dot(a, pp) / a.sum())
        assert r.low - 1e-9 <= val <= r.high + 1e-9


@settings(max_examples=80, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_invariant_to_domain_order(inst, rnd):
    order = list(inst["p"].index)
    rnd.shuffle(order)
    r = _run(inst)
    shuffled = recombine(
        inst["p"].loc[order], inst["n"].loc[list(reversed(order))],
        shares=[s.loc[order] for s in inst["shares"]],
        precision=inst["p_prec"], share_precision=inst["s_precs"],
    )
    assert shuffled.estimate == pytest.approx(r.estimate, rel=1e-12, abs=1e-12)
    assert shuffled.low == pytest.approx(r.low, rel=1e-12, abs=1e-12)
    assert shuffled.high == pytest.approx(r.high, rel=1e-12, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(instances(), st.sampled_from([2, 7, 1000, 0.001]))
def test_invariant_to_scaling_sizes(inst, c):
    r = _run(inst)
    scaled = recombine(inst["p"], inst["n"] * c, shares=inst["shares"],
                       precision=inst["p_prec"], share_precision=inst["s_precs"])
    assert scaled.estimate == pytest.approx(r.estimate, rel=1e-12, abs=1e-12)
    assert scaled.low == pytest.approx(r.low, rel=1e-12, abs=1e-12)
    assert scaled.high == pytest.approx(r.high, rel=1e-12, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(instances(max_shares=0))
def test_plain_weighted_mean_interval_is_shifted_estimate(inst):
    # without shares and away from the [0, 100] edges the weights are fixed,
    # so the interval is exactly estimate +/- precision/2
    p = inst["p"]
    assume(((p - inst["p_prec"] / 2) >= 0).all() and ((p + inst["p_prec"] / 2) <= 100).all())
    r = _run(inst)
    assert r.low == pytest.approx(r.estimate - inst["p_prec"] / 2, abs=1e-9)
    assert r.high == pytest.approx(r.estimate + inst["p_prec"] / 2, abs=1e-9)


def test_per_domain_precision():
    p = pd.Series({"A": 10.0, "B": 20.0})
    n = pd.Series({"A": 1, "B": 1})
    r = recombine(p, n, precision=pd.Series({"A": 0.0, "B": 1.0}))
    assert (r.low, r.high) == (pytest.approx(14.75), pytest.approx(15.25))
    with pytest.raises(DomainError, match=r"not in precision"):
        recombine(p, n, precision=pd.Series({"A": 0.0}))


def test_clipping_at_zero_and_hundred():
    r = recombine(pd.Series({"A": 0.0, "B": 100.0}), pd.Series({"A": 1, "B": 1}), precision=1.0)
    assert (r.low, r.estimate, r.high) == (pytest.approx(49.75), 50.0, pytest.approx(50.25))


def test_share_printed_zero_can_still_carry_weight():
    # a share printed 0.0% may be up to 0.05%; the interval must allow it
    r = recombine(pd.Series({"A": 10.0, "B": 90.0}), pd.Series({"A": 1000, "B": 1000}),
                  shares=pd.Series({"A": 50.0, "B": 0.0}), precision=0)
    assert r.estimate == 10.0
    assert r.low == 10.0
    assert r.high == pytest.approx((499.5 * 10 + 0.5 * 90) / 500.0)
