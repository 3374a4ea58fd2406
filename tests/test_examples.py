"""The examples and the notebook run, so they never rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))


def _run(script: str) -> str:
    env = dict(os.environ, PYTHONWARNINGS="error::UserWarning")
    res = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout


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


@pytest.mark.slow
def test_notebook_executes():
    from nbclient import NotebookClient

    nb = nbformat.read(EXAMPLES / "reproduce_barometer.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.output_type == "stream")
    assert "response rate 30.3%" in text
    assert "30 of 30 headline figures from the sector tables" in text
    assert "SYNTHETIC" in text
