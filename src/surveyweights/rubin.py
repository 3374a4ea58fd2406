"""Old import path of Rubin's rules, kept for code written for 0.1.

The module is :mod:`surveyweights.imputation.rubin`; ``import surveyweights.rubin`` gives
that very module, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("surveyweights.imputation.rubin")
