"""surveyweights: design-based estimation for stratified surveys."""

from __future__ import annotations

from . import errors
from .errors import SurveyWeightsError, SurveyWeightsWarning

__version__ = "0.1.0"

__all__ = ["errors", "SurveyWeightsError", "SurveyWeightsWarning", "__version__"]
