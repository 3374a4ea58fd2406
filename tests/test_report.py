"""Report tables: formatting checked cell by cell against the printed AI-Barometer 2025.

The printed percentages of Tabel 3-12 (``barometer_2025_published()``) are fed to
``report_table`` as if they were estimates (estimate = percent / 100); the table
must then print every cell, row label and column header exactly as the report
does.  Tabel 3 and 4 are also compared line by line with the plain-text rendering
of the report (tests/fixtures/report/ai_barometer_2025.txt).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import InputError
from surveyweights.barometer.labels import published_labels, row_labels
from surveyweights.report import (
    ReportTable,
    format_count,
    format_percent,
    report_table,
)

REPORT_TEXT = Path(__file__).parent / "fixtures" / "report" / "ai_barometer_2025.txt"
CAPTIONS = {
    3: "Tabel 3: Adoptiegraad per bedrijfssector",
    4: "Tabel 4: Adoptiegraad per bedrijfsgrootte",
}


def published_as_estimates(table: int) -> pd.DataFrame:
    """A published table as a tidy estimate frame: estimate = printed percent / 100."""
    pub = sw.datasets.barometer_2025_published()
    p = pub[pub["table"] == table]
    by = p["by"].iloc[0]
    multi = bool(p["multi_response"].iloc[0])
    return pd.DataFrame({
        by: p["domain"].to_numpy(),
        # a multi-response set: one 0/1 variable per item, level 1 (as sw.proportion gives)
        "variable": p["item"].to_numpy() if multi else p["variable"].to_numpy(),
        "level": 1 if multi else p["item"].to_numpy(),
        "estimate": p["percent"].to_numpy() / 100,
    })


def published_table(table: int) -> ReportTable:
    pub = sw.datasets.barometer_2025_published()
    p = pub[pub["table"] == table]
    return report_table(
        published_as_estimates(table),
        rows=p["by"].iloc[0],
        columns="variable" if p["multi_response"].iloc[0] else "level",
        row_labels=row_labels(p["by"].iloc[0]),
        column_labels=published_labels(table),
        locale="nl",
        caption=CAPTIONS.get(table),
        n=int(p["base_n"].iloc[0]),
    )


def printed_table(number: int) -> tuple[str, list[str], list[list[str]]]:
    """Caption line, header cells and rows of 'Tabel <number>:' in the report text."""
    lines = REPORT_TEXT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"Tabel {number}:"))
    rest = [line for line in lines[start + 1:]]
    i = 0
    while not rest[i].startswith("\t"):
        i += 1
    header = rest[i].split("\t")[1:]
    rows = []
    for line in rest[i + 1:]:
        if not line.strip():
            break
        rows.append(line.split("\t"))
    return lines[start], header, rows


# --------------------------------------------------------------------------- the report


def test_tabel3_row_informatie_en_communicatie():
    t = published_table(3)
    row = t.formatted.loc["NACE 58-63 (informatie en communicatie)"]
    assert row.tolist() == ["91,1%", "4,6%", "4,4%"]
    assert list(t.formatted.columns) == [
        "Minstens één AI-technologie", "Geen gebruik, wel plannen", "Geen gebruik, geen plannen"
    ]


@pytest.mark.parametrize("number", [3, 4])
def test_tabel_3_and_4_line_by_line_as_printed(number):
    caption, header, rows = printed_table(number)
    t = published_table(number)
    assert t.caption == caption
    assert list(t.formatted.columns) == header
    ours = [[label, *cells] for label, cells in zip(t.formatted.index, t.formatted.to_numpy().tolist())]
    assert ours == rows


@pytest.mark.parametrize("number", range(3, 13))
def test_every_published_cell(number):
    pub = sw.datasets.barometer_2025_published()
    p = pub[pub["table"] == number]
    t = published_table(number)
    labels = published_labels(number)
    assert t.formatted.shape == (p["domain"].nunique(), p["item"].nunique())
    for r in p.itertuples():
        assert t.formatted.loc[r.domain_label_nl, labels[r.item]] == r.percent_text
        assert t.values.loc[r.domain_label_nl, labels[r.item]] == pytest.approx(r.percent, abs=1e-12)
    # rows in the report's order
    assert list(t.formatted.index) == list(pd.unique(p["domain_label_nl"]))
    assert list(t.row_keys) == list(pd.unique(p["domain"]))


def test_published_labels():
    _, header, _ = printed_table(3)
    labels = published_labels(3)
    assert list(labels) == ["adopter", "plans", "no_plans"]
    assert list(labels.values()) == header
    # Tabel 5 and 6 print the first header differently
    assert published_labels(5)["tech_text"] == "Tekst-analyse"
    assert published_labels(6)["tech_text"] == "Tekstanalyse"


@pytest.mark.parametrize("table", [2, 13, "3", True])
def test_published_labels_unknown_table(table):
    with pytest.raises(InputError, match=r"is not a published table; choose one of \[3, 4,"):
        published_labels(table)


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("share", "decimals", "text"),
    [
        (0.12345, 1, "12,3%"),
        (0.12350, 1, "12,4%"),    # the double is 0.12349999..., the decimal is a tie
        (0.0, 1, "0,0%"),
        (-0.0, 1, "0,0%"),
        (1.0, 1, "100,0%"),
        (0.0005, 1, "0,1%"),      # half away from zero
        (0.00049999, 1, "0,0%"),
        (0.0025, 1, "0,3%"),      # half-even would give 0,2%
        (0.0045, 1, "0,5%"),      # 0.0045 * 100 == 0.44999999999999996 in binary
        (0.0285, 1, "2,9%"),
        (0.005, 0, "1%"),
        (0.995, 0, "100%"),
        (0.00125, 2, "0,13%"),
        (0.5, 3, "50,000%"),
        (float("nan"), 1, "–"),
    ],
)
def test_format_percent_rounds_half_away_from_zero(share, decimals, text):
    assert format_percent(share, decimals=decimals) == text
    assert format_percent(share, decimals=decimals, locale="en") == text.replace(",", ".")


@given(st.integers(min_value=0, max_value=10_000))
def test_format_percent_matches_integer_rounding(k):
    # share k/10000 is a percentage with two decimals; half-up to one decimal in integers
    q = (k + 5) // 10
    assert format_percent(k / 10_000) == f"{q // 10},{q % 10}%"
    assert format_percent(k / 10_000, locale="en") == f"{q // 10}.{q % 10}%"


def test_report_table_rounds_like_format_percent():
    est = pd.DataFrame({"g": ["a", "b", "c", "d"], "variable": "y", "level": "yes",
                        "estimate": [0.1235, 0.12345, 0.0045, 1.0]})
    t = report_table(est, rows="g")
    assert t.formatted["yes"].tolist() == ["12,4%", "12,3%", "0,5%", "100,0%"]
    assert report_table(est, rows="g", decimals=0).formatted["yes"].tolist() == ["12%", "12%", "0%", "100%"]
    assert t.values["yes"].tolist() == pytest.approx([12.35, 12.345, 0.45, 100.0], rel=1e-12)


def test_format_count():
    assert format_count(2915) == "2.915"
    assert format_count(2915, locale="en") == "2,915"
    assert format_count(1_234_567) == "1.234.567"
    assert format_count(999) == "999"
    assert format_count(np.int64(37839)) == "37.839"


@pytest.mark.parametrize("n", [-1, 2.5, "2915", True])
def test_format_count_rejects(n):
    with pytest.raises(InputError, match=r"is not a whole number >= 0"):
        format_count(n)


@pytest.mark.parametrize("decimals", [-1, 1.5, "1", None, True])
def test_bad_decimals(decimals):
    with pytest.raises(InputError, match=r"decimals=.* is not a whole number >= 0"):
        format_percent(0.5, decimals=decimals)


# --------------------------------------------------------------------------- locales, labels


def test_locale_en_labels_and_numbers():
    t = report_table(published_as_estimates(3), rows="nace", locale="en",
                     labels=row_labels("nace", locale="en"), caption="Table 3", n=2915)
    assert t.caption == "Table 3 (N=2,915)"
    assert t.formatted.loc["NACE 58-63 (Information and communication)"].tolist() == [
        "91.1%", "4.6%", "4.4%"]
    assert list(t.formatted.columns) == ["adopter", "plans", "no_plans"]
    t4 = report_table(published_as_estimates(4), rows="size", locale="en",
                      labels=row_labels("size", locale="en"))
    assert list(t4.formatted.index) == ["Micro (5-9 employees)", "Small (10-49 employees)",
                                        "Medium (50-249 employees)", "Large (>= 250 employees)"]


@pytest.mark.parametrize("locale", ["fr", "NL", "", None, 1])
def test_unknown_locale(locale):
    with pytest.raises(InputError, match=r"locale=.* is not a known locale; choose one of \['nl', 'en'\]"):
        report_table(published_as_estimates(3), rows="nace", locale=locale)


def test_label_overrides_and_raw_values():
    est = published_as_estimates(3)
    t = report_table(est, rows="nace", labels=row_labels("nace"), row_labels={"58-63": "ICT"},
                     column_labels={"plans": "Plannen"})
    assert t.formatted.index[6] == "ICT"  # row_labels take precedence over labels
    assert t.formatted.index[0] == "NACE 10-33 (maakindustrie)"  # from labels
    assert list(t.formatted.columns) == ["adopter", "Plannen", "no_plans"]
    # domains that are not the barometer codes keep their raw values
    other = est.assign(nace=est["nace"].replace({"10-33": "C"}))
    t2 = report_table(other, rows="nace")
    assert t2.formatted.index[0] == "C" and t2.formatted.index[6] == "58-63"
    # without labels= even the barometer's own codes are printed as they are
    assert report_table(est, rows="nace").formatted.index[6] == "58-63"
    # a column named 'region' gets no barometer labels
    t3 = report_table(est.rename(columns={"nace": "region"}), rows="region")
    assert t3.formatted.index[6] == "58-63"


def test_order_follows_input():
    est = published_as_estimates(4).iloc[::-1]
    t = report_table(est, rows="size")
    assert list(t.row_keys) == ["large", "medium", "small", "micro"]
    assert list(t.column_keys) == ["no_plans", "plans", "adopter"]
    assert t.formatted.iloc[0].tolist() == ["7,1%", "7,5%", "85,4%"]


def test_missing_cell_is_a_dash():
    est = published_as_estimates(4)
    est = est[~((est["size"] == "large") & (est["level"] == "plans"))]
    t = report_table(est, rows="size")
    assert t.formatted.loc["large"].tolist() == ["85,4%", "–", "7,1%"]
    assert np.isnan(t.values.loc["large", "plans"])


def test_no_domains_gives_one_total_row():
    est = pd.DataFrame({"variable": "adoption", "level": ["adopter", "plans", "no_plans"],
                        "estimate": [0.588, 0.130, 0.282]})
    t = report_table(est, rows=None)
    assert list(t.formatted.index) == ["Totaal"]
    assert t.formatted.iloc[0].tolist() == ["58,8%", "13,0%", "28,2%"]
    assert list(report_table(est, rows=None, locale="en").formatted.index) == ["Total"]


# --------------------------------------------------------------------------- confidence intervals


def test_ci_in_cells_and_values_numeric():
    est = pd.DataFrame({"size": ["micro", "micro"], "variable": "adoption",
                        "level": ["adopter", "no_plans"], "estimate": [0.588, 0.412],
                        "ci_low": [0.565, 0.3894], "ci_high": [0.611, 0.43549]})
    t = report_table(est, rows="size", ci=True)
    assert t.formatted.iloc[0].tolist() == ["58,8% [56,5–61,1]", "41,2% [38,9–43,5]"]
    en = report_table(est, rows="size", ci=True, locale="en")
    assert en.formatted.iloc[0, 0] == "58.8% [56.5–61.1]"
    assert t.values.dtypes.tolist() == [np.float64, np.float64]
    np.testing.assert_allclose(t.values.to_numpy(), [[58.8, 41.2]], rtol=1e-12)
    np.testing.assert_allclose(t.ci_low.to_numpy(), [[56.5, 38.94]], rtol=1e-12)
    np.testing.assert_allclose(t.ci_high.to_numpy(), [[61.1, 43.549]], rtol=1e-12)
    # without ci=True the cells carry no interval, but the limits are kept
    assert report_table(est, rows="size").formatted.iloc[0, 0] == "58,8%"


def test_from_estimates_object(desA):
    e = sw.proportion(desA, "adoption", by="size")
    t = report_table(e, rows="size", ci=True, labels=row_labels("size"))
    f = e.to_frame()
    assert list(t.formatted.index) == ["Micro (5-9 werknemers)", "Klein (10-49 werknemers)",
                                       "Middelgroot (50-249 werknemers)", "Groot (>= 250 werknemers)"]
    assert list(t.formatted.columns) == ["adopter", "plans", "no_plans"]
    labels = dict(zip(t.row_keys, t.values.index))
    for r in f.itertuples():
        assert t.values.loc[labels[r.size], r.level] == pytest.approx(100 * r.estimate, rel=1e-14)
        assert t.ci_low.loc[labels[r.size], r.level] == pytest.approx(100 * r.ci_low, rel=1e-14)
        assert t.formatted.loc[labels[r.size], r.level].startswith(format_percent(r.estimate) + " [")


def test_multi_response_from_estimates(desA):
    techs = ["tech_text", "tech_speech", "tech_nlg", "tech_media", "tech_vision", "tech_ml",
             "tech_rpa", "tech_robots"]
    e = sw.proportion(desA, techs, by="nace")
    t = report_table(e, rows="nace", columns="variable", row_labels=row_labels("nace"),
                     column_labels=published_labels(5))
    assert t.values.shape == (11, 8)
    assert list(t.formatted.columns) == list(published_labels(5).values())
    assert list(t.row_keys) == list(sw.datasets.NACE_CODES)
    f = e.to_frame()
    row = f[(f["nace"] == "58-63") & (f["variable"] == "tech_ml")]
    assert t.values.loc["NACE 58-63 (informatie en communicatie)", "Machine learning"] == (
        pytest.approx(100 * row["estimate"].iloc[0], rel=1e-14))


# --------------------------------------------------------------------------- captions


def test_caption_variants():
    est = published_as_estimates(4)
    assert report_table(est, rows="size").caption is None
    assert report_table(est, rows="size", n=2915).caption == "N=2.915"
    assert report_table(est, rows="size", caption="Tabel 4").caption == "Tabel 4"
    syn = report_table(est, rows="size", caption="Tabel 4", n=2915, synthetic=True)
    assert syn.caption == ("Tabel 4 (N=2.915) [SYNTHETIC DATA: synthetische gegevens, "
                           "geen echte enquêteresultaten]")
    assert report_table(est, rows="size", synthetic=True, locale="en").caption == (
        "[SYNTHETIC DATA: not real survey results]")


def test_frozen_and_display():
    t = published_table(3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.caption = "x"
    text = str(t)
    assert text.startswith("Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)\n")
    assert "91,1%" in text
    page = t._repr_html_()
    assert "<strong>Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)</strong>" in page
    assert "<td>91,1%</td>" in page


# --------------------------------------------------------------------------- errors


def test_rows_not_a_domain_column():
    with pytest.raises(InputError, match=r"rows='sector' is not a domain column of the estimates; "
                                         r"the domain columns are \['nace'\]"):
        report_table(published_as_estimates(3), rows="sector")
    with pytest.raises(InputError, match=r"rows='estimate' is not a domain column"):
        report_table(published_as_estimates(3), rows="estimate")


def test_other_domain_column_varies(desA):
    e = sw.proportion(desA, "adoption", by=["nace", "size"], method="beta")
    with pytest.raises(InputError, match=r"also by \['size'\].*keep one value of \['size'\]"):
        report_table(e, rows="nace")
    with pytest.raises(InputError, match=r"also by \['nace', 'size'\].*pass rows='nace'"):
        report_table(e, rows=None)
    # a constant extra domain column is fine
    f = e.to_frame()
    t = report_table(f[f["size"] == "large"], rows="nace")
    assert t.values.shape == (11, 3)


def test_level_columns_with_several_variables():
    est = pd.concat([published_as_estimates(3), published_as_estimates(5)])
    with pytest.raises(InputError, match=r"columns='level' needs one variable, but the estimates hold 9"):
        report_table(est, rows="nace")


def test_variable_columns_with_several_levels():
    with pytest.raises(InputError, match=r"columns='variable' needs one level per variable, but "
                                         r"variable 'adoption' has levels \['adopter', 'plans', 'no_plans'\]"):
        report_table(published_as_estimates(3), rows="nace", columns="variable")


def test_variable_columns_need_names():
    est = published_as_estimates(5).assign(variable=np.nan)
    with pytest.raises(InputError, match=r"'variable' column has missing values"):
        report_table(est, rows="nace", columns="variable")


def test_unknown_columns_mode():
    with pytest.raises(InputError, match=r"columns='item' is not valid; choose 'level'"):
        report_table(published_as_estimates(3), rows="nace", columns="item")


def test_duplicate_cells():
    est = published_as_estimates(3)
    est = pd.concat([est, est.iloc[[0]]])
    with pytest.raises(InputError, match=r"2 rows of the estimates fall in the same cell \['10-33', 'adopter'\]"):
        report_table(est, rows="nace")


def test_percentages_instead_of_shares():
    est = published_as_estimates(3)
    est["estimate"] *= 100
    with pytest.raises(InputError, match=r"estimate 55.9 \(row 0 of the estimates\) is outside \[0, 1\]; .*divide percentages by 100"):
        report_table(est, rows="nace")


def test_ci_without_limits():
    with pytest.raises(InputError, match=r"ci=True needs the columns 'ci_low' and 'ci_high'"):
        report_table(published_as_estimates(3), rows="nace", ci=True)


def test_missing_required_column():
    with pytest.raises(InputError, match=r"has no column\(s\) \['level'\]"):
        report_table(published_as_estimates(3).drop(columns="level"), rows="nace")


def test_not_estimates():
    with pytest.raises(InputError, match=r"estimates must be an Estimates object .* got list"):
        report_table([0.5], rows=None)


def test_means_are_numbers_not_percentages(desA):
    e = sw.mean(desA, "is_adopter", by="size")
    t = report_table(e, rows="size", locale="en")
    f = e.to_frame()
    assert t.kind == "mean" and t.decimals == 1
    assert t.formatted.iloc[:, 0].tolist() == [f"{v:.1f}" for v in f["estimate"]]
    np.testing.assert_allclose(t.values.iloc[:, 0].to_numpy(), f["estimate"].to_numpy(), rtol=1e-15)
    with pytest.raises(InputError, match=r"the estimates are means; charts print proportions"):
        sw.plots.bar_chart(e)


def test_empty_frame():
    with pytest.raises(InputError, match=r"has no rows"):
        report_table(published_as_estimates(3).iloc[:0], rows="nace")


def test_bad_labels():
    with pytest.raises(InputError, match=r"row_labels=.* is not a mapping"):
        report_table(published_as_estimates(3), rows="nace", row_labels=["a"])
    with pytest.raises(InputError, match=r"column_labels gives the same label \['x'\] to different values"):
        report_table(published_as_estimates(3), rows="nace", column_labels={"plans": "x", "no_plans": "x"})


def test_bad_n_and_caption():
    with pytest.raises(InputError, match=r"n=-5 is not a whole number >= 0"):
        report_table(published_as_estimates(3), rows="nace", n=-5)
    with pytest.raises(InputError, match=r"caption=3 is not a string"):
        report_table(published_as_estimates(3), rows="nace", caption=3)


# --------------------------------------------------------------------------- exports


def test_to_csv(tmp_path):
    t = published_table(3)
    path = t.to_csv(tmp_path / "tabel3.csv")
    back = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False)
    assert back.index.name == "nace"
    assert back.loc["NACE 58-63 (informatie en communicatie)"].tolist() == ["91,1%", "4,6%", "4,4%"]
    assert back.to_numpy().tolist() == t.formatted.to_numpy().tolist()
    assert list(back.index) == list(t.formatted.index)
    assert list(back.columns) == list(t.formatted.columns)
    caption = (tmp_path / "tabel3.caption.txt").read_text(encoding="utf-8")
    assert caption == "Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)\n"
    num = pd.read_csv(t.to_csv(tmp_path / "values.csv", numeric=True), dtype={"nace": str})
    wide = num.pivot(index="row_label", columns="column_label", values="estimate")
    wide = wide.loc[t.values.index, t.values.columns]
    np.testing.assert_allclose(100 * wide.to_numpy(dtype=float), t.values.to_numpy(), rtol=1e-15)
    assert num.loc[num["nace"] == "58-63", "text"].tolist() == ["91,1%", "4,6%", "4,4%"]


def test_to_csv_synthetic_and_no_caption(tmp_path):
    est = published_as_estimates(4)
    syn = report_table(est, rows="size", synthetic=True)
    back = pd.read_csv(syn.to_csv(tmp_path / "s.csv"), index_col=0)
    assert back.index.name == "size (SYNTHETIC DATA)"
    assert "SYNTHETIC DATA" in (tmp_path / "s.caption.txt").read_text(encoding="utf-8")
    report_table(est, rows="size").to_csv(tmp_path / "plain.csv")
    assert not (tmp_path / "plain.caption.txt").exists()


def test_to_markdown(tmp_path):
    t = published_table(3)
    text = t.to_markdown(tmp_path / "t.md")
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == text
    lines = text.splitlines()
    assert lines[0] == "**Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)**"
    assert lines[1] == ""
    row = next(line for line in lines if "NACE 58-63" in line)
    assert [c.strip() for c in row.strip("|").split("|")] == [
        "NACE 58-63 (informatie en communicatie)", "91,1%", "4,6%", "4,4%"]
    assert "Minstens één AI-technologie" in lines[2]


def test_to_latex(tmp_path):
    t = published_table(3)
    text = t.to_latex(tmp_path / "t.tex", label="tab:adoptie-sector")
    assert (tmp_path / "t.tex").read_text(encoding="utf-8") == text
    assert r"\caption{Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)}" in text
    assert r"\label{tab:adoptie-sector}" in text
    assert r"NACE 58-63 (informatie en communicatie) & 91,1\% & 4,6\% & 4,4\% \\" in text
    assert text.count(r"\begin{table}") == 1 and r"\toprule" in text


def test_to_latex_escapes_caption():
    est = published_as_estimates(4)
    text = report_table(est, rows="size", caption="50% & meer_dan #1").to_latex()
    assert r"\caption{50\% \& meer\_dan \#1}" in text
    syn = report_table(est, rows="size", synthetic=True).to_latex()
    assert "SYNTHETIC DATA" in syn


def test_to_excel(tmp_path):
    t = published_table(3)
    path = t.to_excel(tmp_path / "t.xlsx")
    back = pd.read_excel(path, sheet_name="table", skiprows=2, index_col=0)
    assert back.loc["NACE 58-63 (informatie en communicatie)"].tolist() == ["91,1%", "4,6%", "4,4%"]
    assert list(back.columns) == list(t.formatted.columns)
    values = pd.read_excel(path, sheet_name="values", skiprows=2, dtype={"nace": str})
    assert list(values.columns) == ["nace", "level", "row_label", "column_label", "estimate",
                                    "ci_low", "ci_high", "se", "cv", "n", "flag", "suppressed",
                                    "status", "symbol", "text"]
    wide = values.pivot(index="row_label", columns="column_label", values="estimate")
    wide = wide.loc[t.values.index, t.values.columns]
    np.testing.assert_allclose(100 * wide.to_numpy(dtype=float), t.values.to_numpy(), rtol=1e-15)
    wb = openpyxl.load_workbook(path)
    for name in ("table", "values"):
        assert wb[name]["A1"].value == "Tabel 3: Adoptiegraad per bedrijfssector (N=2.915)"
        assert wb[name]["A1"].font.bold


def test_to_excel_without_caption_and_synthetic(tmp_path):
    est = published_as_estimates(4)
    plain = pd.read_excel(report_table(est, rows="size").to_excel(tmp_path / "p.xlsx"), index_col=0)
    assert plain.loc["large"].tolist() == ["85,4%", "7,5%", "7,1%"]
    path = report_table(est, rows="size", synthetic=True).to_excel(tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb["table"]["A1"].value.startswith("[SYNTHETIC DATA")
    assert wb["table"]["A3"].value == "size (SYNTHETIC DATA)"


def test_repr_is_short():
    t = published_table(4)
    assert repr(t) == ("ReportTable(4 rows x 3 columns by 'size' and 'level', locale='nl', "
                       "caption='Tabel 4: Adoptiegraad per bedrijfsgrootte (N=2.915)')")


def test_two_way_table_and_ratio_table(replica_design):
    cells = sw.proportion(replica_design, "adoption", by=["nace", "size"], method="beta")
    t = report_table(cells, rows="nace", columns="size", level="adopter", locale="en",
                     stats=("n",))
    f = cells.to_frame().query("level == 'adopter'")
    row = f[(f["nace"] == "58-63") & (f["size"] == "large")].iloc[0]
    assert t.formatted.loc["58-63", "large"] == format_percent(row["estimate"], locale="en")
    assert t.formatted.loc["58-63", "large: n"] == str(row["n"])
    long = t.to_frame()
    assert len(long) == len(f) and set(long.columns) >= {"nace", "size", "estimate", "ci_low",
                                                          "ci_high", "se", "cv", "n"}
    with pytest.raises(InputError, match=r"choose one with level=..., e.g. level='adopter'"):
        report_table(cells, rows="nace", columns="size")
    r = sw.ratio(replica_design, "tech_ml", "tech_text", by="size")
    rt = report_table(r, rows="size", stats=("se", "cv"), locale="en")
    assert rt.kind == "ratio" and rt.decimals == 2
    est = r.to_frame()["estimate"].to_numpy()
    assert rt.formatted.iloc[:, 0].tolist() == [f"{v:.2f}" for v in est]
    np.testing.assert_allclose(rt.values.iloc[:, 0].to_numpy(), est, rtol=1e-15)


def test_totals_table_prints_whole_numbers_with_the_locale_separator(replica_design):
    e = sw.total(replica_design, "tech_ml", by="size")
    f = e.to_frame()
    en = report_table(e, rows="size", ci=True, stats=("n", "se", "cv"), locale="en")
    nl = report_table(e, rows="size", ci=True, locale="nl")
    assert en.kind == "total" and en.decimals == 0
    for r, text_en, text_nl in zip(f.itertuples(), en.formatted["tech_ml"], nl.formatted["tech_ml"]):
        for text, loc in ((text_en, "en"), (text_nl, "nl")):
            cells = [format_count(round(x), locale=loc) for x in (r.estimate, r.ci_low, r.ci_high)]
            assert text == "{} [{}–{}]".format(*cells)
    assert en.formatted["n"].tolist() == [f"{n:,}" for n in f["n"]]
    # the exports carry the unrounded numbers next to the text
    long = en.to_frame().set_index("size").loc[f["size"]]
    for col in ("estimate", "ci_low", "ci_high", "se", "n"):
        np.testing.assert_allclose(long[col].to_numpy(dtype=float), f[col].to_numpy(dtype=float),
                                   rtol=1e-15)
    np.testing.assert_allclose(long["cv"].to_numpy(dtype=float), (f["se"] / f["estimate"]).to_numpy(),
                               rtol=1e-12)
