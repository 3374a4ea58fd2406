"""Testing our weighting against the AI-Barometer 2025 report (Tabel 1/2, Tabel 4, the headline).

A complete pytest file, as a team that re-weights the barometer (or ports its SAS
weighting to Python) would keep it next to its code.  Run it with ``pytest``: the
fixtures ``barometer_2025_frame``, ``barometer_2025_published`` and
``barometer_2025_replica_design`` come from the surveyweights pytest plugin, so no
``conftest.py`` is needed.

Our "responses" here are the bundled SYNTHETIC replica of the survey; replace the
``our_responses`` and ``our_register`` fixtures with your own files.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings

import surveyweights as sw
from surveyweights import testing as swt
from surveyweights.testing import strategies as sws

STRATA = ["nace", "size"]


# ---------------------------------------------------------------- our pipeline
def weigh(responses: pd.DataFrame, frame: sw.PopulationFrame, strata=STRATA) -> sw.Design:
    """Our weighting, the code under test: post-stratification to N_h / n_h."""
    return sw.Design.from_population(responses, frame, strata=strata)


@pytest.fixture
def our_responses() -> pd.DataFrame:
    """Our usable responses, one row per enterprise (here: the SYNTHETIC replica)."""
    return sw.datasets.barometer_2025_replica(complete=True)


@pytest.fixture
def our_register() -> pd.DataFrame:
    """Enterprises per stratum in our business register (here: Tabel 1's N_h)."""
    return sw.datasets.barometer_2025()[[*STRATA, "N"]]


@pytest.fixture
def our_frame(our_register, our_responses) -> sw.PopulationFrame:
    """Our strata: N_h from the register, sample and responses counted from our files."""
    sampled = sw.datasets.barometer_2025_replica_sample()
    counts = [
        frame[STRATA].astype(str).value_counts().rename(name).reset_index()
        for frame, name in ((sampled, "sample"), (our_responses, "responses"))
    ]
    table = our_register.merge(counts[0], on=STRATA, how="left").merge(counts[1], on=STRATA, how="left")
    return sw.PopulationFrame.from_long(table.fillna(0), strata=STRATA,
                                        other_counts=["sample", "responses"])


@pytest.fixture
def our_design(our_responses, our_frame) -> sw.Design:
    return weigh(our_responses, our_frame)


# ------------------------------------------------------------ against the report
def test_our_strata_match_tabel_1_2(our_frame, barometer_2025_frame):
    """Population, sample and usable responses per stratum, margins and totals as printed."""
    swt.assert_frame_equal_published(our_frame, barometer_2025_frame)


def test_weights_sum_to_N_h_and_equal_N_h_over_n_h(our_design, barometer_2025_frame):
    swt.assert_weights_calibrated(our_design, barometer_2025_frame, strata=STRATA)


def test_headline_58_8_percent_use_ai(our_design):
    est = sw.proportion(our_design, "adoption", level="adopter")
    swt.assert_published_within_rounding(est, "58,8%", decimals=1)


def test_tabel_4_adoption_by_size(our_design, barometer_2025_published):
    pub = barometer_2025_published
    tabel_4 = pub[pub["table"] == 4].rename(columns={"domain": "size", "item": "level"})
    est = sw.proportion(our_design, "adoption", by="size")
    # the printed cells, e.g. "55,9%": Dutch decimal comma, rounded half away from zero
    swt.assert_published_within_rounding(est, tabel_4, column="percent_text", decimals=1)


def test_same_estimates_as_the_reference_design(our_design, barometer_2025_replica_design):
    """Our pipeline against the library's own weighting of the same data, domain by domain."""
    ours = sw.proportion(our_design, "adoption", by="nace")
    reference = sw.proportion(barometer_2025_replica_design, "adoption", by="nace").to_frame()
    swt.assert_estimates_close(ours, reference[["nace", "level", "estimate", "se"]], rtol=1e-12)


# -------------------------------------------------------- properties of our code
# (a design needs two respondents per stratum to estimate its variance, hence min_per_stratum=2)
@settings(max_examples=10, deadline=None)
@given(sws.stratified_samples(min_per_stratum=2))
def test_weights_sum_to_N_h_for_any_frame(sample):
    design = weigh(sample.data, sample.frame, strata=sample.strata)
    swt.assert_weights_calibrated(design, sample.frame)


@settings(max_examples=3, deadline=None)
@given(sws.stratified_samples(sw.datasets.barometer_2025_frame(), min_per_stratum=2, max_per_stratum=4))
def test_weights_sum_to_N_h_for_any_sample_of_tabel_1(sample):
    design = weigh(sample.data, sample.frame)
    swt.assert_weights_calibrated(design, sample.frame, strata=STRATA)


@settings(max_examples=10, deadline=None)
@given(sws.designs())
def test_a_mean_lies_between_the_smallest_and_largest_value(design):
    est = float(sw.mean(design, "y").estimate.iloc[0])
    y = design.data["y"]
    assert y.min() - 1e-9 * abs(y.min()) <= est <= y.max() + 1e-9 * abs(y.max())
