"""Multistage designs against R's svydesign(id=~dnum+snum, fpc=~fpc1+fpc2) and svyrecvar.

References: tests/fixtures/estimators/make_estimators.R (R 4.2.2, survey 4.1-1).
dclus2 is R's apiclus2; dlonely is the script's SYNTHETIC variant with lonely PSUs at
stage 1 (stratum 'single') and stage 2 (districts 200 and 570 keep one school).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from estimators_refs import RTOL, data, design, ref

import surveyweights as sw
from surveyweights.errors import DesignError, LonelyPSUError

OPTIONS = ["fail", "remove", "certainty", "adjust", "average"]
CASES = [(d, o) for o in OPTIONS for d in ("dclus2", "dlonely") if not (d == "dlonely" and o == "fail")]


def test_weights_are_the_product_of_the_stage_fractions():
    w = pd.read_csv(__import__("estimators_refs").HERE / "weights_clus2.csv")
    for name in ("dclus2", "dlonely"):
        got = design(name, "remove" if name == "dlonely" else "fail").weights.to_numpy()
        np.testing.assert_allclose(got, w.loc[w.design == name, "weight"].to_numpy(), rtol=1e-14)
    # apiclus2's pw column is 1/(prob stage 1 * prob stage 2) too
    np.testing.assert_allclose(design("dclus2").weights, data("apiclus2")["pw"], rtol=1e-6)


@pytest.mark.parametrize("name", ["dclus2", "dlonely"])
def test_degf_and_population_size(name):
    d = design(name, "remove" if name == "dlonely" else "fail")
    assert d.degf == ref(design=name, estimand="degf")["value"]
    np.testing.assert_allclose(d.population_size, ref(design=name, estimand="weight_sum")["value"], rtol=1e-12)
    assert d.n_stages == 2 and d.variance.name == "multistage"


def _check(got: pd.DataFrame, key: dict, terms: list[str]):
    for row, term in zip(got.itertuples(), terms):
        r = ref(term=term, **key)
        np.testing.assert_allclose(row.estimate, r["estimate"], rtol=RTOL)
        np.testing.assert_allclose(row.se, r["se"], rtol=RTOL, equal_nan=True)


@pytest.mark.filterwarnings("ignore:.*variance\\(s\\) are undefined:surveyweights.SurveyWeightsWarning")
@pytest.mark.parametrize("name, option", CASES, ids=[f"{d}-{o}" for d, o in CASES])
def test_svymean_svytotal_svyby_under_every_lonely_psu_option(name, option):
    d = design(name, option)
    base = dict(design=name, option=option)
    _check(sw.mean(d, "api00").to_frame(), dict(base, estimand="mean", domain=""), ["api00"])
    _check(sw.total(d, "enroll", na="available").to_frame(), dict(base, estimand="total"), ["enroll"])
    _check(sw.proportion(d, "stype").to_frame(), dict(base, estimand="proportion"),
           ["stypeE", "stypeH", "stypeM"])
    by = sw.mean(d, "api00", by="stype").to_frame()
    for row in by.itertuples():
        r = ref(estimand="mean", by="stype", domain=row.stype, **base)
        np.testing.assert_allclose([row.estimate, row.se], [r["estimate"], r["se"]], rtol=RTOL,
                                   equal_nan=True)
    rat = sw.ratio(d, "api.stu", "enroll", na="available").to_frame().iloc[0]
    r = ref(estimand="ratio", **base)
    np.testing.assert_allclose([rat.estimate, rat.se], [r["estimate"], r["se"]], rtol=RTOL, equal_nan=True)


def test_lonely_options_differ_where_r_differs():
    se = {o: sw.mean(design("dlonely", o), "api00").to_frame()["se"].iloc[0] for o in OPTIONS[1:4]}
    with pytest.warns(sw.SurveyWeightsWarning, match=r"1 variance\(s\) are undefined"):
        se["average"] = sw.mean(design("dlonely", "average"), "api00").to_frame()["se"].iloc[0]
    assert se["remove"] == se["certainty"] < se["adjust"]
    assert np.isnan(se["average"])  # R: nothing to average over at stage 2


def test_lonely_fail_names_the_stage_and_the_fix():
    with pytest.raises(LonelyPSUError, match=r"single sampled PSU at stage 1 \('single'\).*lonely_psu='remove'"):
        design("dlonely", "fail")
    lonely = data("apiclus2_lonely").assign(fpc1=757)  # one stratum: only stage 2 is lonely
    with pytest.raises(LonelyPSUError, match=r"single sampled 'snum' unit at stage 2 \(dnum=200; dnum=570\)"):
        sw.Design(lonely, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])


def test_average_warns_that_stage_two_variance_is_undefined():
    with pytest.warns(sw.SurveyWeightsWarning, match=r"stage 2.*NaN \(as R's svyrecvar\)"):
        sw.Design(data("apiclus2_lonely"), ids=["dnum", "snum"], strata="dstratum",
                  fpc=["fpc1", "fpc2"], lonely_psu="average")


# ------------------------------------------------------------------ refusals
def test_first_stage_only_without_weights_is_refused():
    # the silent failure: 757/40 for every school and a mean of 703.8
    with pytest.raises(DesignError, match=r"ids='dnum' names clusters.*670\.8.*weights=.*"
                                          r"ids=\['dnum', '<unit id>'\]"):
        sw.Design(data("apiclus2"), ids="dnum", fpc="fpc1")


def test_fewer_fpcs_than_stages_is_refused():
    with pytest.raises(DesignError, match=r"fpc gives 1 finite population correction.*2 stages.*"
                                          r"fpc=\['fpc1', 'fpc2'\]"):
        sw.Design(data("apiclus2"), ids=["dnum", "snum"], fpc=["fpc1"])
    # one fpc that is not a list is as partial (this raised IndexError)
    with pytest.raises(DesignError, match=r"fpc gives 1 finite population correction.*2 stages.*"
                                          r"fpc=\['fpc1', 'fpc2'\]"):
        sw.Design(data("apiclus2"), ids=["dnum", "snum"], fpc="fpc1")


def test_stages_without_fpc_or_weights_are_refused():
    with pytest.raises(DesignError, match=r"neither weights nor fpc.*fpc=\[\.\.\.\]"):
        sw.Design(data("apiclus2"), ids=["dnum", "snum"])


def test_stage_fpc_must_be_constant_within_the_stage_unit():
    d = data("apiclus2").copy()
    d.loc[d.index[2], "fpc2"] = 99
    with pytest.raises(DesignError, match=r"fpc of stage 2 varies within dnum=83"):
        sw.Design(d, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])


def test_stage_fpc_smaller_than_the_sample_is_refused():
    d = data("apiclus2").copy()
    d.loc[d["dnum"] == 83, "fpc2"] = 2
    with pytest.raises(DesignError, match=r"fpc of stage 2 is 2 in dnum=83, smaller than its 3"):
        sw.Design(d, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])


def test_weights_without_fpc_give_the_ultimate_cluster_variance():
    # R: svydesign(id=~dnum+snum, weights=~pw) has no recursion: the one-stage variance
    two = sw.Design(data("apiclus2"), ids=["dnum", "snum"], weights="pw")
    one = sw.Design(data("apiclus2"), ids="dnum", weights="pw")
    a, b = (sw.mean(x, "api00").to_frame().iloc[0] for x in (two, one))
    assert two.variance.name == "taylor"
    assert (a.estimate, a.se) == (b.estimate, b.se)


def test_with_lonely_psu_keeps_the_stages():
    d = design("dlonely", "remove").with_lonely_psu("adjust")
    r = ref(design="dlonely", option="adjust", estimand="mean", domain="", term="api00")
    np.testing.assert_allclose(sw.mean(d, "api00").to_frame()["se"], r["se"], rtol=RTOL)


def test_input_is_not_mutated():
    d = data("apiclus2").copy()
    before = d.copy()
    sw.Design(d, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    pd.testing.assert_frame_equal(d, before)


def test_sampling_fractions_give_the_same_design():
    d = data("apiclus2").copy()
    sizes = d.groupby("dnum")["snum"].transform("size")
    d["f1"], d["f2"] = 40 / d["fpc1"], sizes / d["fpc2"]
    a = sw.Design(d, ids=["dnum", "snum"], fpc=["f1", "f2"])
    np.testing.assert_allclose(a.weights, design("dclus2").weights, rtol=1e-12)
    np.testing.assert_allclose(sw.mean(a, "api00").to_frame()["se"],
                               sw.mean(design("dclus2"), "api00").to_frame()["se"], rtol=1e-12)


def test_three_stages_reduce_to_two_when_the_last_is_a_census():
    # a third stage that takes every unit (fpc3 = units sampled) adds no variance
    d = data("apiclus2").copy()
    d["pupil_group"], d["fpc3"] = 1, 1
    three = sw.Design(d, ids=["dnum", "snum", "pupil_group"], fpc=["fpc1", "fpc2", "fpc3"])
    assert three.n_stages == 3
    a, b = (sw.mean(x, "api00").to_frame().iloc[0] for x in (three, design("dclus2")))
    np.testing.assert_allclose([a.estimate, a.se], [b.estimate, b.se], rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(three)
