"""Estimation: estimators, confidence intervals and comparisons.

* :mod:`.estimates` -- :func:`proportion`, :func:`mean`, :func:`total` and the
  :class:`Estimates` result;
* :mod:`.ci` -- the confidence-interval methods (R's ``svyciprop`` and Wilson);
* :mod:`.ratio` -- :func:`ratio` (R's ``svyratio``);
* :mod:`.quantile` -- :func:`quantile` (R's ``svyquantile``);
* :mod:`.var` -- :func:`var`, the population variance (R's ``svyvar``);
* :mod:`.regression` -- :func:`glm` (R's ``svyglm``);
* :mod:`.comparison` -- :func:`difference`, :func:`ttest`, :func:`contrast` and
  :func:`chisq_test`;
* :mod:`.recombine` -- population figures from rounded published domain figures;
* :mod:`._domains` -- ``by=``/``subset=``/``na=`` to integer codes (private).

Every estimator hands its linearized scores to the design's variance method
(:mod:`surveyweights.variance`); none computes a variance itself.
"""

from __future__ import annotations

from .comparison import (
    ChisqTest,
    Contrast,
    Difference,
    TTest,
    chisq_test,
    contrast,
    difference,
    ttest,
)
from .estimates import COLUMNS, DF_CHOICES, Estimates, mean, proportion, total
from .quantile import Quantiles, quantile
from .ratio import ratio
from .regression import GLMResult, glm
from .var import var
from .recombine import Recombination, RecombinationTable, recombine

__all__ = [
    "COLUMNS",
    "DF_CHOICES",
    "ChisqTest",
    "Contrast",
    "Difference",
    "Estimates",
    "GLMResult",
    "Quantiles",
    "Recombination",
    "RecombinationTable",
    "TTest",
    "chisq_test",
    "contrast",
    "difference",
    "glm",
    "mean",
    "proportion",
    "quantile",
    "ratio",
    "recombine",
    "total",
    "ttest",
    "var",
]
