"""The DuckDB engine: embedded, multi-threaded, out of core.

Sources: a pandas DataFrame (read in place, ``engine="duckdb"``), an Arrow table,
a DuckDB relation or table (``con.table("responses")``), or a path or glob of
Parquet or CSV files (read lazily; only the columns a query needs are read, and
DuckDB spills to disk beyond ``memory_limit``).  Needs the ``duckdb`` package:
``pip install "surveyweights[duckdb]"``.
"""

from __future__ import annotations

import glob as _glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EngineError, InputError
from .sql import SOURCE, SqlSource

__all__ = ["DuckDB", "DuckDBSource"]

_VIEW = "__surveyweights_source"
_NUMERIC = {"tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
            "uinteger", "ubigint", "uhugeint", "float", "double", "decimal"}


def _import_duckdb():
    try:
        import duckdb
    except ImportError:
        raise EngineError(
            "the DuckDB engine needs the duckdb package, which is not installed; install it "
            "with pip install \"surveyweights[duckdb]\", or pass a pandas DataFrame with "
            "engine='pandas'"
        ) from None
    return duckdb


@dataclass(frozen=True)
class DuckDB:
    """Options of the DuckDB engine: ``sw.Design(source, ..., engine=sw.engines.DuckDB(...))``.

    Parameters
    ----------
    threads : int, optional
        Worker threads (DuckDB's ``threads`` setting; default: all cores).
    memory_limit : str, optional
        E.g. ``"4GB"``; beyond it DuckDB spills to ``temp_directory``.
    temp_directory : str, optional
        Where DuckDB spills (default: DuckDB's own choice).

    Notes
    -----
    These settings apply to the engine's own connection (sources given as paths,
    pandas frames or Arrow tables); a relation runs on the connection it came from.

    Examples
    --------
    >>> import pandas as pd, surveyweights as sw
    >>> df = pd.DataFrame({"h": ["a", "a", "b", "b"], "N": [10, 10, 20, 20], "y": [1, 0, 1, 1]})
    >>> d = sw.Design(df, strata="h", fpc="N", engine=sw.engines.DuckDB(threads=1))
    >>> sw.proportion(d, "y").to_frame()[["estimate", "se"]].round(4).values.tolist()
    [[0.8333, 0.1491]]
    """

    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: str | None = None
    name: str = "duckdb"

    def open(self, data: Any) -> "DuckDBSource":
        return DuckDBSource(data, self)


def _paths(spec: str) -> list[str]:
    if any(ch in spec for ch in "*?["):
        found = sorted(_glob.glob(spec, recursive=True))
    else:
        found = [spec] if os.path.exists(spec) else []
    if not found:
        raise InputError(
            f"no file matches the source path {spec!r}; give the path of a Parquet or CSV "
            f"file, or a glob such as 'survey/*.parquet' (relative to {os.getcwd()!r})"
        )
    return found


class DuckDBSource(SqlSource):
    """A DuckDB relation the design's queries run on."""

    name = "duckdb"
    dialect = "duckdb"
    quote_char = '"'
    backslash = False

    def __init__(self, data: Any, options: DuckDB):
        duckdb = _import_duckdb()
        self.options = options
        self.view = None
        self._categories = {}
        if isinstance(data, duckdb.DuckDBPyRelation):
            self.relation = data
            self.what = "a DuckDB relation"
        else:
            con = duckdb.connect()
            settings = {"threads": options.threads, "memory_limit": options.memory_limit,
                        "temp_directory": options.temp_directory}
            for key, value in settings.items():
                if value is not None:
                    con.execute(f"SET {key} = '{str(value).replace(chr(39), '')}'")
            self.con = con
            if isinstance(data, (str, Path)):
                spec = str(data)
                files = _paths(spec)
                lower = spec.lower()
                try:
                    if lower.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
                        self.relation = con.read_csv(files)
                    elif lower.endswith((".parquet", ".pq", ".parq")):
                        self.relation = con.read_parquet(files)
                    else:
                        raise InputError(
                            f"source path {spec!r} is neither Parquet (.parquet) nor CSV (.csv); "
                            f"read it into a pandas DataFrame or a DuckDB relation first"
                        )
                except duckdb.Error as exc:
                    raise EngineError(f"DuckDB cannot read {spec!r}: {exc}") from None
                self.what = f"the files {spec!r}"
            elif type(data).__module__.startswith("pyarrow"):
                self.relation = con.from_arrow(data)
                self.what = "an Arrow table"
            else:
                import pandas as pd
                if not isinstance(data, pd.DataFrame):
                    raise InputError(
                        f"the DuckDB engine reads a pandas DataFrame, an Arrow table, a DuckDB "
                        f"relation or a Parquet/CSV path, got {type(data).__name__}"
                    )
                from .._strata import check_frame

                check_frame(data, what="data")
                self.relation = con.from_df(data)
                self.what = "a pandas DataFrame"
                # a categorical keeps its categories (and their order) whatever DuckDB
                # makes of it (categories that are not text become plain columns there)
                self._categories = {c: list(data[c].cat.categories) for c in data.columns
                                    if isinstance(data[c].dtype, pd.CategoricalDtype)}
            # queries run on the engine's own connection, through a view of the source
            self.relation.create_view(_VIEW)
            self.view = _VIEW
        self._schema = None

    def describe(self) -> str:
        return f"duckdb ({self.what})"

    def sum_function(self) -> str:
        return "fsum"

    def schema(self) -> dict[str, tuple[str, list | None]]:
        if self._schema is None:
            out = {}
            for name, t in zip(self.relation.columns, self.relation.types):
                kind = t.id
                if kind == "enum":
                    out[name] = ("enum", list(dict(t.children)["values"]))
                elif kind == "boolean":
                    out[name] = ("bool", None)
                elif kind in _NUMERIC:
                    out[name] = ("numeric", None)
                else:
                    out[name] = ("text", None)
                if name in self._categories:
                    out[name] = ("enum", self._categories[name])
            self._schema = out
        return self._schema

    def fetch(self, sql: str):
        duckdb = _import_duckdb()
        try:
            if self.view is not None:
                return self.con.execute(sql.replace(SOURCE, self.view)).fetch_df()
            return self.relation.query(_VIEW, sql.replace(SOURCE, _VIEW)).df()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB could not run the design's query: {exc}") from None

    def collect(self, columns=None):
        rel = self.relation if columns is None else self.relation.select(
            *[f'"{c}"' for c in columns])
        return rel.df()
