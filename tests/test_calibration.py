"""Calibration, raking, trimming and nonresponse adjustment: properties, errors, diagnostics.

R parity is in ``test_r_parity_calibration.py``; here: hypothesis properties
(margins reproduced, bounds kept, idempotence, post-stratification, trimming
inside the bounds), every error message pinned, the diagnostics, the pure
solver, and the barometer nonresponse check (issue 10, item 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import CalibrationError, ConvergenceError, DesignError, InputError
from surveyweights.variance.calibrated import CalibratedVariance
from surveyweights.variance.taylor import stratified_variance
from surveyweights.weighting.calibration import calibration_factors

PROPS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sample(seed: int, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "h": rng.choice(["s1", "s2", "s3"], n),
        "a": rng.choice(["x", "y", "z"], n),
        "b": rng.choice(["u", "v"], n),
        "emp": rng.gamma(2.0, 20.0, n).round(1) + 1.0,
        "y": rng.normal(50, 10, n),
        "flag": rng.integers(0, 2, n),
    })
    # every level present in every stratum keeps the sample small but complete
    df.loc[:5, "a"] = ["x", "y", "z", "x", "y", "z"]
    df.loc[:5, "b"] = ["u", "v", "u", "v", "u", "v"]
    df.loc[:8, "h"] = ["s1", "s1", "s1", "s2", "s2", "s2", "s3", "s3", "s3"]
    df["w"] = rng.uniform(1.0, 9.0, n)
    return df


def _design(df: pd.DataFrame) -> sw.Design:
    return sw.Design(df, weights="w", strata="h")


def _margins_from(df: pd.DataFrame, g: np.ndarray, *, numeric: bool = False) -> dict:
    """Margins that weights w * g reproduce exactly (so they are consistent and feasible)."""
    w = df["w"].to_numpy() * g
    out = {"a": df.assign(t=w).groupby("a")["t"].sum().to_dict(),
           "b": df.assign(t=w).groupby("b")["t"].sum().to_dict()}
    if numeric:
        out["emp"] = float(w @ df["emp"].to_numpy())
    return out


# ----------------------------------------------------------------------------- properties
@PROPS
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["linear", "raking", "logit"]),
       numeric=st.booleans())
def test_calibrated_weights_reproduce_every_margin(seed, method, numeric):
    df = _sample(seed)
    rng = np.random.default_rng(seed + 1)
    margins = _margins_from(df, rng.uniform(0.7, 1.4, len(df)), numeric=numeric)
    bounds = (0.3, 3.0) if method == "logit" else None
    c = sw.calibrate(_design(df), margins, method=method, bounds=bounds)
    rep = c.calibration.report
    assert np.all(np.abs(rep["misfit"]) <= 1e-8)
    w = c.weights.to_numpy()
    for key in ("a", "b"):
        got = pd.Series(w, index=df.index).groupby(df[key]).sum()
        for level, target in margins[key].items():
            assert abs(got[level] / target - 1) <= 1e-8
    if numeric:
        assert abs(w @ df["emp"].to_numpy() / margins["emp"] - 1) <= 1e-8
    assert c.calibration.converged


@PROPS
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["linear", "raking", "logit"]),
       lo=st.floats(0.5, 0.9), hi=st.floats(1.1, 2.0))
def test_weights_stay_inside_the_bounds(seed, method, lo, hi):
    df = _sample(seed)
    rng = np.random.default_rng(seed + 2)
    # targets met by some g inside the bounds: the bounded problem is feasible
    g_star = rng.uniform(lo + 0.02 * (1 - lo), hi - 0.02 * (hi - 1), len(df))
    c = sw.calibrate(_design(df), _margins_from(df, g_star), method=method, bounds=(lo, hi))
    g = c.calibration.g.to_numpy()
    assert g.min() >= lo * (1 - 1e-12) and g.max() <= hi * (1 + 1e-12)
    np.testing.assert_allclose(g, c.weights.to_numpy() / df["w"].to_numpy(), rtol=1e-12)
    assert np.all(np.abs(c.calibration.report["misfit"]) <= 1e-8)


@PROPS
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["linear", "raking", "logit"]))
def test_calibrating_twice_changes_nothing(seed, method):
    df = _sample(seed)
    margins = _margins_from(df, np.random.default_rng(seed).uniform(0.8, 1.25, len(df)))
    bounds = (0.5, 2.0) if method == "logit" else None
    once = sw.calibrate(_design(df), margins, method=method, bounds=bounds)
    twice = sw.calibrate(once, margins, method=method, bounds=bounds)
    np.testing.assert_allclose(twice.weights, once.weights, rtol=1e-10)
    np.testing.assert_allclose(twice.calibration.g, 1.0, atol=1e-10)
    assert twice.calibration.iterations <= 1
    assert len(twice.history) == 2 and twice.history[0] is once.calibration
    a, b = sw.mean(once, "y").to_frame(), sw.mean(twice, "y").to_frame()
    np.testing.assert_allclose(b["estimate"], a["estimate"], rtol=1e-12)


@PROPS
@given(seed=st.integers(0, 10_000), by=st.sampled_from([None, "b", "h"]))
def test_poststratification_is_linear_calibration_on_one_margin(seed, by):
    df = _sample(seed)
    rng = np.random.default_rng(seed + 3)
    N = {k: float(v) for k, v in zip(["x", "y", "z"], rng.integers(50, 500, 3))}
    d = _design(df)
    ps = sw.calibrate(d, {"a": N})
    # the post-stratified weights d N_c / sum_c d, whatever the method
    wsum = df.groupby("a")["w"].sum()
    expected = df["w"] * df["a"].map(N) / df["a"].map(wsum)
    np.testing.assert_allclose(ps.weights, expected, rtol=1e-12)
    for method in ("raking", "logit"):
        other = sw.calibrate(d, {"a": N}, method=method,
                             bounds=(0.01, 1e3) if method == "logit" else None)
        np.testing.assert_allclose(other.weights, expected, rtol=1e-9)
    # the SE: the stratified variance of w (y - ybar_c), ybar_c the d-weighted cell mean
    # (R's postStratify), for the mean of y in each domain
    got = sw.total(ps, "y", by=by).to_frame()
    w = ps.weights.to_numpy()
    y = df["y"].to_numpy()
    ybar = (df["w"] * df["y"]).groupby(df["a"]).sum() / wsum
    groups = [None] if by is None else sorted(df[by].unique())
    for i, g in enumerate(groups):
        inside = np.ones(len(df), bool) if g is None else (df[by] == g).to_numpy()
        yy = np.where(inside, y, 0.0)
        yb = pd.Series(yy * df["w"]).groupby(df["a"]).sum() / wsum
        r = w * (yy - df["a"].map(yb).to_numpy())
        v = stratified_variance(d, r, np.zeros(len(df), dtype=np.intp), 1).variance[0, 0]
        np.testing.assert_allclose(got["se"].iloc[i], np.sqrt(v), rtol=1e-10)
    del ybar


@PROPS
@given(w=st.lists(st.floats(0.5, 200.0), min_size=3, max_size=40),
       q=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
       mode=st.sampled_from(["equal", "proportional"]))
def test_trimming_never_leaves_a_weight_outside(w, q, mode):
    w = np.array(w)
    mean = w.mean()
    lower = float(w.min() + q[0] * (mean - w.min()))
    upper = float(mean + q[1] * (w.max() - mean))
    assume(upper > lower)
    d = sw.Design(pd.DataFrame({"y": np.arange(len(w))}), weights=pd.Series(w))
    t = sw.trim_weights(d, lower=lower, upper=upper, redistribute=mode)
    out = t.weights.to_numpy()
    assert out.min() >= lower and out.max() <= upper
    np.testing.assert_allclose(out.sum(), w.sum(), rtol=1e-12)
    np.testing.assert_array_equal(d.weights.to_numpy(), w)  # the input is unchanged


def test_trimming_a_calibrated_design_keeps_its_margins():
    df = _sample(11, n=200)
    margins = _margins_from(df, np.random.default_rng(4).uniform(0.8, 1.25, len(df)), numeric=True)
    c = sw.calibrate(_design(df), margins, method="raking")
    upper = float(np.quantile(c.weights, 0.9))
    t = sw.trim_weights(c, upper=upper, lower=1.0)
    w = t.weights.to_numpy()
    assert w.max() <= upper * (1 + 1e-12) and w.min() >= 1.0
    assert np.all(np.abs(t.calibration.report["misfit"]) <= 1e-8)
    for key in ("a", "b"):
        got = pd.Series(w, index=df.index).groupby(df[key]).sum()
        for level, target in margins[key].items():
            assert abs(got[level] / target - 1) <= 1e-8
    rec = t.history[-1]
    assert isinstance(rec, sw.TrimmingResult) and rec.redistribute == "recalibrated"
    assert rec.n_above > 0 and rec.n_at_upper > 0
    # the variance takes the residuals of the new calibration (one step, not two)
    assert isinstance(t.variance, CalibratedVariance) and len(t.variance.steps) == 1
    sw.mean(t, "y", by="b")


def test_trim_weights_matches_R_one_pass_example():
    """R trimWeights(strict=FALSE) gives 9 + 10/3 = 12.33 > 10 here; strict=TRUE and we: 10."""
    d = sw.Design(pd.DataFrame({"y": range(4)}), weights=pd.Series([1.0, 2.0, 9.0, 20.0]))
    t = sw.trim_weights(d, upper=10)
    # 10 trimmed off the largest; 5 to each of the three others would push 9 to 14:
    # so 9 -> 10 too, and the other two share the rest: (32 - 20) / 2 - 1.5 each
    np.testing.assert_allclose(t.weights, [5.5, 6.5, 10.0, 10.0])


# ----------------------------------------------------------------------------- the seam
def test_every_estimator_works_on_a_calibrated_design():
    df = _sample(5, n=150)
    df["cat"] = np.where(df["flag"] == 1, "yes", "no")
    margins = _margins_from(df, np.random.default_rng(7).uniform(0.8, 1.25, len(df)), numeric=True)
    c = sw.rake(_design(df), {k: v for k, v in margins.items() if k != "emp"})
    sub = (df["emp"] > 30).to_numpy()
    for meth in ("logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson"):
        for dfc in ("design", "satterthwaite"):
            p = sw.proportion(c, "flag", by="b", subset=sub, method=meth, df=dfc).to_frame()
            assert np.all((p["ci_low"] <= p["estimate"]) & (p["estimate"] <= p["ci_high"]))
            assert np.all(p["se"] > 0)
    for dfc in ("design", "satterthwaite"):
        m = sw.mean(c, ["y", "emp"], by=["a", "b"], df=dfc).to_frame()
        t = sw.total(c, "cat", subset=sub, df=dfc).to_frame()
        assert np.all(np.isfinite(m["se"])) and np.all(np.isfinite(t["se"]))
    diff = sw.difference(c, "y", by="b", between=("u", "v")).to_frame()
    assert np.isfinite(diff["se"].iloc[0])
    ch = sw.chisq_test(c, "a", "cat")
    assert 0 <= ch.p_value <= 1
    # a calibrated total of a margin has zero SE; of other items a positive one
    tot = sw.total(c, "a").to_frame()
    np.testing.assert_allclose(tot["estimate"], [margins["a"][k] for k in tot["level"]], rtol=1e-9)
    assert np.all(tot["se"] <= 1e-9 * tot["estimate"])


def test_domain_variance_equals_the_zeroed_variable_total():
    """A domain total is the total of y * 1{domain}: same estimate, same calibrated SE."""
    df = _sample(9, n=120)
    margins = _margins_from(df, np.random.default_rng(1).uniform(0.8, 1.25, len(df)), numeric=True)
    c = sw.calibrate(_design(df), margins)
    by = sw.total(c, "y", by="b").to_frame().set_index("b")
    for lev in ("u", "v"):
        df[f"y_{lev}"] = np.where(df["b"] == lev, df["y"], 0.0)
        z = sw.total(c, f"y_{lev}").to_frame().iloc[0]
        np.testing.assert_allclose([by.loc[lev, "estimate"], by.loc[lev, "se"]],
                                   [z["estimate"], z["se"]], rtol=1e-10)


def test_inputs_are_not_changed():
    df = _sample(3)
    before = df.copy()
    d = _design(df)
    w = d.weights.copy()
    m = _margins_from(df, np.ones(len(df)) * 1.1)
    m_copy = {k: dict(v) for k, v in m.items()}
    c = sw.calibrate(d, m, method="raking")
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_series_equal(d.weights, w)
    assert d.calibration is None and d.history == () and m == m_copy
    assert c.calibration is not None and c is not d


# ----------------------------------------------------------------------------- margins in
def test_margins_as_long_dataframe_crossed_and_numeric():
    df = _sample(21, n=150)
    g = np.random.default_rng(2).uniform(0.8, 1.25, len(df))
    w = df["w"] * g
    cross = w.groupby([df["a"], df["b"]]).sum()
    long = pd.DataFrame({
        "variable": [("a", "b")] * len(cross) + ["emp"],
        "level": list(cross.index) + [None],
        "target": list(cross.to_numpy()) + [float(w @ df["emp"])],
    })
    c = sw.calibrate(_design(df), long, method="raking")
    c2 = sw.calibrate(_design(df), {("a", "b"): cross.to_dict(), "emp": float(w @ df["emp"])},
                      method="raking")
    np.testing.assert_allclose(c.weights, c2.weights, rtol=1e-12)
    rep = c.calibration.report
    assert rep["level"].iloc[0] == cross.index[0] and rep["margin"].iloc[-1] == "emp"
    assert list(rep.columns) == ["margin", "level", "target", "initial", "achieved", "misfit", "n"]


def test_overlapping_margins_and_population_size():
    df = _sample(8, n=200)
    g = np.random.default_rng(5).uniform(0.8, 1.25, len(df))
    w = df["w"] * g
    m = {("h", "a"): w.groupby([df["h"], df["a"]]).sum().to_dict(),
         ("h", "b"): w.groupby([df["h"], df["b"]]).sum().to_dict(),
         "emp": float(w @ df["emp"])}
    for method in ("linear", "raking"):
        c = sw.calibrate(_design(df), m, method=method)
        assert np.all(np.abs(c.calibration.report["misfit"]) <= 1e-8)
    num = sw.calibrate(_design(df), {"emp": float(w @ df["emp"])}, population_size=float(w.sum()))
    np.testing.assert_allclose(num.weights.sum(), w.sum(), rtol=1e-12)


def test_collapse_merges_a_level_without_units():
    df = _sample(4)
    m = {"a": {"x": 300.0, "y": 250.0, "z": 200.0, "q": 50.0}, "b": {"u": 400.0, "v": 400.0}}
    c = sw.calibrate(_design(df), m, collapse={"a": {"q": "z"}}, method="raking")
    got = c.weights.groupby(df["a"]).sum()
    np.testing.assert_allclose(got["z"], 250.0, rtol=1e-10)


def test_diagnostics():
    df = _sample(13, n=100)
    m = _margins_from(df, np.random.default_rng(6).uniform(0.8, 1.25, len(df)))
    c = sw.calibrate(_design(df), m, method="logit", bounds=(0.6, 1.6))
    r = c.calibration
    assert r.method == "logit" and r.bounds == (0.6, 1.6) and r.variance == "calibration"
    assert list(r.kish.index) == ["before", "after"]
    np.testing.assert_allclose(r.kish.loc["before", "weight_sum"], df["w"].sum())
    assert r.g_summary["min"] >= 0.6 and r.g_summary["max"] <= 1.6
    assert r.g.index.equals(df.index)
    np.testing.assert_allclose(r.report["initial"].sum() / 2, df["w"].sum())
    assert r.max_misfit <= 1e-8
    pd.testing.assert_frame_equal(r.to_frame(), r.report)


def test_pure_solver_on_replicate_like_weights():
    """The replicate-weight issue replays calibration_factors with other weight vectors."""
    df = _sample(30, n=80)
    m = _margins_from(df, np.random.default_rng(8).uniform(0.8, 1.25, len(df)), numeric=True)
    c = sw.calibrate(_design(df), m, method="raking")
    cal = c.calibration
    fit = calibration_factors(cal.design_weights, cal.auxiliaries, cal.totals, method=cal.method,
                              bounds=cal.bounds)
    np.testing.assert_allclose(fit.g, cal.g.to_numpy(), rtol=1e-12)
    d_r = cal.design_weights.copy()
    d_r[:5] = 0.0  # a jackknife-like replicate
    d_r[5:] *= 80 / 75
    fit_r = calibration_factors(d_r, cal.auxiliaries, cal.totals, method="raking")
    assert fit_r.converged
    np.testing.assert_allclose(cal.auxiliaries.rmatvec(d_r * fit_r.g), cal.totals, rtol=1e-9)


# ----------------------------------------------------------------------------- errors
def test_error_level_with_population_but_no_units():
    df = _sample(4)
    m = {"a": {"x": 300, "y": 250, "z": 200, "q": 50}, "b": {"u": 400, "v": 400}}
    with pytest.raises(CalibrationError, match=r"margin 'a': level 'q' has a population of 50 but "
                       r"no units in the sample.*collapse=\{'a': \{'q': 'x'\}\}.*drop the level"):
        sw.calibrate(_design(df), m)


def test_error_sample_level_missing_from_margins():
    df = _sample(4)
    with pytest.raises(CalibrationError, match=r"margin 'a' has no target for level 'z', held by "
                       r"\d+ sample unit\(s\).*add it to the margin, or merge it"):
        sw.calibrate(_design(df), {"a": {"x": 300, "y": 250}})


def test_error_margins_disagree():
    df = _sample(4)
    with pytest.raises(CalibrationError, match=r"margins 'a' and 'b' disagree on the population "
                       r"size: 750 and 800 \(difference 50\)"):
        sw.rake(_design(df), {"a": {"x": 300, "y": 250, "z": 200}, "b": {"u": 400, "v": 400}})
    m = {("h", "a"): {(h, a): 10.0 for h in ("s1", "s2", "s3") for a in ("x", "y", "z")},
         ("h", "b"): {(h, b): 15.0 for h in ("s1", "s2", "s3") for b in ("u", "v")}}
    m[("h", "b")][("s2", "u")] = 16.0
    m[("h", "b")][("s3", "u")] = 14.0
    with pytest.raises(CalibrationError, match=r"margins \('h', 'a'\) and \('h', 'b'\) disagree on "
                       r"h = 's2': 30 and 31"):
        sw.rake(_design(df), m)


@pytest.mark.parametrize("bad, shown", [(-5, "-5"), (np.nan, "nan"), (None, "None")])
def test_error_negative_or_missing_target(bad, shown):
    df = _sample(4)
    m = {"a": {"x": 300, "y": bad, "z": 200}}
    with pytest.raises(CalibrationError, match=rf"the target of level 'y'.*{shown}"):
        sw.calibrate(_design(df), m)


def test_error_infeasible_bounds_give_the_feasible_range():
    df = _sample(4)
    m = _margins_from(df, np.where(df["a"] == "x", 1.8, 1.0))
    with pytest.raises(CalibrationError, match=r"no g within bounds=\(0.9, 1.2\) can reproduce "
                       r"the margins.*upper bound must be at least \d\.\d+"):
        sw.calibrate(_design(df), m, method="logit", bounds=(0.9, 1.2))


def test_error_non_convergence_names_the_worst_cell():
    df = _sample(4)
    m = _margins_from(df, np.where(df["a"] == "x", 3.0, 0.5))
    with pytest.raises(ConvergenceError, match=r"raking calibration did not converge in 1 "
                       r"iterations: the worst margin cell is '\w+' level '\w+', target .*relative "
                       r"misfit"):
        sw.calibrate(_design(df), m, method="raking", max_iterations=1)


def test_error_negative_weights_from_linear_calibration():
    df = _sample(4)
    m = _margins_from(df, np.ones(len(df)), numeric=True)
    m["emp"] *= 0.3  # far below the sample's total: GREG needs negative g for large emp
    with pytest.raises(CalibrationError, match=r"linear calibration gives \d+ unit\(s\) a weight "
                       r"<= 0.*set a positive lower bound"):
        sw.calibrate(_design(df), m)


def test_error_bad_options():
    d = _design(_sample(4))
    m = {"a": {"x": 1, "y": 1, "z": 1}}
    with pytest.raises(InputError, match=r"method='ratio' is not a calibration method; choose one "
                       r"of \['linear', 'raking', 'logit'\]"):
        sw.calibrate(d, m, method="ratio")
    with pytest.raises(InputError, match=r"method='logit' needs bounds=\(lower, upper\)"):
        sw.calibrate(d, m, method="logit")
    with pytest.raises(InputError, match=r"exclude g = 1"):
        sw.calibrate(d, m, bounds=(1.1, 2))
    with pytest.raises(InputError, match=r"variance='rake' reproduces R rake\(\)"):
        sw.calibrate(d, m, variance="rake")
    with pytest.raises(InputError, match=r"column\(s\) \['nope'\] not found"):
        sw.calibrate(d, {"nope": {"a": 1}})
    with pytest.raises(InputError, match=r"margins must be a dict"):
        sw.calibrate(d, [("a", 1)])


def test_error_trimming_cannot_keep_the_total():
    d = sw.Design(pd.DataFrame({"y": range(3)}), weights=pd.Series([34.0, 34.0, 34.0]))
    with pytest.raises(CalibrationError, match=r"the 3 weights sum to 102, a mean weight of 34, "
                       r"which weights inside \[20, 30\] cannot keep"):
        sw.trim_weights(d, lower=20, upper=30)
    with pytest.raises(InputError, match=r"trim_weights needs lower=, upper= or both"):
        sw.trim_weights(d)


def test_error_trimming_a_calibrated_design_infeasibly():
    df = _sample(4)
    m = _margins_from(df, np.where(df["a"] == "x", 1.8, 1.0))
    c = sw.calibrate(_design(df), m, method="raking")
    top = float(c.weights[df["a"] == "x"].max())
    with pytest.raises(CalibrationError, match=r"no weights within \[1, \d+(\.\d+)?\] can "
                       r"reproduce the margins.*upper bound must be at least"):
        sw.trim_weights(c, lower=1, upper=round(top / 3, 1))


# ----------------------------------------------------------------------------- nonresponse
def _barometer_sample() -> pd.DataFrame:
    s = sw.datasets.barometer_2025_replica_sample()
    r = sw.datasets.barometer_2025_replica()
    b = sw.datasets.barometer_2025()
    full = s.merge(r.drop(columns=["nace", "size"]), on="id", how="left", indicator=True)
    full["responded"] = full["_merge"] == "both"
    full = full.drop(columns="_merge").merge(b[["nace", "size", "N"]], on=["nace", "size"])
    for c in ("nace", "size"):
        full[c] = pd.Categorical(full[c], categories=s[c].cat.categories)
    return full


def test_nonresponse_on_the_barometer_sample_gives_the_published_weighting():
    """Issue 10 item 4: 9,610 sampled firms, weights N_h/m_h, classes = the 44 strata."""
    full = _barometer_sample()
    sample = sw.Design(full, strata=["nace", "size"], fpc="N")
    assert len(full) == 9610 and sample.n_strata == 44
    m_h = full.groupby(["nace", "size"], observed=True)["id"].transform("size")
    np.testing.assert_allclose(sample.weights, full["N"] / m_h, rtol=1e-15)
    adj = sw.adjust_nonresponse(sample, responded="responded", classes=["nace", "size"])
    resp = sw.datasets.barometer_2025_replica()
    ref = sw.Design.from_population(resp, sw.datasets.barometer_2025()[["nace", "size", "N"]],
                                    strata=["nace", "size"])
    assert adj.n == 2915
    ours = pd.Series(adj.weights.to_numpy(), index=adj.data["id"].to_numpy())
    theirs = pd.Series(ref.weights.to_numpy(), index=resp["id"].to_numpy())
    np.testing.assert_allclose(ours[theirs.index], theirs, rtol=1e-12)
    for by in (None, "size", ["nace", "size"]):
        a = sw.proportion(adj, "adoption", by=by, na="available", method="beta").to_frame()
        b = sw.proportion(ref, "adoption", by=by, na="available", method="beta").to_frame()
        for col in ("estimate", "se", "ci_low", "ci_high", "df"):
            np.testing.assert_allclose(a[col], b[col], rtol=1e-12, atol=1e-15, err_msg=f"{by} {col}")
    table = adj.history[-1].table
    assert len(table) == 44 and table["responded"].sum() == 2915 and table["sampled"].sum() == 9610


def test_nonresponse_errors():
    s = pd.DataFrame({"h": list("aaabbb"), "r": [True, True, False, False, False, False]})
    d = sw.Design(s, strata="h")
    with pytest.raises(CalibrationError, match=r"response class 'b' of \['h'\] has 3 sampled "
                       r"unit\(s\) \(weight 3\) but no respondent.*collapse=\{'b': 'a'\}"):
        sw.adjust_nonresponse(d, responded="r", classes="h")
    r = sw.adjust_nonresponse(d, responded="r", classes="h", collapse={"b": "a"})
    np.testing.assert_allclose(r.weights, [3.0, 3.0])
    s2 = pd.DataFrame({"h": list("aaaabbbb"), "r": [1, 1, 0, 1, 1, 1, 0, 1]})
    d2 = sw.Design(s2, strata="h")
    c = sw.calibrate(d2, {"h": {"a": 10, "b": 10}})
    with pytest.raises(DesignError, match=r"already calibrated; adjust the full sample for "
                       r"nonresponse first"):
        sw.adjust_nonresponse(c, responded="r", classes="h")
    with pytest.raises(InputError, match=r"must hold True/False"):
        sw.adjust_nonresponse(d2, responded="h", classes="h")


def test_business_example_runs(capsys):
    """examples/calibration_business.py, whose output docs/calibration.md shows."""
    import runpy
    import warnings
    from pathlib import Path

    root = Path(__file__).parent.parent
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        runpy.run_path(str(root / "examples" / "calibration_business.py"), run_name="__main__")
    out = capsys.readouterr().out
    doc = (root / "docs" / "calibration.md").read_text(encoding="utf-8")
    lines = [line for line in out.splitlines()[1:] if line.strip() and not line.startswith("2. ")]
    assert len(lines) > 20
    for line in lines:
        assert line in doc, line
