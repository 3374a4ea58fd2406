"""Reliability rules for publication: which estimates to flag and which to suppress.

A statistical office publishes an estimate only when it is reliable enough.
A :class:`QualityRules` set holds thresholds on the coefficient of variation, on
the number of respondents, on the effective sample size, on the degrees of
freedom and on the width of the confidence interval; :meth:`QualityRules.assess`
gives each estimate a status, ``"ok"``, ``"flag"`` (publish with a marker and a
footnote) or ``"suppress"`` (print a symbol instead of the number).  Report
tables and figures take a rule set as ``quality=``
(:func:`surveyweights.report_table`, :func:`surveyweights.plots.bar_chart`).

Built-in sets (``sw.quality.rules(name)``)
-----------------------------------------
``"statcan"`` (alias ``"cv"``)
    The CV thresholds of Statistics Canada's release guidelines: an estimate
    with a CV from 16.6% to 33.3% is released with the letter **E** ("use with
    caution"); one with a CV above 33.3% is not released and printed as **F**
    ("too unreliable to be published"); one that rests on fewer than 10
    respondents is not released either.  Source: Statistics Canada, *Canadian
    Community Health Survey (CCHS) - Annual component, User guide*, section 10
    "Guidelines for tabulation, analysis and release", the sampling
    variability guidelines (acceptable: CV 0.0-16.5%; marginal: 16.6-33.3%,
    flagged E; unacceptable: above 33.3%, not released; estimates need at
    least 10 unweighted observations); the letters E and F are Statistics
    Canada's symbols for "use with caution" and "too unreliable to be
    published".  Statistics Canada applies the minimum of 10 to the numerator
    of a proportion; the rule here counts the respondents of the domain (the
    ``n`` of the estimate table), the denominator.  Use a disclosure rule
    (:mod:`surveyweights.report.disclosure`) for counts of units in a cell.
``"nchs"``
    The U.S. National Center for Health Statistics data presentation standards
    for proportions (Parker JD, Talih M, Malec DJ, et al., *National Center for
    Health Statistics Data Presentation Standards for Proportions*, Vital
    Health Stat 2(175), 2017): suppress when the effective sample size is
    below 30, when the confidence interval is 30 percentage points wide or
    more, or when it is wider than 5 points and wider than 130% of the
    estimate; flag for review when it is wider than 5 points and wider than
    130% of the complement (1 - p), when the degrees of freedom are fewer than
    8, and when the estimate is 0% or 100%.  (An interval of at most 5 points
    is published whatever its relative width.)  NCHS prescribes the
    Korn-Graubard interval (``method="beta"``); the effective sample size is
    p(1 - p) / SE^2, at most n (n where p is 0 or 1).  For proportions only.

Measures
--------
``cv``: se / |estimate| (NaN, never exceeding a limit, where the estimate is 0);
``n``: respondents with a value (the ``n`` column); ``n_eff``: as above for a
proportion, ``n_eff`` of the estimate table otherwise; ``df``: the ``df`` column;
``ci_width``: ci_high - ci_low (in the estimate's units: 0.05 is 5 points for a
share); ``relative_ci_width``: ci_width / |estimate|;
``complement_relative_ci_width``: ci_width / (1 - estimate); ``zero_or_one``: 1
where a proportion is 0 or 1, else 0.  A measure that cannot be computed (NaN)
never triggers a threshold.

Examples
--------
>>> import pandas as pd
>>> from surveyweights.report import quality
>>> est = pd.DataFrame({"estimate": [0.40, 0.05, 0.30], "se": [0.02, 0.012, 0.12],
...                     "n": [400, 60, 8]})
>>> quality.rules("cv").assess(est)["status"].tolist()
['ok', 'flag', 'suppress']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _display
from ..errors import InputError
from .formatting import _fmt_number, _fmt_percent, _locale

__all__ = ["ACTIONS", "MEASURES", "QualityRules", "Threshold", "rules", "RULE_SETS"]

#: measure -> direction of a breach ("above": value > limit; "below": value < limit)
MEASURES: dict[str, str] = {
    "cv": "above",
    "n": "below",
    "n_eff": "below",
    "df": "below",
    "ci_width": "above",
    "relative_ci_width": "above",
    "complement_relative_ci_width": "above",
    "zero_or_one": "above",
}
#: What a breached threshold does.
ACTIONS: tuple[str, ...] = ("flag", "suppress")
#: Measures whose limit is a share, printed as a percentage in footnotes.
_SHARE_MEASURES = ("cv", "relative_ci_width", "complement_relative_ci_width")
_STATUS = ("ok", "flag", "suppress")


@dataclass(frozen=True)
class Threshold:
    """One reliability threshold: a measure, its limit and what a breach does.

    Parameters
    ----------
    measure : str
        One of :data:`MEASURES`.
    limit : float
        A breach is ``value > limit`` for the ``"above"`` measures (CV, interval
        widths) and ``value < limit`` for the ``"below"`` ones (n, n_eff, df).
    action : {"flag", "suppress"}
    inclusive : bool, default False, keyword-only
        Count ``value == limit`` as a breach too (``>=`` / ``<=``).
    only_if_ci_wider_than : float, optional, keyword-only
        Apply the threshold only where the interval is wider than this (the NCHS
        standard's 5-point condition on the relative width).

    Examples
    --------
    >>> Threshold("cv", 0.2, "flag")
    Threshold(cv > 0.2 -> flag)
    """

    measure: str
    limit: float
    action: str
    inclusive: bool = field(default=False, kw_only=True)
    only_if_ci_wider_than: float | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise InputError(
                f"measure={self.measure!r} is not a quality measure; choose one of {list(MEASURES)}"
            )
        if self.action not in ACTIONS:
            raise InputError(f"action={self.action!r} is not valid; choose one of {list(ACTIONS)}")
        if isinstance(self.limit, bool) or not isinstance(self.limit, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(self.limit)):
            raise InputError(
                f"limit={self.limit!r} for measure {self.measure!r} is not a finite number; "
                f"give e.g. 0.333 for a CV of 33.3%"
            )
        w = self.only_if_ci_wider_than
        if w is not None and (isinstance(w, bool) or not isinstance(w, (int, float)) or not w >= 0):
            raise InputError(
                f"only_if_ci_wider_than={w!r} is not a number >= 0; give e.g. 0.05 for 5 points"
            )

    @property
    def direction(self) -> str:
        return MEASURES[self.measure]

    def breached(self, values: np.ndarray, ci_width: np.ndarray | None = None) -> np.ndarray:
        """Where the threshold is breached (NaN never is)."""
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            if self.direction == "above":
                out = v >= self.limit if self.inclusive else v > self.limit
            else:
                out = v <= self.limit if self.inclusive else v < self.limit
            out = out & np.isfinite(v)
            if self.only_if_ci_wider_than is not None:
                w = np.asarray(ci_width, dtype=float) if ci_width is not None else np.full(v.shape, np.nan)
                out = out & (w > self.only_if_ci_wider_than)
        return out

    def describe(self, locale: str = "nl") -> str:
        """The threshold in words, in the locale: ``"coefficient of variation above 33.3%"``."""
        loc = _locale(locale)
        if self.direction == "above":
            key = f"{self.measure}_{'at_least' if self.inclusive else 'above'}"
        else:
            key = f"{self.measure}_{'at_most' if self.inclusive else 'below'}"
        text = loc.word(key, limit=_limit_text(self.measure, self.limit, loc))
        if self.only_if_ci_wider_than is not None:
            text = loc.word("only_if", rule=text,
                            limit=_limit_text("ci_width", self.only_if_ci_wider_than, loc))
        return text

    def __repr__(self) -> str:
        op = {("above", False): ">", ("above", True): ">=", ("below", False): "<",
              ("below", True): "<="}[(self.direction, self.inclusive)]
        cond = (f" if ci_width > {self.only_if_ci_wider_than:g}"
                if self.only_if_ci_wider_than is not None else "")
        return f"Threshold({self.measure} {op} {self.limit:g}{cond} -> {self.action})"


def _limit_text(measure: str, limit: float, loc) -> str:
    if measure in _SHARE_MEASURES:
        decimals = 0 if round(limit * 100, 6).is_integer() else 1
        return _fmt_percent(limit, decimals, loc)
    if measure == "ci_width":
        # a share's interval width in percentage points
        decimals = 0 if round(limit * 100, 6).is_integer() else 1
        points = _fmt_number(100 * limit, decimals, loc)
        return loc.word("points", points=points)
    return _fmt_number(limit, 0 if float(limit).is_integer() else 1, loc)


@dataclass(frozen=True)
class QualityRules:
    """A set of reliability thresholds with the markers a table prints (frozen).

    Parameters
    ----------
    name : str
        E.g. ``"statcan"``.
    thresholds : sequence of Threshold
        Applied together: an estimate is suppressed when any ``suppress``
        threshold is breached, else flagged when any ``flag`` threshold is.
    flag_marker : str, default "*", keyword-only
        Printed after a flagged number (``12,3% E``) and before its footnote.
    suppress_symbol : str, default "F", keyword-only
        Printed instead of a suppressed number.
    proportions_only : bool, default False, keyword-only
        Refuse other kinds of estimates (the NCHS standard is for proportions).
    source : str, keyword-only
        Where the thresholds come from.

    Examples
    --------
    >>> r = QualityRules("mine", [Threshold("cv", 0.25, "flag"), Threshold("n", 20, "suppress")])
    >>> r
    QualityRules('mine': cv > 0.25 flag; n < 20 suppress)
    """

    name: str
    thresholds: tuple[Threshold, ...]
    flag_marker: str = field(default="*", kw_only=True)
    suppress_symbol: str = field(default="F", kw_only=True)
    proportions_only: bool = field(default=False, kw_only=True)
    source: str = field(default="", kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"name={self.name!r} is not a name; give e.g. name='mine'")
        try:
            ths = tuple(self.thresholds)
        except TypeError:
            raise InputError(
                f"thresholds={self.thresholds!r} is not a list of Threshold objects"
            ) from None
        bad = [t for t in ths if not isinstance(t, Threshold)]
        if bad or not ths:
            raise InputError(
                f"thresholds must be a non-empty list of sw.quality.Threshold objects, got "
                f"{bad[0]!r}" if bad else "thresholds is empty; give at least one Threshold"
            )
        object.__setattr__(self, "thresholds", ths)
        for attr in ("flag_marker", "suppress_symbol"):
            v = getattr(self, attr)
            if not isinstance(v, str) or not v.strip():
                raise InputError(f"{attr}={v!r} is not a printable symbol; give e.g. 'E' or '*'")
        if self.flag_marker == self.suppress_symbol:
            raise InputError(
                f"flag_marker and suppress_symbol are both {self.flag_marker!r}; a reader must "
                f"tell a flagged number from a suppressed one: choose two symbols"
            )

    # ---------------------------------------------------------------- assessment
    def measures(self, frame: pd.DataFrame, *, kind: str = "proportion") -> pd.DataFrame:
        """The measures of every estimate of a tidy estimate table (one row each)."""
        est = _column(frame, "estimate")
        se = _column(frame, "se", required=False)
        n = _column(frame, "n", required=False)
        lo = _column(frame, "ci_low", required=False)
        hi = _column(frame, "ci_high", required=False)
        df = _column(frame, "df", required=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(est != 0, se / np.abs(est), np.nan)
            width = hi - lo
            rel = np.where(est != 0, width / np.abs(est), np.nan)
            comp = np.where(est != 1, width / np.abs(1 - est), np.nan)
            if kind == "proportion":
                bound = (est == 0) | (est == 1)
                neff = np.where(bound, n, np.minimum(n, est * (1 - est) / se ** 2))
                neff = np.where(np.isnan(se) & ~bound, np.nan, neff)
            else:
                neff = _column(frame, "n_eff", required=False)
            zero_one = np.where(np.isnan(est), np.nan,
                                ((est == 0) | (est == 1)).astype(float) if kind == "proportion"
                                else 0.0)
        return pd.DataFrame({"cv": cv, "n": n, "n_eff": neff, "df": df, "ci_width": width,
                             "relative_ci_width": rel, "complement_relative_ci_width": comp,
                             "zero_or_one": zero_one}, index=frame.index)

    def assess(self, frame: Any, *, kind: str | None = None) -> pd.DataFrame:
        """Status of each estimate: ``status`` ("ok", "flag", "suppress") and the reasons.

        Parameters
        ----------
        frame : Estimates or pandas.DataFrame
            Estimates (``sw.proportion(...)``) or a tidy table with ``estimate`` and
            whichever of ``se, n, n_eff, df, ci_low, ci_high`` the thresholds need.
        kind : str, optional, keyword-only
            ``"proportion"``, ``"mean"``, ``"total"``, ``"ratio"``; default the
            Estimates' kind, or ``"proportion"`` for a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Same index as the table: ``status``, ``marker`` (the flag marker, the
            suppression symbol or ``""``), ``reasons`` (the breached thresholds,
            a tuple of their positions in ``thresholds``), and every measure.

        Raises
        ------
        InputError
            A column the thresholds need is missing; a non-proportion with a
            proportions-only set.
        """
        if hasattr(frame, "to_frame") and hasattr(frame, "kind") and not isinstance(frame, pd.DataFrame):
            kind = frame.kind if kind is None else kind
            frame = frame.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise InputError(
                f"quality rules assess an Estimates object or its tidy DataFrame, got "
                f"{type(frame).__name__}"
            )
        kind = "proportion" if kind is None else kind
        if self.proportions_only and kind != "proportion":
            raise InputError(
                f"the {self.name!r} quality rules are for proportions, but the estimates are "
                f"{kind}s; use sw.quality.rules('statcan') or your own QualityRules"
            )
        needed = {"cv": ["se"], "n": ["n"], "n_eff": ["se", "n"] if kind == "proportion" else ["n_eff"],
                  "df": ["df"], "ci_width": ["ci_low", "ci_high"],
                  "relative_ci_width": ["ci_low", "ci_high"],
                  "complement_relative_ci_width": ["ci_low", "ci_high"], "zero_or_one": []}
        cols = {c for t in self.thresholds for c in needed[t.measure]}
        if any(t.only_if_ci_wider_than is not None for t in self.thresholds):
            cols |= {"ci_low", "ci_high"}
        missing = sorted(c for c in cols if c not in frame.columns)
        if missing:
            raise InputError(
                f"the {self.name!r} quality rules need the column(s) {missing} of the estimate "
                f"table; pass Estimates.to_frame() (it has se, n, df, ci_low, ci_high, n_eff)"
            )
        m = self.measures(frame, kind=kind)
        width = m["ci_width"].to_numpy()
        suppress = np.zeros(len(frame), dtype=bool)
        flag = np.zeros(len(frame), dtype=bool)
        reasons: list[list[int]] = [[] for _ in range(len(frame))]
        for k, t in enumerate(self.thresholds):
            hit = t.breached(m[t.measure].to_numpy(), width)
            if t.action == "suppress":
                suppress |= hit
            else:
                flag |= hit
            for i in np.flatnonzero(hit):
                reasons[i].append(k)
        status = np.where(suppress, "suppress", np.where(flag, "flag", "ok"))
        # a suppressed estimate reports only the reasons for its suppression
        out_reasons = []
        for i, r in enumerate(reasons):
            wanted = "suppress" if status[i] == "suppress" else "flag"
            out_reasons.append(tuple(k for k in r if self.thresholds[k].action == wanted))
        marker = np.where(status == "suppress", self.suppress_symbol,
                          np.where(status == "flag", self.flag_marker, ""))
        out = pd.DataFrame({"status": status, "marker": marker, "reasons": out_reasons},
                           index=frame.index)
        return pd.concat([out, m], axis=1)

    # ---------------------------------------------------------------- footnotes
    def footnotes(self, statuses: Sequence[str] = ("flag", "suppress"), *, locale: str = "nl",
                  reasons: Sequence[Sequence[int]] | None = None) -> list[str]:
        """The footnotes of the markers that occur, in the locale.

        ``reasons`` (the ``reasons`` column of :meth:`assess`) limits each note to
        the thresholds that were breached; by default all are listed.
        """
        loc = _locale(locale)
        used = None if reasons is None else {k for r in reasons for k in r}
        notes = []
        for action, key, sym in (("flag", "flag_note", "marker"),
                                 ("suppress", "quality_suppress_note", "symbol")):
            if action not in statuses:
                continue
            ths = [t for k, t in enumerate(self.thresholds)
                   if t.action == action and (used is None or k in used)]
            if not ths:
                continue
            words = _join([t.describe(locale) for t in ths], loc.word("or"))
            symbol = self.flag_marker if action == "flag" else self.suppress_symbol
            notes.append(loc.word(key, **{sym: symbol, "reasons": words}))
        return notes

    def __repr__(self) -> str:
        parts = "; ".join(repr(t)[len("Threshold("):-1].replace(" -> ", " ") for t in self.thresholds)
        return f"QualityRules({self.name!r}: {parts})"

    def _repr_html_(self) -> str:
        frame = pd.DataFrame({
            "measure": [t.measure for t in self.thresholds],
            "breach": [f"{'>' if t.direction == 'above' else '<'}{'=' if t.inclusive else ''} "
                       f"{t.limit:g}" for t in self.thresholds],
            "action": [t.action for t in self.thresholds],
            "in words": [t.describe("en") for t in self.thresholds],
        })
        return _display.html_block(f"QualityRules {self.name!r}", frame, note=self.source or None)


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _column(frame: pd.DataFrame, name: str, *, required: bool = True) -> np.ndarray:
    if name not in frame.columns:
        if required:
            raise InputError(
                f"the estimate table has no {name!r} column; pass Estimates.to_frame()"
            )
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


_STATCAN_SOURCE = (
    "Statistics Canada, Canadian Community Health Survey (CCHS) - Annual component, User "
    "guide, section 10 'Guidelines for tabulation, analysis and release': CV 0.0-16.5% "
    "acceptable; 16.6-33.3% marginal, released with the letter E (use with caution); above "
    "33.3% unacceptable, not released (F, too unreliable to be published); at least 10 "
    "unweighted observations."
)
_NCHS_SOURCE = (
    "Parker JD, Talih M, Malec DJ, et al. National Center for Health Statistics Data "
    "Presentation Standards for Proportions. Vital Health Stat 2(175). 2017."
)


def _statcan() -> QualityRules:
    return QualityRules(
        "statcan",
        [Threshold("cv", 0.165, "flag"), Threshold("cv", 0.333, "suppress"),
         Threshold("n", 10, "suppress")],
        flag_marker="E", suppress_symbol="F", source=_STATCAN_SOURCE)


def _nchs() -> QualityRules:
    return QualityRules(
        "nchs",
        [Threshold("n_eff", 30, "suppress"),
         Threshold("ci_width", 0.30, "suppress", inclusive=True),
         Threshold("relative_ci_width", 1.30, "suppress", only_if_ci_wider_than=0.05),
         Threshold("complement_relative_ci_width", 1.30, "flag", only_if_ci_wider_than=0.05),
         Threshold("df", 8, "flag"),
         Threshold("zero_or_one", 0.5, "flag")],
        flag_marker="*", suppress_symbol="F", proportions_only=True, source=_NCHS_SOURCE)


#: The built-in rule sets by name.
RULE_SETS: dict[str, Any] = {"statcan": _statcan, "cv": _statcan, "nchs": _nchs}


def rules(name: str = "statcan") -> QualityRules:
    """A built-in, documented reliability rule set.

    Parameters
    ----------
    name : {"statcan", "cv", "nchs"}, default "statcan"
        ``"statcan"`` (and its alias ``"cv"``): Statistics Canada's CV thresholds
        (E above 16.5%, F above 33.3%) and at least 10 respondents.  ``"nchs"``:
        the NCHS presentation standards for proportions (effective sample size,
        absolute and relative CI width, df).  See the module documentation for
        the sources.

    Returns
    -------
    QualityRules

    Raises
    ------
    InputError
        An unknown name.

    Examples
    --------
    >>> rules("cv")
    QualityRules('statcan': cv > 0.165 flag; cv > 0.333 suppress; n < 10 suppress)
    >>> rules("cv").footnotes(locale="en")[0]
    'E Use with caution: coefficient of variation above 16.5%.'
    """
    if not isinstance(name, str) or name not in RULE_SETS:
        raise InputError(
            f"{name!r} is not a built-in quality rule set; choose one of {list(RULE_SETS)}, or "
            f"build your own with sw.quality.QualityRules(name, [sw.quality.Threshold(...)])"
        )
    return RULE_SETS[name]()
