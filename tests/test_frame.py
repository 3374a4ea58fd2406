"""PopulationFrame: parsing counts, validation on entry, crosstab input, accounting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import InputError, PopulationFrameError


# ----------------------------------------------------------------- parse_count
@pytest.mark.parametrize(
    "value, thousands, expected",
    [("1.504", ".", 1504), ("37.839", ".", 37839), ("91", ".", 91), ("91", None, 91),
     ("1,504", ",", 1504), ("1 504", " ", 1504), ("1.234.567", ".", 1234567),
     (1504, None, 1504), (np.int64(7), None, 7), (12.0, None, 12), (" 42 ", None, 42)],
)
def test_parse_count_valid(value, thousands, expected):
    assert sw.parse_count(value, thousands=thousands) == expected


def test_dutch_count_never_becomes_a_decimal():
    with pytest.raises(PopulationFrameError, match=r"count '1\.504' .* read it with thousands='\.'"):
        sw.parse_count("1.504")
    with pytest.raises(PopulationFrameError, match=r"count 1\.504 .* not a whole number.*thousands='\.'.*1504"):
        sw.parse_count(1.504)


@pytest.mark.parametrize(
    "value, thousands, match",
    [("1.50", ".", r"not a whole number written with thousands separator '\.'"),
     ("1504.5", None, "not a whole number"),
     ("-3", None, "negative"),
     (-3, None, "negative"),
     (float("nan"), None, "missing or not finite"),
     (float("inf"), None, "missing or not finite"),
     ("", None, "empty"),
     (None, None, "missing"),
     (True, None, "boolean"),
     (2.5, None, "not a whole number")],
)
def test_parse_count_invalid(value, thousands, match):
    with pytest.raises(PopulationFrameError, match=match):
        sw.parse_count(value, thousands=thousands)


def test_population_frame_error_is_value_error():
    assert issubclass(PopulationFrameError, ValueError)
    assert issubclass(PopulationFrameError, sw.SurveyWeightsError)


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_count_roundtrip_dutch(n):
    printed = f"{n:,}".replace(",", ".")
    assert sw.parse_count(printed, thousands=".") == n


# ----------------------------------------------------------------- from_long
def _long():
    return pd.DataFrame({"nace": ["A", "A", "B", "B"], "size": ["s", "l", "s", "l"],
                         "N": ["1.504", "91", "2.539", "0"]})


def test_from_long_parses_and_validates():
    f = sw.PopulationFrame.from_long(_long(), strata=["nace", "size"], thousands=".")
    assert f.table["N"].tolist() == [1504, 91, 2539, 0]
    assert f.total == 4134
    assert f.n_strata == 4
    assert f.counts_by_stratum().loc[("A", "s")] == 1504


def test_from_long_names_the_stratum_of_a_bad_count():
    with pytest.raises(PopulationFrameError, match=r"count '1\.504' \(stratum \('A', 's'\), column 'N'\)"):
        sw.PopulationFrame.from_long(_long(), strata=["nace", "size"])


def test_duplicate_stratum():
    t = _long()
    t.loc[1, "size"] = "s"
    with pytest.raises(PopulationFrameError, match=r"stratum \('A', 's'\) appears twice in the population table \(rows 0 and 1\)"):
        sw.PopulationFrame.from_long(t, strata=["nace", "size"], thousands=".")


def test_missing_stratum_key():
    t = _long()
    t.loc[2, "nace"] = None
    with pytest.raises(PopulationFrameError, match=r"stratum column 'nace' is missing in population row\(s\) \[2\]"):
        sw.PopulationFrame.from_long(t, strata=["nace", "size"], thousands=".")


def test_negative_and_fractional_counts():
    t = pd.DataFrame({"h": ["a", "b"], "N": [10, -1]})
    with pytest.raises(PopulationFrameError, match=r"count -1 \(stratum 'b', column 'N'\) is negative"):
        sw.PopulationFrame.from_long(t, strata="h")
    t = pd.DataFrame({"h": ["a", "b"], "N": [10.0, 2.5]})
    with pytest.raises(PopulationFrameError, match=r"count 2\.5 \(stratum 'b', column 'N'\) is not a whole number"):
        sw.PopulationFrame.from_long(t, strata="h")


def test_unknown_columns():
    with pytest.raises(InputError, match=r"column\(s\) \['sector'\] not found"):
        sw.PopulationFrame.from_long(_long(), strata=["sector"], thousands=".")


def test_read_csv_keeps_dutch_counts_exact(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text("nace,size,N\n10-33,micro,1.504\n35-39,micro,91\n", encoding="utf-8")
    with pytest.raises(PopulationFrameError, match="thousands='.'"):
        sw.PopulationFrame.read_csv(p, strata=["nace", "size"])
    f = sw.PopulationFrame.read_csv(p, strata=["nace", "size"], thousands=".")
    assert f.table["N"].tolist() == [1504, 91]


def test_read_csv_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        sw.PopulationFrame.read_csv(tmp_path / "nope.csv", strata="h")


# ----------------------------------------------------------------- crosstab
def _crosstab():
    return pd.DataFrame(
        {"NACE 1": ["1.504", "2.411", "3.915"], "NACE 2": ["91", "174", "265"],
         "Totaal": ["1.595", "2.585", "4.180"]},
        index=pd.Index(["Micro", "Klein", "Totaal"], name="grootte"),
    )


def test_from_crosstab_with_totals_and_labels():
    f = sw.PopulationFrame.from_crosstab(
        _crosstab(), rows="size", columns="nace", thousands=".", totals="Totaal",
        row_labels={"Micro": "micro", "Klein": "small"},
        column_labels={"NACE 1": "n1", "NACE 2": "n2"},
    )
    assert f.strata == ("size", "nace")
    assert f.total == 4180
    assert f.counts_by_stratum().loc[("small", "n2")] == 174


def test_crosstab_total_row_is_never_taken_for_a_stratum():
    with pytest.raises(PopulationFrameError, match=r"labelled 'Totaal', which looks like a printed total; pass totals='Totaal'"):
        sw.PopulationFrame.from_crosstab(_crosstab(), rows="size", columns="nace", thousands=".")


def test_crosstab_mistyped_total():
    t = _crosstab()
    t.loc["Totaal", "NACE 2"] = "266"
    with pytest.raises(PopulationFrameError, match=r"printed total 266 of column 'NACE 2' differs from the sum of its cells 265"):
        sw.PopulationFrame.from_crosstab(t, rows="size", columns="nace", thousands=".", totals="Totaal")


def test_crosstab_unmapped_label():
    with pytest.raises(InputError, match=r"row_labels has no entry for label\(s\) \['Klein'\]"):
        sw.PopulationFrame.from_crosstab(_crosstab(), rows="size", columns="nace", thousands=".",
                                         totals="Totaal", row_labels={"Micro": "micro"})


# ----------------------------------------------------------------- accounting
def test_response_accounting_from_respondent_rows():
    pop = sw.PopulationFrame.from_long(
        pd.DataFrame({"h": ["a", "b"], "N": [100, 50], "sample": [20, 10]}), strata="h",
        other_counts=["sample"])
    resp = pd.DataFrame({"h": ["a"] * 5 + ["b"] * 4})
    acc = sw.response_accounting(pop, responses=resp)
    assert acc.by_stratum["responses"].tolist() == [5, 4]
    assert acc.by_stratum["response_rate"].tolist() == [0.25, 0.4]
    assert acc.overall["response_rate"] == pytest.approx(9 / 30)
    assert acc.overall["sampling_fraction"] == pytest.approx(30 / 150)
    assert acc.overall["responding_fraction"] == pytest.approx(9 / 150)


def test_response_accounting_errors():
    pop = sw.PopulationFrame.from_long(
        pd.DataFrame({"h": ["a", "b"], "N": [100, 50], "sample": [20, 10]}), strata="h",
        other_counts=["sample"])
    with pytest.raises(PopulationFrameError, match=r"stratum 'b' has 11 responses but only 10 sampled units"):
        sw.response_accounting(pop, responses=pd.DataFrame({"h": ["b"] * 11}))
    with pytest.raises(PopulationFrameError, match=r"not in the population frame, e\.g\. 'c'"):
        sw.response_accounting(pop, responses=pd.DataFrame({"h": ["c"]}))
