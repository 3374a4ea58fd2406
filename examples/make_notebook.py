"""Build examples/reproduce_barometer.ipynb from examples/reproduce_barometer.py.

The script is the source: cells start with ``# %%`` (code) or ``# %% [markdown]``
(markdown, every line prefixed with ``# ``).  Run:

    python examples/make_notebook.py --execute

to rebuild the notebook and run it, so that it is committed with its outputs
(tables and figures) and reads as it is on any Git host.  The test suite checks
that the notebook is up to date, that the committed one has its outputs, and
that it executes with a PNG for the figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).parent
SCRIPT = HERE / "reproduce_barometer.py"
NOTEBOOK = HERE / "reproduce_barometer.ipynb"


def cells_from_script(text: str) -> list[tuple[str, str]]:
    """(kind, source) for every ``# %%`` cell of a percent-format script."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        elif cells:
            cells[-1][1].append(line)
    out = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        out.append((kind, "\n".join(lines).strip("\n")))
    return out


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
                for kind, src in cells_from_script(SCRIPT.read_text(encoding="utf-8"))]
    return nb


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel (in examples/), keeping the outputs."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    nb = build()
    if "--execute" in args:
        nb = execute(nb)
    nbformat.write(nb, NOTEBOOK)
    print(f"wrote {NOTEBOOK}" + (" with its outputs" if "--execute" in args else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
