"""Calibration, raking, post-stratification, trimming and nonresponse against R survey 4.1-1.

Every design of ``tests/fixtures/calibration/make_calibration_refs.R`` is rebuilt
here with the library's own calls (:data:`DESIGNS`); its weights, and the
estimates, SEs, CI limits and df of every row of ``results.csv`` (means, totals
and all six ``svyciprop`` intervals, overall, in ``svyby`` domains and in
subsets), the Rao-Scott tests and domain differences of ``tests.csv`` are compared
at rtol 1e-8.  The designs cover R's ``apistrat`` (weights vary within the margin
cells, which tells variance conventions apart) and ``apiclus1`` (self-weighting,
clustered) and a synthetic business sample raked to the overlapping margins
country x size and country x sector.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, api_data, num

import surveyweights as sw

RTOL = 1e-8
CAL = FIXTURES / "calibration"

TYPES = {"E": 4421, "H": 755, "M": 1018}
SCHWIDE = {"No": 1072, "Yes": 5122}
AWARDS = {"No": 2027, "Yes": 4167}
API_LIN = {"stype": TYPES, "sch.wide": SCHWIDE, "enroll": 3811472}
API_CAT = {"stype": TYPES, "sch.wide": SCHWIDE, "awards": AWARDS}
CLUS = {"stype": TYPES, "sch.wide": SCHWIDE}


@lru_cache(maxsize=None)
def _api(name: str) -> pd.DataFrame:
    d = api_data(name)
    d["high"] = (d["api00"] > 700).astype(float)
    d["high_cat"] = pd.Categorical(d["high"])  # R: factor(high) in svychisq
    return d


@lru_cache(maxsize=None)
def business_sample() -> pd.DataFrame:
    d = pd.read_csv(CAL / "business_sample.csv")
    d["ai_use"] = pd.Categorical(d["ai"].map({0: "no", 1: "yes"}))  # R: factor(ai) in svychisq
    return d


@lru_cache(maxsize=None)
def business_margins(employment: bool = False) -> dict:
    pop = pd.read_csv(CAL / "business_population.csv")
    cs = pop.groupby(["country", "size"])["N"].sum()
    csec = pop.groupby(["country", "sector"])["N"].sum()
    out = {("country", "size"): {k: float(v) for k, v in cs.items()},
           ("country", "sector"): {k: float(v) for k, v in csec.items()}}
    if employment:
        out["employment"] = float(pop["employment"].sum())
    return out


def dstrat() -> sw.Design:
    return sw.Design(_api("apistrat"), weights="pw", strata="stype", fpc="fpc")


def dclus1() -> sw.Design:
    return sw.Design(_api("apiclus1"), weights="pw", ids="dnum", fpc="fpc")


def dbiz() -> sw.Design:
    return sw.Design(business_sample(), strata="stratum", fpc="N_h")


def _nonresponse() -> sw.Design:
    return sw.adjust_nonresponse(dbiz(), responded="responded", classes=["country", "sector"])


#: R design name -> how the library makes the same design
DESIGNS = {
    "strat_linear": lambda: sw.calibrate(dstrat(), API_LIN, method="linear"),
    "strat_linear_bounded": lambda: sw.calibrate(dstrat(), API_CAT, method="linear", bounds=(0.812, 1.07)),
    "strat_raking": lambda: sw.calibrate(dstrat(), API_LIN, method="raking"),
    "strat_raking_bounded": lambda: sw.calibrate(dstrat(), API_CAT, method="raking", bounds=(0.5, 1.075)),
    "strat_logit": lambda: sw.calibrate(dstrat(), API_CAT, method="logit", bounds=(0.812, 1.07)),
    "strat_poststratify": lambda: sw.calibrate(dstrat(), {"awards": AWARDS}),
    "strat_rake": lambda: sw.rake(dstrat(), {"sch.wide": SCHWIDE, "awards": AWARDS}, variance="rake"),
    "strat_stacked": lambda: sw.calibrate(sw.calibrate(dstrat(), {"awards": AWARDS}),
                                          {"sch.wide": SCHWIDE, "enroll": 3811472}),
    "strat_trim": lambda: sw.trim_weights(dstrat(), upper=40),
    "clus_linear": lambda: sw.calibrate(dclus1(), {"stype": TYPES, "api99": 3914069}),
    "clus_raking": lambda: sw.calibrate(dclus1(), CLUS, method="raking"),
    "clus_logit": lambda: sw.calibrate(dclus1(), CLUS, method="logit", bounds=(0.7, 1.7)),
    "clus_poststratify": lambda: sw.calibrate(dclus1(), {"stype": TYPES}),
    "clus_rake": lambda: sw.rake(dclus1(), CLUS, variance="rake"),
    "biz_raking": lambda: sw.calibrate(dbiz(), business_margins(), method="raking"),
    "biz_linear": lambda: sw.calibrate(dbiz(), business_margins(True), method="linear"),
    "biz_logit": lambda: sw.calibrate(dbiz(), business_margins(), method="logit", bounds=(0.6, 1.8)),
    "biz_linear_bounded": lambda: sw.calibrate(dbiz(), business_margins(True), method="linear",
                                               bounds=(0.7, 1.5)),
    "biz_poststratify": lambda: sw.calibrate(dbiz(), {("country", "sector"): business_margins()[("country", "sector")]}),
    "biz_rake": lambda: sw.rake(dbiz(), business_margins(), variance="rake"),
    "biz_nonresponse": _nonresponse,
    "biz_trim": lambda: sw.trim_weights(dbiz(), upper=20),
    "biz_trim2": lambda: sw.trim_weights(dbiz(), lower=2, upper=20),
}


@lru_cache(maxsize=None)
def design(name: str) -> sw.Design:
    return DESIGNS[name]()


@lru_cache(maxsize=None)
def _results() -> pd.DataFrame:
    return pd.read_csv(CAL / "results.csv", dtype=str, keep_default_na=False)


def test_every_R_design_is_covered():
    r = set(_results()["design"])
    w = set(pd.read_csv(CAL / "weights.csv")["design"])
    assert r == w == set(DESIGNS)


@lru_cache(maxsize=None)
def _r_weights() -> pd.DataFrame:
    return pd.read_csv(CAL / "weights.csv", dtype={"weight": str})


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_weights_match_R(name):
    r = _r_weights()
    r = r[r["design"] == name].sort_values("row")
    ours = design(name).weights.to_numpy()
    assert len(ours) == len(r)
    np.testing.assert_allclose(ours, r["weight"].map(num).to_numpy(), rtol=1e-10)


def _subset(name: str, text: str) -> np.ndarray:
    data = design(name).data
    if text == "meals > 50":
        return (data["meals"] > 50).to_numpy()
    if text == "sector == 'J'":
        return (data["sector"] == "J").to_numpy()
    raise AssertionError(text)


def _variable(name: str, var: str) -> str:
    return var


@lru_cache(maxsize=None)
def _table(name: str, estimand: str, variable: str, domain_var: str, domain: str,
           ci_method: str) -> pd.DataFrame:
    """Our estimates for every domain of one R call (cached: one call serves all domains)."""
    d = design(name)
    fn = {"mean": sw.mean, "total": sw.total, "proportion": sw.proportion}[estimand]
    kw: dict = {}
    if estimand == "proportion":
        kw["level"] = 1.0
        # the closed-form intervals come from the logit call's .confidence_interval()
        kw["method"] = ci_method if ci_method in ("logit", "likelihood") else "logit"
    if domain_var == "subset":
        kw["subset"] = _subset(name, domain)
    elif domain_var != "overall":
        kw["by"] = domain_var
    res = fn(d, variable, **kw)
    if estimand == "proportion" and ci_method not in ("logit", "likelihood"):
        return res.confidence_interval(method=ci_method)
    return res.to_frame()


def _ours(name: str, estimand: str, variable: str, domain_var: str, domain: str,
          ci_method: str) -> pd.Series:
    t = _table(name, estimand, variable, domain_var, domain if domain_var == "subset" else "",
               ci_method)
    if domain_var not in ("overall", "subset"):
        t = t[t[domain_var].astype(str) == domain]
    assert len(t) == 1
    return t.iloc[0]


def _cases():
    t = _results()
    return [tuple(r) for r in t[["design", "estimand", "variable", "domain_var", "domain"]]
            .drop_duplicates().itertuples(index=False)]


def _keeps_rows(name: str, domain_var: str) -> bool:
    """R's svyciprop runs on a domain design that keeps every row of a calibrated design.

    ``design[i, ]`` of a calibrated R design sets the weights of the other rows to 0
    instead of dropping them; ``svyciprop`` then uses ``nrow(design)`` (beta) and
    fits its glm to all rows (logit, likelihood).  Our domain intervals use the
    domain's own rows whether or not the design is calibrated (see the calibration
    page of the docs, "R's intervals in domains of calibrated designs").
    """
    return domain_var != "overall" and design(name).calibration is not None


@pytest.mark.parametrize("case", _cases(), ids=lambda c: ":".join(c))
def test_estimates_match_R(case):
    name, estimand, variable, domain_var, domain = case
    t = _results()
    rows = t[(t["design"] == name) & (t["estimand"] == estimand) & (t["variable"] == variable)
             & (t["domain_var"] == domain_var) & (t["domain"] == domain)]
    for _, r in rows.iterrows():
        meth = r["ci_method"]
        got = _ours(name, estimand, variable, domain_var, domain, meth)
        what = f"{meth}: {r['r_call']}"
        est, se, df = num(r["estimate"]), num(r["se"]), num(r["df"])
        np.testing.assert_allclose(got["estimate"], est, rtol=RTOL, err_msg=f"estimate {what}")
        np.testing.assert_allclose(got["df"], df, rtol=1e-12, err_msg=f"df {what}")
        if se <= 1e-9 * abs(est):
            # a calibrated total of an auxiliary: the SE is 0, R's value is rounding
            assert got["se"] <= 1e-9 * abs(est), what
            continue
        np.testing.assert_allclose(got["se"], se, rtol=RTOL, err_msg=f"se {what}")
        limits = [num(r["ci_low"]), num(r["ci_high"])]
        if meth == "mean":  # our Wald interval of a proportion is truncated to [0, 1]
            limits = list(np.clip(limits, 0.0, 1.0))
        if estimand == "proportion" and meth in ("beta", "logit", "likelihood") and _keeps_rows(name, domain_var):
            _check_kept_rows(name, got, r, limits, variable, domain_var, domain)
            continue
        np.testing.assert_allclose([got["ci_low"], got["ci_high"]], limits, rtol=RTOL,
                                   err_msg=f"ci {what}")


def _check_kept_rows(name: str, got: pd.Series, r: pd.Series, limits: list, variable: str,
                     domain_var: str, domain: str) -> None:
    """Domains of calibrated designs, where R's interval depends on the zero-weight rows.

    beta: R's number is exactly Korn-Graubard with n = nrow of the whole design
    (pinned here at 1e-12); ours uses the domain's n.  logit and likelihood: R fits
    its glm to all rows, which moves its IRLS path; ours are the same functions of
    the (R-equal to 1e-8) estimate, SE and df as on any other design.
    """
    from surveyweights.estimation import ci as _ci

    p, se, df = num(r["estimate"]), num(r["se"]), num(r["df"])
    n_all = design(name).n
    if r["ci_method"] == "beta":
        np.testing.assert_allclose(_ci.ci_beta(p, se, df, n=n_all), limits, rtol=1e-12)
        np.testing.assert_allclose([got["ci_low"], got["ci_high"]],
                                   _ci.ci_beta(p, se, df, n=got["n"]), rtol=RTOL)
    elif r["ci_method"] == "logit":
        # R's interval is the closed form around its IRLS fit (whose p-hat R reports
        # and which the zero-weight rows leave 1e-8 from the weighted mean); ours is
        # the closed form around the weighted mean
        np.testing.assert_allclose(_ci.ci_logit(p, se, df), limits, rtol=1e-10)
        np.testing.assert_allclose([got["ci_low"], got["ci_high"]],
                                   _ci.ci_logit(got["estimate"], got["se"], got["df"]), rtol=1e-12)
    else:
        d = design(name)
        inside = (_subset(name, domain) if domain_var == "subset"
                  else (d.data[domain_var].astype(str) == domain).to_numpy())
        y = (d.data[variable] == 1).to_numpy(dtype=float)[inside]
        start = _ci.r_irls_start(y, d._w[inside])
        lo, hi = _ci.ci_likelihood(got["estimate"], got["se"], got["df"], n=got["n"],
                                   irls_start=start)
        np.testing.assert_allclose([got["ci_low"], got["ci_high"]], [lo, hi], rtol=RTOL)


def test_domain_intervals_do_not_depend_on_calibration():
    """A calibration that changes no weight leaves every domain interval as it was.

    apistrat's weights are N_h/n_h, so post-stratifying on the strata gives g = 1
    (to the 1e-9 rounding of R's pw column) and the same SEs; R's beta interval of
    the domain awards == 'Yes' moves by 5e-4 all the same (doc_figures.csv), ours not.
    """
    doc = pd.read_csv(CAL / "doc_figures.csv", dtype=str).set_index("quantity")["value"].map(num)
    base = dstrat()
    noop = sw.calibrate(base, {"stype": TYPES})
    yes = (base.data["awards"] == "Yes").to_numpy()
    for meth in ("beta", "likelihood", "logit", "asin", "xlogit", "mean"):
        a = sw.proportion(base, "high", level=1.0, subset=yes, method=meth).to_frame().iloc[0]
        b = sw.proportion(noop, "high", level=1.0, subset=yes, method=meth).to_frame().iloc[0]
        np.testing.assert_allclose([b["ci_low"], b["ci_high"]], [a["ci_low"], a["ci_high"]], rtol=1e-7)
    for meth in ("beta", "likelihood"):
        r_base = [doc[f"dstrat awards=='Yes' {meth} ci_{k}"] for k in ("low", "high")]
        r_noop = [doc[f"noop awards=='Yes' {meth} ci_{k}"] for k in ("low", "high")]
        a = sw.proportion(base, "high", level=1.0, subset=yes, method=meth).to_frame().iloc[0]
        np.testing.assert_allclose([a["ci_low"], a["ci_high"]], r_base, rtol=RTOL)
        assert not np.allclose(r_noop, r_base, rtol=1e-6)  # R moves, we do not


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_tests_match_R(name):
    t = pd.read_csv(CAL / "tests.csv", dtype=str, keep_default_na=False)
    t = t[t["design"] == name].set_index("test")
    d = design(name)
    biz = name.startswith("biz")
    ch = sw.chisq_test(d, "size", "ai_use") if biz else sw.chisq_test(d, "stype", "high_cat")
    r = t.loc["chisq"]
    np.testing.assert_allclose([ch.statistic, ch.ndf, ch.ddf, ch.p_value],
                               [num(r["statistic"]), num(r["ndf"]), num(r["ddf"]), num(r["p_value"])],
                               rtol=RTOL, err_msg=r["r_call"])
    diff = (sw.difference(d, "turnover", by="size", between=("large", "small")) if biz
            else sw.difference(d, "api00", by="awards", between=("Yes", "No"))).to_frame().iloc[0]
    r = t.loc["difference"]
    np.testing.assert_allclose([diff["estimate"], diff["se"]], [num(r["statistic"]), num(r["se"])],
                               rtol=RTOL, err_msg=r["r_call"])


def test_the_issue_figures():
    """R's apiclus1: treating raked weights as fixed makes the SE of a raked total 2.5x too large."""
    doc = pd.read_csv(CAL / "doc_figures.csv", dtype=str).set_index("quantity")["value"].map(num)
    raked = design("clus_rake")
    fixed = sw.Design(raked.data, weights=raked.weights, ids="dnum", fpc="fpc")
    for dsg, key in ((raked, "rake"), (fixed, "weights fixed")):
        np.testing.assert_allclose(sw.total(dsg, "enroll").to_frame()["se"].iloc[0],
                                   doc[f"raked total enroll SE ({key})"], rtol=RTOL)
        np.testing.assert_allclose(sw.mean(dsg, "high").to_frame()["se"].iloc[0],
                                   doc[f"raked mean high SE ({key})"], rtol=RTOL)
    # the calibration variance gives the same numbers on this self-weighting sample
    greg = sw.rake(dclus1(), CLUS)
    np.testing.assert_allclose(sw.total(greg, "enroll").to_frame()["se"].iloc[0],
                               doc["raked total enroll SE (rake)"], rtol=1e-3)
