"""Old import path of the SYNTHETIC AI-Barometer replica, kept for code written for 0.1.

The module is :mod:`surveyweights.barometer.replica`; ``import surveyweights.replica`` gives
that very module, not a copy.
"""

import importlib
import sys

sys.modules[__name__] = importlib.import_module("surveyweights.barometer.replica")
