"""difference() and chisq_test() against R's svycontrast and svychisq (survey 4.1-1).

R calls: see the ``r_call`` column of tests/fixtures/r_extra/results_extra.csv.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ENGINES, num

import surveyweights as sw

RTOL = 1e-10

DIFFS = [
    # (dataset fixture, R variable, our variable, by, (a, b), R domain label)
    ("desA", "is_adopter", "is_adopter", "size", ("large", "micro"), "large-micro"),
    ("desA", "is_adopter", "is_adopter", "size", ("medium", "small"), "medium-small"),
    ("desA", "is_adopter", "is_adopter", "nace", ("58-63", "55-56"), "58-63-55-56"),
    ("dstrat", "api00", "api00", "awards", ("Yes", "No"), "Yes-No"),
    ("dstrat", "I(ell > 20)", "ell_gt_20_num", "stype", ("H", "E"), "H-E"),
]


SPARK_DIFFS = {"large-micro"}


@pytest.mark.parametrize("fixture, rvar, var, by, between, label, engine", [
    pytest.param(*d, e, id=f"{e}-{d[-1]}") for e in ENGINES for d in DIFFS
    if e != "spark" or d[-1] in SPARK_DIFFS])
def test_difference_matches_svycontrast(fixture, rvar, var, by, between, label, engine, request,
                                        r_extra, on_engine):
    design = request.getfixturevalue(fixture) if engine == "pandas" else on_engine(fixture, engine)
    rows = r_extra[(r_extra.estimand == "difference") & (r_extra.variable == rvar) & (r_extra.domain == label)]
    assert set(rows["ci_method"]) == {"wald_normal", "wald_t"}
    for _, r in rows.iterrows():
        df = np.inf if r["ci_method"] == "wald_normal" else float(design.degf)
        got = sw.difference(design, var, by=by, between=between, df=df).to_frame().iloc[0]
        np.testing.assert_allclose(got["estimate"], num(r["estimate"]), rtol=RTOL)
        np.testing.assert_allclose(got["se"], num(r["se"]), rtol=RTOL)
        np.testing.assert_allclose([got["ci_low"], got["ci_high"]], [num(r["ci_low"]), num(r["ci_high"])], rtol=RTOL)


def test_difference_is_difference_of_domain_estimates(desA):
    d = sw.difference(desA, "adoption", by="size", between=("large", "micro")).to_frame()
    p = sw.proportion(desA, "adoption", by="size").to_frame().set_index(["size", "level"])["estimate"]
    for _, row in d.iterrows():
        assert row["estimate"] == pytest.approx(p[("large", row["level"])] - p[("micro", row["level"])], rel=1e-12)
    assert d["contrast"].iloc[0] == "'large' - 'micro'"
    assert (d["p_value"] >= 0).all() and (d["p_value"] <= 1).all()


CHISQ = [
    # (fixture, R variable label, row, column, subset, na)
    ("desA", "adoption x size", "adoption", "size", None, "error"),
    ("desA", "adoption x nace", "adoption", "nace", None, "error"),
    ("desA", "adoption x tech_text", "adoption", "tech_text_cat", None, "error"),
    ("desA", "initiative x size", "initiative", "size", None, "available"),
    ("dstrat", "stype x awards", "stype", "awards", None, "error"),
    ("dstrat", "sch.wide x awards", "sch.wide", "awards", None, "error"),
]


def _chisq_rows(r_extra, dataset, label, domain_var):
    t = r_extra[(r_extra.dataset == dataset) & (r_extra.variable == label) & (r_extra.domain_var == domain_var)]
    f = t[t.estimand == "chisq_rao_scott_F"].set_index("level")["estimate"].map(num)
    c = t[t.estimand == "chisq_rao_scott_Chisq"].set_index("level")["estimate"].map(num)
    return f, c


def _check(res: sw.ChisqTest, f, c):
    np.testing.assert_allclose(res.statistic, f["statistic"], rtol=RTOL)
    np.testing.assert_allclose(res.ndf, f["ndf"], rtol=RTOL)
    np.testing.assert_allclose(res.ddf, f["ddf"], rtol=RTOL)
    np.testing.assert_allclose(res.p_value, f["p_value"], rtol=1e-8, atol=1e-300)
    np.testing.assert_allclose(res.chisq, c["statistic"], rtol=RTOL)
    assert res.df == c["df"]
    np.testing.assert_allclose(res.p_value_chisq, c["p_value"], rtol=1e-8, atol=1e-300)


SPARK_CHISQ = {"adoption x size"}


@pytest.mark.parametrize("fixture, label, row, col, subset, na, engine", [
    pytest.param(*c, e, id=f"{e}-{c[1]}") for e in ENGINES for c in CHISQ
    if e != "spark" or c[1] in SPARK_CHISQ])
def test_chisq_matches_svychisq(fixture, label, row, col, subset, na, engine, request, r_extra,
                                on_engine):
    design = request.getfixturevalue(fixture) if engine == "pandas" else on_engine(fixture, engine)
    if col == "tech_text_cat":
        data = request.getfixturevalue(fixture).data
        design = on_engine(fixture, engine, data=data.assign(
            tech_text_cat=data["tech_text"].astype("category")))
    dataset = "A" if fixture == "desA" else "apistrat"
    f, c = _chisq_rows(r_extra, dataset, label, "overall")
    _check(sw.chisq_test(design, row, col, na=na), f, c)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
@pytest.mark.parametrize("label, row, col, subset", [
    ("initiative x size", "initiative", "size", "adoption == 'adopter'"),
])
def test_chisq_on_a_subset(label, row, col, subset, engine, desA, r_extra, on_engine):
    design = desA if engine == "pandas" else on_engine("desA", engine)
    f, c = _chisq_rows(r_extra, "A", label, "subset")
    _check(sw.chisq_test(design, row, col, subset=subset), f, c)


def test_chisq_unused_level_is_dropped_and_reported(desA, r_extra):
    """R returns NaN for a factor level that never occurs; we drop it and say so.

    Without the empty level the table is adoption x size, so the result equals R's
    test on the table without it.
    """
    data = desA.data.assign(size5=pd.Categorical(desA.data["size"].astype(str),
                                                 categories=["micro", "small", "medium", "large", "xl"]))
    res = sw.chisq_test(sw.Design(data, strata=["nace", "size"], fpc="N"), "adoption", "size5")
    assert res.dropped_levels == {"size5": ["xl"]}
    f, c = _chisq_rows(r_extra, "A", "adoption x size", "overall")
    _check(res, f, c)
    rf, _ = _chisq_rows(r_extra, "A", "adoption x size5", "overall")
    assert np.isnan(rf["statistic"])  # what R does


def test_chisq_level_absent_from_subset(desA, r_extra):
    res = sw.chisq_test(desA, "adoption", "size", subset="adoption != 'adopter'")
    assert res.dropped_levels == {"adoption": ["adopter"]}
    assert np.isfinite(res.statistic) and 0 <= res.p_value <= 1
    assert res.table.shape == (2, 4)


def test_chisq_needs_two_levels(desA):
    with pytest.raises(sw.errors.InputError, match=r"1 x 4 observed levels; a test of independence needs at least two"):
        sw.chisq_test(desA, "adoption", "size", subset="adoption == 'adopter'")
