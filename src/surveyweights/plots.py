"""Old import path of report figures, kept for code written for 0.1.

The module is :mod:`surveyweights.report.plots`; ``import surveyweights.plots`` gives
that very module, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("surveyweights.report.plots")
