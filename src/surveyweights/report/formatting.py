"""Number formats of report output: percentages, counts and the locales' words.

* A share ``p`` in [0, 1] is printed as the percentage ``100 p`` rounded to
  ``decimals`` places, **half away from zero**, with the locale's decimal mark and
  a percent sign: ``0.5595 -> "56,0%"`` (``nl``), ``"56.0%"`` (``en``).  Rounding
  is done in decimal arithmetic on the shortest decimal representation of the
  float (``repr``), so ``0.1235`` counts as exactly 0.1235 and gives ``12,4%``.
* Counts use the locale's thousands separator: ``2.915`` (``nl``), ``2,915`` (``en``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["LOCALES", "format_count", "format_number", "format_percent"]


@dataclass(frozen=True)
class _Locale:
    decimal: str
    thousands: str
    words: Mapping[str, str]
    missing: str = "–"

    @property
    def total(self) -> str:
        return self.words["total"]

    @property
    def synthetic(self) -> str:
        return self.words["synthetic"]

    def word(self, key: str, **fields: Any) -> str:
        """The locale's text for ``key``, with ``{fields}`` filled in."""
        return self.words[key].format(**fields) if fields else self.words[key]


# Every word that report output prints (tables, captions, headers, footnotes, figure
# labels and notes) is here, once per locale; tests check that both locales have the
# same keys and that English output holds no Dutch words.
_WORDS_NL: dict[str, str] = {
    "total": "Totaal",
    "synthetic": "SYNTHETIC DATA: synthetische gegevens, geen echte enquêteresultaten",
    # column headers of the optional statistics
    "n": "n",
    "se": "standaardfout",
    "se_pp": "standaardfout (procentpunt)",
    "cv": "variatiecoëfficiënt",
    "ci": "{level}-betrouwbaarheidsinterval",
    "ci_plain": "betrouwbaarheidsinterval",
    # figures
    "xlabel": "Aandeel",
    "ci_note": "Foutbalken: {level}-betrouwbaarheidsinterval",
    # quality and disclosure footnotes
    "flag_note": "{marker} Met voorzichtigheid te gebruiken: {reasons}.",
    "quality_suppress_note": "{symbol} Te onbetrouwbaar om te publiceren: {reasons}.",
    "disclosure_note": "{symbol} Geheimgehouden om de vertrouwelijkheid van de respondenten te "
                       "beschermen: {reasons}.",
    "or": "of",
    "points": "{points} procentpunt",
    "cv_above": "variatiecoëfficiënt boven {limit}",
    "cv_at_least": "variatiecoëfficiënt van {limit} of meer",
    "n_below": "minder dan {limit} respondenten",
    "n_at_most": "hoogstens {limit} respondenten",
    "n_eff_below": "effectieve steekproefomvang kleiner dan {limit}",
    "n_eff_at_most": "effectieve steekproefomvang van hoogstens {limit}",
    "df_below": "minder dan {limit} vrijheidsgraden",
    "df_at_most": "hoogstens {limit} vrijheidsgraden",
    "ci_width_above": "betrouwbaarheidsinterval breder dan {limit}",
    "ci_width_at_least": "betrouwbaarheidsinterval van {limit} of breder",
    "relative_ci_width_above": "betrouwbaarheidsinterval breder dan {limit} van de schatting",
    "relative_ci_width_at_least": "betrouwbaarheidsinterval van {limit} van de schatting of breder",
    "complement_relative_ci_width_above": "betrouwbaarheidsinterval breder dan {limit} van het "
                                          "complement van de schatting",
    "complement_relative_ci_width_at_least": "betrouwbaarheidsinterval van {limit} van het "
                                             "complement van de schatting of breder",
    "zero_or_one_above": "schatting van 0% of 100%",
    "zero_or_one_at_least": "schatting van 0% of 100%",
    "only_if": "{rule} (bij een betrouwbaarheidsinterval breder dan {limit})",
    "min_units": "minder dan {k} eenheden in de cel",
    "dominance": "de {n} grootste eenheden hebben meer dan {k} van {magnitude}",
    "dominance_one": "de grootste eenheid heeft meer dan {k} van {magnitude}",
    "secondary": "of secundair, zodat geen geheimgehouden cel uit de totalen af te leiden is",
}
_WORDS_EN: dict[str, str] = {
    "total": "Total",
    "synthetic": "SYNTHETIC DATA: not real survey results",
    "n": "n",
    "se": "SE",
    "se_pp": "SE (percentage points)",
    "cv": "CV",
    "ci": "{level} confidence interval",
    "ci_plain": "confidence interval",
    "xlabel": "Share",
    "ci_note": "Error bars: {level} confidence interval",
    "flag_note": "{marker} Use with caution: {reasons}.",
    "quality_suppress_note": "{symbol} Too unreliable to be published: {reasons}.",
    "disclosure_note": "{symbol} Suppressed to protect the confidentiality of respondents: "
                       "{reasons}.",
    "or": "or",
    "points": "{points} percentage points",
    "cv_above": "coefficient of variation above {limit}",
    "cv_at_least": "coefficient of variation of {limit} or more",
    "n_below": "fewer than {limit} respondents",
    "n_at_most": "at most {limit} respondents",
    "n_eff_below": "effective sample size below {limit}",
    "n_eff_at_most": "effective sample size of at most {limit}",
    "df_below": "fewer than {limit} degrees of freedom",
    "df_at_most": "at most {limit} degrees of freedom",
    "ci_width_above": "confidence interval wider than {limit}",
    "ci_width_at_least": "confidence interval of {limit} or wider",
    "relative_ci_width_above": "confidence interval wider than {limit} of the estimate",
    "relative_ci_width_at_least": "confidence interval of {limit} of the estimate or wider",
    "complement_relative_ci_width_above": "confidence interval wider than {limit} of the "
                                          "complement of the estimate",
    "complement_relative_ci_width_at_least": "confidence interval of {limit} of the "
                                             "complement of the estimate or wider",
    "zero_or_one_above": "estimate of 0% or 100%",
    "zero_or_one_at_least": "estimate of 0% or 100%",
    "only_if": "{rule} (where the confidence interval is wider than {limit})",
    "min_units": "fewer than {k} units in the cell",
    "dominance": "the {n} largest units hold more than {k} of the {magnitude}",
    "dominance_one": "the largest unit holds more than {k} of the {magnitude}",
    "secondary": "or secondary, so that no suppressed cell can be derived from the totals",
}

#: The locales of report output: decimal mark, thousands separator and every word.
LOCALES: dict[str, _Locale] = {
    "nl": _Locale(decimal=",", thousands=".", words=_WORDS_NL),
    "en": _Locale(decimal=".", thousands=",", words=_WORDS_EN),
}


def _locale(locale: Any) -> _Locale:
    if not isinstance(locale, str) or locale not in LOCALES:
        raise InputError(
            f"locale={locale!r} is not a known locale; choose one of {list(LOCALES)}"
        )
    return LOCALES[locale]


def _check_decimals(decimals: Any) -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or decimals < 0:
        raise InputError(
            f"decimals={decimals!r} is not a whole number >= 0; give e.g. decimals=1 for 55,9%"
        )
    return int(decimals)


def _localize(text: str, loc: _Locale) -> str:
    """Swap the ``,``/``.`` of Python's ``format(x, ',.1f')`` for the locale's marks."""
    return text.translate(str.maketrans({",": loc.thousands, ".": loc.decimal}))


def _round_percent(share: float, decimals: int) -> Decimal:
    """``100 * share`` rounded half away from zero, in decimal arithmetic."""
    d = Decimal(repr(float(share))).scaleb(2)
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(q) if q == 0 else q  # never "-0,0%"


def _fmt_percent(share: float, decimals: int, loc: _Locale, *, sign: bool = True) -> str:
    if share is None or not math.isfinite(float(share)):
        return loc.missing
    q = _round_percent(share, decimals)
    return _localize(format(q, f",.{decimals}f"), loc) + ("%" if sign else "")


def format_percent(share: float, *, locale: str = "nl", decimals: int = 1) -> str:
    """A share in [0, 1] as a printed percentage: ``0.588 -> "58,8%"``.

    Parameters
    ----------
    share : float
        The proportion (``0.588`` for 58.8%).  NaN gives ``"–"``.
    locale : {"nl", "en"}, default "nl", keyword-only
    decimals : int, default 1, keyword-only

    Returns
    -------
    str

    Notes
    -----
    Rounds half away from zero in decimal arithmetic on ``repr(share)``, so
    ``0.1235`` (stored as 0.12349999...) still gives ``12,4%``.

    Examples
    --------
    >>> format_percent(0.1235), format_percent(0.12345), format_percent(0.0005)
    ('12,4%', '12,3%', '0,1%')
    >>> format_percent(0.588, locale="en"), format_percent(1.0, decimals=0)
    ('58.8%', '100%')
    """
    return _fmt_percent(share, _check_decimals(decimals), _locale(locale))


def format_count(n: int, *, locale: str = "nl") -> str:
    """A whole number with the locale's thousands separator: ``2915 -> "2.915"``.

    Examples
    --------
    >>> format_count(2915), format_count(37839, locale="en"), format_count(12)
    ('2.915', '37,839', '12')
    """
    loc = _locale(locale)
    return _localize(format(_check_count(n), ","), loc)


def _fmt_number(x: float, decimals: int, loc: _Locale) -> str:
    if x is None or not math.isfinite(float(x)):
        return loc.missing
    d = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    d = abs(d) if d == 0 else d
    return _localize(format(d, f",.{decimals}f"), loc)


def format_number(x: float, *, locale: str = "nl", decimals: int = 1) -> str:
    """A number with the locale's marks, rounded half away from zero: ``1234.56 -> "1.234,6"``.

    For means, totals and ratios in report tables (percentages use
    :func:`format_percent`).  NaN gives ``"–"``.

    Examples
    --------
    >>> format_number(1234.56), format_number(1234.56, locale="en", decimals=0)
    ('1.234,6', '1,235')
    >>> format_number(0.125, decimals=2), format_number(-0.04)
    ('0,13', '0,0')
    """
    return _fmt_number(x, _check_decimals(decimals), _locale(locale))


def _check_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"n={n!r} is not a whole number >= 0; give the base size, e.g. n=2915")
    return int(n)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def _latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in a caption (pandas escapes only the cells)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)
