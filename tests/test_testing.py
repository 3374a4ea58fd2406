"""surveyweights.testing: the assertions pass on matching input and fail, naming the
stratum or cell and both values, on a planted discrepancy; the strategies build
valid designs; the pytest plugin serves the example test file without a conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import R_SHARED
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights import testing as swt
from surveyweights.errors import InputError
from surveyweights.report.formatting import format_percent
from surveyweights.testing import strategies as sws

ROOT = Path(__file__).parent.parent
STRATA = ["nace", "size"]


def _message(exc: pytest.ExceptionInfo) -> list[str]:
    return str(exc.value).splitlines()


@pytest.fixture
def frame() -> sw.PopulationFrame:
    return sw.datasets.barometer_2025_frame()


@pytest.fixture
def design(frame) -> sw.Design:
    return sw.Design.from_population(sw.datasets.barometer_2025_replica(complete=True), frame,
                                     strata=STRATA)


# ------------------------------------------------------ assert_frame_equal_published
def test_frame_passes_on_the_published_counts(frame):
    swt.assert_frame_equal_published(frame, frame)
    # a plain DataFrame in another row order, with the counts as floats
    table = frame.table.sample(frac=1, random_state=1).astype({"N": float})
    swt.assert_frame_equal_published(table, frame)
    swt.assert_frame_equal_published(table[[*STRATA, "N"]], frame)  # only the columns it has


def test_frame_names_the_stratum_margins_and_total(frame):
    ours = frame.table.copy()
    ours.loc[(ours["nace"] == "35-39") & (ours["size"] == "large"), "responses"] = 7
    with pytest.raises(AssertionError) as exc:
        swt.assert_frame_equal_published(ours, frame)
    assert _message(exc) == [
        "frame differs from the published frame in 1 of 44 strata, 2 margins and the total "
        "(columns ['N', 'sample', 'responses'], tolerance atol=0):",
        "  stratum nace='35-39', size='large': responses expected 6, actual 7, difference +1",
        "  margin nace='35-39': responses expected 40, actual 41, difference +1",
        "  margin size='large': responses expected 411, actual 412, difference +1",
        "  total: responses expected 2915, actual 2916, difference +1",
    ]


def test_frame_names_missing_and_unpublished_strata(frame):
    ours = frame.table[[*STRATA, "N"]]
    ours = pd.concat([ours.iloc[1:], pd.DataFrame({"nace": ["99"], "size": ["micro"], "N": [5]})])
    with pytest.raises(AssertionError, match=re.escape(
            "1 stratum missing, 1 stratum not published")) as exc:
        swt.assert_frame_equal_published(ours, frame, counts="N")
    lines = _message(exc)
    assert "  stratum nace='10-33', size='micro': missing from the frame (published N 1504)" in lines
    assert "  stratum nace='99', size='micro': in the frame but not published (N 5)" in lines
    assert "  total: N expected 37839, actual 36340, difference -1499" in lines


def test_frame_message_is_capped(frame):
    ours = frame.table.assign(N=frame.table["N"] + 1)
    with pytest.raises(AssertionError) as exc:
        swt.assert_frame_equal_published(ours, frame, counts=["N"], max_lines=3)
    lines = _message(exc)
    assert lines[0].startswith("frame differs from the published frame in 44 of 44 strata, 15 margins")
    assert len(lines) == 5 and lines[-1] == "  ... and 57 more (pass max_lines= to see them)"
    swt.assert_frame_equal_published(ours, frame, counts=["N"], atol=44)  # the total is 44 off


def test_frame_bad_arguments(frame):
    t = frame.table
    with pytest.raises(InputError, match=r"strata= is needed when neither frame nor published"):
        swt.assert_frame_equal_published(t, t)
    with pytest.raises(InputError, match=r"count column\(s\) \['beds'\] not found in the frame"):
        swt.assert_frame_equal_published(t, frame, counts="beds")
    with pytest.raises(InputError, match=r"the frame has none of the published count columns"):
        swt.assert_frame_equal_published(t[STRATA], frame)
    with pytest.raises(InputError, match=r"count column 'N' of the frame is not numeric \(e.g. '1.504'\); "
                                         r"parse printed counts"):
        swt.assert_frame_equal_published(t.assign(N="1.504"), frame, counts="N")
    with pytest.raises(InputError, match=r"published must be a PopulationFrame or a pandas DataFrame, got dict"):
        swt.assert_frame_equal_published(t, {"N": 1})


# --------------------------------------------------------- assert_weights_calibrated
def test_weights_pass_for_design_series_and_poststratification(design, frame):
    swt.assert_weights_calibrated(design, frame)
    swt.assert_weights_calibrated(design, frame, strata=STRATA, rtol=1e-12)
    swt.assert_weights_calibrated(design.weights, frame.table, STRATA, data=design.data)
    ps = sw.poststratify(design.data, frame, strata=STRATA)
    swt.assert_weights_calibrated(ps, frame, data=design.data)


def test_weights_name_the_stratum_and_the_row(design, frame):
    w = design.weights.copy()
    row = design.data.index[(design.data["nace"] == "64-66") & (design.data["size"] == "medium")][0]
    w.loc[row] *= 2
    with pytest.raises(AssertionError) as exc:
        swt.assert_weights_calibrated(w, frame, data=design.data)
    lines = _message(exc)
    assert lines[0] == ("weights are not calibrated to the frame in 1 of 44 strata and the total "
                        "(rtol=1e-09, atol=0):")
    N = int(frame.table.set_index(STRATA).loc[("64-66", "medium"), "N"])
    n = int(((design.data["nace"] == "64-66") & (design.data["size"] == "medium")).sum())
    assert re.fullmatch(
        rf"  stratum nace='64-66', size='medium': weight sum expected N_h = {N}, actual "
        rf"[\d.]+, difference \+{re.escape(f'{N / n:.6g}')} \(tolerance {re.escape(f'{N * 1e-9:.3g}')}\)",
        lines[1])
    assert lines[2] == (f"  stratum nace='64-66', size='medium': 1 of {n} weights differ from N_h/n_h = "
                        f"{N}/{n} = {N / n:.10g}, e.g. row {row}: {2 * N / n!r} (difference "
                        f"+{N / n:.6g}, tolerance {N / n * 1e-9:.3g})")
    total = re.fullmatch(r"  total: weight sum expected N = 37839, actual ([\d.]+), difference \+[\d.]+ "
                         r"\(tolerance 3\.78e-05\)", lines[3])
    assert total and float(total.group(1)) == pytest.approx(37839 + N / n, rel=1e-12)


def test_weights_summing_to_N_h_but_unequal(design, frame):
    """Within-stratum unequal weights with the right sums fail only the N_h/n_h check."""
    w = design.weights.copy()
    idx = design.data.index[(design.data["nace"] == "10-33") & (design.data["size"] == "micro")][:2]
    w.loc[idx[0]] += 1.0
    w.loc[idx[1]] -= 1.0
    swt.assert_weights_calibrated(w, frame, data=design.data, poststratified=False)
    with pytest.raises(AssertionError, match=re.escape(
            "stratum nace='10-33', size='micro': 2 of 59 weights differ from N_h/n_h = 1504/59")):
        swt.assert_weights_calibrated(w, frame, data=design.data)


def test_weights_outside_the_frame_and_missing_strata():
    pop = pd.DataFrame({"h": ["a", "b"], "N": [10, 20]})
    data = pd.DataFrame({"h": ["a", "a", "b", "c", None]})
    w = pd.Series([5.0, 5.0, 20.0, 3.0, 1.0])
    with pytest.raises(AssertionError) as exc:
        swt.assert_weights_calibrated(w, pop, "h", data=data)
    lines = _message(exc)
    assert lines[0].endswith("in 0 of 2 strata and the total, with respondents outside the frame "
                             "(rtol=1e-09, atol=0):")
    assert "  1 respondent(s) have no stratum (row 4), weight sum 1" in lines
    assert ("  stratum h='c': 1 respondent(s) (row 3) with weight sum 3, but the stratum is not "
            "in the frame") in lines


def test_weights_hint_at_a_collapsed_stratum():
    pop = pd.DataFrame({"h": ["a", "b", "c"], "N": [10, 5, 30]})
    data = pd.DataFrame({"h": ["a", "a", "c", "c"]})
    d = sw.Design.from_population(data, pop, strata="h", collapse={"b": "a"})
    with pytest.raises(AssertionError, match=re.escape(
            "stratum h='b': weight sum expected N_h = 5, actual 0, difference -5 (tolerance 5e-09) "
            "(collapsed into 'a' by the weighting)")):
        swt.assert_weights_calibrated(d, pop, "h", poststratified=False)


def test_weights_bad_arguments(design, frame):
    with pytest.raises(InputError, match=r"a weights Series needs data="):
        swt.assert_weights_calibrated(design.weights, frame)
    with pytest.raises(InputError, match=r"data= is only for a weights Series"):
        swt.assert_weights_calibrated(design, frame, data=design.data)
    with pytest.raises(InputError, match=r"not aligned with data="):
        swt.assert_weights_calibrated(design.weights.iloc[1:], frame, data=design.data)
    with pytest.raises(InputError, match=r"strata= is needed when the frame is a DataFrame"):
        swt.assert_weights_calibrated(design, frame.table)
    with pytest.raises(InputError, match=r"rtol=-1 is not a finite number >= 0"):
        swt.assert_weights_calibrated(design, frame, rtol=-1)
    with pytest.raises(InputError, match=r"max_lines=0 is not a whole number >= 1"):
        swt.assert_weights_calibrated(design, frame, max_lines=0)


@settings(max_examples=15, deadline=None)
@given(sws.stratified_samples())
def test_poststratified_weights_always_pass(sample):
    ps = sw.poststratify(sample.data, sample.frame, strata=sample.strata)
    swt.assert_weights_calibrated(ps, sample.frame, data=sample.data, rtol=1e-12)


# -------------------------------------------------------------------- assert_margins
def _raked(data: pd.DataFrame, margins: dict, iterations: int = 200) -> pd.Series:
    """Raking by iterative proportional fitting (Deming & Stephan 1940) from weights 1."""
    w = np.ones(len(data))
    for _ in range(iterations):
        for var, targets in margins.items():
            for level, t in targets.items():
                m = (data[var] == level).to_numpy()
                w[m] *= t / w[m].sum()
    return pd.Series(w, index=data.index)


@pytest.fixture
def raked():
    rng = np.random.default_rng(7)
    data = pd.DataFrame({"size": rng.choice(["micro", "small", "large"], 200),
                         "region": rng.choice(["north", "south"], 200),
                         "employees": rng.integers(5, 500, 200).astype(float)})
    margins = {"size": {"micro": 16000, "small": 9000, "large": 1100},
               "region": {"north": 15100, "south": 11000}}
    return sw.Design(data, weights=_raked(data, margins)), margins


def test_margins_pass_on_a_raked_design(raked):
    design, margins = raked
    swt.assert_margins(design, margins)
    # the same margins as a long table, and a crossed margin and a numeric total
    long = pd.DataFrame([(v, lv, t) for v, m in margins.items() for lv, t in m.items()],
                        columns=["variable", "level", "target"])
    swt.assert_margins(design, long)
    cells = pd.DataFrame({"w": design.weights, "size": design.data["size"],
                          "region": design.data["region"]}).groupby(["size", "region"])["w"].sum()
    swt.assert_margins(design, {("size", "region"): cells.to_dict()})
    total = float((design.weights * design.data["employees"]).sum())
    swt.assert_margins(design, {"employees": total})
    swt.assert_margins(design.weights, {"employees": total}, data=design.data)
    swt.assert_margins(design, margins, population_size=26100)
    with pytest.raises(AssertionError, match=r"population size: target 26000, sum of the weights 26100"):
        swt.assert_margins(design, margins, population_size=26000)


def test_margins_name_the_cell_and_both_values(raked):
    design, margins = raked
    wrong = {**margins, "size": {**margins["size"], "large": 1200}}
    with pytest.raises(AssertionError) as exc:
        swt.assert_margins(design, wrong)
    lines = _message(exc)
    assert lines[0] == "weighted totals differ from 1 of 5 margin targets (rtol=1e-09, atol=0):"
    assert re.fullmatch(r"  size='large': target 1200, weighted total 1100(\.0+\d*)?, difference -100 "
                        r"\(tolerance 1\.2e-06\)", lines[1])
    assert len(lines) == 2


def test_margins_levels_without_target_unknown_levels_and_missing_values(raked):
    design, margins = raked
    partial = {"size": {"micro": 16000, "small": 9000}}
    with pytest.raises(AssertionError, match=r"size='large': weighted total 1100(\.0+\d*)? but no target "
                                             r"in the margin of 'size'"):
        swt.assert_margins(design, partial)
    swt.assert_margins(design, partial, check_levels=False)
    typo = {"size": {"micro": 16000, "small": 9000, "Large": 1100}}
    with pytest.raises(AssertionError, match=r"size='Large': target 1100, weighted total 0, "
                                             r"difference -1100 .*no respondent has this level"):
        swt.assert_margins(design, typo)
    data = design.data.assign(employees=design.data["employees"].where(design.data.index != 3))
    with pytest.raises(AssertionError, match=re.escape(
            "total of 'employees': 1 missing or non-numeric value(s) (row 3)")):
        swt.assert_margins(sw.Design(data, weights=design.weights), {"employees": 1.0})


def test_margins_bad_arguments(raked):
    design, _ = raked
    with pytest.raises(InputError, match=r"margins must be a dict"):
        swt.assert_margins(design, [("size", "micro", 1)])
    with pytest.raises(InputError, match=r"the target of margin 'size' level 'micro' is 'many', not a number"):
        swt.assert_margins(design, {"size": {"micro": "many"}})
    with pytest.raises(InputError, match=r"level 'micro' of margin \('size', 'region'\) needs 2 value"):
        swt.assert_margins(design, {("size", "region"): {"micro": 1}})
    with pytest.raises(InputError, match=r"margin column\(s\) \['sector'\] not found in the data"):
        swt.assert_margins(design, {"sector": {"a": 1}})
    with pytest.raises(InputError, match=r"margins is empty"):
        swt.assert_margins(design, {})


# ------------------------------------------------------------- assert_estimates_close
@pytest.fixture
def r_ciprop_nace() -> pd.DataFrame:
    """R: svyby(~is_adopter, ~nace, desA, svyciprop, method='logit') (oracle.R), shuffled."""
    r = pd.read_csv(R_SHARED / "results_A.csv", dtype={"domain": str, "level": str})
    r = r[(r["estimand"] == "ciprop") & (r["domain_var"] == "nace") & (r["ci_method"] == "logit")]
    assert len(r) == 11
    return r.rename(columns={"domain": "nace"}).sample(frac=1, random_state=3)


def test_estimates_match_R_by_domain_not_row_order(desA, r_ciprop_nace):
    est = sw.proportion(desA, "is_adopter", by="nace")
    expected = r_ciprop_nace[["nace", "level", "estimate", "se", "ci_low", "ci_high", "df"]]
    swt.assert_estimates_close(est, expected, rtol=1e-8)
    swt.assert_estimates_close(est.to_frame(), expected, rtol=1e-8)


def test_estimates_name_the_domain_and_both_values(desA, r_ciprop_nace):
    est = sw.proportion(desA, "is_adopter", by="nace")
    expected = r_ciprop_nace[["nace", "level", "estimate", "se"]].copy()
    expected.loc[expected["nace"] == "58-63", "se"] *= 1.01
    r_se = float(r_ciprop_nace.loc[r_ciprop_nace["nace"] == "58-63", "se"].iloc[0])
    with pytest.raises(AssertionError) as exc:
        swt.assert_estimates_close(est, expected, rtol=1e-8)
    lines = _message(exc)
    assert lines[0] == "1 of 11 expected estimates differ (rtol=1e-08, atol=0):"
    assert lines[1].startswith(f"  nace='58-63', level='1': se expected {r_se * 1.01!r}, actual ")
    assert re.search(r"difference -0\.000\d+ \(tolerance \d\.\d+e-10\)$", lines[1])


def test_estimates_mapping_forms_and_missing_domains(desA):
    est = sw.proportion(desA, "adoption", by="size")
    t = est.to_frame().set_index(["size", "level"])["estimate"]
    swt.assert_estimates_close(est, t.to_dict())                          # (size, level) keys
    swt.assert_estimates_close(est, {("large", "adoption", "adopter"): t[("large", "adopter")]})
    swt.assert_estimates_close(est, {("large", "adopter"): {"estimate": t[("large", "adopter")]}})
    with pytest.raises(AssertionError, match=re.escape(
            "size='huge', level='adopter': no such estimate (the estimates have size in "
            "['micro', 'small', 'medium', 'large']; level in ['adopter', 'plans', 'no_plans'])")):
        swt.assert_estimates_close(est, {("huge", "adopter"): 0.5})


def test_estimates_bad_arguments(desA):
    est = sw.proportion(desA, "adoption", by="size")
    with pytest.raises(InputError, match=r"a single expected value needs a single estimate, but there are 12"):
        swt.assert_estimates_close(est, 0.5)
    with pytest.raises(InputError, match=r"expected row \(level='adopter'\) matches 4 estimates"):
        swt.assert_estimates_close(est, pd.DataFrame({"level": ["adopter"], "estimate": [0.5]}))
    with pytest.raises(InputError, match=r"keys have 4 value\(s\), but the estimates are identified by \(size, level\)"):
        swt.assert_estimates_close(est, {("a", "b", "c", "d"): 0.5})
    with pytest.raises(InputError, match=r"has none of the columns"):
        swt.assert_estimates_close(est, pd.DataFrame({"size": ["large"], "p": [0.5]}))
    with pytest.raises(InputError, match=r"estimates must be an Estimates result"):
        swt.assert_estimates_close([0.5], 0.5)


# ---------------------------------------------------- assert_published_within_rounding
def test_published_headline_and_tabel_4(design):
    est = sw.proportion(design, "adoption", level="adopter")
    for printed in (58.8, "58,8", "58,8%", " 58,8 % ", "58.8"):
        swt.assert_published_within_rounding(est, printed)
    pub = sw.datasets.barometer_2025_published()
    tabel_4 = pub[pub["table"] == 4].rename(columns={"domain": "size", "item": "level"})
    by_size = sw.proportion(design, "adoption", by="size")
    swt.assert_published_within_rounding(by_size, tabel_4, column="percent_text")
    swt.assert_published_within_rounding(by_size, tabel_4)  # the numeric 'percent' column


def test_published_tabel_3_names_the_one_cell_out_of_reach(design):
    """NACE 35-39 (40 respondents) cannot print 46.4% with any integer data (test_replica)."""
    pub = sw.datasets.barometer_2025_published()
    tabel_3 = pub[pub["table"] == 3].rename(columns={"domain": "nace", "item": "level"})
    est = sw.proportion(design, "adoption", by="nace")
    p = float(est.to_frame().set_index(["nace", "level"]).loc[("35-39", "adopter"), "estimate"])
    with pytest.raises(AssertionError) as exc:
        swt.assert_published_within_rounding(est, tabel_3, column="percent_text")
    lines = _message(exc)
    assert lines[0] == ("1 of 33 published figures are not the estimate rounded half away from zero "
                        "to 1 decimal (scale 100):")
    assert lines[1] == (f"  nace='35-39', variable='adoption', level='adopter': published 46.4, estimate "
                        f"{100 * p!r} rounds to 46.3, difference {100 * p - 46.4:+.6g} (tolerance: 46.4 "
                        f"is printed for [46.35, 46.45))")


def test_published_rounds_half_away_from_zero():
    def est(x):
        return pd.DataFrame({"variable": ["y"], "level": ["a"], "estimate": [x]})

    swt.assert_published_within_rounding(est(0.1235), "12,4%")      # Python's round gives 12.3
    with pytest.raises(AssertionError, match=re.escape("published 12.3, estimate 12.35 rounds to 12.4")):
        swt.assert_published_within_rounding(est(0.1235), "12,3")
    swt.assert_published_within_rounding(est(0.12345), "12,35", decimals=2)
    swt.assert_published_within_rounding(est(-2.5), -3, decimals=0, scale=1)
    swt.assert_published_within_rounding(est(-0.0004), "0,0")      # never -0,0
    swt.assert_published_within_rounding(est(1234.45), "1.234,5", scale=1)
    swt.assert_published_within_rounding(est(-2.45), "−2,5", scale=1)  # Unicode minus sign
    with pytest.raises(AssertionError, match=re.escape("(tolerance: -2.4 is printed for (-2.45, -2.35])")):
        swt.assert_published_within_rounding(est(-2.45), "-2,4", scale=1)


def test_published_means_and_totals_are_not_scaled():
    df = pd.DataFrame({"h": list("aabb"), "w": [2.0, 2.0, 3.0, 3.0], "y": [1.0, 3.0, 5.0, 7.0]})
    d = sw.Design(df, weights="w", strata="h")
    swt.assert_published_within_rounding(sw.mean(d, "y"), "4,4")
    swt.assert_published_within_rounding(sw.total(d, "y"), 44, decimals=0)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.sampled_from([0, 1, 2]))
def test_report_formatting_is_within_rounding(p, decimals):
    """What the report's formatter prints always passes; one step off always fails."""
    est = pd.DataFrame({"variable": ["y"], "level": ["a"], "estimate": [p]})
    printed = format_percent(p, decimals=decimals)
    swt.assert_published_within_rounding(est, printed, decimals=decimals)
    off = float(printed.rstrip("%").replace(",", ".")) + 10.0 ** -decimals
    with pytest.raises(AssertionError):
        swt.assert_published_within_rounding(est, round(off, decimals), decimals=decimals)


def test_published_bad_arguments(design):
    est = sw.proportion(design, "adoption", level="adopter")
    with pytest.raises(InputError, match=r"published value 'ongeveer 59' \(the estimate\) is not a number"):
        swt.assert_published_within_rounding(est, "ongeveer 59")
    with pytest.raises(InputError, match=r"published value 58.77 \(the estimate\) has more than decimals=1"):
        swt.assert_published_within_rounding(est, 58.77)
    with pytest.raises(InputError, match=r"published value nan \(the estimate\) is missing"):
        swt.assert_published_within_rounding(est, float("nan"))
    with pytest.raises(InputError, match=r"the published table has no figure column"):
        swt.assert_published_within_rounding(est, pd.DataFrame({"level": ["adopter"], "pct": [58.8]}))
    with pytest.raises(InputError, match=r"scale=0 is not a positive number"):
        swt.assert_published_within_rounding(est, 58.8, scale=0)


# ------------------------------------------------------------------------ strategies
@settings(max_examples=200, deadline=None)
@given(sws.designs())
def test_200_drawn_designs_are_valid(design):
    assert isinstance(design, sw.Design)
    assert design.n_strata >= 1 and design.degf >= 0
    assert np.isfinite(design.weights).all() and (design.weights > 0).all()


@pytest.mark.filterwarnings("ignore::surveyweights.errors.SurveyWeightsWarning")  # p = 0 or 1 cells
@settings(max_examples=20, deadline=None)
@given(sws.designs(psus=True, fpc=True, items={"c": ["a", "b"]}, missing=True))
def test_drawn_cluster_designs_with_fpc_estimate(design):
    assert design.ids == "psu" and design.fpc is not None
    assume(design.data["c"].notna().any())
    # the design weight of a PSU is M_h / m_h, the same for all its units
    assert (design.data.assign(w=design.weights).groupby("psu")["w"].nunique() == 1).all()
    est = sw.proportion(design, "c", na="available").to_frame()
    assert est["estimate"].between(0, 1).all()


@settings(max_examples=20, deadline=None)
@given(sws.stratified_samples(min_per_stratum=2, max_per_stratum=4,
                              items={"q": ["yes", "no"], "x": "numeric", "b": "binary"}, missing=True))
def test_stratified_samples_respect_the_frame(sample):
    n_h = sample.n_h
    N_h = sample.frame.table.set_index(sample.strata)["N"]
    assert ((n_h >= np.minimum(2, N_h)) & (n_h <= np.minimum(4, N_h))).all()
    assert sample.data["id"].is_unique and sample.data.index.is_unique
    assert isinstance(sample.data["q"].dtype, pd.CategoricalDtype)
    assert sample.data["b"].dtype == "Int64" and sample.data["x"].dtype == float


@settings(max_examples=15, deadline=None)
@given(sws.populations(columns=["a", "b", "c"], min_strata=3, max_strata=12, min_count=5, max_count=9))
def test_populations_cross_their_columns(frame):
    t = frame.table
    assert 3 <= len(t) <= 12 and t["N"].between(5, 9).all()
    assert len(t) == np.prod([t[c].nunique() for c in ("a", "b", "c")])


@given(sws.items(7, levels="binary"))
def test_items_have_the_asked_length(s):
    assert len(s) == 7 and s.dtype == "Int64"


def test_strategy_bad_arguments():
    assert swt.strategies is sws and sw.testing is swt  # the interface's swt.strategies.*
    with pytest.raises(InputError, match=r"min_strata=3 is larger than max_strata=2"):
        sws.populations(min_strata=3, max_strata=2)
    with pytest.raises(InputError, match=r"item 'q' has spec 'text'; give 'numeric', 'binary' or a list"):
        sws.stratified_samples(items={"q": "text"})
    with pytest.raises(InputError, match=r"lonely_psu='never' is not a valid option"):
        sws.designs(lonely_psu="never")
    with pytest.raises(InputError, match=r"population must be a PopulationFrame or a hypothesis strategy"):
        sws.stratified_samples(pd.DataFrame())


# ---------------------------------------------------------------- plugin and example
def _pytest_in(tmp: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=tmp, capture_output=True, text=True, timeout=300,
                          env=env or dict(os.environ))


# slow (a fresh interpreter running pytest and hypothesis, 7-8 s): CI's second step
@pytest.mark.slow
def test_example_runs_as_a_users_suite_without_conftest(tmp_path):
    """examples/test_our_weighting.py, alone in a fresh directory: the plugin's fixtures serve it."""
    shutil.copy(ROOT / "examples" / "test_our_weighting.py", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test_our_weighting.py"]
    res = _pytest_in(tmp_path, "-W", "error::pytest.PytestAssertRewriteWarning")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert re.search(r"\b8 passed\b", res.stdout), res.stdout[-1000:]


class _NoHypothesis:
    """An import hook under which hypothesis is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "hypothesis":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


def test_plugin_and_assertions_load_without_hypothesis(monkeypatch):
    """Without hypothesis, the plugin and the assertions import; the strategies say what to install."""
    import importlib

    monkeypatch.setattr(sw, "testing", swt)  # restored afterwards, as sys.modules below
    for name in [m for m in sys.modules if m.split(".")[0] == "hypothesis"
                 or m.startswith("surveyweights.testing")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoHypothesis(), *sys.meta_path])
    plugin = importlib.import_module("_surveyweights_pytest")
    fresh = importlib.import_module("surveyweights.testing")
    assert fresh is not swt and hasattr(plugin, "barometer_2025_frame")
    fresh.assert_frame_equal_published(sw.datasets.barometer_2025_frame(),
                                       sw.datasets.barometer_2025_frame())
    with pytest.raises(ImportError, match=re.escape("needs the hypothesis package, an optional "
                                                    "dependency: pip install 'surveyweights[testing]'")):
        fresh.strategies  # noqa: B018


def test_plugin_entry_point_does_not_load_the_library_at_startup():
    """pytest imports every registered plugin when it starts: ours must not pull in the library."""
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "surveyweights"]
    code = (f"import sys; import {ep.value}; "
            "print(sorted(m for m in ('surveyweights', 'numpy', 'pandas', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_plugin_fixtures_are_fresh(barometer_2025_published, barometer_2025_replica_design,
                                   barometer_2025_frame):
    barometer_2025_published.loc[0, "percent"] = -1.0  # cannot leak into another test
    assert (sw.datasets.barometer_2025_published()["percent"] >= 0).all()
    assert barometer_2025_replica_design.n == 2915
    swt.assert_weights_calibrated(barometer_2025_replica_design, barometer_2025_frame)


def test_docs_page_shows_the_example_file_and_a_true_message():
    """docs/testing.md includes the example file itself, and its failure message is the real one."""
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    assert '--8<-- "examples/test_our_weighting.py"' in text
    code = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "--8<--" not in b]
    assert len(code) == 1
    with pytest.raises(AssertionError) as exc:
        exec(compile(code[0], "docs/testing.md", "exec"), {})  # noqa: S102
    shown = re.findall(r"```text\n(AssertionError: .*?)```", text, re.S)
    assert shown and shown[0].strip() == f"AssertionError: {exc.value}"


def test_margins_on_designs_calibrated_by_the_library(design, frame):
    """sw.calibrate's raking to the Tabel 1 margins, and its linear calibration to the 44 cells."""
    t = frame.table
    margins = {"nace": t.groupby("nace")["N"].sum().to_dict(), "size": t.groupby("size")["N"].sum().to_dict()}
    base = sw.Design(design.data, strata=STRATA)  # weight 1 for every respondent
    raked = sw.calibrate(base, margins, method="raking")
    swt.assert_margins(raked, margins, population_size=37839)
    planted = {**margins, "nace": {**margins["nace"], "35-39": 341}}
    with pytest.raises(AssertionError, match=r"weighted totals differ from 1 of 15 margin targets .*\n"
                                             r"  nace='35-39': target 341, weighted total 340(\.0*\d*)?, "
                                             r"difference -1(\.0*\d*)? \(tolerance 3\.41e-07\)$"):
        swt.assert_margins(raked, planted)
    # one crossed margin over the strata: linear calibration is post-stratification, w = N_h / n_h
    cells = {("nace", "size"): {(n, s): N for n, s, N in zip(t["nace"], t["size"], t["N"])}}
    poststratified = sw.calibrate(base, cells)
    swt.assert_margins(poststratified, cells)
    swt.assert_weights_calibrated(poststratified, frame)
    with pytest.raises(AssertionError, match=r"stratum nace='35-39', size='micro': 4 of 4 weights differ"):
        swt.assert_weights_calibrated(raked, frame)
