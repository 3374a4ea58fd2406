"""Calibration on SQL engines: the same calibrated design as in memory, from per-cell sums.

The in-memory calibration is R-verified (``test_r_parity_calibration.py``); here it is
the reference for DuckDB (and Spark, ``test_spark_*``) at rtol 1e-10: the report,
the g summary, Kish's n_eff, the iterations, and every estimate, SE, df, CI and deff
of the calibrated design, on data whose weights vary within the calibration cells.
"""

from __future__ import annotations

import re

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import surveyweights as sw
from surveyweights.errors import CalibrationError, EngineError, MissingValueError

pytest.importorskip("duckdb")

RTOL = 1e-10
COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "n", "deff", "n_missing"]
SEX = {"m": 1400, "f": 1600}
AGE_Z = {(a, z): 500 for a in ("y", "o", "m") for z in ("u", "v")}
DOM = {"p": 900, "q": 1000, "r": 1100}
#: overlapping margins: sex, and sex x age (rank-deficient auxiliaries)
SEX_AGE = {("m", "y"): 400, ("m", "o"): 500, ("m", "m"): 500,
           ("f", "y"): 600, ("f", "o"): 500, ("f", "m"): 500}


def _data(n: int = 240, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "h": rng.choice(list("abc"), n), "sex": rng.choice(["m", "f"], n),
        "age": rng.choice(["y", "o", "m"], n), "y": rng.choice(["yes", "no", "maybe"], n),
        "z": rng.choice(["u", "v"], n), "x": rng.normal(50.0, 9.0, n),
        "dom": rng.choice(["p", "q", "r"], n),
    })
    df["psu"] = df["h"] + rng.integers(0, 6, n).astype(str)
    df["w"] = rng.uniform(5.0, 20.0, n)          # varies within every calibration cell
    df["N"] = df["h"].map({"a": 900, "b": 1200, "c": 1500})
    df["Np"] = df["h"].map({"a": 40, "b": 60, "c": 90})
    df.loc[rng.choice(n, 12, replace=False), "x"] = np.nan
    df.loc[rng.choice(n, 12, replace=False), "y"] = None
    return df


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _data()


def _same_frame(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert len(a) == len(b), what
    for c in COLUMNS:
        if c in a:
            np.testing.assert_allclose(b[c].to_numpy(dtype=float), a[c].to_numpy(dtype=float),
                                       rtol=RTOL, atol=0, err_msg=f"{what}: {c}")


def _same_calibration(cm, cd) -> None:
    a, b = cm.calibration, cd.calibration
    assert a.iterations == b.iterations
    pd.testing.assert_frame_equal(b.report, a.report, rtol=RTOL)
    pd.testing.assert_series_equal(b.g_summary, a.g_summary, rtol=RTOL)
    pd.testing.assert_frame_equal(b.kish, a.kish, rtol=RTOL)
    assert cd.population_size == pytest.approx(cm.population_size, rel=RTOL)
    assert cd.degf == cm.degf


CALLS = [
    ("proportion", dict(variable="y", by="dom", na="available")),
    ("mean", dict(variable="x", by=["dom", "z"], na="available", df="satterthwaite")),
    ("total", dict(variable="y", subset="dom == 'p'", na="available")),
    ("proportion", dict(variable="z", by="age", subset="dom != 'q'", method="beta")),
]


def _same_estimates(cm, cd, what: str) -> None:
    for fn, kw in CALLS:
        _same_frame(getattr(sw, fn)(cm, **kw).to_frame(), getattr(sw, fn)(cd, **kw).to_frame(),
                    f"{what} {fn} {kw}")
    for kw in (dict(variable="y", by="dom", between=("p", "q"), na="available"),
               dict(variable="x", by="dom", between=("p", "r"), subset="z == 'u'", na="available")):
        _same_frame(sw.difference(cm, **kw).to_frame(), sw.difference(cd, **kw).to_frame(),
                    f"{what} difference {kw}")
    for kw in (dict(), dict(subset="dom == 'p'")):
        a = sw.chisq_test(cm, "y", "z", na="available", **kw)
        b = sw.chisq_test(cd, "y", "z", na="available", **kw)
        for at in ("statistic", "p_value", "ndf", "ddf"):
            assert getattr(b, at) == pytest.approx(getattr(a, at), rel=RTOL), (what, kw, at)


DESIGNS = {
    "strata-fpc": dict(weights="w", strata="h", fpc="N"),
    "cluster-fpc": dict(weights="w", ids="psu", strata="h", fpc="Np"),
    "cluster": dict(weights="w", ids="psu"),
}
CALIBRATIONS = {
    "raking-crossed": ({"sex": SEX, ("age", "z"): AGE_Z}, dict(method="raking")),
    # the lower bound binds for 16 units
    "linear-overlapping-bounded": ({"sex": SEX, ("sex", "age"): SEX_AGE, "dom": DOM},
                                   dict(method="linear", bounds=(0.75, 1.25))),
    "logit": ({"sex": SEX, "age": {"y": 1000, "o": 1000, "m": 1000}},
              dict(method="logit", bounds=(0.3, 4.0))),
}


CASES = [("strata-fpc", "raking-crossed"), ("cluster-fpc", "linear-overlapping-bounded"),
         ("cluster", "logit")]


@pytest.mark.parametrize("design, calibration", CASES, ids=[f"{d}-{c}" for d, c in CASES])
def test_calibrated_duckdb_design_equals_memory(data, design, calibration):
    margins, options = CALIBRATIONS[calibration]
    dm = sw.Design(data, **DESIGNS[design])
    dd = sw.Design(data, engine="duckdb", **DESIGNS[design])
    cm, cd = sw.calibrate(dm, margins, **options), sw.calibrate(dd, margins, **options)
    _same_calibration(cm, cd)
    if "bounds" in options and options["method"] != "logit":
        assert cd.calibration.g_summary["n_at_lower"] > 0  # truncation reproduced in SQL
    _same_estimates(cm, cd, f"{design} {calibration}")


def test_margins_as_a_long_frame_collapse_population_size_and_weights_from_fpc(data):
    # no weight column (weights N_h/n_h from fpc); a long margins table with a level
    # without sample units merged away; population_size with a single margin
    long = pd.DataFrame({"variable": ["sex", "sex", "age", "age", "age", "age"],
                         "level": ["m", "f", "y", "o", "m", "x"],
                         "target": [1700.0, 1900.0, 1100.0, 1200.0, 1200.0, 100.0]})
    dm = sw.Design(data, strata="h", fpc="N")
    dd = sw.Design(data, strata="h", fpc="N", engine="duckdb")
    for margins, options in ((long, dict(collapse={"age": {"x": "y"}})),
                             ({"sex": {"m": 1700, "f": 1900}}, dict(population_size=3600))):
        cm = sw.rake(dm, margins, **options) if "collapse" in options else \
            sw.calibrate(dm, margins, **options)
        cd = sw.rake(dd, margins, **options) if "collapse" in options else \
            sw.calibrate(dd, margins, **options)
        _same_calibration(cm, cd)
        for fn, kw in CALLS[:2]:
            _same_frame(getattr(sw, fn)(cm, **kw).to_frame(), getattr(sw, fn)(cd, **kw).to_frame(),
                        f"{fn} {options}")


def test_calibrating_twice_and_collect(data):
    dm = sw.Design(data, weights="w", strata="h", fpc="N")
    dd = sw.Design(data, weights="w", strata="h", fpc="N", engine="duckdb")
    second = {"dom": {"p": 1000, "q": 1000, "r": 1000}}
    cm = sw.rake(sw.rake(dm, {"sex": SEX}), second)
    cd = sw.rake(sw.rake(dd, {"sex": SEX}), second)
    _same_calibration(cm, cd)
    assert len(cd.history) == 2 and cd.variance.name == "calibrated"
    _same_estimates(cm, cd, "twice")
    back = cd.collect()  # the same calibrations replayed in memory
    assert back.engine.name == "pandas"
    np.testing.assert_allclose(back.weights.to_numpy(), cm.weights.to_numpy(), rtol=RTOL)
    _same_frame(sw.mean(cm, "x", by="dom", na="available").to_frame(),
                sw.mean(back, "x", by="dom", na="available").to_frame(), "collect")


def test_input_design_is_unchanged(data):
    dd = sw.Design(data, weights="w", strata="h", fpc="N", engine="duckdb")
    before = sw.proportion(dd, "z", by="dom").to_frame()
    weight, total = dd._sql["weight"], dd.population_size
    c = sw.rake(dd, {"sex": SEX})
    assert dd._sql["weight"] == weight and dd.population_size == total
    assert dd.calibration is None and dd.history == ()
    _same_frame(before, sw.proportion(dd, "z", by="dom").to_frame(), "unchanged")
    assert c.population_size == pytest.approx(3000.0, rel=1e-12)
    # the factors are reported per calibration cell (constant within it)
    assert c.calibration.g.index.tolist() == sorted(c.calibration.g.index.tolist(),
                                                    key=list(data["sex"].unique()).index)


def test_errors_on_a_sql_design_name_the_fix(data):
    dd = sw.Design(data, weights="w", strata="h", fpc="N", engine="duckdb")
    with pytest.raises(EngineError, match=r"numeric total of margin 'x'.*design\.collect\(\)"):
        sw.calibrate(dd, {"sex": SEX, "x": 150000.0})
    with pytest.raises(EngineError, match=r"variance='rake'.*design\.collect\(\)"):
        sw.rake(dd, {"sex": SEX}, variance="rake")
    dm = sw.Design(data, weights="w", strata="h", fpc="N")
    for margins, options, pattern in (
            ({"dom": {"p": 10, "r": 10}}, {}, r"no target for level 'q', held by \d+ sample unit"),
            ({"sex": {"m": 10, "f": 10, "x": 5}}, {}, r"level 'x' has a population of 5 but no units"),
            ({"sex": SEX}, dict(method="linear", bounds=(0.5, 1.01)),
             r"bounds are infeasible.*upper bound must be at least")):
        with pytest.raises(CalibrationError, match=pattern) as in_memory:
            sw.calibrate(dm, margins, **options)
        with pytest.raises(CalibrationError, match=re.escape(str(in_memory.value))):
            sw.calibrate(dd, margins, **options)
    holes = data.assign(sex=data["sex"].where(data.index % 50 != 0))
    n_missing = int(holes["sex"].isna().sum())
    dh = sw.Design(holes, weights="w", strata="h", fpc="N", engine="duckdb")
    with pytest.raises(MissingValueError, match=rf"column 'sex' is missing in {n_missing} row"):
        sw.calibrate(dh, {"sex": SEX})


def test_spark_calibrated_design_equals_memory(data, on_engine):
    # one case (each calibrated estimate costs 1-3 s on a local Spark): PSUs, fpc,
    # overlapping margins, a binding bound (the weight expression's greatest()),
    # indicator and numeric atoms
    design, calibration = CASES[1]
    margins, options = CALIBRATIONS[calibration]
    dm = sw.Design(data, **DESIGNS[design])
    ds = on_engine("desA", "spark", data=data, **DESIGNS[design])  # strata, fpc replaced
    cm, cs = sw.calibrate(dm, margins, **options), sw.calibrate(ds, margins, **options)
    _same_calibration(cm, cs)
    for fn, kw in CALLS[:2]:
        _same_frame(getattr(sw, fn)(cm, **kw).to_frame(), getattr(sw, fn)(cs, **kw).to_frame(),
                    f"spark {fn} {kw}")


@st.composite
def _samples(draw):
    n = draw(st.integers(12, 40))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    levels = ["a", "b", "c"][:draw(st.integers(2, 3))]
    df = pd.DataFrame({"h": rng.permutation(np.resize(["s", "t"], n)), "m": np.resize(levels, n),
                       "y": rng.choice(["yes", "no"], n), "w": rng.uniform(1.0, 10.0, n)})
    factors = draw(st.lists(st.floats(0.7, 1.5), min_size=len(levels), max_size=len(levels)))
    sums = df.groupby("m")["w"].sum()
    margins = {"m": {lv: float(sums[lv] * f) for lv, f in zip(levels, factors)}}
    method = draw(st.sampled_from(["linear", "raking"]))
    return df, margins, method


@settings(max_examples=4, deadline=None)
@given(_samples())
def test_property_sql_calibration_reproduces_targets_and_memory_se(case):
    df, margins, method = case
    dm = sw.Design(df, weights="w", strata="h")
    dd = sw.Design(df, weights="w", strata="h", engine="duckdb")
    cm = sw.calibrate(dm, margins, method=method)
    cd = sw.calibrate(dd, margins, method=method)
    totals = sw.total(cd, "m").to_frame().set_index("level")["estimate"]
    for level, target in margins["m"].items():
        assert totals[level] == pytest.approx(target, rel=1e-9)
    _same_frame(sw.proportion(cm, "y", by="m").to_frame(), sw.proportion(cd, "y", by="m").to_frame(),
                "property")
