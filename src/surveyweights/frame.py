"""Population frames: stratum counts N_h, read from long or crosstab tables.

The frame is validated once, where it enters the library.  Counts copied from
tables printed with a thousands separator (Dutch ``1.504`` = one thousand five
hundred and four) are parsed with an explicit ``thousands=`` argument; a count
that is not a whole number is an error, so ``1.504`` can never silently become
1.504.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from ._files import read_csv
from ._strata import as_columns, check_columns, check_no_missing, format_key, row_keys
from . import _display
from .errors import InputError, PopulationFrameError

__all__ = ["PopulationFrame", "parse_count", "response_accounting", "ResponseAccounting"]

#: Labels that look like a printed total row or column of a crosstab.
_TOTAL_LABELS = {"total", "totaal", "totals", "totale", "sum", "all", "alle", "overall"}


def parse_count(value: Any, *, thousands: str | None = None, where: str = "count") -> int:
    """Parse one population or sample count into a non-negative Python int.

    Parameters
    ----------
    value : int, float or str
        The count as read from a file or typed by the user.
    thousands : str or None, keyword-only
        The thousands separator used in printed strings (``"."`` for Dutch or German
        tables, ``","`` for English ones, ``" "`` for French).  ``None`` means that
        strings must be plain digits.
    where : str, keyword-only
        Where the value comes from (e.g. ``"stratum ('35-39', 'large'), column N"``),
        used in error messages.

    Returns
    -------
    int

    Raises
    ------
    PopulationFrameError
        If the value is missing, negative, not finite, not a whole number, or a string
        whose digit grouping does not match ``thousands``.

    Examples
    --------
    >>> parse_count("1.504", thousands=".")
    1504
    >>> parse_count(91)
    91
    >>> parse_count("1.504")
    Traceback (most recent call last):
    ...
    surveyweights.errors.PopulationFrameError: count '1.504' (count) is not a plain whole number; if it was copied from a table with a thousands separator (Dutch 1.504 = 1504), read it with thousands='.'
    """
    if isinstance(value, (bool, np.bool_)):
        raise PopulationFrameError(f"count {value!r} ({where}) is a boolean, not a count")
    if isinstance(value, (int, np.integer)):
        out = int(value)
    elif isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise PopulationFrameError(
                f"count {value!r} ({where}) is missing or not finite; every stratum needs "
                f"a finite count"
            )
        if not float(value).is_integer():
            hint = ""
            if re.fullmatch(r"\d{1,3}\.\d{3}", repr(float(value))):
                hint = (
                    f"; it looks like a count printed with '.' as thousands separator that "
                    f"was read as a decimal number: read the file with thousands='.' so that "
                    f"'{value}' means {int(round(value * 1000))}"
                )
            raise PopulationFrameError(
                f"count {value!r} ({where}) is not a whole number; counts of enterprises, "
                f"persons or households must be integers{hint}"
            )
        out = int(value)
    elif isinstance(value, str):
        out = _parse_count_string(value, thousands=thousands, where=where)
    elif value is None or value is pd.NA:
        raise PopulationFrameError(f"count is missing ({where}); every stratum needs a count")
    else:
        raise PopulationFrameError(
            f"count {value!r} ({where}) has type {type(value).__name__}; give an integer "
            f"or a string of digits"
        )
    if out < 0:
        raise PopulationFrameError(f"count {out} ({where}) is negative; counts must be >= 0")
    return out


def _parse_count_string(text: str, *, thousands: str | None, where: str) -> int:
    s = text.strip()
    if s == "":
        raise PopulationFrameError(f"count is empty ({where}); every stratum needs a count")
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if thousands is not None:
        sep = re.escape(thousands)
        if re.fullmatch(rf"\d{{1,3}}({sep}\d{{3}})+", s):
            return int(s.replace(thousands, ""))
        raise PopulationFrameError(
            f"count {text!r} ({where}) is not a whole number written with thousands "
            f"separator {thousands!r} (expected digits grouped by three, e.g. "
            f"'1{thousands}504'); correct the value or the thousands= argument"
        )
    for cand in (".", ",", " ", "\u00a0", "'"):
        if re.fullmatch(rf"\d{{1,3}}({re.escape(cand)}\d{{3}})+", s):
            meaning = int(s.replace(cand, ""))
            raise PopulationFrameError(
                f"count {text!r} ({where}) is not a plain whole number; if it was copied "
                f"from a table with a thousands separator (Dutch 1.504 = 1504), read it "
                f"with thousands={cand!r}" + ("" if cand == "." else f" (it would mean {meaning})")
            )
    raise PopulationFrameError(
        f"count {text!r} ({where}) is not a whole number; counts must be non-negative "
        f"integers such as 1504"
    )


@dataclass(frozen=True)
class PopulationFrame:
    """Population counts N_h, one row per stratum, validated on construction.

    Build it with :meth:`from_long`, :meth:`from_crosstab` or :meth:`read_csv`;
    constructing it directly validates the same rules.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per stratum: the stratum columns, the ``count`` column and any other
        columns (e.g. sample sizes, labels).
    strata : tuple of str
        The columns that identify a stratum.
    count : str
        The column holding N_h.
    counts : tuple of str
        Every integer count column (``count`` first, then e.g. ``"sample"``,
        ``"responses"``); all are validated as non-negative integers.

    Notes
    -----
    Rules checked on entry, each raising :class:`~surveyweights.errors.PopulationFrameError`
    that names the stratum and the value: stratum keys are non-missing and unique;
    every count is a finite non-negative integer.  Whether a stratum with N_h = 0
    has respondents is checked when weights are computed (:func:`surveyweights.poststratify`).
    """

    table: pd.DataFrame
    strata: tuple[str, ...]
    count: str = "N"
    counts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        strata = as_columns(self.strata, what="strata")
        counts = tuple(dict.fromkeys((self.count, *self.counts)))
        if not isinstance(self.table, pd.DataFrame):
            raise InputError(
                f"table must be a pandas DataFrame, got {type(self.table).__name__}"
            )
        check_columns(self.table, strata, what="strata", table="the population table")
        check_columns(self.table, counts, what="count", table="the population table")
        overlap = set(strata) & set(counts)
        if overlap:
            raise InputError(f"column(s) {sorted(overlap)} cannot be both a stratum and a count")
        table = self.table.reset_index(drop=True).copy()
        for c in strata:
            bad = table.index[table[c].isna().to_numpy()]
            if len(bad):
                raise PopulationFrameError(
                    f"stratum column {c!r} is missing in population row(s) {list(bad[:10])}; "
                    f"every population stratum needs a complete key"
                )
        keys = row_keys(table, strata)
        seen: dict[tuple, int] = {}
        for i, k in enumerate(keys):
            if k in seen:
                raise PopulationFrameError(
                    f"stratum {format_key(k)} appears twice in the population table (rows "
                    f"{seen[k]} and {i}); each stratum must have exactly one row: sum or "
                    f"remove the duplicate"
                )
            seen[k] = i
        for c in counts:
            table[c] = [
                parse_count(v, where=f"stratum {format_key(k)}, column {c!r}")
                for v, k in zip(table[c].tolist(), keys)
            ]
            table[c] = table[c].astype(np.int64)
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "strata", strata)
        object.__setattr__(self, "counts", counts)

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_long(
        cls,
        table: pd.DataFrame,
        *,
        strata: str | Sequence[str],
        count: str = "N",
        other_counts: Sequence[str] = (),
        thousands: str | None = None,
    ) -> PopulationFrame:
        """Build a frame from a long table (one row per stratum).

        Parameters
        ----------
        table : pandas.DataFrame
            One row per stratum.
        strata : str or list of str, keyword-only
            The stratum columns.
        count : str, default "N", keyword-only
            The column with the population count N_h.
        other_counts : list of str, keyword-only
            Further integer count columns to validate and keep (e.g. ``["sample"]``).
        thousands : str or None, keyword-only
            Thousands separator of counts given as strings (``"."`` for Dutch tables).

        Examples
        --------
        >>> import pandas as pd
        >>> pop = PopulationFrame.from_long(
        ...     pd.DataFrame({"size": ["micro", "small"], "N": ["16.148", "16.695"]}),
        ...     strata="size", thousands=".")
        >>> pop.total
        32843
        """
        strata = as_columns(strata, what="strata")
        counts = (count, *other_counts)
        check_columns(table, (*strata, *counts), what="population", table="the population table")
        t = table.copy()
        for c in counts:
            keys = row_keys(t, strata) if not t[list(strata)].isna().any().any() else None
            t[c] = [
                parse_count(
                    v,
                    thousands=thousands,
                    where=(f"stratum {format_key(keys[i])}, column {c!r}" if keys else f"row {i}, column {c!r}"),
                )
                for i, v in enumerate(t[c].tolist())
            ]
        return cls(t, strata, count, tuple(other_counts))

    @classmethod
    def from_crosstab(
        cls,
        table: pd.DataFrame,
        *,
        rows: str,
        columns: str,
        count: str = "N",
        thousands: str | None = None,
        totals: str | None = None,
        row_labels: Mapping[Any, Any] | None = None,
        column_labels: Mapping[Any, Any] | None = None,
    ) -> PopulationFrame:
        """Build a frame from a two-way table such as Tabel 1 (sizes x sectors).

        Parameters
        ----------
        table : pandas.DataFrame
            The crosstab: its index holds the levels of the row variable, its columns
            the levels of the column variable, its cells the counts.  If the row
            labels are in a column instead, set it as the index first
            (``table.set_index("grootte")``).
        rows, columns : str, keyword-only
            Names to give the row and column stratum variables (e.g. ``"size"``, ``"nace"``).
        count : str, default "N", keyword-only
            Name of the count column of the resulting long table.
        thousands : str or None, keyword-only
            Thousands separator of counts given as strings.
        totals : str or None, keyword-only
            Label of a printed total row and column (e.g. ``"Totaal"``).  They are
            checked against the sums of the cells (an error if they differ, which
            catches transcription errors) and then dropped.  If the table contains a
            row or column that looks like a total but ``totals`` is not given, an
            error is raised rather than counting it as a stratum.
        row_labels, column_labels : mapping, keyword-only
            Recode the printed labels to stratum codes (e.g.
            ``{"Micro (5-9 werknemers)": "micro", ...}``); every label must be mapped.

        Returns
        -------
        PopulationFrame
            Long form, one row per cell, strata ``(rows, columns)``.
        """
        if not isinstance(table, pd.DataFrame):
            raise InputError(f"table must be a pandas DataFrame, got {type(table).__name__}")
        if rows == columns:
            raise InputError(f"rows and columns must differ, both are {rows!r}")
        t = table.copy()
        parsed = pd.DataFrame(
            [
                [
                    parse_count(t.iat[i, j], thousands=thousands,
                                where=f"row {t.index[i]!r}, column {t.columns[j]!r}")
                    for j in range(t.shape[1])
                ]
                for i in range(t.shape[0])
            ],
            index=t.index,
            columns=t.columns,
            dtype=np.int64,
        )
        if totals is not None:
            parsed = _check_and_drop_totals(parsed, totals)
        else:
            suspicious = [
                lab for lab in (*parsed.index, *parsed.columns)
                if str(lab).strip().lower() in _TOTAL_LABELS
            ]
            if suspicious:
                raise PopulationFrameError(
                    f"the crosstab has a row or column labelled {suspicious[0]!r}, which "
                    f"looks like a printed total; pass totals={str(suspicious[0])!r} to check "
                    f"and drop it, or rename it if it really is a stratum"
                )
        parsed.index = _relabel(parsed.index, row_labels, what="row_labels")
        parsed.columns = _relabel(parsed.columns, column_labels, what="column_labels")
        long = parsed.stack().rename(count).reset_index()
        long.columns = [rows, columns, count]
        return cls(long, (rows, columns), count)

    @classmethod
    def read_csv(
        cls,
        path: str | PathLike[str],
        *,
        strata: str | Sequence[str],
        count: str = "N",
        other_counts: Sequence[str] = (),
        thousands: str | None = None,
        sep: str = ",",
        encoding: str = "utf-8",
    ) -> PopulationFrame:
        """Read a long population table from CSV.

        Every column is read as text and counts are parsed by :func:`parse_count`, so a
        Dutch ``1.504`` is an error unless ``thousands="."`` is given (pandas alone
        would read it as the float 1.504).
        """
        raw = read_csv(path, what="population file", sep=sep, encoding=encoding)
        strata = as_columns(strata, what="strata")
        check_columns(raw, strata, what="strata", table=f"population file {str(path)!r}")
        for c in strata:
            raw[c] = raw[c].replace("", np.nan)
        return cls.from_long(raw, strata=strata, count=count, other_counts=other_counts,
                             thousands=thousands)

    # ----------------------------------------------------------------- accessors
    @property
    def total(self) -> int:
        """N, the population total over all strata."""
        return int(self.table[self.count].sum())

    @property
    def n_strata(self) -> int:
        """The number of strata."""
        return len(self.table)

    def keys(self) -> list[tuple]:
        """The stratum keys, as tuples, in table order."""
        return row_keys(self.table, self.strata)

    def counts_by_stratum(self, column: str | None = None) -> pd.Series:
        """A count column as a Series indexed by stratum (MultiIndex if several columns)."""
        column = self.count if column is None else column
        check_columns(self.table, [column], what="count", table="the population frame")
        return self.table.set_index(list(self.strata))[column]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the long table."""
        return self.table.copy()

    def __repr__(self) -> str:
        return (
            f"PopulationFrame({self.n_strata} strata by {list(self.strata)}, "
            f"{self.count} total {self.total:,})"
        )

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.table)


def _relabel(labels: pd.Index, mapping: Mapping[Any, Any] | None, *, what: str) -> pd.Index:
    if mapping is None:
        return labels
    unmapped = [lab for lab in labels if lab not in mapping]
    if unmapped:
        raise InputError(
            f"{what} has no entry for label(s) {unmapped}; map every printed label to a "
            f"stratum code"
        )
    return pd.Index([mapping[lab] for lab in labels])


def _check_and_drop_totals(t: pd.DataFrame, label: str) -> pd.DataFrame:
    has_row = label in t.index
    has_col = label in t.columns
    if not (has_row or has_col):
        raise PopulationFrameError(
            f"totals={label!r} but the crosstab has no row or column with that label; "
            f"row labels: {list(t.index)}, column labels: {list(t.columns)}"
        )
    body = t.drop(index=[label] if has_row else [], columns=[label] if has_col else [])
    # a printed total row sums the cells of each column, a total column those of each row
    checks = [(has_row, lambda: t.loc[label, body.columns], 0, "column"),
              (has_col, lambda: t.loc[body.index, label], 1, "row")]
    for present, printed_of, axis, kind in checks:
        if not present:
            continue
        printed, summed = printed_of(), body.sum(axis=axis)
        bad = printed[printed != summed]
        if len(bad):
            k = bad.index[0]
            raise PopulationFrameError(
                f"printed total {int(printed[k])} of {kind} {k!r} differs from the sum of "
                f"its cells {int(summed[k])}; a cell or the total was mistyped"
            )
    if has_row and has_col:
        grand = int(t.loc[label, label])
        if grand != int(body.to_numpy().sum()):
            raise PopulationFrameError(
                f"printed grand total {grand} differs from the sum of all cells "
                f"{int(body.to_numpy().sum())}; a cell or the total was mistyped"
            )
    return body


# --------------------------------------------------------------------------- accounting
@dataclass(frozen=True)
class ResponseAccounting:
    """Population, sample and usable responses per stratum and overall.

    Attributes
    ----------
    by_stratum : pandas.DataFrame
        Stratum columns, then ``N``, ``sample``, ``responses``, ``response_rate``
        (responses / sample), ``sampling_fraction`` (sample / N) and
        ``responding_fraction`` (responses / N, the fraction used in the finite
        population correction).
    overall : pandas.Series
        The same figures for the whole population.
    strata : tuple of str
    """

    by_stratum: pd.DataFrame
    overall: pd.Series
    strata: tuple[str, ...]

    def __repr__(self) -> str:
        """One line: population, sample, usable responses and the response rate."""
        o = self.overall
        return (f"ResponseAccounting: N {_display.number(int(o['N']))}, sample "
                f"{_display.number(int(o['sample']))}, usable responses "
                f"{_display.number(int(o['responses']))}, response rate "
                f"{100 * float(o['response_rate']):.1f}% in {len(self.by_stratum)} strata")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.by_stratum)

    def by(self, column: str) -> pd.DataFrame:
        """The same table summed to the levels of one stratum column (e.g. per sector)."""
        if column not in self.strata:
            raise InputError(f"column {column!r} is not a stratum column; choose from {list(self.strata)}")
        g = self.by_stratum.groupby(column, sort=False)[["N", "sample", "responses"]].sum()
        return _rates(g).reset_index()

    def to_frame(self, *, total_label: str = "total") -> pd.DataFrame:
        """Per-stratum rows followed by one overall row labelled ``total_label``."""
        tot = pd.DataFrame([self.overall.to_dict() | {c: total_label for c in self.strata}])
        out = pd.concat([self.by_stratum, tot[self.by_stratum.columns]], ignore_index=True)
        for c in ("N", "sample", "responses"):
            out[c] = out[c].astype(np.int64)
        return out


def _rates(t: pd.DataFrame) -> pd.DataFrame:
    t = t.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        t["response_rate"] = t["responses"] / t["sample"]
        t["sampling_fraction"] = t["sample"] / t["N"]
        t["responding_fraction"] = t["responses"] / t["N"]
    return t


def response_accounting(
    population: PopulationFrame,
    *,
    sample: str = "sample",
    responses: str | pd.DataFrame = "responses",
) -> ResponseAccounting:
    """Response rates and sampling fractions per stratum and overall.

    Parameters
    ----------
    population : PopulationFrame
        Must hold the population count and the ``sample`` count column.
    sample : str, keyword-only
        The column of the frame with the number of units sampled (contacted).
    responses : str or pandas.DataFrame, keyword-only
        Either a count column of the frame (usable responses per stratum) or the
        respondent rows themselves, which are counted per stratum (they must carry the
        stratum columns; a respondent in an unknown stratum is an error).

    Returns
    -------
    ResponseAccounting

    Raises
    ------
    PopulationFrameError
        If a stratum has more responses than sampled units or more sampled units than
        population units.

    Examples
    --------
    >>> import surveyweights as sw
    >>> acc = sw.response_accounting(sw.datasets.barometer_2025_frame())
    >>> round(100 * float(acc.overall["response_rate"]), 1)
    30.3
    """
    if not isinstance(population, PopulationFrame):
        raise InputError(
            f"population must be a PopulationFrame, got {type(population).__name__}; build "
            f"one with PopulationFrame.from_long(...)"
        )
    t = population.table
    check_columns(t, [sample], what="sample", table="the population frame")
    strata = list(population.strata)
    out = t[strata].copy()
    out["N"] = t[population.count].to_numpy()
    out["sample"] = [parse_count(v, where=f"column {sample!r}") for v in t[sample].tolist()]
    if isinstance(responses, str):
        check_columns(t, [responses], what="responses", table="the population frame")
        out["responses"] = [parse_count(v, where=f"column {responses!r}") for v in t[responses].tolist()]
    elif isinstance(responses, pd.DataFrame):
        check_columns(responses, strata, what="strata", table="the responses")
        check_no_missing(responses, population.strata, table="the responses")
        lookup = {
            (k if isinstance(k, tuple) else (k,)): int(v)
            for k, v in responses.groupby(strata, sort=False).size().items()
        }
        known = set(population.keys())
        unknown = [k for k in lookup if k not in known]
        if unknown:
            raise PopulationFrameError(
                f"{len(unknown)} respondent stratum/strata not in the population frame, e.g. "
                f"{format_key(unknown[0])}; correct the respondents' stratum codes or add the "
                f"stratum to the frame"
            )
        out["responses"] = [lookup.get(k, 0) for k in population.keys()]
    else:
        raise InputError(
            f"responses must be a column name or a DataFrame of respondents, got "
            f"{type(responses).__name__}"
        )
    for k, row in zip(population.keys(), out.itertuples(index=False)):
        if row.responses > row.sample:
            raise PopulationFrameError(
                f"stratum {format_key(k)} has {row.responses} responses but only "
                f"{row.sample} sampled units; responses cannot exceed the sample"
            )
        if row.sample > row.N:
            raise PopulationFrameError(
                f"stratum {format_key(k)} has {row.sample} sampled units but a population "
                f"of only {row.N}; the sample cannot exceed the population"
            )
    by_stratum = _rates(out)
    tot = by_stratum[["N", "sample", "responses"]].sum()
    overall = _rates(tot.to_frame().T).iloc[0]
    return ResponseAccounting(by_stratum, overall, population.strata)
