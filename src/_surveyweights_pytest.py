"""The pytest plugin of surveyweights: fixtures for testing weighting against the AI-Barometer 2025.

Registered through the ``pytest11`` entry point ``surveyweights``, so a test suite
that has surveyweights installed gets these fixtures without a ``conftest.py``:

``barometer_2025_frame``
    Tabel 1/2 as a :class:`~surveyweights.PopulationFrame`: 44 strata ``(nace,
    size)``, ``N`` (population), ``sample`` and ``responses`` (usable responses).
``barometer_2025_published``
    Tabel 3-12 as printed, one row per cell (:func:`surveyweights.datasets.barometer_2025_published`).
``barometer_2025_headlines``
    The headline percentages quoted in the report's text.
``barometer_2025_replica``
    The SYNTHETIC replica of the 2,915 usable responses, without item non-response.
``barometer_2025_replica_design``
    That replica post-stratified to Tabel 1/2 (weights N_h/n_h, fpc N_h), as
    ``sw.Design.from_population(replica, frame, strata=["nace", "size"])``.

Every fixture is function-scoped and returns a fresh object, so a test that
changes one cannot change what another test sees.  The plugin needs neither
hypothesis nor a ``conftest.py``; disable it with ``pytest -p no:surveyweights``.

This module lies outside the ``surveyweights`` package on purpose: pytest imports
every registered plugin when it starts, and importing anything inside the package
loads the library (numpy, pandas, scipy).  Here the library is imported only when
a test asks for one of the fixtures, so projects that never use them start as fast
as without surveyweights installed.
"""

from __future__ import annotations

import pytest

__all__ = [
    "barometer_2025_frame",
    "barometer_2025_headlines",
    "barometer_2025_published",
    "barometer_2025_replica",
    "barometer_2025_replica_design",
]


@pytest.fixture
def barometer_2025_frame():
    """Tabel 1/2 of the AI-Barometer 2025 (N, sample, responses per nace x size stratum)."""
    from surveyweights import datasets

    return datasets.barometer_2025_frame()


@pytest.fixture
def barometer_2025_published():
    """Tabel 3-12 of the AI-Barometer 2025 as printed, one row per cell."""
    from surveyweights import datasets

    return datasets.barometer_2025_published()


@pytest.fixture
def barometer_2025_headlines():
    """The headline percentages of the AI-Barometer 2025 report's text."""
    from surveyweights import datasets

    return datasets.barometer_2025_headlines()


@pytest.fixture
def barometer_2025_replica():
    """SYNTHETIC replica of the 2,915 usable responses (complete: no item non-response)."""
    from surveyweights import datasets

    return datasets.barometer_2025_replica(complete=True)


@pytest.fixture
def barometer_2025_replica_design(barometer_2025_replica, barometer_2025_frame):
    """The SYNTHETIC replica post-stratified to Tabel 1/2: weights N_h/n_h, fpc N_h."""
    from surveyweights import Design

    return Design.from_population(barometer_2025_replica, barometer_2025_frame,
                                  strata=["nace", "size"])
