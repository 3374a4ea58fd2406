"""R references for the gaps of issue 16: lonely-PSU options by domain, and difference()
with its default df and its two-sided p-value.

Fixture: tests/fixtures/gaps/gaps.csv, made by tests/fixtures/gaps/make_gaps.R (R 4.2.2,
survey 4.1-1); every row has its exact R call and df.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, api_data

import surveyweights as sw

RTOL = 1e-10
GAPS = pd.read_csv(FIXTURES / "gaps" / "gaps.csv", dtype=str, keep_default_na=False)
LONELY = GAPS[GAPS["case"] == "lonely_by_domain"]
CHISQ = GAPS[GAPS["case"] == "lonely_chisq"]
DIFF = GAPS[GAPS["case"] == "difference_default_df"]


def _lonely_design(name: str, option: str) -> sw.Design:
    d = api_data("apistrat")
    if name == "L1":
        d = d[(d["stype"] != "H") | (d["snum"] == 627)]
    else:
        first_m = d.loc[d["stype"] == "M", "snum"].iloc[0]
        d = d[(d["stype"] == "E") | d["snum"].isin([627, first_m])]
    return sw.Design(d.reset_index(drop=True), weights="pw", strata="stype", fpc="fpc",
                     lonely_psu=option)


def test_the_fixture_covers_every_option_design_and_domain():
    assert len(LONELY) == 128 and len(CHISQ) == 32 and len(DIFF) == 49
    assert set(LONELY["lonely_psu"]) == {"remove", "certainty", "adjust", "average"}
    assert (GAPS["r_version"] == "4.2.2").all() and (GAPS["survey_version"] == "4.1.1").all()


@pytest.mark.parametrize("key", sorted(set(zip(LONELY["design"], LONELY["lonely_psu"],
                                               LONELY["estimand"], LONELY["domain_var"]))),
                         ids="-".join)
def test_lonely_psu_options_by_domain_match_svyby(key):
    design_name, option, estimand, by = key
    rows = LONELY[(LONELY["design"] == design_name) & (LONELY["lonely_psu"] == option)
                  & (LONELY["estimand"] == estimand) & (LONELY["domain_var"] == by)]
    fn = sw.mean if estimand == "mean" else sw.total
    got = fn(_lonely_design(design_name, option), "api00", by=by).to_frame()
    got = got.assign(dom=got[by].astype(str)).set_index("dom")
    assert len(got) == rows["domain"].nunique() == 2
    for _, r in rows.iterrows():
        np.testing.assert_allclose(got.loc[r["domain"], r["statistic"]], float(r["value"]), rtol=RTOL)
        assert got.loc[r["domain"], "df"] == float(r["df"])


@pytest.mark.parametrize("key", sorted(set(zip(CHISQ["design"], CHISQ["lonely_psu"]))), ids="-".join)
def test_lonely_psu_options_in_the_chisq_covariance_match_svychisq(key):
    design_name, option = key
    rows = CHISQ[(CHISQ["design"] == design_name) & (CHISQ["lonely_psu"] == option)].set_index("statistic")
    res = sw.chisq_test(_lonely_design(design_name, option), "sch.wide", "awards")
    got = {"statistic": res.statistic, "ndf": res.ndf, "ddf": res.ddf, "p_value": res.p_value}
    for stat, value in got.items():
        np.testing.assert_allclose(value, float(rows.loc[stat, "value"]), rtol=RTOL)


def _diff_design(name, desA, dstrat):
    if name == "desA":
        return desA
    return sw.Design(dstrat.data.assign(ell_gt_20_num=(dstrat.data["ell"] > 20).astype(float)),
                     weights="pw", strata="stype", fpc="fpc")


OURS = {"is_adopter": "is_adopter", "api00": "api00", "I(as.numeric(ell > 20))": "ell_gt_20_num"}


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])  # the in-memory and the SQL path
@pytest.mark.parametrize("key", sorted(set(zip(DIFF["design"], DIFF["variable"], DIFF["domain_var"],
                                             DIFF["domain"]))),
                         ids=lambda k: "|".join(k).replace(" ", ""))
def test_difference_default_df_and_two_sided_p_value_match_r(key, engine, desA, dstrat, on_engine):
    design_name, rvar, by, label = key
    rows = DIFF[(DIFF["design"] == design_name) & (DIFF["variable"] == rvar)
                & (DIFF["domain_var"] == by) & (DIFF["domain"] == label)].set_index("statistic")
    a, b = label.split(" - ")
    if engine == "pandas":
        design = _diff_design(design_name, desA, dstrat)
    elif design_name == "desA":
        design = on_engine("desA", engine)
    else:
        data = api_data("apistrat")
        design = on_engine("dstrat", engine, data=data.assign(ell_gt_20_num=(data["ell"] > 20).astype(float)))
    got = sw.difference(design, OURS[rvar], by=by, between=(a, b)).to_frame().iloc[0]  # default df
    for stat in ("estimate", "se", "df", "statistic", "p_value", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[stat], float(rows.loc[stat, "value"]), rtol=RTOL, err_msg=stat)
