"""Small private helpers for stratum keys shared by frame, weighting and design.

A stratum is identified by the values of one or more columns.  Internally a key
is always a tuple (one element per stratum column); :func:`format_key` prints a
one-column key as its bare value so that messages read naturally.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import InputError, MissingValueError


def as_columns(columns: str | Sequence[str], *, what: str) -> tuple[str, ...]:
    """Normalise a column name or a sequence of names to a non-empty tuple."""
    if isinstance(columns, str):
        return (columns,)
    try:
        cols = tuple(columns)
    except TypeError:
        raise InputError(
            f"{what}={columns!r} is not a column name or a list of column names; "
            f"pass e.g. {what}=['nace', 'size']"
        ) from None
    if not cols:
        raise InputError(f"{what}=[] names no column; pass at least one column name")
    for c in cols:
        if not isinstance(c, str):
            raise InputError(f"{what} contains {c!r}, which is not a column name (a string)")
    if len(set(cols)) != len(cols):
        raise InputError(f"{what}={list(cols)} names a column twice; list each column once")
    return cols


def check_columns(data: pd.DataFrame, columns: Iterable[str], *, what: str, table: str) -> None:
    """Raise InputError naming every column of ``columns`` missing from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(
            f"{what} column(s) {missing} not found in {table}; "
            f"available columns: {list(map(str, data.columns))}"
        )


def check_no_clash(names: Iterable[str], reserved: Iterable[str], *, what: str, table: str) -> None:
    """Raise InputError when a user's column name is also a column of a result table.

    The rule for every result table: its own columns keep their fixed names, and a
    user column (a ``by``, strata or id column copied into the table) must not take
    one of them, or one would silently overwrite the other.
    """
    reserved = tuple(reserved)
    clash = [c for c in names if c in reserved]
    if clash:
        c = clash[0]
        raise InputError(
            f"{what} column {c!r} has the name of a column of {table} "
            f"({', '.join(reserved)}), so one would overwrite the other; rename it, e.g. "
            f"data.rename(columns={{{c!r}: '{c}_'}})"
        )


def as_key(value: Hashable, ncols: int) -> tuple:
    """Turn a user-given stratum key (scalar or tuple) into a tuple of length ncols."""
    key = value if isinstance(value, tuple) else (value,)
    if len(key) != ncols:
        raise InputError(
            f"stratum key {value!r} has {len(key)} value(s) but the strata are defined by "
            f"{ncols} column(s); give one value per stratum column, e.g. ('35-39', 'large')"
        )
    return key


def show(value: object) -> str:
    """repr() of a value for messages: numpy scalars as plain Python values, 102.0 as 102."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def format_key(key: tuple) -> str:
    """Print a stratum key: a one-column key as its value, otherwise as a tuple."""
    if len(key) == 1:
        return show(key[0])
    return "(" + ", ".join(show(k) for k in key) + ")"


def row_keys(data: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple]:
    """The stratum key of every row of ``data`` as a list of tuples (NaN-free input)."""
    return list(zip(*(data[c].tolist() for c in columns)))


def check_no_missing(data: pd.DataFrame, columns: tuple[str, ...], *, table: str) -> None:
    """Raise MissingValueError naming the rows where a stratum column is missing."""
    for c in columns:
        bad = data.index[data[c].isna().to_numpy()]
        if len(bad):
            shown = ", ".join(repr(i) for i in bad[:10]) + (", ..." if len(bad) > 10 else "")
            raise MissingValueError(
                f"stratum column {c!r} of {table} is missing in {len(bad)} row(s) "
                f"(index {shown}); every row needs a stratum: fill these values or remove "
                f"the rows explicitly before weighting"
            )


def factorize_keys(data: pd.DataFrame, columns: tuple[str, ...]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes 0..K-1 for the stratum of each row, and the K distinct keys.

    The keys table has one row per distinct stratum, in order of first appearance.
    """
    per_col = [pd.factorize(data[c], sort=False) for c in columns]
    combined = np.zeros(len(data), dtype=np.int64)
    for codes_c, uniq_c in per_col:
        combined = combined * max(len(uniq_c), 1) + codes_c
    codes, first = pd.factorize(combined, sort=False)
    # decompose each distinct combined code back into one value per column
    keys = {}
    rest = np.asarray(first, dtype=np.int64)
    for c, (codes_c, uniq_c) in reversed(list(zip(columns, per_col))):
        size = max(len(uniq_c), 1)
        keys[c] = np.asarray(uniq_c, dtype=object)[rest % size]
        rest = rest // size
    return codes.astype(np.intp), pd.DataFrame({c: keys[c] for c in columns})
