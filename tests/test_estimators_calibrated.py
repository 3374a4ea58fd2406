"""The issue-12 estimators on calibrated designs (sw.calibrate, issue 10) against R.

R (tests/fixtures/estimators/make_estimators.R, section 8):
  dcal  <- calibrate(dstrat, ~stype + sch.wide + enroll, c(6194, 755, 1018, 5122, 3811472))
  dcal2 <- calibrate(dclus2, ~stype, c(6194, 755, 1018))           # two-stage, calibrated
Every estimator hands its scores to the design's variance method, which takes the
calibration residuals before Taylor (or multistage) linearization, as R's svyrecvar.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from estimators_refs import RTOL, design, ref

import surveyweights as sw

TYPES = {"E": 4421, "H": 755, "M": 1018}


@functools.cache
def calibrated(name: str) -> sw.Design:
    if name == "dcal":
        return sw.calibrate(design("dstrat"), {"stype": TYPES, "sch.wide": {"No": 1072, "Yes": 5122},
                                               "enroll": 3811472}, method="linear")
    return sw.calibrate(design("dclus2"), {"stype": TYPES}, method="linear")


NAMES = ["dcal", "dcal2"]


@pytest.mark.parametrize("name", NAMES)
def test_mean_and_ratio_on_calibrated_designs(name):
    d = calibrated(name)
    m = sw.mean(d, "api00").to_frame().iloc[0]
    r = ref(design=name, estimand="mean", variable="api00")
    np.testing.assert_allclose([m.estimate, m.se], [r["estimate"], r["se"]], rtol=RTOL)
    rat = sw.ratio(d, "api.stu", "enroll", na="available").to_frame().iloc[0]
    r = ref(design=name, estimand="ratio")
    np.testing.assert_allclose([rat.estimate, rat.se], [r["estimate"], r["se"]], rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("method", ["mean", "score"])
def test_quantile_on_calibrated_designs(name, method):
    got = sw.quantile(calibrated(name), "api00", [0.25, 0.5, 0.75], method=method).to_frame()
    for row in got.itertuples():
        r = ref(design=name, estimand="quantile", option=f"{method}|math", term=f"{row.level:g}")
        np.testing.assert_allclose([row.estimate, row.ci_low, row.ci_high, row.se],
                                   [r["estimate"], r["ci_low"], r["ci_high"], r["se"]], rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("label, formula, family", [
    ("gaussian_cal", "api00 ~ ell + meals", "gaussian"),
    ("quasibinomial_cal", "Q('sch.wide') ~ ell + meals", "quasibinomial"),
])
def test_glm_on_calibrated_designs(name, label, formula, family):
    fit = sw.glm(calibrated(name), formula, family=family)
    for row in fit.to_frame().itertuples():
        term = "(Intercept)" if row.term == "Intercept" else row.term
        r = ref(design=name, estimand="glm", variable=label, term=term)
        for q in ("estimate", "se", "t", "p_value", "ci_low", "ci_high"):
            np.testing.assert_allclose(getattr(row, q), r[q], rtol=RTOL, err_msg=f"{term} {q}")
    assert fit.df == ref(design=name, estimand="glm", variable=label, term="")["df"]


@pytest.mark.parametrize("name", NAMES)
def test_ttest_and_contrast_on_calibrated_designs(name):
    d = calibrated(name)
    t = sw.ttest(d, "api00", by="awards")
    r = ref(design=name, estimand="ttest")
    for q in ("estimate", "t", "df", "p_value", "ci_low", "ci_high"):
        np.testing.assert_allclose(getattr(t, q), r[q], rtol=RTOL, err_msg=q)
    c = sw.contrast(sw.total(d, "api.stu", by="stype"), {"E": 1, "M": -1}).to_frame().iloc[0]
    r = ref(design=name, estimand="contrast")
    np.testing.assert_allclose([c["estimate"], c["se"]], [r["estimate"], r["se"]], rtol=RTOL)
