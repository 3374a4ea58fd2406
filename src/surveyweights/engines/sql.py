"""The GROUP BY queries shared by the SQL engines (DuckDB, Spark).

A SQL engine never fetches unit rows.  Building a design runs one query per
stratum (sizes, weight checks, fpc range); every estimate runs one query for
an indicator item (count, sum w, sum w^2 per stratum x [PSU x] domain x level)
or two for a numeric item (cell means first, then sums centred at them, joined
back as a small VALUES table), and the small results become the
:class:`~surveyweights.engines.cells.CellStats` of :mod:`.cells`.  Sums use the
engine's most accurate aggregate (DuckDB's ``fsum``: compensated, so the same
result run after run whatever the thread schedule).

Column names are always quoted identifiers and values always literals rendered
here (strings escaped, floats with 17 significant digits); ``subset=`` strings
are compiled by :mod:`surveyweights.expressions`, never run as SQL text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EngineError, InputError

__all__ = ["SqlSource", "SOURCE", "literal"]

#: Placeholder of the data source in query text; each engine substitutes its own.
SOURCE = "__SURVEYWEIGHTS_SOURCE__"
W = "__sw_w"


def literal(value: Any, *, backslash: bool = False) -> str:
    """A Python value as a SQL literal (str, bool, int, float); other types raise."""
    if value is None:
        return "NULL"
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            raise EngineError(f"cannot use the value {v!r} in a SQL engine's query")
        return f"CAST({v:.17e} AS DOUBLE)"
    if isinstance(value, str):
        s = value.replace("\\", "\\\\") if backslash else value
        return "'" + s.replace("'", "''") + "'"
    raise EngineError(
        f"values of type {type(value).__name__} ({value!r}) cannot be used as stratum or "
        f"domain keys on a SQL engine; cast the column to text or integers"
    )


class SqlSource:
    """A table reachable with SQL; subclasses run the queries (DuckDB, Spark).

    Subclasses set ``name``, ``dialect`` (of :meth:`Expression.to_sql`), ``quote_char``
    and ``backslash`` and implement :meth:`fetch` (run a query whose FROM names
    :data:`SOURCE`; return column names and rows), :meth:`schema` and
    :meth:`sum_function`.
    """

    name = "sql"
    dialect = "ansi"
    quote_char = '"'
    backslash = False

    # -- to be provided by the engine ------------------------------------------
    def fetch(self, sql: str):  # pragma: no cover - abstract
        """Run a query; the (small) result as a pandas DataFrame."""
        raise EngineError(f"the {self.name} engine cannot run queries")

    def schema(self) -> dict[str, tuple[str, list | None]]:  # pragma: no cover - abstract
        """Column name -> (kind, categories): kind in numeric, bool, enum, text."""
        raise EngineError(f"the {self.name} engine has no schema")

    def sum_function(self) -> str:
        return "sum"

    def describe(self) -> str:
        return self.name

    def collect(self, columns: Sequence[str] | None = None):  # pragma: no cover - abstract
        raise EngineError(f"the {self.name} engine cannot load data")

    # -- helpers ---------------------------------------------------------------
    def q(self, name: str) -> str:
        c = self.quote_char
        return c + name.replace(c, c + c) + c

    def lit(self, value: Any) -> str:
        return literal(value, backslash=self.backslash)

    def fsum(self, expr: str) -> str:
        return f"{self.sum_function()}({expr})"

    def bucket(self, exprs: Sequence[str], m: int) -> str:
        """A deterministic bucket 0..m-1 of each row from a hash of ``exprs``."""
        return f"(hash({', '.join(exprs)}) % {int(m)})"

    def check_columns(self, columns: Sequence[str], *, what: str) -> None:
        have = self.schema()
        missing = [c for c in columns if c not in have]
        if missing:
            raise InputError(
                f"{what} column(s) {missing} not found in the {self.name} source; available "
                f"columns: {list(have)}"
            )

    def run(self, sql: str) -> dict[str, np.ndarray]:
        """Run a query; the result by column: numeric arrays, or object arrays of
        values with None for NULL."""
        df = self.fetch(sql)
        out = {}
        for c in df.columns:
            s = df[c]
            if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
                out[c] = s.to_numpy()
            else:
                v = s.astype(object).to_numpy()
                out[c] = np.where(pd.isna(s).to_numpy(), None, v)
        return out

    def double(self, column: str) -> str:
        """A column as DOUBLE, NULL where it is missing, NaN or not a number."""
        c = f"TRY_CAST({self.q(column)} AS DOUBLE)"
        return f"(CASE WHEN isnan({c}) THEN NULL ELSE {c} END)"


def strata_of(design, res: dict, rows: int) -> np.ndarray:
    """The design's stratum index of each row of a query result with keys ``__s0``, ``__s1``..."""
    sq = design._sql
    ns = len(sq["strata"])
    if ns == 0:
        return np.zeros(rows, dtype=np.intp)
    if ns == 1:
        return sq["lookup"].get_indexer(pd.Index(res["__s0"], dtype=object))
    return sq["lookup"].get_indexer(pd.MultiIndex.from_arrays([res[f"__s{i}"] for i in range(ns)]))


def weight_expr(src: SqlSource, *, weights: str | None) -> str:
    """The SQL expression of each unit's weight in the queries.

    Without a weight column the weight is constant within a stratum (N_h / n_h, or
    1): the queries then count with weight 1 and the results are scaled by the
    stratum's weight afterwards (``Design._sql["scale"]``), which keeps the
    queries free of per-row CASE expressions.
    """
    if weights is not None:
        return src.double(weights)
    return "CAST(1.0 AS DOUBLE)"


def strata_query(src: SqlSource, *, strata: Sequence[str], weights: str | None, fpc: str | None,
                 ids: str | None) -> str:
    """Per stratum: units, PSUs, weight and fpc checks (one scan)."""
    s_cols = [f"{src.q(c)} AS __s{i}" for i, c in enumerate(strata)]
    inner = s_cols + [f"{src.double(weights) if weights else 'CAST(1.0 AS DOUBLE)'} AS __wv"]
    if weights is not None:
        inner.append(f"{src.q(weights)} IS NULL AS __wnull")
    if fpc is not None:
        inner.append(f"{src.double(fpc)} AS __fv")
    if ids is not None:
        inner.append(f"{src.q(ids)} AS __p")
    keys = [f"__s{i}" for i in range(len(strata))]
    agg = ["count(*) AS n",
           "sum(CASE WHEN __wv IS NULL THEN 1 ELSE 0 END) AS w_missing",
           "sum(CASE WHEN abs(__wv) = CAST('Infinity' AS DOUBLE) THEN 1 ELSE 0 END) AS w_inf",
           "sum(CASE WHEN __wv < 0 THEN 1 ELSE 0 END) AS w_negative",
           "sum(CASE WHEN __wv = 0 THEN 1 ELSE 0 END) AS w_zero",
           "sum(CASE WHEN __wv > 0 AND abs(__wv) < CAST('Infinity' AS DOUBLE) AND "
           "(__wv < 1e-100 OR __wv > 1e100) THEN 1 ELSE 0 END) AS w_range",
           f"{src.fsum('__wv')} AS sw"]
    if fpc is not None:
        agg += ["min(__fv) AS f_min", "max(__fv) AS f_max",
                "sum(CASE WHEN __fv IS NULL OR __fv <= 0 OR abs(__fv) = CAST('Infinity' AS DOUBLE) "
                "THEN 1 ELSE 0 END) AS f_bad"]
    if ids is not None:
        agg += ["count(DISTINCT __p) AS n_psu", "sum(CASE WHEN __p IS NULL THEN 1 ELSE 0 END) AS p_missing"]
    sel = ", ".join(keys + agg)
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    return f"SELECT {sel} FROM (SELECT {', '.join(inner)} FROM {SOURCE}) AS __t{group}"


def psu_query(src: SqlSource, *, strata: Sequence[str], ids: str) -> str:
    """PSUs found in more than one stratum (at most 5 of them, and their number)."""
    cond = " OR ".join(f"count(DISTINCT {src.q(c)}) > 1" for c in strata) or "FALSE"
    return (f"SELECT {src.q(ids)} AS p FROM {SOURCE} WHERE {src.q(ids)} IS NOT NULL "
            f"GROUP BY {src.q(ids)} HAVING {cond} LIMIT 5")


def psus_query(src: SqlSource, *, strata: Sequence[str], ids: str) -> str:
    """Every (stratum, PSU) pair once: the PSUs a replicate design gives factors to."""
    keys = [f"{src.q(c)} AS __s{i}" for i, c in enumerate(strata)] + [f"{src.q(ids)} AS __p"]
    return f"SELECT DISTINCT {', '.join(keys)} FROM {SOURCE}"


def replicate_expr(src: SqlSource, column: str, *, weight: str, combined: bool) -> str:
    """The analysis weight of one replicate column (times the full-sample weight for
    columns of factors, R's ``combined.weights=FALSE``)."""
    r = f"CAST({src.q(column)} AS DOUBLE)"
    return r if combined else f"({weight} * {r})"


def gram_sums(src: SqlSource, exprs: Sequence[str], *, prefix: str = "__g") -> list[str]:
    """``fsum(a_i * a_j)`` for i <= j: the upper triangle of the Gram matrix of ``exprs``."""
    out = []
    for i in range(len(exprs)):
        for j in range(i, len(exprs)):
            out.append(f"{src.fsum(f'{exprs[i]} * {exprs[j]}')} AS {prefix}{i}_{j}")
    return out


def gram_from(res: dict, R: int, rows: np.ndarray | None = None, *, prefix: str = "__g") -> np.ndarray:
    """The (m, R, R) Gram matrices of a result's rows (``rows``: all when None)."""
    first = res[f"{prefix}0_0"]
    idx = np.arange(len(first)) if rows is None else np.asarray(rows)
    out = np.empty((len(idx), R, R))
    for i in range(R):
        for j in range(i, R):
            v = np.asarray(res[f"{prefix}{i}_{j}"], dtype=object)[idx]
            v = np.array([0.0 if x is None else float(x) for x in v])
            out[:, i, j] = v
            out[:, j, i] = v
    return out


#: Buckets per replicate of the full-rank certificate (:func:`bucket_sums`).
BUCKETS_PER_REPLICATE = 4


def bucket_sums(src: SqlSource, names: Sequence[str]) -> list[str]:
    """Per bucket of rows: the count, and the sum and sum of squares of every replicate
    weight ``names`` (the aggregates of :func:`surveyweights.variance.replicate.certified_rank`)."""
    out = ["count(*) AS __bn"]
    out += [f"{src.fsum(r)} AS __bs{j}" for j, r in enumerate(names)]
    out += [f"{src.fsum(f'{r} * {r}')} AS __bq{j}" for j, r in enumerate(names)]
    return out


def bucket_arrays(res: dict, R: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counts (m,), sums (m, R), sums of squares (m, R)) of a :func:`bucket_sums` result."""
    def col(name):
        return np.array([0.0 if v is None else float(v) for v in np.asarray(res[name], dtype=object)])

    n = col("__bn")
    if not len(n):
        return n, np.zeros((0, R)), np.zeros((0, R))
    return (n, np.column_stack([col(f"__bs{j}") for j in range(R)]),
            np.column_stack([col(f"__bq{j}") for j in range(R)]))


def replicate_check_query(src: SqlSource, columns: Sequence[str], *, weight: str,
                          combined: bool) -> str:
    """One scan: rows with a missing or infinite value per replicate column, and the
    bucket sums of the analysis replicate weights that certify their rank (R's
    ``degf`` + 1) without the R (R + 1) / 2 sums of their Gram matrix."""
    inner, agg = [], []
    exprs = [replicate_expr(src, c, weight=weight, combined=combined) for c in columns]
    for j, c in enumerate(columns):
        v = f"CAST({src.q(c)} AS DOUBLE)"
        inner.append(f"CASE WHEN {v} IS NULL OR isnan({v}) OR abs({v}) = "
                     f"CAST('Infinity' AS DOUBLE) THEN 1 ELSE 0 END AS __bad{j}")
        agg.append(f"sum(__bad{j}) AS __bad{j}")
    inner += [f"{e} AS __r{j}" for j, e in enumerate(exprs)]
    inner.append(f"{src.bucket(exprs, BUCKETS_PER_REPLICATE * len(columns))} AS __bk")
    agg += bucket_sums(src, [f"__r{j}" for j in range(len(columns))])
    return (f"SELECT __bk, {', '.join(agg)} FROM (SELECT {', '.join(inner)} FROM {SOURCE}) AS __t "
            f"GROUP BY __bk")


def gram_query(src: SqlSource, columns: Sequence[str], *, weight: str, combined: bool) -> str:
    """The Gram matrix of the analysis replicate weights (when the certificate fails)."""
    exprs = [replicate_expr(src, c, weight=weight, combined=combined) for c in columns]
    return f"SELECT {', '.join(gram_sums(src, exprs))} FROM {SOURCE}"
