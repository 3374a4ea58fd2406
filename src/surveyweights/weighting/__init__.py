"""Weighting: from design weights and population figures to analysis weights.

* :mod:`.poststratify` -- w_h = N_h/n_h per stratum, collapsing, Kish diagnostics.

Calibration (linear, raking, logit), trimming and nonresponse adjustment go here,
one module each, all returning a new :class:`~surveyweights.Design`.
"""

from __future__ import annotations

from .poststratify import PostStratification, kish_summary, poststratify

__all__ = ["PostStratification", "kish_summary", "poststratify"]
