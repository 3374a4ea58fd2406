"""Old import path of recombining published figures, kept for code written for 0.1.

The module is :mod:`surveyweights.estimation.recombine`; ``import surveyweights.recombine`` gives
that very module, not a copy.

Importing a submodule sets the package attribute of the same name, so after
``import surveyweights.recombine`` the name ``surveyweights.recombine`` is this module
instead of the function :func:`surveyweights.recombine`.  The module is therefore made
callable: calling it calls the function, so ``sw.recombine(...)`` works either way.
"""

import importlib
import sys
import types


class _CallableModule(types.ModuleType):
    """The recombine module, callable as its :func:`recombine` function."""

    def __call__(self, *args, **kwargs):
        return self.recombine(*args, **kwargs)


_module = importlib.import_module("surveyweights.estimation.recombine")
_module.__class__ = _CallableModule
sys.modules[__name__] = _module
