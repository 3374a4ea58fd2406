"""Estimators: properties (hypothesis), Satterthwaite df, edge cases and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import DesignError, DomainError, InputError, LonelyPSUError, MissingValueError


@st.composite
def samples(draw, min_strata=1, max_strata=5):
    """A stratified sample: strata with >= 2 units, weights, a 3-level item, a 0/1 item, a domain."""
    k = draw(st.integers(min_strata, max_strata))
    sizes = draw(st.lists(st.integers(2, 9), min_size=k, max_size=k))
    n = sum(sizes)
    h = np.repeat(np.arange(k), sizes)
    N = {s: m + draw(st.integers(0, 300)) for s, m in enumerate(sizes)}
    cat = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    dom = draw(st.lists(st.sampled_from(["u", "v"]), min_size=n, max_size=n))
    x = draw(st.lists(st.floats(-50, 50, allow_nan=False), min_size=n, max_size=n))
    return pd.DataFrame({"h": [f"s{i}" for i in h], "N": [N[i] for i in h], "cat": cat, "y": y,
                         "dom": dom, "x": x})


def _design(df, **kw):
    return sw.Design(df, strata="h", fpc="N", **kw)


PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# random samples often contain p = 0 or 1 cells, whose degenerate intervals warn by design
pytestmark = pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")


@PROPS
@given(samples(), st.randoms(use_true_random=False))
def test_invariant_to_row_order(df, rnd):
    perm = list(df.index)
    rnd.shuffle(perm)
    a = sw.proportion(_design(df), "cat", by="dom", method="mean").to_frame()
    b = sw.proportion(_design(df.loc[perm]), "cat", by="dom", method="mean").to_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)


@PROPS
@given(samples(), st.floats(0.01, 1000))
def test_invariant_to_scaling_weights(df, c):
    w = df["N"] / df.groupby("h")["h"].transform("size")
    d1 = sw.Design(df.assign(w=w), weights="w", strata="h")
    d2 = sw.Design(df.assign(w=w * c), weights="w", strata="h")
    for fn, var in ((sw.proportion, "cat"), (sw.mean, "x")):
        a, b = fn(d1, var, by="dom").to_frame(), fn(d2, var, by="dom").to_frame()
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(a["se"], b["se"], rtol=1e-8, atol=1e-12)
    # totals scale with the weights
    ta, tb = sw.total(d1, "x").to_frame(), sw.total(d2, "x").to_frame()
    np.testing.assert_allclose(tb["estimate"], c * ta["estimate"], rtol=1e-9, atol=1e-9)


@PROPS
@given(samples(), st.sampled_from(["logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson"]),
       st.floats(0.5, 0.995))
def test_ci_contains_estimate_and_lies_in_unit_interval(df, method, level):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SurveyWeightsWarning)
        t = sw.proportion(_design(df), "cat", by="dom", method=method, confidence_level=level).to_frame()
    assert ((t["ci_low"] >= 0) & (t["ci_high"] <= 1)).all()
    assert (t["ci_low"] <= t["estimate"] + 1e-12).all() and (t["estimate"] <= t["ci_high"] + 1e-12).all()


@PROPS
@given(samples())
def test_distribution_sums_to_one(df):
    t = sw.proportion(_design(df), "cat", by="dom").to_frame()
    sums = t.groupby("dom")["estimate"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-12)
    # and the totals of the levels sum to the domain's estimated size
    tot = sw.total(_design(df), "cat", by="dom").to_frame().groupby("dom")["estimate"].sum()
    w = _design(df).weights
    np.testing.assert_allclose(tot, w.groupby(df["dom"]).sum().loc[tot.index], rtol=1e-12)


@PROPS
@given(samples())
def test_subpopulation_equals_ratio_of_zeroed_totals(df):
    """p(y | dom == 'u') = total(y * 1[u]) / total(1[u]), and the SE of R's ratio estimator."""
    assume((df["dom"] == "u").any())
    d = _design(df.assign(yu=df["y"] * (df["dom"] == "u"), u=(df["dom"] == "u").astype(int)))
    p = sw.proportion(d, "y", subset=df["dom"] == "u", method="mean").to_frame().iloc[0]
    num_ = sw.total(d, "yu").to_frame()["estimate"].iloc[0]
    den = sw.total(d, "u").to_frame()["estimate"].iloc[0]
    assert p["estimate"] == pytest.approx(num_ / den, rel=1e-12, abs=1e-15)
    # linearized SE of the ratio computed directly: z = (yu - r u) w / den
    w = d._w
    r = num_ / den
    z = (d.data["yu"].to_numpy() - r * d.data["u"].to_numpy()) * w / den
    v = 0.0
    for h, g in d.data.groupby("h").groups.items():
        zh = z[d.data.index.get_indexer(g)]
        nh, Nh = len(zh), d.data.loc[g, "N"].iloc[0]
        v += (1 - nh / Nh) * nh / (nh - 1) * ((zh - zh.mean()) ** 2).sum()
    assert p["se"] == pytest.approx(np.sqrt(v), rel=1e-9, abs=1e-14)
    # same via by= (the domain row of a by-table equals the subset estimate)
    by = sw.proportion(d, "y", by="dom", method="mean").to_frame().set_index("dom").loc["u"]
    assert by["estimate"] == pytest.approx(p["estimate"], rel=1e-12)
    assert by["se"] == pytest.approx(p["se"], rel=1e-10, abs=1e-15)


# --------------------------------------------------------------- Satterthwaite df
def _direct_satterthwaite(d: sw.Design, scores: np.ndarray, inside: np.ndarray) -> float:
    """(sum v_h)^2 / sum v_h^2 / (n_h - 1) from per-stratum variances computed by hand."""
    vs, dfs = [], []
    for h in np.unique(d._h):
        rows = d._h == h
        z = np.where(inside[rows], scores[rows], 0.0)
        nh = rows.sum()
        fh = d._f_h[h]
        v = (1 - fh) * nh / (nh - 1) * ((z - z.mean()) ** 2).sum()
        if v > 0:
            vs.append(v)
            dfs.append(nh - 1)
    vs, dfs = np.array(vs), np.array(dfs)
    return vs.sum() ** 2 / (vs**2 / dfs).sum()


def _mean_scores(d, y, inside):
    w = d._w
    W = w[inside].sum()
    p = (w[inside] * y[inside]).sum() / W
    return np.where(inside, w * (y - p) / W, 0.0)


def test_satterthwaite_df_overall_domain_subset(desA):
    y = desA.data["is_adopter"].to_numpy(dtype=float)
    # overall
    t = sw.proportion(desA, "is_adopter", df="satterthwaite").to_frame().iloc[0]
    inside = np.ones(len(y), dtype=bool)
    assert t["df"] == pytest.approx(_direct_satterthwaite(desA, _mean_scores(desA, y, inside), inside), rel=1e-10)
    # a by= domain: NACE 35-39 (four small strata)
    t = sw.proportion(desA, "is_adopter", by="nace", df="satterthwaite").to_frame().set_index("nace")
    inside = (desA.data["nace"] == "35-39").to_numpy()
    direct = _direct_satterthwaite(desA, _mean_scores(desA, y, inside), inside)
    assert t.loc["35-39", "df"] == pytest.approx(direct, rel=1e-10)
    assert direct < 36  # far below R's domain df (40 units - 4 strata)
    # a subset
    inside = (desA.data["adoption"] == "adopter").to_numpy()
    yt = (desA.data["tech_text"] == 1).to_numpy(dtype=float)
    t = sw.proportion(desA, "tech_text", subset="adoption == 'adopter'", df="satterthwaite").to_frame().iloc[0]
    assert t["df"] == pytest.approx(_direct_satterthwaite(desA, _mean_scores(desA, yt, inside), inside), rel=1e-10)


def test_df_choices(desA):
    design = sw.proportion(desA, "is_adopter", by="size").to_frame()
    assert design.set_index("size").loc["large", "df"] == 400  # 411 units - 11 strata, as R
    fixed = sw.proportion(desA, "is_adopter", by="size", df=25).to_frame()
    assert (fixed["df"] == 25).all()
    normal = sw.mean(desA, "is_adopter", df=np.inf).to_frame().iloc[0]
    assert normal["ci_high"] - normal["estimate"] == pytest.approx(1.959963984540054 * normal["se"], rel=1e-12)
    for bad in ("welch", "Design"):
        with pytest.raises(InputError, match=r"df='.*' is not a valid choice; use one of \['design', 'satterthwaite'\] or a positive number"):
            sw.proportion(desA, "is_adopter", df=bad)
    for bad in (0, -3.5):
        with pytest.raises(InputError, match=r"is not positive; use one of \['design', 'satterthwaite'\] or a positive number"):
            sw.proportion(desA, "is_adopter", df=bad)


# --------------------------------------------------------------- edge cases / errors
def test_na_policy(desB):
    with pytest.raises(MissingValueError, match=r"variable 'tech_ml' is missing for \d+ respondent\(s\) in the analysed subset .* na='available'"):
        sw.proportion(desB, "tech_ml")
    t = sw.proportion(desB, "tech_ml", na="available").to_frame().iloc[0]
    assert t["n_missing"] == desB.data["tech_ml"].isna().sum()
    assert t["n"] + t["n_missing"] == len(desB.data)


def test_missing_outside_the_subset_is_fine(desA):
    # initiative is empty for non-adopters: no error when analysing adopters
    t = sw.proportion(desA, "initiative", subset="adoption == 'adopter'").to_frame()
    assert t["estimate"].sum() == pytest.approx(1.0)
    with pytest.raises(MissingValueError, match="variable 'initiative' is missing"):
        sw.proportion(desA, "initiative")


def test_level_never_observed_gives_zero(desA):
    data = desA.data.assign(adoption=desA.data["adoption"].cat.add_categories(["unknown"]))
    d = sw.Design(data, strata=["nace", "size"], fpc="N")
    t = sw.proportion(d, "adoption", method="beta").to_frame().set_index("level")
    assert t.loc["unknown", "estimate"] == 0.0 and t.loc["unknown", "se"] == 0.0
    # Korn-Graubard at p = 0: one-sided, with the domain size as effective n
    assert t.loc["unknown", "ci_low"] == 0.0 and 0 < t.loc["unknown", "ci_high"] < 0.01
    with pytest.warns(sw.SurveyWeightsWarning, match="zero-width interval"):
        lg = sw.proportion(d, "adoption", method="logit").to_frame().set_index("level")
    assert lg.loc["unknown", "ci_low"] == lg.loc["unknown", "ci_high"] == 0.0


def test_empty_subset_and_domain(desA):
    with pytest.raises(DomainError, match="the subset contains no respondents"):
        sw.proportion(desA, "is_adopter", subset="size == 'huge'")
    data = desA.data.assign(size=desA.data["size"].cat.add_categories(["huge"]))
    d = sw.Design(data, strata=["nace", "size"], fpc="N")
    with pytest.warns(sw.SurveyWeightsWarning, match=r"category 'huge' of by column 'size' has no respondents in the sample"):
        t = sw.proportion(d, "is_adopter", by="size").to_frame()
    assert list(t["size"]) == ["micro", "small", "medium", "large"]
    # a category the subset excludes on purpose is simply not a domain: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", sw.SurveyWeightsWarning)
        t = sw.proportion(desA, "is_adopter", by="size", subset="size != 'micro'").to_frame()
    assert list(t["size"]) == ["small", "medium", "large"]


def test_errors_name_the_fix(desA):
    with pytest.raises(InputError, match=r"method='wald' is not a valid method; choose one of \['logit', 'likelihood', 'asin', 'beta', 'mean', 'xlogit', 'wilson'\]"):
        sw.proportion(desA, "is_adopter", method="wald")
    with pytest.raises(InputError, match=r"variable column\(s\) \['adopt'\] not found"):
        sw.proportion(desA, "adopt")
    with pytest.raises(InputError, match=r"variable 'N' has values other than 0 and 1 .* use mean\(\)"):
        sw.proportion(desA, "N")
    with pytest.raises(InputError, match=r"level 'yes' does not occur in variable 'adoption'"):
        sw.proportion(desA, "adoption", level="yes")
    with pytest.raises(InputError, match=r"confidence_level=1.5 is outside \(0, 1\)"):
        sw.proportion(desA, "is_adopter", confidence_level=1.5)
    with pytest.raises(InputError, match=r"na='drop' is not a valid policy; choose one of \['error', 'available'\]"):
        sw.proportion(desA, "is_adopter", na="drop")
    with pytest.raises(InputError, match="the first argument must be a Design"):
        sw.proportion(desA.data, "is_adopter")
    with pytest.raises(InputError, match=r"subset: expression 'nonsense ===' is not valid \(invalid syntax\)"):
        sw.proportion(desA, "is_adopter", subset="nonsense ===")


def test_zero_design_df_gives_whole_range():
    df = pd.DataFrame({"h": list("aabb"), "g": list("uvuv"), "y": [1, 0, 0, 1]})
    d = sw.Design(df, strata="h")
    with pytest.warns(sw.SurveyWeightsWarning, match="0 design degrees of freedom"):
        t = sw.proportion(d, "y", by="g").to_frame()
    assert (t["df"] == 0).all() and (t["ci_low"] == 0).all() and (t["ci_high"] == 1).all()
    sat = sw.proportion(d, "y", by="g", df="satterthwaite").to_frame()
    assert (sat["df"] > 0).all()


def test_design_validation():
    df = pd.DataFrame({"h": list("aabb"), "w": [1.0, np.nan, 2.0, 2.0]})
    with pytest.raises(DesignError, match=r"weights are missing or not numeric in 1 row\(s\) \(index 1\)"):
        sw.Design(df, weights="w", strata="h")
    with pytest.raises(DesignError, match=r"weights are negative in 1 row\(s\) \(index 0\)"):
        sw.Design(df.assign(w=[-1.0, 1, 1, 1]), weights="w", strata="h")
    with pytest.raises(DesignError, match=r"weights are zero in 1 row\(s\) \(index 2\); a zero weight marks a unit outside the population"):
        sw.Design(df.assign(w=[1.0, 1, 0, 1]), weights="w", strata="h")
    with pytest.raises(DesignError, match=r"fpc varies within stratum 'a'"):
        sw.Design(df.assign(N=[10, 11, 20, 20]), strata="h", fpc="N")
    with pytest.raises(DesignError, match=r"fpc of stratum 'a' is 1, smaller than its 2 sampled units"):
        sw.Design(df.assign(N=[1, 1, 20, 20]), strata="h", fpc="N")
    with pytest.raises(DesignError, match=r"lonely_psu='drop' is not a valid option; choose one of \['fail', 'remove', 'certainty', 'adjust', 'average'\]"):
        sw.Design(df, strata="h", lonely_psu="drop")


def test_lonely_psu_fails_by_default_and_options_work():
    df = pd.DataFrame({"h": list("aab"), "N": [10, 10, 5], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(LonelyPSUError, match=r"1 stratum/strata have a single sampled unit \('b'\), so their variance cannot be estimated; choose lonely_psu='remove', 'certainty', 'adjust' or 'average'"):
        sw.Design(df, strata="h", fpc="N")
    for opt in ("remove", "certainty", "adjust", "average"):
        t = sw.mean(sw.Design(df, strata="h", fpc="N", lonely_psu=opt), "y").to_frame()
        assert np.isfinite(t["se"].iloc[0])
    # a single unit in a stratum taken completely is no problem (f_h = 1, as R)
    assert sw.Design(df.assign(N=[10, 10, 1]), strata="h", fpc="N").degf == 1


def test_table_columns_are_fixed(desA):
    from surveyweights.estimation import COLUMNS

    for by in (None, "size", ["nace", "size"]):
        t = sw.proportion(desA, ["adoption", "tech_text"], by=by).to_frame()
        by_cols = [] if by is None else ([by] if isinstance(by, str) else by)
        assert list(t.columns) == [*by_cols, *COLUMNS]
        assert t["variable"].notna().all() and t["level"].notna().all()
        assert set(t["variable"]) == {"adoption", "tech_text"}
    m = sw.mean(desA, "N").to_frame()
    assert m["variable"].tolist() == ["N"] and m["level"].isna().all()


def test_confidence_interval_recomputed(desA):
    r = sw.proportion(desA, "is_adopter", by="size", method="logit")
    b = r.confidence_interval(method="beta", confidence_level=0.9)
    direct = sw.proportion(desA, "is_adopter", by="size", method="beta", confidence_level=0.9).to_frame()
    pd.testing.assert_frame_equal(b, direct)
    assert r.to_frame()["method"].eq("logit").all()  # the result itself is unchanged
