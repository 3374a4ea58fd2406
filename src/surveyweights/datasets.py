"""Bundled data sets, loaded by name: ``sw.datasets.barometer_2025_frame()``.

Today every bundled data set belongs to the Flemish *AI-Barometer 2025* case study
(:mod:`surveyweights.barometer`): its strata as printed in Tabel 1 and 2, its
published Tabel 3-12 and headline figures, and the SYNTHETIC replica microdata.
This module is the public way to load them; the files and their loaders live in
``surveyweights/barometer/``.

Codes
-----
``nace``: ``10-33, 35-39, 41-43, 45-47, 49-53, 55-56, 58-63, 64-66, 68-75,
77-82;95.1, 86-88`` (the report's order).  ``size``: ``micro`` (5-9 employees,
Dutch *micro*), ``small`` (10-49, *klein*), ``medium`` (50-249, *middelgroot*),
``large`` (250 or more, *groot*).
"""

from __future__ import annotations

from .barometer.codes import NACE_CODES, SIZE_CODES
from .barometer.published import barometer_2025_headlines, barometer_2025_published
from .barometer.replica import (
    barometer_2025_replica,
    barometer_2025_replica_raw,
    barometer_2025_replica_sample,
)
from .barometer.strata import (
    barometer_2025,
    barometer_2025_frame,
    barometer_2025_sectors,
    barometer_2025_sizes,
)

__all__ = [
    "NACE_CODES",
    "SIZE_CODES",
    "barometer_2025",
    "barometer_2025_headlines",
    "barometer_2025_published",
    "barometer_2025_replica",
    "barometer_2025_replica_raw",
    "barometer_2025_replica_sample",
    "barometer_2025_frame",
    "barometer_2025_sectors",
    "barometer_2025_sizes",
]
