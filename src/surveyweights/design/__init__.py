"""The survey design: data, weights, strata, PSUs, fpc, and how its variance is computed.

* :mod:`.design` -- the frozen :class:`Design`, validated once and reduced to
  integer codes; it holds a variance method (:mod:`surveyweights.variance`);
* :mod:`.stages` -- the stages of a multistage design;
* :mod:`.stack` -- :func:`stack`: independent samples (survey waves) in one design.
"""

from __future__ import annotations

from .design import LONELY_PSU_OPTIONS, Design, require_design
from .stack import stack

__all__ = ["LONELY_PSU_OPTIONS", "Design", "require_design", "stack"]
