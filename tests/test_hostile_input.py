"""Every case of issue 16's "Why": adversarial but realistic input, each with its pinned
message or documented result (the CLI cases are in test_cli.py, the expression escape
routes in test_expressions.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import surveyweights as sw
from surveyweights.errors import (
    DesignError,
    ExpressionError,
    InputError,
    MissingValueError,
    NoDegreesOfFreedomWarning,
)
from surveyweights.estimation.estimates import DesignEffectWarning


def _design(**extra) -> sw.Design:
    df = pd.DataFrame({"h": list("aaaabbbb"), "N": [40] * 4 + [60] * 4,
                       "grp": ["high", "low"] * 4, "y": [1, 0, 1, 1, 0, 0, 1, 0],
                       "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], **extra})
    return sw.Design(df, strata="h", fpc="N")


# --- silently wrong tables ----------------------------------------------------------


@pytest.mark.parametrize("name", ["level", "variable", "n", "estimate", "se", "df", "method"])
@pytest.mark.parametrize("fn", ["proportion", "mean", "total", "difference"])
def test_by_column_named_like_a_result_column_is_refused(name, fn):
    d = _design()
    data = d.data.rename(columns={"grp": name})
    d = sw.Design(data, strata="h", fpc="N")
    with pytest.raises(InputError, match=rf"by column '{name}' has the name of a column of the "
                                         rf"result table \(variable, level, .*\), so one would "
                                         rf"overwrite the other; rename it, e\.g\. data\.rename"):
        if fn == "difference":
            sw.difference(d, "y", by=name, between=("high", "low"))
        else:
            getattr(sw, fn)(d, "y", by=name)


def test_by_column_level_with_a_new_name_keeps_both_domains():
    """The reported bug: domains 'high' and 'low' both came out as level = 1."""
    d = _design()
    t = sw.proportion(d, "y", by="grp").to_frame()
    assert t["grp"].tolist() == ["high", "low"] and t["level"].tolist() == [1, 1]


def test_strata_named_like_a_weighting_diagnostic_are_refused():
    data = pd.DataFrame({"weight": ["a", "b"]})
    pop = pd.DataFrame({"weight": ["a", "b"], "count": [10, 20]})
    with pytest.raises(InputError, match=r"strata column 'weight' has the name of a column of "
                                         r"the weighting diagnostics"):
        sw.poststratify(data, pop, strata="weight", count="count")


def test_a_yes_no_series_is_not_a_mask():
    d = _design()
    yes_no = pd.Series(["yes", "no"] * 4, index=d.data.index)
    with pytest.raises(InputError, match=r"subset mask has dtype (str|object|string) with value "
                                         r"'yes', not True/False or 0/1; a mask is not read by "
                                         r"truthiness: compare explicitly"):
        sw.proportion(d, "y", subset=yes_no)
    with pytest.raises(InputError, match=r"subset mask has dtype int64 with value 2"):
        sw.proportion(d, "y", subset=pd.Series([0, 1, 2, 1, 0, 1, 1, 1], index=d.data.index))
    # 0/1 is accepted, as a boolean
    got = sw.proportion(d, "y", subset=pd.Series([1, 1, 0, 0, 1, 1, 0, 0], index=d.data.index))
    ref = sw.proportion(d, "y", subset="h == 'a' or x < 7")
    assert got.to_frame()["n"].iloc[0] == 4
    assert ref.to_frame()["n"].iloc[0] == 6


def test_integer_ids_against_text_sampled_ids_are_an_error():
    raw = pd.DataFrame({"id": [1001, 1002, 1003, 1004, 1005, 1006], "q": ["y"] * 6})
    with pytest.raises(InputError, match=r"id column 'id' holds numbers \(e\.g\. 1001\) but "
                                         r"sampled_ids holds text \(e\.g\. '1001'\), so no id "
                                         r"would match"):
        sw.screen_responses(raw, sampled_ids=[str(i) for i in raw["id"]])
    kept = sw.screen_responses(raw, sampled_ids=list(raw["id"])).kept
    assert len(kept) == 6


def test_a_path_as_sampled_ids_is_an_error():
    raw = pd.DataFrame({"id": ["s", "a", "m"], "q": ["y"] * 3})
    with pytest.raises(InputError, match=r"sampled_ids='sample\.csv' is a single string, not a "
                                         r"list of ids .* read it first, e\.g\. sampled_ids="
                                         r"pd\.read_csv\('sample\.csv', dtype=str\)\['id'\]"):
        sw.screen_responses(raw, sampled_ids="sample.csv")


def test_code_in_a_subset_string_raises_and_proportion_returns_nothing(tmp_path):
    d = _design()
    with pytest.raises(ExpressionError, match=r"subset: expression .* is not allowed"):
        sw.proportion(d, "y", subset=f"grp == 'high' or __import__('os').mkdir('{tmp_path}/x')")
    assert list(tmp_path.iterdir()) == []


def test_code_in_hot_deck_eligible_raises(tmp_path):
    df = pd.DataFrame({"g": ["a"] * 4, "y": [1.0, np.nan, 2.0, np.nan]})
    with pytest.raises(ExpressionError, match=r"eligible\['y'\]: expression .* is not allowed"):
        sw.hot_deck(df, ["y"], by="g", rng=1,
                    eligible={"y": f"g.to_csv('{tmp_path}/leak.csv') == 0"})
    assert list(tmp_path.iterdir()) == []


# --- raw exceptions -----------------------------------------------------------------


@pytest.mark.parametrize("case, match", [
    ("latin1", r"population file '.*' is not valid utf-8 text \(byte 0xe9 .*encoding='latin-1'"),
    ("empty", r"population file '.*' is empty"),
    ("folder", r"population file '.*' is a folder, not a file"),
    ("dupes", r"population file '.*' has duplicate column names \['N'\]"),
])
def test_file_errors_are_library_errors_naming_the_file_and_the_fix(case, match, tmp_path):
    path = tmp_path / "pop.csv"
    if case == "latin1":
        path.write_bytes("size,N\nCaf\xe9,10\n".encode("latin-1"))
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "folder":
        path.mkdir()
    else:
        path.write_text("size,N,N\nsmall,10,10\n", encoding="utf-8")
    with pytest.raises(InputError, match=match):
        sw.PopulationFrame.read_csv(path, strata="size")


@pytest.mark.parametrize("call, match", [
    (lambda d: sw.proportion(d, 5), r"variable must be a column name or a list of names, got 5"),
    (lambda d: sw.proportion(d, "y", by=3), r"by=3 is not a column name or a list"),
    (lambda d: sw.difference(d, "y", by="grp", between="high"),
     r"between='high' must be a pair \(a, b\) of domains"),
    (lambda d: sw.proportion(d, "y", subset=3), r"subset must be a boolean mask with one value "
                                                r"per row \(8\) or an expression string"),
    (lambda d: sw.screen_responses(d.data.assign(id=range(8)), sampled_ids=7),
     r"sampled_ids must be a list, Series or array of ids, got int"),
])
def test_scalars_and_strings_where_a_list_is_expected_are_errors(call, match):
    with pytest.raises(InputError, match=match):
        call(_design())


# --- undefined numbers --------------------------------------------------------------


def test_inf_in_a_numeric_item_is_an_error():
    d = _design(z=[1.0, np.inf, 3.0, 4.0, 5.0, 6.0, -np.inf, 8.0])
    for fn in (sw.mean, sw.total):
        with pytest.raises(InputError, match=r"variable 'z' has 2 infinite value\(s\) \(index 1, "
                                             r"6\), which have no mean or total"):
            fn(d, "z")


@pytest.mark.parametrize("w, match", [
    ([1.0, np.inf, 1.0, 1.0], r"weights are infinite in 1 row\(s\) \(index 1\)"),
    ([1.0, 1e-200, 1.0, 1.0], r"weights are outside \[1e-100, 1e\+100\] in 1 row\(s\).*rescale"),
    ([1.0, 1e200, 1.0, 1.0], r"weights are outside \[1e-100, 1e\+100\] in 1 row\(s\)"),
    ([True, True, False, True], r"weights are True/False values, not numbers"),
])
def test_non_finite_or_extreme_weights_are_errors(w, match):
    with pytest.raises(DesignError, match=match):
        sw.Design(pd.DataFrame({"w": w, "y": [1, 0, 1, 1]}), weights="w")


def test_combine_rubin_with_zero_df_gives_the_whole_line_with_a_warning():
    frames = [pd.DataFrame({"g": ["u"], "estimate": [0.5 + i / 100], "se": [0.1], "df": [0.0]})
              for i in range(3)]
    with pytest.warns(NoDegreesOfFreedomWarning, match=r"1 combined estimate\(s\) have 0 degrees "
                                                       r"of freedom .* \(-inf, inf\)"):
        out = sw.combine_rubin(frames)
    assert out["df"].iloc[0] == 0.0
    assert out["ci_low"].iloc[0] == -np.inf and out["ci_high"].iloc[0] == np.inf


def test_combine_rubin_refuses_negative_df():
    frames = [pd.DataFrame({"estimate": [0.5], "se": [0.1], "df": [-3.0]}) for _ in range(2)]
    with pytest.raises(InputError, match=r"results\[0\] has a negative df -3\.0 in row 0"):
        sw.combine_rubin(frames)


def test_combine_rubin_on_proportion_frames_with_zero_df():
    """The frames proportion() itself produces for a domain of one unit per stratum."""
    df = pd.DataFrame({"h": list("aabbcc"), "g": list("uvuvuv"), "y": [1, 0, 0, 1, 1, 1]})
    frames = []
    for shift in range(3):
        data = df.assign(y=np.roll(df["y"].to_numpy(), shift))
        with pytest.warns(NoDegreesOfFreedomWarning):
            frames.append(sw.proportion(sw.Design(data, strata="h"), "y", by="g").to_frame())
    with pytest.warns(NoDegreesOfFreedomWarning):
        out = sw.combine_rubin(frames)
    assert np.isinf(out[["ci_low", "ci_high"]].to_numpy()).all()
    assert not out[["estimate", "se"]].isna().any().any()


def test_difference_raises_where_proportion_raises_for_the_same_domain():
    df = pd.DataFrame({"h": list("aaaabbbb"), "g": list("uuvvuuvv"),
                       "y": [1, 0, np.nan, np.nan, 1, 1, np.nan, np.nan]})
    d = sw.Design(df, strata="h")
    msg = r"no respondent in domain g='v' has an observed value of 'y', so it cannot be estimated"
    with pytest.raises(InputError, match=msg):
        sw.proportion(d, "y", by="g", na="available")
    with pytest.raises(InputError, match=msg):
        sw.difference(d, "y", by="g", between=("u", "v"), na="available")


def test_zero_df_behaves_the_same_in_every_estimator():
    df = pd.DataFrame({"h": list("aabbcc"), "g": list("uvuvuv"), "y": [1, 0, 0, 1, 1, 1],
                       "x": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0]})
    d = sw.Design(df, strata="h")
    with pytest.warns(NoDegreesOfFreedomWarning, match="0 design degrees of freedom"):
        p = sw.proportion(d, "y", by="g", df="design").to_frame()
    assert (p["ci_low"] == 0).all() and (p["ci_high"] == 1).all()
    with pytest.warns(NoDegreesOfFreedomWarning, match="0 design degrees of freedom"):
        m = sw.mean(d, "x", by="g").to_frame()
    assert (m["ci_low"] == -np.inf).all() and (m["ci_high"] == np.inf).all()
    # a difference whose two domains have one respondent per stratum: 0 df
    two = pd.DataFrame({"h": list("aabb"), "g": ["u", "w", "v", "w"], "y": [1, 0, 0, 1]})
    with pytest.warns(NoDegreesOfFreedomWarning, match="0 design degrees of freedom"):
        diff = sw.difference(sw.Design(two, strata="h"), "y", by="g",
                             between=("u", "v"), df="design").to_frame().iloc[0]
    assert diff["df"] == 0 and (diff["ci_low"], diff["ci_high"]) == (-1.0, 1.0)
    assert np.isnan(diff["p_value"])


def test_chisq_with_lonely_strata_never_returns_inf_with_nan():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"h": np.arange(30), "a": rng.choice(["x", "y"], 30),
                       "b": rng.choice(["u", "v"], 30)})
    for option in ("remove", "certainty", "average"):
        with pytest.raises(DesignError, match=r"the sampling variance of the table of 'a' x 'b' "
                                              r"is (0|undefined).*Use lonely_psu='adjust'"):
            sw.chisq_test(sw.Design(df, strata="h", lonely_psu=option), "a", "b")
    with pytest.warns(NoDegreesOfFreedomWarning, match=r"the F test has no denominator df"):
        res = sw.chisq_test(sw.Design(df, strata="h", lonely_psu="adjust"), "a", "b")
    assert np.isnan(res.p_value) and np.isfinite(res.statistic) and 0 <= res.p_value_chisq <= 1


def test_very_small_weights_never_give_a_negative_design_effect():
    d = sw.Design(pd.DataFrame({"h": list("aabb"), "w": [0.001, 0.002, 0.003, 0.001],
                                "y": [1, 0, 1, 1]}), strata="h", weights="w")
    with pytest.warns(DesignEffectWarning, match=r"sampling with replacement \(R's deff='replace'; "
                                                 r"R's deff=TRUE is negative\)"):
        t = sw.proportion(d, "y").to_frame().iloc[0]
    assert t["deff"] > 0 and t["n_eff"] == pytest.approx(4 / t["deff"])


def test_a_missing_by_value_or_all_missing_domain_is_an_error_everywhere():
    df = pd.DataFrame({"h": list("aaaa"), "g": ["u", "u", None, "v"], "y": [1, 0, 1, 0]})
    d = sw.Design(df, strata="h")
    for call in (lambda: sw.proportion(d, "y", by="g"), lambda: sw.mean(d, "y", by="g"),
                 lambda: sw.difference(d, "y", by="g", between=("u", "v"))):
        with pytest.raises(MissingValueError, match=r"by column 'g' is missing in 1 row\(s\)"):
            call()


def test_inputs_are_never_mutated():
    d = _design()
    before = d.data.copy(deep=True)
    mask = pd.Series([True, False] * 4, index=d.data.index)
    mask_before = mask.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sw.proportion(d, "y", by="grp", subset=mask)
        sw.difference(d, "x", by="grp", between=("high", "low"), subset="x > 1")
    pd.testing.assert_frame_equal(d.data, before)
    pd.testing.assert_series_equal(mask, mask_before)
