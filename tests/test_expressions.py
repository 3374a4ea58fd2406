"""The safe expression language: nothing runs, R/SQL missing-value semantics, SQL parity."""

from __future__ import annotations

import sqlite3
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surveyweights as sw
from surveyweights.errors import ExpressionError, SurveyWeightsError
from surveyweights.expressions import Expression, parse

# ---------------------------------------------------------------------------
# escape routes: none of them may run
# ---------------------------------------------------------------------------

ESCAPES = [
    # attribute chains to globals and builtins
    "size.__class__.__init__.__globals__",
    "(lambda: 0).__globals__['os'].system('touch {p}')",
    "().__class__.__bases__[0].__subclasses__()",
    "size.__globals__",
    "__builtins__",
    "__import__('os').system('touch {p}')",
    "__import__('os')",
    "@os.system('touch {p}')",
    "os.system('touch {p}')",
    "size == 'a' or os.system('touch {p}') == 0",
    "size.to_csv('{p}')",
    "x.to_csv('{p}') == 0",
    "to_csv('{p}')",
    "lambda: open('{p}', 'w')",
    "(lambda: open('{p}', 'w'))()",
    "[open('{p}', 'w') for _ in [1]]",
    "{{open('{p}', 'w') for _ in [1]}}",
    "{{k: open('{p}', 'w') for k in [1]}}",
    "list(open('{p}', 'w') for _ in [1])",
    "(f := open('{p}', 'w'))",
    "exec('open(\"{p}\", \"w\")')",
    "eval('1')",
    "open('{p}', 'w')",
    "getattr(size, 'to_csv')('{p}')",
    "x[0]",
    "f'{{open(\"{p}\", \"w\")}}'",
    "@pd.io.common",
    "x if y else z",
    "pd.DataFrame()",
    "isna(x).to_csv('{p}')",
    "isna(x, y)",
    "isna(x=1)",
    "x is None",
    "x & y",
    "x | y",
    "~x",
    "x ** 1000000",
    "x // 2",
    "x % 2",
    "x in y",
    "x in [y]",
    "b'bytes' == x",
    "1j == x",
    "... == x",
    "None == x",
    "x = 1",
    "import os",
    "x; import os",
    "`unclosed",
    "``",
    "",
    "   ",
    "x\x00",
    "(" * 300 + "x" + ")" * 300,
    "not " * 5000 + "x",
    "x + " * 3000 + "x",
    "x" * 20_000,
]


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_routes_raise_and_run_nothing(template, tmp_path):
    target = tmp_path / "pwned"
    text = template.replace("{p}", str(target)) if "{p}" in template else template
    text = text.replace("{{", "{").replace("}}", "}")
    df = pd.DataFrame({"x": [1, 2], "y": [True, False], "size": ["a", "b"]})
    with pytest.raises(ExpressionError):
        parse(text).evaluate(df)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_reported_attack_through_subset_runs_nothing(tmp_path):
    """The issue's report: a subset= string created a directory and a file."""
    d = sw.Design(pd.DataFrame({"y": [0, 1, 1, 0], "g": ["a", "a", "b", "b"]}), strata="g")
    target = tmp_path / "made_by_subset"
    attack = f"g.__class__.__init__.__globals__['os'].system('mkdir {target}') == 0"
    with pytest.raises(ExpressionError, match=r"is not allowed at .*__globals__.*: calls are not allowed"):
        sw.proportion(d, "y", subset=attack)
    with pytest.raises(ExpressionError, match=r"is not valid \(invalid syntax\)"):
        sw.proportion(d, "y", subset=f"@pd.io.common.os.makedirs('{target}')")
    assert not target.exists()


def test_rejected_expression_quotes_the_offending_part():
    with pytest.raises(ExpressionError, match=r"not allowed at 'size\.to_csv\(.*attribute|calls are not"):
        parse("size == 'a' and size.to_csv('x') == 1")
    with pytest.raises(ExpressionError, match=r"not allowed at '`my\.col`\.x'"):
        parse("`my.col`.x == 1")
    with pytest.raises(ExpressionError, match=r"at 'x & y': the operator '&' is not allowed; write 'and'"):
        parse("x & y")
    with pytest.raises(ExpressionError, match=r"not valid .*use == to compare"):
        parse("x = 1")
    with pytest.raises(ExpressionError, match=r"None is not a value here; test for a missing value with isna"):
        parse("x == None")
    with pytest.raises(ExpressionError, match=r"'in' needs a list of literal values"):
        parse("x in y")


def test_non_string_expressions_are_refused():
    with pytest.raises(ExpressionError, match="an expression must be a string, got int"):
        parse(3)


# ---------------------------------------------------------------------------
# what is allowed, and what it means
# ---------------------------------------------------------------------------


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "num": [1.0, 2.0, np.nan, 4.0, 5.0],
        "int": [1, 2, 3, 4, 5],
        "txt": ["a", "b", None, "a", "c"],
        "flag": pd.array([True, False, None, True, False], dtype="boolean"),
        "cat": pd.Categorical(["lo", "hi", "hi", None, "lo"], categories=["lo", "hi"]),
        "my col.x": [10, 20, 30, 40, 50],
    })


@pytest.mark.parametrize("text, rows", [
    ("num > 1", [1, 3, 4]),
    ("num != 2", [0, 3, 4]),                      # NaN != 2 is missing: not selected (R, SQL)
    ("not num > 1", [0]),
    ("txt == 'a'", [0, 3]),
    ("txt != 'a'", [1, 4]),                       # a missing txt is not selected
    ("isna(txt) or txt != 'a'", [1, 2, 4]),
    ("txt in ['a', 'c']", [0, 3, 4]),
    ("txt not in ('a', 'c')", [1]),
    ("2 <= int < 5", [1, 2, 3]),
    ("int >= 2 and int <= 4 and txt == 'a'", [3]),
    ("flag", [0, 3]),
    ("not flag", [1, 4]),
    ("flag == False", [1, 4]),
    ("flag or num > 4", [0, 3, 4]),
    ("flag and num > 4", []),
    ("num > 100 and flag", []),                   # False and missing is False
    ("num > 0 or flag", [0, 1, 3, 4]),            # num missing at row 2, flag missing: missing
    ("cat == 'hi'", [1, 2]),
    ("cat in ['lo']", [0, 4]),
    ("isna(cat)", [3]),
    ("`my col.x` >= 30", [2, 3, 4]),
    ("`my col.x` / int == 10", [0, 1, 2, 3, 4]),
    ("(num - 1) * 2 > 3", [3, 4]),
    ("-num < -3", [3, 4]),
    ("abs(num - 3) <= 1", [1, 3]),
    ("num / (int - 2) > 0", [3, 4]),              # division by zero at row 1 is missing
    ("notna(num) and notna(txt)", [0, 1, 3, 4]),
    ("True", [0, 1, 2, 3, 4]),
    ("txt < 'b'", [0, 3]),
    ("int == 3.0", [2]),
    ("int in [1, 5.0]", [0, 4]),
])
def test_selected_rows(text, rows):
    df = frame()
    before = df.copy(deep=True)
    got = np.flatnonzero(parse(text).mask(df)).tolist()
    assert got == rows
    pd.testing.assert_frame_equal(df, before)


def test_evaluate_keeps_missing_as_missing():
    df = frame()
    v = parse("num > 1").evaluate(df)
    assert str(v.dtype) == "boolean"
    assert v.isna().tolist() == [False, False, True, False, False]
    assert v.index.equals(df.index)
    s = parse("num * 2").evaluate(df)
    np.testing.assert_array_equal(s.to_numpy(), [2.0, 4.0, np.nan, 8.0, 10.0])
    assert parse("int").evaluate(df).dtype == np.int64
    assert parse("txt").evaluate(df).isna().tolist() == [False, False, True, False, False]


def test_columns_and_frozen():
    e = parse("`a b` > 1 and c == 'x' or `a b` < 0")
    assert e.columns == ("a b", "c")
    assert parse(e) is e
    with pytest.raises(AttributeError):
        e.text = "x"  # type: ignore[misc]
    assert e == parse("`a b` > 1 and c == 'x' or `a b` < 0")


def test_backquotes_inside_string_literals_are_text():
    df = pd.DataFrame({"x": ["`a`", "b"], "it's": [1, 2]})
    assert parse("x == '`a`'").mask(df).tolist() == [True, False]
    assert parse("`it's` == 2").mask(df).tolist() == [False, True]
    assert parse('x == "b" or x == \'it\\\'s\'').mask(df).tolist() == [False, True]


@pytest.mark.parametrize("text, match", [
    ("nope == 1", r"column 'nope' is not in the data \(columns: 'num', 'int'"),
    ("txt == 1", r"column 'txt' \(text\) cannot be compared with the number 1 \(numbers\); quote the value"),
    ("num == 'a'", r"remove the quotes to compare numbers"),
    ("txt + 1 > 0", r"column 'txt' holds text, but '\+' needs numbers"),
    ("num", r"gives numbers, not True/False; write a condition, e.g. num == 1"),
    ("num and flag", r"column 'num' holds numbers, but 'and' needs True/False values"),
    ("flag > True", r"True/False values can only be compared with == or !=, not >"),
    ("txt in [1, 2]", r"column 'txt' holds text, but the list after 'in' holds numbers"),
    ("when == 1", r"column 'when' has dtype datetime64\[.*\].*only isna\(\)/notna\(\) apply"),
])
def test_type_errors_name_the_column_and_the_fix(text, match):
    df = frame().assign(when=pd.Timestamp("2025-01-01"))
    with pytest.raises(ExpressionError, match=match):
        parse(text).mask(df, what="subset")


def test_duplicate_column_names_are_an_error():
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ExpressionError, match="the data have 2 columns named 'a'; rename them"):
        parse("a == 1").mask(df)


def test_all_missing_column_selects_nothing():
    df = pd.DataFrame({"x": [None, None]}, dtype=object)
    assert parse("x == 'a'").mask(df).tolist() == [False, False]
    assert parse("isna(x)").mask(df).tolist() == [True, True]


def test_sql_text():
    e = parse("size in ['small', \"it's\"] and not (`turn over` / n > 2) or isna(x)")
    assert e.to_sql() == (
        "(((\"size\" IN ('small', 'it''s')) AND (NOT ((CAST(\"turn over\" AS DOUBLE) / "
        "NULLIF(CAST(\"n\" AS DOUBLE), 0.0)) > 2))) OR (\"x\" IS NULL))"
    )
    assert parse("`a`b` == 'c\\\\d'".replace("`a`b`", "`a`")).to_sql(dialect="spark") == "(`a` = 'c\\\\d')"
    assert parse("x == 1").to_sql(quote=lambda c: f"[{c}]") == "([x] = 1)"
    with pytest.raises(ExpressionError, match=r"dialect='oracle' is not known; choose one of \['ansi'"):
        parse("x == 1").to_sql(dialect="oracle")


# ---------------------------------------------------------------------------
# the same rows in pandas and in a SQL engine (sqlite3 from the standard library)
# ---------------------------------------------------------------------------

NUM_COLS = ["a", "b"]
TXT_COLS = ["s"]
BOOL_COLS = ["f"]


def _num_atom():
    return st.one_of(st.sampled_from(NUM_COLS), st.integers(-3, 3).map(str),
                     st.sampled_from(["0.5", "1.5", "-2.5"]))


_num_expr = st.recursive(
    _num_atom(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"-{x}"),
        inner.map(lambda x: f"abs({x})"),
    ),
    max_leaves=4,
)
_cmp = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
_text = st.sampled_from(["x", "y", "z", "it's", "a\\b"])


def _quoted(v: str) -> str:
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


_cond_atom = st.one_of(
    st.tuples(_num_expr, _cmp, _num_expr).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.tuples(_cmp, _text).map(lambda t: f"s {t[0]} {_quoted(t[1])}"),
    st.tuples(st.booleans(), st.lists(_text, min_size=1, max_size=3)).map(
        lambda t: f"s {'not in' if t[0] else 'in'} [{', '.join(_quoted(v) for v in t[1])}]"),
    st.tuples(st.booleans(), st.lists(st.integers(-2, 2), min_size=1, max_size=3)).map(
        lambda t: f"a {'not in' if t[0] else 'in'} {t[1]!r}"),
    st.sampled_from(["f", "f == True", "f != False", "isna(a)", "notna(s)", "isna(f)"]),
    st.tuples(_num_expr, _cmp, _num_expr, _cmp, _num_expr).map(lambda t: " ".join(t)),
)
_condition = st.recursive(
    _cond_atom,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"not ({x})"),
    ),
    max_leaves=5,
)


@st.composite
def _frames(draw):
    n = draw(st.integers(0, 8))
    nums = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([0.5, -1.5]))
    return pd.DataFrame({
        "a": pd.array(draw(st.lists(nums, min_size=n, max_size=n)), dtype="Float64"),
        "b": pd.array(draw(st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=n, max_size=n)),
                      dtype="Int64"),
        "s": pd.array(draw(st.lists(st.one_of(st.none(), _text), min_size=n, max_size=n)), dtype="str"),
        "f": pd.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
                      dtype="boolean"),
    })


def _sqlite_rows(df: pd.DataFrame, sql: str) -> list[int]:
    con = sqlite3.connect(":memory:")
    try:
        con.execute('CREATE TABLE t (i INTEGER, a DOUBLE, b INTEGER, s TEXT, f BOOLEAN)')
        rows = [
            (i, None if pd.isna(a) else float(a), None if pd.isna(b) else int(b),
             None if pd.isna(s) else str(s), None if pd.isna(f) else bool(f))
            for i, (a, b, s, f) in enumerate(zip(df["a"], df["b"], df["s"], df["f"]))
        ]
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
        return [r[0] for r in con.execute(f"SELECT i FROM t WHERE {sql} ORDER BY i")]
    finally:
        con.close()


@settings(max_examples=50, deadline=None)
@given(df=_frames(), text=_condition)
def test_pandas_and_sql_select_the_same_rows(df, text):
    e = parse(text)
    ours = np.flatnonzero(e.mask(df)).tolist()
    assert ours == _sqlite_rows(df, e.to_sql(dialect="sqlite"))


@settings(max_examples=40, deadline=None)
@given(df=_frames(), text=_condition)
def test_not_is_the_complement_among_known_rows(df, text):
    """Kleene logic: a row is in exactly one of e, not e, or missing."""
    v = parse(text).evaluate(df)
    w = parse(f"not ({text})").evaluate(df)
    known = v.notna().to_numpy()
    assert (w.isna().to_numpy() == ~known).all()
    assert (v[known].astype(bool).to_numpy() != w[known].astype(bool).to_numpy()).all()


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=string.printable, max_size=40))
def test_arbitrary_text_parses_or_raises_a_library_error(text):
    df = pd.DataFrame({"x": [1, 2]})
    try:
        e = parse(text)
        e.evaluate(df)
    except SurveyWeightsError:
        pass
    else:
        assert isinstance(e, Expression)


def test_doc_page_lists_the_grammar():
    doc = (Path(__file__).parents[1] / "docs" / "expressions.md").read_text(encoding="utf-8")
    for word in ("isna", "notna", "abs", "not in", "backquote", "NULL"):
        assert word in doc
