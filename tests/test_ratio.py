"""sw.ratio against R's svyratio (survey 4.1-1), its properties and its errors.

References: tests/fixtures/estimators/make_estimators.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimators_refs import RTOL, design, ref
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import DomainError, InputError, MissingValueError


@pytest.mark.parametrize("name", ["dstrat", "dclus1", "dclus2"])
def test_ratio_matches_svyratio(name):
    d = design(name)
    got = sw.ratio(d, "api.stu", "enroll", na="available").to_frame().iloc[0]
    r = ref(design=name, estimand="ratio", variable="api.stu/enroll", by="", option="")
    for q in ("estimate", "se", "ci_low", "ci_high", "df", "deff"):
        np.testing.assert_allclose(got[q], r[q], rtol=RTOL, err_msg=q)
    assert got["variable"] == "api.stu/enroll"
    assert got["n"] + got["n_missing"] == d.n


@pytest.mark.parametrize("name", ["dstrat", "dclus1"])
def test_domain_ratios_match_svyby_svyratio(name):
    got = sw.ratio(design(name), "api.stu", "enroll", by="stype").to_frame()
    for row in got.itertuples():
        r = ref(design=name, estimand="ratio", by="stype", domain=row.stype)
        np.testing.assert_allclose([row.estimate, row.se], [r["estimate"], r["se"]], rtol=RTOL)


def test_constant_denominator_matches_r():
    d = design("dstrat")
    one = sw.Design(d.data.assign(one=1.0), weights="pw", strata="stype", fpc="fpc")
    got = sw.ratio(one, "api00", "one").to_frame().iloc[0]
    r = ref(design="dstrat", estimand="ratio", variable="api00/one")
    np.testing.assert_allclose([got.estimate, got.se], [r["estimate"], r["se"]], rtol=RTOL)


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@settings(max_examples=20, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from("abc"), st.floats(-1e3, 1e3), st.floats(0.5, 40.0)),
                  min_size=8, max_size=30),
    c=st.floats(0.01, 1e4),
)
def test_ratio_with_a_constant_denominator_is_the_mean(rows, c):
    df = pd.DataFrame(rows, columns=["g", "y", "w"]).assign(x=c, h=lambda t: t.index % 2)
    d = sw.Design(df, weights="w", strata="h")
    r = sw.ratio(d, "y", "x", by="g").to_frame()
    m = sw.mean(d, "y", by="g").to_frame()
    np.testing.assert_allclose(r["estimate"] * c, m["estimate"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r["se"] * c, m["se"], rtol=1e-9, atol=1e-9)


def test_zero_denominator_total_names_the_domain_and_the_fix():
    df = pd.DataFrame({"g": list("aabb"), "y": [1.0, 2, 3, 4], "x": [1.0, 1, 0, 0]})
    with pytest.raises(DomainError, match=r"denominator 'x' is 0 in domain g='b'.*non-zero total.*subset="):
        sw.ratio(sw.Design(df), "y", "x", by="g")


def test_non_numeric_and_missing_columns_are_refused():
    d = design("dstrat")
    with pytest.raises(InputError, match=r"denominator 'stype' has dtype category, not numeric"):
        sw.ratio(d, "api00", "stype")
    with pytest.raises(InputError, match=r"numerator column\(s\) \['nope'\] not found"):
        sw.ratio(d, "nope", "enroll")


def test_missing_values_follow_the_na_policy():
    d = design("dclus2")
    with pytest.raises(MissingValueError, match=r"'api.stu/enroll' is missing for 6 respondent"):
        sw.ratio(d, "api.stu", "enroll")
    got = sw.ratio(d, "api.stu", "enroll", na="available").to_frame().iloc[0]
    assert got["n_missing"] == 6


def test_ratio_vcov_diagonal_is_the_squared_se():
    r = sw.ratio(design("dclus1"), "api.stu", "enroll", by="stype")
    v = r.vcov()
    np.testing.assert_allclose(np.diag(v), r.to_frame()["se"] ** 2, rtol=1e-12)
