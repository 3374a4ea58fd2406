"""Designs shared by the R-parity tests, built exactly as the R scripts build them.

R side (tests/fixtures/r_shared/oracle.R and r_extra/make_references.R):
  desA/desB <- svydesign(ids=~1, strata=~interaction(nace, size), fpc=~N, data=merged)
  dstrat    <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
  dclus1    <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

import surveyweights as sw

# Hypothesis profiles.  "ci" (the default) is derandomized: every run draws the same
# examples, so a test cannot pass on one run and fail on the next.  "explore" draws
# fresh random examples each run, to look for new failures:
#     SURVEYWEIGHTS_HYPOTHESIS=explore pytest tests/
# No deadline in either: speed is measured in benchmarks/, and a per-example deadline
# fails a correct test on a loaded machine (a 200 ms deadline took 549 ms under load).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SURVEYWEIGHTS_HYPOTHESIS", "ci"))

FIXTURES = Path(__file__).parent / "fixtures"
R_SHARED = FIXTURES / "r_shared"
R_EXTRA = FIXTURES / "r_extra"

NACE = ["10-33", "35-39", "41-43", "45-47", "49-53", "55-56", "58-63", "64-66", "68-75",
        "77-82;95.1", "86-88"]
SIZES = ["micro", "small", "medium", "large"]
LEVELS = {
    "nace": NACE,
    "size": SIZES,
    "adoption": ["adopter", "plans", "no_plans"],
    "initiative": ["individual_shadow", "individual_approved", "teams", "it", "management"],
    "phase": ["experiment", "integrate", "scale", "reduce"],
    "budget": ["down", "same", "up_slightly", "up_strongly"],
}


def business_data(path: Path) -> pd.DataFrame:
    """dataset A or B merged with the population, with R's factor level orders."""
    d = pd.read_csv(path, dtype={"nace": str, "size": str}, keep_default_na=True)
    pop = pd.read_csv(R_SHARED / "population.csv", dtype={"nace": str, "size": str})
    m = d.merge(pop, on=["nace", "size"], how="left", validate="many_to_one")
    for col, levels in LEVELS.items():
        m[col] = pd.Categorical(m[col], categories=levels)
    m["is_adopter"] = (m["adoption"] == "adopter").astype(int)
    m["adopter_bool"] = m["adoption"] == "adopter"
    m["phase_experiment"] = (m["phase"] == "experiment").to_numpy(dtype=bool)
    return m


@pytest.fixture(scope="session")
def desA() -> sw.Design:
    return sw.Design(business_data(R_SHARED / "dataset_A.csv"), strata=["nace", "size"], fpc="N")


@pytest.fixture(scope="session")
def desB() -> sw.Design:
    return sw.Design(business_data(R_EXTRA / "dataset_B.csv"), strata=["nace", "size"], fpc="N")


def api_data(name: str) -> pd.DataFrame:
    d = pd.read_csv(R_SHARED / f"{name}.csv")
    d["ell_gt_20"] = d["ell"] > 20
    d["ell_gt_20_num"] = (d["ell"] > 20).astype(float)
    for col in ("stype", "awards", "sch.wide"):
        d[col] = pd.Categorical(d[col], categories=sorted(d[col].dropna().unique()))
    return d


@pytest.fixture(scope="session")
def dstrat() -> sw.Design:
    return sw.Design(api_data("apistrat"), weights="pw", strata="stype", fpc="fpc")


@pytest.fixture(scope="session")
def dclus1() -> sw.Design:
    return sw.Design(api_data("apiclus1"), weights="pw", ids="dnum", fpc="fpc")


@pytest.fixture(scope="session")
def lonely_data() -> pd.DataFrame:
    d = api_data("apistrat")
    return d[(d["stype"] != "H") | (d["snum"] == 627)].reset_index(drop=True)


@pytest.fixture(scope="session")
def r_extra() -> pd.DataFrame:
    return pd.read_csv(R_EXTRA / "results_extra.csv", dtype=str, keep_default_na=False)


def num(x: str) -> float:
    """A number from an R results file: '' is not applicable (NaN here)."""
    if x in ("", "NA", "NaN"):
        return np.nan
    if x == "Inf":
        return np.inf
    return float(x)


@pytest.fixture(scope="session")
def replica_design() -> sw.Design:
    """The bundled SYNTHETIC replica without item non-response, weighted by N_h / n_h."""
    from surveyweights.barometer import prepare

    data = prepare(sw.datasets.barometer_2025_replica(complete=True))
    return sw.Design.from_population(data, sw.datasets.barometer_2025_frame(),
                                     strata=["nace", "size"])


# ---------------------------------------------------------------------------- engines
#: The engines every engine-parametrised test runs on.
ENGINES = ("pandas", "duckdb", "spark")

#: How each shared design is built (data, Design keyword arguments).
DESIGNS = {
    "desA": (lambda: business_data(R_SHARED / "dataset_A.csv"), dict(strata=["nace", "size"], fpc="N")),
    "desB": (lambda: business_data(R_EXTRA / "dataset_B.csv"), dict(strata=["nace", "size"], fpc="N")),
    "dstrat": (lambda: api_data("apistrat"), dict(weights="pw", strata="stype", fpc="fpc")),
    "dclus1": (lambda: api_data("apiclus1"), dict(weights="pw", ids="dnum", fpc="fpc")),
}


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole run (small, quiet, single-threaded).

    Skipped, with the reason, where pyspark or a Java runtime is missing (a fresh
    machine: ``apt-get install default-jre-headless``); ``.ci/run`` installs Java and
    sets ``SURVEYWEIGHTS_REQUIRE_SPARK=1``, under which a missing runtime fails the
    Spark tests instead of skipping them.
    """
    import os
    import shutil
    import warnings

    required = os.environ.get("SURVEYWEIGHTS_REQUIRE_SPARK") == "1"
    java_home = os.environ.get("JAVA_HOME")
    has_java = shutil.which("java") is not None or (
        java_home is not None and os.path.exists(os.path.join(java_home, "bin", "java")))
    if not has_java:
        reason = ("no Java runtime for the Spark engine's tests: install one (Debian: apt-get "
                  "install default-jre-headless; .ci/run does) or set JAVA_HOME")
        if required:
            pytest.fail(reason + " (SURVEYWEIGHTS_REQUIRE_SPARK=1)")
        pytest.skip(reason)
    if required:
        import pyspark  # noqa: F401  (an ImportError, not a skip, where Spark is required)
    else:
        pytest.importorskip("pyspark")

    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas 3
        session = (
            SparkSession.builder.master("local[1]").appName("surveyweights-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.default.parallelism", "1")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")  # no Janino compiles: 38 -> 34 s
            .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def to_spark(spark, data: pd.DataFrame):
    """A pandas frame as a Spark DataFrame (categoricals as text: Spark has no factor type)."""
    import warnings

    plain = data.astype({c: object for c in data.columns
                         if isinstance(data[c].dtype, pd.CategoricalDtype)})
    plain = plain.astype({c: object for c in plain.columns if plain[c].dtype == object})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # pandas 3's, from pyspark's conversion
        return spark.createDataFrame(plain)


@pytest.fixture(scope="session")
def on_engine(request):
    """``on_engine(name, engine, **overrides)``: a shared design built on an engine (cached)."""
    made: dict = {}

    def build(name: str, engine: str, data: pd.DataFrame | None = None, **kw) -> sw.Design:
        key = (name, engine, tuple(sorted(kw.items())))
        if data is None and key in made:
            return made[key]
        frame = DESIGNS[name][0]() if data is None else data
        args = {**DESIGNS[name][1], **kw}
        if engine == "pandas":
            d = sw.Design(frame, **args)
        elif engine == "duckdb":
            d = sw.Design(frame, engine="duckdb", **args)
        else:
            d = sw.Design(to_spark(request.getfixturevalue("spark"), frame), **args)
        if data is None:
            made[key] = d
        return d

    return build
