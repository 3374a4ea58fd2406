"""Weighting: from design weights and population figures to analysis weights.

* :mod:`.poststratify` -- w_h = N_h/n_h per stratum, collapsing, Kish diagnostics;
* :mod:`.calibration` -- linear (GREG), raking and logit calibration with bounds
  (:func:`calibrate`, :func:`rake`) and the pure solver :func:`calibration_factors`;
* :mod:`.auxiliary` -- the auxiliary matrix of a calibration, in blocks;
* :mod:`.trimming` -- :func:`trim_weights`, keeping a calibration's margins;
* :mod:`.nonresponse` -- :func:`adjust_nonresponse` within response classes.

The adjusters return a new :class:`~surveyweights.Design` with their diagnostics attached.
"""

from __future__ import annotations

from .calibration import CalibrationFit, CalibrationResult, calibrate, calibration_factors, rake
from .nonresponse import NonresponseResult, adjust_nonresponse
from .poststratify import PostStratification, kish_summary, poststratify
from .trimming import TrimmingResult, trim_weights

__all__ = [
    "CalibrationFit",
    "CalibrationResult",
    "NonresponseResult",
    "PostStratification",
    "TrimmingResult",
    "adjust_nonresponse",
    "calibrate",
    "calibration_factors",
    "kish_summary",
    "poststratify",
    "rake",
    "trim_weights",
]
