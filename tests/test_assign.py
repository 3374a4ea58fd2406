"""Design.assign: derived variables through the safe expression language or a callable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimators_refs import design

import surveyweights as sw
from surveyweights.errors import DesignError, ExpressionError, InputError


def test_assign_expression_callable_and_chaining():
    d = design("dstrat")
    d3 = d.assign(high="api00 > 700", gap=lambda t: t["api00"] - 700, gap2="gap * 2", one=1)
    np.testing.assert_array_equal(d3.data["high"], d.data["api00"] > 700)
    np.testing.assert_array_equal(d3.data["gap2"], 2 * (d.data["api00"] - 700))
    assert (d3.data["one"] == 1).all()
    np.testing.assert_array_equal(d3.weights, d.weights)
    assert d3.degf == d.degf and d3.variance == d.variance
    p = sw.proportion(d3, "high").to_frame()["estimate"].iloc[0]
    m = sw.mean(d.assign(h=lambda t: (t["api00"] > 700).astype(float)), "h").to_frame()["estimate"].iloc[0]
    assert p == pytest.approx(m, rel=1e-14)


def test_assign_never_changes_the_design_or_its_data():
    d = design("dstrat")
    before = d.data.copy()

    def sneaky(t):
        t["api00"] = 0  # a callable that writes into the frame it gets
        return t["ell"] * 2

    d.assign(x=sneaky)
    pd.testing.assert_frame_equal(d.data, before)
    assert "x" not in d.data


def test_expressions_are_not_python():
    d = design("dstrat")
    with pytest.raises(ExpressionError, match=r"assign\(x=\.\.\.\).*not allowed"):
        d.assign(x="__import__('os').system('echo hacked')")
    with pytest.raises(ExpressionError, match=r"nope"):
        d.assign(x="nope > 1")


def test_assign_refusals():
    d = design("dclus1")
    with pytest.raises(DesignError, match=r"assign\(dnum=\.\.\.\) would replace a column that defines"):
        d.assign(dnum=1)
    with pytest.raises(DesignError, match=r"assign\(pw=\.\.\.\)"):
        d.assign(pw=1.0)
    with pytest.raises(InputError, match=r"gave 3 values for 183 rows"):
        d.assign(x=[1, 2, 3])
    with pytest.raises(InputError, match=r"index differs from the data's"):
        d.assign(x=lambda t: t["ell"].reset_index(drop=True).iloc[::-1])


def test_assign_keeps_multistage_and_calibration():
    c2 = design("dclus2").assign(big="enroll > 500")
    assert c2.n_stages == 2
    np.testing.assert_allclose(sw.mean(c2, "api00").to_frame()["se"],
                               sw.mean(design("dclus2"), "api00").to_frame()["se"], rtol=1e-14)
    d = design("dstrat")
    cal = sw.calibrate(d, {"stype": {"E": 4421, "H": 755, "M": 1018}, "enroll": 3_811_472})
    a = cal.assign(z="api00 / 100")
    np.testing.assert_allclose(sw.total(a, "z").to_frame()["se"] * 100,
                               sw.total(cal, "api00").to_frame()["se"], rtol=1e-10)
