"""MkDocs hooks: checks that make ``mkdocs build --strict`` fail on a page that renders badly.

Strict mode fails the build on any warning; these hooks warn about errors that
Markdown itself accepts silently:

* a page that does not start with a level-1 title (``# ...``), e.g. a page whose top
  was lost, so that it starts in the middle of a table;
* a pipe table that did not render (its rows end up as a paragraph of raw ``|``
  text, e.g. rows without the header and ``|---|`` lines);
* a code fence that was never closed (raw triple backquotes in the HTML).

The functions are plain and are also called by ``tests/test_docs.py``.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger("mkdocs.hooks.surveyweights")

_RAW_TABLE = re.compile(r"<p>\s*\|[^<]*\|", re.S)


def page_problems(markdown: str, html: str) -> list[str]:
    """What is wrong with a page, from its Markdown source and its rendered HTML."""
    problems = []
    first = next((line for line in markdown.splitlines() if line.strip()), "")
    if not first.startswith("# "):
        problems.append(f"does not start with a '# Title' line but with {first[:60]!r}")
    m = _RAW_TABLE.search(html)
    if m:
        problems.append(f"has table rows that did not render as a table: {m.group(0)[3:63]!r} "
                        f"(a table needs a header row and a |---| line)")
    if "```" in html:
        problems.append("has a code fence that is not closed (raw ``` in the page)")
    return problems


def on_page_markdown(markdown, page, config, files):  # noqa: ARG001 - MkDocs hook signature
    page.meta["_source_markdown"] = markdown
    return markdown


def on_page_content(html, page, config, files):  # noqa: ARG001 - MkDocs hook signature
    for problem in page_problems(page.meta.get("_source_markdown", ""), html):
        log.warning("%s %s", page.file.src_path, problem)
    return html
