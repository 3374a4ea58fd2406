"""poststratify: weights N_h/n_h, collapsing, diagnostics, errors, properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights import testing as swt
from surveyweights.errors import MissingValueError, StratumError

FIXTURES = Path(__file__).parent / "fixtures"


def _pop():
    return pd.DataFrame({"nace": ["A", "A", "B", "B"], "size": ["s", "l", "s", "l"],
                         "N": [100, 10, 60, 6]})


def _data():
    return pd.DataFrame({"nace": ["A", "A", "A", "B", "B", "B", "A"],
                         "size": ["s", "s", "l", "s", "s", "l", "s"]},
                        index=[10, 11, 12, 13, 14, 15, 16])


def test_weights_are_N_over_n_and_aligned():
    ps = sw.poststratify(_data(), _pop(), strata=["nace", "size"])
    assert ps.weights.index.equals(_data().index)
    assert ps.weights.name == "weight"
    assert ps.weights.loc[[10, 11, 16]].tolist() == [100 / 3] * 3
    assert ps.weights.loc[12] == 10.0
    assert ps.weights.loc[[13, 14]].tolist() == [30.0, 30.0]
    assert ps.weights.loc[15] == 6.0
    assert ps.fpc.loc[13] == 60.0
    assert ps.summary["weight_sum"] == pytest.approx(176)
    assert ps.summary["N"] == 176


def test_kish_diagnostics():
    ps = sw.poststratify(_data(), _pop(), strata=["nace", "size"])
    w = ps.weights.to_numpy()
    assert ps.summary["kish_n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert ps.summary["weight_cv"] == pytest.approx(w.std() / w.mean())
    assert ps.summary["kish_deff"] == pytest.approx(len(w) / ps.summary["kish_n_eff"])


def test_matches_R_weights_on_reference_data():
    """weights_A.csv holds R's weights(svydesign(ids=~1, strata=~interaction(nace,size), fpc=~N))."""
    d = FIXTURES / "r_shared"
    data = pd.read_csv(d / "dataset_A.csv", dtype={"nace": str, "size": str})
    pop = pd.read_csv(d / "population.csv", dtype={"nace": str, "size": str})
    ref = pd.read_csv(d / "weights_A.csv", dtype={"nace": str, "size": str})
    ps = sw.poststratify(data, pop, strata=["nace", "size"])
    m = ps.diagnostics.merge(ref, on=["nace", "size"], suffixes=("", "_r"), validate="one_to_one")
    assert len(m) == 44
    np.testing.assert_allclose(m["weight"], m["weight_r"], rtol=1e-13)
    np.testing.assert_array_equal(m["n"], m["n_r"])


def test_empty_stratum_requires_explicit_collapse():
    data = _data().query("not (nace == 'B' and size == 'l')")
    with pytest.raises(StratumError, match=r"1 population stratum/strata have no respondents.*\('B', 'l'\) \(N=6\).*collapse=\{\('B', 'l'\): \('B', 's'\)\}"):
        sw.poststratify(data, _pop(), strata=["nace", "size"])
    ps = sw.poststratify(data, _pop(), strata=["nace", "size"], collapse={("B", "l"): ("B", "s")})
    b = ps.weights[data["nace"].eq("B")]
    assert b.tolist() == [33.0, 33.0]  # (60 + 6) / (2 + 0)
    assert b.sum() == pytest.approx(66)
    assert ps.summary["weight_sum"] == pytest.approx(176)
    assert ps.collapsed.to_dict("records") == [{"source": "B | l", "target": "B | s", "N": 6, "n": 0}]
    d = ps.diagnostics.set_index(["nace", "size"])
    assert d.loc[("B", "l"), "collapsed_into"] == "B | s"
    assert d.loc[("B", "l"), "weight_sum"] == 0.0
    assert ps.summary["n_collapsed"] == 1 and ps.summary["n_weighting_strata"] == 3
    assert set(ps.stratum[data["nace"].eq("B")]) == {"B | s"}
    assert set(ps.fpc[data["nace"].eq("B")]) == {66.0}


def test_collapse_chain_and_cycle():
    pop = pd.DataFrame({"h": ["a", "b", "c"], "N": [10, 20, 30]})
    data = pd.DataFrame({"h": ["c", "c", "a"]})
    ps = sw.poststratify(data, pop, strata="h", collapse={"b": "a", "a": "c"})
    assert ps.weights.tolist() == [20.0, 20.0, 20.0]
    assert set(ps.collapsed["target"]) == {"c"}
    with pytest.raises(StratumError, match="collapse has a cycle"):
        sw.poststratify(data, pop, strata="h", collapse={"a": "b", "b": "a"})
    with pytest.raises(StratumError, match=r"collapse target stratum 'z' is not in the population frame"):
        sw.poststratify(data, pop, strata="h", collapse={"a": "z"})


def test_unknown_respondent_stratum():
    data = pd.concat([_data(), pd.DataFrame({"nace": ["C"], "size": ["s"]}, index=[99])])
    with pytest.raises(StratumError, match=r"1 respondent stratum/strata not in the population frame: \('C', 's'\) \(1 respondent\)"):
        sw.poststratify(data, _pop(), strata=["nace", "size"])


def test_zero_population_with_respondents():
    pop = _pop().assign(N=[100, 0, 60, 6])
    with pytest.raises(StratumError, match=r"stratum \('A', 'l'\) has population N=0 but 1 respondent"):
        sw.poststratify(_data(), pop, strata=["nace", "size"])


def test_nan_stratum_names_rows():
    data = _data().astype({"size": object})
    data.loc[[12, 15], "size"] = None
    with pytest.raises(MissingValueError, match=r"stratum column 'size' of the responses is missing in 2 row\(s\) \(index 12, 15\)"):
        sw.poststratify(data, _pop(), strata=["nace", "size"])


def test_frame_strata_must_match():
    frame = sw.PopulationFrame.from_long(_pop(), strata=["nace", "size"])
    with pytest.raises(sw.errors.InputError, match=r"stratified by \['nace', 'size'\] but strata=\['size', 'nace'\]"):
        sw.poststratify(_data(), frame, strata=["size", "nace"])


# ----------------------------------------------------------------- properties
@st.composite
def survey(draw):
    k = draw(st.integers(1, 8))
    n_h = draw(st.lists(st.integers(1, 6), min_size=k, max_size=k))
    N_h = [n + draw(st.integers(0, 200)) for n in n_h]
    rows = [h for h, n in enumerate(n_h) for _ in range(n)]
    perm = draw(st.permutations(range(len(rows))))
    data = pd.DataFrame({"h": [f"s{rows[i]}" for i in perm]})
    pop = pd.DataFrame({"h": [f"s{h}" for h in range(k)], "N": N_h})
    return data, pop


@settings(max_examples=60, deadline=None)
@given(survey())
def test_weights_sum_to_population_in_every_stratum(sv):
    data, pop = sv
    ps = sw.poststratify(data, pop, strata="h")
    # every stratum sums to N_h, the whole to N, and each weight is N_h / n_h (rtol 1e-12)
    swt.assert_weights_calibrated(ps, pop, "h", data=data, rtol=1e-12)


@settings(max_examples=50, deadline=None)
@given(survey(), st.randoms(use_true_random=False))
def test_weights_do_not_depend_on_row_order(sv, rnd):
    data, pop = sv
    perm = list(data.index)
    rnd.shuffle(perm)
    a = sw.poststratify(data, pop, strata="h").weights
    b = sw.poststratify(data.loc[perm], pop, strata="h").weights
    pd.testing.assert_series_equal(a, b.loc[a.index])
