"""Imputation: random hot deck within classes, multiple imputation, Rubin's rules.

* :mod:`.hotdeck` -- :func:`hot_deck` and :func:`multiply_impute`;
* :mod:`.rubin` -- :func:`combine_rubin` over any estimator's tidy tables.
"""

from __future__ import annotations

from .hotdeck import DONOR_METHODS, EligibilityWarning, HotDeckResult, hot_deck, multiply_impute
from .rubin import STAT_COLUMNS, MultipleImputation, barnard_rubin_df, combine_rubin

__all__ = [
    "DONOR_METHODS",
    "EligibilityWarning",
    "HotDeckResult",
    "MultipleImputation",
    "STAT_COLUMNS",
    "barnard_rubin_df",
    "combine_rubin",
    "hot_deck",
    "multiply_impute",
]
