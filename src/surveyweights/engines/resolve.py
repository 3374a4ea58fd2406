"""Which engine a design's source goes to (``sw.Design(source, ..., engine=...)``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from .base import ENGINES, MemoryEngine
from .sql import SqlSource


def _is_spark(data: Any) -> bool:
    return type(data).__module__.startswith("pyspark.")


def _is_duckdb(data: Any) -> bool:
    mod = type(data).__module__
    return mod.startswith(("duckdb", "_duckdb")) or mod.startswith("pyarrow")


def resolve(data: Any, engine: Any):
    """A :class:`MemoryEngine` or an opened SQL source for ``data`` and ``engine``."""
    if isinstance(engine, MemoryEngine):
        engine = "pandas"
    if isinstance(engine, SqlSource):  # a design rebuilt from another (with_lonely_psu)
        return engine
    if engine is None:
        if isinstance(data, pd.DataFrame):
            return MemoryEngine()
        if _is_spark(data):
            engine = "spark"
        elif _is_duckdb(data) or isinstance(data, (str, Path)):
            engine = "duckdb"
        else:
            raise InputError(
                f"data must be a pandas DataFrame, an Arrow table, a DuckDB relation, a "
                f"Parquet/CSV path or a Spark DataFrame, got {type(data).__name__}"
            )
    if isinstance(engine, str):
        if engine == "pandas":
            if not isinstance(data, pd.DataFrame):
                raise InputError(
                    f"engine='pandas' needs a pandas DataFrame, got {type(data).__name__}; leave "
                    f"engine= out to compute on the source where it is"
                )
            return MemoryEngine()
        if engine == "duckdb":
            from .duckdb import DuckDB
            engine = DuckDB()
        elif engine == "spark":
            from .spark import Spark
            engine = Spark()
        else:
            raise InputError(f"engine={engine!r} is not a valid engine; choose one of {list(ENGINES)}")
    if not hasattr(engine, "open"):
        raise InputError(
            f"engine={engine!r} is not a valid engine; choose one of {list(ENGINES)} or pass "
            f"sw.engines.DuckDB(...) / sw.engines.Spark(...)"
        )
    return engine.open(data)
