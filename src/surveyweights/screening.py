"""Usable-response screening: which raw responses enter the weighting, and why not.

The AI-Barometer 2025 (section 3.3) excluded 432 of 3.347 responses because
(a) the questionnaire was filled in for another enterprise number than the one
sampled, (b) the same enterprise answered more than once, or (c) the mandatory
question on AI technologies was not answered.  :func:`screen_responses` applies
these rules in that order and returns the kept rows together with an exclusion
report holding one row per excluded response, so that kept + excluded always
accounts for every input row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd

from . import _display
from ._strata import as_columns, check_columns, show
from .errors import InputError

__all__ = ["screen_responses", "ScreeningResult", "RULES", "DUPLICATE_POLICIES"]

#: Exclusion rules, in the order they are applied.
RULES: tuple[str, ...] = ("not_sampled", "duplicate", "mandatory_missing")
#: Valid values of ``duplicates=``.
DUPLICATE_POLICIES: tuple[str, ...] = ("first", "last", "most_complete", "error")


@dataclass(frozen=True)
class ScreeningResult:
    """The outcome of :func:`screen_responses`.

    Attributes
    ----------
    kept : pandas.DataFrame
        The usable responses: the input rows that passed every rule, with their
        original index and columns, in input order.
    excluded : pandas.DataFrame
        One row per excluded response, indexed like the input, with columns ``id``,
        ``rule`` (one of :data:`RULES`) and ``detail`` (a sentence saying why).
    summary : pandas.DataFrame
        One row per rule plus ``kept`` and ``total``: the number of responses.
    """

    kept: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame

    @property
    def n_input(self) -> int:
        """Number of raw responses screened."""
        return len(self.kept) + len(self.excluded)

    def __repr__(self) -> str:
        """One line: responses screened, kept, and excluded per rule."""
        per_rule = self.excluded["rule"].astype(str).value_counts()
        rules = _display.counts([(r, per_rule.get(r, 0)) for r in RULES])
        return (f"ScreeningResult: {_display.number(self.n_input)} responses screened, "
                f"{_display.number(len(self.kept))} kept, {_display.number(len(self.excluded))} "
                f"excluded ({rules})")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.summary,
                                   note="The rows: .kept; one row per excluded response: .excluded")


def _is_missing(col: pd.Series) -> np.ndarray:
    """Unanswered: NaN/None/NA, or a string that is empty after stripping."""
    miss = col.isna().to_numpy()
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        s = col.astype("string").str.strip()
        miss = miss | (s == "").fillna(True).to_numpy(dtype=bool)
    return miss


def _sampled_index(sampled_ids) -> pd.Index:
    """The distinct sampled ids; a path or a single string is an error, not a list."""
    if isinstance(sampled_ids, (str, bytes, PathLike)):
        raise InputError(
            f"sampled_ids={str(sampled_ids)!r} is a single string, not a list of ids (it would "
            f"be read character by character); if it is a file, read it first, e.g. "
            f"sampled_ids=pd.read_csv({str(sampled_ids)!r}, dtype=str)['id']"
        )
    if isinstance(sampled_ids, pd.DataFrame):
        raise InputError(
            "sampled_ids is a DataFrame; pass its id column, e.g. sampled_ids=sample['id']"
        )
    if isinstance(sampled_ids, Mapping) or not isinstance(sampled_ids, Iterable):
        raise InputError(
            f"sampled_ids must be a list, Series or array of ids, got "
            f"{type(sampled_ids).__name__}"
        )
    return pd.Index(pd.Series(list(sampled_ids), dtype=object).dropna().unique())


def _id_kind(values) -> str:
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "numbers"
    if kind == "string":
        return "text"
    return kind


def _check_id_kinds(ids: pd.Series, sampled: pd.Index, id: str) -> None:
    """Ids of different kinds never match: 1001 (a number) is not '1001' (text)."""
    if len(sampled) == 0 or ids.isna().all():
        return
    mine, theirs = _id_kind(ids), _id_kind(sampled)
    if mine != theirs and "text" in (mine, theirs):
        example = show(sampled[0])
        raise InputError(
            f"id column {id!r} holds {mine} (e.g. {show(ids.dropna().iloc[0])}) but sampled_ids "
            f"holds {theirs} (e.g. {example}), so no id would match and every response would "
            f"be excluded as not sampled; read both as text (pd.read_csv(..., dtype={{{id!r}: "
            f"str}})) or convert one of them, e.g. raw[{id!r}].astype(str)"
        )


def _normalise_mandatory(mandatory: Sequence[str] | Mapping[str, Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    if mandatory is None:
        return {}
    if isinstance(mandatory, str):
        return {mandatory: (mandatory,)}
    if isinstance(mandatory, Mapping):
        out = {}
        for q, cols in mandatory.items():
            cols = (cols,) if isinstance(cols, str) else tuple(cols)
            if not cols:
                raise InputError(f"mandatory question {q!r} lists no columns; give its answer column(s)")
            out[str(q)] = cols
        return out
    return {c: (c,) for c in mandatory}


def screen_responses(
    raw: pd.DataFrame,
    *,
    id: str = "id",
    sampled_ids: Iterable | None = None,
    mandatory: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    duplicates: str = "first",
    completeness: Sequence[str] | None = None,
) -> ScreeningResult:
    """Split raw survey responses into usable ones and an exclusion report.

    The rules are applied in order, each to the rows that passed the earlier ones:

    1. ``not_sampled`` -- the enterprise id is missing or not in ``sampled_ids``
       (the questionnaire was filled in for another enterprise than the one sampled);
    2. ``duplicate`` -- several responses carry the same id; one is kept according to
       ``duplicates``, the others are excluded;
    3. ``mandatory_missing`` -- a mandatory question is unanswered.

    Parameters
    ----------
    raw : pandas.DataFrame
        One row per received response.  The index may be anything but must be unique.
    id : str, default "id", keyword-only
        Column with the enterprise (unit) identifier.
    sampled_ids : iterable, optional, keyword-only
        The identifiers of the sampled units.  ``None`` skips rule 1 (it is then
        reported as not applied in ``summary``).
    mandatory : list of str, or mapping of question -> columns, optional, keyword-only
        Mandatory questions.  A list names columns that must each be answered.  A
        mapping names a question whose answer spans several columns (e.g. a battery
        of 8 yes/no items); the question counts as unanswered if any of its columns
        is missing.  Missing means NaN/None or an empty string.
    duplicates : {"first", "last", "most_complete", "error"}, keyword-only
        Which response to keep when an id occurs more than once: the first or last in
        row order, the one with the most answered cells (ties: the first; cells
        counted over ``completeness`` or all columns, mandatory questions first), or
        raise an error listing the duplicated ids.
    completeness : list of str, optional, keyword-only
        Columns counted for ``duplicates="most_complete"``; default all columns but ``id``.

    Returns
    -------
    ScreeningResult
        ``kept`` (usable rows), ``excluded`` (one row per excluded response with
        ``id``, ``rule``, ``detail``) and ``summary`` (counts per rule).

    Raises
    ------
    InputError
        If a column is unknown, the index is not unique, ``duplicates`` is not a valid
        policy, or ``duplicates="error"`` and an id occurs more than once.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"id": [1, 2, 2, 9, 3], "q_ai": ["yes", "no", "no", "yes", None]})
    >>> res = screen_responses(raw, id="id", sampled_ids=[1, 2, 3], mandatory=["q_ai"])
    >>> res.kept["id"].tolist()
    [1, 2]
    >>> res.excluded[["id", "rule"]].values.tolist()
    [[2, 'duplicate'], [9, 'not_sampled'], [3, 'mandatory_missing']]
    """
    if not isinstance(raw, pd.DataFrame):
        raise InputError(f"raw must be a pandas DataFrame, got {type(raw).__name__}")
    if not raw.index.is_unique:
        raise InputError(
            "the index of raw is not unique, so excluded rows could not be traced back; "
            "call raw.reset_index(drop=True) first"
        )
    if duplicates not in DUPLICATE_POLICIES:
        raise InputError(
            f"duplicates={duplicates!r} is not a valid policy; choose one of {list(DUPLICATE_POLICIES)}"
        )
    check_columns(raw, [id], what="id", table="the raw responses")
    questions = _normalise_mandatory(mandatory)
    mand_cols = list(dict.fromkeys(c for cols in questions.values() for c in cols))
    check_columns(raw, mand_cols, what="mandatory", table="the raw responses")
    if completeness is not None:
        completeness = as_columns(completeness, what="completeness")
        check_columns(raw, completeness, what="completeness", table="the raw responses")

    n = len(raw)
    rule = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    ids = raw[id]

    # (a) not in the sampled list -------------------------------------------------
    id_missing = ids.isna().to_numpy()
    rule[id_missing] = "not_sampled"
    detail[id_missing] = f"{id} is missing"
    if sampled_ids is not None:
        sampled = _sampled_index(sampled_ids)
        _check_id_kinds(ids, sampled, id)
        unknown = ~ids.isin(sampled).to_numpy() & ~id_missing
        rule[unknown] = "not_sampled"
        for i in np.flatnonzero(unknown):
            detail[i] = f"{id} {show(ids.iat[i])} is not in the sampled list"

    # (b) duplicates among the rows still in -------------------------------------
    alive = rule == ""
    pos = np.flatnonzero(alive)
    dup_mask = ids.iloc[pos].duplicated(keep=False).to_numpy()
    if dup_mask.any():
        if duplicates == "error":
            dup_ids = pd.unique(ids.iloc[pos[dup_mask]])
            shown = ", ".join(show(v) for v in dup_ids[:10]) + (", ..." if len(dup_ids) > 10 else "")
            raise InputError(
                f"{len(dup_ids)} id(s) occur more than once ({shown}); choose which response "
                f"to keep with duplicates='first', 'last' or 'most_complete'"
            )
        group_pos = pos[dup_mask]
        sub = pd.DataFrame({"key": ids.iloc[group_pos].to_numpy(), "pos": group_pos})
        if duplicates == "most_complete":
            cols = list(completeness) if completeness is not None else [c for c in raw.columns if c != id]
            answered = np.zeros(len(group_pos))
            mand_ok = np.ones(len(group_pos), dtype=bool)
            for c in cols:
                answered += ~_is_missing(raw[c].iloc[group_pos])
            for c in mand_cols:
                mand_ok &= ~_is_missing(raw[c].iloc[group_pos])
            sub["mand_ok"] = mand_ok
            sub["answered"] = answered
            keep_pos = (
                sub.sort_values(["key", "mand_ok", "answered", "pos"],
                                ascending=[True, False, False, True], kind="mergesort")
                .groupby("key", sort=False)["pos"].first()
            )
            how = "fewer answered questions than the kept response"
        else:
            g = sub.groupby("key", sort=False)["pos"]
            keep_pos = g.min() if duplicates == "first" else g.max()
            how = f"duplicates={duplicates!r} keeps the {duplicates} response"
        keep_of = dict(zip(keep_pos.index, keep_pos.to_numpy()))
        for k, p in zip(sub["key"], sub["pos"]):
            kp = keep_of[k]
            if p != kp:
                rule[p] = "duplicate"
                detail[p] = (
                    f"{id} {show(k)} also answered in row {show(raw.index[kp])}, which is kept "
                    f"({how})"
                )

    # (c) mandatory question unanswered ------------------------------------------
    alive = rule == ""
    if questions:
        missing_by_col = {c: _is_missing(raw[c]) for c in mand_cols}
        for i in np.flatnonzero(alive):
            gaps = []
            for q, cols in questions.items():
                miss = [c for c in cols if missing_by_col[c][i]]
                if miss:
                    gaps.append(
                        f"{q!r} unanswered" if cols == (q,)
                        else f"{q!r} unanswered ({', '.join(miss)} missing)"
                    )
            if gaps:
                rule[i] = "mandatory_missing"
                detail[i] = "mandatory question " + "; ".join(gaps)

    excluded_mask = rule != ""
    kept = raw.loc[~excluded_mask].copy()
    excluded = pd.DataFrame(
        {"id": ids.to_numpy()[excluded_mask], "rule": rule[excluded_mask].astype(str),
         "detail": detail[excluded_mask].astype(str)},
        index=raw.index[excluded_mask],
    )
    excluded["rule"] = pd.Categorical(excluded["rule"], categories=list(RULES))
    counts = [int((rule == r).sum()) for r in RULES]
    applied = [sampled_ids is not None or id_missing.any(), True, bool(questions)]
    summary = pd.DataFrame(
        {"rule": [*RULES, "kept", "total"],
         "n": [*counts, len(kept), n],
         "applied": [*applied, True, True]}
    )
    return ScreeningResult(kept=kept, excluded=excluded, summary=summary)
