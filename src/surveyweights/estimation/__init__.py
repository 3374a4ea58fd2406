"""Estimation: estimators, confidence intervals and comparisons.

* :mod:`.estimates` -- :func:`proportion`, :func:`mean`, :func:`total` and the
  :class:`Estimates` result;
* :mod:`.ci` -- the confidence-interval methods (R's ``svyciprop`` and Wilson);
* :mod:`.ratio` -- :func:`ratio` (R's ``svyratio``);
* :mod:`.comparison` -- :func:`difference` and :func:`chisq_test`;
* :mod:`.recombine` -- population figures from rounded published domain figures;
* :mod:`._domains` -- ``by=``/``subset=``/``na=`` to integer codes (private).

Every estimator hands its linearized scores to the design's variance method
(:mod:`surveyweights.variance`); none computes a variance itself.
"""

from __future__ import annotations

from .comparison import ChisqTest, Difference, chisq_test, difference
from .estimates import COLUMNS, DF_CHOICES, Estimates, mean, proportion, total
from .ratio import ratio
from .recombine import Recombination, RecombinationTable, recombine

__all__ = [
    "COLUMNS",
    "DF_CHOICES",
    "ChisqTest",
    "Difference",
    "Estimates",
    "Recombination",
    "RecombinationTable",
    "chisq_test",
    "difference",
    "mean",
    "proportion",
    "ratio",
    "recombine",
    "total",
]
