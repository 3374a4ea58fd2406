"""sw.proportion(..., method=m) against R's svyciprop, end to end (survey 4.1-1).

Rows: r_shared/results_A.csv and results_api.csv (oracle.R sections a, b), and
r_extra/results_extra.csv estimands ciprop and ciprop_narm (their exact R call is
in column r_call).  CI limits at rtol 1e-8 (R's logit and likelihood come from an
IRLS fit, ~1e-10 from the closed form), SEs at 1e-10, df exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ENGINES, R_SHARED, num

import surveyweights as sw

# (dataset, R variable) -> (design fixture, our variable, subset, na, our level -> R label)
VARIABLES = {
    ("A", "is_adopter"): ("desA", "is_adopter", None, "error"),
    ("A", 'I(phase == "experiment")'): ("desA", "phase_experiment",
                                        "adoption == 'adopter' and initiative in ['teams', 'it', 'management']", "error"),
    ("apistrat", "I(ell > 20)"): ("dstrat", "ell_gt_20", None, "error"),
    ("B", "tech_ml"): ("desB", "tech_ml", None, "available"),
}


def _rows() -> pd.DataFrame:
    shared = pd.concat([
        pd.read_csv(R_SHARED / f, dtype=str, keep_default_na=False)
        for f in ("results_A.csv", "results_api.csv")
    ])
    shared["confidence_level"] = "0.95"
    extra = pd.read_csv(R_SHARED.parent / "r_extra" / "results_extra.csv", dtype=str, keep_default_na=False)
    rows = pd.concat([shared, extra])
    rows = rows[rows["estimand"].isin(["ciprop", "ciprop_narm"])]
    return rows.drop_duplicates(["dataset", "variable", "domain_var", "domain", "ci_method", "confidence_level"])


ROWS = _rows()
GROUPS = sorted({(r.dataset, r.variable, r.domain_var, r.ci_method, r.confidence_level)
                 for r in ROWS.itertuples()})


#: Groups also run on Spark (about a second per query on a local session).
SPARK_GROUPS = {("A", "is_adopter", "nace", "beta", "0.95")}
CASES = [pytest.param(*g, e, id=f"{e}-{'|'.join(g)}") for e in ENGINES for g in GROUPS
         if e != "spark" or g in SPARK_GROUPS]


@pytest.mark.parametrize("dataset, variable, domain_var, method, level, engine", CASES)
def test_proportion_matches_svyciprop(dataset, variable, domain_var, method, level, engine, request,
                                      on_engine):
    fixture, ours, subset, na = VARIABLES[(dataset, variable)]
    design = request.getfixturevalue(fixture) if engine == "pandas" else on_engine(fixture, engine)
    by = None if domain_var in ("overall", "subset") else domain_var
    call = dict(by=by, subset=subset, na=na, method=method, confidence_level=float(level))
    if method == "likelihood" and engine != "pandas":
        # R's likelihood interval replays an IRLS fit on the unit data
        with pytest.raises(sw.errors.EngineError, match="needs the unit-level data.*collect"):
            sw.proportion(design, ours, **call)
        design = design.collect()
    res = sw.proportion(design, ours, **call).to_frame()
    rows = ROWS[(ROWS.dataset == dataset) & (ROWS.variable == variable) & (ROWS.domain_var == domain_var)
                & (ROWS.ci_method == method) & (ROWS.confidence_level == level)]
    got = res.set_index(by) if by else res.set_index(pd.Index(["overall"] * len(res)))
    for _, r in rows.iterrows():
        key = r["domain"] if by else "overall"
        g = got.loc[key]
        tag = f"{key} {method} {level}"
        np.testing.assert_allclose(g["estimate"], num(r["estimate"]), rtol=1e-8, err_msg=tag)
        np.testing.assert_allclose(g["se"], num(r["se"]), rtol=1e-10, err_msg=tag)
        np.testing.assert_allclose([g["ci_low"], g["ci_high"]], [num(r["ci_low"]), num(r["ci_high"])],
                                   rtol=1e-8, err_msg=tag)
        if method != "beta":  # R's beta reports degf; it uses it too (see r_extra/README, quirk 3)
            assert g["df"] == num(r["df"]), tag


def test_every_method_is_covered():
    assert SPARK_GROUPS <= set(GROUPS)
    assert {g[3] for g in GROUPS} == {"logit", "likelihood", "asin", "beta", "mean", "xlogit"}
    assert len(GROUPS) >= 60
