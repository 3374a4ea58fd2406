"""Replicate designs: construction, errors, structure shortcuts, properties, export."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.design.replicate import hadamard, hadamard_order
from surveyweights.errors import DesignError, InputError
from surveyweights.variance.replicate import (
    ClusterFactors,
    ReplicateNAWarning,
    ReplicateWeights,
    UnitWeights,
    numerical_rank,
)


def _clustered(rng, H=3, psus=(2, 5), units=(1, 4), fpc=True):
    rows = []
    psu = 0
    for h in range(H):
        n_h = int(rng.integers(psus[0], psus[1] + 1))
        for _ in range(n_h):
            psu += 1
            for _ in range(int(rng.integers(units[0], units[1] + 1))):
                rows.append({"h": f"s{h}", "psu": psu, "N": 4 * n_h + h,
                             "w": float(rng.uniform(1, 5)), "y": float(rng.normal(10, 3)),
                             "g": "ab"[int(rng.integers(0, 2))],
                             "c": "xyz"[int(rng.integers(0, 3))]})
    return pd.DataFrame(rows)


def _design(df, fpc=True):
    return sw.Design(df, strata="h", ids="psu", weights="w", fpc="N" if fpc else None)


# ---------------------------------------------------------------- structure shortcuts
@pytest.mark.parametrize("method", ["jkn", "bootstrap", "subbootstrap", "sdr"])
def test_structured_totals_equal_materialised_weights(method):
    """Replicate estimates from per-PSU totals equal those from the n x R weights."""
    rng = np.random.default_rng(3)
    df = _clustered(rng, H=4)
    kw = {"replicates": 16, "rng": 1} if "boot" in method else {}
    if method == "sdr":
        kw = {"replicates": 16}
    r = sw.replicate(_design(df), method=method, **kw)
    full = sw.Design(df, weights="w", replicate_weights=r.replicate_weights,
                     replicate_method="other", scale=r.variance.scale,
                     rscales=r.variance.rscales)
    for fn in (sw.mean, sw.total):
        a = fn(r, "y", by="g").to_frame()
        b = fn(full, "y", by="g").to_frame()
        np.testing.assert_allclose(a["se"], b["se"], rtol=1e-10)
    # the generic per-replicate path (a plain function of the weights) agrees too
    y = df["y"].to_numpy()
    thetas, _ = r.variance.replicate_estimates(r, lambda w: np.array([[w @ y / w.sum()]]))
    want = sw.mean(r, "y").se.iloc[0] ** 2
    got = r.variance.spread(thetas, np.array([[0.0]]))
    np.testing.assert_allclose(got[0, 0], want, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), lonely=st.sampled_from(["remove", "adjust", "average"]))
def test_jackknife_rank_equals_numerical_rank(seed, lonely):
    """The structured JK rank (degf) equals the rank of the materialised weights."""
    rng = np.random.default_rng(seed)
    df = _clustered(rng, H=int(rng.integers(1, 5)), psus=(1, 4))
    # a certainty stratum now and then
    if rng.random() < 0.5:
        n0 = df.loc[df["h"] == "s0", "psu"].nunique()
        df.loc[df["h"] == "s0", "N"] = n0
    try:
        d = sw.Design(df, strata="h", ids="psu", weights="w", fpc="N", lonely_psu=lonely)
        r = sw.replicate(d, method="jkn" if df["h"].nunique() > 1 else "jk1")
    except DesignError:
        return  # whole population, or jk1 on a stratified design
    w = r.replicate_weights.to_numpy()
    assert r.degf == numerical_rank(w) - 1
    dom = (df["g"] == "a").to_numpy()
    if dom.any():
        got = r.variance.domain_df(r, np.where(dom, 0, -1), 1)[0]
        assert got == numerical_rank(w[dom]) - 1


def test_hadamard_orthogonal():
    for n in (1, 3, 4, 5, 11, 15, 20, 27, 50, 100):
        h = hadamard(n) * 2 - 1
        assert h.shape[0] > n
        np.testing.assert_array_equal(h.T @ h, h.shape[0] * np.eye(h.shape[0]))
    h80 = hadamard_order(80) * 2 - 1
    np.testing.assert_array_equal(h80.T @ h80, 80 * np.eye(80))
    with pytest.raises(InputError, match="no Hadamard matrix of order 92"):
        hadamard_order(92)


def test_sdr_total_is_the_successive_difference_estimator():
    """With fewer PSUs than replicates, SDR's variance of a total is exactly
    (1 - f)/2 * sum of squared cyclic successive differences of w y."""
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"y": rng.normal(5, 2, 30), "w": rng.uniform(1, 3, 30), "N": 300})
    r = sw.replicate(sw.Design(df, weights="w", fpc="N"), method="sdr", replicates=32)
    z = (df["w"] * df["y"]).to_numpy()
    want = (1 - 30 / 300) / 2 * np.sum((z - np.roll(z, -1)) ** 2)
    np.testing.assert_allclose(sw.total(r, "y").se.iloc[0] ** 2, want, rtol=1e-12)


# ---------------------------------------------------------------- properties
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["jkn", "bootstrap", "sdr", "brr"]))
def test_variance_invariant_to_row_order(seed, method):
    rng = np.random.default_rng(seed)
    if method == "brr":
        df = _clustered(rng, H=3, psus=(2, 2))
    else:
        df = _clustered(rng, H=3)
    perm = rng.permutation(len(df))
    shuffled = df.iloc[perm].reset_index(drop=True)
    kw = {"replicates": 20, "rng": 7} if method == "bootstrap" else {}
    if method == "sdr":
        kw = {"replicates": 16}
    a = sw.replicate(_design(df, fpc=method != "brr"), method=method, **kw)
    b = sw.replicate(_design(shuffled, fpc=method != "brr"), method=method, **kw)
    if method == "brr":
        # which PSU of a pair comes first follows the rows: totals are linear, so their
        # BRR variance does not depend on it
        np.testing.assert_allclose(sw.total(a, "y", by="g").to_frame()["se"],
                                   sw.total(b, "y", by="g").to_frame()["se"], rtol=1e-9)
    if method in ("bootstrap", "sdr", "brr"):
        # random draws, sort order and pair order follow the rows: compare via the same weights
        w = a.replicate_weights.iloc[:, :]
        b = sw.Design(shuffled, weights="w", replicate_weights=w.iloc[perm].reset_index(drop=True),
                      replicate_method="other", scale=a.variance.scale)
        a = sw.Design(df, weights="w", replicate_weights=w, replicate_method="other",
                      scale=a.variance.scale)
    for fn in (sw.mean, sw.total):
        ta = fn(a, "y", by="g").to_frame()
        tb = fn(b, "y", by="g").to_frame()
        np.testing.assert_allclose(ta["se"], tb["se"], rtol=1e-9)
    pa = sw.proportion(a, "c").to_frame()
    pb = sw.proportion(b, "c").to_frame()
    np.testing.assert_allclose(pa["se"], pb["se"], rtol=1e-9)
    assert a.degf == b.degf


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.floats(0.01, 1000),
       method=st.sampled_from(["jk1", "jkn", "bootstrap"]))
def test_scaling_weights_scales_total_se(seed, k, method):
    rng = np.random.default_rng(seed)
    df = _clustered(rng, H=1 if method == "jk1" else 3)
    scaled = df.assign(w=df["w"] * k)
    kw = {"replicates": 20, "rng": 3} if method == "bootstrap" else {}
    a = sw.replicate(_design(df, fpc=False), method=method, **kw)
    b = sw.replicate(_design(scaled, fpc=False), method=method, **kw)
    ta, tb = sw.total(a, "y", by="g").to_frame(), sw.total(b, "y", by="g").to_frame()
    np.testing.assert_allclose(tb["se"], k * ta["se"], rtol=1e-9)
    ma, mb = sw.mean(a, "y").to_frame(), sw.mean(b, "y").to_frame()
    np.testing.assert_allclose(mb["se"], ma["se"], rtol=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["jkn", "bootstrap", "fay"]))
def test_file_design_equals_in_memory_design(seed, method, tmp_path_factory):
    """A design read from a written file equals the one built from the same weights."""
    rng = np.random.default_rng(seed)
    df = _clustered(rng, H=3, psus=(2, 2) if method == "fay" else (2, 5))
    kw = {"replicates": 12, "rng": 5} if method == "bootstrap" else {}
    if method == "fay":
        kw = {"rho": 0.5}
    r = sw.replicate(_design(df, fpc=method != "fay"), method=method, **kw)
    path = tmp_path_factory.mktemp("rep") / "survey.csv"
    sw.write_replicate_design(r, path)
    back = sw.read_replicate_design(path)
    assert back.variance.type == method and back.degf == r.degf
    for fn in (sw.mean, sw.total):
        np.testing.assert_allclose(fn(back, "y", by="g").to_frame()["se"],
                                   fn(r, "y", by="g").to_frame()["se"], rtol=1e-12)
    mem = sw.Design(df, weights="w", replicate_weights=r.replicate_weights,
                    replicate_method="other", scale=r.variance.scale, rscales=r.variance.rscales)
    np.testing.assert_allclose(sw.mean(mem, "y").se, sw.mean(back, "y").se, rtol=1e-12)


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(1)
    r = sw.replicate(_design(_clustered(rng)), method="jkn", mse=True)
    path = sw.write_replicate_design(r, tmp_path / "s.parquet")
    back = sw.read_replicate_design(path)
    assert back.variance.mse and back.variance.type == "jkn"
    np.testing.assert_allclose(back.variance.rscales, r.variance.rscales, rtol=0)
    np.testing.assert_allclose(sw.mean(back, "y").se, sw.mean(r, "y").se, rtol=1e-13)


def test_export_never_overwrites(tmp_path):
    rng = np.random.default_rng(1)
    r = sw.replicate(_design(_clustered(rng)), method="jkn")
    path = tmp_path / "s.csv"
    path.write_text("mine")
    with pytest.raises(InputError, match="exists; pass overwrite=True"):
        sw.write_replicate_design(r, path)
    assert path.read_text() == "mine"
    sw.write_replicate_design(r, path, overwrite=True)
    assert "rep1" in path.read_text().splitlines()[0]
    with pytest.raises(InputError, match="no replicate weights to write"):
        sw.write_replicate_design(_design(_clustered(rng)), tmp_path / "t.csv")


# ---------------------------------------------------------------- behaviour and errors
def test_replicate_returns_new_design_and_keeps_input():
    rng = np.random.default_rng(2)
    df = _clustered(rng)
    before = df.copy()
    d = _design(df)
    r = sw.replicate(d, method="jkn")
    assert d.variance.name == "taylor" and r.variance.name == "jkn"
    pd.testing.assert_frame_equal(df, before)
    assert r.replicate_weights.shape == (len(df), df["psu"].nunique())
    assert d.replicate_weights is None


def test_dataclasses_replace_carries_replicates_without_materialising(monkeypatch):
    """The replicate spec lives in the variance method: ``dataclasses.replace`` (used by
    every adjuster) keeps it and never reads the n x R weights back."""
    import dataclasses
    import inspect

    rng = np.random.default_rng(2)
    df = _clustered(rng)
    r = sw.replicate(_design(df), method="jkn")
    se = sw.mean(r, "y").se.iloc[0]

    def refuse(self, design):
        raise AssertionError("the replicate weights were materialised")

    monkeypatch.setattr(ReplicateWeights, "analysis_weights", refuse)
    moved = dataclasses.replace(r, lonely_psu="remove")
    assert moved.variance is r.variance
    assert sw.mean(moved, "y").se.iloc[0] == se
    assigned = r.assign(z="y > 10")
    assert assigned.variance is r.variance
    monkeypatch.undo()
    # the constructor takes every init field, with the field's default
    params = inspect.signature(sw.Design).parameters
    for f in dataclasses.fields(sw.Design):
        if f.init:
            assert f.name in params, f.name
            default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
            assert params[f.name].default == default, f.name
    assert {"replicate_weights", "replicate_method", "scale", "rscales", "mse",
            "combined_weights", "rho"} <= set(params)
    assert "replicate_weights" not in {f.name for f in dataclasses.fields(sw.Design)}


def test_mse_centres_on_full_sample():
    rng = np.random.default_rng(4)
    d = _design(_clustered(rng))
    a = sw.replicate(d, method="bootstrap", replicates=30, rng=1)
    b = sw.replicate(d, method="bootstrap", replicates=30, rng=1, mse=True)
    va, vb = sw.mean(a, "y").se.iloc[0] ** 2, sw.mean(b, "y").se.iloc[0] ** 2
    full = sw.mean(a, "y").estimate.iloc[0]
    thetas, _ = a.variance.replicate_estimates(
        a, sw.variance.DomainTotals.ratio(a.data[["y"]].to_numpy(), np.zeros(a.n, int), 1))
    reps = thetas[:, 0, 0]
    np.testing.assert_allclose(vb - va, a.variance.scale * 30 * (reps.mean() - full) ** 2,
                               rtol=1e-9)


def test_empty_replicate_domain_is_left_out_with_warning():
    df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1.0, 2, 3, 4, 5, 9],
                       "g": ["a", "a", "b", "b", "b", "b"]})
    r = sw.replicate(sw.Design(df, ids="psu"), method="jk1")
    with pytest.warns(ReplicateNAWarning, match="left out of the variance"):
        t = sw.mean(r, "y", by="g").to_frame()
    assert np.isfinite(t["se"]).all()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "jackknife"}, InputError, "not a replicate method"),
    ({"method": "jk1"}, DesignError, "use method='jkn'"),
    ({"method": "brr"}, DesignError, "exactly 2 PSUs"),
    ({"method": "fay", "rho": 1.5}, InputError, "strictly between 0 and 1"),
    ({"method": "bootstrap", "replicates": 10}, InputError, "pass rng="),
    ({"method": "bootstrap", "rng": 1}, InputError, "needs replicates="),
    ({"method": "jkn", "replicates": 5}, InputError, "one replicate per PSU"),
    ({"method": "sdr", "replicates": 92}, InputError, "no Hadamard matrix of order 92"),
    ({"method": "jkn", "rho": 0.5}, InputError, "used only with method='fay'"),
])
def test_replicate_errors(kwargs, error, match):
    rng = np.random.default_rng(0)
    d = _design(_clustered(rng, psus=(3, 4)))
    with pytest.raises(error, match=match):
        sw.replicate(d, **kwargs)


def test_replicate_twice_refused():
    rng = np.random.default_rng(0)
    r = sw.replicate(_design(_clustered(rng)), method="jkn")
    with pytest.raises(InputError, match="already has 'jkn' replicate weights"):
        sw.replicate(r, method="jkn")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"replicate_weights": "nomatch[0-9]"}, InputError, "matches no column"),
    ({"replicate_weights": ["r1", "r2"], "replicate_method": "svy"}, InputError,
     "replicate_method='svy' is not valid"),
    ({"replicate_weights": ["r1", "r2"], "replicate_method": "jk1"}, InputError, "needs scale="),
    ({"replicate_weights": ["r1", "r2"], "replicate_method": "jkn"}, InputError, "needs rscales="),
    ({"replicate_weights": ["r1", "r2"], "replicate_method": "fay"}, InputError, "needs rho="),
    ({"replicate_weights": ["r1", "r2"], "replicate_method": "brr", "rscales": [1, 2, 3]},
     InputError, "rscales has 3 values"),
    ({"replicate_weights": ["r1", "bad"], "replicate_method": "brr"}, DesignError,
     "column 'bad' is missing or infinite in 1 row"),
    ({"replicate_method": "brr"}, InputError, "pass replicate_weights= too"),
])
def test_file_design_errors(kwargs, error, match):
    df = pd.DataFrame({"w": [1.0, 2, 3], "r1": [1.0, 2, 2], "r2": [2.0, 1, 3],
                       "bad": [1.0, np.nan, 2]})
    with pytest.raises(error, match=match):
        sw.Design(df, weights="w", **kwargs)


def test_file_design_needs_weights():
    df = pd.DataFrame({"r1": [1.0, 2], "r2": [2.0, 1]})
    with pytest.raises(DesignError, match="needs the full-sample weights"):
        sw.Design(df, replicate_weights=["r1", "r2"], replicate_method="brr")


def test_acs_style_regex_and_default_scale():
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"PWGTP": rng.integers(10, 90, 50).astype(float), "y": rng.normal(size=50)})
    for i in range(1, 81):
        df[f"PWGTP{i}"] = df["PWGTP"] * rng.uniform(0.3, 1.7, 50)
    d = sw.Design(df, weights="PWGTP", replicate_weights="PWGTP[0-9]+", replicate_method="sdr",
                  mse=True)
    assert d.variance.n_replicates == 80 and d.variance.scale == 4 / 80 and d.variance.mse
    assert list(d.replicate_weights.columns) == [f"PWGTP{i}" for i in range(1, 81)]
    assert "80 'sdr' replicate weights (mse)" in repr(d)


def test_unit_weights_cluster_factors_agree():
    rng = np.random.default_rng(0)
    n, C, R = 40, 8, 6
    cluster = rng.integers(0, C, n)
    f = rng.uniform(0, 2, (C, R))
    w = rng.uniform(1, 2, n)
    values = rng.normal(size=(n, 2))
    group = rng.integers(-1, 3, n)
    a = ClusterFactors(cluster, f).totals(w, values, group, 3)
    b = UnitWeights(w[:, None] * f[cluster]).totals(w, values, group, 3)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_replicate_variance_protocol():
    assert isinstance(ReplicateWeights(UnitWeights(np.ones((3, 2))), 1.0, np.ones(2)),
                      sw.variance.VarianceMethod)


def test_satterthwaite_falls_back_to_design_df():
    rng = np.random.default_rng(0)
    r = sw.replicate(_design(_clustered(rng)), method="jkn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sw.mean(r, "y", by="g", df="satterthwaite").to_frame()
        b = sw.mean(r, "y", by="g").to_frame()
    np.testing.assert_array_equal(a["df"], b["df"])


def test_subset_and_na_policies_on_replicate_designs():
    """subset= equals the same domain of by=, and na='available' equals leaving the
    missing rows out of the domain (R's na.rm=TRUE: design[!is.na(y), ])."""
    rng = np.random.default_rng(11)
    df = _clustered(rng, H=3)
    r = sw.replicate(_design(df), method="jkn")
    by = sw.mean(r, "y", by="g").to_frame().set_index("g")
    sub = sw.mean(r, "y", subset=(df["g"] == "a")).to_frame()
    np.testing.assert_allclose(sub["se"].iloc[0], by.loc["a", "se"], rtol=1e-12)
    assert sub["df"].iloc[0] == by.loc["a", "df"]
    holes = df.assign(y=df["y"].where(rng.random(len(df)) > 0.2))
    rh = sw.replicate(_design(holes), method="jkn")
    with pytest.raises(sw.errors.MissingValueError):
        sw.mean(rh, "y")
    got = sw.mean(rh, "y", na="available").to_frame()
    want = sw.mean(rh, "y", subset=holes["y"].notna(), na="available").to_frame()
    np.testing.assert_allclose(got["se"], want["se"], rtol=1e-12)
    assert got["n_missing"].iloc[0] == holes["y"].isna().sum()


def test_unit_rank_certified_and_fallback():
    """The few-row certificate gives the full rank only when it holds; a rank-deficient
    (jackknife-structured) matrix falls back to the exact computation."""
    from surveyweights.variance.replicate import unit_rank
    rng = np.random.default_rng(0)
    full = rng.uniform(0.3, 1.7, (500, 10))
    rows = np.arange(500)
    rmax = np.max(full * full, axis=1)
    assert unit_rank(full, rows, rmax) == 10
    deficient = full.copy()
    deficient[:, 3] = deficient[:, 1] + deficient[:, 2]
    assert unit_rank(deficient, rows, np.max(deficient ** 2, axis=1)) == 9
    assert unit_rank(deficient, rows, None) == numerical_rank(deficient) == 9


def test_trimming_replayed_per_replicate():
    """trim_weights on a replicate design trims every replicate's weights the same way;
    units a replicate leaves out (weight 0) stay out."""
    rng = np.random.default_rng(3)
    df = _clustered(rng, H=3)
    r = sw.replicate(_design(df, fpc=False), method="jkn")
    lo, hi = 1.5, 4.0
    t = sw.trim_weights(r, lower=lo, upper=hi)
    assert isinstance(t.variance, ReplicateWeights)
    before, after = r.replicate_weights.to_numpy(), t.replicate_weights.to_numpy()
    np.testing.assert_array_equal(after == 0, before == 0)
    kept = after[after > 0]
    assert kept.min() >= lo - 1e-9 and kept.max() <= hi + 1e-9
    np.testing.assert_allclose(after.sum(axis=0), before.sum(axis=0), rtol=1e-12)
    assert t.variance.history[-1] == "TrimmingResult"


def test_replicates_of_an_adjusted_design_refused():
    rng = np.random.default_rng(0)
    df = _clustered(rng)
    c = sw.calibrate(_design(df), {"g": {"a": 100.0, "b": 120.0}})
    with pytest.raises(InputError, match="adjust the replicate design"):
        sw.replicate(c, method="jkn")
    r = sw.calibrate(sw.replicate(_design(df), method="jkn"), {"g": {"a": 100.0, "b": 120.0}})
    reps = r.replicate_weights
    for col in reps.columns:  # every replicate re-calibrated to the same totals
        got = reps[col].groupby(df["g"]).sum()
        np.testing.assert_allclose(got.to_numpy(), [100.0, 120.0], rtol=1e-9)


def _replicate_by_definition(df, d_r, adjust):
    """The full-sample adjuster applied to replicate r's weights (units it leaves out
    dropped): what replaying the adjustment on that replicate means."""
    kept = d_r > 0
    sub = sw.Design(df[kept], weights=pd.Series(d_r[kept], index=df.index[kept]))
    return adjust(sub).weights.reindex(df.index, fill_value=0.0).to_numpy()


def test_nonresponse_replayed_per_replicate():
    """adjust_nonresponse on a replicate design: every replicate carries its own class
    totals to its respondents; the full sample is unchanged."""
    rng = np.random.default_rng(11)
    df = _clustered(rng, H=3, psus=(3, 5), units=(2, 4))
    df["resp"] = rng.random(len(df)) < 0.7
    df.loc[df.groupby("c").head(2).index, "resp"] = True
    r = sw.replicate(_design(df), method="jkn")
    a = sw.adjust_nonresponse(r, responded="resp", classes="c")
    assert isinstance(a.variance, ReplicateWeights) and a.variance.history[-1] == "NonresponseResult"
    plain = sw.adjust_nonresponse(_design(df), responded="resp", classes="c")
    np.testing.assert_allclose(a.weights, plain.weights, rtol=1e-13)
    base = r.replicate_weights.to_numpy()
    got = a.replicate_weights.to_numpy()
    resp = df["resp"].to_numpy()
    for j in (0, 5, base.shape[1] - 1):
        want = _replicate_by_definition(
            df, base[:, j], lambda s: sw.adjust_nonresponse(s, responded="resp", classes="c"))
        np.testing.assert_allclose(got[:, j], want[resp], rtol=1e-12)
    # a class whose respondents all sit in the PSU a replicate deletes
    one = df[df["resp"]].groupby("c").head(1)
    df2 = df.copy()
    df2.loc[(df2["c"] == "x") & df2["resp"], "resp"] = False
    df2.loc[one.index[one["c"] == "x"], "resp"] = True
    r2 = sw.replicate(_design(df2), method="jkn")
    with pytest.raises(sw.errors.CalibrationError, match="in a replicate, response class 'x'.*collapse="):
        sw.adjust_nonresponse(r2, responded="resp", classes="c")
    c = sw.calibrate(r, {"g": {"a": 100.0, "b": 120.0}})
    with pytest.raises(DesignError, match="already calibrated"):
        sw.adjust_nonresponse(c, responded="resp", classes="c")


def test_trimming_a_calibrated_replicate_design_recalibrates_every_replicate():
    """trim_weights on a calibrated replicate design re-calibrates each replicate from
    its own starting weights within the bounds, as it does the full sample."""
    rng = np.random.default_rng(5)
    df = _clustered(rng, H=3, psus=(3, 5), units=(2, 4))
    margins = {"g": {"a": 100.0, "b": 120.0}}
    r = sw.replicate(_design(df, fpc=False), method="jkn")
    c = sw.calibrate(r, margins)
    w = c.weights.to_numpy()
    lo, hi = float(np.quantile(w, 0.1)), float(np.quantile(w, 0.9))
    t = sw.trim_weights(c, lower=lo, upper=hi)
    assert t.history[-1].redistribute == "recalibrated"
    plain = sw.trim_weights(sw.calibrate(_design(df, fpc=False), margins), lower=lo, upper=hi)
    np.testing.assert_allclose(t.weights, plain.weights, rtol=1e-12)
    before, got = r.replicate_weights.to_numpy(), t.replicate_weights.to_numpy()
    np.testing.assert_array_equal(got == 0, before == 0)
    g = df["g"].to_numpy()
    for j in range(got.shape[1]):
        kept = got[:, j] > 0
        assert lo - 1e-9 <= got[kept, j].min() and got[kept, j].max() <= hi + 1e-9
        np.testing.assert_allclose([got[g == "a", j].sum(), got[g == "b", j].sum()],
                                   [100.0, 120.0], rtol=1e-9)
    for j in (0, got.shape[1] // 2):
        want = _replicate_by_definition(
            df, before[:, j],
            lambda s: sw.trim_weights(sw.calibrate(s, margins), lower=lo, upper=hi))
        np.testing.assert_allclose(got[:, j], want, rtol=1e-9, atol=1e-9)
    # the trimmed variance is the replicates' spread, not the untrimmed one
    assert sw.mean(t, "y").se.iloc[0] != sw.mean(c, "y").se.iloc[0]
