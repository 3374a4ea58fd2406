"""Engines: where the sufficient statistics of an estimate are computed.

* :mod:`.cells` -- the small per-cell table every engine produces, and its algebra;
* :mod:`.memory` -- the in-memory engine (numpy ``bincount`` over a pandas frame);
* :mod:`.sql` -- the GROUP BY queries shared by the SQL engines;
* :mod:`.duckdb` -- DuckDB: pandas frames, Arrow tables, relations, Parquet/CSV files,
  out of core;
* :mod:`.spark` -- Spark SQL over a Spark DataFrame (``pip install "surveyweights[spark]"``);
* :mod:`.calibration` -- calibration of a SQL design to categorical margins from
  the calibration cells' sums.

Everything after the per-cell table (estimates, variances, df, intervals) is
shared code; the engine is named in every result.
"""

from __future__ import annotations

from .base import ENGINES, MemoryEngine, not_on_engine
from .duckdb import DuckDB
from .spark import Spark

__all__ = ["ENGINES", "DuckDB", "MemoryEngine", "Spark", "not_on_engine"]
