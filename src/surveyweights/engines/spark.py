"""The Spark engine: the same GROUP BY queries through Spark SQL, for data on a cluster.

``sw.Design(spark_df, ...)`` runs every query on the DataFrame's session; only
the small per-cell tables come back to the driver.  Needs pyspark:
``pip install "surveyweights[spark]"`` (and a Java runtime).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError, InputError
from .sql import SOURCE, SqlSource

__all__ = ["Spark", "SparkSource"]


def _quiet_pyspark_on_pandas() -> None:
    """Inside ``warnings.catch_warnings()``: hide pandas 3's future/deprecation warnings
    that pyspark's own conversion code triggers (nothing the user can act on)."""
    for category in (FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=r"pyspark\.")


def _import_pyspark():
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import DataFrame, SparkSession
    except ImportError:
        raise EngineError(
            "the Spark engine needs pyspark, which is not installed; install it with "
            "pip install \"surveyweights[spark]\" (it also needs a Java runtime), or use "
            "engine='duckdb' or engine='pandas'"
        ) from None
    return DataFrame, SparkSession


@dataclass(frozen=True)
class Spark:
    """Options of the Spark engine: ``engine=sw.engines.Spark(session=spark)``.

    Parameters
    ----------
    session : pyspark.sql.SparkSession, optional
        Turns a pandas DataFrame source into a Spark DataFrame (default: the active
        session); a Spark DataFrame source always runs on its own session.
    """

    session: Any = None
    name: str = "spark"

    def open(self, data: Any) -> "SparkSource":
        return SparkSource(data, self)


_NUMERIC = ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType",
            "DecimalType")


class SparkSource(SqlSource):
    """A Spark DataFrame the design's queries run on."""

    name = "spark"
    dialect = "spark"
    quote_char = "`"
    backslash = True

    def bucket(self, exprs, m: int) -> str:
        return f"pmod(hash({', '.join(exprs)}), {int(m)})"  # Spark's hash is a signed int

    def __init__(self, data: Any, options: Spark):
        DataFrame, SparkSession = _import_pyspark()
        if isinstance(data, DataFrame):
            self.df = data
        else:
            import pandas as pd
            if not isinstance(data, pd.DataFrame):
                raise InputError(
                    f"the Spark engine reads a Spark DataFrame (or a pandas DataFrame), got "
                    f"{type(data).__name__}"
                )
            session = options.session or SparkSession.getActiveSession()
            if session is None:
                raise EngineError(
                    "no active Spark session to load the pandas DataFrame into; pass "
                    "engine=sw.engines.Spark(session=spark), or a Spark DataFrame"
                )
            self.df = session.createDataFrame(data)
        self.session = self.df.sparkSession
        self._schema = None

    def describe(self) -> str:
        return "spark"

    def schema(self) -> dict[str, tuple[str, list | None]]:
        if self._schema is None:
            out = {}
            for f in self.df.schema.fields:
                t = type(f.dataType).__name__
                if t == "BooleanType":
                    out[f.name] = ("bool", None)
                elif t in _NUMERIC:
                    out[f.name] = ("numeric", None)
                else:
                    out[f.name] = ("text", None)
            self._schema = out
        return self._schema

    def fetch(self, sql: str):
        # spark.sql formats the text with str.format: escape the braces of names and
        # literals, then name the source as a DataFrame argument
        text = sql.replace("{", "{{").replace("}", "}}").replace(SOURCE, "{__sw_source}")
        try:
            res = self.session.sql(text, __sw_source=self.df)
            with warnings.catch_warnings():
                _quiet_pyspark_on_pandas()
                return res.toPandas()
        except Exception as exc:  # py4j and analysis errors have many types
            raise EngineError(f"Spark could not run the design's query: {exc}") from None

    def collect(self, columns=None):
        df = self.df if columns is None else self.df.select(*columns)
        with warnings.catch_warnings():
            _quiet_pyspark_on_pandas()
            return df.toPandas()
