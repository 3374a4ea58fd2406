"""The AI-Barometer 2025 case study: its data, published tables, synthetic replica and main job.

This part uses the general library as any user would; nothing outside it knows
the barometer.

* :mod:`.strata` -- Tabel 1/2 as printed (populations, samples, usable responses),
  the sector and size classes;
* :mod:`.codes` -- the codes of sectors, sizes, items and answer levels;
* :mod:`.published` -- Tabel 3-12 and the headline figures of the report;
* :mod:`.labels` -- the report's printed labels, for ``labels=`` of tables and figures;
* :mod:`.replica` -- the SYNTHETIC replica microdata and its seeded generator;
* :mod:`.pipeline` -- the main job (``surveyweights barometer``): screen -> impute
  -> weight -> estimate -> tables and figures; headline reproduction;
* ``data/`` -- the bundled CSV files.

The names of :mod:`.pipeline` are available here: ``from surveyweights import
barometer as bm; bm.run_barometer()``.
"""

from __future__ import annotations

from .labels import published_labels, row_labels
from .pipeline import (
    APPS,
    SUBSETS,
    SYNTHETIC_NOTE,
    TABLES,
    TECH,
    BarometerRun,
    headline_comparison,
    impute,
    prepare,
    reproduce_headlines,
    run_barometer,
    write_outputs,
)
from .replica import ReplicaResult, make_barometer_replica

__all__ = [
    "APPS",
    "SUBSETS",
    "SYNTHETIC_NOTE",
    "TABLES",
    "TECH",
    "BarometerRun",
    "ReplicaResult",
    "headline_comparison",
    "impute",
    "make_barometer_replica",
    "prepare",
    "published_labels",
    "reproduce_headlines",
    "row_labels",
    "run_barometer",
    "write_outputs",
]
