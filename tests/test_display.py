"""How results print: the numbers within 80 columns, one-line summaries, HTML for notebooks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import surveyweights as sw
from surveyweights import _display


def lines(obj) -> list[str]:
    return repr(obj).split("\n")


def test_mean_prints_estimate_se_and_interval_within_80_columns(dstrat):
    r = sw.mean(dstrat, "api00")
    f = r.to_frame().iloc[0]
    text = repr(r)
    assert all(len(line) <= 80 for line in lines(r))
    header, values = lines(r)[1].split(), lines(r)[2].split()
    assert header == ["estimate", "se", "ci_low", "ci_high"]
    assert values == [_display.number(f[c]) for c in header]
    assert values == ["662.3", "9.409", "643.7", "680.8"]
    assert text.startswith("Mean of api00: 95% CI (wald, df=design)")
    assert str(r) == text


def test_domain_table_with_long_labels_fits_and_elides(desA):
    data = desA.data.copy()
    data["sector"] = data["nace"].astype(str) + " " + "a very long sector name " * 3
    d = sw.Design(data, strata=["nace", "size"], fpc="N")
    r = sw.proportion(d, "adoption", by=["sector", "size"], method="beta")
    out = lines(r)
    assert all(len(line) <= 80 for line in out)
    assert "…" in repr(r)  # labels are shortened, the numbers are not
    assert f"… ({len(r.to_frame()) - 18} more rows)" in out
    first = r.to_frame().iloc[0]
    assert out[2].split()[-4:] == [_display.number(first[c]) for c in
                                  ("estimate", "se", "ci_low", "ci_high")]


def test_difference_shows_estimate_interval_and_p_value(dstrat):
    r = sw.difference(dstrat, "api00", by="stype", between=("E", "H"))
    f = r.to_frame().iloc[0]
    out = lines(r)
    assert out[0] == "Difference in api00, 'E' - 'H' by stype: 95% CI (df=148)"
    assert out[1].split() == ["estimate", "se", "ci_low", "ci_high", "statistic", "p_value"]
    assert out[2].split() == [_display.number(f[c]) for c in
                              ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value")]
    assert all(len(line) <= 80 for line in out)


def test_chisq_test_prints_one_line(dstrat):
    r = sw.chisq_test(dstrat, "sch.wide", "stype")
    assert "\n" not in repr(r)
    assert repr(r).startswith(f"Rao-Scott test of independence: F = {_display.number(r.statistic)} on")


def test_one_line_summaries_of_whole_datasets():
    raw = sw.datasets.barometer_2025_replica_raw()
    sample = sw.datasets.barometer_2025_replica_sample()
    tech = [c for c in raw.columns if c.startswith("tech_")]
    scr = sw.screen_responses(raw, id="id", sampled_ids=sample["id"],
                              mandatory={"technologies": tech}, duplicates="first")
    assert repr(scr) == ("ScreeningResult: 3,347 responses screened, 2,915 kept, 432 excluded "
                         "(not_sampled 160, duplicate 140, mandatory_missing 132)")
    kept = scr.kept
    adopter = kept["adoption"].eq("adopter")
    imp = sw.hot_deck(kept, ["plans"], by=["nace", "size"], rng=1, fallback=[["size"], []],
                      eligible={"plans": ~adopter})
    n = int(imp.flags["plans"].sum())
    assert repr(imp).startswith(f"HotDeckResult: 2,915 rows, 1 item, {n} cells imputed (plans {n}); "
                                f"from nace x size ")
    mi = sw.multiply_impute(kept, ["plans"], by=["nace", "size"], M=3, rng=1,
                            fallback=[["size"], []], eligible={"plans": ~adopter})
    assert repr(mi) == (f"MultipleImputation: M=3 completed datasets (hot deck, no bootstrap) of "
                        f"2,915 rows; 1 item (plans), {n} cells imputed in each")
    for obj in (scr, imp, mi):
        assert "\n" not in repr(obj) and len(repr(obj)) < 400


def result_classes() -> list[type]:
    """Every result class the package exports (a dataclass with ``to_frame``), the design,
    and the report, quality and disclosure results."""
    from surveyweights.report import disclosure, quality

    out = [getattr(sw, name) for name in sw.__all__
           if isinstance(getattr(sw, name, None), type) and dataclasses.is_dataclass(getattr(sw, name))
           and (hasattr(getattr(sw, name), "to_frame") or name == "Design")]
    return out + [disclosure.Suppression, disclosure.DisclosureRules, quality.QualityRules,
                  sw.barometer.BarometerRun]


def test_every_result_class_has_an_html_view():
    classes = result_classes()
    assert len(classes) >= 14
    missing = [c.__name__ for c in classes if "_repr_html_" not in vars(c)]
    assert missing == []


def test_html_views_render(dstrat, desA):
    html = sw.mean(dstrat, "api00", by="stype")._repr_html_()
    assert "<table" in html and "Mean of api00 by stype" in html and "ci_low" in html
    assert "<table" in sw.difference(dstrat, "api00", by="stype", between=("E", "H"))._repr_html_()
    assert "Rao-Scott" in sw.chisq_test(dstrat, "sch.wide", "stype")._repr_html_()
    assert "Design(" in desA._repr_html_()


@pytest.mark.parametrize("x, text", [(662.2873631593206, "662.3"), (0.058671, "0.05867"),
                                     (1842584.3, "1,842,584"), (np.nan, "NA"), (np.inf, "Inf"),
                                     (2915, "2,915"), (-0.0, "0"), (1.2e-7, "1.2e-07")])
def test_number_format(x, text):
    assert _display.number(x) == text
