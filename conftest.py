"""Collection rules for the whole repository (pytest reads this before tests/conftest.py).

Slow checks
-----------
Tests marked ``slow`` are skipped by a plain ``pytest`` (the README's command) and
run with ``pytest --run-slow -m slow``, the second step of ``.ci/run``.  Today they
are the checks that regenerate the synthetic replica from scratch (its integer
search takes well over a minute: the doctest of ``make_barometer_replica`` and the
``slow`` tests of ``tests/test_replica.py``), the multiple-imputation coverage
simulation of ``tests/test_imputation.py``, and three integration checks of 6-9 s
each: executing the example notebook (a Jupyter kernel), the strict MkDocs build,
and the testing example run by pytest in a fresh interpreter.  Everything they
check still runs in CI, as its own step.

Spark tests
-----------
The Spark engine's tests (``test_spark_*`` and engine-parametrised cases whose id
starts with ``spark``) run in the plain ``pytest``.  Each process that runs one
starts a Java virtual machine and a local Spark session (10-20 s before the first
query), so they are moved to the front of the collection: pytest-xdist's
work-stealing scheduler hands out contiguous blocks and steals from their tails,
so one worker runs them all first, and starts one JVM, while the others run the
rest of the suite.  Without a Java runtime they are skipped with the reason (see
the ``spark`` fixture in ``tests/conftest.py``); ``.ci/run`` installs Java and sets
``SURVEYWEIGHTS_REQUIRE_SPARK=1``, which turns that skip into a failure.
"""

import sys

import pytest

# The 0.1 import paths (surveyweights/ci.py, ...) are aliases of modules whose
# doctests are collected at their real paths; collecting them again would fail.
collect_ignore = [
    f"src/surveyweights/{name}.py" for name in ("ci", "plots", "recombine", "replica", "rubin")
]

#: Doctests that are slow checks (they get the ``slow`` marker at collection).
SLOW_DOCTESTS = ("surveyweights.barometer.replica.make_barometer_replica",)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="run the tests marked slow (regenerating the synthetic replica)")


def _uses_spark(item) -> bool:
    """A test that runs on the Spark engine (a JVM): test_spark_* or an engine case "spark-..."."""
    if item.name.startswith("test_spark_") and "specs" not in item.name:
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and (callspec.id == "spark" or callspec.id.startswith("spark-"))


@pytest.hookimpl(tryfirst=True)  # before -m selects by marker
def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--run-slow")
    skip = pytest.mark.skip(reason="slow check: run with pytest --run-slow -m slow (.ci/run)")
    items[:] = [i for i in items if _uses_spark(i)] + [i for i in items if not _uses_spark(i)]
    for item in items:
        if item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)
        if not run_slow and item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


def _do_not_rewrite_the_library() -> None:
    """Leave the library's modules to the normal import (the tests' asserts are still rewritten).

    pytest rewrites the asserts of every package of a distribution that registers a
    ``pytest11`` plugin (ours: the fixtures of ``surveyweights.testing``), so each
    worker walked the library's ~100 modules through the assert rewriter: 1.8 s of
    each worker's 12.5 s collection.  The library has no asserts to rewrite.  This
    runs before ``tests/conftest.py`` imports the library; if a pytest version lacks
    the attribute, nothing changes.
    """
    for finder in sys.meta_path:
        if type(finder).__name__ == "AssertionRewritingHook":
            getattr(finder, "_must_rewrite", set()).discard("surveyweights")


_do_not_rewrite_the_library()
