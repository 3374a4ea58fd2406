"""Old import path of the confidence-interval methods, kept for code written for 0.1.

The module is :mod:`surveyweights.estimation.ci`; ``import surveyweights.ci`` gives
that very module, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("surveyweights.estimation.ci")
