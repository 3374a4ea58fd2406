"""The examples and the notebook run, so they never rot."""

from __future__ import annotations

import contextlib
import io
import runpy
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))


def _run(script: str) -> str:
    """Run an example as ``python script`` would (``__main__``), in this process: its
    printed output, with a UserWarning an error (as the examples promise none)."""
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("error", UserWarning)
        runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    return out.getvalue()


def test_insight_example():
    out = _run("insight_strategy.py")
    # the difference's own line: a one-sided p-value would print p = 0.22 here (the
    # chi-square line below also prints p = 0.45, so a bare "p = 0.45" proves nothing)
    assert "BE - NL: 6.6 pp, 95% CI [-10.6, 23.9] pp, t = 0.76, df = 131, p = 0.45\n" in out
    assert "Rao-Scott test of independence: F = 0.58 on 1.00 and 131 df, p = 0.45\n" in out
    assert "organisations per country" in out


def test_barometer_comparisons_example():
    out = _run("barometer_comparisons.py")
    assert "Eurostat Belgium 34.54%" in out
    assert "change +26.7 pp" in out


def test_notebook_is_built_from_the_script():
    import make_notebook

    built = make_notebook.build()
    committed = nbformat.read(EXAMPLES / "reproduce_barometer.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in committed.cells] == \
        [(c.cell_type, c.source) for c in built.cells], \
        "examples/reproduce_barometer.ipynb is stale: run python examples/make_notebook.py"


def figure_cell(nb) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.endswith("\nfig"))


def test_committed_notebook_has_its_outputs():
    nb = nbformat.read(EXAMPLES / "reproduce_barometer.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("outputs") for c in code[1:]), "run python examples/make_notebook.py --execute"
    assert any("image/png" in o.get("data", {}) for o in figure_cell(nb).outputs)


# slow (a Jupyter kernel, 6-9 s): CI's second step, pytest --run-slow -m slow
@pytest.mark.slow
def test_notebook_executes_and_shows_its_figure():
    import make_notebook

    nb = make_notebook.execute(nbformat.read(EXAMPLES / "reproduce_barometer.ipynb", as_version=4))
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.output_type == "stream")
    assert "response rate 30.3%" in text
    assert "30 of 30 headline figures from the sector tables" in text
    assert "SYNTHETIC" in text
    # the figure displays itself as a PNG (no %matplotlib inline in the notebook)
    outputs = figure_cell(nb).outputs
    assert [o.output_type for o in outputs] == ["execute_result"]
    png = outputs[0]["data"]["image/png"]
    assert len(png) > 10_000 and "%matplotlib" not in "".join(c.source for c in nb.cells)
    # the publication table shows as HTML with its markers and footnotes
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "Use with caution" in html and "Table 9: Adoption phase by sector" in html


def test_survey_waves_example():
    import re

    out = _run("survey_waves.py")
    assert "88 strata (44 per wave)" in out
    # the printed SE of the change is the root of the summed squared wave SEs
    se, a, b = map(float, re.search(r"SE ([\d.]+) pp = sqrt\(([\d.]+)\^2 \+ ([\d.]+)\^2\)", out).groups())
    assert abs(se - (a * a + b * b) ** 0.5) < 0.01
    # the output shown on the estimators page is what the script prints
    page = (EXAMPLES.parent / "docs" / "estimators.md").read_text(encoding="utf-8")
    shown = re.search(r'--8<-- "examples/survey_waves.py"\n```\n\nIts output:\n\n```text\n(.*?)```',
                      page, re.S).group(1)
    assert shown == out
