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

from .labels import ITEM_LABELS_EN, published_labels, row_labels, table_caption
from .pipeline import (
    APPS,
    DEFAULT_DISCLOSURE,
    DEFAULT_QUALITY,
    SUBSETS,
    SYNTHETIC_NOTE,
    TABLES,
    TECH,
    BarometerRun,
    explain_imputation_effects,
    headline_comparison,
    impute,
    imputation_effects,
    prepare,
    publication_figures,
    publication_tables,
    reproduce_headlines,
    run_barometer,
    suppression_report,
    write_outputs,
)
from .replica import ReplicaResult, make_barometer_replica

__all__ = [
    "APPS",
    "DEFAULT_DISCLOSURE",
    "DEFAULT_QUALITY",
    "ITEM_LABELS_EN",
    "SUBSETS",
    "SYNTHETIC_NOTE",
    "TABLES",
    "TECH",
    "BarometerRun",
    "ReplicaResult",
    "explain_imputation_effects",
    "headline_comparison",
    "impute",
    "imputation_effects",
    "make_barometer_replica",
    "prepare",
    "publication_figures",
    "publication_tables",
    "published_labels",
    "reproduce_headlines",
    "row_labels",
    "run_barometer",
    "suppression_report",
    "table_caption",
    "write_outputs",
]
