"""Replicate weights on the SQL engines equal the in-memory replicate design (rtol 1e-10).

The in-memory replicate designs are R-verified (``test_r_parity_replicate.py``,
``test_estimators_replicate.py``), so equality to them carries R parity.  Two
kinds of SQL replicate design:

* ``sw.replicate(sql_design, method=...)`` of a design with PSUs: per-(PSU x
  domain x level) sums from the database times the factor matrix;
* replicate weight columns stored in the source (``replicate_weights=``): sums of
  each column per domain and level, and their Gram matrix for R's ``degf``.

The data have weights that vary within every stratum and PSU, a missing numeric
value every 11th row, and are sorted by (stratum, PSU): on SQL engines the PSUs
of a stratum are taken in the order of their labels, in memory in order of
appearance (that order decides which PSU gets which random draw or Hadamard row).
Spark versions (``test_spark_*``) run in CI's slow step.
"""

from __future__ import annotations

import warnings

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from conftest import to_spark
from hypothesis import given, settings

import surveyweights as sw
from surveyweights.errors import DesignError, EngineError, InputError
from surveyweights.variance.replicate import certified_rank, numerical_rank

duckdb = pytest.importorskip("duckdb")

RTOL = 1e-10
COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "n", "deff", "n_missing"]


def _frame() -> pd.DataFrame:
    """16 PSUs in 4 strata of 3-5 PSUs (``h``) and in 8 pairs (``pair``), sorted."""
    rng = np.random.default_rng(20261130)
    psu_h = np.repeat(["s1", "s2", "s3", "s4"], [3, 4, 4, 5])
    rows = []
    for p in range(16):
        m = int(rng.integers(6, 12))
        rows.append(pd.DataFrame({"psu": f"p{p + 1:02d}", "h": psu_h[p], "pair": f"q{p // 2}",
                                  "i": range(m)}))
    df = pd.concat(rows, ignore_index=True)
    n = len(df)
    df["N"] = df["h"].map({"s1": 9, "s2": 10, "s3": 12, "s4": 20})
    df["w"] = rng.uniform(2.0, 9.0, n)
    df["y"] = rng.choice(["no", "yes", "maybe"], n, p=[0.5, 0.3, 0.2])
    df["g"] = rng.choice(["A", "B"], n)
    df["x"] = rng.gamma(2.0, 5.0, n)
    df.loc[df.index % 11 == 0, "x"] = np.nan
    df["b"] = (rng.uniform(size=n) < 0.4).astype(int)
    return df.drop(columns="i")


CALLS = [
    ("proportion", dict(variable="y", by="g")),
    ("proportion", dict(variable="b", subset="x > 8", method="beta", na="available")),
    ("proportion", dict(variable="y", level="yes", method="likelihood")),
    ("mean", dict(variable="x", by="g", na="available")),
    ("total", dict(variable="x", subset="y != 'no'", na="available")),
]


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert len(a) == len(b), what
    assert a["level"].astype(str).tolist() == b["level"].astype(str).tolist(), what
    for c in COLUMNS:
        if c in a:
            np.testing.assert_allclose(b[c].to_numpy(dtype=float), a[c].to_numpy(dtype=float),
                                       rtol=RTOL, atol=0, err_msg=f"{what}: {c}")


def _check(dm: sw.Design, dd: sw.Design, calls=CALLS, *, tests: bool = True) -> None:
    """The estimators (and with ``tests``, differences and a chi-square test): SQL equals
    memory."""
    assert dd.degf == dm.degf
    assert dd.variance.n_replicates == dm.variance.n_replicates
    for fn, call in calls:
        a, b = getattr(sw, fn)(dm, **call), getattr(sw, fn)(dd, **call)
        assert b.engine != "pandas"
        _same(a.to_frame(), b.to_frame(), f"{fn} {call}")
    if not tests:
        return
    for variable, kw in (("y", {}), ("x", dict(na="available"))):
        a = sw.difference(dm, variable, by="g", between=("B", "A"), **kw).to_frame()
        b = sw.difference(dd, variable, by="g", between=("B", "A"), **kw).to_frame()
        _same(a, b, f"difference {variable}")
        np.testing.assert_allclose(b["p_value"], a["p_value"], rtol=RTOL)
    a, b = sw.chisq_test(dm, "y", "g"), sw.chisq_test(dd, "y", "g", subset=None)
    for f in ("statistic", "ndf", "ddf", "p_value"):
        np.testing.assert_allclose(getattr(b, f), getattr(a, f), rtol=RTOL, err_msg=f)


# (method, design keywords, replicate keywords); PSU codes sort like their appearance
SPECS = [
    ("jk1", dict(ids="psu", fpc=None), {}),
    ("jkn", dict(ids="psu", strata="h", fpc="N"), {}),
    ("jkn", dict(ids="psu", strata="h", fpc=None), dict(mse=True)),
    ("brr", dict(ids="psu", strata="pair"), {}),
    ("fay", dict(ids="psu", strata="pair"), dict(rho=0.3)),
    ("bootstrap", dict(ids="psu", strata="h", fpc="N"), dict(replicates=12, rng=7)),
    ("subbootstrap", dict(ids="psu", strata="h"), dict(replicates=10, rng=3)),
    ("sdr", dict(ids="psu", strata="h", fpc="N"), dict(replicates=8)),
]


def _pair(engine_data, spec):
    method, dkw, rkw = spec
    df = _frame()
    dkw = {k: v for k, v in dkw.items() if v is not None}
    dm = sw.replicate(sw.Design(df, weights="w", **dkw), method=method, **rkw)
    dd = sw.replicate(sw.Design(engine_data(df), weights="w", **dkw), method=method, **rkw)
    return dm, dd


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s[0]}-{i}" for i, s in enumerate(SPECS)])
def test_duckdb_replicate_equals_memory(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SurveyWeightsWarning)  # BRR has no fpc (as R)
        dm, dd = _pair(lambda df: duckdb.from_df(df), spec)
    assert f"'{spec[0]}' replicate weights" in repr(dd) and "engine 'duckdb'" in repr(dd)
    if spec is SPECS[1]:  # every estimator and test once; the structures with one call each
        _check(dm, dd)
    else:
        _check(dm, dd, [CALLS[0]] if spec[0] != "bootstrap" else [CALLS[3]], tests=False)


@pytest.mark.parametrize("lonely", ["adjust", "average"])
def test_duckdb_replicate_lonely_psu_and_small_domains(lonely):
    """A stratum with one PSU (R's jknweights rules) and a domain inside two PSUs (its df
    is the rank of those PSUs' factor rows)."""
    df = _frame()
    df = df[~((df["h"] == "s1") & (df["psu"] != "p01"))].reset_index(drop=True)
    kw = dict(weights="w", strata="h", ids="psu", lonely_psu=lonely)
    dm = sw.replicate(sw.Design(df, **kw), method="jkn")
    dd = sw.replicate(sw.Design(df, engine="duckdb", **kw), method="jkn")
    _check(dm, dd, [CALLS[0], ("mean", dict(variable="x", by="g", na="available",
                                             subset="psu == 'p01' or psu == 'p05'"))], tests=False)


def test_duckdb_adjusting_a_replicate_design_raises():
    """Calibrating a SQL replicate design (replaying it per replicate) is not done on the
    engine: the error names design.collect()."""
    dd = sw.replicate(sw.Design(_frame(), weights="w", strata="h", ids="psu", engine="duckdb"),
                      method="jkn")
    with pytest.raises(EngineError, match=r"variance method 'jkn'.*design\.collect\(\)"):
        sw.rake(dd, {"g": {"A": 900.0, "B": 1100.0}})
    with pytest.raises(EngineError, match=r"design\.collect\(\)"):
        sw.trim_weights(dd, lower=1.0, upper=5.0)
    for call in (lambda: sw.ratio(dd, "x", "w", na="available"),
                 lambda: sw.mean(dd, "x", by="g", na="available").vcov()):
        with pytest.raises(EngineError, match=r"'jkn'.*design\.collect\(\)"):
            call()
    back = sw.rake(dd.collect(), {"g": {"A": 900.0, "B": 1100.0}})  # the way round it
    assert back.variance.type == "jkn" and back.engine.name == "pandas"


def test_duckdb_collect_is_the_same_replicate_design():
    """collect() gives the in-memory design with the same factors, whatever the row order."""
    df = _frame()
    perm = np.random.default_rng(5).permutation(len(df))
    shuffled = df.iloc[perm].reset_index(drop=True)
    dd = sw.replicate(sw.Design(shuffled, weights="w", strata="h", ids="psu", engine="duckdb"),
                      method="bootstrap", replicates=12, rng=7)
    dm = sw.replicate(sw.Design(df, weights="w", strata="h", ids="psu"), method="bootstrap",
                      replicates=12, rng=7)
    back = dd.collect()
    assert back.engine.name == "pandas" and back.variance.type == "bootstrap"
    a = sw.mean(dm, "x", by="g", na="available").to_frame()
    _same(a, sw.mean(back, "x", by="g", na="available").to_frame(), "collect")
    _same(a, sw.mean(dd, "x", by="g", na="available").to_frame(), "shuffled source")
    np.testing.assert_array_equal(back.replicate_weights.to_numpy(),
                                  dm.replicate_weights.to_numpy()[perm])


def _with_columns(df: pd.DataFrame, *, combined: bool = True) -> pd.DataFrame:
    """The frame with 6 bootstrap replicate weight columns rw1..rw6 (one perturbed, so
    that the columns are not exactly a PSU structure)."""
    dm = sw.replicate(sw.Design(df, weights="w", strata="h", ids="psu"), method="bootstrap",
                      replicates=6, rng=11)
    rw = dm.replicate_weights.to_numpy().copy()
    rw[:, 5] *= 1.0 + 0.2 * np.sin(np.arange(len(df)))
    if not combined:
        rw = rw / df["w"].to_numpy()[:, None]
    return df.assign(**{f"rw{j + 1}": rw[:, j] for j in range(rw.shape[1])})


@pytest.mark.parametrize("mse, combined", [(False, True), (True, False)])
def test_duckdb_replicate_columns_equal_memory(mse, combined):
    data = _with_columns(_frame(), combined=combined)
    kw = dict(weights="w", replicate_weights="rw[0-9]+", replicate_method="bootstrap", mse=mse,
              combined_weights=combined)
    dm = sw.Design(data, **kw)
    dd = sw.Design(duckdb.from_df(data), **kw)
    assert dd.variance.names == tuple(f"rw{j}" for j in range(1, 7)) and dd.variance.mse is mse
    if mse:
        _check(dm, dd, [CALLS[2]], tests=False)
    else:
        _check(dm, dd)
    back = dd.collect()
    _same(sw.mean(dm, "x", na="available").to_frame(), sw.mean(back, "x", na="available").to_frame(),
          "collect")


def test_duckdb_replicate_columns_from_parquet(tmp_path):
    """The issue's case: replicate weight columns in Parquet files (a glob), JKn with rscales."""
    data = _frame()
    jk = sw.replicate(sw.Design(data, weights="w", strata="h", ids="psu"), method="jkn")
    rw = jk.replicate_weights.to_numpy()
    data = data.assign(**{f"PWGTP{j + 1}": rw[:, j] for j in range(rw.shape[1])})
    half = len(data) // 2
    data.iloc[:half].to_parquet(tmp_path / "part1.parquet")
    data.iloc[half:].to_parquet(tmp_path / "part2.parquet")
    cols = [f"PWGTP{j + 1}" for j in range(rw.shape[1])]
    kw = dict(weights="w", replicate_method="jkn", rscales=jk.variance.rscales)
    dm = sw.Design(data, replicate_weights=cols, **kw)
    dd = sw.Design(str(tmp_path / "*.parquet"), replicate_weights="PWGTP[0-9]+", **kw)
    assert dd.engine.name == "duckdb" and dd.variance.names == tuple(cols)
    assert dd.degf == jk.degf
    _check(dm, dd, [CALLS[3]], tests=False)


def test_duckdb_replicate_errors(tmp_path):
    data = _with_columns(_frame())
    src = duckdb.from_df(data)
    with pytest.raises(EngineError, match=r"needs a design with PSUs \(ids=\).*n = 1.*design\.collect\(\)"):
        sw.replicate(sw.Design(src, weights="w", strata="h"), method="bootstrap", replicates=5, rng=1)
    with pytest.raises(InputError, match=r"replicate_weights='zz\[0-9\]' matches no column of the duckdb"):
        sw.Design(src, weights="w", replicate_weights="zz[0-9]", replicate_method="bootstrap")
    with pytest.raises(InputError, match=r"must be columns of the source: give their names"):
        sw.Design(src, weights="w", replicate_weights=data[["rw1", "rw2"]], replicate_method="bootstrap")
    with pytest.raises(DesignError, match=r"column 'y' is not numeric"):
        sw.Design(src, weights="w", replicate_weights=["rw1", "y"], replicate_method="bootstrap")
    with pytest.raises(InputError, match=r"replicate_method='jkn' needs rscales="):
        sw.Design(src, weights="w", replicate_weights="rw[0-9]+", replicate_method="jkn")
    with pytest.raises(DesignError, match=r"needs the full-sample weights: pass weights="):
        sw.Design(src, replicate_weights="rw[0-9]+", replicate_method="bootstrap")
    bad = data.copy()
    bad.loc[[3, 7], "rw4"] = np.nan
    bad.loc[5, "rw4"] = np.inf
    with pytest.raises(DesignError, match=r"column 'rw4' is missing or infinite in 3 row\(s\)"):
        sw.Design(duckdb.from_df(bad), weights="w", replicate_weights="rw[0-9]+",
                  replicate_method="bootstrap")
    dd = sw.Design(src, weights="w", replicate_weights="rw[0-9]+", replicate_method="bootstrap")
    with pytest.raises(EngineError, match=r"design\.replicate_weights .*design\.collect\(\)"):
        dd.replicate_weights
    with pytest.raises(EngineError, match=r"write_replicate_design .*design\.collect\(\)"):
        sw.write_replicate_design(dd, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(EngineError, match=r"design\.collect\(\)"):
        sw.proportion(dd, "y", subset=np.ones(len(data), dtype=bool))


def test_duckdb_replicates_without_a_weight_column():
    """Weights N_h / n_h from fpc= (the queries count with weight 1 and scale per stratum,
    also in the logit interval's IRLS query) equal an explicit weight column in memory."""
    df = _frame()
    n_psu = df.groupby("h")["psu"].transform("nunique")
    dm = sw.replicate(sw.Design(df.assign(wf=df["N"] / n_psu), weights="wf", strata="h",
                                ids="psu", fpc="N"), method="jkn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SurveyWeightsWarning)
        dd = sw.replicate(sw.Design(df, strata="h", ids="psu", fpc="N", engine="duckdb"),
                          method="jkn")
    _check(dm, dd, [CALLS[0], CALLS[3]], tests=False)


def test_duckdb_replicates_of_a_changed_source_raise():
    con = duckdb.connect()
    df = _frame()
    con.register("frame", df)
    con.execute("CREATE TABLE t AS SELECT * FROM frame")
    dd = sw.replicate(sw.Design(con.table("t"), weights="w", strata="h", ids="psu"),
                      method="jkn")
    con.execute("INSERT INTO t SELECT * REPLACE ('p99' AS psu) FROM frame LIMIT 3")
    with pytest.raises(EngineError, match=r"PSU 'p99' of column 'psu' has no replicate factors"):
        sw.mean(dd, "x", na="available")


def test_duckdb_replicate_is_deterministic():
    data = _with_columns(_frame())
    src = duckdb.from_df(data)
    dd = sw.Design(src, weights="w", replicate_weights="rw[0-9]+", replicate_method="bootstrap")
    runs = [sw.mean(dd, "x", by="g", na="available").to_frame() for _ in range(2)]
    for r in runs[1:]:
        pd.testing.assert_frame_equal(r, runs[0], check_exact=True)


def test_spark_replicate_equals_memory(spark):
    """Spark (kept small: each query costs a JVM round trip): factors per PSU with the
    logit interval's IRLS query, and replicate columns with mse (bucket sums for df)."""
    dm, ds = _pair(lambda df: to_spark(spark, df), SPECS[5])
    assert "engine 'spark'" in repr(ds)
    _check(dm, ds, [CALLS[0]], tests=False)
    data = _with_columns(_frame())
    kw = dict(weights="w", replicate_weights="rw[0-9]+", replicate_method="bootstrap", mse=True)
    fm, fs = sw.Design(data, **kw), sw.Design(to_spark(spark, data), **kw)
    _check(fm, fs, [CALLS[3]], tests=False)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), R=st.integers(2, 8), deficient=st.integers(0, 3),
       seed=st.integers(0, 2**32 - 1), buckets=st.integers(1, 40))
def test_bucket_certificate_never_overstates_the_rank(n, R, deficient, seed, buckets):
    """certified_rank (SQL engines: bucket sums instead of the Gram matrix) gives R only
    where numerical_rank of the rows (in memory) is R, whatever the buckets."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.0, 3.0, (n, R))
    for j in range(min(deficient, R - 1)):  # columns that copy or combine others
        a[:, R - 1 - j] = a[:, 0] * (j + 1) if j % 2 == 0 else a[:, 0] + a[:, 1]
    b = rng.integers(0, buckets, n)
    m = int(b.max()) + 1
    counts = np.bincount(b, minlength=m).astype(float)
    sums = np.stack([np.bincount(b, weights=a[:, j], minlength=m) for j in range(R)], axis=1)
    sumsq = np.stack([np.bincount(b, weights=a[:, j] ** 2, minlength=m) for j in range(R)], axis=1)
    got = certified_rank(counts[counts > 0], sums[counts > 0], sumsq[counts > 0])
    assert got is None or got == numerical_rank(a) == R
    if n >= 40 * R and deficient == 0 and buckets >= 4 * R:  # independent columns: certified
        assert got == R
