"""The AI-Barometer 2025 tables (Tabel 3-12) and headlines, checked against the report.

The transcription in ``barometer_2025_published.csv`` is compared cell by cell
with a fresh parse of the plain-text rendering of the report, so a typo in the
CSV (or a wrongly mapped column) makes a test fail.  The report text lives
in ``tests/fixtures/report/`` (an unchanged copy of the project's seed).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from surveyweights.barometer.published import barometer_2025_headlines, barometer_2025_published

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = FIXTURES / "report" / "ai_barometer_2025.txt"
REFERENCE_A = FIXTURES / "r_shared" / "dataset_A.csv"

NACE = ["10-33", "35-39", "41-43", "45-47", "49-53", "55-56", "58-63", "64-66", "68-75",
        "77-82;95.1", "86-88"]
SIZE_LABELS = {
    "Micro (5-9 werknemers)": "micro",
    "Klein (10-49 werknemers)": "small",
    "Middelgroot (50-249 werknemers)": "medium",
    "Groot (>= 250 werknemers)": "large",
}

# Item keys in printed column order, with a word that must occur in the printed
# Dutch header of that column (and in no other header of the same table);
# "=word" means the header is exactly that word.
ITEMS = {
    "adoption": [("adopter", "Minstens één"), ("plans", "wel plannen"),
                 ("no_plans", "geen plannen")],
    "technology": [("tech_text", "analyse"), ("tech_speech", "Spraak"),
                   ("tech_nlg", "Natural language generation"),
                   ("tech_media", "audiogeneratie"), ("tech_vision", "Beeld-herkenning"),
                   ("tech_ml", "Machine learning"), ("tech_rpa", "automatisatie"),
                   ("tech_robots", "Autonome machines")],
    "initiative": [("individual_shadow", "zonder medeweten"),
                   ("individual_approved", "met medeweten"), ("teams", "teams"),
                   ("it", "=IT-departement"), ("management", "Management")],
    "phase": [("experiment", "verkennen"), ("integrate", "geïntegreerd"),
              ("scale", "opgeschaald"), ("reduce", "gereduceerd")],
    "application": [("app_marketing", "Marketing"), ("app_customer_service", "klant"),
                    ("app_production", "Productie"), ("app_administration", "administratieve"),
                    ("app_strategy", "Strategisch"), ("app_procurement", "Aankoop"),
                    ("app_logistics", "Logistiek"), ("app_ict_security", "ICT-beveiliging"),
                    ("app_hr", "Personeel"), ("app_rnd", "nieuwe technologieën")],
}
# table -> (variable, by, base, base_n, multi_response)
TABLES = {
    3: ("adoption", "nace", "all", 2915, False),
    4: ("adoption", "size", "all", 2915, False),
    5: ("technology", "nace", "all", 2915, True),
    6: ("technology", "size", "all", 2915, True),
    7: ("initiative", "nace", "adopters", 1982, False),
    8: ("initiative", "size", "adopters", 1982, False),
    9: ("phase", "nace", "adopters_nonindividual", 1139, False),
    10: ("phase", "size", "adopters_nonindividual", 1139, False),
    11: ("application", "nace", "adopters", 1982, True),
    12: ("application", "size", "adopters", 1982, True),
}


def _report_lines() -> list[str]:
    return REPORT.read_text(encoding="utf-8").split("\n")


def _dutch_int(text: str) -> int:
    return int(text.replace(".", ""))


def _dutch_percent(text: str) -> float:
    m = re.fullmatch(r"(\d{1,3}),(\d)%", text)
    assert m is not None, f"not a printed percentage: {text!r}"
    return float(f"{m.group(1)}.{m.group(2)}")


def _parse_table(lines: list[str], number: int) -> dict:
    """Title N, header and rows of 'Tabel <number>:' as printed."""
    titles = [i for i, line in enumerate(lines) if line.startswith(f"Tabel {number}:")]
    assert len(titles) == 1, f"Tabel {number} title found {len(titles)} times"
    title = lines[titles[0]]
    n_match = re.search(r"\(N=([\d.]+)\)", title)
    i = titles[0] + 1
    while not lines[i].startswith("\t"):  # blank / stray lines before the header
        assert not lines[i].startswith("Tabel"), f"no header under Tabel {number}"
        i += 1
    header = lines[i].split("\t")[1:]
    rows = []
    i += 1
    while i < len(lines) and lines[i].strip():
        label, *cells = lines[i].split("\t")
        rows.append((label, cells))
        i += 1
    return {"title": title, "N": _dutch_int(n_match.group(1)), "header": header, "rows": rows}


def _domain_of(label: str) -> tuple[str, str]:
    if label in SIZE_LABELS:
        return "size", SIZE_LABELS[label]
    m = re.match(r"NACE (\S+) \(", label)
    assert m is not None, f"unexpected row label {label!r}"
    return "nace", m.group(1)


# --------------------------------------------------------------------------
# structure
# --------------------------------------------------------------------------


def test_loader_dtypes_and_columns():
    pub = barometer_2025_published()
    assert list(pub.columns) == [
        "table", "by", "domain", "item", "variable", "item_label_nl", "percent_text",
        "percent", "base", "base_n", "multi_response", "domain_label_nl",
    ]
    assert pub["table"].dtype == "int64"
    assert pub["percent"].dtype == "float64"
    assert pub["base_n"].dtype == "int64"
    assert pub["multi_response"].dtype == "bool"
    assert pd.api.types.is_string_dtype(pub["domain"])
    assert not pub.isna().any().any()
    assert not pub.duplicated(["table", "domain", "item"]).any()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_table_shape_and_metadata(table):
    variable, by, base, base_n, multi = TABLES[table]
    pub = barometer_2025_published()
    t = pub[pub["table"] == table]
    domains = NACE if by == "nace" else list(SIZE_LABELS.values())
    items = [k for k, _ in ITEMS[variable]]
    assert len(t) == len(domains) * len(items)
    assert sorted(t["domain"].unique()) == sorted(domains)
    assert list(t["item"].unique()) == items  # printed column order
    assert (t.groupby("domain").size() == len(items)).all()
    assert set(t["by"]) == {by}
    assert set(t["variable"]) == {variable}
    assert set(t["base"]) == {base}
    assert set(t["base_n"]) == {base_n}
    assert set(t["multi_response"]) == {multi}


def test_percent_matches_percent_text():
    pub = barometer_2025_published()
    parsed = pub["percent_text"].map(_dutch_percent)
    assert (parsed == pub["percent"]).all()
    assert pub["percent"].between(0, 100).all()


@pytest.mark.parametrize("table", [t for t, v in TABLES.items() if not v[4]])
def test_single_choice_rows_sum_to_100_within_rounding(table):
    pub = barometer_2025_published()
    t = pub[pub["table"] == table]
    sums = t.groupby("domain")["percent"].sum()
    cells = t.groupby("domain").size()
    slack = 0.05 * cells + 1e-9
    bad = sums[(sums - 100).abs() > slack]
    assert bad.empty, f"Tabel {table} rows not summing to 100: {bad.to_dict()}"


@pytest.mark.parametrize("table", [t for t, v in TABLES.items() if v[4]])
def test_multi_response_rows_are_not_forced_to_100(table):
    # multi-response: a firm can have several technologies/applications, so the
    # row sums are free; at least one row must exceed 100 for this to be real.
    pub = barometer_2025_published()
    t = pub[pub["table"] == table]
    assert (t.groupby("domain")["percent"].sum() > 100).any()


@pytest.mark.parametrize("variable", sorted(ITEMS))
def test_item_labels_match_keys(variable):
    pub = barometer_2025_published()
    t = pub[pub["variable"] == variable]
    for item, word in ITEMS[variable]:
        labels = set(t.loc[t["item"] == item, "item_label_nl"])
        assert 1 <= len(labels) <= 2, labels  # the nace and size tables may differ in print
        others = set(t.loc[t["item"] != item, "item_label_nl"])
        if word.startswith("="):
            assert labels == {word[1:]}, f"{item!r}: header {labels!r}"
            assert word[1:] not in others
            continue
        for label in labels:
            assert word in label, f"{item!r}: {word!r} not in header {label!r}"
        assert not any(word in o for o in others), f"{word!r} is ambiguous in {variable}"


def test_item_keys_match_reference_dataset_coding():
    ref = pd.read_csv(REFERENCE_A, dtype=str, keep_default_na=False)
    pub = barometer_2025_published()
    for variable in ["adoption", "initiative", "phase"]:
        coded = set(ref[variable]) - {""}
        assert set(pub.loc[pub["variable"] == variable, "item"]) == coded
    tech_cols = [c for c in ref.columns if c.startswith("tech_")]
    assert list(pub.loc[pub["variable"] == "technology", "item"].unique()) == tech_cols
    assert set(pub.loc[pub["by"] == "nace", "domain"]) == set(ref["nace"])
    assert set(pub.loc[pub["by"] == "size", "domain"]) == set(ref["size"])


# --------------------------------------------------------------------------
# cell-by-cell comparison with the report text
# --------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_cell_matches_the_report(table):
    lines = _report_lines()
    printed = _parse_table(lines, table)
    variable, by, _, base_n, _ = TABLES[table]
    assert printed["N"] == base_n
    pub = barometer_2025_published()
    t = pub[pub["table"] == table].set_index(["domain", "item"])
    items = [k for k, _ in ITEMS[variable]]
    assert len(printed["header"]) == len(items)
    expected_rows = 11 if by == "nace" else 4
    assert len(printed["rows"]) == expected_rows, (
        f"Tabel {table}: parsed {len(printed['rows'])} rows from the report"
    )
    n_compared = 0
    for label, cells in printed["rows"]:
        row_by, domain = _domain_of(label)
        assert row_by == by
        assert len(cells) == len(items), f"Tabel {table} row {label!r} has {len(cells)} cells"
        for item, header, cell in zip(items, printed["header"], cells):
            rec = t.loc[(domain, item)]
            assert rec["percent_text"] == cell, (
                f"Tabel {table} {domain} {item}: CSV {rec['percent_text']!r} vs printed {cell!r}"
            )
            assert rec["percent"] == _dutch_percent(cell)
            assert rec["item_label_nl"] == header
            assert rec["domain_label_nl"] == label
            n_compared += 1
    assert n_compared == len(t)


def test_tabel3_nace_58_63_spot_check():
    # The row as printed in the report, typed independently of the CSV.
    pub = barometer_2025_published()
    row = pub[(pub["table"] == 3) & (pub["domain"] == "58-63")].set_index("item")
    assert row.loc["adopter", "percent_text"] == "91,1%"
    assert row.loc["plans", "percent_text"] == "4,6%"
    assert row.loc["no_plans", "percent_text"] == "4,4%"
    lines = _report_lines()
    printed = [ln for ln in lines if ln.startswith("NACE 58-63 (informatie en communicatie)\t")]
    assert printed[0].split("\t")[1:] == ["91,1%", "4,6%", "4,4%"]


def test_tabel4_groot_row_present():
    pub = barometer_2025_published()
    row = pub[(pub["table"] == 4) & (pub["domain"] == "large")].set_index("item")
    assert row["percent_text"].to_dict() == {
        "adopter": "85,4%", "plans": "7,5%", "no_plans": "7,1%"
    }


# --------------------------------------------------------------------------
# headlines
# --------------------------------------------------------------------------


REQUIRED_HEADLINES = {
    ("adoption", "adopter"): 58.8, ("adoption", "plans"): 13.0,
    ("adoption", "no_plans"): 28.2, ("adoption", "non_adopter"): 41.2,
    ("n_technologies", "one"): 14.5, ("n_technologies", "two"): 13.6,
    ("n_technologies", "three"): 11.9, ("n_technologies", "four_or_more"): 18.7,
    ("technology", "tech_text"): 41.2, ("technology", "tech_speech"): 18.9,
    ("technology", "tech_nlg"): 37.8, ("technology", "tech_media"): 33.3,
    ("technology", "tech_vision"): 12.5, ("technology", "tech_ml"): 10.6,
    ("technology", "tech_rpa"): 11.0, ("technology", "tech_robots"): 3.8,
    ("technology", "tech_generative"): 47.6,
    ("initiative", "individual_shadow"): 19.6, ("initiative", "individual_approved"): 29.3,
    ("initiative", "teams"): 15.9, ("initiative", "it"): 6.8,
    ("initiative", "management"): 28.4, ("initiative", "individual"): 48.9,
    ("phase", "experiment"): 48.7, ("phase", "integrate"): 33.4, ("phase", "scale"): 16.9,
    ("phase", "reduce"): 1.0,
    ("application", "app_administration"): 47.4, ("application", "app_marketing"): 45.5,
    ("application", "app_ict_security"): 32.4, ("application", "app_rnd"): 31.5,
    ("application", "app_customer_service"): 26.3, ("application", "app_hr"): 17.3,
    ("application", "app_strategy"): 15.5, ("application", "app_production"): 11.9,
    ("application", "app_procurement"): 10.7, ("application", "app_logistics"): 6.6,
    ("adoption_2023", "adopter"): 32.1,
}


def _headline_map() -> dict[tuple[str, str], float]:
    h = barometer_2025_headlines()
    assert not h.duplicated(["variable", "item"]).any()
    return {(v, i): p for v, i, p in zip(h["variable"], h["item"], h["percent"])}


def test_headline_loader():
    h = barometer_2025_headlines()
    assert list(h.columns) == ["figure", "variable", "item", "percent_text", "percent",
                               "base", "base_n", "quote", "report_line"]
    assert h["percent"].dtype == "float64"
    assert str(h["base_n"].dtype) == "Int64"
    assert (h["percent_text"].map(_dutch_percent) == h["percent"]).all()
    # only the 2023 figure lacks a printed N
    assert h.loc[h["base_n"].isna(), "variable"].tolist() == ["adoption_2023"]


@pytest.mark.parametrize(("key", "value"), sorted(REQUIRED_HEADLINES.items()))
def test_required_headlines_present(key, value):
    assert _headline_map()[key] == value


def test_headline_quotes_are_verbatim():
    lines = _report_lines()
    h = barometer_2025_headlines()
    for row in h.itertuples():
        line = lines[row.report_line - 1]
        assert row.quote in line, f"quote not on line {row.report_line}: {row.quote!r}"
        assert row.percent_text in row.quote


def test_headline_base_matches_figure_caption():
    lines = _report_lines()
    h = barometer_2025_headlines()
    for row in h[h["figure"] != "text"].itertuples():
        captions = [ln for ln in lines if ln.startswith(f"{row.figure}:")]
        assert len(captions) == 1, row.figure
        n = _dutch_int(re.search(r"\(N=([\d.]+)\)", captions[0]).group(1))
        assert n == row.base_n, f"{row.figure} caption N={n}, CSV base_n={row.base_n}"


def test_headline_bases_match_tables():
    pub = barometer_2025_published()
    h = barometer_2025_headlines()
    bases = pub.groupby("variable")[["base", "base_n"]].first()
    for row in h[h["variable"].isin(bases.index)].itertuples():
        assert (row.base, row.base_n) == tuple(bases.loc[row.variable]), row


def test_headlines_internally_consistent():
    m = _headline_map()
    # 13,0 + 28,2 = 41,2 ; 58,8 + 41,2 = 100 (each within the rounding of its cells)
    assert abs(m["adoption", "plans"] + m["adoption", "no_plans"]
               - m["adoption", "non_adopter"]) <= 0.05 * 3 + 1e-9
    assert abs(m["adoption", "adopter"] + m["adoption", "non_adopter"] - 100) <= 0.1 + 1e-9
    # Figuur 1: one + two + three + four or more = adopters (printed: 58,7 vs 58,8)
    counts = sum(m["n_technologies", k] for k in ["one", "two", "three", "four_or_more"])
    assert abs(counts - m["adoption", "adopter"]) <= 0.05 * 5 + 1e-9
    # Figuur 4 and 6 sum to 100; individual = shadow + approved
    init = ["individual_shadow", "individual_approved", "teams", "it", "management"]
    assert abs(sum(m["initiative", k] for k in init) - 100) <= 0.05 * 5 + 1e-9
    assert abs(m["initiative", "individual_shadow"] + m["initiative", "individual_approved"]
               - m["initiative", "individual"]) <= 0.05 * 3 + 1e-9
    phase = ["experiment", "integrate", "scale", "reduce"]
    assert abs(sum(m["phase", k] for k in phase) - 100) <= 0.05 * 4 + 1e-9
    # generative AI = nlg OR media: between the larger one and their sum
    nlg, media = m["technology", "tech_nlg"], m["technology", "tech_media"]
    assert max(nlg, media) - 0.1 <= m["technology", "tech_generative"] <= nlg + media + 0.1
    # the largest and smallest technology shares quoted as the range 3,8% - 41,2%
    techs = [v for (var, k), v in m.items() if var == "technology" and k != "tech_generative"]
    assert (min(techs), max(techs)) == (3.8, 41.2)
    # adoption potential (now or within a year) is at least current adoption
    for k in ["tech_text", "tech_nlg", "tech_media", "tech_robots"]:
        assert m["technology_potential", k] >= m["technology", k]
