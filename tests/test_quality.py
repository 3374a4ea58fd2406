"""Reliability rules: the built-in sets' thresholds, markers, footnotes, tables and figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import InputError
from surveyweights.report import quality


def frame(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols)


def test_statcan_thresholds_at_their_edges():
    # CV = se / estimate; StatCan: acceptable up to 16.5%, E from 16.6% to 33.3%, F above
    est = frame(estimate=[1.0] * 6 + [0.5, 0.5],
                se=[0.165, 0.1651, 0.333, 0.3331, 0.10, 0.0, 0.01, 0.01],
                n=[50, 50, 50, 50, 50, 50, 10, 9])
    a = quality.rules("statcan").assess(est)
    assert a["status"].tolist() == ["ok", "flag", "flag", "suppress", "ok", "ok", "ok", "suppress"]
    assert a["marker"].tolist() == ["", "E", "E", "F", "", "", "", "F"]
    assert a["cv"].to_numpy() == pytest.approx([0.165, 0.1651, 0.333, 0.3331, 0.1, 0.0, 0.02, 0.02])
    # a suppressed cell reports the suppression rule only (n < 10 is the third threshold)
    assert a["reasons"].tolist()[7] == (2,) and a["reasons"].tolist()[3] == (1,)


def test_cv_alias_and_unknown_set():
    assert quality.rules("cv") == quality.rules("statcan")
    with pytest.raises(InputError, match=r"'abs' is not a built-in quality rule set; choose one of "
                                         r"\['statcan', 'cv', 'nchs'\]"):
        quality.rules("abs")


def test_nchs_standard_each_branch():
    est = frame(
        estimate=[0.5, 0.01, 0.5, 0.1, 0.9, 0.5, 0.0, 0.4],
        se=[0.1, 0.001, 0.05, 0.035, 0.035, 0.025, 0.0, 0.025],
        ci_low=[0.3, 0.005, 0.3, 0.02, 0.8, 0.45, 0.0, 0.35],
        ci_high=[0.7, 0.04, 0.6, 0.16, 0.94, 0.55, 0.04, 0.45],
        n=[100, 1000, 400, 400, 400, 400, 200, 400],
        df=[50, 50, 50, 50, 50, 5, 50, 50],
    )
    a = quality.rules("nchs").assess(est)
    assert a["status"].tolist() == [
        "suppress",  # effective sample size 0.25 / 0.01 = 25 < 30
        "ok",        # interval 3.5 points wide: published although 350% of the estimate
        "suppress",  # interval exactly 30 points wide
        "suppress",  # 14 points and 140% of the estimate
        "flag",      # 14 points and 140% of the complement 0.1
        "flag",      # 5 degrees of freedom
        "flag",      # an estimate of 0%
        "ok",
    ]
    assert a["n_eff"].iloc[6] == 200  # n where p = 0
    assert a["n_eff"].iloc[1] == 1000  # capped at n


def test_nchs_is_for_proportions(desA):
    with pytest.raises(InputError, match=r"the 'nchs' quality rules are for proportions, but the "
                                         r"estimates are means"):
        quality.rules("nchs").assess(sw.mean(desA, "is_adopter", by="size"))


def test_missing_columns_are_named():
    with pytest.raises(InputError, match=r"need the column\(s\) \['ci_high', 'ci_low', 'df', 'se'\]"):
        quality.rules("nchs").assess(frame(estimate=[0.5], n=[10]))


def test_custom_rules_and_their_checks():
    r = quality.QualityRules("mine", [quality.Threshold("cv", 0.25, "flag"),
                                      quality.Threshold("n", 20, "suppress", inclusive=True)],
                             flag_marker="*", suppress_symbol="..")
    a = r.assess(frame(estimate=[0.5, 0.5, 0.5], se=[0.2, 0.1, 0.1], n=[100, 20, 21]))
    assert a["status"].tolist() == ["flag", "suppress", "ok"]
    assert r.footnotes(locale="en") == [
        "* Use with caution: coefficient of variation above 25%.",
        ".. Too unreliable to be published: at most 20 respondents.",
    ]
    with pytest.raises(InputError, match=r"measure='rse' is not a quality measure"):
        quality.Threshold("rse", 0.3, "flag")
    with pytest.raises(InputError, match=r"action='hide' is not valid"):
        quality.Threshold("cv", 0.3, "hide")
    with pytest.raises(InputError, match=r"flag_marker and suppress_symbol are both 'E'"):
        quality.QualityRules("x", [quality.Threshold("cv", 0.3, "flag")], flag_marker="E",
                             suppress_symbol="E")


def test_footnotes_in_both_languages_name_only_what_was_breached():
    r = quality.rules("statcan")
    assert r.footnotes(locale="nl") == [
        "E Met voorzichtigheid te gebruiken: variatiecoëfficiënt boven 16,5%.",
        "F Te onbetrouwbaar om te publiceren: variatiecoëfficiënt boven 33,3% of minder dan 10 "
        "respondenten.",
    ]
    assert r.footnotes(["suppress"], locale="en", reasons=[(2,)]) == [
        "F Too unreliable to be published: fewer than 10 respondents."]


@given(est=st.floats(0.01, 1.0), se=st.floats(0.0, 1.0), n=st.integers(1, 500))
def test_property_status_is_monotone_in_se_and_n(est, se, n):
    r = quality.rules("statcan")
    order = {"ok": 0, "flag": 1, "suppress": 2}
    base = r.assess(frame(estimate=[est], se=[se], n=[n]))["status"].iloc[0]
    worse = r.assess(frame(estimate=[est], se=[se * 1.5 + 0.01], n=[max(n - 5, 1)]))["status"].iloc[0]
    assert order[worse] >= order[base]


# --------------------------------------------------------------------------- tables and figures


def test_report_table_marks_flagged_and_suppressed_cells(replica_design):
    est = sw.proportion(replica_design, "phase", by="nace", method="beta",
                        subset="adoption == 'adopter' and initiative in ['teams', 'it', 'management']")
    t = sw.report_table(est, rows="nace", locale="en", quality=quality.rules("cv"), stats=("cv",))
    a = quality.rules("cv").assess(est).assign(nace=est.to_frame()["nace"],
                                               level=est.to_frame()["level"])
    f = t.to_frame(published=False)
    for row in a.itertuples():
        cell = f[(f["nace"] == row.nace) & (f["level"] == row.level)].iloc[0]
        if row.status == "suppress":
            assert cell["text"] == "F" and cell["suppressed"] and not cell["flag"]
        elif row.status == "flag":
            assert cell["text"].endswith(" E") and cell["flag"] and not cell["suppressed"]
        else:
            assert cell["text"].endswith("%") and not cell["flag"]
    assert (a["status"] == "flag").any() and (a["status"] == "suppress").any()
    assert t.notes == ("E Use with caution: coefficient of variation above 16.5%.",
                       "F Too unreliable to be published: coefficient of variation above 33.3%.")
    assert t.notes[0] in t.to_markdown() and t.notes[1] in str(t) and "\\par" in t.to_latex()
    # the CV column prints the same CV that decided the marker
    col = [c for c in t.formatted.columns if c.endswith(": CV")][0]
    assert all(v in ("F",) or v.endswith("%") for v in t.formatted[col])


def test_bar_chart_hatches_flagged_and_drops_suppressed_bars(replica_design):
    apps = ["app_marketing", "app_customer_service", "app_production", "app_administration",
            "app_strategy"]
    est = sw.proportion(replica_design, apps, method="beta",
                        subset="adoption == 'adopter' and nace == '64-66'")
    a = quality.rules("cv").assess(est)
    fig = sw.plots.bar_chart(est, quality=quality.rules("cv"), sort=False, locale="en")
    bars = fig.axes[0].containers[0]
    labels = [t.get_text() for t in fig.axes[0].texts]
    for bar, label, status in zip(bars, labels, a["status"]):
        assert (bar.get_hatch() == "///") == (status == "flag")
        assert (label == "F") == (status == "suppress")
        assert label.endswith(" E") == (status == "flag")
        if status == "suppress":
            assert bar.get_width() == 0
    assert set(a["status"]) == {"ok", "flag", "suppress"}
    texts = [t.get_text() for t in fig.texts]
    assert any(t.startswith("F Too unreliable") for t in texts) == (a["status"] == "suppress").any()


def test_figures_show_themselves_in_jupyter(replica_design):
    fig = sw.plots.bar_chart(sw.proportion(replica_design, "adoption"), locale="en")
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    from IPython.core.formatters import PNGFormatter

    assert PNGFormatter()(fig) == png  # what IPython shows for `fig` in a cell
