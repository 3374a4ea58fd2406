"""What every engine is: a name, and the error for what it cannot do.

An engine computes the sufficient statistics of :mod:`.cells` for the
estimators; the in-memory engine also keeps the unit-level data that some
computations need (a variance method without a cell-level entry point, the
likelihood interval's IRLS replay, replicate weights).  On a SQL engine those
raise :class:`~surveyweights.errors.EngineError`, naming the alternatives.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EngineError

__all__ = ["MemoryEngine", "ENGINES", "not_on_engine", "require_memory"]

#: The engine names ``sw.Design(..., engine=...)`` accepts.
ENGINES: tuple[str, ...] = ("pandas", "duckdb", "spark")


@dataclass(frozen=True)
class MemoryEngine:
    """The in-memory engine (numpy over a pandas DataFrame); the default."""

    name: str = "pandas"

    def describe(self) -> str:
        return "in memory (pandas/numpy)"


def not_on_engine(design, what: str, *, alternatives: str = "") -> EngineError:
    """The error for a computation that needs the unit-level data on a SQL engine."""
    name = design.engine.name
    return EngineError(
        f"{what} needs the unit-level data, which the {name} engine leaves in the database "
        f"(it only fetches per-cell sums); use {alternatives}an in-memory design: "
        f"design.collect() loads the source into pandas, or build "
        f"sw.Design(data_frame, ...) with engine='pandas'"
    )


def require_memory(design, what: str, *, alternatives: str = "") -> None:
    """Raise :func:`not_on_engine` when ``design`` is on a SQL engine (for a function that
    needs the unit rows: new weights, unit-level fits, files of the data)."""
    engine = getattr(design, "engine", None)
    if engine is not None and getattr(engine, "name", "pandas") != "pandas":
        raise not_on_engine(design, what, alternatives=alternatives)
