"""Tests of surveyweights.imputation (random hot deck within classes)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from surveyweights.errors import ImputationError, InputError, MissingValueError
from surveyweights.imputation import (
    DONOR_METHODS,
    EligibilityWarning,
    HotDeckResult,
    hot_deck,
    multiply_impute,
)
from surveyweights.rubin import MultipleImputation, combine_rubin

FIXTURES = Path(__file__).parent / "fixtures" / "r_extra"  # dataset_B.csv: see its README
NONINDIVIDUAL = ["teams", "it", "management"]


def load_b() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "dataset_B.csv")


def phase_rule(d: pd.DataFrame) -> pd.Series:
    return d["adoption"].eq("adopter") & d["initiative"].isin(NONINDIVIDUAL)


def small_frame() -> pd.DataFrame:
    """Two classes, one item with a missing value in each class."""
    return pd.DataFrame(
        {
            "g": ["a", "a", "a", "b", "b", "b"],
            "y": [1.0, np.nan, 2.0, 7.0, 8.0, np.nan],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


# ---------------------------------------------------------------------------
# basic behaviour
# ---------------------------------------------------------------------------


def test_values_come_from_the_recipients_class():
    df = small_frame()
    res = hot_deck(df, ["y"], by="g", rng=1, return_donors=True)
    assert isinstance(res, HotDeckResult)
    assert res.data.loc[11, "y"] in {1.0, 2.0}
    assert res.data.loc[15, "y"] in {7.0, 8.0}
    assert res.flags["y"].tolist() == [False, True, False, False, False, True]
    assert set(res.donors["recipient"]) == {11, 15}
    # the input is not modified
    assert df["y"].isna().sum() == 2


def test_report_levels_and_to_frame():
    df = small_frame()
    res = hot_deck(df, ["y"], by=["g"], rng=1)
    row = res.report.iloc[0]
    assert row["item"] == "y"
    assert (row["n_missing"], row["n_eligible_missing"], row["n_imputed"]) == (2, 2, 2)
    assert (row["n_not_eligible"], row["n_level_0"]) == (0, 2)
    assert res.levels.to_dict("list") == {
        "level": [0],
        "class_columns": ["g"],
        "n_imputed": [2],
    }
    assert res.to_frame().equals(res.report)
    assert res.donors is None


def test_dtypes_categories_index_and_columns_are_kept():
    rng = np.random.default_rng(5)
    n = 60
    g = np.repeat(["a", "b", "c"], n // 3)
    holes = rng.random(n) < 0.3
    holes[[0, 20, 40]] = False  # every class keeps a donor
    cats = ["lo", "mid", "hi", "never_used"]
    df = pd.DataFrame(
        {
            "g": pd.Categorical(g),
            "cat": pd.Categorical(rng.choice(cats[:3], n), categories=cats, ordered=True),
            "s": pd.array(rng.choice(["x", "y", "z"], n), dtype="str"),
            "i": pd.array(rng.integers(0, 9, n), dtype="Int64"),
            "f": rng.normal(size=n),
            "b": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "o": np.array(list(rng.random(n) < 0.5), dtype=object),
            "untouched": np.arange(n),
        },
        index=pd.Index([f"r{k}" for k in range(n)], name="rid"),
    )
    items = ["cat", "s", "i", "f", "b", "o"]
    for c in items:
        df[c] = df[c].mask(holes)
    res = hot_deck(df, items, by="g", rng=3)
    assert res.data.dtypes.equals(df.dtypes)
    assert list(res.data.columns) == list(df.columns)
    assert res.data.index.equals(df.index)
    assert list(res.data["cat"].cat.categories) == cats
    assert res.data["cat"].cat.ordered
    assert res.data[items].notna().all().all()
    assert (res.flags == pd.DataFrame({c: holes for c in items}, index=df.index)).all().all()
    assert res.data["untouched"].equals(df["untouched"])


def test_fixture_dataset_b_with_skip_logic_and_block():
    df = load_b()
    adopter = df["adoption"].eq("adopter")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the completed data must obey the skip logic
        res = hot_deck(
            df,
            ["tech_ml", "initiative", "phase", "budget"],
            by=["nace", "size"],
            rng=2025,
            eligible={"initiative": adopter, "phase": phase_rule, "budget": "adoption == 'adopter'"},
            blocks=[["initiative", "phase"]],
            fallback=[["size"], []],
        )
    out = res.data
    rep = res.report.set_index("item")
    # the missing cells documented in the fixture README are exactly the imputed ones
    assert rep.loc["tech_ml", "n_imputed"] == 96
    assert rep.loc["initiative", "n_imputed"] == 124
    assert rep.loc["budget", "n_imputed"] == 112
    assert rep.loc["initiative", "n_not_eligible"] == (~adopter).sum()
    assert out.dtypes.equals(df.dtypes)
    # skip logic holds on the completed data
    assert out.loc[adopter, ["tech_ml", "initiative", "budget"]].notna().all().all()
    assert out.loc[~adopter, ["initiative", "phase", "budget"]].isna().all().all()
    assert out["phase"].notna().eq(phase_rule(out)).all()
    # observed values never change
    for c in ["tech_ml", "initiative", "phase", "budget"]:
        obs = df[c].notna()
        assert out.loc[obs, c].equals(df.loc[obs, c])
    # phase observed with initiative missing -> the imputed initiative routes to phase
    d_case = df["initiative"].isna() & df["phase"].notna()
    assert d_case.any()
    assert out.loc[d_case, "initiative"].isin(NONINDIVIDUAL).all()
    assert not res.flags.loc[d_case, "phase"].any()


# ---------------------------------------------------------------------------
# eligibility / skip logic
# ---------------------------------------------------------------------------


def elig_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "g": ["a"] * 6,
            "asked": [True, True, True, False, False, True],
            "y": ["p", np.nan, "q", np.nan, np.nan, np.nan],
        }
    )


@pytest.mark.parametrize(
    "rule",
    [
        "mask",
        "array",
        "query",
        "callable",
    ],
)
def test_eligibility_forms_agree_and_skips_stay_missing(rule):
    df = elig_frame()
    spec = {
        "mask": df["asked"],
        "array": df["asked"].to_numpy(),
        "query": "asked",
        "callable": lambda d: d["asked"],
    }[rule]
    res = hot_deck(df, ["y"], by="g", rng=7, eligible={"y": spec}, return_donors=True)
    ref = hot_deck(df, ["y"], by="g", rng=7, eligible={"y": df["asked"]})
    assert res.data.equals(ref.data)
    assert res.data.loc[[3, 4], "y"].isna().all()
    assert res.data.loc[[1, 5], "y"].isin(["p", "q"]).all()
    assert res.flags["y"].tolist() == [False, True, False, False, False, True]
    row = res.report.iloc[0]
    assert (row["n_missing"], row["n_eligible_missing"], row["n_not_eligible"]) == (4, 2, 2)
    assert set(res.donors["donor"]) <= {0, 2}


def test_ineligible_row_with_value_is_kept_reported_and_never_donates():
    df = pd.DataFrame(
        {
            "g": ["a"] * 5,
            "asked": [True, True, False, True, True],
            "y": [1.0, 1.0, 99.0, np.nan, np.nan],
        }
    )
    with pytest.warns(EligibilityWarning, match=r"item 'y': 1 row\(s\) are not eligible but hold a value"):
        res = hot_deck(df, ["y"], by="g", rng=0, eligible={"y": df["asked"]})
    assert res.data.loc[2, "y"] == 99.0
    assert (res.data.loc[[3, 4], "y"] == 1.0).all()
    assert res.report.loc[0, "n_ineligible_with_value"] == 1


def test_sequential_imputation_warns_when_a_rule_depends_on_a_later_item():
    df = load_b()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hot_deck(
            df,
            ["phase", "initiative"],  # wrong order: phase's rule needs initiative
            by=["nace", "size"],
            rng=1,
            eligible={"initiative": df["adoption"].eq("adopter"), "phase": phase_rule},
            fallback=[["size"], []],
        )
    msgs = [str(w.message) for w in caught if issubclass(w.category, EligibilityWarning)]
    # at phase time, rows with a missing initiative but an observed phase look ineligible
    n_d = int((df["initiative"].isna() & df["phase"].notna()).sum())
    assert any(m.startswith(f"item 'phase': {n_d} row(s) are not eligible but hold a value") for m in msgs)
    assert any(m.startswith("item 'phase': on the completed data") for m in msgs)


def test_sequential_items_see_earlier_imputations():
    """initiative first, then phase: the callable sees the imputed initiative."""
    df = load_b()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = hot_deck(
            df,
            ["initiative", "phase"],
            by=["nace", "size"],
            rng=4,
            eligible={"initiative": df["adoption"].eq("adopter"), "phase": phase_rule},
            fallback=[["size"], []],
        )
    out = res.data
    # phase is imputed exactly where the imputed initiative routes to it
    expected = phase_rule(out) & df["phase"].isna()
    assert res.flags["phase"].equals(expected)
    assert expected.any()
    # without a block, a unit with an observed phase can receive an individual
    # initiative: the contradiction is reported, not repaired
    clash = df["phase"].notna() & ~phase_rule(out)
    assert clash.any()
    assert out.loc[clash, "phase"].equals(df.loc[clash, "phase"])
    msgs = [str(w.message) for w in caught if issubclass(w.category, EligibilityWarning)]
    assert msgs == [
        m for m in msgs if m.startswith(f"item 'phase': {int(clash.sum())} row(s) are not eligible")
    ] and len(msgs) == 1
    assert res.report.set_index("item").loc["phase", "n_ineligible_with_value"] == clash.sum()


# ---------------------------------------------------------------------------
# fallback classes
# ---------------------------------------------------------------------------


def fallback_frame() -> pd.DataFrame:
    # class (a, small) has a recipient but no donor; size=small has donors elsewhere
    return pd.DataFrame(
        {
            "nace": ["a", "a", "b", "b", "b", "c"],
            "size": ["small", "large", "small", "small", "large", "large"],
            "y": [np.nan, 5.0, 1.0, 2.0, np.nan, np.nan],
        }
    )


def test_without_fallback_an_empty_class_is_an_error_naming_class_and_fix():
    df = fallback_frame()
    with pytest.raises(
        ImputationError,
        match=r"item 'y': no donor in its imputation class.*\(nace='a', size='small'\): "
        r"1 recipient\(s\) left without donor, 0 donor\(s\) in the class.*fallback=\[\['size'\], \[\]\]",
    ):
        hot_deck(df, ["y"], by=["nace", "size"], rng=0)


def test_fallback_levels_are_used_in_order_and_reported():
    df = fallback_frame()
    res = hot_deck(
        df, ["y"], by=["nace", "size"], rng=0, fallback=[["size"], []], return_donors=True
    )
    d = res.donors.set_index("recipient")
    # (a, small) -> size=small donors {2, 3}; (b, large) -> no donor in class -> size=large {1}
    assert d.loc[0, "level"] == 1 and d.loc[0, "donor"] in {2, 3}
    assert d.loc[4, "level"] == 1 and d.loc[4, "donor"] == 1
    assert d.loc[5, "level"] == 1 and d.loc[5, "donor"] == 1
    assert res.report.loc[0, ["n_level_0", "n_level_1", "n_level_2"]].tolist() == [0, 3, 0]
    assert res.levels["class_columns"].tolist() == ["nace x size", "size", "(everyone)"]


def test_last_fallback_level_without_donor_is_an_error():
    df = fallback_frame()
    df.loc[[1], "y"] = np.nan  # size=large has no donor anymore
    with pytest.raises(
        ImputationError,
        match=r"even at the last fallback level \[size\].*size='large'.*add a coarser fallback level",
    ):
        hot_deck(df, ["y"], by=["nace", "size"], rng=0, fallback=[["size"]])


# ---------------------------------------------------------------------------
# donor rules
# ---------------------------------------------------------------------------


def test_weighted_donors_follow_the_weights():
    n_rec = 4000
    df = pd.DataFrame(
        {
            "g": "a",
            "w": [1.0, 3.0, 0.0] + [1.0] * n_rec,
            "y": [0.0, 1.0, 2.0] + [np.nan] * n_rec,
        }
    )
    res = hot_deck(df, ["y"], by="g", rng=11, donors="weighted", weights="w")
    imputed = res.data["y"].iloc[3:]
    assert not (imputed == 2.0).any()  # weight 0 is never drawn
    share = (imputed == 1.0).mean()
    # binomial test of P(donor 1) = 3/4 at the 0.1% level
    assert stats.binomtest(int((imputed == 1.0).sum()), n_rec, 0.75).pvalue > 1e-3
    assert abs(share - 0.75) < 0.05


def test_weighted_donors_accept_series_and_array():
    df = small_frame()
    w = pd.Series([1.0, 1.0, 2.0, 1.0, 0.5, 1.0], index=df.index)
    a = hot_deck(df, ["y"], by="g", rng=2, donors="weighted", weights=w)
    b = hot_deck(df, ["y"], by="g", rng=2, donors="weighted", weights=w.to_numpy())
    assert a.data.equals(b.data)


def test_without_replacement_never_reuses_a_donor():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"g": rng.integers(0, 4, n), "y": rng.normal(size=n)})
    df["y"] = df["y"].mask(rng.random(n) < 0.4)
    res = hot_deck(df, ["y"], by="g", rng=1, donors="without_replacement", return_donors=True)
    assert not res.donors["donor"].duplicated().any()
    assert len(res.donors) == df["y"].isna().sum()


def test_without_replacement_overflow_goes_to_fallback_or_errors():
    df = pd.DataFrame(
        {"g": ["a", "a", "a", "b", "b"], "y": [1.0, np.nan, np.nan, 5.0, 6.0]}
    )
    with pytest.raises(
        ImputationError,
        match=r"can each be used only max_uses=1 time\(s\).*\(g='a'\): 1 recipient\(s\) left without donor, "
        r"1 donor\(s\) in the class.*fallback=\[\[\]\]",
    ):
        hot_deck(df, ["y"], by="g", rng=0, donors="without_replacement")
    res = hot_deck(
        df, ["y"], by="g", rng=0, donors="without_replacement", fallback=[[]], return_donors=True
    )
    assert sorted(res.donors["level"]) == [0, 1]
    assert not res.donors["donor"].duplicated().any()
    assert res.report.loc[0, ["n_level_0", "n_level_1"]].tolist() == [1, 1]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_max_uses_caps_donor_use(k):
    df = pd.DataFrame({"g": "a", "y": [1.0, 2.0, 3.0] + [np.nan] * (3 * k)})
    res = hot_deck(df, ["y"], by="g", rng=k, max_uses=k, return_donors=True)
    assert res.donors["donor"].value_counts().max() <= k
    assert len(res.donors) == 3 * k  # capacity exactly met


def test_weighted_without_replacement():
    df = pd.DataFrame({"g": "a", "w": [1.0, 5.0, 0.0, 2.0], "y": [1.0, 2.0, 3.0, np.nan]})
    res = hot_deck(
        df, ["y"], by="g", rng=3, donors="weighted", weights="w", max_uses=1, return_donors=True
    )
    assert res.donors["donor"].iloc[0] in {0, 1}


# ---------------------------------------------------------------------------
# blocks (joint imputation)
# ---------------------------------------------------------------------------


def test_block_items_come_from_one_donor():
    rng = np.random.default_rng(9)
    n = 300
    df = pd.DataFrame(
        {
            "g": rng.integers(0, 3, n),
            "a": rng.integers(0, 50, n).astype(float),
            "b": rng.integers(0, 50, n).astype(float),
        }
    )
    df["a"] = df["a"].mask(rng.random(n) < 0.2)
    df["b"] = df["b"].mask(rng.random(n) < 0.2)
    res = hot_deck(df, ["a", "b"], by="g", rng=2, blocks=[["a", "b"]], return_donors=True)
    d = res.donors
    both = d.groupby("recipient")["donor"].agg(["nunique", "size"])
    assert (both["nunique"] == 1).all()
    for _, r in d.iterrows():
        assert res.data.loc[r.recipient, r["item"]] == df.loc[r.donor, r["item"]]
        # the donor answered everything the recipient needs
        assert df.loc[r.donor, ["a", "b"]].notna().all()
    # a recipient that answered 'a' keeps its own 'a'
    keep = df["a"].notna()
    assert res.data.loc[keep, "a"].equals(df.loc[keep, "a"])


def test_block_copies_skip_pattern_with_the_donor():
    """Recipient missing initiative and phase gets the donor's pair, skip included."""
    df = pd.DataFrame(
        {
            "g": "x",
            "adoption": "adopter",
            "initiative": ["teams", "individual_shadow", np.nan, np.nan, "it"],
            "phase": ["scale", np.nan, np.nan, "integrate", np.nan],
        }
    )
    for seed in range(30):
        res = hot_deck(
            df,
            ["initiative", "phase"],
            by="g",
            rng=seed,
            eligible={"phase": phase_rule},
            blocks=[["initiative", "phase"]],
            return_donors=True,
        )
        out = res.data
        d = res.donors.groupby("recipient")["donor"].unique()
        # row 2 (both missing): the whole pair of donor 0 or 1
        assert d.loc[2].tolist() in ([0], [1])
        donor = d.loc[2][0]
        assert out.loc[2, "initiative"] == df.loc[donor, "initiative"]
        # equality, not identity: with pyarrow installed pandas' str columns hand out
        # a new Python object on every access
        assert out.loc[2, "phase"] == df.loc[donor, "phase"] or (
            pd.isna(out.loc[2, "phase"]) and pd.isna(df.loc[donor, "phase"])
        )
        assert res.flags.loc[2, "phase"] == (donor == 0)
        # row 3 (phase observed): only donor 0 answered phase
        assert out.loc[3, "initiative"] == "teams" and out.loc[3, "phase"] == "integrate"
        # row 4 (initiative observed 'it', phase missing): phase from donor 0
        assert out.loc[4, "phase"] == "scale"
        assert out["phase"].notna().eq(phase_rule(out)).all()


def test_block_with_rule_on_unshared_column_is_an_error():
    # phase is asked of non-individual initiatives in micro firms only; the
    # only donor is not micro, so its phase is a skip, but the recipient (micro)
    # becomes eligible for phase once it receives the donor's initiative
    df = pd.DataFrame(
        {
            "g": ["x", "x", "y"],
            "micro": [False, True, True],
            "initiative": ["teams", np.nan, "it"],
            "phase": [np.nan, np.nan, "scale"],
        }
    )
    rule = lambda d: d["initiative"].isin(NONINDIVIDUAL) & d["micro"]  # noqa: E731
    with pytest.raises(
        ImputationError,
        match=r"block \['initiative', 'phase'\]: 1 recipient\(s\) \(rows 1\) are eligible for "
        r"'phase' after the earlier block items were copied, but their donor has no value.*"
        r"add those columns to by=",
    ):
        hot_deck(
            df,
            ["initiative", "phase"],
            by="g",
            rng=0,
            eligible={"phase": rule},
            blocks=[["initiative", "phase"]],
        )


# ---------------------------------------------------------------------------
# randomness
# ---------------------------------------------------------------------------


def rng_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 500
    df = pd.DataFrame({"g": rng.integers(0, 5, n), "y": rng.normal(size=n)})
    df["y"] = df["y"].mask(rng.random(n) < 0.3)
    return df


def test_same_seed_same_result_and_seed_forms():
    df = rng_frame()
    a = hot_deck(df, ["y"], by="g", rng=42, return_donors=True)
    b = hot_deck(df, ["y"], by="g", rng=42, return_donors=True)
    c = hot_deck(df, ["y"], by="g", rng=np.random.default_rng(42), return_donors=True)
    s = hot_deck(df, ["y"], by="g", rng=np.random.SeedSequence(42))
    assert a.data.equals(b.data) and a.donors.equals(b.donors)
    assert a.data.equals(c.data)
    assert a.data.equals(s.data)


def test_different_seeds_give_different_draws():
    df = rng_frame()
    # ~150 recipients with ~70 donors each: equal draws have probability ~70**-150
    a = hot_deck(df, ["y"], by="g", rng=1)
    b = hot_deck(df, ["y"], by="g", rng=2)
    assert not a.data["y"].equals(b.data["y"])


def test_no_global_random_state_is_used():
    df = rng_frame()
    before = np.random.get_state()
    hot_deck(df, ["y"], by="g", rng=5)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


# ---------------------------------------------------------------------------
# validation errors
# ---------------------------------------------------------------------------


def test_error_unknown_columns_are_listed():
    with pytest.raises(InputError, match=r"columns names column\(s\) \['zz', 'yy'\] that are not in the data"):
        hot_deck(small_frame(), ["y", "zz", "yy"], by="g", rng=0)
    with pytest.raises(InputError, match=r"by names column\(s\) \['nace'\]"):
        hot_deck(small_frame(), ["y"], by=["nace"], rng=0)
    with pytest.raises(InputError, match=r"fallback\[0\] names column\(s\) \['size'\]"):
        hot_deck(small_frame(), ["y"], by="g", rng=0, fallback=[["size"]])


def test_error_class_column_with_missing_values():
    df = small_frame()
    df.loc[12, "g"] = np.nan
    with pytest.raises(
        MissingValueError,
        match=r"class column 'g' has 1 missing value\(s\) \(rows 12\).*fillna\('unknown'\)\) or drop",
    ):
        hot_deck(df, ["y"], by="g", rng=0)


def test_error_item_without_observed_value():
    df = small_frame().assign(z=np.nan)
    with pytest.raises(ImputationError, match=r"item 'z' has no observed value in any of the 6 rows"):
        hot_deck(df, ["y", "z"], by="g", rng=0)


def test_error_bad_rng():
    with pytest.raises(InputError, match=r"rng='seed' cannot seed a random generator"):
        hot_deck(small_frame(), ["y"], by="g", rng="seed")


@pytest.mark.parametrize(
    ("weights", "error", "pattern"),
    [
        (None, InputError, r"donors='weighted' needs weights="),
        ([1.0, -1.0, 1.0, 1.0, 1.0, 1.0], InputError, r"weights have 1 negative value\(s\) \(e\.g\. -1\.0 at row 11\)"),
        ([1.0, np.nan, 1.0, 1.0, 1.0, 1.0], MissingValueError, r"weights have 1 missing or infinite value\(s\) \(rows 11\)"),
        ([1.0, 1.0], InputError, r"weights has shape \(2,\) but the data have 6 rows"),
        ("nope", InputError, r"weights names column\(s\) \['nope'\]"),
        ("y", InputError, r"weights='y' is also an item to impute"),
    ],
)
def test_error_bad_weights(weights, error, pattern):
    with pytest.raises(error, match=pattern):
        hot_deck(small_frame(), ["y"], by="g", rng=0, donors="weighted", weights=weights)


def test_error_weights_without_weighted_method():
    with pytest.raises(InputError, match=r"weights= is only used with donors='weighted', but donors='random'"):
        hot_deck(small_frame(), ["y"], by="g", rng=0, weights=[1.0] * 6)


def test_error_all_donor_weights_zero():
    df = small_frame()
    with pytest.raises(ImputationError, match=r"all donors who answered 'y' have weight 0"):
        hot_deck(df, ["y"], by="g", rng=0, donors="weighted", weights=[0.0, 1, 0, 1, 1, 1])


def test_error_unknown_donor_method_lists_valid_ones():
    with pytest.raises(
        InputError,
        match=r"donors='rand' is not a donor method; valid: \['random', 'weighted', 'without_replacement'\]",
    ):
        hot_deck(small_frame(), ["y"], by="g", rng=0, donors="rand")
    assert DONOR_METHODS == ("random", "weighted", "without_replacement")


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_error_bad_max_uses(bad):
    with pytest.raises(InputError, match=r"max_uses=.* must be a positive integer"):
        hot_deck(small_frame(), ["y"], by="g", rng=0, max_uses=bad)


def test_error_conflicting_donor_options():
    with pytest.raises(InputError, match=r"donors='without_replacement' means max_uses=1, but max_uses=2"):
        hot_deck(small_frame(), ["y"], by="g", rng=0, donors="without_replacement", max_uses=2)
    with pytest.raises(InputError, match=r"bootstrap=True cannot be combined with max_uses=1"):
        hot_deck(small_frame(), ["y"], by="g", rng=0, max_uses=1, bootstrap=True)


def test_error_misaligned_or_bad_masks():
    df = small_frame()
    shifted = pd.Series(True, index=df.index + 100)
    with pytest.raises(InputError, match=r"eligible\['y'\] is a Series whose index is not the data's index.*reindex"):
        hot_deck(df, ["y"], by="g", rng=0, eligible={"y": shifted})
    with pytest.raises(InputError, match=r"eligible\['y'\] has shape \(3,\) but the data have 6 rows"):
        hot_deck(df, ["y"], by="g", rng=0, eligible={"y": np.ones(3, bool)})
    with pytest.raises(MissingValueError, match=r"eligible\['y'\] has 1 missing value\(s\).*fillna\(False\)"):
        m = pd.Series([True, None, True, True, True, True], index=df.index, dtype="boolean")
        hot_deck(df, ["y"], by="g", rng=0, eligible={"y": m})
    with pytest.raises(InputError, match=r"eligible\['y'\] has dtype int64, but an eligibility mask must be boolean"):
        hot_deck(df, ["y"], by="g", rng=0, eligible={"y": np.ones(6, int)})
    with pytest.raises(InputError, match=r"eligible\['y'\]: expression 'nonsense ==' is not valid \(invalid syntax\)"):
        hot_deck(df, ["y"], by="g", rng=0, eligible={"y": "nonsense =="})
    with pytest.raises(InputError, match=r"eligible names \['x'\], which are not items"):
        hot_deck(df, ["y"], by="g", rng=0, eligible={"x": np.ones(6, bool)})


def test_error_misc_arguments():
    df = small_frame()
    with pytest.raises(InputError, match=r"data is a dict, but hot_deck needs a pandas DataFrame"):
        hot_deck(df.to_dict(), ["y"], by="g", rng=0)
    with pytest.raises(InputError, match=r"columns=\[\] names no item"):
        hot_deck(df, [], by="g", rng=0)
    with pytest.raises(InputError, match=r"columns lists \['y'\] more than once"):
        hot_deck(df, ["y", "y"], by="g", rng=0)
    with pytest.raises(InputError, match=r"\['g'\] are both items to impute and class columns"):
        hot_deck(df, ["y", "g"], by="g", rng=0)
    with pytest.raises(InputError, match=r"fallback='g' must be a list of class definitions"):
        hot_deck(df, ["y"], by="g", rng=0, fallback="g")
    with pytest.raises(InputError, match=r"by=3 is not a column name or a list"):
        hot_deck(df, ["y"], by=3, rng=0)


def test_error_bad_blocks():
    df = small_frame().assign(z=1.0)
    with pytest.raises(InputError, match=r"block \['y', 'q'\] names 'q', which is not in columns"):
        hot_deck(df, ["y", "z"], by="g", rng=0, blocks=[["y", "q"]])
    with pytest.raises(InputError, match=r"'y' is in two blocks"):
        hot_deck(df, ["y", "z"], by="g", rng=0, blocks=[["y", "z"], ["y"]])
    with pytest.raises(InputError, match=r"blocks contains an empty block"):
        hot_deck(df, ["y", "z"], by="g", rng=0, blocks=[[]])


# ---------------------------------------------------------------------------
# hypothesis properties
# ---------------------------------------------------------------------------


@st.composite
def survey_frames(draw):
    n = draw(st.integers(min_value=1, max_value=30))
    g = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    h = draw(st.lists(st.sampled_from(["u", "v"]), min_size=n, max_size=n))
    y = draw(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=n, max_size=n))
    z = draw(st.lists(st.one_of(st.none(), st.sampled_from(["p", "q", "r"])), min_size=n, max_size=n))
    elig = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    labels = draw(st.permutations(list(range(100, 100 + n))))
    df = pd.DataFrame(
        {
            "g": g,
            "h": h,
            "y": pd.array([np.nan if v is None else float(v) for v in y], dtype="float64"),
            "z": pd.array(z, dtype="str"),
            "ok": elig,
        },
        index=pd.Index(labels),
    )
    return df


def run_or_explain(df, **kw):
    """Run hot_deck; return None when it rightly refuses (no donor)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EligibilityWarning)
        try:
            return hot_deck(df, ["y", "z"], by=["g", "h"], return_donors=True, **kw)
        except ImputationError as exc:
            msg = str(exc)
            assert "no donor" in msg or "no observed value" in msg
            return None


def check_invariants(df, res, eligible, *, blocks=False, max_uses=None):
    out, donors = res.data, res.donors
    items = ["y", "z"]
    # observed values never change
    for c in items:
        obs = df[c].notna()
        assert out.loc[obs, c].equals(df.loc[obs, c])
    # flags mark exactly the cells that changed from missing to a value
    changed = df[items].isna() & out[items].notna()
    assert res.flags.equals(changed)
    assert set(zip(donors["recipient"], donors["item"])) == {
        (r, c) for c in items for r in df.index[changed[c]]
    }
    # every imputed value is an eligible donor's observed value from a valid class
    for r, item, d, lev in donors.itertuples(index=False):
        assert out.loc[r, item] == df.loc[d, item]
        assert eligible[df.index.get_loc(d)]
        assert df.loc[d, item] == df.loc[d, item]  # observed (not NaN)
        if lev == 0:
            assert tuple(df.loc[d, ["g", "h"]]) == tuple(df.loc[r, ["g", "h"]])
        elif lev == 1:
            assert df.loc[d, "g"] == df.loc[r, "g"]
    # ineligible cells that were missing stay missing; eligible ones are filled
    inel = ~pd.Series(eligible, index=df.index)
    for c in items:
        assert out.loc[inel & df[c].isna(), c].isna().all()
        assert out.loc[~inel, c].notna().all()
    if blocks:
        assert (donors.groupby("recipient")["donor"].nunique() == 1).all()
    if max_uses is not None:
        assert (donors.groupby("item")["donor"].value_counts() <= max_uses).all()
    rep = res.report.set_index("item")
    level_cols = [c for c in rep.columns if c.startswith("n_level_")]
    assert (rep["n_imputed"] == rep[level_cols].sum(axis=1)).all()
    assert (rep["n_missing"] == rep["n_eligible_missing"] + rep["n_not_eligible"]).all()
    assert (rep["n_imputed"] == rep["n_eligible_missing"]).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    df=survey_frames(),
    method=st.sampled_from(["random", "weighted", "without_replacement", "max2", "bootstrap"]),
    joint=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_hot_deck_invariants(df, method, joint, seed):
    eligible = df["ok"].to_numpy()
    kw = {
        "rng": seed,
        "eligible": {"y": df["ok"], "z": "ok"},
        "fallback": [["g"], []],
        "blocks": [["y", "z"]] if joint else None,
    }
    max_uses = None
    if method == "weighted":
        kw.update(donors="weighted", weights=np.linspace(0.5, 2.0, len(df)))
    elif method == "without_replacement":
        kw.update(donors="without_replacement")
        max_uses = 1
    elif method == "max2":
        kw.update(max_uses=2)
        max_uses = 2
    elif method == "bootstrap":
        kw.update(bootstrap=True)
    res = run_or_explain(df, **kw)
    if res is None:
        # it may only refuse when some item lacks eligible donors / capacity
        return
    check_invariants(df, res, eligible, blocks=joint, max_uses=max_uses)
    again = run_or_explain(df, **kw)
    assert again.data.equals(res.data) and again.donors.equals(res.donors)


@settings(max_examples=60, deadline=None)
@given(df=survey_frames(), seed=st.integers(0, 2**32 - 1))
def test_property_refusal_only_when_no_eligible_donor_exists(df, seed):
    """Without fallback, an error happens iff some class has recipients and no donors."""
    ok = df["ok"]
    expect_error = False
    for c in ["y", "z"]:
        if df[c].isna().all():
            expect_error = True
        rec = df[ok & df[c].isna()].groupby(["g", "h"]).size()
        don = df[ok & df[c].notna()].groupby(["g", "h"]).size()
        if any(k not in don.index for k in rec.index):
            expect_error = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EligibilityWarning)
        if expect_error:
            with pytest.raises(ImputationError):
                hot_deck(df, ["y", "z"], by=["g", "h"], rng=seed, eligible={"y": ok, "z": ok})
        else:
            res = hot_deck(df, ["y", "z"], by=["g", "h"], rng=seed, eligible={"y": ok, "z": ok})
            assert res.report["n_level_0"].sum() == res.flags.to_numpy().sum()


@settings(max_examples=40, deadline=None)
@given(df=survey_frames(), seed=st.integers(0, 2**32 - 1))
def test_property_row_order_does_not_change_the_set_of_candidate_donors(df, seed):
    """Shuffling rows keeps each imputed value inside the recipient's class values."""
    shuffled = df.sample(frac=1.0, random_state=np.random.RandomState(seed % 2**31))
    res = run_or_explain(shuffled, rng=seed, fallback=None)
    if res is None:
        return
    for r, item, d, _ in res.donors.itertuples(index=False):
        same = (df["g"] == df.loc[r, "g"]) & (df["h"] == df.loc[r, "h"])
        assert res.data.loc[r, item] in set(df.loc[same, item].dropna())


# ---------------------------------------------------------------------------
# simulation: unbiasedness and interval coverage
# ---------------------------------------------------------------------------

N_H = np.array([1000.0, 2000.0, 1500.0, 500.0])  # population stratum sizes
P_H = np.array([0.2, 0.45, 0.6, 0.85])  # P(y = 1) per stratum


def strat_estimate(y: np.ndarray, g: np.ndarray, n_h: np.ndarray) -> tuple[float, float]:
    """Stratified proportion with weights N_h/n_h and its SE (no fpc)."""
    W = N_H / N_H.sum()
    means = np.bincount(g, weights=y, minlength=4) / n_h
    ss = np.bincount(g, weights=(y - means[g]) ** 2, minlength=4)
    var = np.sum(W**2 * ss / (n_h - 1) / n_h)
    return float(np.sum(W * means)), float(np.sqrt(var))


def test_simulation_imputed_weighted_proportion_is_unbiased():
    """MCAR within classes: E[p_imputed - p_full] = 0, checked against the MC SE."""
    n_h = np.array([60, 80, 100, 120])
    g = np.repeat(np.arange(4), n_h)
    gen = np.random.default_rng(20250101)
    y = (gen.random(g.size) < P_H[g]).astype(float)
    p_full, _ = strat_estimate(y, g, n_h)
    rates = np.array([0.6, 0.1, 0.3, 0.1])[g]  # MCAR within class, rates differ by class

    reps = 200
    diffs_class, diffs_pooled = [], []
    for r in range(reps):
        holes = gen.random(g.size) < rates
        df = pd.DataFrame({"g": g, "y": np.where(holes, np.nan, y)})
        for by, store in (("g", diffs_class), ([], diffs_pooled)):
            out = hot_deck(df, ["y"], by=by, rng=gen).data["y"].to_numpy()
            store.append(strat_estimate(out, g, n_h)[0] - p_full)
    d = np.array(diffs_class)
    mcse = d.std(ddof=1) / np.sqrt(reps)
    z = stats.norm.ppf(1 - 0.001 / 2)  # a correct method fails this 0.1% of the time
    assert abs(d.mean()) < z * mcse
    # the check has power: ignoring the classes is biased under these rates
    dp = np.array(diffs_pooled)
    assert abs(dp.mean()) > z * dp.std(ddof=1) / np.sqrt(reps)


@pytest.mark.slow  # a 250-replicate coverage simulation: CI's slow step (.ci/run)
def test_simulation_mi_covers_nominal_rate_single_imputation_undercovers():
    """Rubin CI from ABB multiple imputation vs naive single-imputation CI.

    Each replicate draws a new stratified sample from the superpopulation with
    stratum proportions P_H, deletes 50% of y completely at random within
    strata and imputes within strata. The target is the population value
    sum(W_h P_h). Coverage is judged against the binomial Monte Carlo SE of a
    95% interval over the replicates (3 SE).
    """
    n_h = np.array([50, 50, 50, 50])
    g = np.repeat(np.arange(4), n_h)
    theta = float(np.sum(N_H / N_H.sum() * P_H))
    df_com = g.size - 4
    gen = np.random.default_rng(7)
    reps, M = 250, 5
    tq = stats.t.ppf(0.975, df_com)
    cover_single = cover_mi = 0
    for r in range(reps):
        y = (gen.random(g.size) < P_H[g]).astype(float)
        holes = gen.random(g.size) < 0.5
        df = pd.DataFrame({"g": g, "y": np.where(holes, np.nan, y)})
        est, se = strat_estimate(hot_deck(df, ["y"], by="g", rng=gen).data["y"].to_numpy(), g, n_h)
        cover_single += abs(est - theta) <= tq * se
        mi = multiply_impute(df, ["y"], by="g", M=M, rng=gen, bootstrap=True)
        frames = []
        for d in mi.datasets:
            e, s = strat_estimate(d["y"].to_numpy(), g, n_h)
            frames.append(pd.DataFrame({"estimate": [e], "se": [s], "df": [df_com]}))
        pooled = combine_rubin(frames)
        cover_mi += bool(pooled["ci_low"].iloc[0] <= theta <= pooled["ci_high"].iloc[0])
    mcse = np.sqrt(0.95 * 0.05 / reps)
    cov_mi, cov_single = cover_mi / reps, cover_single / reps
    assert abs(cov_mi - 0.95) <= 3 * mcse, cov_mi
    assert cov_single < 0.95 - 3 * mcse, cov_single


# ---------------------------------------------------------------------------
# multiple imputation
# ---------------------------------------------------------------------------


def test_multiply_impute_makes_m_reproducible_datasets():
    df = rng_frame()
    mi = multiply_impute(df, ["y"], by="g", M=4, rng=8)
    assert isinstance(mi, MultipleImputation) and mi.M == 4 and not mi.bootstrap
    again = multiply_impute(df, ["y"], by="g", M=4, rng=8)
    for a, b in zip(mi.datasets, again.datasets):
        assert a.equals(b)
    assert not mi.datasets[0]["y"].equals(mi.datasets[1]["y"])
    for d, f in zip(mi.datasets, mi.flags):
        assert f["y"].equals(df["y"].isna())
        obs = df["y"].notna()
        assert d.loc[obs, "y"].equals(df.loc[obs, "y"])
    stacked = mi.to_frame()
    assert stacked["m"].tolist() == [0, 1, 2, 3]


def test_multiply_impute_bootstrap_uses_class_donors_only():
    df = rng_frame()
    mi = multiply_impute(df, ["y"], by="g", M=3, rng=8, bootstrap=True)
    assert mi.bootstrap
    for d in mi.datasets:
        for gval, grp in d.groupby("g"):
            allowed = set(df.loc[(df["g"] == gval) & df["y"].notna(), "y"])
            assert set(grp["y"]) <= allowed


@pytest.mark.parametrize("M", [1, 0, 2.5, True])
def test_multiply_impute_needs_m_at_least_2(M):
    with pytest.raises(InputError, match=r"M=.* imputations is too few: .*M >= 2"):
        multiply_impute(rng_frame(), ["y"], by="g", M=M, rng=0)


def weighted_mean(design: dict, variable: str, *, by=None) -> pd.DataFrame:
    """A simple tidy estimator: weighted mean and its with-replacement SE."""
    data, w = design["data"], design["weights"]
    groups = [((), data)] if by is None else data.groupby(by)
    rows = []
    for key, part in groups:
        ww = w[part.index]
        y = part[variable].to_numpy(dtype=float)
        mean = np.sum(ww * y) / np.sum(ww)
        z = ww * (y - mean) / np.sum(ww)
        n = len(y)
        se = np.sqrt(n / (n - 1) * np.sum((z - z.mean()) ** 2))
        row = {"variable": variable, "level": "mean", "estimate": mean, "se": se, "df": n - 1, "n": n}
        if by is not None:
            row = {by: key, **row}
        rows.append(row)
    return pd.DataFrame(rows)


def test_mi_estimate_with_design_builder_pools_like_combine_rubin():
    df = rng_frame()
    df["w"] = np.linspace(1.0, 3.0, len(df))
    mi = multiply_impute(df, ["y"], by="g", M=5, rng=12, bootstrap=True)
    built = []

    def design(d):
        built.append(d)
        return {"data": d, "weights": d["w"]}

    pooled = mi.estimate(weighted_mean, "y", by="g", design=design)
    assert len(built) == 5 and all(b is d for b, d in zip(built, mi.datasets))
    frames = [weighted_mean({"data": d, "weights": d["w"]}, "y", by="g") for d in mi.datasets]
    expected = combine_rubin(frames, keys=["g", "variable", "level"])
    pd.testing.assert_frame_equal(pooled, expected)
    assert list(pooled["g"]) == sorted(df["g"].unique())
    # the pooled estimate is the mean over imputations
    q = np.array([f["estimate"].to_numpy() for f in frames])
    np.testing.assert_allclose(pooled["estimate"], q.mean(axis=0), rtol=1e-14)


def test_mi_estimate_rejects_non_frame_results():
    mi = multiply_impute(rng_frame(), ["y"], by="g", M=2, rng=0)
    with pytest.raises(ImputationError, match=r"the estimator returned a float on imputation 0"):
        mi.estimate(lambda d: float(d["y"].mean()))
    with pytest.raises(InputError, match=r"design=3 is not callable"):
        mi.estimate(weighted_mean, "y", design=3)


def test_error_remaining_argument_checks():
    df = small_frame()
    with pytest.raises(InputError, match=r"by contains 3 \(int\), but column names must be strings"):
        hot_deck(df, ["y"], by=["g", 3], rng=0)
    with pytest.raises(InputError, match=r"eligible\['y'\] is a DataFrame; pass one boolean Series"):
        hot_deck(df, ["y"], by="g", rng=0, eligible={"y": df[["y"]].notna()})
    with pytest.raises(InputError, match=r"return_donors='yes' must be True or False"):
        hot_deck(df, ["y"], by="g", rng=0, return_donors="yes")
    with pytest.raises(InputError, match=r"bootstrap=1 must be True or False"):
        hot_deck(df, ["y"], by="g", rng=0, bootstrap=1)
    with pytest.raises(InputError, match=r"weights are not numeric; pass a numeric column"):
        hot_deck(df.assign(w="heavy"), ["y"], by="g", rng=0, donors="weighted", weights="w")
    with pytest.raises(InputError, match=r"block \['y', 'y'\] lists an item twice"):
        hot_deck(df, ["y"], by="g", rng=0, blocks=[["y", "y"]])


@pytest.mark.parametrize(
    ("kw", "probs"),
    [
        ({}, [1 / 3, 1 / 3, 1 / 3]),
        ({"donors": "without_replacement"}, [1 / 3, 1 / 3, 1 / 3]),
        ({"max_uses": 2}, [1 / 3, 1 / 3, 1 / 3]),
        ({"bootstrap": True}, [1 / 3, 1 / 3, 1 / 3]),
        ({"donors": "weighted"}, [1 / 6, 2 / 6, 3 / 6]),
        ({"donors": "weighted", "max_uses": 1}, [1 / 6, 2 / 6, 3 / 6]),
        ({"donors": "weighted", "bootstrap": True}, None),
    ],
)
def test_donor_selection_probabilities(kw, probs):
    """3000 classes of 3 donors (weights 1, 2, 3) and 1 recipient: chi-square test.

    For the first draw, each rule has a known donor distribution: uniform, or
    w_i / sum(w) for weighted draws (also the first step of Efraimidis-Spirakis
    successive sampling). Weighted ABB: E[w_i* / sum w*] over the uniform
    resample, computed exactly by enumerating the 27 resamples.
    """
    n_cls = 3000
    df = pd.DataFrame(
        {
            "g": np.repeat(np.arange(n_cls), 4),
            "slot": np.tile([0.0, 1.0, 2.0, np.nan], n_cls),
            "w": np.tile([1.0, 2.0, 3.0, 1.0], n_cls),
        }
    )
    if probs is None:
        w = np.array([1.0, 2.0, 3.0])
        p = np.zeros(3)
        for a in range(3):
            for b in range(3):
                for c in range(3):
                    pick = np.array([a, b, c])
                    p += np.bincount(pick, weights=w[pick], minlength=3) / w[pick].sum() / 27
        probs = list(p)
    if kw.get("donors") == "weighted":
        kw = {**kw, "weights": "w"}
    res = hot_deck(df, ["slot"], by="g", rng=99, **kw)
    got = res.data["slot"].to_numpy()[3::4].astype(int)
    counts = np.bincount(got, minlength=3)
    assert stats.chisquare(counts, n_cls * np.array(probs)).pvalue > 1e-3
