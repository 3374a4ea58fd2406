"""Domains, subsets, items and missing values: turning user arguments into codes.

Everything an estimator needs from the data is reduced here to integer arrays
(the domain of each unit, -1 for none) and a small matrix of item values; the
variance engine never sees the DataFrame.  Domain estimation follows R: units
outside a subset or domain stay in the design with a zero score.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._strata import as_columns, check_columns, check_no_clash, show
from ..errors import DomainError, InputError, MissingValueError, SurveyWeightsWarning, user_stacklevel
from ..expressions import Expression, parse

NA_POLICIES: tuple[str, ...] = ("error", "available")
#: The columns of every domain estimate table, after the ``by`` columns.
RESULT_COLUMNS: tuple[str, ...] = (
    "variable", "level", "estimate", "se", "ci_low", "ci_high", "df", "n", "method",
    "confidence_level", "deff", "n_eff", "n_missing",
)


class EmptyDomainWarning(SurveyWeightsWarning):
    """A category of a ``by`` variable has no respondents in the analysed subset."""


def _rows(idx: pd.Index, mask: np.ndarray) -> str:
    bad = idx[mask]
    return ", ".join(show(i) for i in bad[:10]) + (", ..." if len(bad) > 10 else "")


def subset_mask(data: pd.DataFrame, subset: Any) -> np.ndarray:
    """Boolean mask of the subpopulation: a mask aligned with data, or an expression.

    An expression string is parsed by :mod:`surveyweights.expressions` (never run
    as Python).  A mask must be boolean (``bool``, nullable ``boolean``, or
    ``object`` holding only True/False) or numeric 0/1.  As R's ``subset()``, a
    missing value in the condition or the mask counts as FALSE (not selected).
    """
    n = len(data)
    if subset is None:
        return np.ones(n, dtype=bool)
    if isinstance(subset, (str, Expression)):
        return parse(subset, what="subset").mask(data, what="subset")
    if isinstance(subset, pd.Series):
        if not subset.index.equals(data.index):
            if not subset.index.isin(data.index).all() or len(subset) != n:
                raise InputError(
                    "subset mask is not aligned with the data's index; build it from the "
                    "design's data, e.g. design.data['adoption'].eq('adopter')"
                )
            subset = subset.reindex(data.index)
        values = subset
    else:
        values = pd.Series(np.asarray(subset), index=data.index) if (
            np.ndim(subset) == 1 and len(subset) == n) else None
        if values is None:
            raise InputError(
                f"subset must be a boolean mask with one value per row ({n}) or an expression "
                f"string such as \"size == 'small'\", got {type(subset).__name__} of shape "
                f"{np.shape(subset)}"
            )
    return boolean_mask(values, what="subset")


def boolean_mask(values: pd.Series, *, what: str) -> np.ndarray:
    """A mask from a Series of True/False (or 0/1) values; missing counts as False.

    Anything else (text such as "yes"/"no", other numbers) is an error rather
    than being coerced by truthiness.
    """
    dtype = values.dtype
    miss = values.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        return values.to_numpy(dtype=bool, na_value=False)
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        bad = ~miss & (v != 0) & (v != 1)
        if not bad.any():
            return np.where(miss, False, v == 1)
        example = values[bad].iloc[0]
    else:
        obj = values.to_numpy(dtype=object)
        ok = np.array([m or isinstance(x, (bool, np.bool_)) for x, m in zip(obj, miss)], dtype=bool)
        if ok.all():
            return np.array([bool(x) and not m for x, m in zip(obj, miss)], dtype=bool)
        example = obj[~ok][0]
    raise InputError(
        f"{what} mask has dtype {dtype} with value {show(example)!s}, not True/False or 0/1; "
        f"a mask is not read by truthiness: compare explicitly, e.g. data['answer'] == 'yes'"
    )


@dataclass(frozen=True)
class Domains:
    """Domain codes for the units in the analysed subset."""

    code: np.ndarray          # (n,) int, -1 outside the subset
    keys: pd.DataFrame        # (G, len(by)) domain values, in output order
    by: tuple[str, ...]

    @property
    def n_groups(self) -> int:
        return len(self.keys)


def domains(data: pd.DataFrame, by: str | Sequence[str] | None, mask: np.ndarray,
            cache: dict | None = None, *, reserved: Sequence[str] = RESULT_COLUMNS) -> Domains:
    """Cross-classify the ``by`` columns among units inside ``mask``.

    Domains are the observed combinations inside the subset (as R's ``svyby``),
    ordered by category order for categorical columns and by sorted value
    otherwise.  A declared category of a categorical ``by`` column that no
    respondent of the sample has is reported with an :class:`EmptyDomainWarning`;
    a missing ``by`` value inside the subset is an error, and so is a ``by`` column
    named like one of the result table's own columns (``reserved``).
    """
    n = len(data)
    if not mask.any():
        raise DomainError(
            "the subset contains no respondents, so nothing can be estimated; check the "
            "subset condition"
        )
    if by is None:
        code = np.where(mask, 0, -1).astype(np.intp)
        return Domains(code, pd.DataFrame(index=range(1)), ())
    cols = as_columns(by, what="by")
    check_columns(data, cols, what="by", table="the design's data")
    check_no_clash(cols, reserved, what="by", table="the result table")
    for c in cols:
        miss = data[c].isna().to_numpy() & mask
        if miss.any():
            raise MissingValueError(
                f"by column {c!r} is missing in {int(miss.sum())} row(s) of the analysed "
                f"subset (index {_rows(data.index, miss)}); give these units a domain value or "
                f"leave them out explicitly with subset="
            )
    all_in = bool(mask.all())
    per_col = []
    for c in cols:
        codes_full, categories, natural = _codes(data[c], cache)
        inside = codes_full if all_in else codes_full[mask]
        present = np.bincount(inside, minlength=len(categories)) > 0
        # warn about declared categories nobody in the sample has (a category the
        # subset itself excludes is the caller's choice, not news)
        in_sample = present if all_in else np.bincount(
            codes_full[codes_full >= 0], minlength=len(categories)) > 0
        if natural and not in_sample.all():
            empty = [categories[i] for i in np.flatnonzero(~in_sample)]
            warnings.warn(
                f"categor{'y' if len(empty) == 1 else 'ies'} {', '.join(show(v) for v in empty)} "
                f"of by column {c!r} {'has' if len(empty) == 1 else 'have'} no respondents in "
                f"the sample; no estimate is given for "
                f"{'it' if len(empty) == 1 else 'them'}",
                EmptyDomainWarning,
                stacklevel=user_stacklevel(),
            )
        if present.all():
            per_col.append((list(categories), codes_full))
            continue
        remap = np.cumsum(present) - 1
        levels = [categories[i] for i in np.flatnonzero(present)]
        per_col.append((levels, remap[codes_full]))
    if len(per_col) == 1:
        levels0, combined = per_col[0]
        code = combined.astype(np.intp, copy=False)
        keys = {cols[0]: levels0}
    else:
        combined = np.zeros(n, dtype=np.int64)
        sizes = [len(levels) for levels, _ in per_col]
        for (levels, codes), size in zip(per_col, sizes):
            combined = combined * size + codes
        total = int(np.prod(sizes))
        present = np.bincount(combined if all_in else combined[mask], minlength=total) > 0
        rank = np.cumsum(present) - 1
        code = rank[combined].astype(np.intp)
        rest = np.flatnonzero(present)
        keys = {}
        for c, (levels, _), size in reversed(list(zip(cols, per_col, sizes))):
            keys[c] = [levels[i] for i in (rest % size)]
            rest = rest // size
    if not all_in:
        code = np.where(mask, code, -1)
    return Domains(code, pd.DataFrame({c: keys[c] for c in cols}), cols)


def _codes(s: pd.Series, cache: dict | None = None) -> tuple[np.ndarray, list[Any], bool]:
    """Integer codes 0..K-1 of a column's values in output order (-1 for missing).

    Returns the codes, the K values, and whether the values are a categorical's
    declared categories (which may include some without respondents).  With a
    ``cache`` (the design's), a column is factorised once per design.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy(), list(s.cat.categories), True
    key = ("by_codes", s.name)
    if cache is not None and key in cache:
        return cache[key]
    out = _sorted_codes(s)
    if cache is not None and isinstance(s.name, str):
        cache[key] = out
    return out


def _sorted_codes(s: pd.Series) -> tuple[np.ndarray, list[Any], bool]:
    codes, uniques = pd.factorize(s, sort=False)
    values = list(uniques)
    order = sorted(range(len(values)), key=lambda i: _sort_key(values[i]))
    rank = np.empty(len(values), dtype=np.intp)
    rank[order] = np.arange(len(values))
    out = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1) if len(values) else codes
    return out.astype(np.intp), [values[i] for i in order], False


def _sort_key(v: Any) -> tuple:
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return (0, float(v), "")
    return (1, 0.0, str(v))


@dataclass(frozen=True)
class Item:
    """One analysed variable as a 0/1 indicator matrix or a numeric column."""

    name: str
    values: np.ndarray        # (n, L) float, 0 where missing
    levels: list[Any]         # L level labels (None for a numeric variable)
    missing: np.ndarray       # (n,) bool
    categorical: bool


def _native(s: pd.Series) -> np.ndarray:
    """The values as a numpy array without a copy where possible; NaN for missing."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
        return s.to_numpy()
    return s.to_numpy(dtype=float, na_value=np.nan)


def _is_binary_numeric(s: pd.Series) -> bool:
    v = _native(s)
    if v.dtype.kind in "biu":  # no missing values possible
        return len(v) > 0 and bool(((v == 0) | (v == 1)).all())
    nan = np.isnan(v)
    return bool(((v == 0) | (v == 1) | nan).all()) and not bool(nan.all())


def item(data: pd.DataFrame, name: str, *, kind: str, level: Any = None) -> Item:
    """Encode a variable for ``kind`` in {"proportion", "mean", "total"}.

    proportion: a categorical/str item gives one indicator per level; a boolean
    item gives level True, a 0/1 item level 1; ``level=`` picks one level.
    mean/total: numeric items are used as they are (a 0/1 item gives one row);
    booleans and categoricals give one indicator per level (as R's svymean of a
    logical or a factor).
    """
    if not isinstance(name, str):
        raise InputError(f"variable names must be strings, got {name!r}")
    check_columns(data, [name], what="variable", table="the design's data")
    s = data[name]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biu":
        missing = np.zeros(len(s), dtype=bool)  # plain integers and booleans are never missing
    else:
        missing = s.isna().to_numpy()
    is_bool = pd.api.types.is_bool_dtype(s.dtype) or (
        s.dtype == object and set(pd.unique(s.dropna())) <= {True, False} and s.notna().any()
    )
    is_cat = isinstance(s.dtype, pd.CategoricalDtype)
    is_num = pd.api.types.is_numeric_dtype(s.dtype) and not is_bool and not is_cat

    if level is not None:
        if is_cat:
            known = list(s.cat.categories)
        else:
            known = list(pd.unique(s.dropna()))
        if level not in known:
            raise InputError(
                f"level {level!r} does not occur in variable {name!r} (levels: "
                f"{', '.join(show(v) for v in sorted(known, key=_sort_key)[:20])}); use one of them, "
                f"or make the variable categorical with that category to estimate a share of 0"
            )
        return _indicators(name, s, [level], missing)

    if kind == "proportion":
        if is_bool:
            return _indicators(name, s, [True], missing)
        if is_num:
            if not _is_binary_numeric(s):
                bad = [v for v in pd.unique(s.dropna()) if v not in (0, 1)][:5]
                raise InputError(
                    f"variable {name!r} has values other than 0 and 1 (e.g. "
                    f"{', '.join(show(v) for v in bad)}); proportion() needs a 0/1, boolean or "
                    f"categorical item: use mean() for a numeric variable or level= to pick a value"
                )
            return _indicators(name, s, [1], missing)
        return _indicators(name, s, _levels(s), missing)
    if is_num:
        v = s.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(v)
        if inf.any():
            raise InputError(
                f"variable {name!r} has {int(inf.sum())} infinite value(s) (index "
                f"{_rows(s.index, inf)}), which have no mean or total; correct them, or set "
                f"them to NaN and use na='available' if they are unknown"
            )
        return Item(name, np.nan_to_num(v, nan=0.0)[:, None], [None], missing, False)
    if is_bool:
        return _indicators(name, s, [False, True], missing)
    return _indicators(name, s, _levels(s), missing)


def _levels(s: pd.Series) -> list[Any]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    return sorted(pd.unique(s.dropna()), key=_sort_key)


def _indicators(name: str, s: pd.Series, levels: list[Any], missing: np.ndarray) -> Item:
    vals = np.zeros((len(s), len(levels)), order="F")  # columns contiguous
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        cats = list(s.cat.categories)
        for j, lev in enumerate(levels):
            vals[:, j] = codes == cats.index(lev)
    elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        arr = _native(s)
        for j, lev in enumerate(levels):
            vals[:, j] = arr == lev
    else:
        codes, uniques = pd.factorize(s, sort=False)
        uniq = list(uniques)
        for j, lev in enumerate(levels):
            vals[:, j] = codes == uniq.index(lev) if lev in uniq else False
    return Item(name, vals, list(levels), missing, True)


def apply_na_policy(it: Item, dom: Domains, na: str, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Domain codes after the missing-value policy, and the count of excluded units per domain.

    ``na="error"``: a missing value of the item inside the subset is an error.
    ``na="available"``: units with a missing value leave every domain (their score
    is zero), as R's ``na.rm=TRUE``, which subsets the design to complete cases.
    """
    if na not in NA_POLICIES:
        raise InputError(f"na={na!r} is not a valid policy; choose one of {list(NA_POLICIES)}")
    inside = dom.code >= 0
    miss = it.missing & inside
    n_missing = np.bincount(dom.code[miss], minlength=dom.n_groups)
    if not miss.any():
        return dom.code, n_missing
    if na == "error":
        raise MissingValueError(
            f"variable {it.name!r} is missing for {int(miss.sum())} respondent(s) in the "
            f"analysed subset (index {_rows(index, miss)}); choose na='available' for an "
            f"available-case analysis (R's na.rm=TRUE), impute them (sw.hot_deck), or "
            f"exclude them explicitly with subset="
        )
    code = dom.code.copy()
    code[miss] = -1
    return code, n_missing


@dataclass(frozen=True)
class Encoded:
    """One analysed variable as integer level codes (indicators) or a float column.

    The form the engines take: an indicator item is ``k`` (n,), the level code
    0..K-1 of each unit (-1: missing), and ``sel``, the codes of the L levels
    estimated; a numeric item is ``y`` (n,) with NaN for missing.  Same levels and
    rules as :func:`item`.
    """

    name: str
    levels: list[Any]
    categorical: bool
    missing: np.ndarray
    k: np.ndarray | None = None
    K: int = 0
    sel: np.ndarray | None = None
    y: np.ndarray | None = None

    @property
    def has_missing(self) -> bool:
        return bool(self.missing.any())


def _factor(s: pd.Series, cache: dict | None) -> tuple[np.ndarray, list[Any]]:
    """pd.factorize of a column (codes, uniques), cached per design and column."""
    key = ("factorize", s.name)
    if cache is not None and key in cache:
        return cache[key]
    codes, uniques = pd.factorize(s, sort=False)
    out = (codes, list(uniques))
    if cache is not None and isinstance(s.name, str):
        cache[key] = out
    return out


def _level_codes(name: str, s: pd.Series, levels: list[Any], missing: np.ndarray,
                 cache: dict | None) -> Encoded:
    """Level codes of ``s`` over its values, with ``sel`` pointing at ``levels``."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        sel = np.array([cats.index(lev) for lev in levels], dtype=np.intp)
        return Encoded(name, list(levels), True, missing, k=s.cat.codes.to_numpy(), K=len(cats), sel=sel)
    if pd.api.types.is_bool_dtype(s.dtype) and isinstance(s.dtype, np.dtype):
        k = s.to_numpy().view(np.int8)
        vals = [False, True]
    elif isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu" and set(levels) <= {0, 1} \
            and _is_binary_numeric(s):
        k = s.to_numpy().astype(np.int8, copy=False)
        vals = [0, 1]
    else:
        codes, vals = _factor(s, cache)
        k = codes
    index = {}
    for i, v in enumerate(vals):
        index.setdefault(v, i)
    extra = [lev for lev in levels if lev not in index]
    K = len(vals) + len(extra)
    for j, lev in enumerate(extra):  # a requested level absent from the data: share 0
        index[lev] = len(vals) + j
    sel = np.array([index[lev] for lev in levels], dtype=np.intp)
    return Encoded(name, list(levels), True, missing, k=k, K=K, sel=sel)


def encode_item(data: pd.DataFrame, name: str, *, kind: str, level: Any = None,
                cache: dict | None = None) -> Encoded:
    """Encode a variable for ``kind`` as codes (see :class:`Encoded`); rules as :func:`item`.

    With a ``cache`` (the design's) an item is encoded once per kind and level.
    """
    if not isinstance(name, str):
        raise InputError(f"variable names must be strings, got {name!r}")
    key = None
    if cache is not None:
        try:
            key = ("item", name, kind, level)
            hash(key)
        except TypeError:
            key = None
    if key is not None and key in cache:
        return cache[key]
    out = _encode_item(data, name, kind=kind, level=level, cache=cache)
    if key is not None:
        cache[key] = out
    return out


def _encode_item(data: pd.DataFrame, name: str, *, kind: str, level: Any, cache: dict | None) -> Encoded:
    check_columns(data, [name], what="variable", table="the design's data")
    s = data[name]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biu":
        missing = np.zeros(len(s), dtype=bool)
    elif isinstance(s.dtype, pd.CategoricalDtype):
        missing = s.cat.codes.to_numpy() < 0
    else:
        missing = s.isna().to_numpy()
    is_bool = pd.api.types.is_bool_dtype(s.dtype) or (
        s.dtype == object and set(pd.unique(s.dropna())) <= {True, False} and s.notna().any()
    )
    is_cat = isinstance(s.dtype, pd.CategoricalDtype)
    is_num = pd.api.types.is_numeric_dtype(s.dtype) and not is_bool and not is_cat
    if level is not None:
        known = list(s.cat.categories) if is_cat else list(pd.unique(s.dropna()))
        if level not in known:
            raise InputError(
                f"level {level!r} does not occur in variable {name!r} (levels: "
                f"{', '.join(show(v) for v in sorted(known, key=_sort_key)[:20])}); use one of them, "
                f"or make the variable categorical with that category to estimate a share of 0"
            )
        return _level_codes(name, s, [level], missing, cache)
    if kind == "proportion":
        if is_bool:
            return _level_codes(name, s, [True], missing, cache)
        if is_num:
            if not _is_binary_numeric(s):
                bad = [v for v in pd.unique(s.dropna()) if v not in (0, 1)][:5]
                raise InputError(
                    f"variable {name!r} has values other than 0 and 1 (e.g. "
                    f"{', '.join(show(v) for v in bad)}); proportion() needs a 0/1, boolean or "
                    f"categorical item: use mean() for a numeric variable or level= to pick a value"
                )
            return _level_codes(name, s, [1], missing, cache)
        return _level_codes(name, s, _levels(s), missing, cache)
    if is_num:
        y = s.to_numpy(dtype=float, na_value=np.nan)
        inf = np.isinf(y)
        if inf.any():
            raise InputError(
                f"variable {name!r} has {int(inf.sum())} infinite value(s) (index "
                f"{_rows(s.index, inf)}), which have no mean or total; correct them, or set "
                f"them to NaN and use na='available' if they are unknown"
            )
        return Encoded(name, [None], False, missing, y=y)
    if is_bool:
        return _level_codes(name, s, [False, True], missing, cache)
    return _level_codes(name, s, _levels(s), missing, cache)


def missing_error(name: str, miss: np.ndarray, index: pd.Index) -> MissingValueError:
    """The error of ``na="error"`` for an item missing in the rows ``miss``."""
    return MissingValueError(
        f"variable {name!r} is missing for {int(miss.sum())} respondent(s) in the "
        f"analysed subset (index {_rows(index, miss)}); choose na='available' for an "
        f"available-case analysis (R's na.rm=TRUE), impute them (sw.hot_deck), or "
        f"exclude them explicitly with subset="
    )


def domain_label(keys: pd.DataFrame, by, g: int) -> str:
    """`` in domain c='v', ...`` for domain ``g`` of ``keys`` (empty without ``by``)."""
    if not by:
        return ""
    return " in domain " + ", ".join(f"{c}={keys[c].iloc[g]!r}" for c in by)


def ratio_domain_error(name: str, denominator: str, label: str, *, empty: bool) -> DomainError:
    """A ratio's domain without units with both values (``empty``), or with a zero
    denominator total (every engine)."""
    if empty:
        return DomainError(
            f"no respondent{label} has observed values of both {name!r} and {denominator!r}; "
            f"drop that domain with subset= or impute"
        )
    return DomainError(
        f"the total of the denominator {denominator!r} is 0{label}, so the ratio is undefined; "
        f"choose a denominator with a non-zero total there, or leave the domain out with subset="
    )


def too_few_units_error(name: str, label: str, n: int) -> DomainError:
    """A variance's domain with fewer than two units (every engine)."""
    return DomainError(
        f"the variance of {name!r} needs at least two units{label}, which has {n}; merge the "
        f"domain with another, or leave it out with subset="
    )
