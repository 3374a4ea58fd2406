"""The engines: same numbers everywhere, deterministic SQL sums, sources, and clear errors.

R parity on every engine is in the ``test_r_parity_*`` files (parametrised over
``conftest.ENGINES``); here the in-memory engine is the reference for DuckDB and
Spark at rtol 1e-10, over every output column.
"""

from __future__ import annotations

import sys

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import surveyweights as sw
from surveyweights.errors import DesignError, EngineError, InputError
from surveyweights.variance import TaylorLinearization

duckdb = pytest.importorskip("duckdb")

RTOL = 1e-10
NUMERIC = ["estimate", "se", "ci_low", "ci_high", "df", "n", "deff", "n_eff", "n_missing"]

CALLS = [
    ("proportion", dict(variable="adoption", by="nace", na="available")),
    ("proportion", dict(variable=["tech_ml", "tech_text"], by=["size"], method="beta", na="available")),
    ("proportion", dict(variable="initiative", by="size", subset="adoption == 'adopter'",
                        df="satterthwaite", method="xlogit", na="available")),
    ("mean", dict(variable="budget", by="size", subset="adoption == 'adopter'", na="available")),
    ("total", dict(variable="adopter_bool", by=["nace", "size"])),
    ("mean", dict(variable="tech_ml", subset="size != 'micro'", na="available")),
]


def _sorted(t: pd.DataFrame, by) -> pd.DataFrame:
    keys = [*by, "variable", "level"]
    return t.assign(**{f"_{k}": t[k].astype(str) for k in keys}).sort_values(
        [f"_{k}" for k in keys]).reset_index(drop=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame, by=()) -> None:
    a, b = _sorted(a, by), _sorted(b, by)
    assert len(a) == len(b)
    for k in [*by, "variable", "level", "method"]:
        assert a[k].astype(str).tolist() == b[k].astype(str).tolist(), k
    for c in NUMERIC:
        np.testing.assert_allclose(b[c].to_numpy(dtype=float), a[c].to_numpy(dtype=float),
                                   rtol=RTOL, atol=0, err_msg=c)


@pytest.mark.parametrize("fn, call", CALLS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CALLS)])
def test_duckdb_equals_memory(fn, call, desB, on_engine):
    dd = on_engine("desB", "duckdb")
    a = getattr(sw, fn)(desB, **call)
    b = getattr(sw, fn)(dd, **call)
    by = call.get("by") or ()
    assert_same(a.to_frame(), b.to_frame(), [by] if isinstance(by, str) else by)
    assert b.engine == "duckdb" and b.to_frame().attrs["engine"] == "duckdb"
    assert "[engine duckdb]" in repr(b) and "engine" not in repr(a).splitlines()[0]


def test_spark_equals_memory(on_engine):
    """Spark against memory at rtol 1e-10: missing values, subset, df, methods, a difference."""
    data = on_engine("desA", "pandas").data.copy()
    data.loc[data.index % 7 == 0, "tech_ml"] = np.nan  # missing values
    dm = on_engine("desA", "pandas", data=data)
    ds = on_engine("desA", "spark", data=data)
    assert "engine 'spark'" in repr(ds)
    for fn, call in (CALLS[2], ("mean", dict(variable="tech_ml", by="size", na="available"))):
        by = call.get("by") or ()
        b = getattr(sw, fn)(ds, **call)
        assert_same(getattr(sw, fn)(dm, **call).to_frame(), b.to_frame(),
                    [by] if isinstance(by, str) else by)
        assert b.to_frame().attrs["engine"] == "spark"
    # (Spark has no categorical type: its levels come sorted)
    d1 = sw.difference(dm, "adoption", by="size", between=("large", "micro")).to_frame()
    d2 = sw.difference(ds, "adoption", by="size", between=("large", "micro")).to_frame()
    d1, d2 = (d.sort_values("level", key=lambda s: s.astype(str)) for d in (d1, d2))
    np.testing.assert_allclose(d2[["estimate", "se", "df", "p_value"]].to_numpy(float),
                               d1[["estimate", "se", "df", "p_value"]].to_numpy(float), rtol=RTOL)


def test_cluster_design_on_duckdb(on_engine):
    dm, dd = on_engine("dclus1", "pandas"), on_engine("dclus1", "duckdb")
    for fn, call in (("mean", dict(variable="api00", by="stype")),
                     ("proportion", dict(variable="sch.wide", by="stype")),
                     ("total", dict(variable="enroll", subset="api00 > 600"))):
        by = [call["by"]] if "by" in call else []
        assert_same(getattr(sw, fn)(dm, **call).to_frame(), getattr(sw, fn)(dd, **call).to_frame(), by)
    a = sw.chisq_test(dm, "stype", "sch.wide")
    b = sw.chisq_test(dd, "stype", "sch.wide")
    np.testing.assert_allclose([b.statistic, b.ndf, b.ddf, b.chisq], [a.statistic, a.ndf, a.ddf, a.chisq],
                               rtol=RTOL)
    a = sw.difference(dm, "api00", by="stype", between=("E", "H")).to_frame()
    b = sw.difference(dd, "api00", by="stype", between=("E", "H")).to_frame()
    np.testing.assert_allclose(b[["estimate", "se", "df"]].to_numpy(float),
                               a[["estimate", "se", "df"]].to_numpy(float), rtol=RTOL)


def _big(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    h = rng.integers(0, 40, n)
    return pd.DataFrame({
        "h": h, "N": (np.bincount(h, minlength=40) * 7.5)[h],
        "g": rng.choice(["a", "b", "c", "d", "e"], n),
        "y": rng.random(n) < 0.3 + 0.01 * h,
        "x": rng.lognormal(3, 1, n),
        "w": rng.uniform(1, 50, n),
    })


def test_duckdb_is_bit_identical_run_after_run():
    """fsum on 4 threads over 300,000 rows: the same bits every time (SUM would not be)."""
    df = _big(300_000, 1)
    d = sw.Design(df, weights="w", strata="h", engine=sw.engines.DuckDB(threads=4))
    runs = [(sw.proportion(d, "y", by="g").to_frame(), sw.mean(d, "x", by="g").to_frame())
            for _ in range(3)]
    for p, m in runs[1:]:
        for a, b in ((runs[0][0], p), (runs[0][1], m)):
            assert np.array_equal(a[["estimate", "se"]].to_numpy(), b[["estimate", "se"]].to_numpy())


def test_large_values_keep_their_precision():
    """y = 2^30 + noise: the SE equals the SE of the noise alone (shift invariance) at 1e-10.

    The noise is a multiple of 2^-10, so y - 2^30 is exactly the noise in doubles;
    one-pass moments (sum w^2 y^2 - ...) would lose about 8 digits here.
    """
    rng = np.random.default_rng(7)
    n = 2000
    h = rng.integers(0, 5, n)
    noise = np.round(rng.normal(0, 1, n) * 1024) / 1024
    df = pd.DataFrame({"h": h, "N": (np.bincount(h) * 10.0)[h], "g": rng.integers(0, 3, n),
                       "y": 2.0**30 + noise, "noise": noise})
    for engine in ("pandas", "duckdb"):
        d = sw.Design(df, strata="h", fpc="N", engine=engine)
        # (a domain total of a constant has a variance; the overall total has none
        # when the weights are constant within strata)
        for fn, by in ((sw.mean, "g"), (sw.total, None)):
            big = fn(d, "y", by=by).to_frame()
            small = fn(d, "noise", by=by).to_frame()
            np.testing.assert_allclose(big["se"], small["se"], rtol=RTOL, err_msg=f"{engine} {fn.__name__}")


def test_sources_parquet_csv_arrow_relation(tmp_path, dstrat):
    con = duckdb.connect()
    data = dstrat.data.drop(columns=["stype", "awards", "sch.wide"]).assign(
        stype=dstrat.data["stype"].astype(str))
    con.register("api", data)
    con.execute(f"COPY (SELECT * FROM api WHERE snum % 2 = 0) TO '{tmp_path / 'a.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM api WHERE snum % 2 = 1) TO '{tmp_path / 'b.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY api TO '{tmp_path / 'api.csv'}' (HEADER)")
    args = dict(weights="pw", strata="stype", fpc="fpc")
    ref = sw.mean(dstrat, "api00", by="stype").to_frame()
    sources = [str(tmp_path / "*.parquet"), tmp_path / "api.csv", con.table("api")]
    try:
        import pyarrow as pa
        sources.append(pa.Table.from_pandas(data))
    except ImportError:  # pragma: no cover - pyarrow is in the test extras
        pass
    for source in sources:
        d = sw.Design(source, **args)
        assert d.engine.name == "duckdb" and d.n == dstrat.n and d.degf == dstrat.degf
        assert_same(ref, sw.mean(d, "api00", by="stype").to_frame(), ["stype"])


def test_weights_from_fpc_and_collect(on_engine, desA):
    dd = on_engine("desA", "duckdb")
    assert dd.population_size == pytest.approx(desA.population_size, rel=1e-14)
    pd.testing.assert_frame_equal(dd.strata_table().sort_values("stratum").reset_index(drop=True),
                                  desA.strata_table().sort_values("stratum").reset_index(drop=True),
                                  check_exact=False, rtol=1e-13)
    back = dd.collect()
    assert back.engine.name == "pandas" and back.n == desA.n
    assert_same(sw.proportion(desA, "adoption").to_frame(), sw.proportion(back, "adoption").to_frame())


def test_subset_missing_values_select_the_same_rows():
    """A condition on a missing value is not true on either engine (R's subset, SQL's WHERE)."""
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"h": rng.integers(0, 4, n), "y": rng.integers(0, 2, n),
                       "size": rng.choice(["micro", "small", None], n),
                       "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n))})
    for cond in ("size != 'micro'", "x > 0 or size == 'small'", "not (x <= 0)", "isna(size) or x > 1"):
        a = sw.mean(sw.Design(df, strata="h"), "y", subset=cond).to_frame()
        b = sw.mean(sw.Design(df, strata="h", engine="duckdb"), "y", subset=cond).to_frame()
        assert_same(a, b)


# --------------------------------------------------------------------------- errors
def test_unit_level_computations_name_the_alternatives(on_engine):
    dd = on_engine("desA", "duckdb")
    with pytest.raises(EngineError, match=r"method='likelihood'.*unit-level data.*design.collect\(\)"):
        sw.proportion(dd, "is_adopter", method="likelihood")
    with pytest.raises(EngineError, match=r"subset= mask.*expression string"):
        sw.proportion(dd, "is_adopter", subset=np.ones(dd.n, dtype=bool))

    class UnitOnly(TaylorLinearization):  # a method without its own cell-level entry
        pass

    other = sw.Design(dd.engine.collect(), strata=["nace", "size"], fpc="N", engine="duckdb",
                      variance=UnitOnly(name="unit-only"))
    with pytest.raises(EngineError, match=r"variance method 'unit-only' needs the unit-level data"):
        sw.mean(other, "is_adopter")


def test_missing_column_of_a_parquet_source(tmp_path):
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS h, 2.0 AS w, 1 AS y) TO '{tmp_path / 'x.parquet'}' (FORMAT parquet)")
    with pytest.raises(InputError, match=r"weights column\(s\) \['weight'\] not found in the duckdb source; "
                                         r"available columns: \['h', 'w', 'y'\]"):
        sw.Design(str(tmp_path / "x.parquet"), weights="weight", strata="h")
    d = sw.Design(str(tmp_path / "x.parquet"), weights="w", strata="h", lonely_psu="certainty")
    with pytest.raises(InputError, match=r"variable column\(s\) \['z'\] not found"):
        sw.mean(d, "z")


def test_source_path_that_matches_no_file(tmp_path):
    with pytest.raises(InputError, match=r"no file matches the source path .*nowhere/\*\.parquet"):
        sw.Design(str(tmp_path / "nowhere" / "*.parquet"), weights="w")


def test_missing_optional_dependencies_name_the_extra(monkeypatch):
    df = pd.DataFrame({"h": [1, 1, 2, 2], "y": [1, 0, 1, 1]})
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(EngineError, match=r'pip install "surveyweights\[spark\]"'):
        sw.Design(df, strata="h", engine="spark")
    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(EngineError, match=r'pip install "surveyweights\[duckdb\]"'):
        sw.Design(df, strata="h", engine="duckdb")


def test_sql_design_validation_messages():
    df = pd.DataFrame({"h": ["a", "a", "b", "b"], "w": [1.0, -2.0, 3.0, 4.0], "N": [10, 12, 20, 20],
                       "y": [1, 0, 1, 1]})
    with pytest.raises(DesignError, match=r"weights are negative in 1 row\(s\) of column 'w'"):
        sw.Design(df, weights="w", strata="h", engine="duckdb")
    with pytest.raises(DesignError, match=r"fpc varies within stratum 'a' \(from 10 to 12\)"):
        sw.Design(df, strata="h", fpc="N", engine="duckdb")
    with pytest.raises(sw.errors.LonelyPSUError, match=r"single sampled unit \('b'\)"):
        sw.Design(df.iloc[:3], strata="h", engine="duckdb")
    with pytest.raises(InputError, match=r"engine='nope' is not a valid engine"):
        sw.Design(df, strata="h", engine="nope")


# ------------------------------------------------------------- cells == unit scores
class _UnitTaylor(TaylorLinearization):
    """Taylor linearization through the unit-level seam only (no cell entry of its own)."""


@st.composite
def _designs(draw):
    n = draw(st.integers(12, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = [n // 3, n // 3, n - 2 * (n // 3)]
    h = np.repeat(np.arange(3), sizes)
    within = np.concatenate([np.arange(k) for k in sizes])
    g = rng.choice(["p", "q", "r"], n)
    g[:3] = ["p", "q", "r"]  # every domain has a respondent inside the subset
    df = pd.DataFrame({
        "h": h, "w": rng.uniform(1, 9, n).round(3), "g": g,
        "c": rng.choice(["x", "y", "z"], n).astype(object),
        "v": np.where((rng.random(n) < 0.15) & (np.arange(n) >= 3), np.nan, rng.normal(50, 10, n)),
        "s": (rng.random(n) < 0.7) | (np.arange(n) < 3), "psu": h * 100 + within // 2,
    })
    return df, draw(st.booleans())


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@settings(max_examples=10, deadline=None)
@given(_designs())
def test_cell_statistics_equal_unit_scores(case):
    """The cell-level variance (every engine) equals the unit-level seam on the same design."""
    df, clustered = case
    kw = dict(weights="w", strata="h", ids="psu" if clustered else None)
    fast = sw.Design(df, **kw)
    unit = sw.Design(df, variance=_UnitTaylor(), **kw)
    for fn, var, extra in ((sw.proportion, "c", {}), (sw.mean, "v", {"na": "available"}),
                           (sw.total, "v", {"na": "available"})):
        a = fn(fast, var, by="g", subset="s", df="satterthwaite", **extra).to_frame()
        b = fn(unit, var, by="g", subset="s", df="satterthwaite", **extra).to_frame()
        for c in ("estimate", "se"):
            np.testing.assert_allclose(a[c], b[c], rtol=1e-9, atol=1e-12, err_msg=c)
        # a variance that is zero in exact arithmetic is rounding noise either way, and
        # so is its Satterthwaite df
        real = b["se"].to_numpy() > 1e-9 * b["se"].abs().max()
        np.testing.assert_allclose(a["df"][real], b["df"][real], rtol=1e-9, err_msg="df")
    x = sw.chisq_test(fast, "c", "g")
    y = sw.chisq_test(unit, "c", "g")
    np.testing.assert_allclose([x.statistic, x.ndf, x.ddf], [y.statistic, y.ndf, y.ddf], rtol=1e-9)
    dx = sw.difference(fast, "v", by="g", between=("p", "q"), na="available").to_frame()
    dy = sw.difference(unit, "v", by="g", between=("p", "q"), na="available").to_frame()
    np.testing.assert_allclose(dx[["estimate", "se", "df"]].to_numpy(float),
                               dy[["estimate", "se", "df"]].to_numpy(float), rtol=1e-9)


def test_duckdb_refuses_cluster_weights_from_fpc_as_in_memory():
    """ids= and fpc= without weights=: the same DesignError on DuckDB as in memory."""
    df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "N": [10.0] * 6, "y": [1, 0, 1, 1, 0, 1]})
    msgs = []
    for engine in ("pandas", "duckdb"):
        with pytest.raises(DesignError, match=r"weights are not given and ids='psu' names clusters") as e:
            sw.Design(df, ids="psu", fpc="N", engine=engine)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
