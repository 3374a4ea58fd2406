"""Old import path of recombining published figures, kept for code written for 0.1.

The module is :mod:`surveyweights.estimation.recombine`; ``import surveyweights.recombine`` gives
that very module, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("surveyweights.estimation.recombine")
