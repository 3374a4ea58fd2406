"""Collection rules for the whole repository (pytest reads this before tests/conftest.py)."""

# The 0.1 import paths (surveyweights/ci.py, ...) are aliases of modules whose
# doctests are collected at their real paths; collecting them again would fail.
collect_ignore = [
    f"src/surveyweights/{name}.py" for name in ("ci", "plots", "recombine", "replica", "rubin")
]
