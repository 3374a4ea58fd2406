"""Variance methods: how a design turns an estimator's linearized scores into variances.

* :mod:`.base` -- the seam: the :class:`VarianceMethod` protocol every method
  implements and the :class:`DomainVariance` result estimators read;
* :mod:`.taylor` -- stratified Taylor linearization of a one-stage design with fpc
  and lonely-PSU rules (R's ``svyrecvar``), the default;
* :mod:`.multistage` -- the same for several stages (R's ``svyrecvar`` recursion),
  the default of a design with one ``ids`` column and one fpc per stage;
* :mod:`.replicate` -- replicate weights (R's ``svrVar``): jackknife, BRR/Fay,
  bootstrap, SDR, or any replicate weights read from a file.
* :mod:`.calibrated` -- calibration residuals (Deville-Särndal; R's ``postStrata``)
  in front of another method, for calibrated, trimmed and nonresponse-adjusted designs
  (``CellCalibratedVariance``: the same from per-atom sums on SQL engines);
* :mod:`.stacked` -- independent samples stacked into one design: the sum of each
  sample's own variance.

Calibration residuals, replicate weights, multistage recursion and database
engines are further methods behind the same seam.
"""

from __future__ import annotations

from .base import DomainTotals, DomainVariance, Reestimate, VarianceMethod, uses_cells
from .calibrated import CalibratedVariance, CellCalibratedVariance
from .multistage import MultistageLinearization
from .replicate import ReplicateWeights
from .stacked import StackedVariance
from .taylor import TaylorLinearization

__all__ = ["CalibratedVariance", "CellCalibratedVariance", "DomainTotals", "DomainVariance", "MultistageLinearization",
           "Reestimate", "ReplicateWeights", "StackedVariance", "TaylorLinearization",
           "VarianceMethod", "uses_cells"]
