"""Report figures: bars with CI error bars (Figuur 2) and 100% stacked bars (Tabel 3).

Figures are drawn headless on the Agg canvas through the object API and inspected
through their Axes: number of bars, bar lengths, error-bar extents, labels.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure

import surveyweights as sw
from surveyweights.errors import InputError
from surveyweights.plots import bar_chart, save_figure, stacked_bar_chart
from surveyweights.barometer.labels import published_labels, row_labels
from surveyweights.report import format_percent

TECHS = ["tech_text", "tech_speech", "tech_nlg", "tech_media", "tech_vision", "tech_ml",
         "tech_rpa", "tech_robots"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def figuur2() -> pd.DataFrame:
    """The Figuur 2 percentages quoted in the report text, with made-up intervals."""
    pct = np.array([41.2, 18.9, 37.8, 33.3, 12.5, 10.6, 11.0, 3.8])
    return pd.DataFrame({
        "variable": TECHS, "level": 1, "estimate": pct / 100,
        "ci_low": (pct - 2.0) / 100, "ci_high": (pct + 2.5) / 100, "confidence_level": 0.95,
    })


def bars(fig: Figure) -> list[BarContainer]:
    return [c for c in fig.axes[0].containers if isinstance(c, BarContainer)]


def errorbars(fig: Figure) -> list[ErrorbarContainer]:
    return [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]


def ytick_texts(fig: Figure) -> list[str]:
    return [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]


def all_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts] + [t.get_text() for t in fig.texts]


def draw(fig: Figure):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def assert_readable(fig: Figure) -> None:
    """Every text lies inside the figure and the category labels do not overlap."""
    renderer = draw(fig)
    box = fig.bbox
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    xticks = [t for t in ax.get_xticklabels() if lo <= t.get_position()[0] <= hi]  # drawn ones
    texts = [*ax.get_yticklabels(), *xticks, *ax.texts, *fig.texts, ax.title]
    if ax.get_legend() is not None:
        texts += list(ax.get_legend().get_texts())
    for t in texts:
        if not t.get_text():
            continue
        e = t.get_window_extent(renderer)
        assert e.x0 >= box.x0 - 1 and e.x1 <= box.x1 + 1, t.get_text()
        assert e.y0 >= box.y0 - 1 and e.y1 <= box.y1 + 1, t.get_text()
    ticks = sorted((t.get_window_extent(renderer) for t in ax.get_yticklabels()), key=lambda e: e.y0)
    for lower, upper in zip(ticks, ticks[1:]):
        assert lower.y1 <= upper.y0 + 0.5
    # the small print under the figure stays below the axes' decorations
    if fig.texts:
        lowest_axes = ax.get_tightbbox(renderer).y0
        for t in fig.texts:
            assert t.get_window_extent(renderer).y1 <= lowest_axes + 0.5, t.get_text()


# --------------------------------------------------------------------------- bar_chart


def test_bar_chart_figuur2():
    est = figuur2()
    fig = bar_chart(est, labels=published_labels(5), title="Figuur 2: Adoptiegraad type AI-technologieën")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    (container,) = bars(fig)
    assert len(container) == 8
    # sorted: the largest on top (the y axis is inverted, so top = first)
    expected = np.sort(est["estimate"].to_numpy() * 100)[::-1]
    np.testing.assert_allclose([p.get_width() for p in container], expected, rtol=1e-12)
    assert ytick_texts(fig)[0] == "Tekst-analyse"
    assert ytick_texts(fig)[-1] == "Autonome machines"
    assert fig.axes[0].yaxis_inverted()
    # value labels in the Dutch format, one per bar
    values = [t.get_text() for t in fig.axes[0].texts]
    assert values == [format_percent(x / 100) for x in expected]
    assert values[0] == "41,2%" and values[-1] == "3,8%"
    assert fig.axes[0].get_title(loc="left") == "Figuur 2: Adoptiegraad type AI-technologieën"
    assert "Foutbalken: 95%-betrouwbaarheidsinterval" in all_texts(fig)
    assert_readable(fig)


def test_bar_chart_error_bars_span_the_interval():
    est = figuur2()
    fig = bar_chart(est, sort=False)
    (eb,) = errorbars(fig)
    (lines,) = eb.lines[2]
    segments = lines.get_segments()
    assert len(segments) == 8
    lo = [min(s[:, 0]) for s in segments]
    hi = [max(s[:, 0]) for s in segments]
    np.testing.assert_allclose(lo, est["ci_low"] * 100, rtol=1e-12)
    np.testing.assert_allclose(hi, est["ci_high"] * 100, rtol=1e-12)
    # sort=False keeps the input order, top to bottom
    assert ytick_texts(fig) == TECHS


def test_bar_chart_without_ci_and_in_english():
    fig = bar_chart(figuur2(), ci=False, locale="en", xlabel="Share of enterprises")
    assert errorbars(fig) == []
    assert len(bars(fig)[0]) == 8
    assert [t.get_text() for t in fig.axes[0].texts][0] == "41.2%"
    assert fig.axes[0].get_xlabel() == "Share of enterprises"
    assert not any("Error bars" in t for t in all_texts(fig))


def test_bar_chart_ci_not_needed_when_off():
    est = figuur2().drop(columns=["ci_low", "ci_high"])
    assert len(bars(bar_chart(est, ci=False))[0]) == 8
    with pytest.raises(InputError, match=r"ci=True needs the columns 'ci_low' and 'ci_high'"):
        bar_chart(est)


def test_bar_chart_by_domain_from_estimates(desA):
    f = sw.proportion(desA, "adoption", by="nace").to_frame()
    f = f[f["level"] == "adopter"]
    fig = bar_chart(f, sort=False, synthetic=True, note="Bron: dataset A", labels=row_labels("nace"))
    assert len(bars(fig)[0]) == 11
    assert len(errorbars(fig)) == 1
    labels = ytick_texts(fig)
    assert labels[0] == "NACE 10-33 (maakindustrie)"
    # long sector names are wrapped over several lines
    raw = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert max(len(line) for label in raw for line in label.split("\n")) <= 45
    assert labels[9] == ("NACE 77-82;95.1 (administratieve en ondersteunende diensten; "
                         "reparatie van computers en communicatieapparatuur)")
    texts = all_texts(fig)
    assert "SYNTHETIC DATA: synthetische gegevens, geen echte enquêteresultaten" in texts
    assert "Bron: dataset A" in texts
    np.testing.assert_allclose([p.get_width() for p in bars(fig)[0]], f["estimate"] * 100, rtol=1e-12)
    assert_readable(fig)


def test_bar_chart_levels_of_one_item():
    est = pd.DataFrame({"variable": "adoption", "level": ["adopter", "plans", "no_plans"],
                        "estimate": [0.588, 0.130, 0.282]})
    fig = bar_chart(est, ci=False, labels=published_labels(3), sort=False)
    assert ytick_texts(fig) == list(published_labels(3).values())


def test_bar_chart_errors():
    both = pd.DataFrame({"nace": ["10-33", "10-33", "35-39", "35-39"], "variable": "adoption",
                         "level": ["adopter", "plans"] * 2, "estimate": [0.5, 0.2, 0.4, 0.3]})
    with pytest.raises(InputError, match=r"the estimates vary in \['nace', 'level'\].*stacked_bar_chart\(\.\.\., rows='nace'\)"):
        bar_chart(both, ci=False)
    same = figuur2().assign(variable=np.nan)
    with pytest.raises(InputError, match=r"cannot tell the 8 estimates apart"):
        bar_chart(same)
    with pytest.raises(InputError, match=r"locale='de' is not a known locale"):
        bar_chart(figuur2(), locale="de")
    with pytest.raises(InputError, match=r"title=5 is not a string"):
        bar_chart(figuur2(), title=5)
    with pytest.raises(InputError, match=r"estimates must be an Estimates object"):
        bar_chart({"a": 1})


# --------------------------------------------------------------------------- stacked_bar_chart


def test_stacked_bar_chart_tabel3(desA):
    e = sw.proportion(desA, "adoption", by="nace")
    fig = stacked_bar_chart(e, rows="nace", labels=published_labels(3), row_labels=row_labels("nace"),
                            title="Adoptiegraad per bedrijfssector", synthetic=True)
    containers = bars(fig)
    assert len(containers) == 3
    assert all(len(c) == 11 for c in containers)
    f = e.to_frame()
    widths = np.array([[p.get_width() for p in c] for c in containers])
    lefts = np.array([[p.get_x() for p in c] for c in containers])
    for j, level in enumerate(["adopter", "plans", "no_plans"]):
        np.testing.assert_allclose(widths[j], f.loc[f["level"] == level, "estimate"] * 100, rtol=1e-12)
    # segments are stacked: each starts where the previous one ends
    np.testing.assert_allclose(lefts[0], 0)
    np.testing.assert_allclose(lefts[1], widths[0], rtol=1e-12)
    np.testing.assert_allclose(lefts[2], widths[0] + widths[1], rtol=1e-12)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(published_labels(3).values())
    assert ytick_texts(fig)[6] == "NACE 58-63 (informatie en communicatie)"
    assert fig.axes[0].get_xlim() == (0.0, 100.0)
    assert any(t.startswith("SYNTHETIC DATA") for t in all_texts(fig))
    # segment labels in the Dutch format
    first = f[(f["nace"] == "10-33") & (f["level"] == "adopter")]["estimate"].iloc[0]
    assert format_percent(first) in all_texts(fig)
    assert_readable(fig)


def test_stacked_bar_chart_small_segments_unlabelled_and_english():
    est = pd.DataFrame({"size": ["micro"] * 3, "variable": "adoption",
                        "level": ["adopter", "plans", "no_plans"], "estimate": [0.9, 0.04, 0.06]})
    fig = stacked_bar_chart(est, rows="size", locale="en", labels=row_labels("size", locale="en"))
    assert [t.get_text() for t in fig.axes[0].texts] == ["90.0%", "6.0%"]
    assert ytick_texts(fig) == ["Micro (5-9 employees)"]


def test_stacked_bar_chart_errors(desA):
    e = sw.proportion(desA, "adoption", by="nace")
    with pytest.raises(InputError, match=r"rows='size' is not a domain column of the estimates"):
        stacked_bar_chart(e, rows="size")
    with pytest.raises(InputError, match=r"stacked_bar_chart needs a domain column"):
        stacked_bar_chart(e, rows=None)
    techs = sw.proportion(desA, TECHS, by="nace")
    with pytest.raises(InputError, match=r"columns='level' needs one variable"):
        stacked_bar_chart(techs, rows="nace")


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("suffix", [".png", ".PNG", ".svg"])
def test_save_figure(tmp_path, suffix):
    fig = bar_chart(figuur2(), synthetic=True)
    path = save_figure(fig, tmp_path / f"figuur2{suffix}")
    data = path.read_bytes()
    assert len(data) > 1000
    if suffix.lower() == ".png":
        assert data.startswith(PNG_SIGNATURE)
    else:
        text = data.decode("utf-8")
        assert text.startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text


def test_save_figure_errors(tmp_path):
    fig = bar_chart(figuur2())
    with pytest.raises(InputError, match=r"the extension must be \.png or \.svg"):
        save_figure(fig, tmp_path / "figuur2.pdf")
    with pytest.raises(InputError, match=r"fig must be a matplotlib Figure, got str"):
        save_figure("fig", tmp_path / "x.png")


def test_no_pyplot_state():
    code = ("import sys, surveyweights.plots as p, pandas as pd\n"
            "p.bar_chart(pd.DataFrame({'variable': ['a', 'b'], 'level': 1, 'estimate': [0.2, 0.4]}), ci=False)\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
