"""sw.quantile against R's svyquantile (survey 4.1-1): every interval type and quantile rule.

References: tests/fixtures/estimators/make_estimators.R.  Quantile intervals depend
on the quantile rule, so each R row is compared under the same rule (its option
column is "interval.type|qrule").  The data are written with 17 significant
digits: quantile rules compare cumulative weights with p * total exactly, so the
15 digits of write.csv would move some ties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimators_refs import RTOL, design, ref, results
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import InputError
from surveyweights.estimation.quantile import QRULES, qrule


def _groups():
    r = results()
    # calibrated (dcal*) and replicate (rclus1) designs have their own files
    r = r[(r.estimand == "quantile") & r.design.isin(["dstrat", "dclus1", "dclus2", "dsrs"])]
    return [key for key, _ in r.groupby(["design", "option", "domain"], sort=True)]


@pytest.mark.parametrize("name, option, domain", _groups(), ids=lambda v: str(v) or "all")
def test_quantile_matches_svyquantile(name, option, domain):
    method, rule = option.split("|")
    d = design(name)
    r = results()
    rows = r[(r.estimand == "quantile") & (r.design == name) & (r.option == option) & (r.domain == domain)]
    qs = sorted({float(t) for t in rows.term})
    subset = (d.data["stype"] == domain) if domain else None
    got = sw.quantile(d, "api00", qs, method=method, qrule=rule, subset=subset).to_frame()
    assert (got["method"] == method).all() and (got["qrule"] == rule).all()
    for row in rows.itertuples():
        exp = np.nan if row.value in ("NA", "NaN") else float(row.value)
        val = got.loc[np.isclose(got["level"], float(row.term)), row.quantity].iloc[0]
        np.testing.assert_allclose(val, exp, rtol=RTOL, equal_nan=True,
                                   err_msg=f"{row.term} {row.quantity}")


def test_default_is_r_default_woodruff_mean_math():
    d = design("dstrat")
    a = sw.quantile(d, "api00", 0.5).to_frame()
    b = sw.quantile(d, "api00", 0.5, method="mean", qrule="math").to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_domains_match_subsets():
    d = design("dstrat")
    by = sw.quantile(d, "api00", [0.25, 0.5], by="stype").to_frame()
    for s in ("E", "H", "M"):
        sub = sw.quantile(d, "api00", [0.25, 0.5], subset=d.data["stype"] == s).to_frame()
        np.testing.assert_allclose(by.loc[by.stype == s, ["estimate", "ci_low", "ci_high", "se"]],
                                   sub[["estimate", "ci_low", "ci_high", "se"]], rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    values=st.lists(st.floats(-1e4, 1e4), min_size=5, max_size=40),
    weights=st.lists(st.floats(0.1, 50.0), min_size=40, max_size=40),
    probs=st.lists(st.floats(0.01, 0.99), min_size=2, max_size=6, unique=True),
    rule=st.sampled_from([r for r in QRULES if r != "shahvaish"]),
)
def test_quantiles_are_monotone_in_q(values, weights, probs, rule):
    df = pd.DataFrame({"y": values, "w": weights[: len(values)]})
    qs = sorted(probs)
    got = sw.quantile(sw.Design(df, weights="w"), "y", qs, qrule=rule).to_frame()["estimate"]
    assert np.all(np.diff(got.to_numpy()) >= -1e-9 * (1 + np.abs(got.to_numpy()[1:])))
    assert got.min() >= min(values) and got.max() <= max(values)


@pytest.mark.parametrize("q", [0, 1, -0.2, 1.5, [0.5, 1.0]])
def test_probability_outside_zero_one_is_refused(q):
    with pytest.raises(InputError, match=r"outside \(0, 1\).*0\.5 for the median"):
        sw.quantile(design("dstrat"), "api00", q)


def test_unknown_method_and_rule_list_the_valid_ones():
    d = design("dstrat")
    with pytest.raises(InputError, match=r"method='woodruff'.*'mean', 'beta', 'xlogit', 'asin', 'score'"):
        sw.quantile(d, "api00", 0.5, method="woodruff")
    with pytest.raises(InputError, match=r"qrule='type7'.*'math'.*'hf9'"):
        sw.quantile(d, "api00", 0.5, qrule="type7")


@pytest.mark.parametrize("rule", ["math", "school", "hf4"])
def test_below_the_first_weight_share_we_return_the_smallest_value_where_r_does_not(rule):
    # R 4.1's qs() falls back to the first position when no value has F(x) <= p, so
    # svyquantile(~x, q=0.1) of 1..5 (equal weights) is 2 for "math" and "school" and
    # 0.5 (below the data) for "hf4"; the 10% quantile is 1.  Above that share we agree.
    d = sw.Design(pd.DataFrame({"x": [5.0, 1, 3, 2, 4]}))
    got = sw.quantile(d, "x", [0.1, 0.5], qrule=rule).to_frame()["estimate"].tolist()
    r01 = ref(design="dsmall", estimand="quantile_r_bug", option=rule, term="0.1")["estimate"]
    r05 = ref(design="dsmall", estimand="quantile_r_bug", option=rule, term="0.5")["estimate"]
    assert got[0] == 1.0 and r01 != 1.0
    np.testing.assert_allclose(got[1], r05, rtol=RTOL)


def test_shahvaish_is_rs_rule_which_is_not_monotone_for_unequal_weights():
    # R 4.1's qrule_shahvaish subtracts half the raw weight w/2 (not the normalised
    # w/mean(w) that its cumulative sum uses), so a heavy unit can get the smallest
    # plotting position: its x is then returned for small q.  We reproduce R.
    x, w = np.array([0.0, 0.0, 0.0, 1.0, 0.0]), np.array([1.0, 1.0, 1.0, 11.0, 1.0])
    assert qrule(x, w, 0.03125, "shahvaish") == 1.0 > qrule(x, w, 0.5, "shahvaish") == 0.0
    # with equal weights it is monotone
    xs = np.arange(10.0)
    got = [qrule(xs, np.ones(10), p, "shahvaish") for p in np.linspace(0.01, 0.99, 30)]
    assert np.all(np.diff(got) >= 0)


def test_qrule_reads_the_weighted_distribution():
    x, w = np.array([3.0, 1.0, 2.0]), np.array([1.0, 2.0, 1.0])
    # weighted distribution: P(X <= 1) = 0.5, P(X <= 2) = 0.75
    assert qrule(x, w, 0.5) == 1.0 and qrule(x, w, 0.5000001) == 2.0
    assert qrule(x, w, 0.5, "school") == 1.5
