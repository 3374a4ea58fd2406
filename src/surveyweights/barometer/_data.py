"""Where the AI-Barometer 2025 files live: ``surveyweights/barometer/data/``."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["data_file"]


def data_file(name: str) -> Traversable:
    """The bundled file ``name`` of the barometer part (read it with ``.open()``)."""
    return files(__package__) / "data" / name
