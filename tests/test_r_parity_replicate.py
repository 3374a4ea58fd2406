"""Replicate-weight designs against R survey 4.1-1 (``tests/fixtures/replicate``).

Every reference row was made by ``tests/fixtures/replicate/make_replicate_refs.R``
(R version, survey version and the exact call are in the CSV).  Bootstrap
replicates are R's own factors read back, so nothing depends on R's random
numbers.  Tolerance: rtol 1e-8.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import surveyweights as sw
from surveyweights.design.replicate import hadamard

HERE = Path(__file__).parent / "fixtures"
REP = HERE / "replicate"
RTOL = 1e-8


def _refs() -> pd.DataFrame:
    return pd.read_csv(REP / "replicate_refs.csv", dtype={"level": str, "domain": str},
                       keep_default_na=False)


def _num(x: str) -> float:
    return float(x) if x != "" else np.nan


def _api1() -> pd.DataFrame:
    d = pd.read_csv(HERE / "r_shared" / "apiclus1.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    return d


def _apis() -> pd.DataFrame:
    d = pd.read_csv(HERE / "r_shared" / "apistrat.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    return d


def _pairs() -> pd.DataFrame:
    d = _apis().sort_values(["stype", "snum"], kind="stable").reset_index(drop=True)
    d["pair"] = [f"p{i:03d}" for i in np.repeat(np.arange(1, 101), 2)]
    return d


def _dataset_a(certainty: bool = False) -> pd.DataFrame:
    a = pd.read_csv(HERE / "r_shared" / "dataset_A.csv", dtype={"nace": str, "size": str})
    pop = pd.read_csv(HERE / "r_shared" / "population.csv", dtype={"nace": str, "size": str})
    a = a.merge(pop, on=["nace", "size"], how="left").sort_values("id").reset_index(drop=True)
    a["is_adopter"] = (a["adoption"] == "adopter").astype(float)
    a["size"] = pd.Categorical(a["size"], ["micro", "small", "medium", "large"])
    if certainty:
        n = a.groupby(["nace", "size"], observed=True)["id"].transform("size")
        a["N"] = np.where(a["size"] == "large", n, a["N"])
    return a


def _r_scale(refs: pd.DataFrame, case: str) -> float:
    row = refs[(refs["case"] == case) & (refs["estimand"] == "scale")]
    return float(row["estimate"].iloc[0])


def build(case: str, refs: pd.DataFrame) -> tuple[sw.Design, dict]:
    """The Python design of a reference case and the columns its estimates use."""
    if case.startswith("apiclus1_jk1"):
        d = sw.replicate(sw.Design(_api1(), ids="dnum", weights="pw", fpc="fpc"), method="jk1",
                         mse=case.endswith("_mse"))
        return d, dict(num="api00", tot="enroll", prop="sch_wide", by="stype",
                       cat=("sch.wide", "stype"), contrast=("E", "H"))
    api_cols = dict(num="api00", tot="enroll", prop="sch_wide", by="awards",
                    cat=("sch.wide", "awards"), contrast=("No", "Yes"))
    if case.startswith("apistrat_jkn"):
        d = sw.replicate(sw.Design(_apis(), strata="stype", weights="pw", fpc="fpc"),
                         method="jkn", mse=case.endswith("_mse"))
        return d, api_cols
    if case in ("apistrat_bootstrap", "apistrat_subbootstrap"):
        fac = pd.read_csv(REP / "boot_apistrat_factors.csv")
        prefix = "boot" if case == "apistrat_bootstrap" else "sub"
        cols = [c for c in fac.columns if c.startswith(prefix)]
        data = _apis()
        data = pd.concat([data, fac[cols]], axis=1)
        d = sw.Design(data, weights="pw", replicate_weights=cols, combined_weights=False,
                      replicate_method=case.split("_")[1], scale=_r_scale(refs, case))
        return d, api_cols
    if case in ("pairs_brr", "pairs_fay"):
        base = sw.Design(_pairs(), strata="pair", weights="pw")
        d = (sw.replicate(base, method="brr") if case == "pairs_brr"
             else sw.replicate(base, method="fay", rho=0.3))
        return d, dict(num="api00", tot="enroll", prop="sch_wide", by="stype",
                       cat=("sch.wide", "stype"), contrast=("E", "H"))
    if case in ("A_jkn", "A_certainty_jkn"):
        a = _dataset_a(certainty=case == "A_certainty_jkn")
        d = sw.replicate(sw.Design(a, strata=["nace", "size"], fpc="N"), method="jkn")
        return d, dict(num="tech_text", tot="tech_ml", prop="is_adopter", by="size",
                       cat=("adoption", "size"), contrast=("large", "micro"))
    if case == "file_sdr_mse":
        data = pd.read_csv(REP / "sdr_apiclus1.csv")
        d = sw.Design(data, weights="PWGTP", replicate_weights="PWGTP[0-9]+",
                      replicate_method="sdr", scale=4 / 80, mse=True)
        return d, dict(num="api00", tot="enroll", prop="sch_wide", by="stype",
                       cat=("sch.wide", "stype"), contrast=("E", "H"))
    raise KeyError(case)


CASES = ["apiclus1_jk1", "apiclus1_jk1_mse", "apistrat_jkn", "apistrat_jkn_mse",
         "apistrat_bootstrap", "apistrat_subbootstrap", "pairs_brr", "pairs_fay",
         "file_sdr_mse", "A_jkn", "A_certainty_jkn"]


def _close(got, want, what: str) -> None:
    if want == 0:
        # R's exact 0 (a domain made only of take-all strata has no sampling variance):
        # ours is the same difference of totals up to rounding, so numerical zero
        assert abs(got) < 1e-9, what
        return
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, err_msg=what)


@pytest.mark.parametrize("case", CASES)
def test_case_matches_r(case):
    refs = _refs()
    rows = refs[refs["case"] == case]
    assert len(rows) > 10
    d, c = build(case, refs)
    checked = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, row in rows.iterrows():
            checked += 1
            est, se, what = _num(row["estimate"]), _num(row["se"]), f"{case}: {row['call']}"
            e = row["estimand"]
            if e == "degf":
                assert d.degf == est, what
            elif e == "scale":
                _close(d.variance.scale, est, what)
            elif e == "n_replicates":
                assert d.variance.n_replicates == est, what
            elif e in ("mean", "total", "proportion"):
                fn = sw.total if e == "total" else sw.mean
                by = row["by"] or None
                t = fn(d, row["variable"], by=by).to_frame()
                if by:
                    t = t[t[by].astype(str) == row["domain"]]
                    if row["df"] != "":
                        assert float(t["df"].iloc[0]) == _num(row["df"]), what
                _close(t["estimate"].iloc[0], est, what)
                _close(t["se"].iloc[0], se, what)
            elif e == "ciprop":
                by = row["by"] or None
                t = sw.proportion(d, row["variable"], by=by, method=row["ci_method"]).to_frame()
                t = t[t["level"].astype(str).isin(["1", "1.0", "True"])]
                if by:
                    t = t[t[by].astype(str) == row["domain"]]
                assert len(t) == 1, what
                _close(t["estimate"].iloc[0], est, what)
                _close(t["se"].iloc[0], se, what)
                assert float(t["df"].iloc[0]) == _num(row["df"]), what
                p = float(t["estimate"].iloc[0])
                lo, hi = _num(row["ci_low"]), _num(row["ci_high"])
                if p in (0.0, 1.0) and (np.isnan(lo) or row["ci_method"] in ("logit", "likelihood")):
                    # documented (ci.ci_logit, ci.ci_beta): at p = 0 or 1 R's IRLS does not
                    # converge (its logit limits are ~1e-12 off p) and its beta limits are NA
                    if row["ci_method"] in ("logit", "likelihood"):
                        assert t["ci_low"].iloc[0] == t["ci_high"].iloc[0] == p, what
                    else:
                        assert p in (t["ci_low"].iloc[0], t["ci_high"].iloc[0]), what
                    continue
                if row["ci_method"] == "mean":  # documented: truncated to [0, 1], R's is not
                    lo, hi = max(lo, 0.0), min(hi, 1.0)
                _close(t["ci_low"].iloc[0], lo, what + " ci_low")
                _close(t["ci_high"].iloc[0], hi, what + " ci_high")
            elif e == "chisq_F":
                res = sw.chisq_test(d, *c["cat"])
                got = {"statistic": res.statistic, "ndf": res.ndf, "ddf": res.ddf,
                       "p_value": res.p_value}[row["level"]]
                _close(got, est, what)
            elif e == "difference":
                res = sw.difference(d, row["variable"], by=row["by"],
                                    between=tuple(c["contrast"])).to_frame()
                _close(res["estimate"].iloc[0], est, what)
                _close(res["se"].iloc[0], se, what)
            else:
                raise AssertionError(f"unknown estimand {e}")
    assert checked == len(rows)


def test_jk1_with_fpc_matches_r_not_svy():
    """JK1 on a one-stage cluster design keeps R's fpc: SE 26.329 (svy drops it: 26.594)."""
    d = sw.replicate(sw.Design(_api1(), ids="dnum", weights="pw", fpc="fpc"), method="jk1")
    se = float(sw.mean(d, "api00").se.iloc[0])
    assert round(se, 3) == 26.329
    refs = _refs()
    want = refs[(refs["case"] == "apiclus1_jk1") & (refs["estimand"] == "mean")
                & (refs["by"] == "")]
    _close(se, float(want["se"].iloc[0]), "svymean(~api00) on JK1")
    # without the fpc (svy's answer) the SE is larger by sqrt(1/(1 - f))
    nofpc = sw.replicate(sw.Design(_api1(), ids="dnum", weights="pw"), method="jk1")
    assert round(float(sw.mean(nofpc, "api00").se.iloc[0]), 3) == 26.594


def test_jk1_replicate_weights_equal_r():
    d = sw.replicate(sw.Design(_api1(), ids="dnum", weights="pw", fpc="fpc"), method="jk1")
    want = pd.read_csv(REP / "jk1_apiclus1_weights.csv")
    got = d.replicate_weights
    assert got.shape == want.shape
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-14)


def test_brr_factors_equal_r():
    """Our Hadamard choice and PSU ordering reproduce R's BRR replicates exactly."""
    d = sw.replicate(sw.Design(_pairs(), strata="pair", weights="pw"), method="brr")
    want = pd.read_csv(REP / "brr_pairs_factors.csv").drop(columns="snum").to_numpy()
    got = d.replicate_weights.to_numpy() / d.weights.to_numpy()[:, None]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_brr_paley_12_matches_r():
    refs = _refs()
    rows = refs[refs["case"] == "pairs11_brr"].set_index("estimand")
    d = sw.replicate(sw.Design(_pairs().iloc[:22], strata="pair", weights="pw"), method="brr")
    assert d.variance.n_replicates == 12 and hadamard(11).shape == (12, 12)
    assert d.degf == float(rows.loc["degf", "estimate"])
    m = sw.mean(d, "api00").to_frame()
    _close(m["se"].iloc[0], float(rows.loc["mean", "se"]), "BRR with 11 pairs")


def test_bootstrap_scale_formula_matches_r():
    """R's bootstrap scale nbar/((nbar - 1)(R - 1)) and the sub-bootstrap's 1/(R - 1)."""
    refs = _refs()
    base = sw.Design(_apis(), strata="stype", weights="pw", fpc="fpc")
    for method in ("bootstrap", "subbootstrap"):
        d = sw.replicate(base, method=method, replicates=50, rng=1)
        _close(d.variance.scale, _r_scale(refs, f"apistrat_{method}"), method)


def test_file_jkn_with_rscales_matches_r():
    refs = _refs()
    row = refs[refs["case"] == "file_jkn_rscales"].iloc[0]
    data = pd.read_csv(REP / "sdr_apiclus1.csv")
    d = sw.Design(data, weights="PWGTP", replicate_weights="PWGTP[0-9]+",
                  replicate_method="jkn", rscales=[79 / 80] * 80, scale=1)
    m = sw.mean(d, "api00").to_frame()
    _close(m["estimate"].iloc[0], float(row["estimate"]), "file JKn mean")
    _close(m["se"].iloc[0], float(row["se"]), "file JKn se")


def test_poststratify_replayed_per_replicate_matches_r():
    """Post-stratification replayed on every replicate column (replay_adjustment)
    gives R's postStratify(as.svrepdesign(dclus1, "JK1"), ~stype, pop)."""
    from dataclasses import replace

    from surveyweights.design.replicate import replay_adjustment

    refs = _refs()
    rows = refs[refs["case"] == "apiclus1_jk1_postStratify"]
    data = _api1()
    r = sw.replicate(sw.Design(data, ids="dnum", weights="pw", fpc="fpc"), method="jk1")
    codes = pd.Categorical(data["stype"], ["E", "H", "M"]).codes
    pop = np.array([4421.0, 755.0, 1018.0])

    def poststratify(d: np.ndarray) -> np.ndarray:
        return d * (pop / np.bincount(codes, weights=d, minlength=3))[codes]

    variance = replay_adjustment(r, poststratify, label="postStratify(~stype)")
    ps = replace(r, weights=pd.Series(poststratify(r._w), index=data.index), variance=variance)
    checked = 0
    for _, row in rows.iterrows():
        what = row["call"]
        if row["estimand"] == "degf":
            assert ps.degf == float(row["estimate"]), what
        else:
            fn = sw.total if row["estimand"] == "total" else sw.mean
            by = row["by"] or None
            t = fn(ps, row["variable"], by=by).to_frame()
            if by:
                t = t[t[by].astype(str) == row["domain"]]
            _close(t["estimate"].iloc[0], float(row["estimate"]), what)
            _close(t["se"].iloc[0], float(row["se"]), what)
        checked += 1
    assert checked == len(rows) > 5


TYPES = {"E": 4421.0, "H": 755.0, "M": 1018.0}


def _adjusted_case(case: str) -> sw.Design:
    if case.startswith("apistrat_bootstrap"):
        refs = _refs()
        fac = pd.read_csv(REP / "boot_apistrat_factors.csv")
        cols = [c for c in fac.columns if c.startswith("boot")]
        data = pd.concat([_apis(), fac[cols]], axis=1)
        base = sw.Design(data, weights="pw", replicate_weights=cols, combined_weights=False,
                         replicate_method="bootstrap", scale=_r_scale(refs, "apistrat_bootstrap"))
        return sw.calibrate(base, {"stype": TYPES, "api99": 3914069.0})
    r = sw.replicate(sw.Design(_api1(), ids="dnum", weights="pw", fpc="fpc"), method="jk1")
    if case.endswith("_rake"):
        return sw.rake(r, {"stype": TYPES, "sch.wide": {"No": 1460.0, "Yes": 4734.0}})
    if case.endswith("_calibrate_linear"):
        return sw.calibrate(r, {"stype": TYPES, "api99": 3914069.0})
    if case.endswith("_calibrate_raking"):
        return sw.calibrate(r, {"stype": TYPES, "api99": 3914069.0}, method="raking")
    raise KeyError(case)


@pytest.mark.parametrize("case", ["apiclus1_jk1_rake", "apiclus1_jk1_calibrate_linear",
                                  "apiclus1_jk1_calibrate_raking",
                                  "apistrat_bootstrap_calibrate_linear"])
def test_adjustment_replayed_per_replicate_matches_r(case):
    """rake / calibrate on a replicate design re-calibrate every replicate (R's
    calibrate.svyrep.design, rake on svyrep designs)."""
    rows = _refs()
    rows = rows[rows["case"] == case]
    d = _adjusted_case(case)
    assert isinstance(d.variance, sw.variance.ReplicateWeights)
    checked = 0
    for _, row in rows.iterrows():
        checked += 1
        what = f"{case}: {row['call']}"
        if row["estimand"] == "degf":
            assert d.degf == float(row["estimate"]), what
            continue
        fn = sw.total if row["estimand"] == "total" else sw.mean
        by = row["by"] or None
        t = fn(d, row["variable"], by=by).to_frame()
        if by:
            t = t[t[by].astype(str) == row["domain"]]
        _close(t["estimate"].iloc[0], float(row["estimate"]), what)
        _close(t["se"].iloc[0], float(row["se"]), what)
    assert checked == len(rows) > 0
