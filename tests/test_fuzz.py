"""Fuzz suite: hostile frames and options fed to every public function.

The property, for every public function of ``surveyweights``: a call returns a
valid result or raises a :class:`~surveyweights.SurveyWeightsError` subclass; it
never raises another exception and never changes its input.  The frames have mixed
and nullable dtypes (``Int64``, ``boolean``, ``str``, categoricals with unused
categories, mixed objects, dates), odd indexes (strings, negative and unsorted
integers, duplicates), NaN and inf, zero or one row, column names that clash with
result columns, and the options are drawn from valid and invalid values.

The number of examples is bounded (profile ``ci`` in ``conftest.py`` is
derandomized); ``SURVEYWEIGHTS_HYPOTHESIS=explore`` draws fresh examples.
"""

from __future__ import annotations

import copy
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import SurveyWeightsError
from surveyweights.expressions import parse

FUZZ = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])

NAMES = ["a", "b", "g", "h", "y", "x", "w", "N", "n", "level", "estimate", "weight", "id",
         "my col", 0]


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------


def _column(kind: str, n: int, draw) -> pd.Series | list:
    small = st.integers(-3, 3)
    if kind == "int":
        return np.array(draw(st.lists(small, min_size=n, max_size=n)), dtype=np.int64)
    if kind == "Int64":
        return pd.array(draw(st.lists(st.one_of(st.none(), small), min_size=n, max_size=n)), dtype="Int64")
    if kind == "float":
        vals = st.one_of(st.floats(-5, 5), st.just(np.nan), st.just(np.inf), st.just(-np.inf),
                         st.just(0.0), st.just(1e-300), st.just(1e300))
        return np.array(draw(st.lists(vals, min_size=n, max_size=n)), dtype=float)
    if kind == "01":
        return np.array(draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)))
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "boolean":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
                        dtype="boolean")
    if kind == "str":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.sampled_from(["u", "v", "", "NA", "007"])),
                                      min_size=n, max_size=n)), dtype="str")
    if kind == "cat":
        vals = draw(st.lists(st.one_of(st.none(), st.sampled_from(["lo", "hi"])), min_size=n, max_size=n))
        return pd.Categorical(vals, categories=["lo", "hi", "unused"])
    if kind == "mixed":
        vals = st.one_of(st.none(), st.integers(0, 2), st.sampled_from(["u", "1", "yes"]),
                         st.just(np.nan), st.booleans())
        return pd.array(draw(st.lists(vals, min_size=n, max_size=n)), dtype=object)
    if kind == "date":
        return pd.date_range("2025-01-01", periods=n)
    raise AssertionError(kind)


KINDS = ["int", "Int64", "float", "01", "bool", "boolean", "str", "cat", "mixed", "date"]


@st.composite
def hostile_frames(draw, min_rows: int = 0, max_rows: int = 6) -> pd.DataFrame:
    n = draw(st.integers(min_rows, max_rows))
    k = draw(st.integers(1, 5))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=k, max_size=k))
    if not draw(st.booleans()):
        names = list(dict.fromkeys(names))  # usually unique names, sometimes duplicates
    data = {}
    cols = []
    for name in names:
        kind = draw(st.sampled_from(KINDS))
        cols.append((name, _column(kind, n, draw)))
    frame = pd.concat([pd.Series(v, name=nm) for nm, v in cols], axis=1) if cols else pd.DataFrame(data)
    if len(frame) != n:  # concat of empty pieces
        frame = frame.iloc[:n]
    index = draw(st.sampled_from(["range", "str", "shuffled", "dup", "neg"]))
    if index == "str":
        frame.index = [f"r{i}" for i in range(n)]
    elif index == "shuffled":
        frame.index = list(reversed(range(10, 10 + n)))
    elif index == "dup" and n > 1:
        frame.index = [0] * n
    elif index == "neg":
        frame.index = [-i for i in range(n)]
    return frame


def any_column(frame: pd.DataFrame):
    return st.sampled_from([*frame.columns.tolist(), "missing_col", 5, None, ["a", "a"], ""])


OPTIONS = st.one_of(st.none(), st.integers(-2, 3), st.floats(allow_nan=True), st.text(max_size=4),
                    st.sampled_from(["logit", "beta", "design", "satterthwaite", "available",
                                     "error", "first", "average", "remove", "adjust", "level"]),
                    st.lists(st.sampled_from(["a", "g", "h"]), max_size=3), st.booleans())


def _design(draw, frame: pd.DataFrame):
    kw = {}
    for key in ("strata", "weights", "fpc", "ids"):
        if draw(st.booleans()):
            kw[key] = draw(any_column(frame))
    if draw(st.booleans()):
        kw["lonely_psu"] = draw(st.sampled_from(["fail", "remove", "certainty", "adjust", "average", "x"]))
    return sw.Design(frame, **kw)


# ---------------------------------------------------------------------------
# one recipe per public function: (name, callable(draw, frame))
# ---------------------------------------------------------------------------


def _estimator(fn):
    def call(draw, frame):
        d = _design(draw, frame)
        kw = {"by": draw(st.one_of(st.none(), any_column(frame)))}
        if draw(st.booleans()):
            kw["subset"] = draw(st.one_of(
                st.sampled_from(["y > 0", "g == 'u'", "isna(x)", "level in ['lo']", "__x__",
                                 "x.y", "`my col` != 1", "a and b", "y / 0 > 1"]),
                st.just(frame.iloc[:, 0]) if frame.shape[1] else st.none(),
                st.just(np.ones(len(frame), dtype=bool)), st.just([True])))
        if fn is not sw.proportion:
            pass
        elif draw(st.booleans()):
            kw["method"] = draw(OPTIONS)
        for opt in ("df", "na", "confidence_level"):
            if draw(st.booleans()):
                kw[opt] = draw(OPTIONS)
        return fn(d, draw(any_column(frame)), **kw)
    return call


def _difference(draw, frame):
    d = _design(draw, frame)
    return sw.difference(d, draw(any_column(frame)), by=draw(any_column(frame)),
                         between=draw(st.one_of(st.tuples(OPTIONS, OPTIONS), OPTIONS,
                                                st.just(("u", "v")), st.just(("lo", "hi")))),
                         df=draw(st.sampled_from(["design", "satterthwaite", 0, -1, np.inf, 3])))


def _chisq(draw, frame):
    d = _design(draw, frame)
    return sw.chisq_test(d, draw(any_column(frame)), draw(any_column(frame)),
                         na=draw(st.sampled_from(["error", "available", "x"])))


def _population(frame, strata, count):
    return sw.PopulationFrame.from_long(frame, strata=strata, count=count)


def _poststratify(draw, frame):
    pop = draw(hostile_frames(max_rows=4))
    strata = draw(any_column(frame))
    return sw.poststratify(frame, pop, strata=strata, count=draw(any_column(pop)))


def _populationframe(draw, frame):
    return _population(frame, draw(any_column(frame)), draw(any_column(frame)))


def _screen(draw, frame):
    return sw.screen_responses(
        frame, id=draw(any_column(frame)),
        sampled_ids=draw(st.one_of(st.none(), st.lists(OPTIONS, max_size=3), st.just("ids.csv"),
                                   st.just(frame.iloc[:, 0]) if frame.shape[1] else st.none(), OPTIONS)),
        mandatory=draw(st.one_of(st.none(), any_column(frame),
                                 st.dictionaries(st.text(max_size=2), any_column(frame), max_size=2))),
        duplicates=draw(st.sampled_from(["first", "last", "most_complete", "error", "x"])))


def _hot_deck(draw, frame):
    kw = {}
    if draw(st.booleans()):
        key = draw(any_column(frame))
        kw["eligible"] = {key if not isinstance(key, list) else "a": draw(st.one_of(
            st.sampled_from(["y > 0", "g == 'u'", "x.__class__", "isna(y)"]),
            st.just(np.ones(len(frame), dtype=bool)), OPTIONS))}
    if draw(st.booleans()):
        kw["donors"] = draw(st.sampled_from(["random", "weighted", "without_replacement", "x"]))
    return sw.hot_deck(frame, draw(any_column(frame)), by=draw(any_column(frame)),
                       rng=draw(st.one_of(st.integers(0, 5), OPTIONS)), **kw)


def _multiply_impute(draw, frame):
    return sw.multiply_impute(frame, draw(any_column(frame)), by=draw(any_column(frame)),
                              M=draw(st.one_of(st.integers(-1, 3), OPTIONS)), rng=draw(st.integers(0, 3)))


def _combine_rubin(draw, frame):
    frames = [frame] * draw(st.integers(0, 3))
    return sw.combine_rubin(frames, keys=draw(st.one_of(st.none(), any_column(frame))),
                            df_complete=draw(st.one_of(st.none(), OPTIONS)))


def _combine_rubin_real(draw, frame):
    """combine_rubin on estimator frames with hostile numbers put in."""
    base = pd.DataFrame({"g": ["u", "v"], "estimate": [0.2, 0.5], "se": [0.1, 0.0],
                         "df": [3.0, 0.0]})
    frames = []
    for _ in range(draw(st.integers(1, 3))):
        f = base.copy()
        col = draw(st.sampled_from(["estimate", "se", "df"]))
        f.loc[draw(st.integers(0, 1)), col] = draw(st.sampled_from([np.nan, np.inf, -1.0, 0.0, 1e300]))
        frames.append(f)
    return sw.combine_rubin(frames)


def _recombine(draw, frame):
    num = st.one_of(st.floats(-1, 200), st.just(np.nan), st.just(np.inf))
    keys = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=0, max_size=3))
    pct = pd.Series([draw(num) for _ in keys], index=keys, dtype=float)
    sizes = pd.Series([draw(st.one_of(st.integers(-2, 50), st.just(np.nan))) for _ in keys],
                      index=list(reversed(keys)) if draw(st.booleans()) else keys, dtype=float)
    return sw.recombine(pct, sizes, precision=draw(st.one_of(st.just(0.1), OPTIONS)))


def _report_table(draw, frame):
    est = frame.copy()
    if draw(st.booleans()):
        est = est.assign(variable="v", level=est.iloc[:, 0] if est.shape[1] else 1, estimate=0.5)
    return sw.report_table(est, rows=draw(st.one_of(st.none(), any_column(frame))),
                           columns=draw(st.sampled_from(["level", "variable", "x"])),
                           ci=draw(st.booleans()), locale=draw(st.sampled_from(["nl", "en", "fr"])),
                           labels=draw(st.one_of(st.none(), st.just({"u": "U", "v": "U"}), OPTIONS)))


def _kish(draw, frame):
    return sw.kish_summary(frame.iloc[:, 0] if frame.shape[1] else [])


def _parse_count(draw, frame):
    return sw.parse_count(draw(st.one_of(OPTIONS, st.sampled_from(["1.504", "1,504", "-3", "007", "1e3"]))),
                          thousands=draw(st.sampled_from([None, ".", ",", "x", ""])))


def _response_accounting(draw, frame):
    pop = draw(hostile_frames(min_rows=1, max_rows=3))
    pf = _population(pop, draw(any_column(pop)), draw(any_column(pop)))
    return sw.response_accounting(pf, sample=draw(any_column(pop)), responses=draw(any_column(pop)))


def _calibrate(draw, frame):
    d = _design(draw, frame)
    hashable = OPTIONS.filter(lambda c: not isinstance(c, list))
    margins = draw(st.one_of(OPTIONS, st.dictionaries(
        any_column(frame).filter(lambda c: not isinstance(c, list)), st.one_of(
            OPTIONS, st.dictionaries(hashable, st.one_of(st.floats(-5, 50), st.integers(-2, 20)),
                                     max_size=3)), max_size=2)))
    return sw.calibrate(d, margins, method=draw(st.sampled_from(["linear", "raking", "logit", "x"])),
                        bounds=draw(st.one_of(st.none(), st.tuples(OPTIONS, OPTIONS))))


def _rake(draw, frame):
    d = _design(draw, frame)
    margins = draw(st.dictionaries(any_column(frame).filter(lambda c: not isinstance(c, list)),
                                   st.dictionaries(OPTIONS.filter(lambda c: not isinstance(c, list)),
                                                   st.one_of(st.floats(-5, 50), st.integers(-2, 20)),
                                                   max_size=3), max_size=2))
    return sw.rake(d, margins)


def _trim(draw, frame):
    d = _design(draw, frame)
    return sw.trim_weights(d, lower=draw(st.one_of(st.none(), OPTIONS)),
                           upper=draw(st.one_of(st.none(), OPTIONS)),
                           redistribute=draw(st.sampled_from(["equal", "x", "proportional"])))


def _nonresponse(draw, frame):
    d = _design(draw, frame)
    return sw.adjust_nonresponse(d, responded=draw(st.one_of(any_column(frame), OPTIONS)),
                                 classes=draw(any_column(frame)))


def _replica(draw, frame):
    # only invalid options: a valid call builds the whole replica (seconds)
    return sw.make_barometer_replica(
        rng=draw(st.sampled_from(["x", -1, 1.5, None, [1, 2]])),
        nonresponse=draw(st.one_of(st.just({"plans": 2.0}), st.just({"nope": 0.1}), st.just("x"))))


def _expression(draw, frame):
    text = draw(st.one_of(st.text(max_size=30), st.sampled_from(
        ["y > 0 and x < 1", "`my col` in [1, 2]", "isna(level)", "abs(x - 1) / y > 0",
         "not (estimate == 'u')", "a < b < 0", "n != '007'"])))
    e = parse(text)
    e.evaluate(frame)
    return e.mask(frame)


def _ratio(draw, frame):
    d = _design(draw, frame)
    return sw.ratio(d, draw(any_column(frame)), draw(any_column(frame)),
                    by=draw(st.one_of(st.none(), any_column(frame))),
                    df=draw(st.sampled_from(["design", "satterthwaite", 0, np.inf])))


def _var(draw, frame):
    d = _design(draw, frame)
    return sw.var(d, draw(any_column(frame)), by=draw(st.one_of(st.none(), any_column(frame))),
                  na=draw(st.sampled_from(["error", "available"])))


def _quantile(draw, frame):
    d = _design(draw, frame)
    return sw.quantile(d, draw(any_column(frame)),
                       draw(st.one_of(st.floats(-1, 2), st.just(np.nan), st.lists(st.floats(0, 1), max_size=3),
                                      OPTIONS)),
                       by=draw(st.one_of(st.none(), any_column(frame))),
                       method=draw(st.sampled_from(["mean", "score", "beta", "x"])),
                       qrule=draw(st.sampled_from(["math", "school", "hf7", "x"])))


def _ttest(draw, frame):
    d = _design(draw, frame)
    return sw.ttest(d, draw(any_column(frame)), by=draw(st.one_of(st.none(), any_column(frame))))


def _glm(draw, frame):
    d = _design(draw, frame)
    cols = [c for c in frame.columns if isinstance(c, str) and c.isidentifier()] or ["y"]
    formula = draw(st.one_of(
        st.builds(lambda a, b: f"{a} ~ {b}", st.sampled_from(cols), st.sampled_from(cols)),
        st.sampled_from(["y ~ x", "y ~", "~ x", "__import__('os') ~ x", "y ~ x + x.__class__",
                         "y ~ C(g)", ""]), OPTIONS))
    return sw.glm(d, formula, family=draw(st.sampled_from(["gaussian", "binomial", "poisson", "x"])))


def _contrast(draw, frame):
    d = _design(draw, frame)
    est = sw.mean(d, draw(any_column(frame)), by=draw(st.one_of(st.none(), any_column(frame))))
    coef = draw(st.one_of(st.dictionaries(OPTIONS.filter(lambda c: not isinstance(c, list)),
                                          st.one_of(st.floats(-2, 2), st.just(np.nan)), max_size=3),
                          st.lists(st.floats(-2, 2), max_size=3), OPTIONS))
    return sw.contrast(est, coef, df=draw(st.sampled_from([None, "design", 0, -1, np.inf])))


def _stack(draw, frame):
    designs = [_design(draw, frame) for _ in range(draw(st.integers(0, 2)))]
    other = draw(hostile_frames(max_rows=3))
    designs.append(_design(draw, other))
    return sw.stack({f"w{i}": d for i, d in enumerate(designs)} if draw(st.booleans()) else designs,
                    key=draw(st.one_of(st.none(), any_column(frame))))


REPLICATE_METHODS = ["jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "sdr"]


def _replicate(draw, frame):
    d = _design(draw, frame)
    r = sw.replicate(d, method=draw(st.one_of(st.sampled_from([*REPLICATE_METHODS, "x"]), OPTIONS)),
                     replicates=draw(st.one_of(st.none(), st.integers(-1, 4), OPTIONS)),
                     rng=draw(st.sampled_from([1, None, "x", -1, np.random.default_rng(2)])),
                     rho=draw(st.one_of(st.none(), st.sampled_from([0.5, 0.0, 1.5]), OPTIONS)),
                     mse=draw(st.one_of(st.booleans(), OPTIONS)))
    # the replicate design estimates like any other
    return sw.proportion(r, draw(any_column(frame)), by=draw(st.one_of(st.none(), any_column(frame))))


def _file_replicates(draw, frame):
    """Replicate weights given with the data (R's svrepdesign): columns, regex or array."""
    spec = draw(st.one_of(any_column(frame), st.sampled_from(["^w", "[", "y|x", "nomatch"]),
                          st.just(np.ones((len(frame), 3))), st.just(np.ones((2, 2))), OPTIONS))
    d = sw.Design(frame, weights=draw(any_column(frame)), replicate_weights=spec,
                  replicate_method=draw(st.one_of(st.sampled_from([*REPLICATE_METHODS, "other"]),
                                                  OPTIONS)),
                  scale=draw(st.one_of(st.none(), st.floats(-1, 2), OPTIONS)),
                  rscales=draw(st.one_of(st.none(), st.floats(-1, 2), OPTIONS)),
                  mse=draw(st.one_of(st.booleans(), OPTIONS)))
    return sw.mean(d, draw(any_column(frame)))


def _write_replicate_design(draw, frame):
    import tempfile
    from pathlib import Path

    d = sw.replicate(_design(draw, frame), method=draw(st.sampled_from(REPLICATE_METHODS)),
                     replicates=3, rng=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / draw(st.sampled_from(["d.csv", "d.parquet", "d.txt", "sub/d.csv", "."]))
        out = sw.write_replicate_design(d, path, format=draw(st.sampled_from([None, "csv", "parquet", "x"])),
                                        prefix=draw(st.one_of(st.none(), st.sampled_from(["rep", "", "y"]))))
        back = sw.read_replicate_design(out)
        return sw.mean(back, draw(any_column(back.data)))


def _read_replicate_design(draw, frame):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        frame.to_csv(path, index=False)
        if draw(st.booleans()):  # a sidecar that is not what the writer makes
            Path(tmp, "d.csv.json").write_text(draw(st.sampled_from(
                ["{}", "not json", '{"method": "jk1", "scale": "x"}', "[1, 2]",
                 '{"weights": "y", "replicate_weights": ["y"], "method": "other", "scale": 1}'])))
        return sw.read_replicate_design(draw(st.sampled_from([path, Path(tmp), Path(tmp) / "none.csv"])),
                                        format=draw(st.sampled_from([None, "csv", "parquet", "x"])))


def _duckdb_engine(draw, frame):
    """The same hostile frames through DuckDB: a result or a library error, as in memory."""
    kw = {k: draw(any_column(frame)) for k in ("strata", "weights", "fpc", "ids") if draw(st.booleans())}
    d = sw.Design(frame, engine="duckdb", **kw)
    fn = draw(st.sampled_from([sw.proportion, sw.mean, sw.total]))
    return fn(d, draw(any_column(frame)), by=draw(st.one_of(st.none(), any_column(frame))))


def _quality_rules(draw, frame):
    return sw.quality.rules(draw(st.one_of(st.sampled_from(["statcan", "cbs", "x"]), OPTIONS)))


def _disclosure_rules(draw, frame):
    return sw.disclosure.rules(min_units=draw(st.one_of(st.none(), st.integers(-1, 5), OPTIONS)),
                               dominance=draw(st.one_of(st.none(), st.tuples(OPTIONS, OPTIONS))),
                               protection=draw(st.one_of(st.just(0.1), OPTIONS)))


def _numeric_table(draw, frame):
    nr, nc = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    vals = st.one_of(st.floats(-5, 50), st.just(np.nan), st.just(np.inf), st.integers(0, 9))
    return pd.DataFrame([[draw(vals) for _ in range(nc)] for _ in range(nr)],
                        index=[f"r{i}" for i in range(nr)], columns=[f"c{j}" for j in range(nc)])


def _protect(draw, frame):
    values = _numeric_table(draw, frame)
    primary = draw(st.one_of(st.just(values.notna() & (values < 3)), OPTIONS,
                             st.just(np.zeros(values.shape, dtype=bool))))
    return sw.disclosure.protect(values, primary=primary,
                                 margins=draw(st.sampled_from([("rows", "columns"), (), ("x",)])))


def _audit(draw, frame):
    values = _numeric_table(draw, frame)
    return sw.disclosure.audit(values, draw(st.one_of(st.just(values.isna()), OPTIONS)))


def _magnitude_table(draw, frame):
    rules = sw.disclosure.rules(min_units=3, dominance=(1, 0.8), magnitude=draw(any_column(frame)))
    return sw.disclosure.magnitude_table(frame, rows=draw(any_column(frame)),
                                         columns=draw(any_column(frame)),
                                         magnitude=draw(any_column(frame)), rules=rules)


RECIPES = {
    "quality.rules": _quality_rules,
    "disclosure.rules": _disclosure_rules,
    "disclosure.protect": _protect,
    "disclosure.audit": _audit,
    "disclosure.magnitude_table": _magnitude_table,
    "ratio": _ratio,
    "var": _var,
    "quantile": _quantile,
    "ttest": _ttest,
    "glm": _glm,
    "contrast": _contrast,
    "stack": _stack,
    "proportion": _estimator(sw.proportion),
    "mean": _estimator(sw.mean),
    "total": _estimator(sw.total),
    "difference": _difference,
    "chisq_test": _chisq,
    "Design": lambda draw, frame: _design(draw, frame),
    "PopulationFrame": _populationframe,
    "poststratify": _poststratify,
    "screen_responses": _screen,
    "hot_deck": _hot_deck,
    "multiply_impute": _multiply_impute,
    "combine_rubin": _combine_rubin,
    "combine_rubin_numbers": _combine_rubin_real,
    "recombine": _recombine,
    "report_table": _report_table,
    "kish_summary": _kish,
    "parse_count": _parse_count,
    "response_accounting": _response_accounting,
    "calibrate": _calibrate,
    "rake": _rake,
    "trim_weights": _trim,
    "adjust_nonresponse": _nonresponse,
    "make_barometer_replica": _replica,
    "replicate": _replicate,
    "Design(replicate_weights=)": _file_replicates,
    "write_replicate_design": _write_replicate_design,
    "read_replicate_design": _read_replicate_design,
    "engines": _duckdb_engine,
    "expressions.parse": _expression,
}

#: Public names that are not functions taking user data (result classes, modules...).
NOT_FUZZED = {
    "ChisqTest", "Difference", "Estimates", "Expression", "HotDeckResult", "MultipleImputation",
    "PostStratification", "Recombination", "RecombinationTable", "ReplicaResult", "ReportTable",
    "ResponseAccounting", "ScreeningResult", "SurveyWeightsError", "SurveyWeightsWarning",
    "CalibrationResult", "NonresponseResult", "TrimmingResult", "Contrast", "Quantiles",
    "GLMResult", "TTest", "__version__", "datasets",
    "quality", "disclosure",  # modules: their functions have recipes "quality.rules", ...
    "errors", "expressions", "plots", "testing",
}


def test_every_public_function_has_a_fuzz_recipe():
    """A new public function needs a recipe in RECIPES (or a reason in NOT_FUZZED)."""
    missing = []
    for name in sw.__all__:
        if name in RECIPES or name in NOT_FUZZED:
            continue
        obj = getattr(sw, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException) and name not in RECIPES:
            if name.endswith(("Result", "Table", "Test")):
                continue
        missing.append(name)
    assert not missing, f"add a fuzz recipe to tests/test_fuzz.py::RECIPES for {missing}"


def _snapshot(frame: pd.DataFrame):
    return frame.copy(deep=True), list(frame.columns), frame.index.copy(), frame.dtypes.copy()


def _unchanged(frame: pd.DataFrame, snap) -> None:
    before, cols, index, dtypes = snap
    assert list(frame.columns) == cols
    assert frame.index.equals(index)
    assert frame.dtypes.equals(dtypes)
    pd.testing.assert_frame_equal(frame, before, check_exact=True)


@pytest.mark.parametrize("name", sorted(RECIPES))
@FUZZ
@given(data=st.data())
def test_a_valid_result_or_a_library_error_and_the_input_unchanged(name, data):
    frame = data.draw(hostile_frames(), label="frame")
    snap = _snapshot(frame)
    recipe = RECIPES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = recipe(data.draw, frame)
        except SurveyWeightsError:
            result = None
    _unchanged(frame, snap)
    if result is not None and hasattr(result, "to_frame"):
        out = result.to_frame()
        assert isinstance(out, pd.DataFrame)
        copy.deepcopy(result)  # results are plain, copyable data
