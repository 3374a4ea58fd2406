"""Means, totals, SEs, design effects and df against R survey 4.1-1, at rtol 1e-10.

Every row of the R result files that concerns these estimators is compared; the
exact R call of each row is in the fixture (r_extra: column ``r_call``; r_shared:
oracle.R section named in SPECS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from conftest import ENGINES, R_SHARED, num

import surveyweights as sw

RTOL = 1e-10


@dataclass(frozen=True)
class Spec:
    file: str               # "A" (r_shared/results_A), "api" (r_shared/results_api), "extra"
    dataset: str
    estimand: str
    variable: str           # as in the R file
    domain_var: str
    design: str             # fixture name
    fn: Callable
    ours: str               # our column
    by: Any = None
    subset: Any = None
    na: str = "error"
    numlevel: str = ""      # R's level label of a numeric variable
    levels: dict = field(default_factory=dict)  # our level -> R's label
    lonely: str = ""        # lonely_psu option of the fixture rows

    @property
    def id(self) -> str:
        return f"{self.file}:{self.dataset}:{self.estimand}:{self.variable}:{self.domain_var}{':' + self.lonely if self.lonely else ''}"


BOOL_R = {True: "TRUE", False: "FALSE"}
BOOL_01 = {True: "1", False: "0"}
ADOPTER = "adoption == 'adopter'"
NONINDIV = "adoption == 'adopter' and initiative in ['teams', 'it', 'management']"

SPECS = [
    # ---- r_shared/results_A.csv (oracle.R sections a-f)
    Spec("A", "A", "mean", "is_adopter", "overall", "desA", sw.mean, "is_adopter", numlevel="1"),
    Spec("A", "A", "mean", "is_adopter", "nace", "desA", sw.mean, "is_adopter", by="nace", numlevel="1"),
    Spec("A", "A", "mean", "is_adopter", "size", "desA", sw.mean, "is_adopter", by="size", numlevel="1"),
    Spec("A", "A", "mean", "adoption", "overall", "desA", sw.mean, "adoption"),
    Spec("A", "A", "mean", "adoption", "nace", "desA", sw.mean, "adoption", by="nace"),
    Spec("A", "A", "mean", "adoption", "size", "desA", sw.mean, "adoption", by="size"),
    *[
        Spec("A", "A", "mean", t, dv, "desA", sw.mean, t, by=None if dv == "overall" else "size", numlevel="1")
        for t in ["tech_text", "tech_speech", "tech_nlg", "tech_media", "tech_vision", "tech_ml",
                  "tech_rpa", "tech_robots"]
        for dv in ("overall", "size")
    ],
    Spec("A", "A", "mean_subpop_adopter", "initiative", "overall", "desA", sw.mean, "initiative", subset=ADOPTER),
    Spec("A", "A", "mean_subpop_adopter", "initiative", "nace", "desA", sw.mean, "initiative", by="nace", subset=ADOPTER),
    Spec("A", "A", "mean_subpop_adopter", "initiative", "size", "desA", sw.mean, "initiative", by="size", subset=ADOPTER),
    Spec("A", "A", "mean_subpop_adopter_nonindividual", "phase", "overall", "desA", sw.mean, "phase", subset=NONINDIV),
    Spec("A", "A", "mean_subpop_adopter_nonindividual", "phase", "size", "desA", sw.mean, "phase", by="size", subset=NONINDIV),
    Spec("A", "A", "total", "is_adopter", "overall", "desA", sw.total, "adopter_bool", levels=BOOL_01),
    Spec("A", "A", "total", "is_adopter", "size", "desA", sw.total, "adopter_bool", by="size", levels=BOOL_01),
    # ---- r_shared/results_api.csv
    Spec("api", "apistrat", "mean", "I(ell > 20)", "overall", "dstrat", sw.mean, "ell_gt_20", levels=BOOL_R),
    Spec("api", "apistrat", "mean", "I(ell > 20)", "stype", "dstrat", sw.mean, "ell_gt_20", by="stype", levels=BOOL_R),
    Spec("api", "apistrat", "mean", "I(ell > 20)", "awards", "dstrat", sw.mean, "ell_gt_20", by="awards", levels=BOOL_R),
    Spec("api", "apistrat", "mean", "api00", "overall", "dstrat", sw.mean, "api00"),
    Spec("api", "apistrat", "mean", "api00", "awards", "dstrat", sw.mean, "api00", by="awards"),
    Spec("api", "apistrat", "total", "enroll", "overall", "dstrat", sw.total, "enroll"),
    Spec("api", "apiclus1", "mean", "api00", "overall", "dclus1", sw.mean, "api00"),
    # ---- r_extra/results_extra.csv (make_references.R)
    Spec("extra", "A", "mean", "is_adopter", "interaction(nace, size)", "desA", sw.mean, "is_adopter", by=["nace", "size"], numlevel="1"),
    Spec("extra", "A", "total", "is_adopter", "interaction(nace, size)", "desA", sw.total, "is_adopter", by=["nace", "size"], numlevel="1"),
    Spec("extra", "A", "total", "adoption", "overall", "desA", sw.total, "adoption"),
    Spec("extra", "A", "total", "adoption", "nace", "desA", sw.total, "adoption", by="nace"),
    Spec("extra", "A", "mean_deff", "is_adopter", "overall", "desA", sw.mean, "is_adopter", numlevel="1"),
    Spec("extra", "A", "mean_deff", "is_adopter", "size", "desA", sw.mean, "is_adopter", by="size", numlevel="1"),
    Spec("extra", "A", "mean_deff", "adoption", "overall", "desA", sw.mean, "adoption"),
    Spec("extra", "A", "mean_deff", "adoption", "nace", "desA", sw.mean, "adoption", by="nace"),
    Spec("extra", "A", "total_deff", "is_adopter", "overall", "desA", sw.total, "is_adopter", numlevel="1"),
    Spec("extra", "apistrat", "mean_deff", "api00", "overall", "dstrat", sw.mean, "api00"),
    Spec("extra", "apistrat", "mean_deff", "api00", "awards", "dstrat", sw.mean, "api00", by="awards"),
    Spec("extra", "apistrat", "total_deff", "enroll", "overall", "dstrat", sw.total, "enroll"),
    Spec("extra", "B", "mean_narm", "tech_ml", "overall", "desB", sw.mean, "tech_ml", na="available", numlevel="1"),
    Spec("extra", "B", "mean_narm", "tech_ml", "size", "desB", sw.mean, "tech_ml", by="size", na="available", numlevel="1"),
    Spec("extra", "B", "mean_narm", "tech_ml", "nace", "desB", sw.mean, "tech_ml", by="nace", na="available", numlevel="1"),
    Spec("extra", "B", "mean_deff_narm", "tech_ml", "overall", "desB", sw.mean, "tech_ml", na="available", numlevel="1"),
    Spec("extra", "B", "total_narm", "tech_ml", "overall", "desB", sw.total, "tech_ml", na="available", numlevel="1"),
    Spec("extra", "B", "mean_subpop_adopter_narm", "budget", "overall", "desB", sw.mean, "budget", subset=ADOPTER, na="available"),
    Spec("extra", "B", "mean_subpop_adopter_narm", "budget", "size", "desB", sw.mean, "budget", by="size", subset=ADOPTER, na="available"),
    *[
        Spec("extra", "apistrat_lonely", est, "api00", "overall", "lonely:" + opt, fn, "api00", lonely=opt)
        for est, fn in (("mean", sw.mean), ("total", sw.total))
        for opt in ("remove", "certainty", "adjust", "average")
    ],
]


def _r_rows(spec: Spec, r_extra: pd.DataFrame) -> pd.DataFrame:
    if spec.file == "extra":
        t = r_extra
    else:
        name = {"A": "results_A.csv", "api": "results_api.csv"}[spec.file]
        t = pd.read_csv(R_SHARED / name, dtype=str, keep_default_na=False)
    sel = (
        (t["dataset"] == spec.dataset) & (t["estimand"] == spec.estimand)
        & (t["variable"] == spec.variable) & (t["domain_var"] == spec.domain_var)
    )
    if "lonely_psu" in t:
        sel &= t["lonely_psu"] == spec.lonely
    rows = t[sel]
    assert len(rows) > 0, f"no R rows for {spec.id}"
    return rows


def _design(spec: Spec, request, engine: str = "pandas") -> sw.Design:
    on_engine = request.getfixturevalue("on_engine")
    if spec.design.startswith("lonely:"):
        data = request.getfixturevalue("lonely_data")
        return on_engine("dstrat", engine, data=data, lonely_psu=spec.design.split(":")[1])
    if engine == "pandas":
        return request.getfixturevalue(spec.design)
    return on_engine(spec.design, engine)


#: The specs also run on Spark (a query costs about a second on a local session,
#: so one per kind of computation): categorical item and by, subset, numeric item in
#: a cluster design, a lonely-PSU rule.  (Missing values on Spark: test_engines.)
SPARK_SPECS = {
    "A:A:mean:adoption:nace",
    "A:A:mean_subpop_adopter:initiative:size",
    "api:apiclus1:mean:api00:overall",
    "extra:apistrat_lonely:total:api00:overall:average",
}
ENGINE_CASES = [pytest.param(s, e, id=f"{e}-{s.id}") for e in ENGINES for s in SPECS
                if e != "spark" or s.id in SPARK_SPECS]


def _ours(spec: Spec, design: sw.Design) -> dict:
    res = spec.fn(design, spec.ours, by=spec.by, subset=spec.subset, na=spec.na).to_frame()
    out = {}
    for _, row in res.iterrows():
        if spec.by is None:
            dom = "overall"
        elif isinstance(spec.by, list):
            dom = ".".join(str(row[c]) for c in spec.by)
        else:
            dom = str(row[spec.by])
        lev = row["level"]
        if lev is None:
            lab = spec.numlevel
        elif spec.levels:
            lab = spec.levels[lev]
        else:
            lab = str(lev)
        out[(dom, lab)] = row
    return out


def test_spark_specs_exist():
    assert SPARK_SPECS <= {s.id for s in SPECS}


@pytest.mark.parametrize("spec, engine", ENGINE_CASES)
def test_matches_R(spec: Spec, engine: str, request, r_extra):
    """Every engine matches R: in memory and DuckDB all rows, Spark one spec per kind."""
    rows = _r_rows(spec, r_extra)
    ours = _ours(spec, _design(spec, request, engine))
    assert len(ours) == len(rows), f"{len(ours)} estimates here, {len(rows)} in R"
    for _, r in rows.iterrows():
        got = ours[(r["domain"], r["level"])]
        np.testing.assert_allclose(got["estimate"], num(r["estimate"]), rtol=RTOL, err_msg=f"estimate {r['domain']} {r['level']}")
        np.testing.assert_allclose(got["se"], num(r["se"]), rtol=RTOL, err_msg=f"se {r['domain']} {r['level']}")
        if "deff" in r and r["deff"] != "":
            np.testing.assert_allclose(got["deff"], num(r["deff"]), rtol=RTOL, err_msg=f"deff {r['domain']} {r['level']}")


def test_weight_sums_match_R(desA, dstrat):
    a = pd.read_csv(R_SHARED / "results_A.csv", dtype=str, keep_default_na=False)
    api = pd.read_csv(R_SHARED / "results_api.csv", dtype=str, keep_default_na=False)
    ws = lambda t, ds: num(t[(t.dataset == ds) & (t.estimand == "weight_sum")]["estimate"].iloc[0])  # noqa: E731
    np.testing.assert_allclose(desA.population_size, ws(a, "A"), rtol=1e-13)
    np.testing.assert_allclose(dstrat.population_size, ws(api, "apistrat"), rtol=1e-13)


def test_design_degf_match_R(desA, desB, dstrat, dclus1, lonely_data, r_extra):
    api = pd.read_csv(R_SHARED / "results_api.csv", dtype=str, keep_default_na=False)
    assert dclus1.degf == num(api[(api.dataset == "apiclus1") & (api.estimand == "design_degf")]["estimate"].iloc[0])
    deg = r_extra[r_extra.estimand == "design_degf"].set_index(["dataset", "domain"])["estimate"].map(num)
    assert desA.degf == deg[("A", "overall")] == 2871
    assert desB.degf == deg[("B", "overall")]
    assert dstrat.degf == deg[("apistrat", "overall")] == 197
    lonely = sw.Design(lonely_data, weights="pw", strata="stype", fpc="fpc", lonely_psu="remove")
    assert lonely.degf == deg[("apistrat_lonely", "overall")]
    # domain df = PSUs in the domain - strata present (degf of R's subset design)
    df_dom = lambda d, by, subset=None: sw.mean(d, "api00" if "api00" in d.data else "is_adopter", by=by, subset=subset).to_frame()  # noqa: E731
    large = df_dom(desA, "size")
    assert large.set_index("size").loc["large", "df"] == deg[("A", "large")]
    assert df_dom(desA, None, "adoption == 'adopter'")["df"].iloc[0] == deg[("A", 'adoption == "adopter"')]
    assert df_dom(dstrat, None, "awards == 'Yes'")["df"].iloc[0] == deg[("apistrat", 'awards == "Yes"')]


def test_from_population_equals_R_design(desA):
    """Design.from_population (post-stratification) builds the same design as R's svydesign."""
    pop = pd.read_csv(R_SHARED / "population.csv", dtype={"nace": str, "size": str})
    d2 = sw.Design.from_population(desA.data, pop, strata=["nace", "size"])
    np.testing.assert_allclose(d2.weights, desA.weights, rtol=1e-14)
    a = sw.proportion(d2, "adoption", by="size").to_frame()
    b = sw.proportion(desA, "adoption", by="size").to_frame()
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-13)
    assert d2.degf == desA.degf
