"""The bundled AI-Barometer 2025 strata against the printed Tabel 1 and Tabel 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyweights as sw
from surveyweights import testing as swt
from surveyweights.barometer._data import data_file
from surveyweights.datasets import NACE_CODES, SIZE_CODES

# The printed totals of Tabel 1 (population, sample) and Tabel 2 (usable responses),
# typed from the report (section 3.2-3.3), Dutch thousands separators removed.
PRINTED = {
    "N": {
        "size": {"micro": 16148, "small": 16695, "medium": 3868, "large": 1128},
        "nace": dict(zip(NACE_CODES, [4952, 340, 5250, 9714, 2839, 2648, 1771, 1369, 4245, 2506, 2205])),
        "total": 37839,
    },
    "sample": {
        "size": {"micro": 2582, "small": 2669, "medium": 3288, "large": 1071},
        "nace": dict(zip(NACE_CODES, [1530, 109, 1109, 2183, 736, 478, 446, 308, 971, 797, 943])),
        "total": 9610,
    },
    "responses": {
        "size": {"micro": 622, "small": 783, "medium": 1099, "large": 411},
        "nace": dict(zip(NACE_CODES, [503, 40, 318, 585, 210, 79, 165, 94, 317, 209, 395])),
        "total": 2915,
    },
}


@pytest.fixture
def strata() -> pd.DataFrame:
    return sw.datasets.barometer_2025()


def test_shape_and_keys(strata):
    assert len(strata) == 44
    assert set(strata["nace"]) == set(NACE_CODES)
    assert set(strata["size"]) == set(SIZE_CODES)
    assert not strata.duplicated(["nace", "size"]).any()
    for col in ("nace", "nace_label", "size", "size_nl", "size_label", "N", "sample", "responses"):
        assert col in strata.columns


@pytest.mark.parametrize("column", ["N", "sample", "responses"])
def test_printed_totals_reproduced_by_summing(strata, column):
    printed = PRINTED[column]
    assert int(strata[column].sum()) == printed["total"]
    for margin in ("size", "nace"):
        sums = strata.groupby(margin)[column].sum()
        for level, value in printed[margin].items():
            assert int(sums[level]) == value, (column, margin, level)


def test_selected_cells_as_printed(strata):
    cell = strata.set_index(["nace", "size"])
    # Tabel 1: "Micro ... 1.504" (NACE 10-33), italic sample 241; Tabel 2: 59
    assert cell.loc[("10-33", "micro"), ["N", "sample", "responses"]].tolist() == [1504, 241, 59]
    # NACE 35-39: the smallest sector, 4/4/26/6 usable responses
    assert cell.xs("35-39", level="nace")["responses"].loc[list(SIZE_CODES)].tolist() == [4, 4, 26, 6]
    assert cell.loc[("55-56", "large"), ["N", "sample", "responses"]].tolist() == [16, 15, 3]
    assert cell.loc[("86-88", "large"), ["N", "sample", "responses"]].tolist() == [261, 248, 135]


def test_counts_are_consistent(strata):
    assert (strata["responses"] <= strata["sample"]).all()
    assert (strata["sample"] <= strata["N"]).all()
    assert (strata["responses"] > 0).all()


def test_labels(strata):
    lab = strata.drop_duplicates("size").set_index("size")
    assert lab.loc["medium", "size_label"] == "Middelgroot (50-249 werknemers)"
    assert lab.loc["small", "size_nl"] == "klein"
    sec = strata.drop_duplicates("nace").set_index("nace")
    assert sec.loc["58-63", "nace_label"] == "informatie en communicatie"


def test_weights_against_transcribed_tables(strata):
    """Every one of the 44 weights equals N_h / n_h from the transcribed tables."""
    resp = strata.loc[strata.index.repeat(strata["responses"]), ["nace", "size"]].reset_index(drop=True)
    ps = sw.poststratify(resp, sw.datasets.barometer_2025_frame(), strata=["nace", "size"])
    diag = ps.diagnostics.merge(strata, on=["nace", "size"], suffixes=("", "_t"))
    assert len(diag) == 44
    np.testing.assert_allclose(diag["weight"], diag["N_t"] / diag["responses"], rtol=1e-15)
    # sums to N_h per stratum and to N = 37839, every weight N_h / n_h (against the transcription)
    swt.assert_weights_calibrated(ps, strata, ["nace", "size"], data=resp, rtol=1e-12)
    assert ps.summary["weight_sum"] == pytest.approx(37839, rel=1e-12)


def test_response_rate_30_3_percent():
    acc = sw.response_accounting(sw.datasets.barometer_2025_frame())
    assert acc.overall["response_rate"] == pytest.approx(2915 / 9610, rel=1e-15)
    assert f"{100 * acc.overall['response_rate']:.1f}".replace(".", ",") == "30,3"
    table = acc.to_frame()
    assert table.iloc[-1]["nace"] == "total" and int(table.iloc[-1]["responses"]) == 2915
    assert len(table) == 45


def test_bundled_crosstabs_check_printed_totals(tmp_path):
    """The loader's total check catches a mistyped cell (here 1.504 -> 1.540)."""
    raw = pd.read_csv(
        data_file("barometer_2025_tabel1_population.csv").open(encoding="utf-8"), dtype=str
    ).set_index("grootte")
    raw.iloc[0, 0] = "1.540"
    with pytest.raises(sw.errors.PopulationFrameError, match=r"printed total 4952 of column 'NACE 10-33' differs from the sum of its cells 4988"):
        sw.PopulationFrame.from_crosstab(raw, rows="size", columns="nace", thousands=".", totals="Totaal")
