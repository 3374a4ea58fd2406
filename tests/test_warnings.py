"""Warnings point at the user's line, whichever public function raised them."""

from __future__ import annotations

import warnings

import pandas as pd

import surveyweights as sw


def _caught(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    assert caught, "expected a warning"
    return caught


def test_warnings_point_at_the_callers_line():
    g = pd.Categorical(list("abab"), categories=["a", "b", "c"])  # "c": nobody
    d = sw.Design(pd.DataFrame({"y": [0, 0, 0, 0], "g": g, "h": list("xxyy")}), strata="h")
    for call in (lambda: sw.proportion(d, "y"),                      # degenerate interval (ci.py)
                 lambda: sw.proportion(d, "y", by="g", method="beta"),  # unused category (_domains.py)
                 lambda: sw.difference(d, "y", by="g", between=("a", "b"))):  # same, via difference
        for w in _caught(call):
            assert w.filename == __file__, (w.filename, str(w.message))
