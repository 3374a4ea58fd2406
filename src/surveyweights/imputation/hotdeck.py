"""Random hot-deck imputation within imputation classes.

The AI-Barometer 2025 (section 3.3) fills item non-response with the *random
hot deck*: every missing answer is replaced by the answer of a respondent
drawn at random from the same imputation class (sector x size), the *donor*.
This module implements that method, with the options a survey needs in
practice:

* skip logic: questions that were legitimately not asked are never imputed;
* coarser fallback classes for classes without donors, reported per level;
* joint imputation of related items from one donor (``blocks=``);
* donor selection with or without replacement, or proportional to a weight;
* proper multiple imputation through the approximate Bayesian bootstrap
  (:func:`multiply_impute`, combined with :func:`surveyweights.rubin.combine_rubin`).

Only numpy vectorised operations touch the rows: classes are factorised once,
rows are grouped by class with one stable sort, and all donors of an item are
drawn with a single call to the random generator.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _display
from ..errors import (
    ImputationError,
    InputError,
    MissingValueError,
    SurveyWeightsWarning,
    user_stacklevel,
)
from ..expressions import Expression, parse
from .rubin import MultipleImputation

__all__ = [
    "DONOR_METHODS",
    "EligibilityWarning",
    "HotDeckResult",
    "hot_deck",
    "multiply_impute",
]

#: Valid values of ``donors=`` in :func:`hot_deck`.
DONOR_METHODS = ("random", "weighted", "without_replacement")

_MAX_LISTED = 5  # how many offending values an error message lists


class EligibilityWarning(SurveyWeightsWarning):
    """Data contradict the skip logic given in ``eligible=``.

    Issued when a row that is not eligible for an item nevertheless holds a
    value (the value is kept and reported, never changed), or when the
    completed data break an eligibility rule because the rule depends on an
    item imputed later or separately.
    """


@dataclass(frozen=True)
class HotDeckResult:
    """Result of :func:`hot_deck`.

    Attributes
    ----------
    data : pandas.DataFrame
        Completed copy of the input: same index, columns, dtypes and
        categories; only the imputed cells differ.
    flags : pandas.DataFrame
        Boolean frame with the same index and one column per imputed item;
        True exactly where a value was imputed.
    report : pandas.DataFrame
        One row per item: ``item, block, n_missing, n_eligible_missing,
        n_imputed, n_not_eligible, n_ineligible_with_value, n_level_0,
        n_level_1, ...``. ``n_missing = n_eligible_missing + n_not_eligible``
        and ``n_imputed = n_eligible_missing = sum of n_level_*``.
    levels : pandas.DataFrame
        One row per class level: ``level`` (0 = ``by``, then the ``fallback``
        levels), ``class_columns`` (e.g. ``"nace x size"`` or ``"(everyone)"``)
        and ``n_imputed`` (cells over all items imputed from that level).
    donors : pandas.DataFrame or None
        With ``return_donors=True``: one row per imputed cell with
        ``recipient`` (index label), ``item``, ``donor`` (index label) and
        ``level``; otherwise None.
    """

    data: pd.DataFrame
    flags: pd.DataFrame
    report: pd.DataFrame
    levels: pd.DataFrame
    donors: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """Return the per-item report as a new DataFrame."""
        return self.report.copy()

    def __repr__(self) -> str:
        """One line: rows, items and imputed cells per item and per class level."""
        return f"HotDeckResult: {_summary(self.data, self.report, self.levels)}"

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.report,
                                   note="Completed data: .data; imputed cells: .flags")


def _summary(data: pd.DataFrame, report: pd.DataFrame, levels: pd.DataFrame) -> str:
    """``2,915 rows, 3 items, 120 cells imputed (plans 31, ...); from nace x size 110, ...``."""
    items = _display.counts(zip(report["item"].astype(str), report["n_imputed"]))
    text = (f"{_display.number(len(data))} rows, {_display.plural(len(report), 'item')}, "
            f"{_display.number(int(report['n_imputed'].sum()))} cells imputed ({items})")
    if len(levels):
        text += "; from " + _display.counts(zip(levels["class_columns"].astype(str),
                                                 levels["n_imputed"]))
    return text


# ----------------------------------------------------------------------------
# imputation classes
# ----------------------------------------------------------------------------


def _group_order(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Stable order that groups equal codes; a radix sort for < 65536 classes."""
    if n_classes <= np.iinfo(np.uint16).max:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


class _Level:
    """One class definition (a list of columns), factorised once."""

    def __init__(self, data: pd.DataFrame, number: int, columns: Sequence[str]):
        self.number = number
        self.columns = tuple(columns)
        n = len(data)
        if not self.columns:
            self.codes = np.zeros(n, dtype=np.intp)
            self.n_classes = 1
            self._uniques: list[pd.Index] = []
            self._radix: list[int] = []
            self._decode = None
            self._perm: np.ndarray | None = np.arange(n, dtype=np.intp)
            self._sorted_codes: np.ndarray | None = self.codes
            return
        codes = np.zeros(n, dtype=np.int64)
        uniques = []
        radix = []
        size = 1
        for col in self.columns:
            c, u = pd.factorize(data[col], sort=False)
            codes = codes * len(u) + c
            size *= len(u)
            uniques.append(pd.Index(u))
            radix.append(len(u))
        self._uniques = uniques
        self._radix = radix
        if size <= max(n, 1 << 16):
            self.codes = codes.astype(np.intp)
            self.n_classes = int(size)
            self._decode = None
        else:  # too many combinations for a dense code: compress to the observed ones
            kept, inv = np.unique(codes, return_inverse=True)
            self.codes = inv.astype(np.intp)
            self.n_classes = len(kept)
            self._decode = kept
        self._perm = None
        self._sorted_codes = None

    def perm(self) -> np.ndarray:
        """Row positions grouped by class (stable, so file order within class)."""
        if self._perm is None:
            self._perm = _group_order(self.codes, self.n_classes)
        return self._perm

    def sorted_codes(self) -> np.ndarray:
        """Class codes in the order of :meth:`perm` (non-decreasing)."""
        if self._sorted_codes is None:
            self._sorted_codes = self.codes[self.perm()]
        return self._sorted_codes

    def name(self) -> str:
        return " x ".join(self.columns) if self.columns else "(everyone)"

    def label(self, code: int) -> str:
        """Human-readable class label, e.g. ``nace='35-39', size='large'``."""
        if not self.columns:
            return "everyone"
        dense = int(self._decode[code]) if self._decode is not None else int(code)
        parts = []
        for col, u, r in zip(
            reversed(self.columns), reversed(self._uniques), reversed(self._radix)
        ):
            dense, c = divmod(dense, r)
            parts.append(f"{col}={u[c]!r}")
        return ", ".join(reversed(parts))


# ----------------------------------------------------------------------------
# the vectorised draw
# ----------------------------------------------------------------------------


def _draw(
    level: _Level,
    pool: np.ndarray,
    recipients: np.ndarray,
    rng: np.random.Generator,
    *,
    weights: np.ndarray | None,
    capacity: np.ndarray | None,
    bootstrap: bool,
) -> np.ndarray:
    """Draw one donor row for each recipient row from its class at ``level``.

    ``pool`` is a boolean mask of the rows allowed to donate (with ``weights``,
    only rows of positive weight). Returns the donor
    row position for each recipient, or -1 where the class has no donor (or,
    with ``capacity``, no donor use left). Updates ``capacity`` in place.
    """
    out = np.full(recipients.shape, -1, dtype=np.intp)
    if recipients.size == 0:
        return out
    perm = level.perm()
    keep = pool[perm]
    ds = perm[keep]  # donor rows, grouped by class
    gd = level.sorted_codes()[keep]
    if capacity is not None:
        keep = capacity[ds] > 0
        ds = ds[keep]
        gd = gd[keep]
    if ds.size == 0:
        return out
    n_classes = level.n_classes
    counts = np.bincount(gd, minlength=n_classes)
    starts = np.cumsum(counts) - counts
    gr = level.codes[recipients]

    if bootstrap:
        # Approximate Bayesian bootstrap (Rubin & Schenker 1986): replace each
        # class's donor pool by a with-replacement resample of the same size.
        ds = ds[starts[gd] + rng.integers(0, counts[gd])]

    if capacity is None:
        has = counts[gr] > 0
        g = gr[has]
        if weights is None:
            pos = starts[g] + rng.integers(0, counts[g])
        else:
            # inverse-CDF draw on the cumulative weights of the class
            cw = np.cumsum(weights[ds])
            end = starts + counts - 1
            lo = np.where(starts > 0, cw[np.maximum(starts - 1, 0)], 0.0)
            hi = cw[np.maximum(end, 0)] if cw.size else np.zeros(n_classes)
            target = lo[g] + rng.random(g.size) * (hi[g] - lo[g])
            order = np.argsort(target)  # sorted needles make searchsorted cache-friendly
            pos = np.empty(target.size, dtype=np.intp)
            pos[order] = np.searchsorted(cw, target[order], side="right")
            pos = np.clip(pos, starts[g], end[g])
        out[has] = ds[pos]
        return out

    # each donor used at most capacity[d] more times: sample without
    # replacement from the pool in which donor d appears capacity[d] times
    n_rec = np.bincount(gr, minlength=n_classes)
    copies = np.minimum(capacity[ds], n_rec[gd])
    slots = np.repeat(ds, copies)
    gs = np.repeat(gd, copies)
    if weights is None:
        key = rng.random(slots.size)
    else:
        # Efraimidis & Spirakis (2006): the k smallest Exp(1)/w form a
        # successive-sampling (weighted without replacement) sample
        key = rng.exponential(size=slots.size) / weights[slots]
    order = np.argsort(key)  # random order, then grouped by class (stable)
    order = order[_group_order(gs[order], n_classes)]
    slots = slots[order]
    slot_counts = np.bincount(gs, minlength=n_classes)
    slot_starts = np.cumsum(slot_counts) - slot_counts
    # recipients in random order within class; the first ones get the slots
    rorder = rng.permutation(gr.size)
    rorder = rorder[_group_order(gr[rorder], n_classes)]
    g_sorted = gr[rorder]
    rec_starts = np.cumsum(n_rec) - n_rec
    rank = np.arange(gr.size) - rec_starts[g_sorted]
    ok = rank < slot_counts[g_sorted]
    chosen = slots[slot_starts[g_sorted[ok]] + rank[ok]]
    out[rorder[ok]] = chosen
    np.subtract.at(capacity, chosen, 1)
    return out


# ----------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------


def _as_name_list(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if value is None or not isinstance(value, Sequence):
        raise InputError(
            f"{what}={value!r} is not a column name or a list of column names; "
            f"pass e.g. {what}=['nace', 'size']"
        )
    out = list(value)
    for v in out:
        if not isinstance(v, str):
            raise InputError(
                f"{what} contains {v!r} ({type(v).__name__}), but column names must "
                f"be strings; pass {what} as a list of column names"
            )
    return out


def _check_columns(data: pd.DataFrame, names: Sequence[str], what: str) -> None:
    unknown = [c for c in names if c not in data.columns]
    if unknown:
        raise InputError(
            f"{what} names column(s) {unknown} that are not in the data; "
            f"available columns: {list(map(str, data.columns))}"
        )


def _make_rng(rng: Any) -> np.random.Generator:
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"rng={rng!r} cannot seed a random generator ({exc}); pass an int seed, "
            "a numpy.random.Generator or a numpy.random.SeedSequence"
        ) from None


def _aligned_vector(value: Any, data: pd.DataFrame, what: str) -> np.ndarray:
    """A Series aligned on data.index, or an array of len(data), as numpy."""
    if isinstance(value, pd.DataFrame):
        raise InputError(f"{what} is a DataFrame; pass one boolean Series or array")
    if isinstance(value, pd.Series):
        if not value.index.equals(data.index):
            raise InputError(
                f"{what} is a Series whose index is not the data's index "
                f"(length {len(value)} vs {len(data)}, or other labels/order); "
                "align it first, e.g. value.reindex(data.index)"
            )
        return value
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.shape[0] != len(data):
        raise InputError(
            f"{what} has shape {arr.shape} but the data have {len(data)} rows; "
            "pass one value per row (a Series on data.index or a 1-d array)"
        )
    return arr


def _as_mask(value: Any, data: pd.DataFrame, what: str) -> np.ndarray:
    vec = _aligned_vector(value, data, what)
    if isinstance(vec, pd.Series):
        n_na = int(vec.isna().sum())
        if n_na:
            raise MissingValueError(
                f"{what} has {n_na} missing value(s); an eligibility rule must be "
                "True or False for every row: fill them, e.g. mask.fillna(False)"
            )
        if not (pd.api.types.is_bool_dtype(vec.dtype)):
            raise InputError(
                f"{what} has dtype {vec.dtype}, but an eligibility mask must be "
                "boolean; build it with a comparison, e.g. data['adoption'].eq('adopter')"
            )
        return vec.to_numpy(dtype=bool)
    if vec.dtype != bool:
        raise InputError(
            f"{what} has dtype {vec.dtype}, but an eligibility mask must be "
            "boolean; build it with a comparison, e.g. data['adoption'].eq('adopter')"
        )
    return vec.astype(bool, copy=False)


def _eligibility(spec: Any, current: pd.DataFrame, item: str) -> np.ndarray:
    """Evaluate ``eligible[item]`` on the current (partly imputed) data."""
    what = f"eligible[{item!r}]"
    if spec is None:
        return np.ones(len(current), dtype=bool)
    if isinstance(spec, (str, Expression)):
        # parsed by the library, never run as Python; a missing result is not eligible
        return parse(spec, what=what).mask(current, what=what)
    if callable(spec):
        value = spec(current.copy(deep=False))
        return _as_mask(value, current, f"{what} (callable)")
    return _as_mask(spec, current, what)


def _labels(index: pd.Index, positions: np.ndarray) -> str:
    shown = [repr(x) for x in index[positions[:_MAX_LISTED]]]
    more = f" and {positions.size - _MAX_LISTED} more" if positions.size > _MAX_LISTED else ""
    return ", ".join(shown) + more


# ----------------------------------------------------------------------------
# hot_deck
# ----------------------------------------------------------------------------


def hot_deck(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str | Sequence[str],
    rng: Any,
    eligible: Mapping[str, Any] | None = None,
    fallback: Sequence[str | Sequence[str]] | None = None,
    donors: str = "random",
    weights: str | pd.Series | np.ndarray | None = None,
    max_uses: int | None = None,
    blocks: Sequence[Sequence[str]] | None = None,
    bootstrap: bool = False,
    return_donors: bool = False,
) -> HotDeckResult:
    """Random hot-deck imputation within imputation classes.

    Every missing value of each listed item is replaced by the value of a
    donor: a respondent drawn at random from the same imputation class who is
    eligible for the item and answered it.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent data, one row per unit. It is not modified.
    columns : str or list of str
        Items to impute, processed in this order (a block at the position of
        its first item). Eligibility rules of later items see the values
        imputed for earlier ones.
    by : str or list of str
        Columns defining the imputation classes (e.g. ``["nace", "size"]``);
        ``[]`` makes one class of everyone. They must have no missing values.
    rng : int, numpy.random.Generator or numpy.random.SeedSequence
        Source of all randomness (anything :func:`numpy.random.default_rng`
        accepts). The same seed gives the same result; nothing global is used.
    eligible : dict, optional
        Skip logic: ``{item: rule}`` with ``rule`` a boolean mask (Series on
        ``data.index`` or array), an expression string such as
        ``"adoption == 'adopter'"`` (the safe language of
        :mod:`surveyweights.expressions`, never run as Python; a row where the
        condition is missing is not eligible), or a callable ``(data) -> mask``
        evaluated on the data completed so far. Only eligible rows are imputed
        and only eligible rows donate.
        Items not listed are eligible everywhere.
    fallback : list of lists of str, optional
        Ordered, coarser class definitions, e.g. ``[["size"], []]`` for
        sector x size -> size -> everyone. A recipient whose class has no
        donor is served by the first level whose class has one. Default None:
        such a class is an error.
    donors : {"random", "weighted", "without_replacement"}
        ``"random"``: simple random draw with replacement (default).
        ``"weighted"``: with replacement, probability proportional to
        ``weights``. ``"without_replacement"``: each donor used at most once
        per item (same as ``max_uses=1``).
    weights : str, Series or array, optional
        Donor weights for ``donors="weighted"`` (a column name or one value per
        row); finite and non-negative. Only allowed with ``"weighted"``.
    max_uses : int, optional
        Each donor is used at most this many times per item (per block),
        summed over all classes and fallback levels. Recipients beyond the
        capacity of their class go to the next fallback level.
    blocks : list of lists of str, optional
        Items imputed jointly from one donor, e.g. ``[["initiative", "phase"]]``.
        See Notes for the exact rule.
    bootstrap : bool, default False
        Draw donors from an approximate-Bayesian-bootstrap resample of each
        class's donor pool (Rubin & Schenker 1986). Used by
        :func:`multiply_impute`; not combinable with ``max_uses``.
    return_donors : bool, default False
        Also return, per imputed cell, the donor's index label and level.

    Returns
    -------
    HotDeckResult
        ``data`` (completed copy), ``flags``, ``report``, ``levels`` and
        ``donors`` (None unless ``return_donors=True``).

    Raises
    ------
    InputError
        Unknown column or option, misaligned mask or weights, bad ``rng``,
        conflicting options.
    MissingValueError
        A class column, an eligibility mask or a donor weight has a missing
        value.
    ImputationError
        A class has recipients but no donor at any allowed level, an item has
        no observed value, or the eligibility rules contradict a block.

    Warns
    -----
    EligibilityWarning
        Rows that are not eligible for an item but hold a value (kept as is),
        or completed data that break an eligibility rule.

    Notes
    -----
    **Algorithm.** For a level with class codes ``g`` (factorised once), rows
    are grouped by class with one stable sort. For an item, the donor rows
    (eligible and observed) keep that grouping after boolean filtering, so
    ``counts[g]`` and ``starts[g]`` follow from one ``bincount``. All
    recipients are then served by one vectorised call
    ``starts[g] + rng.integers(0, counts[g])``: a simple random draw with
    replacement within the class, the random hot deck of Andridge & Little
    (2010, sec. 2). Weighted draws invert the cumulative donor weights of the
    class (``searchsorted``). Draws with ``max_uses=k`` take a simple random
    sample without replacement from the pool in which every donor appears
    ``k`` times (random sort keys, or Efraimidis-Spirakis keys ``E/w`` with
    ``E ~ Exp(1)`` for weighted draws); recipients that exceed the capacity of
    their class are chosen at random and passed to the next level. Without
    fallback the expected value of an imputed class mean equals the
    respondents' class mean, so under missingness completely at random within
    classes the completed-data estimators are unbiased.

    **Eligibility.** ``eligible[item]`` is evaluated when the item (or its
    block) is imputed, on the data completed so far. A missing value in an
    eligible row is imputed; a missing value in an ineligible row is a skip
    and is reported as ``n_not_eligible``; a value in an ineligible row is
    kept, counted as ``n_ineligible_with_value`` and warned about; such rows
    never donate. After all items, the rules are evaluated again on the
    completed data and an :class:`EligibilityWarning` names any item whose
    completed values break its rule (e.g. ``phase`` imputed before
    ``initiative``).

    **Blocks.** For a block ``[a, b, ...]`` (processed in that order), with
    eligibility evaluated on the data before the block:

    1. *Recipients* are the rows with at least one eligible missing block item.
    2. A recipient's *required set* is every block item it answered or is
       eligible for. A *donor* for it is a row that is not itself a recipient,
       holds no value where it is ineligible, and has answered (and is
       eligible for) every item of the required set. One donor is drawn per
       recipient, within its class (then fallback levels).
    3. The items are copied in block order from that one donor: item ``b`` is
       copied where ``b`` is missing and the recipient is eligible for ``b``
       *on the data with ``a`` already copied*. So skip logic travels with the
       donor: for ``blocks=[["initiative", "phase"]]`` with ``phase`` eligible
       where initiative is not individual, a recipient missing both gets the
       donor's initiative, and the donor's phase exactly when that initiative
       routes to phase; a recipient with an observed phase but a missing
       initiative only gets donors who answered phase, so its imputed
       initiative is one that routes to phase.
    4. If a recipient is eligible for an item but its donor has no value (the
       rule depends on something the donor and recipient do not share), an
       :class:`~surveyweights.errors.ImputationError` explains the fix.

    A single item is a block of one, so the same rule covers both.

    **Fallback.** Levels are tried in order ``by``, ``fallback[0]``, ... . A
    recipient uses the first level whose class has a donor (with capacity
    left); ``report["n_level_<l>"]`` counts the cells per level. A recipient
    without donor at the last level is an error: nothing is imputed silently
    from outside the class.

    **Reproducibility.** All draws come from one generator made by
    ``numpy.random.default_rng(rng)``, consumed in a fixed order (items, then
    response patterns, then levels).

    References
    ----------
    Andridge, R. R. & Little, R. J. A. (2010). A review of hot deck imputation
    for survey non-response. *International Statistical Review* 78(1), 40-64.

    Rubin, D. B. & Schenker, N. (1986). Multiple imputation for interval
    estimation from simple random samples with ignorable nonresponse. *JASA*
    81(394), 366-374.

    Efraimidis, P. S. & Spirakis, P. G. (2006). Weighted random sampling with a
    reservoir. *Information Processing Letters* 97(5), 181-185.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyweights.imputation import hot_deck
    >>> df = pd.DataFrame({
    ...     "size": ["small", "small", "small", "large", "large"],
    ...     "budget": ["up", None, "up", "down", None],
    ... })
    >>> res = hot_deck(df, ["budget"], by=["size"], rng=2025)
    >>> res.data["budget"].tolist()
    ['up', 'up', 'up', 'down', 'down']
    >>> res.flags["budget"].tolist()
    [False, True, False, False, True]
    >>> res.report[["item", "n_missing", "n_imputed", "n_level_0"]]
         item  n_missing  n_imputed  n_level_0
    0  budget          2          2          2
    """
    # ---------------------------------------------------------------- checks
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"data is a {type(data).__name__}, but hot_deck needs a pandas DataFrame; "
            "wrap it with pandas.DataFrame(...)"
        )
    items = _as_name_list(columns, "columns")
    if not items:
        raise InputError("columns=[] names no item to impute; pass at least one column")
    dup = sorted({c for c in items if items.count(c) > 1})
    if dup:
        raise InputError(f"columns lists {dup} more than once; list each item once")
    _check_columns(data, items, "columns")
    by_cols = _as_name_list(by, "by")
    _check_columns(data, by_cols, "by")
    level_defs: list[list[str]] = [by_cols]
    if fallback is not None:
        if isinstance(fallback, str) or not isinstance(fallback, Sequence):
            raise InputError(
                f"fallback={fallback!r} must be a list of class definitions, "
                "e.g. fallback=[['size'], []]"
            )
        for k, lev in enumerate(fallback):
            cols = _as_name_list(lev, f"fallback[{k}]")
            _check_columns(data, cols, f"fallback[{k}]")
            level_defs.append(cols)
    class_cols = sorted({c for lev in level_defs for c in lev})
    clash = [c for c in items if c in class_cols]
    if clash:
        raise InputError(
            f"{clash} are both items to impute and class columns (by/fallback); "
            "a class column must be complete: remove it from columns or from by"
        )
    for col in class_cols:
        na = data[col].isna().to_numpy()
        if na.any():
            pos = np.flatnonzero(na)
            raise MissingValueError(
                f"class column {col!r} has {pos.size} missing value(s) (rows "
                f"{_labels(data.index, pos)}); every row needs a class: fill them "
                f"explicitly (e.g. data[{col!r}].fillna('unknown')) or drop those rows"
            )

    if not isinstance(donors, str) or donors not in DONOR_METHODS:
        raise InputError(
            f"donors={donors!r} is not a donor method; valid: {list(DONOR_METHODS)}"
        )
    if max_uses is not None:
        if (
            isinstance(max_uses, bool)
            or not isinstance(max_uses, numbers.Integral)
            or max_uses < 1
        ):
            raise InputError(
                f"max_uses={max_uses!r} must be a positive integer (times a donor may "
                "be used per item) or None for unlimited"
            )
        max_uses = int(max_uses)
    if donors == "without_replacement":
        if max_uses not in (None, 1):
            raise InputError(
                f"donors='without_replacement' means max_uses=1, but max_uses={max_uses}; "
                "use donors='random' with max_uses=k to allow k uses"
            )
        max_uses = 1
    if bootstrap and max_uses is not None:
        raise InputError(
            f"bootstrap=True cannot be combined with max_uses={max_uses} "
            "(or donors='without_replacement'): the bootstrap pool repeats donors; "
            "use donors='random' or 'weighted' for multiple imputation"
        )

    w_arr: np.ndarray | None = None
    if donors == "weighted":
        if weights is None:
            raise InputError(
                "donors='weighted' needs weights=: a column name or one weight per row"
            )
        if isinstance(weights, str):
            _check_columns(data, [weights], "weights")
            if weights in items:
                raise InputError(
                    f"weights={weights!r} is also an item to impute; donor weights "
                    "must be complete: use another column"
                )
            wvec = data[weights]
        else:
            wvec = _aligned_vector(weights, data, "weights")
        try:
            w_arr = np.asarray(pd.to_numeric(pd.Series(np.asarray(wvec))), dtype=float)
        except (TypeError, ValueError):
            raise InputError(
                "weights are not numeric; pass a numeric column or array of donor weights"
            ) from None
        bad = np.flatnonzero(~np.isfinite(w_arr))
        if bad.size:
            raise MissingValueError(
                f"weights have {bad.size} missing or infinite value(s) (rows "
                f"{_labels(data.index, bad)}); donor weights must be finite: "
                "fill or fix them before donors='weighted'"
            )
        neg = np.flatnonzero(w_arr < 0)
        if neg.size:
            raise InputError(
                f"weights have {neg.size} negative value(s) (e.g. {float(w_arr[neg[0]])!r} "
                f"at row {_labels(data.index, neg[:1])}); donor weights must be >= 0"
            )
    elif weights is not None:
        raise InputError(
            f"weights= is only used with donors='weighted', but donors={donors!r}; "
            "drop weights= or set donors='weighted'"
        )

    elig_specs: dict[str, Any] = dict(eligible or {})
    unknown = [k for k in elig_specs if k not in items]
    if unknown:
        raise InputError(
            f"eligible names {unknown}, which are not items in columns={items}; "
            "eligibility rules are only for imputed items"
        )

    block_of: dict[str, tuple[str, ...]] = {}
    for blk in blocks or []:
        names = _as_name_list(blk, "blocks[...]")
        if not names:
            raise InputError("blocks contains an empty block; remove it")
        for c in names:
            if c not in items:
                raise InputError(
                    f"block {names} names {c!r}, which is not in columns={items}; "
                    "every block item must also be listed in columns"
                )
            if c in block_of:
                raise InputError(
                    f"{c!r} is in two blocks ({list(block_of[c])} and {names}); "
                    "an item can belong to one block only"
                )
        if len(set(names)) != len(names):
            raise InputError(f"block {names} lists an item twice; list each once")
        for c in names:
            block_of[c] = tuple(names)
    units: list[tuple[str, ...]] = []
    for c in items:
        unit = block_of.get(c, (c,))
        if unit not in units:
            units.append(unit)

    if not isinstance(return_donors, bool):
        raise InputError(f"return_donors={return_donors!r} must be True or False")
    if not isinstance(bootstrap, bool):
        raise InputError(f"bootstrap={bootstrap!r} must be True or False")
    gen = _make_rng(rng)

    na_start = {c: data[c].isna().to_numpy() for c in items}
    for c in items:
        if na_start[c].all():
            raise ImputationError(
                f"item {c!r} has no observed value in any of the {len(data)} rows, so "
                "there is no donor; remove it from columns (or check the column name)"
            )

    # --------------------------------------------------------------- impute
    n = len(data)
    index = data.index
    out = data.copy(deep=False)
    levels: list[_Level | None] = [None] * len(level_defs)

    def get_level(k: int) -> _Level:
        if levels[k] is None:
            levels[k] = _Level(data, k, level_defs[k])
        return levels[k]  # type: ignore[return-value]

    n_levels = len(level_defs)
    w_positive = w_arr > 0 if w_arr is not None else None
    flags: dict[str, np.ndarray] = {}
    report_rows: dict[str, dict[str, Any]] = {}
    donor_parts: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []
    warn_msgs: list[str] = []

    for unit in units:
        k = len(unit)
        unit_name = " + ".join(unit)
        elig_pre = np.empty((k, n), dtype=bool)
        na_pre = np.empty((k, n), dtype=bool)
        for j, item in enumerate(unit):
            elig_pre[j] = _eligibility(elig_specs.get(item), out, item)
            # an item's column only changes when its own unit is imputed
            na_pre[j] = na_start[item]
        if k == 1:
            recips = np.flatnonzero(elig_pre[0] & na_pre[0])
            donor_base = None  # the pool below is eligible & observed
        else:
            recip_mask = (elig_pre & na_pre).any(axis=0)
            ineligible_value = (~elig_pre & ~na_pre).any(axis=0)
            donor_base = ~recip_mask & ~ineligible_value
            recips = np.flatnonzero(recip_mask)
        # required set per recipient as a bit pattern over the block items
        required = elig_pre[:, recips] | ~na_pre[:, recips]
        bits = (required * (1 << np.arange(k))[:, None]).sum(axis=0)
        donor_row = np.full(recips.size, -1, dtype=np.intp)
        level_used = np.full(recips.size, -1, dtype=np.intp)
        capacity = np.full(n, max_uses, dtype=np.int64) if max_uses is not None else None

        for pattern in np.unique(bits):
            need = [j for j in range(k) if pattern >> j & 1]
            pool = elig_pre[need[0]] & ~na_pre[need[0]]
            for j in need[1:]:
                pool &= elig_pre[j] & ~na_pre[j]
            if donor_base is not None:
                pool &= donor_base
            draw_pool = pool & w_positive if w_positive is not None else pool
            todo = np.flatnonzero(bits == pattern)
            for lev in range(n_levels):
                if todo.size == 0:
                    break
                level = get_level(lev)
                got = _draw(
                    level,
                    draw_pool,
                    recips[todo],
                    gen,
                    weights=w_arr,
                    capacity=capacity,
                    bootstrap=bootstrap,
                )
                ok = got >= 0
                donor_row[todo[ok]] = got[ok]
                level_used[todo[ok]] = lev
                todo = todo[~ok]
            if todo.size:
                raise _no_donor_error(
                    get_level(n_levels - 1),
                    recips[todo],
                    pool,
                    unit,
                    [unit[j] for j in need],
                    fallback is not None,
                    by_cols,
                    max_uses,
                    w_arr,
                )

        # copy item by item from the one donor, re-evaluating eligibility
        for j, item in enumerate(unit):
            elig_now = (
                elig_pre[j] if j == 0 else _eligibility(elig_specs.get(item), out, item)
            )
            na_now = na_pre[j]
            take = elig_now[recips] & na_now[recips]
            rec_rows = recips[take]
            don_rows = donor_row[take]
            col = out[item]
            donor_missing = na_now[don_rows]
            if donor_missing.any():
                bad = rec_rows[donor_missing]
                raise ImputationError(
                    f"block {list(unit)}: {bad.size} recipient(s) (rows "
                    f"{_labels(index, bad)}) are eligible for {item!r} after the "
                    f"earlier block items were copied, but their donor has no value "
                    f"for {item!r}; the eligibility rule of {item!r} depends on data "
                    "that donor and recipient do not share: add those columns to by=, "
                    f"or impute {item!r} as its own item instead of in a block"
                )
            arr = col.array.copy()
            if rec_rows.size:
                arr[rec_rows] = col.array.take(don_rows)
                out[item] = pd.Series(arr, index=index, name=item)
            flag = np.zeros(n, dtype=bool)
            flag[rec_rows] = True
            flags[item] = flag
            lev_counts = np.bincount(level_used[take], minlength=n_levels)
            n_inel_val = int((~elig_now & ~na_now).sum())
            if n_inel_val:
                pos = np.flatnonzero(~elig_now & ~na_now)
                warn_msgs.append(
                    f"item {item!r}: {n_inel_val} row(s) are not eligible but hold a value "
                    f"(rows {_labels(index, pos)}); the values are kept and these rows "
                    "do not donate; check the skip logic in eligible= or the data"
                )
            row = {
                "item": item,
                "block": unit_name,
                "n_missing": int(na_now.sum()),
                "n_eligible_missing": int((elig_now & na_now).sum()),
                "n_imputed": int(rec_rows.size),
                "n_not_eligible": int((~elig_now & na_now).sum()),
                "n_ineligible_with_value": n_inel_val,
            }
            for lev in range(n_levels):
                row[f"n_level_{lev}"] = int(lev_counts[lev])
            report_rows[item] = row
            if return_donors:
                donor_parts.append((rec_rows, item, don_rows, level_used[take]))

    # --------------------------------------------- consistency of the result
    for item in items:
        spec = elig_specs.get(item)
        if spec is None or not (isinstance(spec, str) or callable(spec)):
            continue  # static rules cannot change
        final = _eligibility(spec, out, item)
        na = out[item].isna().to_numpy()
        gap = int((final & na).sum())
        extra = int((~final & ~na).sum()) - report_rows[item]["n_ineligible_with_value"]
        if gap or extra > 0:
            warn_msgs.append(
                f"item {item!r}: on the completed data {gap} eligible row(s) are still "
                f"missing and {max(extra, 0)} more ineligible row(s) hold a value, because "
                f"its rule eligible[{item!r}] depends on items imputed after it or "
                "separately; list it after those items in columns=, or impute them "
                "together with blocks="
            )
    for msg in warn_msgs:
        warnings.warn(msg, EligibilityWarning, stacklevel=user_stacklevel())

    report = pd.DataFrame([report_rows[c] for c in items])
    level_totals = [int(report[f"n_level_{lev}"].sum()) for lev in range(n_levels)]
    levels_frame = pd.DataFrame(
        {
            "level": np.arange(n_levels),
            "class_columns": [
                " x ".join(cols) if cols else "(everyone)" for cols in level_defs
            ],
            "n_imputed": level_totals,
        }
    )
    flags_frame = pd.DataFrame(flags, index=index)[items]
    donors_frame = None
    if return_donors:
        if donor_parts:
            rec = np.concatenate([p[0] for p in donor_parts])
            don = np.concatenate([p[2] for p in donor_parts])
            lev = np.concatenate([p[3] for p in donor_parts]).astype(np.int64)
            item_col = np.concatenate(
                [np.full(p[0].size, p[1], dtype=object) for p in donor_parts]
            )
        else:
            rec = don = np.zeros(0, dtype=np.intp)
            lev = np.zeros(0, dtype=np.int64)
            item_col = np.zeros(0, dtype=object)
        donors_frame = pd.DataFrame(
            {
                "recipient": index[rec],
                "item": pd.array(item_col, dtype="str"),
                "donor": index[don],
                "level": lev,
            }
        )
    return HotDeckResult(
        data=out,
        flags=flags_frame,
        report=report,
        levels=levels_frame,
        donors=donors_frame,
    )


def _no_donor_error(
    level: _Level,
    rows: np.ndarray,
    pool: np.ndarray,
    unit: tuple[str, ...],
    need: list[str],
    has_fallback: bool,
    by_cols: list[str],
    max_uses: int | None,
    w_arr: np.ndarray | None,
) -> ImputationError:
    """Build the error for recipients that found no donor at any level."""
    codes = level.codes[rows]
    uniq, cnt = np.unique(codes, return_counts=True)
    n_pool = np.bincount(level.codes[pool], minlength=level.n_classes)
    parts = []
    for code, c in list(zip(uniq, cnt))[:_MAX_LISTED]:
        parts.append(
            f"({level.label(int(code))}): {int(c)} recipient(s) left without donor, "
            f"{int(n_pool[code])} donor(s) in the class"
        )
    more = f" and {uniq.size - _MAX_LISTED} more class(es)" if uniq.size > _MAX_LISTED else ""
    what = f"item {unit[0]!r}" if len(unit) == 1 else f"block {list(unit)}"
    need_txt = (
        f"answered {unit[0]!r}"
        if len(unit) == 1 and need == list(unit)
        else f"answered all of {need}"
    )
    if max_uses is not None and (n_pool[uniq] > 0).any():
        cause = (
            f"donors who {need_txt} can each be used only max_uses={max_uses} time(s), "
            "which is fewer than the recipients"
        )
        fix = "allow more uses (max_uses=k or donors='random')"
    elif w_arr is not None and (n_pool[uniq] > 0).any():
        cause = f"all donors who {need_txt} have weight 0"
        fix = "give donors positive weights"
    else:
        cause = f"no eligible row of the class {need_txt}"
        fix = "merge classes"
    if has_fallback:
        where = f"even at the last fallback level [{level.name()}]"
        fix = f"add a coarser fallback level (e.g. [] for everyone) or {fix}"
    else:
        example = f"[{by_cols[1:]!r}, []]" if len(by_cols) > 1 else "[[]]"
        where = "in its imputation class"
        fix = (
            f"pass coarser classes to use instead, e.g. fallback={example}, "
            f"or {fix}; hot deck never imputes from outside the class unless asked"
        )
    return ImputationError(
        f"{what}: no donor {where}, because {cause}: " + "; ".join(parts) + more + f". Fix: {fix}"
    )


# ----------------------------------------------------------------------------
# multiple imputation
# ----------------------------------------------------------------------------


def multiply_impute(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    M: int,
    rng: Any,
    bootstrap: bool = False,
    **hot_deck_kwargs: Any,
) -> MultipleImputation:
    """Create ``M`` completed datasets by repeated random hot deck.

    Parameters
    ----------
    data, columns
        As in :func:`hot_deck`.
    M : int
        Number of imputations, at least 2.
    rng : int, numpy.random.Generator or numpy.random.SeedSequence
        Seed; imputation ``m`` uses the ``m``-th child of
        ``numpy.random.default_rng(rng).spawn(M)``, so the datasets are
        independent and reproducible.
    bootstrap : bool, default False
        Use the approximate Bayesian bootstrap (ABB): for each class and item
        the donor pool is first resampled with replacement, then donors are
        drawn from that resample. This makes the imputation *proper* in
        Rubin's sense, so the between-imputation variance reflects the
        uncertainty of the class distributions. Without it, Rubin's variance
        is too small.
    **hot_deck_kwargs
        Passed to :func:`hot_deck` (``by``, ``eligible``, ``fallback``,
        ``donors``, ``weights``, ``blocks``, ...).

    Returns
    -------
    MultipleImputation
        The ``M`` completed datasets, their flags and reports; use
        :meth:`MultipleImputation.estimate` to pool estimates.

    Raises
    ------
    InputError
        ``M`` is not an integer >= 2, or any :func:`hot_deck` error.

    Notes
    -----
    ABB for a class with ``n_obs`` donors and ``n_mis`` recipients: draw
    ``n_obs`` values with replacement from the donors, then draw the
    ``n_mis`` imputations with replacement from those values (Rubin &
    Schenker 1986). With the ``M`` datasets analysed separately, the results
    are combined by Rubin's rules (:func:`surveyweights.rubin.combine_rubin`).

    References
    ----------
    Rubin, D. B. (1987). *Multiple Imputation for Nonresponse in Surveys*.
    Wiley.

    Rubin, D. B. & Schenker, N. (1986). Multiple imputation for interval
    estimation from simple random samples with ignorable nonresponse. *JASA*
    81(394), 366-374.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyweights.imputation import multiply_impute
    >>> df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4,
    ...                    "y": [1.0, None, 0.0, 1.0, 0.0, 0.0, None, 1.0]})
    >>> mi = multiply_impute(df, ["y"], by=["g"], M=5, rng=1, bootstrap=True)
    >>> mi.M, len(mi.datasets), bool(mi.datasets[0]["y"].notna().all())
    (5, 5, True)
    """
    if isinstance(M, bool) or not isinstance(M, numbers.Integral) or M < 2:
        raise InputError(
            f"M={M!r} imputations is too few: multiple imputation needs an integer "
            "M >= 2 to estimate the between-imputation variance; use hot_deck for "
            "a single imputation"
        )
    gen = _make_rng(rng)
    results = [
        hot_deck(data, columns, rng=child, bootstrap=bootstrap, **hot_deck_kwargs)
        for child in gen.spawn(int(M))
    ]
    return MultipleImputation(
        datasets=tuple(r.data for r in results),
        flags=tuple(r.flags for r in results),
        reports=tuple(r.report for r in results),
        bootstrap=bootstrap,
    )
