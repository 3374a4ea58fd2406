"""End to end on barometer-like data with item non-response: screen -> impute -> weight -> estimate.

Data: dataset B of tests/fixtures/r_extra (make_data.py, seed 7): 2,915 respondents
with missing tech_ml, initiative and budget among adopters (MCAR within strata).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import R_EXTRA, R_SHARED

import surveyweights as sw


@pytest.fixture(scope="module")
def raw():
    d = pd.read_csv(R_EXTRA / "dataset_B.csv", dtype={"nace": str, "size": str})
    # two unusable responses appended: an unknown enterprise and a duplicate
    extra = d.iloc[[0, 1]].copy()
    extra["id"] = [999_999, d["id"].iloc[5]]
    return pd.concat([d, extra], ignore_index=True)


@pytest.fixture(scope="module")
def population():
    return pd.read_csv(R_SHARED / "population.csv", dtype={"nace": str, "size": str})


def test_full_pipeline_with_multiple_imputation(raw, population):
    tech = [c for c in raw.columns if c.startswith("tech_")]
    scr = sw.screen_responses(raw, id="id", sampled_ids=raw["id"].iloc[:2915],
                              mandatory={"technologies": [t for t in tech if t != "tech_ml"]},
                              duplicates="first")
    assert len(scr.kept) == 2915 and scr.excluded["rule"].tolist() == ["not_sampled", "duplicate"]
    data = scr.kept
    adopter = data["adoption"].eq("adopter")
    # skip logic: initiative and budget asked of adopters, tech_ml of everyone
    mi = sw.multiply_impute(
        data, ["tech_ml", "initiative", "budget"], M=5, rng=2025, bootstrap=True,
        by=["nace", "size"], fallback=[["size"], []],
        eligible={"initiative": adopter, "budget": adopter},
    )
    for completed in mi.datasets:
        assert completed["tech_ml"].notna().all()
        assert completed.loc[adopter, ["initiative", "budget"]].notna().all().all()
        assert completed.loc[~adopter, ["initiative", "budget"]].isna().all().all()
        pd.testing.assert_series_equal(completed.loc[data["tech_ml"].notna(), "tech_ml"],
                                       data.loc[data["tech_ml"].notna(), "tech_ml"])

    def design(d):
        return sw.Design.from_population(d, population, strata=["nace", "size"])

    res = mi.estimate(sw.proportion, "tech_ml", by="size", design=design)
    assert list(res["size"]) == ["large", "medium", "micro", "small"]
    assert {"estimate", "se", "ci_low", "ci_high", "df", "fmi", "riv"} <= set(res.columns)
    assert ((res["fmi"] > 0) & (res["fmi"] < 0.5)).all()
    assert (res["ci_low"] < res["estimate"]).all() and (res["estimate"] < res["ci_high"]).all()
    # the MI estimate is close to the available-case estimate (MCAR within strata)
    avail = sw.proportion(design(data), "tech_ml", by="size", na="available").to_frame()
    np.testing.assert_allclose(res["estimate"], avail["estimate"], atol=3 * res["se"].max())
    # and its standard error exceeds every single completed-data SE (between-imputation part)
    single = [sw.proportion(design(d), "tech_ml", by="size").to_frame()["se"] for d in mi.datasets]
    assert (res["se"].to_numpy() >= np.max(single, axis=0) * 0.999).all()

    # a subpopulation estimate (adopters only) with the Rubin table
    ini = mi.estimate(sw.proportion, "initiative", subset="adoption == 'adopter'", design=design)
    np.testing.assert_allclose(ini["estimate"].sum(), 1.0, rtol=1e-12)
