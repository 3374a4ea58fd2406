"""How result objects print: compact text tables within 80 columns, and HTML for notebooks.

Every result object of the library prints its numbers, not a summary of a
DataFrame: ``print(sw.mean(d, "api00"))`` shows the estimate, SE and interval of
each row within 80 columns (as R prints ``svyby`` results), and objects that
hold whole datasets print one line that says what they hold.  In Jupyter the
same objects show an HTML table (``_repr_html_``).

Numbers are shown with 4 significant digits (whole numbers of 10,000 and more
in full); ``.to_frame()`` of each result has the full precision.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

WIDTH = 80
MAX_ROWS = 20
_HEAD, _TAIL = 12, 6
_ELLIPSIS = "…"


def number(x: Any, digits: int = 4) -> str:
    """A number in at most about 10 characters: 4 significant digits, big ones whole."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "NA"
    if math.isinf(v):
        return "Inf" if v > 0 else "-Inf"
    if abs(v) >= 10 ** digits:
        return f"{v:,.0f}"
    text = f"{v:.{digits}g}"
    return "0" if text == "-0" else text


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + _ELLIPSIS


def table(frame: pd.DataFrame, keys: Sequence[str], values: Sequence[str], *,
          width: int = WIDTH, max_rows: int = MAX_ROWS,
          formats: dict[str, Any] | None = None) -> str:
    """A plain-text table of ``keys`` (left-aligned) and ``values`` (right-aligned).

    Key cells are shortened with an ellipsis so that every line fits ``width``;
    more than ``max_rows`` rows show the first and last ones around a ``…`` line.
    """
    formats = formats or {}
    keys = [k for k in keys if k in frame.columns]
    values = [v for v in values if v in frame.columns]
    n = len(frame)
    if n > max_rows:
        shown = pd.concat([frame.iloc[:_HEAD], frame.iloc[n - _TAIL:]])
    else:
        shown = frame
    cols: dict[str, list[str]] = {}
    for k in keys:
        cols[k] = ["NA" if (not isinstance(v, str) and pd.isna(v)) else str(v) for v in shown[k]]
    for v in values:
        fmt = formats.get(v, number)
        cols[v] = [fmt(x) for x in shown[v]]
    vwidth = {v: max([len(v)] + [len(s) for s in cols[v]]) for v in values}
    used = sum(vwidth.values()) + 2 * len(values)
    room = width - used - 2 * max(len(keys) - 1, 0)
    kwidth = {k: max([len(k)] + [len(s) for s in cols[k]]) for k in keys}
    # shorten the widest key columns until the line fits (never below 6 characters)
    while keys and sum(kwidth.values()) > room:
        widest = max(keys, key=lambda k: kwidth[k])
        if kwidth[widest] <= 6:
            break
        kwidth[widest] -= 1
    lines = ["  ".join([*(_clip(k, kwidth[k]).ljust(kwidth[k]) for k in keys),
                        *(v.rjust(vwidth[v]) for v in values)])]
    for i in range(len(shown)):
        if n > max_rows and i == _HEAD:
            lines.append(_ELLIPSIS + f" ({n - _HEAD - _TAIL} more rows)")
        lines.append("  ".join([*(_clip(cols[k][i], kwidth[k]).ljust(kwidth[k]) for k in keys),
                                *(cols[v][i].rjust(vwidth[v]) for v in values)]))
    return "\n".join(line.rstrip() for line in lines)


def html_block(title: str, frame: pd.DataFrame | None = None, *, note: str | None = None,
               max_rows: int = 60) -> str:
    """A notebook view: a bold title line, an optional table, an optional note."""
    parts = [f"<p><strong>{html.escape(title)}</strong></p>"]
    if frame is not None:
        parts.append(frame.to_html(index=False, max_rows=max_rows, na_rep="NA",
                                   float_format=lambda x: number(x)))
    if note:
        parts.append(f"<p><small>{html.escape(note)}</small></p>")
    return "\n".join(parts)


def counts(pairs: Sequence[tuple[str, Any]]) -> str:
    """``"a 3, b 12"`` from (name, count) pairs."""
    return ", ".join(f"{name} {number(int(c))}" for name, c in pairs)


def plural(n: int, word: str) -> str:
    """``"1 item"``, ``"3 items"``."""
    return f"{number(int(n))} {word}{'' if n == 1 else 's'}"
