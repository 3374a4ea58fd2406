"""The documentation builds without warnings (mkdocs --strict)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_docs_build_strict(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "WARNING" not in res.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "surveyweights.proportion" in api and "Matches R" in api
    coverage = (tmp_path / "site" / "coverage" / "index.html").read_text(encoding="utf-8")
    assert "satterthwaite" in coverage and "coverage.png" in coverage


def test_getting_started_code_runs(tmp_path, monkeypatch, capsys):
    """The pipeline example on docs/index.md is real code: run it as written."""
    import re

    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "docs/index.md", "exec"), namespace)  # noqa: S102
    assert "SYNTHETIC" in capsys.readouterr().out
    assert len(namespace["t3"].to_frame()) == 33
