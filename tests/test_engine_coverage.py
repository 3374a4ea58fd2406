"""Every public function on a SQL design: the in-memory result, or an EngineError that says why.

:data:`DECISIONS` is the explicit table of what each public callable does on a SQL
engine; :func:`test_every_public_callable_has_a_decision` fails when a function is
added to the public names without an entry (as ``test_layout`` does for modules).
"Works" means equal to the in-memory engine at rtol 1e-10 on data whose weights vary
within the cells, for element and one-stage cluster designs, with and without fpc,
with lonely-PSU options, ``by=``, ``subset=`` (expression strings) and
``na="available"``; the in-memory engine is R-verified, so equality carries R parity.
"""

from __future__ import annotations

import ast
import inspect
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
import surveyweights.testing as swt
from surveyweights.errors import EngineError
from surveyweights.estimation._domains import encode_item
from surveyweights.estimation.estimates import domain_cells, item_cells
from surveyweights.variance.taylor import cell_vcov

duckdb = pytest.importorskip("duckdb")

RTOL = 1e-10


def _data() -> pd.DataFrame:
    """90 units in 3 strata (a 4th with a single unit or PSU for the lonely-PSU designs),
    weights varying within every cell, missing values, a 0/1 item and 3 domains."""
    rng = np.random.default_rng(20261130)
    n = 90
    h = np.repeat(["a", "b", "c"], 30)
    df = pd.DataFrame({
        "h": h, "h2": np.where(np.arange(n) < 3, "d", h),
        "psu": [f"{s}{i // 3}" for s, i in zip(h, np.arange(n) % 30)],
        "N": pd.Series(h).map({"a": 300, "b": 150, "c": 600}).to_numpy(),
        "Npsu": pd.Series(h).map({"a": 40, "b": 25, "c": 90}).to_numpy(),
        "w": rng.uniform(2, 20, n).round(4),
        "g": rng.choice(["u", "v", "z"], n), "c": rng.choice(["p", "q", "r"], n),
        "b": rng.integers(0, 2, n), "x": rng.lognormal(2, 0.5, n),
    })
    df["y"] = 3.0 * df["x"] + rng.normal(0, 4, n) + 100.0
    df.loc[np.arange(n) % 11 == 5, "y"] = np.nan
    df["x2"] = df["x"] ** 2
    return df


#: The designs every "works" call is checked on (sw.Design keyword arguments).
DESIGNS = {
    "element-fpc": dict(weights="w", strata="h", fpc="N"),
    "element-lonely-adjust": dict(weights="w", strata="h2", lonely_psu="adjust"),
    "cluster-fpc": dict(weights="w", strata="h", ids="psu", fpc="Npsu"),
    "cluster-lonely-average": dict(weights="w", strata="h2", ids="psu", lonely_psu="average"),
}


def _contrast(est):
    rows = est.estimate.index
    return sw.contrast(est, {"first": {rows[0]: 1.0, rows[-1]: -1.0},
                             "sum": {rows[0]: 1.0, rows[len(rows) // 2]: 2.0}})


#: name -> call on a design; the result must equal the in-memory one.
WORKS = {
    "proportion": lambda d: sw.proportion(d, "c", by="g", subset="x > 4", method="beta"),
    "mean": lambda d: sw.mean(d, "y", by="g", na="available", df="satterthwaite"),
    "total": lambda d: sw.total(d, ["y", "x"], na="available"),
    "ratio": lambda d: sw.ratio(d, "y", "x", by="g", na="available"),
    "ratio-subset": lambda d: sw.ratio(d, ["y", "x2"], "x", subset="c != 'p'", na="available",
                                       df="satterthwaite"),
    "var": lambda d: sw.var(d, "y", by="g", na="available"),
    "var-subset": lambda d: sw.var(d, ["x", "b"], subset="g != 'z'"),
    "difference": lambda d: sw.difference(d, "y", by="g", between=("u", "v"), na="available"),
    "ttest": lambda d: sw.ttest(d, "y", by="b", na="available"),
    "ttest-subset": lambda d: sw.ttest(d, "x", by="g", subset="g != 'z'"),
    "ttest-one-sample": lambda d: sw.ttest(d, "y", subset="x > 4", na="available"),
    "chisq_test": lambda d: sw.chisq_test(d, "c", "g"),
    "contrast-proportion": lambda d: _contrast(sw.proportion(d, "c", by="g")),
    "contrast-mean": lambda d: sw.contrast(sw.mean(d, "y", by="g", na="available"),
                                           [1.0, -0.5, -0.5]),
    "contrast-total": lambda d: _contrast(sw.total(d, "c", by="g", subset="b == 1")),
    "contrast-ratio": lambda d: _contrast(sw.ratio(d, "y", "x", by="g", na="available")),
    "contrast-var": lambda d: _contrast(sw.var(d, "x", by="g")),
    "Estimates.vcov": lambda d: sw.proportion(d, "c", by="g", subset="x > 4").vcov(),
    "Estimates.confidence_interval": lambda d: sw.proportion(d, "c", by="g").confidence_interval(
        confidence_level=0.9, method="asin"),
    "report_table": lambda d: sw.report_table(sw.proportion(d, "c", by="g"), rows="g",
                                              stats=("se", "n"), quality=sw.quality.rules("cv")),
    "quality.assess": lambda d: sw.quality.rules("statcan").assess(sw.mean(d, "x", by="g")),
    # (SQL engines sort the stratum labels; in memory they keep their order of appearance)
    "Design.strata_table": lambda d: d.strata_table().sort_values("stratum", ignore_index=True),
    "Design.with_lonely_psu": lambda d: sw.mean(d.with_lonely_psu("certainty"), "x", by="g"),
    "Design.collect": lambda d: sw.ratio(d.collect(), "y", "x", na="available"),
    "Design.sizes": lambda d: np.array([d.n, d.n_strata, d.n_psu, d.degf, d.population_size,
                                        d.n_stages], dtype=float),
    "Design.replicate_weights": lambda d: d.replicate_weights,
}

#: name -> (call, what the message must also say); the call must raise EngineError
#: naming design.collect().
ENGINE_ERRORS = {
    "quantile": (lambda d: sw.quantile(d, "x", 0.5), r"sw\.quantile.*sw\.proportion"),
    "glm": (lambda d: sw.glm(d, "y ~ x", na="available"), r"sw\.glm.*sw\.mean, sw\.ratio"),
    "trim_weights": (lambda d: sw.trim_weights(d, upper=15), r"trim_weights.*column"),
    "adjust_nonresponse": (lambda d: sw.adjust_nonresponse(d, responded="b", classes="h"),
                           r"adjust_nonresponse"),
    "stack": (lambda d: sw.stack({"1": d, "2": d}, key="wave"), r"sw\.stack.*strata=\['wave'"),
    "write_replicate_design": (lambda d: sw.write_replicate_design(d, "never-written.csv"),
                               r"write_replicate_design.*COPY"),
    "Design.assign": (lambda d: d.assign(z="x * 2"), r"design\.assign.*withColumn"),
    "testing.assert_margins": (
        lambda d: swt.assert_margins(d, {"g": d.data.groupby("g")["w"].sum().to_dict()}),
        r"assertion.*sw\.total"),
    "testing.assert_weights_calibrated": (
        lambda d: swt.assert_weights_calibrated(
            d, d.data.groupby("h", as_index=False)["w"].sum().rename(columns={"w": "N"}),
            strata="h", poststratified=False), r"assertion.*sw\.total"),
    "proportion(method='likelihood')": (lambda d: sw.proportion(d, "b", method="likelihood"),
                                        r"method='logit'"),
    "report_table(suppress=dominance)": (
        lambda d: sw.report_table(sw.total(d, "c", by="g"), rows="g", suppress=sw.disclosure.rules(
            min_units=3, dominance=(1, 0.6), magnitude="x")), r"dominance rule.*min_units"),
}

#: Adjusters that return a new design: calibrate and rake work on a SQL design (tested
#: in depth in test_engines_calibration.py); replicate of an element design raises (one
#: PSU total per unit; with ids= it works, see test_engines_replicate.py).
DELEGATED = {
    "calibrate": lambda d: sw.calibrate(d, {"g": {"u": 300.0, "v": 400.0, "z": 350.0}}),
    "rake": lambda d: sw.rake(d, {"g": {"u": 300.0, "v": 400.0, "z": 350.0}}),
    "replicate": lambda d: sw.replicate(d, method="jk1"),
}

#: Public callables that take no design (their inputs are frames, results or files), and
#: those that take an Estimates (equal on every engine, tested above).
NO_DESIGN = {
    "combine_rubin", "hot_deck", "multiply_impute", "kish_summary", "make_barometer_replica",
    "parse_count", "poststratify", "read_replicate_design", "recombine", "response_accounting",
    "screen_responses", "Design.from_population",
    "disclosure.protect", "disclosure.audit", "disclosure.magnitude_table", "disclosure.rules",
    "quality.rules", "plots.save_figure", "testing.assert_frame_equal_published",
}
TAKES_ESTIMATES = {
    "plots.bar_chart", "plots.stacked_bar_chart", "testing.assert_estimates_close",
    "testing.assert_published_within_rounding", "Estimates.to_frame",
}
#: Design fields: what was passed in (on a SQL design ``weights`` is the column name).
FIELDS = {"Design." + f for f in ("data", "weights", "strata", "fpc", "ids", "lonely_psu",
                                  "weighting", "variance", "engine", "calibration", "history")}
#: Covered by an entry above under another name.
COVERED = {"contrast": "contrast-*", "Estimates.vcov": "", "Design.n": "Design.sizes",
           "Design.n_strata": "Design.sizes", "Design.n_psu": "Design.sizes",
           "Design.degf": "Design.sizes", "Design.population_size": "Design.sizes",
           "Design.n_stages": "Design.sizes", "Estimates.estimate": "proportion",
           "Estimates.se": "proportion", "difference": "", "quality.assess": ""}


def _public_callables() -> set[str]:
    names = set()
    for name in sw.__all__:
        obj = getattr(sw, name)
        if inspect.isfunction(obj):
            names.add(name)
    for prefix, mod in (("quality", sw.quality), ("disclosure", sw.disclosure), ("testing", swt)):
        for name in mod.__all__:
            if inspect.isfunction(getattr(mod, name)):
                names.add(f"{prefix}.{name}")
    # the figures' functions, read from the source (importing matplotlib takes seconds)
    tree = ast.parse(Path(sw.__file__).with_name("report").joinpath("plots.py").read_text())
    public = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                  and getattr(n.targets[0], "id", "") == "__all__")
    names |= {f"plots.{n.name}" for n in tree.body
              if isinstance(n, ast.FunctionDef) and n.name in public}
    for cls in (sw.Design, sw.Estimates):
        for name in dir(cls):
            if not name.startswith("_"):
                names.add(f"{cls.__name__}.{name}")
    return names


def test_every_public_callable_has_a_decision():
    decided = (set(WORKS) | set(ENGINE_ERRORS) | set(DELEGATED) | NO_DESIGN | TAKES_ESTIMATES
               | FIELDS | set(COVERED) | {"Estimates.kind", "Estimates.by", "Estimates.method",
                                           "Estimates.confidence_level", "Estimates.df_choice",
                                           "Estimates.engine"})
    missing = sorted(_public_callables() - decided)
    assert not missing, (f"public callables without a decision for SQL engines: {missing}; add "
                         f"each to WORKS (tested equal to memory), ENGINE_ERRORS or NO_DESIGN")


@pytest.fixture(scope="module")
def designs():
    data = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SurveyWeightsWarning)
        return {k: (sw.Design(data, **kw), sw.Design(data, engine="duckdb", **kw))
                for k, kw in DESIGNS.items()}


def _frames(result):
    """A result as a list of things to compare (frames, arrays)."""
    if result is None:
        return [None]
    if isinstance(result, sw.ChisqTest):
        return [result.to_frame(), result.table]
    if hasattr(result, "to_frame"):
        return [result.to_frame()]
    return [result]


def assert_equal_results(a, b) -> None:
    for x, y in zip(_frames(a), _frames(b), strict=True):
        if x is None:
            assert y is None
            continue
        if isinstance(x, pd.DataFrame):
            assert list(x.columns) == list(y.columns)
            assert len(x) == len(y)
            for c in x.columns:
                if pd.api.types.is_numeric_dtype(x[c]) and not pd.api.types.is_bool_dtype(x[c]):
                    np.testing.assert_allclose(y[c].to_numpy(float), x[c].to_numpy(float),
                                               rtol=RTOL, atol=0, err_msg=str(c))
                else:
                    assert x[c].astype(str).tolist() == y[c].astype(str).tolist(), c
            continue
        np.testing.assert_allclose(np.asarray(y, dtype=float), np.asarray(x, dtype=float),
                                   rtol=RTOL, atol=0)


#: Every call on these designs; the core calls on all of DESIGNS.
FULL = ("element-fpc", "cluster-lonely-average")
CORE = ("ratio", "var", "ttest", "difference", "contrast-proportion", "contrast-ratio",
        "Estimates.vcov")
CASES = [(name, design) for name in WORKS for design in DESIGNS
         if design in FULL or name in CORE]


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@pytest.mark.parametrize("name, design", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_sql_design_equals_memory(name, design, designs):
    memory, duck = designs[design]
    b = WORKS[name](duck)
    assert_equal_results(WORKS[name](memory), b)
    if isinstance(b, sw.Estimates) and name != "Design.collect":
        assert b.engine == "duckdb"


MARGINS = {"c": {"p": 400.0, "q": 350.0, "r": 300.0}}


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@pytest.mark.parametrize("name, design", [("ratio-subset", "element-fpc"), ("var", "cluster-fpc"),
                                          ("ttest", "cluster-fpc")])
def test_calibrated_sql_design_equals_memory(name, design, designs):
    """On a design calibrated on the engine (its residuals from per-atom sums) too."""
    memory, duck = (sw.calibrate(d, MARGINS) for d in designs[design])
    assert_equal_results(WORKS[name](memory), WORKS[name](duck))
    with pytest.raises(EngineError, match=r"covariance.*'calibrated'.*sw\.difference.*"
                                          r"design\.collect\(\)"):
        sw.mean(duck, "x", by="g").vcov()


@pytest.mark.parametrize("name", list(ENGINE_ERRORS))
def test_unit_level_functions_raise_engine_error(name, designs):
    call, what = ENGINE_ERRORS[name]
    with pytest.raises(EngineError, match=rf"(?s){what}.*design\.collect\(\)") as info:
        call(designs["element-fpc"][1])
    assert "leaves in the database" in str(info.value)
    if name != "write_replicate_design":  # (in memory it needs replicate weights)
        call(designs["element-fpc"][0])  # valid arguments: the same call works in memory


@pytest.mark.parametrize("name", list(DELEGATED))
def test_delegated_functions_work_or_say_why(name, designs):
    memory, duck = designs["element-fpc"]
    if name == "replicate":
        with pytest.raises(EngineError, match=r"(?s)element design.*design\.collect\(\)"):
            DELEGATED[name](duck)
        return
    b = DELEGATED[name](duck)
    assert_equal_results(sw.mean(DELEGATED[name](memory), "x", by="g"), sw.mean(b, "x", by="g"))


def test_spark_estimators_equal_memory(spark):
    """The SQL ratio (the query shapes of var and ttest too) and contrasts on Spark."""
    from conftest import to_spark

    data = _data()
    sdf = to_spark(spark, data)
    # one call (a ratio by domain, its vcov and a contrast, on a cluster design: every
    # query shape of ratio, var and ttest): the plain suite runs this on one local Spark
    # session, where each query takes about a second
    for design, names in (("cluster-lonely-average", ("contrast-ratio",)),):
        kw = DESIGNS[design]
        memory, remote = sw.Design(data, **kw), sw.Design(sdf, **kw)
        for name in names:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sw.SurveyWeightsWarning)
                assert_equal_results(WORKS[name](memory), WORKS[name](remote))
    with pytest.raises(EngineError, match=r"design\.collect\(\)"):
        sw.quantile(remote, "x", 0.5)


def test_covariance_between_variables_names_the_alternative(designs):
    est = sw.total(designs["element-fpc"][1], ["x", "x2"])
    with pytest.raises(EngineError, match=r"different variables.*one variable per call.*"
                                          r"design\.collect\(\)"):
        est.vcov()


# ----------------------------------------------- the covariance of cells == of unit scores
@st.composite
def _lonely_designs(draw):
    n = draw(st.integers(10, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    h = np.sort(rng.integers(0, 4, n))
    h[0] = -1  # a stratum of one unit (or one PSU)
    df = pd.DataFrame({"h": h, "w": rng.uniform(1, 9, n).round(3),
                       "g": rng.choice(["p", "q"], n), "c": rng.choice(["x", "y", "z"], n),
                       "v": rng.normal(50, 10, n), "psu": h * 100 + np.arange(n) // 2})
    df.loc[0, "psu"] = -100
    return df, draw(st.booleans()), draw(st.sampled_from(["adjust", "average", "remove"]))


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@settings(max_examples=8, deadline=None)
@given(_lonely_designs())
def test_cell_vcov_equals_unit_covariance(case):
    """taylor.cell_vcov (what SQL engines use) equals Estimates.vcov of the unit scores."""
    df, clustered, lonely = case
    d = sw.Design(df, weights="w", strata="h", ids="psu" if clustered else None,
                  lonely_psu=lonely)
    for name, kind in (("c", "proportion"), ("v", "mean"), ("v", "total")):
        est = getattr(sw, kind)(d, name, by="g")
        dom, hg, counts = domain_cells(d, "g", None)
        enc = encode_item(d.data, name, kind=kind, level=None, cache=d._cache)
        cells, _ = item_cells(d, enc, hg, dom.n_groups, counts)
        _, W, T = cells.totals()
        centre, div = (np.zeros_like(T), np.ones(len(W))) if kind == "total" else (T / W[:, None], W)
        unit = est.vcov().to_numpy()
        scale = np.abs(unit).max()
        np.testing.assert_allclose(cell_vcov(d, cells, centre, div), unit, rtol=1e-9,
                                   atol=1e-12 * scale)


@pytest.mark.filterwarnings("ignore::surveyweights.SurveyWeightsWarning")
@settings(max_examples=4, deadline=None)
@given(_lonely_designs())
def test_ratio_var_ttest_on_duckdb_equal_memory(case):
    """On random designs (a lonely stratum, clusters or not, every lonely-PSU rule)."""
    df, clustered, lonely = case
    first = np.arange(len(df)) < 4  # both groups, and two units of each, in every example
    df = df.assign(g=np.where(first, np.resize(["p", "q"], len(df)), df["g"]),
                   x=df["w"] * 2.0 + df["v"] / 10.0)
    kw = dict(weights="w", strata="h", ids="psu" if clustered else None, lonely_psu=lonely)
    memory, duck = sw.Design(df, **kw), sw.Design(df, engine="duckdb", **kw)
    for call in (lambda d: sw.ratio(d, "v", "x", by="g"), lambda d: sw.var(d, "v", by="g"),
                 lambda d: sw.ttest(d, "v", by="g"),
                 lambda d: sw.contrast(sw.ratio(d, "v", "x", by="g"), {"p": 1, "q": -1})):
        a, b = _frames(call(memory))[0], _frames(call(duck))[0]
        num = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
        vals = a[num].to_numpy(float)
        # the scale of the finite values (an interval of df = 0 is infinite, and an
        # infinite atol would accept anything)
        scale = np.max(np.abs(vals[np.isfinite(vals)]))
        np.testing.assert_allclose(b[num].to_numpy(float), vals, rtol=RTOL, atol=1e-14 * scale)


def test_sql_ratio_var_ttest_errors_as_in_memory(designs):
    """The same errors, with the same messages, on both engines."""
    memory, duck = designs["element-fpc"]
    zero = memory.data.assign(x0=np.where(memory.data["g"] == "v", 0.0, 1.0),
                              one=np.where(np.arange(memory.n) == 0, "alone", "many"))
    for d in (sw.Design(zero, weights="w", strata="h", fpc="N", engine=e) for e in (None, "duckdb")):
        with pytest.raises(sw.errors.DomainError, match=r"total of the denominator 'x0' is 0 in "
                                                        r"domain g='v', so the ratio is undefined"):
            sw.ratio(d, "y", "x0", by="g", na="available")
        with pytest.raises(sw.errors.DomainError, match=r"variance of 'x' needs at least two units "
                                                        r"in domain one='alone', which has 1"):
            sw.var(d, "x", by="one")
    for d in (memory, duck):
        with pytest.raises(sw.errors.InputError, match=r"'c'.*not numeric"):
            sw.ratio(d, "c", "x")
        with pytest.raises(sw.errors.InputError, match=r"by='b' has 1 observed value"):
            sw.ttest(d, "x", by="b", subset="b == 1")
        with pytest.raises(sw.errors.MissingValueError, match=r"na='available'"):
            sw.ttest(d, "y", by="g")


def test_ratio_var_ttest_on_sql_replicates_name_the_alternatives(designs):
    """Replicate weights on a SQL engine re-estimate totals; a ratio, variance or t-test
    there needs more than one item's replicate totals: an EngineError names what works."""
    duck = sw.replicate(designs["cluster-fpc"][1], method="jkn")
    for call in (lambda d: sw.ratio(d, "y", "x", na="available"), lambda d: sw.var(d, "x"),
                 lambda d: sw.ttest(d, "x", by="b")):
        with pytest.raises(EngineError, match=r"under the variance method '\w+'.*sw\.difference.*"
                                              r"design\.collect\(\)"):
            call(duck)
