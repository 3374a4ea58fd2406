"""The survey design: data, weights, strata, PSUs, fpc, and how its variance is computed.

* :mod:`.design` -- the frozen :class:`Design`, validated once and reduced to
  integer codes; it holds a variance method (:mod:`surveyweights.variance`);
  replicate weights read from a file (R's ``svrepdesign``) are validated here too;
* :mod:`.replicate` -- :func:`replicate`: jackknife, BRR/Fay, bootstrap and SDR
  replicate weights built from a design (R's ``as.svrepdesign``).
* :mod:`.stages` -- the stages of a multistage design;
* :mod:`.stack` -- :func:`stack`: independent samples (survey waves) in one design.
"""

from __future__ import annotations

from .design import FILE_REPLICATE_METHODS, LONELY_PSU_OPTIONS, Design, require_design
from .replicate import REPLICATE_METHODS, hadamard, replicate
from .stack import stack

__all__ = ["FILE_REPLICATE_METHODS", "LONELY_PSU_OPTIONS", "REPLICATE_METHODS", "Design",
           "hadamard", "replicate", "require_design", "stack"]
