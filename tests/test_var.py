"""sw.var against R's svyvar (survey 4.1-1): Taylor, calibrated and replicate designs.

References: tests/fixtures/estimators/make_svyvar.R (results_svyvar.csv; the designs
are those of make_estimators.R).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from estimators_refs import HERE, RTOL, design
from hypothesis import given, settings
from hypothesis import strategies as st
from test_estimators_calibrated import calibrated
from test_estimators_replicate import rclus1

import surveyweights as sw
from surveyweights.errors import DomainError, InputError


@functools.cache
def _r() -> pd.DataFrame:
    return pd.read_csv(HERE / "results_svyvar.csv", dtype=str, keep_default_na=False)


def _design(name: str) -> sw.Design:
    return {"dcal": lambda: calibrated("dcal"), "rclus1": rclus1}.get(name, lambda: design(name))()


CASES = sorted({(r.design, r.by) for r in _r().itertuples()})


@pytest.mark.parametrize("name, by", CASES, ids=[f"{d}-{b or 'all'}" for d, b in CASES])
def test_var_matches_svyvar(name, by):
    got = sw.var(_design(name), "api00", by=by or None).to_frame()
    rows = _r()[(_r().design == name) & (_r().by == by)]
    assert len(rows) == 2 * len(got)
    for row in rows.itertuples():
        g = got[got[by] == row.domain].iloc[0] if by else got.iloc[0]
        np.testing.assert_allclose(g[row.quantity], float(row.value), rtol=RTOL,
                                   err_msg=f"{name} {row.domain} {row.quantity}")
    if not by:
        assert got["df"].iloc[0] == float(rows["df"].iloc[0])  # R's degf(design)


@settings(max_examples=15, deadline=None)
@given(x=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30), scale=st.floats(0.1, 100.0))
def test_equal_weights_give_the_sample_variance_at_any_weight_scale(x, scale):
    df = pd.DataFrame({"x": x, "w": scale})
    got = sw.var(sw.Design(df, weights="w"), "x").to_frame()["estimate"].iloc[0]
    np.testing.assert_allclose(got, np.var(x, ddof=1), rtol=1e-9, atol=1e-9)


def test_domain_with_one_unit_and_non_numeric_are_refused():
    df = pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(DomainError, match=r"needs at least two units in domain g='b', which has 1.*subset="):
        sw.var(sw.Design(df), "x", by="g")
    with pytest.raises(InputError, match=r"variable 'g' has dtype \w+, not numeric; a variance is of a numeric"):
        sw.var(sw.Design(df), "g")
