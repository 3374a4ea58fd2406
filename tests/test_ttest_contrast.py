"""sw.ttest and sw.contrast against R's svyttest and svycontrast (survey 4.1-1).

References: tests/fixtures/estimators/make_estimators.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimators_refs import RTOL, design, ref

import surveyweights as sw
from surveyweights.errors import InputError

TTESTS = [
    # (design, variable, by, R label)
    ("dstrat", "api00", "awards", "api00~awards"),
    ("dclus1", "api00", "awards", "api00~awards"),
    ("dclus2", "api00", "awards", "api00~awards"),
    ("dstrat", "enroll", "ell_gt_20", "enroll~ell_gt_20"),
    ("dstrat", "api00", None, "api00~1"),
]


@pytest.mark.parametrize("name, variable, by, label", TTESTS, ids=[f"{t[0]}-{t[3]}" for t in TTESTS])
def test_ttest_matches_svyttest(name, variable, by, label):
    d = design(name)
    if by == "ell_gt_20":
        d = sw.Design(d.data.assign(ell_gt_20=d.data["ell"] > 20), weights="pw", strata="stype", fpc="fpc")
    t = sw.ttest(d, variable, by=by)
    r = ref(design=name, estimand="ttest", variable=label)
    for q in ("estimate", "t", "df", "p_value", "ci_low", "ci_high"):
        np.testing.assert_allclose(getattr(t, q), r[q], rtol=RTOL, err_msg=q)
    row = t.to_frame().iloc[0]
    assert row["estimate"] == t.estimate and row["method"] == ("two-sample" if by else "one-sample")


def test_ttest_has_difference_se_and_one_df_less():
    d = design("dstrat")
    t = sw.ttest(d, "api00", by="awards")
    diff = sw.difference(d, "api00", by="awards", between=("Yes", "No")).to_frame().iloc[0]
    np.testing.assert_allclose([t.estimate, t.se], [diff["estimate"], diff["se"]], rtol=1e-12)
    assert t.df == diff["df"] - 1 == d.degf - 1
    assert t.between == ("Yes", "No")


def test_ttest_needs_two_groups():
    with pytest.raises(InputError, match=r"by='stype' has 3 observed value\(s\).*exactly two.*subset="):
        sw.ttest(design("dstrat"), "api00", by="stype")


CONTRASTS = [
    # (design, function, variable, coefficients, R label)
    ("dstrat", sw.total, "enroll", {"E": 1, "M": -1}, "total enroll E-M"),
    ("dstrat", sw.total, "enroll", {"E": 1, "H": 1, "M": 1}, "total enroll E+H+M"),
    ("dclus1", sw.total, "enroll", {"E": 1, "M": -1}, "total enroll E-M"),
    ("dclus1", sw.total, "enroll", {"E": 0.5, "H": -1, "M": 0.5}, "total enroll (E+M)/2-H"),
    ("dclus1", sw.mean, "api00", {"E": 1, "H": -1}, "mean api00 E-H"),
    ("dclus2", sw.total, "api.stu", {"E": 1, "M": -1}, "total api.stu E-M"),
]


@pytest.mark.parametrize("name, fn, variable, coefficients, label", CONTRASTS,
                         ids=[f"{c[0]}-{c[4]}" for c in CONTRASTS])
def test_contrast_matches_svycontrast(name, fn, variable, coefficients, label):
    est = fn(design(name), variable, by="stype")
    got = sw.contrast(est, coefficients).to_frame().iloc[0]
    r = ref(design=name, estimand="contrast", variable=label)
    np.testing.assert_allclose([got["estimate"], got["se"]], [r["estimate"], r["se"]], rtol=RTOL)


def test_contrast_of_ratios_matches_svycontrast():
    est = sw.ratio(design("dclus1"), "api.stu", "enroll", by="stype")
    got = sw.contrast(est, {"E": 1, "M": -1}).to_frame().iloc[0]
    r = ref(design="dclus1", estimand="contrast", variable="ratio api.stu/enroll E-M")
    np.testing.assert_allclose([got["estimate"], got["se"]], [r["estimate"], r["se"]], rtol=RTOL)


def test_vcov_matches_svyby_covmat():
    v = sw.total(design("dclus1"), "enroll", by="stype").vcov()
    for a in "EHM":
        for b in "EHM":
            r = ref(design="dclus1", estimand="vcov", domain=a, term=b)
            np.testing.assert_allclose(v.loc[(a, "enroll", None), (b, "enroll", None)], r["value"], rtol=RTOL)


def test_difference_of_totals_is_the_contrast_of_totals():
    d = design("dstrat")
    diff = sw.difference(d, "enroll", by="stype", between=("E", "M"), kind="total").to_frame().iloc[0]
    r = ref(design="dstrat", estimand="contrast", variable="total enroll E-M")
    np.testing.assert_allclose([diff["estimate"], diff["se"]], [r["estimate"], r["se"]], rtol=RTOL)


def test_contrast_sequence_named_contrasts_and_labels():
    est = sw.total(design("dstrat"), "enroll", by="stype")
    by_seq = sw.contrast(est, [1, 0, -1]).to_frame()
    by_map = sw.contrast(est, {"E": 1, "M": -1}).to_frame()
    pd.testing.assert_frame_equal(by_seq, by_map)
    assert by_map["contrast"].iloc[0] == "E - M"
    two = sw.contrast(est, {"E-M": {"E": 1, "M": -1}, "all": {"E": 1, "H": 1, "M": 1}}).to_frame()
    assert two["contrast"].tolist() == ["E-M", "all"]
    np.testing.assert_allclose(two["estimate"].iloc[1], est.estimate.sum(), rtol=1e-12)
    assert two["df"].iloc[1] == design("dstrat").degf


def test_contrast_errors_name_the_rows():
    est = sw.total(design("dstrat"), "enroll", by="stype")
    with pytest.raises(InputError, match=r"contrast key 'X' is not a row.*'E', 'H', 'M'"):
        sw.contrast(est, {"E": 1, "X": -1})
    with pytest.raises(InputError, match=r"has 2 value\(s\) but the estimates have 3 rows"):
        sw.contrast(est, [1, -1])
    with pytest.raises(InputError, match=r"every coefficient of the contrast is zero"):
        sw.contrast(est, {"E": 0})
    two = sw.proportion(design("dstrat"), "awards", by="stype")
    with pytest.raises(InputError, match=r"matches 2 rows.*full \(domain\.\.\., variable, level\) key"):
        sw.contrast(two, {"E": 1})
    ok = sw.contrast(two, {("E", "awards", "Yes"): 1, ("M", "awards", "Yes"): -1}).to_frame()
    p = two.estimate
    np.testing.assert_allclose(ok["estimate"].iloc[0], p[("E", "awards", "Yes")] - p[("M", "awards", "Yes")])
