"""Tests of surveyweights.rubin (Rubin's rules, Barnard-Rubin df)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from surveyweights.errors import ImputationError, InputError, MissingValueError
from surveyweights.rubin import MultipleImputation, barnard_rubin_df, combine_rubin

# Three imputations, two estimands. The expected values below are worked out by
# hand with exact fractions from the formulas of Rubin (1987, sec. 3.1) and
# Barnard & Rubin (1999, eqs. 3-4), not with the code under test.
Q_A, S_A = [F("0.40"), F("0.44"), F("0.42")], [F("0.10"), F("0.12"), F("0.11")]
Q_B, S_B = [F("0.30"), F("0.30"), F("0.36")], [F("0.05"), F("0.05"), F("0.05")]
DF_COM = 50


def frames(df=DF_COM, order=(0, 1)):
    out = []
    for m in range(3):
        rows = [
            {"variable": "y", "level": "a", "estimate": float(Q_A[m]), "se": float(S_A[m]), "df": df},
            {"variable": "y", "level": "b", "estimate": float(Q_B[m]), "se": float(S_B[m]), "df": df},
        ]
        out.append(pd.DataFrame([rows[i] for i in order]))
    return out


def by_hand(q, s, nu_com):
    """Rubin's rules with exact fractions; returns floats."""
    M = len(q)
    qbar = sum(q) / M
    W = sum(x * x for x in s) / M
    B = sum((x - qbar) ** 2 for x in q) / (M - 1)
    T = W + (1 + F(1, M)) * B
    r = (1 + F(1, M)) * B / W
    lam = (1 + F(1, M)) * B / T
    nu_old = (M - 1) / lam**2  # Rubin (1987) eq. 3.1.6
    if nu_com is None:
        nu = nu_old
    else:
        nu_obs = F(nu_com + 1, nu_com + 3) * nu_com * (1 - lam)  # B&R (1999) eq. 3
        nu = 1 / (1 / nu_old + 1 / nu_obs)  # B&R (1999) eq. 4
    fmi = (r + F(2) / (nu + 3)) / (r + 1)
    return {
        "estimate": float(qbar),
        "within": float(W),
        "between": float(B),
        "se": float(T) ** 0.5,
        "riv": float(r),
        "lambda": float(lam),
        "df": float(nu),
        "fmi": float(fmi),
    }


@pytest.mark.parametrize("level,q,s", [("a", Q_A, S_A), ("b", Q_B, S_B)])
def test_matches_hand_computation_with_complete_data_df(level, q, s):
    out = combine_rubin(frames()).set_index("level")
    exp = by_hand(q, s, DF_COM)
    for col, val in exp.items():
        assert out.loc[level, col] == pytest.approx(val, rel=1e-12), col
    t = stats.t.ppf(0.975, exp["df"])
    assert out.loc[level, "ci_low"] == pytest.approx(exp["estimate"] - t * exp["se"], rel=1e-12)
    assert out.loc[level, "ci_high"] == pytest.approx(exp["estimate"] + t * exp["se"], rel=1e-12)
    assert out.loc[level, "df_complete"] == DF_COM
    assert out.loc[level, "m"] == 3


def test_level_a_numbers_written_out():
    """The same case with the intermediate numbers spelled out (level a)."""
    out = combine_rubin(frames()).set_index("level").loc["a"]
    W = (0.10**2 + 0.12**2 + 0.11**2) / 3  # 0.0121666...
    B = ((0.40 - 0.42) ** 2 + (0.44 - 0.42) ** 2 + 0.0) / 2  # 0.0004
    T = W + (1 + 1 / 3) * B  # 0.0127
    lam = (4 / 3) * B / T
    nu_old = 2 / lam**2
    nu_obs = (51 / 53) * 50 * (1 - lam)
    assert T == pytest.approx(0.0127, rel=1e-12)
    assert out["se"] == pytest.approx(np.sqrt(0.0127), rel=1e-12)
    assert out["df"] == pytest.approx(1 / (1 / nu_old + 1 / nu_obs), rel=1e-12)
    assert out["df"] == pytest.approx(44.2925, abs=5e-4)  # 1 / (1/1134.07 + 1/46.0927)


def test_infinite_complete_df_gives_rubin_1987_df():
    out = combine_rubin(frames(df=np.inf)).set_index("level")
    for level, q, s in [("a", Q_A, S_A), ("b", Q_B, S_B)]:
        exp = by_hand(q, s, None)
        r = exp["riv"]
        assert out.loc[level, "df"] == pytest.approx(2 * (1 + 1 / r) ** 2, rel=1e-12)
        assert out.loc[level, "df"] == pytest.approx(exp["df"], rel=1e-12)
    # no df column at all means the same
    no_df = [f.drop(columns="df") for f in frames()]
    pd.testing.assert_frame_equal(
        combine_rubin(no_df), combine_rubin(frames(df=np.inf))
    )


def test_df_complete_argument_overrides_the_df_column():
    a = combine_rubin(frames(df=10), df_complete=DF_COM)
    b = combine_rubin(frames(df=DF_COM))
    pd.testing.assert_frame_equal(a, b)


def test_df_column_uses_the_smallest_over_imputations():
    fs = frames()
    fs[1].loc[0, "df"] = 20
    out = combine_rubin(fs).set_index("level")
    assert out.loc["a", "df_complete"] == 20 and out.loc["b", "df_complete"] == DF_COM
    assert out.loc["a", "df"] == pytest.approx(by_hand(Q_A, S_A, 20)["df"], rel=1e-12)


def test_row_order_does_not_matter_and_first_frame_sets_the_order():
    fs = frames()
    fs[2] = fs[2].iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(combine_rubin(fs), combine_rubin(frames()))
    rev = combine_rubin(frames(order=(1, 0)))
    assert rev["level"].tolist() == ["b", "a"]


def test_confidence_level():
    out = combine_rubin(frames(), confidence_level=0.9).set_index("level").loc["a"]
    exp = by_hand(Q_A, S_A, DF_COM)
    t = stats.t.ppf(0.95, exp["df"])
    assert out["ci_high"] - out["estimate"] == pytest.approx(t * exp["se"], rel=1e-12)


def test_no_between_variance_reduces_to_complete_data_inference():
    fs = [pd.DataFrame({"estimate": [0.5], "se": [0.1], "df": [30]}) for _ in range(4)]
    out = combine_rubin(fs).iloc[0]
    assert out["between"] == 0 and out["riv"] == 0 and out["lambda"] == 0
    assert out["se"] == pytest.approx(0.1, rel=1e-14)
    assert out["df"] == pytest.approx(31 / 33 * 30, rel=1e-14)  # nu_obs with lambda = 0
    assert out["fmi"] == pytest.approx(2 / (31 / 33 * 30 + 3), rel=1e-14)
    inf = combine_rubin([f.drop(columns="df") for f in fs]).iloc[0]
    assert inf["df"] == np.inf and inf["fmi"] == 0
    assert inf["ci_high"] == pytest.approx(0.5 + stats.norm.ppf(0.975) * 0.1, rel=1e-14)


def test_no_within_variance():
    fs = [pd.DataFrame({"estimate": [q], "se": [0.0]}) for q in (1.0, 2.0, 3.0)]
    out = combine_rubin(fs).iloc[0]
    assert out["riv"] == np.inf and out["fmi"] == 1 and out["lambda"] == 1
    assert out["df"] == pytest.approx(2.0)  # (M - 1) / lambda^2
    assert out["se"] == pytest.approx(np.sqrt(4 / 3), rel=1e-14)


def test_keys_inferred_and_n_averaged():
    fs = [
        pd.DataFrame({"size": ["s", "l"], "variable": "y", "method": "logit",
                      "estimate": [1.0 + m, 2.0], "se": [0.1, 0.2], "n": [10 + m, 20],
                      "ci_low": 0.0, "ci_high": 9.0})
        for m in range(3)
    ]
    out = combine_rubin(fs)
    # the CI method is a statistic of an estimate table, not a key
    assert list(out.columns[:3]) == ["size", "variable", "estimate"]
    assert out["n"].tolist() == [11.0, 20.0]
    assert out["estimate"].tolist() == [2.0, 2.0]
    assert "ci_low" in out and out.loc[0, "ci_low"] != 0.0  # recomputed, not averaged


def test_barnard_rubin_df_vectorised():
    W, B = np.array([1.0, 2.0]), np.array([0.5, 0.0])
    nu = barnard_rubin_df(W, B, 5, df_complete=np.array([30.0, np.inf]))
    lam = 1.2 * 0.5 / 1.6
    assert nu[0] == pytest.approx(1 / (lam**2 / 4 + 1 / (31 / 33 * 30 * (1 - lam))), rel=1e-14)
    assert nu[1] == np.inf


# ---------------------------------------------------------------- errors


def test_error_fewer_than_two_frames():
    with pytest.raises(InputError, match=r"combine_rubin got 1 estimate frame\(s\).*M >= 2"):
        combine_rubin(frames()[:1])
    with pytest.raises(InputError, match=r"combine_rubin got 1 estimate frame\(s\)"):
        combine_rubin(frames()[0])


def test_error_missing_columns_and_types():
    fs = frames()
    fs[1] = fs[1].drop(columns="se")
    with pytest.raises(InputError, match=r"results\[1\] lacks column\(s\) \['se'\]"):
        combine_rubin(fs)
    with pytest.raises(InputError, match=r"results\[0\] is a list, not a DataFrame"):
        combine_rubin([[1], [2]])
    with pytest.raises(InputError, match=r"results\[0\] lacks key column\(s\) \['domain'\]"):
        combine_rubin(frames(), keys=["domain"])


def test_error_duplicated_and_mismatched_keys():
    with pytest.raises(InputError, match=r"results\[0\] has duplicated keys \[\('y',\)\].*add the missing key"):
        combine_rubin(frames(), keys=["variable"])
    fs = frames()
    fs[2].loc[1, "level"] = "c"
    with pytest.raises(
        InputError,
        match=r"results\[2\] and results\[0\] estimate different things: keys \[\('y', 'b'\)\] "
        r"missing in results\[2\], \[\('y', 'c'\)\] missing in results\[0\]",
    ):
        combine_rubin(fs)


def test_error_no_keys_and_several_rows():
    fs = [f[["estimate", "se"]] for f in frames()]
    with pytest.raises(InputError, match=r"the frames have no key columns and \[2\] rows.*keys="):
        combine_rubin(fs)


def test_error_bad_values():
    fs = frames()
    fs[1].loc[0, "estimate"] = np.nan
    with pytest.raises(MissingValueError, match=r"results\[1\] has a missing or infinite estimate in row 0"):
        combine_rubin(fs)
    fs = frames()
    fs[2].loc[1, "se"] = -0.1
    with pytest.raises(InputError, match=r"results\[2\] has a negative se -0\.1 in row 1"):
        combine_rubin(fs)


@pytest.mark.parametrize("level", [0, 1, 95, "0.95"])
def test_error_confidence_level(level):
    with pytest.raises(InputError, match=r"confidence_level=.* must be a number strictly between 0 and 1"):
        combine_rubin(frames(), confidence_level=level)


@pytest.mark.parametrize("bad", [0, -3, "50"])
def test_error_df_complete(bad):
    with pytest.raises(InputError, match=r"df_complete=.* must be a positive number"):
        combine_rubin(frames(), df_complete=bad)


# ---------------------------------------------------------------- properties

finite = st.floats(-1e3, 1e3, allow_nan=False)
positive = st.floats(1e-3, 1e2, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(
    q=st.lists(finite, min_size=2, max_size=8),
    s=st.lists(positive, min_size=8, max_size=8),
    nu_com=st.one_of(st.just(np.inf), st.floats(1.0, 1e4)),
    perm_seed=st.integers(0, 1000),
)
def test_properties(q, s, nu_com, perm_seed):
    M = len(q)
    fs = [pd.DataFrame({"k": ["x"], "estimate": [q[m]], "se": [s[m]], "df": [nu_com]}) for m in range(M)]
    out = combine_rubin(fs).iloc[0]
    assert out["se"] ** 2 >= out["within"] * (1 - 1e-12)
    assert out["ci_low"] <= out["estimate"] <= out["ci_high"]
    assert 0 <= out["lambda"] <= 1 and 0 <= out["fmi"] <= 1 + 1e-12
    assert 0 < out["df"] <= nu_com * (nu_com + 1) / (nu_com + 3) * (1 + 1e-12) or nu_com == np.inf
    # the order of the imputations does not matter
    order = np.random.default_rng(perm_seed).permutation(M)
    again = combine_rubin([fs[i] for i in order]).iloc[0]
    for col in ["estimate", "se", "df", "fmi"]:
        assert again[col] == pytest.approx(out[col], rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(q=finite, s=positive, M=st.integers(2, 10))
def test_property_identical_imputations_give_complete_data_answer(q, s, M):
    fs = [pd.DataFrame({"estimate": [q], "se": [s]}) for _ in range(M)]
    out = combine_rubin(fs).iloc[0]
    assert out["estimate"] == pytest.approx(q, rel=1e-12, abs=1e-12)
    assert out["se"] == pytest.approx(s, rel=1e-12)
    assert out["between"] == pytest.approx(0.0, abs=1e-20 + 1e-24 * q * q)


# ---------------------------------------------------------------- MultipleImputation


def test_multiple_imputation_estimate_and_to_frame():
    datasets = tuple(pd.DataFrame({"y": [1.0, 2.0, v]}) for v in (3.0, 4.0, 6.0))
    flags = tuple(pd.DataFrame({"y": [False, False, True]}) for _ in range(3))
    reports = tuple(pd.DataFrame({"item": ["y"], "n_imputed": [1]}) for _ in range(3))
    mi = MultipleImputation(datasets=datasets, flags=flags, reports=reports, bootstrap=True)
    assert mi.M == 3

    def mean(d, col):
        y = d[col]
        return pd.DataFrame({"variable": [col], "estimate": [y.mean()], "se": [y.std(ddof=1) / np.sqrt(len(y))]})

    out = mi.estimate(mean, "y", confidence_level=0.9)
    expected = combine_rubin([mean(d, "y") for d in datasets], confidence_level=0.9)
    pd.testing.assert_frame_equal(out, expected)
    assert out.loc[0, "estimate"] == pytest.approx((2 + 7 / 3 + 3) / 3, rel=1e-14)
    assert mi.to_frame()["m"].tolist() == [0, 1, 2]

    class Result:  # objects with .to_frame() are accepted
        def __init__(self, frame):
            self.frame = frame

        def to_frame(self):
            return self.frame

    via_obj = mi.estimate(lambda d: Result(mean(d, "y")), confidence_level=0.9)
    pd.testing.assert_frame_equal(via_obj, expected)
    with pytest.raises(ImputationError, match=r"returned a NoneType on imputation 0"):
        mi.estimate(lambda d: None)
    with pytest.raises(AttributeError):
        mi.bootstrap = False  # frozen


def test_error_non_numeric_statistic():
    fs = frames()
    fs[1]["se"] = ["big", "small"]
    with pytest.raises(InputError, match=r"column 'se' is not numeric in every frame"):
        combine_rubin(fs)
