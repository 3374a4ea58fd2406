"""sw.glm against R's svyglm (survey 4.1-1), its properties and its errors.

References: tests/fixtures/estimators/make_estimators.R (summary() and confint() of
each fit, and df.residual).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from estimators_refs import RTOL, design, ref, results
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import InputError, MissingValueError

MODELS = {
    # label in the R file: (design, our formula, family)
    "gaussian1": ("dstrat", "api00 ~ ell + meals + mobility", "gaussian"),
    "gaussian2": ("dstrat", "api00 ~ ell + stype + ell:stype", "gaussian"),
    "gaussian3": ("dclus2", "api00 ~ ell + meals + enroll", "gaussian"),
    "quasibinomial1": ("dstrat", "Q('sch.wide') ~ ell + meals + stype", "quasibinomial"),
    "quasibinomial2": ("dclus1", "Q('sch.wide') ~ ell + meals + C(stype)", "binomial"),
    "quasibinomial3": ("dclus2", "award ~ ell + meals", "quasibinomial"),
    "intercept": ("dstrat", "api00 ~ 1", "gaussian"),
}


def _r_term(term: str) -> str:
    term = "(Intercept)" if term == "Intercept" else term
    return re.sub(r"(?:C\()?stype\)?\[T\.(\w)\]", r"stype\1", term)


@pytest.mark.parametrize("label", list(MODELS))
def test_glm_matches_svyglm(label):
    name, formula, family = MODELS[label]
    d = design(name)
    if label == "quasibinomial3":  # R: I(awards == "Yes")
        d = sw.Design(d.data.assign(award=d.data["awards"] == "Yes"), ids=["dnum", "snum"],
                      fpc=["fpc1", "fpc2"])
    fit = sw.glm(d, formula, family=family, na="available")
    got = fit.to_frame()
    assert list(got.columns) == ["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high", "df"]
    r = results()
    r = r[(r.estimand == "glm") & (r.variable == label)]
    assert len(got) == len(set(r.term) - {""})
    for row in got.itertuples():
        exp = ref(estimand="glm", variable=label, term=_r_term(row.term))
        for q in ("estimate", "se", "t", "p_value", "ci_low", "ci_high"):
            np.testing.assert_allclose(getattr(row, q), exp[q], rtol=RTOL, err_msg=f"{row.term} {q}")
    assert fit.df == ref(estimand="glm", variable=label, term="")["df"]
    np.testing.assert_allclose(np.diag(fit.vcov), got["se"] ** 2, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@settings(max_examples=15, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from("abcd"), st.floats(-100, 100), st.floats(0.5, 20)),
                     min_size=6, max_size=30))
def test_intercept_only_glm_is_the_mean(rows):
    df = pd.DataFrame(rows, columns=["h", "y", "w"])
    d = sw.Design(df, weights="w", strata="h", lonely_psu="adjust")
    fit = sw.glm(d, "y ~ 1").to_frame().iloc[0]
    m = sw.mean(d, "y").to_frame().iloc[0]
    np.testing.assert_allclose(fit["estimate"], m["estimate"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fit["se"], m["se"], rtol=1e-7, atol=1e-9)
    assert fit["df"] == m["df"]  # degf - p + 1 with p = 1


def test_formula_with_a_missing_column_names_it_and_the_fix():
    with pytest.raises(InputError, match=r"names the column 'income', which is not in the design's "
                                         r"data.*design\.assign\(income=\.\.\.\)"):
        sw.glm(design("dstrat"), "api00 ~ ell + income")
    with pytest.raises(InputError, match=r"names the column 'nope'"):
        sw.glm(design("dstrat"), "Q('api.stu') ~ C(nope)")


def test_formula_terms_are_never_evaluated():
    d = design("dstrat")
    for term in ["__import__('os').system('echo hacked')", "np.log(ell)", "ell.__class__",
                 "I(ell ** 2)"]:
        with pytest.raises(InputError, match=r"is not supported; terms name columns"):
            sw.glm(d, f"api00 ~ {term}")


def test_family_and_response_errors():
    d = design("dstrat")
    with pytest.raises(InputError, match=r"family='logit' is not available.*'binomial'"):
        sw.glm(d, "api00 ~ ell", family="logit")
    with pytest.raises(InputError, match=r"categorical with levels 'E', 'H', 'M'; a binomial model"):
        sw.glm(d, "stype ~ ell", family="binomial")
    with pytest.raises(InputError, match=r"values outside \[0, 1\]"):
        sw.glm(d, "api00 ~ ell", family="binomial")


def test_missing_model_variables_follow_the_na_policy():
    d = design("dclus2")
    with pytest.raises(MissingValueError, match=r"\['enroll'\].*missing for 6 unit.*na='available'"):
        sw.glm(d, "api00 ~ enroll")
    fit = sw.glm(d, "api00 ~ enroll", na="available")
    assert fit.n == d.n - 6 and fit.n_missing == 6


def test_subset_fits_a_domain_like_r_subset():
    d = design("dstrat")
    sub = sw.glm(d, "api00 ~ ell", subset="stype == 'E'").to_frame()
    alone = sw.glm(sw.Design(d.data[d.data.stype == "E"], weights="pw", fpc="fpc"), "api00 ~ ell").to_frame()
    np.testing.assert_allclose(sub["estimate"], alone["estimate"], rtol=1e-10)
