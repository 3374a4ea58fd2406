"""screen_responses: the report's three exclusion rules, and no row is ever lost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import InputError


def _raw():
    return pd.DataFrame(
        {
            "id": [101, 102, 102, 999, 103, 104, 104, None],
            "q_ai": ["yes", None, "no", "yes", "", "yes", "no", "yes"],
            "budget": ["up", None, None, "same", "down", None, "up", "same"],
        },
        index=[f"r{i}" for i in range(8)],
    )


def test_three_rules_in_order():
    res = sw.screen_responses(_raw(), id="id", sampled_ids=[101, 102, 103, 104],
                              mandatory=["q_ai"], duplicates="first")
    assert res.kept.index.tolist() == ["r0", "r5"]
    ex = res.excluded
    assert ex.loc["r3", "rule"] == "not_sampled" and "999" in ex.loc["r3", "detail"]
    assert ex.loc["r7", "rule"] == "not_sampled" and ex.loc["r7", "detail"] == "id is missing"
    assert ex.loc["r2", "rule"] == "duplicate" and "row 'r1'" in ex.loc["r2", "detail"]
    assert ex.loc["r6", "rule"] == "duplicate"
    # r1 is kept as the first 102 response, then fails the mandatory question
    assert ex.loc["r1", "rule"] == "mandatory_missing"
    assert ex.loc["r4", "rule"] == "mandatory_missing"  # empty string = unanswered
    assert res.summary.set_index("rule")["n"].to_dict() == {
        "not_sampled": 2, "duplicate": 2, "mandatory_missing": 2, "kept": 2, "total": 8}


def test_keep_last_and_most_complete():
    last = sw.screen_responses(_raw(), sampled_ids=[101, 102, 103, 104], mandatory=["q_ai"],
                               duplicates="last")
    assert last.kept.index.tolist() == ["r0", "r2", "r6"]
    best = sw.screen_responses(_raw(), sampled_ids=[101, 102, 103, 104], mandatory=["q_ai"],
                               duplicates="most_complete")
    # 102: r2 answers the mandatory question, r1 does not; 104: r6 answers more cells
    assert best.kept.index.tolist() == ["r0", "r2", "r6"]
    assert "fewer answered questions" in best.excluded.loc["r1", "detail"]


def test_mandatory_question_spanning_several_columns():
    raw = pd.DataFrame({"id": [1, 2, 3], "t1": [1, None, 0], "t2": [0, 1, None]})
    res = sw.screen_responses(raw, mandatory={"q_ai": ["t1", "t2"]})
    assert res.kept["id"].tolist() == [1]
    assert res.excluded["detail"].tolist() == [
        "mandatory question 'q_ai' unanswered (t1 missing)",
        "mandatory question 'q_ai' unanswered (t2 missing)",
    ]


def test_sampled_list_optional():
    res = sw.screen_responses(pd.DataFrame({"id": [1, 2, 2]}))
    assert res.kept["id"].tolist() == [1, 2]
    assert not res.summary.set_index("rule").loc["not_sampled", "applied"]


def test_errors():
    with pytest.raises(InputError, match=r"duplicates='keep' is not a valid policy; choose one of \['first', 'last', 'most_complete', 'error'\]"):
        sw.screen_responses(_raw(), duplicates="keep")
    with pytest.raises(InputError, match=r"2 id\(s\) occur more than once \(102, 104\); choose which response to keep"):
        sw.screen_responses(_raw(), duplicates="error")
    with pytest.raises(InputError, match=r"mandatory column\(s\) \['q_x'\] not found"):
        sw.screen_responses(_raw(), mandatory=["q_x"])
    with pytest.raises(InputError, match="index of raw is not unique"):
        sw.screen_responses(pd.DataFrame({"id": [1, 2]}, index=[0, 0]))


@settings(max_examples=80, deadline=None)
@given(
    ids=st.lists(st.one_of(st.none(), st.integers(0, 12)), min_size=0, max_size=40),
    answered=st.lists(st.booleans(), min_size=40, max_size=40),
    sampled=st.sets(st.integers(0, 12)),
    policy=st.sampled_from(["first", "last", "most_complete"]),
)
def test_screening_never_loses_a_row(ids, answered, sampled, policy):
    raw = pd.DataFrame({"id": pd.array(ids, dtype="Int64"),
                        "q": ["x" if a else None for a in answered[: len(ids)]]})
    res = sw.screen_responses(raw, sampled_ids=sampled, mandatory=["q"], duplicates=policy)
    kept, ex = res.kept.index, res.excluded.index
    assert len(kept) + len(ex) == len(raw)
    assert kept.intersection(ex).empty
    assert sorted(kept.union(ex)) == sorted(raw.index)
    # kept rows obey every rule
    assert res.kept["id"].notna().all() and res.kept["id"].isin(sampled).all()
    assert not res.kept["id"].duplicated().any() and res.kept["q"].notna().all()
    # every sampled id with at least one complete response keeps exactly one row if
    # duplicates are resolved by completeness
    if policy == "most_complete":
        ok = raw[raw["id"].isin(sampled) & raw["q"].notna()]["id"].unique()
        assert set(res.kept["id"]) == set(ok)
    assert res.summary.set_index("rule").loc["total", "n"] == len(raw)
    assert np.all(res.excluded["rule"].isin(sw.screening.RULES))
