"""The package's layout: the general library knows nothing of the barometer, no import cycles.

These tests read the source (``ast``), so they see every import, also those inside
functions, without importing anything.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pandas as pd
import pytest

import surveyweights as sw

PACKAGE = Path(sw.__file__).parent
#: Front doors: they may load the case study's bundled data or run its main job.
FRONT_DOORS = {"surveyweights", "surveyweights.datasets", "surveyweights.cli",
               }
#: Helpers for users' test suites: the library itself never imports them.
TESTING = "surveyweights.testing"
#: 0.1 import paths, aliases of the moved modules (see their docstrings).
OLD_PATHS = {f"surveyweights.{m}" for m in ("ci", "plots", "recombine", "replica", "rubin")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules that ``name`` imports (relative and absolute, at any depth)."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                stem = base[: len(base) - node.level + 1]
                mod = ".".join(stem + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # "from pkg import sub" imports the submodule; "from mod import name" the module
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in known)
    # (importing a.b.c also runs the package a/__init__ first; a package importing its
    # own children is the usual hierarchy, not a cycle, so those edges are not added)
    out.discard(name)
    return out


@functools.cache
def _graph() -> dict[str, set[str]]:
    """The import graph of the package (parsed once per test session; read-only)."""
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def test_the_graph_sees_imports():
    g = _graph()
    assert "surveyweights.variance.taylor" in g["surveyweights.estimation.estimates"] or (
        "surveyweights.variance" in g["surveyweights.estimation.estimates"])
    assert "surveyweights.barometer.strata" in g["surveyweights.datasets"]
    assert "surveyweights.report.plots" in g["surveyweights.barometer.pipeline"]  # inside a function


def test_general_library_imports_nothing_from_the_barometer():
    g = _graph()
    general = [m for m in g if not m.startswith("surveyweights.barometer")
               and m not in FRONT_DOORS | OLD_PATHS]
    assert "surveyweights.report.tables" in general and "surveyweights.design.design" in general
    offenders = {m: sorted(t for t in g[m] if t.startswith("surveyweights.barometer")
                           or t in FRONT_DOORS | OLD_PATHS)
                 for m in general}
    offenders = {m: t for m, t in offenders.items() if t}
    assert not offenders, f"general modules importing the case study or a front door: {offenders}"


def test_library_does_not_import_its_testing_helpers():
    g = _graph()
    users = {m: sorted(t for t in g[m] if t == TESTING or t.startswith(TESTING + "."))
             for m in g if not (m == TESTING or m.startswith(TESTING + "."))}
    assert not {m: t for m, t in users.items() if t}, "the library imports surveyweights.testing"


def test_testing_helpers_need_no_hypothesis_except_the_strategies():
    """hypothesis is optional: only testing/strategies.py may import it."""
    for name, path in _modules().items():
        if name == TESTING + ".strategies":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(m.split(".")[0] == "hypothesis" for m in mods), name


def test_no_import_cycles():
    g = _graph()
    # Tarjan's strongly connected components: any component of size > 1 is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in g:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_private_modules_stay_private():
    """No module outside a package reaches into another package's private module."""
    g = _graph()
    bad = []
    for m, targets in g.items():
        for t in targets:
            private = [p for p in t.split(".") if p.startswith("_") and p != "__init__"]
            if private and not m.startswith(t.rsplit(".", 1)[0]):
                bad.append((m, t))
    assert not bad, bad


def test_every_public_name_still_imports():
    for name in sw.__all__:
        assert getattr(sw, name) is not None, name


@pytest.mark.parametrize("old, new", [
    ("surveyweights.ci", "surveyweights.estimation.ci"),
    ("surveyweights.rubin", "surveyweights.imputation.rubin"),
    ("surveyweights.recombine", "surveyweights.estimation.recombine"),
    ("surveyweights.replica", "surveyweights.barometer.replica"),
    ("surveyweights.plots", "surveyweights.report.plots"),
])
def test_old_import_paths_are_the_new_modules(old, new):
    import importlib

    assert importlib.import_module(old) is importlib.import_module(new)


def _own_codes() -> pd.DataFrame:
    """A user's survey whose domain columns happen to be called nace and size."""
    return pd.DataFrame({
        "nace": ["A", "A", "B", "B", "C", "C"],
        "size": ["micro", "micro", "large", "large", "micro", "large"],
        "variable": "q1", "level": "yes",
        "estimate": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    })


def test_users_nace_and_size_columns_get_their_own_codes_as_labels():
    f = _own_codes()
    by_size = f.groupby("size", sort=False, as_index=False).first()[["size", "variable", "level", "estimate"]]
    t = sw.report_table(by_size, rows="size")
    assert list(t.formatted.index) == ["micro", "large"]  # not "Micro (5-9 werknemers)"
    by_nace = f.groupby("nace", sort=False, as_index=False).first()[["nace", "variable", "level", "estimate"]]
    t = sw.report_table(by_nace, rows="nace", locale="en")
    assert list(t.formatted.index) == ["A", "B", "C"]
    # the codes of the barometer itself are not special either
    bar = by_size.assign(size=["micro", "large"])
    assert list(sw.report_table(bar, rows="size").formatted.index) == ["micro", "large"]


def test_users_nace_and_size_columns_in_figures():
    f = _own_codes()
    by_size = f.groupby("size", sort=False, as_index=False).first()[["size", "variable", "level", "estimate"]]
    fig = sw.plots.bar_chart(by_size, ci=False, sort=False)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["micro", "large"]
    two = pd.concat([by_size, by_size.assign(level="no", estimate=1 - by_size["estimate"])])
    fig = sw.plots.stacked_bar_chart(two, rows="size", labels={"yes": "Ja"})
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["micro", "large"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["Ja", "no"]


def test_categorical_order_is_kept():
    est = pd.DataFrame({"size": pd.Categorical(["large", "micro"], categories=["micro", "large"]),
                        "variable": "q", "level": "yes", "estimate": [0.5, 0.25]})
    assert list(sw.report_table(est, rows="size").formatted.index) == ["micro", "large"]


def test_design_has_a_variance_method():
    df = pd.DataFrame({"h": list("aabb"), "y": [1.0, 2.0, 3.0, 5.0]})
    d = sw.Design(df, strata="h")
    assert isinstance(d.variance, sw.variance.VarianceMethod)
    assert d.variance.name == "taylor" and "taylor" in repr(d)
    with pytest.raises(sw.errors.InputError, match="is not a variance method"):
        sw.Design(df, strata="h", variance=object())


def test_estimators_ask_the_design_for_the_variance():
    """A stand-in variance method is used by every estimator, so new methods need no estimator changes."""
    import dataclasses

    import numpy as np

    from surveyweights.variance import DomainVariance, TaylorLinearization

    @dataclasses.dataclass(frozen=True)
    class Doubled:
        name: str = "doubled"
        base: TaylorLinearization = TaylorLinearization()

        def variance(self, design, scores, group, n_groups, **kw):
            v = self.base.variance(design, scores, group, n_groups, **kw)
            assert kw.get("reestimate") is not None  # estimators offer a re-estimate
            return DomainVariance(4 * v.variance)

        def covariance(self, design, scores, inside, **kw):
            return 4 * self.base.covariance(design, scores, inside)

        def domain_df(self, design, group, n_groups):
            return self.base.domain_df(design, group, n_groups)

        def degf(self, design):
            return self.base.degf(design)

    df = pd.DataFrame({"h": list("aaabbb"), "g": list("xyxyxy"), "y": [1.0, 2.0, 4.0, 3.0, 5.0, 9.0],
                       "c": list("uvuvvu")})
    d = sw.Design(df, strata="h")
    d2 = sw.Design(df, strata="h", variance=Doubled())
    for f in (sw.mean, sw.total):
        a, b = f(d, "y", by="g").to_frame(), f(d2, "y", by="g").to_frame()
        np.testing.assert_allclose(b["se"], 2 * a["se"], rtol=1e-12)
    a = sw.difference(d, "y", by="g", between=("x", "y")).to_frame()
    b = sw.difference(d2, "y", by="g", between=("x", "y")).to_frame()
    np.testing.assert_allclose(b["se"], 2 * a["se"], rtol=1e-12)
    # the re-estimate reproduces the estimates at the design's own weights
    seen = {}

    @dataclasses.dataclass(frozen=True)
    class Spy(Doubled):
        def variance(self, design, scores, group, n_groups, **kw):
            seen["re"] = kw["reestimate"](design.weights.to_numpy())
            return self.base.variance(design, scores, group, n_groups, **kw)

    est = sw.mean(sw.Design(df, strata="h", variance=Spy()), "y", by="g").to_frame()
    np.testing.assert_allclose(seen["re"][:, 0], est["estimate"], rtol=1e-14)


def test_the_old_recombine_path_does_not_break_sw_recombine():
    """``import surveyweights.recombine`` sets the package attribute to the module; it
    stays callable as the function."""
    import importlib

    import pandas as pd

    importlib.import_module("surveyweights.recombine")
    r = sw.recombine(pd.Series({"A": 50.0, "B": 70.0}), pd.Series({"A": 300, "B": 100}))
    assert round(r.estimate, 6) == 55.0
