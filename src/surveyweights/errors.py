"""Exceptions and warnings raised by surveyweights.

Every error the library raises on bad input derives from
:class:`SurveyWeightsError`.  Each concrete class also inherits the matching
builtin (``ValueError``, ``KeyError``-like lookups are ``ValueError`` too,
``RuntimeError`` for failures of an algorithm), so callers can catch either the
library's base class or the builtin they already expect.

Messages follow one rule: name the offending value, the rule it broke and the
fix, e.g. ``"stratum ('35-39', 'large') has N=23 but no respondents; merge it
with collapse={('35-39', 'large'): ('35-39', 'medium')}"``.
"""

from __future__ import annotations

import sys

__all__ = [
    "SurveyWeightsError",
    "InputError",
    "PopulationFrameError",
    "StratumError",
    "MissingValueError",
    "DesignError",
    "LonelyPSUError",
    "DomainError",
    "ExpressionError",
    "ImputationError",
    "CalibrationError",
    "ConvergenceError",
    "SurveyWeightsWarning",
    "NoDegreesOfFreedomWarning",
    "user_stacklevel",
]


class SurveyWeightsError(Exception):
    """Base class of every error raised by surveyweights."""


class InputError(SurveyWeightsError, ValueError):
    """An argument has the wrong type, shape or value (unknown column, bad option...)."""


class PopulationFrameError(InputError):
    """A population frame breaks a rule: non-integer or negative count, duplicate key..."""


class StratumError(InputError):
    """Respondents and population strata do not match (unknown or empty stratum)."""


class MissingValueError(InputError):
    """A value needed for the computation is missing (NaN) and no policy allows it."""


class DesignError(InputError):
    """A survey design cannot be built or used as asked (bad weights, bad fpc...)."""


class LonelyPSUError(DesignError):
    """A stratum has a single sampled unit, so its variance cannot be estimated."""


class DomainError(InputError):
    """A domain or subpopulation is empty or unknown."""


class ExpressionError(InputError):
    """An expression string (``subset=``, ``eligible=``...) is not valid or not allowed."""


class ImputationError(InputError):
    """Hot-deck imputation cannot proceed (no donor in a class, no observed value...)."""


class CalibrationError(InputError):
    """Weights cannot be calibrated as asked: margins that do not fit the sample or each
    other, targets that are negative or missing, bounds the sample cannot meet."""


class ConvergenceError(SurveyWeightsError, RuntimeError):
    """An iterative algorithm (e.g. a profile-likelihood root) did not converge."""


class SurveyWeightsWarning(UserWarning):
    """Base class of every warning issued by surveyweights."""


class NoDegreesOfFreedomWarning(SurveyWeightsWarning):
    """An estimate has zero degrees of freedom: no t quantile exists, so its interval is
    the whole range (and a test's p-value is NaN), in every estimator."""


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that points at the user's code.

    Counts the frames from the caller of ``warnings.warn`` up to the first frame
    outside the surveyweights package, whichever public function was called.
    """
    frame = sys._getframe(1)  # the function that calls warnings.warn (stacklevel 1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "surveyweights":
        frame = frame.f_back
        level += 1
    return level
