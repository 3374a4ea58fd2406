"""Variance methods: how a design turns an estimator's linearized scores into variances.

* :mod:`.base` -- the seam: the :class:`VarianceMethod` protocol every method
  implements and the :class:`DomainVariance` result estimators read;
* :mod:`.taylor` -- stratified Taylor linearization of a one-stage design with fpc
  and lonely-PSU rules (R's ``svyrecvar``), the default;
* :mod:`.calibrated` -- calibration residuals (Deville-Särndal; R's ``postStrata``)
  in front of another method, for calibrated, trimmed and nonresponse-adjusted designs.

Calibration residuals, replicate weights, multistage recursion and database
engines are further methods behind the same seam.
"""

from __future__ import annotations

from .base import DomainVariance, Reestimate, VarianceMethod, uses_cells
from .calibrated import CalibratedVariance
from .taylor import TaylorLinearization

__all__ = ["CalibratedVariance", "DomainVariance", "Reestimate", "TaylorLinearization",
           "VarianceMethod", "uses_cells"]
