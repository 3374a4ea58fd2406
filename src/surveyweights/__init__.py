"""surveyweights: design-based estimation for stratified surveys.

The data flow one way (see ARCHITECTURE.md)::

    population frame --+
    responses -- screen -- impute -- weight --> Design --> estimate --> tables / plots

The general library is in ``frame``, ``screening``, ``imputation/``, ``weighting/``,
``design/``, ``variance/``, ``estimation/`` and ``report/`` (tables, figures, the
reliability rules ``sw.quality`` and disclosure control ``sw.disclosure``); the AI-Barometer 2025
case study (its data, published tables, synthetic replica and main job) is in
``barometer/``, and ``datasets`` loads its bundled files.

Quick start
-----------
>>> import surveyweights as sw
>>> strata = sw.datasets.barometer_2025()        # Tabel 1/2 of the AI-Barometer 2025
>>> len(strata), int(strata["N"].sum())
(44, 37839)
"""

from __future__ import annotations

from . import datasets, engines, errors, expressions
from .barometer.replica import ReplicaResult, make_barometer_replica
from .design import Design, replicate, stack
from .design.export import read_replicate_design, write_replicate_design
from .errors import SurveyWeightsError, SurveyWeightsWarning
from .estimation import (
    ChisqTest,
    Contrast,
    Difference,
    Estimates,
    GLMResult,
    Quantiles,
    Recombination,
    RecombinationTable,
    TTest,
    chisq_test,
    contrast,
    difference,
    glm,
    mean,
    proportion,
    quantile,
    ratio,
    recombine,
    total,
    ttest,
    var,
)
from .expressions import Expression
from .frame import PopulationFrame, ResponseAccounting, parse_count, response_accounting
from .imputation import HotDeckResult, MultipleImputation, combine_rubin, hot_deck, multiply_impute
from .report import ReportTable, disclosure, quality, report_table
from .screening import ScreeningResult, screen_responses
from .weighting import (
    CalibrationResult,
    NonresponseResult,
    PostStratification,
    TrimmingResult,
    adjust_nonresponse,
    calibrate,
    kish_summary,
    poststratify,
    rake,
    trim_weights,
)

__version__ = "0.1.0"

__all__ = [
    "CalibrationResult",
    "ChisqTest",
    "Contrast",
    "Design",
    "Difference",
    "Estimates",
    "Expression",
    "GLMResult",
    "HotDeckResult",
    "MultipleImputation",
    "NonresponseResult",
    "PopulationFrame",
    "PostStratification",
    "Quantiles",
    "Recombination",
    "RecombinationTable",
    "ReplicaResult",
    "ReportTable",
    "ResponseAccounting",
    "ScreeningResult",
    "SurveyWeightsError",
    "SurveyWeightsWarning",
    "TTest",
    "TrimmingResult",
    "__version__",
    "adjust_nonresponse",
    "calibrate",
    "chisq_test",
    "combine_rubin",
    "contrast",
    "datasets",
    "difference",
    "disclosure",
    "engines",
    "errors",
    "expressions",
    "glm",
    "hot_deck",
    "kish_summary",
    "make_barometer_replica",
    "mean",
    "multiply_impute",
    "parse_count",
    "plots",
    "poststratify",
    "proportion",
    "plots",
    "quality",
    "quantile",
    "rake",
    "ratio",
    "read_replicate_design",
    "recombine",
    "replicate",
    "report_table",
    "response_accounting",
    "screen_responses",
    "stack",
    "testing",
    "total",
    "trim_weights",
    "ttest",
    "var",
    "write_replicate_design",
]


def __getattr__(name: str):
    # figures need matplotlib, which takes a while to import: load on first use;
    # the testing helpers are for users' test suites only, so they load on first use too
    if name in ("plots", "testing"):
        import importlib

        return importlib.import_module(".report.plots" if name == "plots" else ".testing", __name__)
    raise AttributeError(f"module 'surveyweights' has no attribute {name!r}")
