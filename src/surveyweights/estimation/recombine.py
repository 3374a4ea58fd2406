"""Recombine published domain percentages into a population percentage.

A report often prints a percentage per domain (per sector, per size class)
rounded to one decimal, next to the exact domain population sizes.  The
population-level percentage is the size-weighted mean of the domain
percentages.  :func:`recombine` computes it and propagates the rounding of
every printed input to an exact interval, so that a printed total can be
checked against its own tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _display
from ..errors import DomainError, InputError, MissingValueError, PopulationFrameError

__all__ = ["recombine", "Recombination", "RecombinationTable"]

#: Slack (in percentage points) used when two closed intervals are compared, so
#: that intervals which touch exactly are not declared disjoint because of
#: floating-point error in the last bits.
_TOUCH_TOL = 1e-9

_FRAME_COLUMNS = ["item", "estimate", "low", "high", "published", "consistent"]


def _interval_overlaps(low: float, high: float, published: float, precision: float) -> bool:
    half = precision / 2.0
    return bool(low <= published + half + _TOUCH_TOL and published - half <= high + _TOUCH_TOL)


def _check_precision_scalar(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(
            f"{name}={value!r} is not a number; give the printed rounding step in "
            f"percentage points, e.g. {name}=0.1 for one decimal"
        )
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InputError(
            f"{name}={value!r} must be a finite number >= 0 (the rounding step in "
            f"percentage points, e.g. 0.1 for one decimal; 0 for exact values)"
        )
    return value


def _check_published_scalar(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(
            f"published={value!r} is not a number; give the printed percentage, e.g. 58.8"
        )
    if not math.isfinite(float(value)):
        raise InputError(f"published={value!r} must be a finite percentage, e.g. 58.8")
    return float(value)


@dataclass(frozen=True)
class Recombination:
    """Recombined percentage of one item with its rounding interval.

    Attributes
    ----------
    item : str or None
        Name of the item (the Series name or DataFrame column), if any.
    estimate : float
        ``sum_d a_d p_d / sum_d a_d`` evaluated at the printed values.
    low, high : float
        Minimum and maximum of the same expression over every combination of
        inputs inside their rounding intervals.  ``low <= estimate <= high``.
    n_domains : int
        Number of domains combined.
    published : float or None
        The published population value given to :func:`recombine`, if any.
    published_precision : float
        Rounding step of ``published`` (percentage points).
    """

    item: str | None
    estimate: float
    low: float
    high: float
    n_domains: int
    published: float | None = None
    published_precision: float = 0.1

    def consistent_with(self, published: float, *, precision: float = 0.1) -> bool:
        """Whether a published value agrees with the recombined interval.

        Parameters
        ----------
        published : float
            The published population percentage, e.g. ``58.8``.
        precision : float, default 0.1
            Rounding step of the published value in percentage points; the
            true value lies in ``[published - precision/2, published + precision/2]``.

        Returns
        -------
        bool
            ``True`` when that interval and ``[low, high]`` overlap (closed
            intervals; a touch counts as agreement).
        """
        published = _check_published_scalar(published)
        precision = _check_precision_scalar(precision, "precision")
        return _interval_overlaps(self.low, self.high, published, precision)

    @property
    def consistent(self) -> bool | None:
        """``consistent_with`` the value given to :func:`recombine`, else ``None``."""
        if self.published is None:
            return None
        return self.consistent_with(self.published, precision=self.published_precision)

    def __repr__(self) -> str:
        """One line: the recombined value, its rounding interval and the agreement."""
        name = f"{self.item}: " if self.item is not None else ""
        text = (f"Recombination: {name}{self.estimate:.2f} in [{self.low:.2f}, {self.high:.2f}] "
                f"from {self.n_domains} domains")
        if self.published is not None:
            text += f"; published {_display.number(self.published)}: consistent = {self.consistent}"
        return text

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self))

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame ``item, estimate, low, high, published, consistent``."""
        return pd.DataFrame(
            {
                "item": pd.Series([self.item], dtype="str"),
                "estimate": [self.estimate],
                "low": [self.low],
                "high": [self.high],
                "published": [np.nan if self.published is None else self.published],
                "consistent": pd.array([self.consistent], dtype="boolean"),
            },
            columns=_FRAME_COLUMNS,
        )


@dataclass(frozen=True)
class RecombinationTable:
    """Recombined percentages of several items (one :class:`Recombination` each).

    Returned by :func:`recombine` when ``percentages`` is a DataFrame
    (domains x items).  ``estimate``, ``low`` and ``high`` are Series indexed
    by item; ``table["item"]`` gives the item's :class:`Recombination`.
    """

    results: tuple[Recombination, ...]

    @property
    def items(self) -> list[str]:
        return [r.item for r in self.results]  # type: ignore[misc]

    def _series(self, attr: str) -> pd.Series:
        return pd.Series(
            [getattr(r, attr) for r in self.results],
            index=pd.Index(self.items, dtype="str", name="item"),
            name=attr,
            dtype="float64",
        )

    @property
    def estimate(self) -> pd.Series:
        return self._series("estimate")

    @property
    def low(self) -> pd.Series:
        return self._series("low")

    @property
    def high(self) -> pd.Series:
        return self._series("high")

    def __getitem__(self, item: str) -> Recombination:
        for r in self.results:
            if r.item == item:
                return r
        raise DomainError(f"unknown item {item!r}; valid items are {self.items}")

    def __len__(self) -> int:
        return len(self.results)

    def consistent_with(
        self, published: pd.Series | Mapping[str, float], *, precision: float = 0.1
    ) -> pd.Series:
        """Per-item agreement with published values.

        Parameters
        ----------
        published : Series or mapping
            Published population percentages keyed by item.  Every key must be
            an item of this table; items without a published value are absent
            from the result.
        precision : float, default 0.1
            Rounding step of the published values (percentage points).

        Returns
        -------
        pandas.Series of bool
            Indexed by item, ``True`` where the intervals overlap.
        """
        pub = _published_by_item(published, self.items)
        precision = _check_precision_scalar(precision, "precision")
        return pd.Series(
            [self[i].consistent_with(v, precision=precision) for i, v in pub.items()],
            index=pd.Index(list(pub.keys()), dtype="str", name="item"),
            name="consistent",
            dtype="bool",
        )

    def __repr__(self) -> str:
        """One row per item: recombined value, rounding interval, published, agreement."""
        title = f"RecombinationTable: {_display.plural(len(self.results), 'item')}"
        if not self.results:
            return title
        return f"{title}\n" + _display.table(
            self.to_frame(), ["item"], ["estimate", "low", "high", "published", "consistent"])

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self).split("\n")[0], self.to_frame())

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item, estimate, low, high, published, consistent``."""
        if not self.results:
            return pd.DataFrame(columns=_FRAME_COLUMNS)
        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)


def _published_by_item(published: Any, items: list[str]) -> dict[str, float]:
    if isinstance(published, pd.Series):
        pub = dict(zip(published.index, published.to_numpy()))
    elif isinstance(published, Mapping):
        pub = dict(published)
    else:
        raise InputError(
            f"published must be a Series or mapping keyed by item for DataFrame input, "
            f"got {type(published).__name__}"
        )
    unknown = [k for k in pub if k not in items]
    if unknown:
        raise DomainError(
            f"published values for unknown items {unknown}; valid items are {items}"
        )
    out: dict[str, float] = {}
    for k, v in pub.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InputError(f"published value for item {k!r} is {v!r}, not a number")
        if not math.isfinite(float(v)):
            raise MissingValueError(
                f"published value for item {k!r} is {v!r}; leave the item out instead"
            )
        out[str(k)] = float(v)
    return out


# --------------------------------------------------------------------------
# validation of the inputs
# --------------------------------------------------------------------------


def _as_series(x: Any, name: str) -> pd.Series:
    if isinstance(x, pd.DataFrame):
        raise InputError(
            f"{name} must be a Series indexed by domain, got a DataFrame; only "
            f"`percentages` may be a DataFrame (domains x items)"
        )
    if isinstance(x, Mapping):
        x = pd.Series(dict(x))
    if not isinstance(x, pd.Series):
        raise InputError(
            f"{name} must be a pandas Series indexed by domain label, got {type(x).__name__}"
        )
    return x


def _check_index(idx: pd.Index, name: str) -> None:
    if idx.has_duplicates:
        dup = sorted({str(v) for v in idx[idx.duplicated()]})
        raise DomainError(f"{name} has duplicate domain labels {dup}; give one value per domain")


def _check_numeric(values: pd.DataFrame | pd.Series, name: str) -> None:
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    for col in frame.columns:
        dtype = frame[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            raise InputError(
                f"{name} must be numeric, got dtype {dtype}; convert printed text such as "
                f"'55,9%' to 55.9 first"
            )


def _check_finite(values: pd.DataFrame | pd.Series, name: str) -> None:
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    arr = frame.to_numpy(dtype="float64", na_value=np.nan)
    bad_nan = np.isnan(arr)
    if bad_nan.any():
        rows = sorted({str(frame.index[i]) for i in np.nonzero(bad_nan.any(axis=1))[0]})
        raise MissingValueError(
            f"{name} has missing values (NaN) for domains {rows}; every domain needs a "
            f"value (drop the domain from every input if it was not published)"
        )
    bad_inf = ~np.isfinite(arr)
    if bad_inf.any():
        rows = sorted({str(frame.index[i]) for i in np.nonzero(bad_inf.any(axis=1))[0]})
        raise InputError(f"{name} has infinite values for domains {rows}")


def _check_percent_range(values: pd.DataFrame | pd.Series, name: str) -> None:
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    arr = frame.to_numpy(dtype="float64")
    bad = (arr < 0) | (arr > 100)
    if bad.any():
        i, j = (int(k[0]) for k in np.nonzero(bad))
        raise InputError(
            f"{name} must lie in [0, 100] (percentages, not proportions): domain "
            f"{frame.index[i]!s} has {arr[i, j]!r}"
        )


def _align_domains(reference: pd.Index, other: pd.Index, ref_name: str, name: str) -> None:
    ref_set, other_set = set(reference), set(other)
    if ref_set != other_set:
        missing = sorted(str(v) for v in ref_set - other_set)
        extra = sorted(str(v) for v in other_set - ref_set)
        parts = []
        if missing:
            parts.append(f"domains {missing} are in {ref_name} but not in {name}")
        if extra:
            parts.append(f"domains {extra} are in {name} but not in {ref_name}")
        raise DomainError(
            "domains do not match: " + "; ".join(parts)
            + "; index every input by the same domain labels"
        )


def _precision_array(
    precision: Any, domains: pd.Index, name: str
) -> np.ndarray:
    """Rounding step per domain as an array aligned with ``domains``."""
    if isinstance(precision, (pd.Series, Mapping)):
        s = _as_series(precision, name)
        _check_index(s.index, name)
        _align_domains(domains, s.index, "percentages", name)
        _check_numeric(s, name)
        _check_finite(s, name)
        arr = s.reindex(domains).to_numpy(dtype="float64")
        if (arr < 0).any():
            raise InputError(f"{name} must be >= 0 for every domain, got {arr.min()!r}")
        return arr
    return np.full(len(domains), _check_precision_scalar(precision, name))


# --------------------------------------------------------------------------
# the optimisation
# --------------------------------------------------------------------------


def _max_weighted_mean(v: np.ndarray, a_low: np.ndarray, a_high: np.ndarray) -> float:
    """Exact ``max sum(a v) / sum(a)`` over ``a_low <= a <= a_high`` (a >= 0).

    Sort by ``v`` descending; the optimum gives the upper weight to a prefix
    and the lower weight to the rest (see the Notes of :func:`recombine`), so
    it is the best of the ``D + 1`` prefix configurations.
    """
    order = np.argsort(-v, kind="stable")
    v, lo, hi = v[order], a_low[order], a_high[order]
    zero = np.zeros(1)
    # prefix k (k = 0..D): first k domains at their upper weight
    up_num = np.concatenate([zero, np.cumsum(hi * v)])
    up_den = np.concatenate([zero, np.cumsum(hi)])
    lo_num = np.concatenate([np.cumsum((lo * v)[::-1])[::-1], zero])
    lo_den = np.concatenate([np.cumsum(lo[::-1])[::-1], zero])
    num = up_num + lo_num
    den = up_den + lo_den
    ok = den > 0
    return float(np.max(num[ok] / den[ok]))


def _bounds(
    p_low: np.ndarray, p_high: np.ndarray, a_low: np.ndarray, a_high: np.ndarray
) -> tuple[float, float]:
    high = _max_weighted_mean(p_high, a_low, a_high)
    low = -_max_weighted_mean(-p_low, a_low, a_high)
    return low, high


# --------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------


def recombine(
    percentages: pd.Series | pd.DataFrame,
    sizes: pd.Series,
    *,
    shares: pd.Series | Sequence[pd.Series] | None = None,
    precision: float | pd.Series = 0.1,
    share_precision: float | pd.Series | Sequence[float | pd.Series] = 0.1,
    published: float | pd.Series | Mapping[str, float] | None = None,
    published_precision: float = 0.1,
) -> Recombination | RecombinationTable:
    """Population percentage from rounded domain percentages, with exact rounding bounds.

    Parameters
    ----------
    percentages : Series or DataFrame
        Published percentages per domain (0-100), indexed by domain label.
        A DataFrame holds several items at once: domains as rows, items as
        columns; each column is recombined separately.
    sizes : Series
        Exact population size ``N_d`` of every domain (e.g. firms per sector),
        indexed by the same domain labels.  Only ratios matter.
    shares : Series or sequence of Series, optional
        Percentage (0-100) of each domain that belongs to the subpopulation the
        ``percentages`` refer to, e.g. the adopter share per sector when the
        percentages are "among adopters".  Several Series multiply: the
        subpopulation of domain ``d`` is ``N_d * s_1d/100 * s_2d/100 * ...``.
    precision : float or Series, default 0.1
        Rounding step of ``percentages`` in percentage points (0.1 for one
        printed decimal; 0 for exact values).  A Series gives one step per
        domain.  The true value lies in ``[p - precision/2, p + precision/2]``
        intersected with ``[0, 100]``.
    share_precision : float, Series or sequence, default 0.1
        Rounding step of ``shares``: one value used for every share Series, or
        a sequence with one entry (float or per-domain Series) per share Series.
        A share that is a sum of ``k`` printed cells has step ``k * 0.1``.
    published : float, Series or mapping, optional
        The published population value(s) to compare with: a float for Series
        input, a Series/mapping keyed by item for DataFrame input.  Reported
        by ``to_frame()`` in the ``published`` and ``consistent`` columns.
    published_precision : float, default 0.1
        Rounding step of ``published``.

    Returns
    -------
    Recombination or RecombinationTable
        :class:`Recombination` (``estimate``, ``low``, ``high``) for Series
        input; :class:`RecombinationTable` (one :class:`Recombination` per
        item) for DataFrame input.  Both have ``consistent_with`` and
        ``to_frame``.

    Raises
    ------
    DomainError
        The inputs are not indexed by the same domain labels (the message
        names the labels that differ), a label is duplicated, or the
        subpopulation is empty in every domain.
    MissingValueError
        An input is NaN.
    PopulationFrameError
        A size is negative.
    InputError
        A percentage or share is outside [0, 100], an input is not numeric, or
        a precision is negative.

    Notes
    -----
    **Estimate.** With ``a_d = N_d * prod_k s_kd`` (``a_d = N_d`` without
    shares) the population percentage is the weighted mean

    .. math:: P = \\frac{\\sum_d a_d p_d}{\\sum_d a_d},

    evaluated at the printed values.  This is what a stratified estimator
    gives when the domains are unions of strata and the domain estimates use
    the same weights (post-stratified weights ``N_h / n_h``).

    **Interval.** Every printed ``p_d`` lies in ``[pl_d, pu_d] = [p_d - h, p_d + h]
    ∩ [0, 100]`` with ``h = precision/2``; the same for each share.  ``low`` and
    ``high`` are the exact minimum and maximum of ``P`` over that box:

    1. For fixed weights ``a >= 0``, ``P`` increases in every ``p_d``, so the
       maximum uses ``pu`` and the minimum ``pl``.
    2. Each ``a_d`` depends only on domain ``d``'s own inputs, and a product of
       non-negative intervals ranges exactly over ``[N_d prod_k l_kd,
       N_d prod_k u_kd]`` (continuous, monotone in each factor).  So the
       weights range over the box ``[al_d, au_d]``, exactly, also for several
       multiplied shares; nothing is lost by composing them.
    3. For values ``v_d`` and weights in a box, ``max_a sum a v / sum a`` is
       found by a threshold argument (Dinkelbach's parametric form of
       fractional programming): ``P(a) >= t`` iff ``sum_d a_d (v_d - t) >= 0``,
       and the left side is maximised by ``a_d = au_d`` where ``v_d > t`` and
       ``a_d = al_d`` where ``v_d < t``.  Hence at the optimum ``t*`` the
       weights are at the upper end for the domains with the largest values
       and at the lower end for the rest: after sorting by ``v`` descending,
       the optimum is one of the ``D + 1`` prefix configurations, and the
       algorithm takes the best of them (``O(D log D)``, cumulative sums).
       The minimum is the same with ``v = -pl``.

    The box treats every printed cell as free within its rounding interval.
    Constraints that tie cells together (a row of a single-choice table sums
    to 100; the same printed cell used both as a percentage and inside a
    share) are ignored, so relative to *all* printed information the interval
    is a valid but possibly conservative bound; relative to the box it is
    exact.  At ``p = 0`` or ``100`` the interval is one-sided (clipped to
    ``[0, 100]``).  With all precisions 0 the interval is the point estimate.

    There is no R `survey` counterpart: this is arithmetic on published
    tables, useful to check a report's totals against its own breakdowns or
    to derive totals a report does not print.

    References
    ----------
    Dinkelbach, W. (1967). On nonlinear fractional programming. *Management
    Science*, 13(7), 492-498.

    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley
    (stratified estimation of population and domain means, ch. 2).

    Examples
    --------
    Two sectors of 300 and 100 firms with 50.0% and 70.0% adopters:

    >>> import pandas as pd
    >>> from surveyweights.recombine import recombine
    >>> r = recombine(pd.Series({"A": 50.0, "B": 70.0}), pd.Series({"A": 300, "B": 100}))
    >>> round(r.estimate, 3), round(r.low, 3), round(r.high, 3)
    (55.0, 54.95, 55.05)
    >>> r.consistent_with(55.0), r.consistent_with(55.2)
    (True, False)

    A percentage among adopters, weighted by ``N_d`` times the adopter share:

    >>> r = recombine(pd.Series({"A": 20.0, "B": 40.0}), pd.Series({"A": 300, "B": 100}),
    ...               shares=pd.Series({"A": 50.0, "B": 70.0}))
    >>> round(r.estimate, 4), round(r.low, 4), round(r.high, 4)
    (26.3636, 26.3062, 26.4211)

    Several items at once:

    >>> pct = pd.DataFrame({"x": [10.0, 30.0], "y": [90.0, 70.0]}, index=["A", "B"])
    >>> recombine(pct, pd.Series({"A": 1, "B": 1}), precision=0).to_frame()[["item", "estimate"]]
      item  estimate
    0    x      20.0
    1    y      80.0
    """
    # ---- percentages --------------------------------------------------
    if isinstance(percentages, pd.DataFrame):
        frame = percentages
        is_table = True
        if frame.columns.has_duplicates:
            dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            raise InputError(f"percentages has duplicate item columns {dup}")
        if frame.shape[1] == 0:
            raise InputError("percentages has no item columns")
    else:
        s = _as_series(percentages, "percentages")
        is_table = False
        series_item = None if s.name is None else str(s.name)
        frame = s.to_frame(name="percent" if s.name is None else s.name)
    if len(frame.index) == 0:
        raise DomainError("percentages has no domains; give at least one domain")
    _check_index(frame.index, "percentages")
    _check_numeric(frame, "percentages")
    _check_finite(frame, "percentages")
    _check_percent_range(frame, "percentages")
    domains = frame.index

    # ---- sizes --------------------------------------------------------
    sizes_s = _as_series(sizes, "sizes")
    _check_index(sizes_s.index, "sizes")
    _align_domains(domains, sizes_s.index, "percentages", "sizes")
    _check_numeric(sizes_s, "sizes")
    _check_finite(sizes_s, "sizes")
    n = sizes_s.reindex(domains).to_numpy(dtype="float64")
    if (n < 0).any():
        bad = [str(d) for d, v in zip(domains, n) if v < 0]
        raise PopulationFrameError(
            f"sizes must be >= 0, domains {bad} have negative sizes "
            f"{[float(v) for v in n if v < 0]}"
        )

    # ---- shares -------------------------------------------------------
    single_share = isinstance(shares, (pd.Series, Mapping))
    if shares is None:
        share_list: list[pd.Series] = []
    elif single_share:
        share_list = [_as_series(shares, "shares")]
    elif isinstance(shares, Sequence) and not isinstance(shares, str):
        share_list = [_as_series(x, f"shares[{k}]") for k, x in enumerate(shares)]
    else:
        raise InputError(
            f"shares must be a Series or a list of Series, got {type(shares).__name__}"
        )
    if isinstance(share_precision, Sequence) and not isinstance(share_precision, str):
        sp_list = list(share_precision)
        if len(sp_list) != len(share_list):
            raise InputError(
                f"share_precision has {len(sp_list)} entries but there are "
                f"{len(share_list)} share Series; give one precision per share or a single number"
            )
    else:
        sp_list = [share_precision] * len(share_list)

    a_mid = n.copy()
    a_low = n.copy()
    a_high = n.copy()
    for k, (sh, sp) in enumerate(zip(share_list, sp_list)):
        label = "shares" if single_share else f"shares[{k}]"
        _check_index(sh.index, label)
        _align_domains(domains, sh.index, "percentages", label)
        _check_numeric(sh, label)
        _check_finite(sh, label)
        _check_percent_range(sh, label)
        s_val = sh.reindex(domains).to_numpy(dtype="float64")
        half = _precision_array(sp, domains, f"share_precision for {label}") / 2.0
        a_mid = a_mid * (s_val / 100.0)
        a_low = a_low * (np.clip(s_val - half, 0.0, 100.0) / 100.0)
        a_high = a_high * (np.clip(s_val + half, 0.0, 100.0) / 100.0)

    if not (a_mid.sum() > 0):
        raise DomainError(
            "the (sub)population is empty: every domain has size 0 (times its shares) as "
            "printed, so the percentage is undefined"
        )

    p_half = _precision_array(precision, domains, "precision") / 2.0
    published_precision = _check_precision_scalar(published_precision, "published_precision")

    # ---- published ----------------------------------------------------
    items = [str(c) for c in frame.columns]
    if published is None:
        pub: dict[str, float] = {}
    elif is_table:
        pub = _published_by_item(published, items)
    else:
        pub = {items[0]: _check_published_scalar(published)}

    # ---- compute ------------------------------------------------------
    results = []
    for col, item in zip(frame.columns, items):
        p = frame[col].to_numpy(dtype="float64")
        estimate = float(np.dot(a_mid, p) / a_mid.sum())
        estimate = min(max(estimate, float(p.min())), float(p.max()))  # float guard
        p_low = np.clip(p - p_half, 0.0, 100.0)
        p_high = np.clip(p + p_half, 0.0, 100.0)
        low, high = _bounds(p_low, p_high, a_low, a_high)
        # A weighted mean lies within the range of its values, and the printed
        # point is inside the box, so min(pl) <= low <= estimate <= high <= max(pu)
        # holds exactly; this only removes last-bit floating-point differences.
        low = max(min(low, estimate), float(p_low.min()))
        high = min(max(high, estimate), float(p_high.max()))
        results.append(
            Recombination(
                item=item if is_table else series_item,
                estimate=estimate,
                low=low,
                high=high,
                n_domains=len(domains),
                published=pub.get(item),
                published_precision=published_precision,
            )
        )
    if is_table:
        return RecombinationTable(results=tuple(results))
    return results[0]
