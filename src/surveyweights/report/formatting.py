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
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["LOCALES", "format_count", "format_percent"]


@dataclass(frozen=True)
class _Locale:
    decimal: str
    thousands: str
    total: str
    synthetic: str
    missing: str = "–"


#: The locales of report output: decimal mark, thousands separator and wording.
LOCALES: dict[str, _Locale] = {
    "nl": _Locale(
        decimal=",",
        thousands=".",
        total="Totaal",
        synthetic="SYNTHETIC DATA: synthetische gegevens, geen echte enquêteresultaten",
    ),
    "en": _Locale(
        decimal=".",
        thousands=",",
        total="Total",
        synthetic="SYNTHETIC DATA: not real survey results",
    ),
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


_TRANSLATIONS: dict[tuple[str, str], dict[int, str]] = {}


def _localize(text: str, loc: _Locale) -> str:
    """Swap the ``,``/``.`` of Python's ``format(x, ',.1f')`` for the locale's marks."""
    key = (loc.thousands, loc.decimal)
    table = _TRANSLATIONS.get(key)
    if table is None:
        table = _TRANSLATIONS[key] = str.maketrans({",": loc.thousands, ".": loc.decimal})
    return text.translate(table)


def _round_percent(share: float, decimals: int) -> Decimal:
    """``100 * share`` rounded half away from zero, in decimal arithmetic."""
    d = Decimal(repr(float(share))).scaleb(2)
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(q) if q == 0 else q  # never "-0,0%"


def _fmt_percent(share: float, decimals: int, loc: _Locale, *, sign: bool = True) -> str:
    if share is None:
        return loc.missing
    x = float(share)
    if not math.isfinite(x):
        return loc.missing
    # Fast path, exact: 100 * share scaled to an integer count of the last printed
    # digit, rounded half away from zero in binary floating point.  It agrees with the
    # decimal rule of _round_percent except within rounding error of a tie (x.xx5),
    # where the decimal arithmetic decides; the result is the same string either way.
    scaled = abs(x) * 10.0 ** (2 + decimals)
    low = math.floor(scaled)
    frac = scaled - low
    if abs(frac - 0.5) < 1e-7 or scaled >= 2.0 ** 52:
        q = _round_percent(x, decimals)
        return _localize(format(q, f",.{decimals}f"), loc) + ("%" if sign else "")
    digits = int(low) + (frac > 0.5)
    whole, part = divmod(digits, 10 ** decimals)
    text = format(whole, ",")
    if decimals:
        text += "." + str(part).rjust(decimals, "0")
    if x < 0 and digits:
        text = "-" + text  # never "-0,0%"
    return _localize(text, loc) + ("%" if sign else "")


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
