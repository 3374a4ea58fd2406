"""sw.stack: independent samples in one design, against R's svydesign on the rbind.

References: tests/fixtures/estimators/make_estimators.R, design dboth =
svydesign(id=~1, strata=~st, weights=~pw, fpc=~fpc, data=rbind(apisrs, apistrat))
with wave-specific strata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimators_refs import RTOL, data, design, ref
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import DesignError, InputError


@pytest.fixture(scope="module")
def both() -> sw.Design:
    return sw.stack({"srs": design("dsrs"), "strat": design("dstrat")}, key="wave")


def test_stacked_means_and_degf_match_r(both):
    assert both.degf == ref(design="dboth", estimand="degf")["value"] == 199 + 197
    got = sw.mean(both, "api00", by="wave").to_frame()
    for row in got.itertuples():
        r = ref(design="dboth", estimand="mean", domain=row.wave)
        np.testing.assert_allclose([row.estimate, row.se], [r["estimate"], r["se"]], rtol=RTOL)
        alone = sw.mean(design("d" + row.wave), "api00").to_frame().iloc[0]
        r1 = ref(design="d" + row.wave, estimand="mean", variable="api00", by="", option="")
        np.testing.assert_allclose([alone["estimate"], alone["se"]], [r1["estimate"], r1["se"]], rtol=RTOL)
        np.testing.assert_allclose([row.estimate, row.se], [alone["estimate"], alone["se"]], rtol=1e-12)


def test_change_between_waves_matches_svycontrast_and_svyttest(both):
    diff = sw.difference(both, "api00", by="wave", between=("strat", "srs")).to_frame().iloc[0]
    r = ref(design="dboth", estimand="contrast", variable="mean api00 strat-srs")
    np.testing.assert_allclose([diff["estimate"], diff["se"]], [r["estimate"], r["se"]], rtol=RTOL)
    share = sw.difference(both, "awards", by="wave", between=("strat", "srs"), level="Yes").to_frame().iloc[0]
    r = ref(design="dboth", estimand="contrast", variable="mean awards=Yes strat-srs")
    np.testing.assert_allclose([share["estimate"], share["se"]], [r["estimate"], r["se"]], rtol=RTOL)
    t = sw.ttest(both, "api00", by="wave")
    r = ref(design="dboth", estimand="ttest", variable="api00~wave")
    for q in ("estimate", "t", "df", "p_value", "ci_low", "ci_high"):
        np.testing.assert_allclose(getattr(t, q), r[q], rtol=RTOL, err_msg=q)


def test_chisq_by_wave_matches_svychisq(both):
    res = sw.chisq_test(both, "awards", "wave")
    r = ref(design="dboth", estimand="chisq")
    np.testing.assert_allclose([res.statistic, res.ndf, res.ddf, res.p_value],
                               [r["statistic"], r["ndf"], r["ddf"], r["p_value"]], rtol=RTOL)


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@settings(max_examples=15, deadline=None)
@given(
    a=st.lists(st.tuples(st.sampled_from("xyz"), st.floats(-50, 50), st.floats(1, 30)), min_size=4, max_size=20),
    b=st.lists(st.tuples(st.sampled_from("xyz"), st.floats(-50, 50), st.floats(1, 30)), min_size=4, max_size=20),
)
def test_stacked_difference_has_the_sum_of_the_variances(a, b):
    da, db = (sw.Design(pd.DataFrame(rows, columns=["h", "y", "w"]), weights="w", strata="h",
                        lonely_psu="adjust") for rows in (a, b))
    both = sw.stack({"a": da, "b": db}, key="wave")
    diff = sw.difference(both, "y", by="wave", between=("b", "a")).to_frame().iloc[0]
    se_a, se_b = (sw.mean(d, "y").to_frame()["se"].iloc[0] for d in (da, db))
    np.testing.assert_allclose(diff["se"] ** 2, se_a ** 2 + se_b ** 2, rtol=1e-9, atol=1e-12)


def test_clashing_strata_without_key_name_the_fix():
    with pytest.raises(DesignError, match=r"stratum 'E' occurs in design 0 and in design 1.*key='wave'"):
        sw.stack([design("dstrat"), design("dstrat")])
    # strata that differ need no key (regions sampled separately)
    d = data("apistrat")
    e = sw.Design(d[d.stype == "E"], weights="pw", strata="stype", fpc="fpc")
    m = sw.Design(d[d.stype == "M"], weights="pw", strata="stype", fpc="fpc")
    both = sw.stack([e, m])
    np.testing.assert_allclose(sw.total(both, "enroll").to_frame()["se"],
                               sw.total(sw.Design(d[d.stype != "H"], weights="pw", strata="stype",
                                                  fpc="fpc"), "enroll").to_frame()["se"], rtol=1e-12)


def test_stack_refusals():
    s = design("dstrat")
    with pytest.raises(DesignError, match=r"key='stype' is already a column"):
        sw.stack({"a": s, "b": s}, key="stype")
    with pytest.raises(DesignError, match=r"different lonely_psu options.*with_lonely_psu"):
        sw.stack({"a": s, "b": s.with_lonely_psu("adjust")}, key="wave")
    with pytest.raises(DesignError, match=r"have no fpc and the others have one"):
        sw.stack({"a": s, "b": sw.Design(data("apistrat"), weights="pw", strata="stype")}, key="wave")
    with pytest.raises(InputError, match=r"key='wave' needs labels: pass a mapping"):
        sw.stack([s, s], key="wave")
    with pytest.raises(InputError, match=r"at least two designs"):
        sw.stack({"a": s}, key="wave")


def test_multistage_waves_keep_their_stages():
    c2 = design("dclus2")
    both = sw.stack({"a": c2, "b": c2}, key="wave")
    assert both.n_stages == 2 and both.degf == 2 * c2.degf
    got = sw.mean(both, "api00", by="wave").to_frame()
    alone = sw.mean(c2, "api00").to_frame().iloc[0]
    np.testing.assert_allclose(got["se"], alone["se"], rtol=1e-12)


def test_calibrated_waves_keep_their_own_variance_method():
    d = design("dstrat")
    cal = sw.calibrate(d, {"stype": {"E": 4421, "H": 755, "M": 1018}, "enroll": 3_811_472})
    both = sw.stack({"raw": d, "cal": cal}, key="wave")
    assert both.variance.name == "stacked"
    got = sw.total(both, "api00", by="wave").to_frame()
    for row in got.itertuples():
        alone = sw.total(cal if row.wave == "cal" else d, "api00").to_frame().iloc[0]
        np.testing.assert_allclose([row.estimate, row.se], [alone["estimate"], alone["se"]], rtol=1e-10)
    diff = sw.difference(both, "api00", by="wave", between=("cal", "raw"), kind="total").to_frame().iloc[0]
    se = [sw.total(x, "api00").to_frame()["se"].iloc[0] for x in (d, cal)]
    np.testing.assert_allclose(diff["se"] ** 2, se[0] ** 2 + se[1] ** 2, rtol=1e-10)


def test_inputs_are_not_changed():
    d = design("dstrat")
    before = d.data.copy()
    sw.stack({"a": d, "b": d}, key="wave")
    pd.testing.assert_frame_equal(d.data, before)
