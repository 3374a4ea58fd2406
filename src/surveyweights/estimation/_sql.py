"""Estimators on SQL engines: the engine's small per-cell tables to CellStats."""

from __future__ import annotations

from ..errors import EngineError


def _estimate_sql(*args, **kwargs):
    raise EngineError("SQL engines are not available in this build; use engine='pandas'")


_sql_item_cells = _sql_chisq_cells = _estimate_sql
