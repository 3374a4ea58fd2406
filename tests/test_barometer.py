"""The AI-Barometer pipeline (surveyweights.barometer) and the main job's outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import surveyweights as sw
from surveyweights import barometer as bm


@pytest.fixture(scope="module")
def run():
    return bm.run_barometer(rng=2025, method="beta", df="satterthwaite")


def test_screening_gives_back_the_usable_responses(run):
    s = run.screening.summary.set_index("rule")["n"]
    assert s["total"] == 3347 and s["kept"] == 2915
    assert s["not_sampled"] + s["duplicate"] + s["mandatory_missing"] == 432  # as the report
    usable = sw.datasets.barometer_2025_replica()
    assert sorted(run.screening.kept["id"]) == sorted(usable["id"])


def test_imputation_respects_skip_logic(run):
    d = run.design.data
    adopter = d["adoption"].eq("adopter")
    assert d["adoption"].notna().all()                    # plans imputed for non-adopters
    assert d.loc[adopter, ["initiative", "budget", *bm.APPS]].notna().all().all()
    assert d.loc[~adopter, ["initiative", "budget", *bm.APPS]].isna().all().all()
    nonind = adopter & d["initiative"].isin(["teams", "it", "management"])
    assert d.loc[nonind, "phase"].notna().all() and d.loc[~nonind, "phase"].isna().all()
    flags = run.imputation.flags
    # an imputed application block comes from one donor: all ten flags together
    app_flags = flags[list(bm.APPS)]
    assert (app_flags.all(axis=1) == app_flags.any(axis=1)).all()
    rep = run.imputation.report.set_index("item")
    assert (rep["n_imputed"] == rep["n_eligible_missing"]).all()


def test_design_and_tables(run):
    assert run.design.population_size == pytest.approx(37839)
    assert run.design.degf == 2871
    assert set(run.estimates) == set(range(3, 13))
    t3 = run.estimates[3].to_frame()
    assert len(t3) == 33 and np.allclose(t3.groupby("nace")["estimate"].sum(), 1)
    t5 = run.estimates[5].to_frame()
    assert set(t5["variable"]) == set(bm.TECH) and len(t5) == 88
    t9 = run.estimates[9].to_frame()
    assert (t9["method"] == "beta").all()
    # Satterthwaite's df is positive and at most sum (n_h - 1) over the sector's strata
    strata = sw.datasets.barometer_2025()
    cap = (strata["responses"] - 1).groupby(strata["nace"]).sum()
    assert ((t9["df"] > 0) & (t9["df"] <= t9["nace"].map(cap))).all()


def test_headlines_next_to_published(run):
    h = run.headlines
    assert len(h) == 36
    assert h["published_in_ci"].all()
    adopter = h[h["item"] == "adopter"].iloc[0]
    assert adopter["published"] == 58.8 and abs(adopter["difference"]) < 0.1


@pytest.mark.parametrize("route", ["nace", "size"])
def test_reproduce_headlines_from_the_report_tables(route):
    t = bm.reproduce_headlines(route)
    assert len(t) == 30 and t["consistent"].all()
    a = t[t["item"] == "adopter"].iloc[0]
    expected = 58.77 if route == "nace" else 58.75  # the hand computation
    assert round(a["estimate"], 2) == expected
    assert a["low"] < a["estimate"] < a["high"]


def test_reproduce_headlines_rejects_an_unknown_route():
    with pytest.raises(sw.errors.InputError, match="route='sector' is not valid"):
        bm.reproduce_headlines("sector")


def test_write_outputs(run, tmp_path):
    files = bm.write_outputs(run, tmp_path / "out", formats=["csv", "xlsx"], figures=True)
    names = {p.relative_to(tmp_path / "out").as_posix() for p in files}
    assert {"tables/tabel_03.csv", "tables/tabel_12.xlsx", "diagnostics/weights.csv",
            "figures/figuur_02_technologies.png", "README.txt"} <= names
    t3 = pd.read_csv(tmp_path / "out" / "tables" / "tabel_03.csv", index_col=0)
    assert "SYNTHETIC" in t3.index.name
    assert t3.shape == (11, 3)
    w = pd.read_csv(tmp_path / "out" / "diagnostics" / "weights.csv", dtype={"nace": str})
    assert w["weight_sum"].sum() == pytest.approx(37839)
    assert "SYNTHETIC" in (tmp_path / "out" / "README.txt").read_text()
    png = (tmp_path / "out" / "figures" / "figuur_10_applications.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(sw.errors.InputError, match=r"unknown table format\(s\) \['pdf'\]"):
        bm.write_outputs(run, tmp_path / "x", formats=["pdf"])


def _dutch(x: float, decimals: int = 1) -> str:
    return f"{x:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def test_imputation_explains_where_tabel_3_differs_and_the_docs_say_so(run):
    """Every Tabel 3 cell more than 0.5 pp from the report, with the imputed plans answers of
    its sector (recomputed here from the run's flags and weights and from Tabel 1); the
    imputed answers can move the cell that far; docs/reproduction.md prints these numbers."""
    from pathlib import Path

    eff = bm.imputation_effects(run)
    pub = sw.datasets.barometer_2025_published()
    p3 = pub[pub["table"] == 3].set_index(["domain", "item"])["percent"]
    est = run.estimates[3].to_frame()
    diff = {(r.nace, r.level): 100 * r.estimate - p3[(r.nace, r.level)]
            for r in est.itertuples() if (r.nace, r.level) in p3.index}
    over = {k for k, v in diff.items() if abs(v) > 0.5}
    assert set(zip(eff["nace"], eff["level"])) == over and ("35-39", "plans") in over
    data = run.design.data
    weights = run.design.weighting.weights.reindex(data.index).to_numpy()
    imputed = run.imputation.flags["plans"].reindex(data.index).to_numpy(dtype=bool)
    N = sw.datasets.barometer_2025_frame().table.groupby("nace")["N"].sum()
    for r in eff.itertuples():
        sector = data["nace"].eq(r.nace).to_numpy()
        w = np.sort(weights[sector & imputed])[::-1]
        np.testing.assert_allclose(r.weights, w, rtol=1e-12)
        assert r.n_imputed == len(w) > 0 and r.population == pytest.approx(N[r.nace], rel=1e-12)
        assert r.difference == pytest.approx(diff[(r.nace, r.level)], abs=1e-12)
        # each imputed answer moves the share by at most its weight / N; plus the report's
        # rounding (0.05) and the replica's own limit in NACE 35-39 (0.052, docs/replica.md)
        assert abs(r.difference) <= 100 * w.sum() / N[r.nace] + 0.05 + 0.052
    # the docs' table: one row per cell, the run's numbers as the page prints them
    page = (Path(__file__).parent.parent / "docs" / "reproduction.md").read_text(encoding="utf-8")
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in page.splitlines()
            if line.startswith("| NACE ") and ("plannen |" in line)]
    level = {"wel plannen": "plans", "geen plannen": "no_plans"}
    printed = {(row[0].removeprefix("NACE "), level[row[1]]): row for row in rows}
    assert set(printed) == over
    for r in eff.itertuples():
        row = printed[(r.nace, r.level)]
        assert row[2:5] == [_dutch(r.estimate) + "%", _dutch(r.published) + "%",
                            ("+" if r.difference > 0 else "−") + _dutch(abs(r.difference))]
        if row[5]:
            assert row[5].startswith(f"{r.n_imputed} (") and row[6] == _dutch(r.population, 0)
