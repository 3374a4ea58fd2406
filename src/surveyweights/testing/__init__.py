"""Testing your weighting: assertions, a pytest plugin and hypothesis strategies.

For users' own test suites, in the style of ``numpy.testing`` and
``pandas.testing``: each assertion passes silently or raises ``AssertionError``
naming every offending stratum, cell or domain with the expected and actual
values, the difference and the tolerance.

* :func:`assert_frame_equal_published` -- a population frame against the published
  counts (e.g. Tabel 1/2), stratum by stratum, with the margins and the total;
* :func:`assert_weights_calibrated` -- weights sum to N_h per stratum and to N, and
  equal N_h/n_h;
* :func:`assert_margins` -- weighted totals of a calibrated design against its margins;
* :func:`assert_estimates_close` -- estimates against expected numbers (R's output),
  matched by domain and level;
* :func:`assert_published_within_rounding` -- published percentages ("58,8") are the
  estimates rounded half away from zero.

The pytest plugin (the module ``_surveyweights_pytest``, registered through the
``pytest11`` entry point, so nothing is needed in ``conftest.py``; it lies outside
this package so that pytest's start-up does not import the library) provides the
fixtures ``barometer_2025_frame``, ``barometer_2025_published``,
``barometer_2025_headlines``, ``barometer_2025_replica`` and
``barometer_2025_replica_design``.  The hypothesis strategies are in
``surveyweights.testing.strategies`` (loaded on first use; they need the
``hypothesis`` package: ``pip install "surveyweights[testing]"``).

Examples
--------
>>> import surveyweights as sw
>>> from surveyweights import testing as swt
>>> frame = sw.datasets.barometer_2025_frame()
>>> swt.assert_frame_equal_published(frame, frame)
"""

from __future__ import annotations

from .assertions import (
    MAX_LINES,
    assert_estimates_close,
    assert_frame_equal_published,
    assert_margins,
    assert_published_within_rounding,
    assert_weights_calibrated,
)

__all__ = [
    "MAX_LINES",
    "assert_estimates_close",
    "assert_frame_equal_published",
    "assert_margins",
    "assert_published_within_rounding",
    "assert_weights_calibrated",
    "strategies",
]


def __getattr__(name: str):
    # the strategies need hypothesis, an optional dependency: import them on first use
    if name == "strategies":
        import importlib

        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module 'surveyweights.testing' has no attribute {name!r}")
