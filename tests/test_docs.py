"""The documentation builds without warnings (mkdocs --strict), and every example runs.

Every ```python block of README.md and of docs/*.md runs here, in order, page by
page, in a fresh namespace and an empty working folder: the examples use only the
bundled data a pip user has.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
import mkdocs_hooks  # noqa: E402

PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def runnable_blocks(text: str) -> list[tuple[str, str | None]]:
    """Each python block with its snippets included (``--8<-- "path"``, as MkDocs does),
    and the error it must raise when the page shows one in the ```text block after it."""
    out = []
    for m in re.finditer(r"^```python\n(.*?)^```\n(?:\s*\n)*(```text\n(\w+Error):)?", text,
                         re.S | re.M):
        code = re.sub(r'^--8<-- "([^"]+)"$',
                      lambda s: (ROOT / s.group(1)).read_text(encoding="utf-8"), m.group(1),
                      flags=re.M)
        out.append((code, m.group(3)))
    return out


# slow (the whole MkDocs site, 6-7 s): CI's second step, pytest --run-slow -m slow
@pytest.mark.slow
def test_docs_build_strict(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "WARNING" not in res.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "surveyweights.proportion" in api and "Matches R" in api
    # the result classes are documented too
    for name in ("surveyweights.Difference", "surveyweights.ChisqTest", "surveyweights.ScreeningResult",
                 "surveyweights.HotDeckResult", "surveyweights.MultipleImputation",
                 "surveyweights.Recombination", "surveyweights.ReportTable", "QualityRules",
                 "Suppression", "BarometerRun", "surveyweights.ReplicaResult"):
        assert name in api, name
    coverage = (tmp_path / "site" / "coverage" / "index.html").read_text(encoding="utf-8")
    assert "satterthwaite" in coverage and "coverage.png" in coverage
    reproduction = (tmp_path / "site" / "reproduction" / "index.html").read_text(encoding="utf-8")
    assert "<h1" in reproduction and "<table>" in reproduction


def test_the_strict_build_catches_a_page_that_renders_badly():
    """The class of error of the old reproduction page: it began inside a table."""
    broken = "| Figuur 1 | adopter | 58.8 |\n| text | plans | 13.0 |\n"
    html = "<p>| Figuur 1 | adopter | 58.8 |\n| text | plans | 13.0 |</p>"
    problems = mkdocs_hooks.page_problems(broken, html)
    assert len(problems) == 2
    assert "does not start with a '# Title' line" in problems[0]
    assert "did not render as a table" in problems[1]
    assert mkdocs_hooks.page_problems("# Title\n\n```python\nx = 1\n", "<h1>Title</h1><p>```python")
    good = "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    assert mkdocs_hooks.page_problems(good, "<h1>Title</h1><table><tr><td>1</td></tr></table>") == []


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs(page, tmp_path, monkeypatch, capsys):
    blocks = runnable_blocks((ROOT / page).read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the pages show warnings on purpose (e.g. 0% cells)
        for i, (code, error) in enumerate(blocks):
            compiled = compile(code, f"{page} (python block {i + 1})", "exec")
            if error is None:
                exec(compiled, namespace)  # noqa: S102
            else:  # the page shows this block failing with `error`
                with pytest.raises(BaseException) as info:
                    exec(compiled, namespace)  # noqa: S102
                assert type(info.value).__name__ == error
    out = capsys.readouterr().out
    if page == "docs/index.md":
        assert "SYNTHETIC" in out and len(namespace["t3"].to_frame()) == 33
    if page == "README.md":
        assert namespace["t"].suppression.recoverable == 0
        assert "ScreeningResult: 3,347 responses screened, 2,915 kept" in out
        assert "Difference in adoption, 'large' - 'micro' by size" in out
    if page == "docs/report.md":
        assert (tmp_path / "tabel3.xlsx").exists() and (tmp_path / "report_bars_nace.png").exists()


def test_every_page_with_code_is_checked():
    assert "docs/report.md" in PAGES and "README.md" in PAGES
    assert sum(len(python_blocks((ROOT / p).read_text(encoding="utf-8"))) for p in PAGES) >= 19
