"""Safe filter and column expressions: parsed by the library, never run as Python.

Every place that takes an expression string (``subset=`` of the estimators,
``hot_deck(eligible=...)``, SQL engines) goes through :func:`parse`.  The text is
read with Python's :mod:`ast` parser and then checked against a whitelist; the
result is a small tree of the library's own node types, which is evaluated with
numpy on the columns of a DataFrame or compiled to SQL.  Nothing in the text is
ever executed: there is no ``eval``, no attribute access, no subscripts and no
calls other than the few named functions below.

Grammar
-------
::

    expression  := disjunction
    disjunction := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation    := "not" negation | comparison
    comparison  := sum (compare_op sum)*            # chained: a < b < c
                 | sum ["not"] "in" list
    compare_op  := "==" | "!=" | "<" | "<=" | ">" | ">="
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := ("-" | "+") unary | atom
    atom        := column | literal | function "(" expression ")" | "(" expression ")"
    list        := "[" literal ("," literal)* "]"      # or ( ... ) for a tuple
    column      := name | "`" any text without a backquote "`"
    literal     := number | 'text' | "text" | True | False
    function    := "isna" | "notna" | "abs"

Missing values (three-valued logic, as R and SQL)
-------------------------------------------------
A missing value (``NaN``, ``None``, ``pd.NA``; SQL ``NULL``) makes a comparison,
an ``in`` test and any arithmetic on it *missing*.  ``and``/``or``/``not``
follow Kleene's logic, as R's ``&``/``|`` and SQL: ``missing and False`` is
False, ``missing or True`` is True, ``not missing`` is missing.  When the
expression selects rows (a subset or an eligibility rule), a missing result
counts as **not selected**, as R's ``subset()`` and SQL's ``WHERE``.  So
``size != 'large'`` does not select a row whose size is missing; write
``isna(size) or size != 'large'`` to include it.  Division by zero is missing
(SQL ``NULLIF(b, 0)``), and arithmetic is done in double precision in both
back ends.  ``isna(x)`` and ``notna(x)`` are never missing.

References
----------
Kleene, S. C. (1952). *Introduction to Metamathematics*, section 64 (the strong
three-valued logic used by SQL's ``NULL`` and R's ``NA``).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import pandas as pd

from .errors import ExpressionError

__all__ = ["Expression", "parse", "FUNCTIONS", "SQL_DIALECTS"]

#: Named functions an expression may call, with what they do.
FUNCTIONS: Mapping[str, str] = {
    "isna": "True where the value is missing (never missing itself)",
    "notna": "True where the value is present (never missing itself)",
    "abs": "absolute value of a number",
}
#: SQL dialects of :meth:`Expression.to_sql`: identifier quote, and whether a
#: backslash in a string literal is an escape character there.
SQL_DIALECTS: Mapping[str, tuple[str, bool]] = {
    "ansi": ('"', False),
    "duckdb": ('"', False),
    "sqlite": ('"', False),
    "postgres": ('"', False),
    "spark": ("`", True),
}
MAX_LENGTH = 10_000
MAX_NODES = 2_000

_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_SQL_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_HINTS = {
    ast.Attribute: "attribute access is not allowed; refer to a column by its name "
                   "(backquote names with dots or spaces: `my.column`)",
    ast.Subscript: "subscripts are not allowed; refer to a column by its name",
    ast.Lambda: "lambda is not allowed; pass a boolean mask or a callable instead of a string",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.NamedExpr: "assignment is not allowed; use == to compare",
    ast.JoinedStr: "f-strings are not allowed; write the text literally",
    ast.IfExp: "conditional expressions (x if c else y) are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}
_BITWISE = {ast.BitAnd: "and", ast.BitOr: "or", ast.Invert: "not", ast.BitXor: None}


# ----------------------------------------------------------------------------
# the tree
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str


@dataclass(frozen=True)
class _Literal:
    value: Union[bool, int, float, str]


@dataclass(frozen=True)
class _Compare:
    op: str
    left: "_Node"
    right: "_Node"


@dataclass(frozen=True)
class _InList:
    operand: "_Node"
    values: tuple
    negate: bool


@dataclass(frozen=True)
class _Logical:
    op: str  # "and" / "or"
    operands: tuple


@dataclass(frozen=True)
class _Not:
    operand: "_Node"


@dataclass(frozen=True)
class _Arith:
    op: str
    left: "_Node"
    right: "_Node"


@dataclass(frozen=True)
class _Negate:
    operand: "_Node"


@dataclass(frozen=True)
class _Call:
    name: str
    arg: "_Node"


_Node = Union[_Column, _Literal, _Compare, _InList, _Logical, _Not, _Arith, _Negate, _Call]


# ----------------------------------------------------------------------------
# parsing
# ----------------------------------------------------------------------------


def _backquotes(text: str) -> tuple[str, dict[str, str]]:
    """Replace `quoted names` outside string literals by unique identifiers."""
    out: list[str] = []
    names: dict[str, str] = {}
    i, n = 0, len(text)
    stem = "_sw_col"
    while stem in text:
        stem += "_"
    while i < n:
        ch = text[i]
        if ch in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            j = min(j + len(quote), n)
            out.append(text[i:j])
            i = j
        elif ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise ExpressionError(
                    f"expression {text!r} has an unmatched backquote at position {i}; close "
                    f"the column name with a second backquote, e.g. `my column`"
                )
            name = text[i + 1:j]
            if not name:
                raise ExpressionError(
                    f"expression {text!r} has an empty backquoted name at position {i}; "
                    f"write the column name between the backquotes"
                )
            ident = f"{stem}{len(names)}"
            names[ident] = name
            out.append(f" {ident} ")
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), names


class _Builder:
    def __init__(self, text: str, names: dict[str, str], source: str):
        self.text = text
        self.names = names
        self.source = source
        self.count = 0

    def show(self, node: ast.AST) -> str:
        try:
            part = ast.unparse(node)
        except Exception:  # unparse of an odd tree: fall back to the node type
            part = type(node).__name__
        for ident, name in self.names.items():
            part = part.replace(ident, f"`{name}`")
        return part

    def fail(self, node: ast.AST, why: str) -> ExpressionError:
        return ExpressionError(
            f"expression {self.text!r} is not allowed at {self.show(node)!r}: {why}. "
            f"Expressions may use column names, literals, comparisons, and/or/not, "
            f"in/not in with a list, + - * /, and {', '.join(FUNCTIONS)}()"
        )

    def build(self, node: ast.AST) -> _Node:
        self.count += 1
        if self.count > MAX_NODES:
            raise ExpressionError(
                f"expression {self.text[:80]!r}... has more than {MAX_NODES} parts; split it "
                f"or build a boolean mask in code"
            )
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant):
            return _Literal(self._literal(node))
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return _Logical(op, tuple(self.build(v) for v in node.values))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _Not(self.build(node.operand))
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                inner = self.build(node.operand)
                if isinstance(node.op, ast.UAdd):
                    return inner
                if isinstance(inner, _Literal) and _is_number(inner.value):
                    return _Literal(-inner.value)
                return _Negate(inner)
            raise self.fail(node, self._bitwise(node.op))
        if isinstance(node, ast.BinOp):
            op = _ARITH.get(type(node.op))
            if op is None:
                if type(node.op) in _BITWISE:
                    raise self.fail(node, self._bitwise(node.op))
                raise self.fail(node, "only the arithmetic operators + - * / are allowed")
            return _Arith(op, self.build(node.left), self.build(node.right))
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        hint = _HINTS.get(type(node))
        if hint is None:
            hint = f"{type(node).__name__} is not part of the expression language"
        raise self.fail(node, hint)

    def _bitwise(self, op: ast.AST) -> str:
        word = _BITWISE.get(type(op))
        if word:
            return (f"the operator {self.show_op(op)!r} is not allowed; write {word!r} "
                    f"(Python's & | ~ bind tighter than comparisons)")
        return "this operator is not allowed"

    @staticmethod
    def show_op(op: ast.AST) -> str:
        return {ast.BitAnd: "&", ast.BitOr: "|", ast.Invert: "~", ast.BitXor: "^"}.get(type(op), "?")

    def _name(self, node: ast.Name) -> _Column:
        ident = node.id
        if ident in self.names:
            return _Column(self.names[ident])
        if ident.startswith("__"):
            raise self.fail(node, "names starting with '__' are not allowed; backquote a "
                                  "column with such a name: `__name`")
        return _Column(ident)

    def _literal(self, node: ast.Constant) -> Any:
        v = node.value
        if isinstance(v, bool) or isinstance(v, str):
            return v
        if v is None:
            raise self.fail(node, "None is not a value here; test for a missing value with "
                                  "isna(column) or notna(column)")
        if isinstance(v, int):
            if not -(2**63) <= v < 2**63:
                raise self.fail(node, "integers must fit in 64 bits")
            return v
        if isinstance(v, float):
            if not math.isfinite(v):
                raise self.fail(node, "numbers must be finite; test for a missing value with "
                                      "isna(column)")
            return v
        raise self.fail(node, f"{type(v).__name__} literals are not allowed; use numbers, "
                              f"'text', True or False")

    def _compare(self, node: ast.Compare) -> _Node:
        parts: list[_Node] = []
        left_ast = node.left
        left = self.build(left_ast)
        for op, right_ast in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if len(node.ops) > 1:
                    raise self.fail(node, "'in' cannot be chained with other comparisons; "
                                          "join them with 'and'")
                parts.append(_InList(left, self._list(right_ast), isinstance(op, ast.NotIn)))
                break
            if isinstance(op, (ast.Is, ast.IsNot)):
                raise self.fail(node, "'is' is not allowed; use == to compare values or "
                                      "isna(column) to test for a missing value")
            right = self.build(right_ast)
            parts.append(_Compare(_COMPARE[type(op)], left, right))
            left = right
        return parts[0] if len(parts) == 1 else _Logical("and", tuple(parts))

    def _list(self, node: ast.AST) -> tuple:
        if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            raise self.fail(node, "'in' needs a list of literal values, e.g. x in ['a', 'b']")
        values = []
        for elt in node.elts:
            lit = self.build(elt)
            if not isinstance(lit, _Literal):
                raise self.fail(elt, "the list after 'in' may hold only literal values")
            values.append(lit.value)
        if not values:
            raise self.fail(node, "the list after 'in' is empty; give at least one value")
        kinds = {_literal_kind(v) for v in values}
        if len(kinds) > 1:
            raise self.fail(node, "the list after 'in' mixes text, numbers and True/False; "
                                  "give values of one kind")
        return tuple(dict.fromkeys(values))

    def _call(self, node: ast.Call) -> _Call:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail(node, f"calls are not allowed except {', '.join(FUNCTIONS)}()")
        if node.keywords or len(node.args) != 1:
            raise self.fail(node, f"{node.func.id}() takes exactly one argument")
        return _Call(node.func.id, self.build(node.args[0]))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _literal_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "str"
    return "num"


def _walk(node: _Node):
    yield node
    if isinstance(node, (_Compare, _Arith)):
        yield from _walk(node.left)
        yield from _walk(node.right)
    elif isinstance(node, _Logical):
        for o in node.operands:
            yield from _walk(o)
    elif isinstance(node, (_Not, _Negate, _InList)):
        yield from _walk(node.operand)
    elif isinstance(node, _Call):
        yield from _walk(node.arg)


def parse(text: "str | Expression", *, what: str | None = None) -> "Expression":
    """Parse an expression string into an :class:`Expression`, without running it.

    Parameters
    ----------
    text : str or Expression
        The expression, e.g. ``"adoption == 'adopter' and size in ['small', 'medium']"``.
        Column names that are not Python identifiers go between backquotes:
        ``"`turnover 2024` > 1000"``.  An :class:`Expression` is returned as it is.
    what : str, optional, keyword-only
        Where the expression comes from (e.g. ``"subset"``), to start error messages.

    Returns
    -------
    Expression
        Frozen; ``columns`` lists the referenced column names.

    Raises
    ------
    ExpressionError
        The text is not valid, or uses anything outside the grammar (attribute
        access, subscripts, calls other than ``isna``/``notna``/``abs``, lambda,
        comprehensions, names starting with ``__``...).  The message quotes the
        offending part.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyweights.expressions import parse
    >>> e = parse("size in ['small', 'medium'] and `turnover 2024` > 10")
    >>> e.columns
    ('size', 'turnover 2024')
    >>> df = pd.DataFrame({"size": ["small", "large", None],
    ...                    "turnover 2024": [20, 30, 40]})
    >>> e.mask(df).tolist()
    [True, False, False]
    >>> print(e.to_sql())
    (("size" IN ('small', 'medium')) AND ("turnover 2024" > 10))
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    surveyweights.errors.ExpressionError: expression "__import__('os')" is not allowed at "__import__('os')": calls are not allowed except isna, notna, abs()...
    """
    if isinstance(text, Expression):
        return text
    try:
        return _parse(text)
    except ExpressionError as exc:
        if what is None:
            raise
        raise ExpressionError(f"{what}: {exc}") from None


def _parse(text: Any) -> "Expression":
    if not isinstance(text, str):
        raise ExpressionError(
            f"an expression must be a string, got {type(text).__name__} {text!r:.80}; pass "
            f"the condition as text, e.g. \"size == 'small'\""
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression {text[:80]!r}... is {len(text)} characters long, more than "
            f"{MAX_LENGTH}; build a boolean mask in code instead"
        )
    if not text.strip():
        raise ExpressionError("the expression is empty; write a condition such as \"size == 'small'\"")
    source, names = _backquotes(text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        hint = ("use == to compare" if "=" in text and "==" not in text else
                "check quotes and brackets, and write the expression on one line")
        raise ExpressionError(
            f"expression {text!r} is not valid ({exc.msg}); {hint}"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(
            f"expression {text[:80]!r} cannot be read ({type(exc).__name__}); remove null "
            f"characters and deep nesting"
        ) from None
    builder = _Builder(text, names, source)
    try:
        node = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError(
            f"expression {text[:80]!r} is nested too deeply; simplify it or build a "
            f"boolean mask in code"
        ) from None
    cols = tuple(dict.fromkeys(n.name for n in _walk(node) if isinstance(n, _Column)))
    return Expression(text, cols, node)


# ----------------------------------------------------------------------------
# evaluation: (kind, values, missing) triples with numpy broadcasting
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Val:
    kind: str            # "bool", "num", "str", "null" (all missing), "other"
    values: Any          # numpy array (n,) or a scalar; canonical value where missing
    missing: Any         # bool array (n,) or a scalar bool
    what: str            # how to name it in a message
    dtype: str = ""


def _from_column(s: pd.Series, name: str) -> _Val:
    what = f"column {name!r}"
    dtype = str(s.dtype)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = _from_column(pd.Series(s.cat.categories), name)
        codes = s.cat.codes.to_numpy()
        miss = codes < 0
        if cats.kind == "null" or len(s.cat.categories) == 0:
            return _Val("null", False, np.ones(len(s), dtype=bool), what, dtype)
        vals = np.asarray(cats.values)[np.maximum(codes, 0)]
        if cats.kind == "str":
            vals = np.where(miss, "", vals).astype(object)
        elif cats.kind == "num":
            vals = np.where(miss, 0, vals)
        elif cats.kind == "bool":
            vals = np.where(miss, False, vals).astype(bool)
        return _Val(cats.kind, vals, miss, what, dtype)
    if isinstance(s.dtype, np.dtype):
        k = s.dtype.kind
        if k == "b":
            return _Val("bool", s.to_numpy(), np.zeros(len(s), dtype=bool), what, dtype)
        if k in "iu":
            return _Val("num", s.to_numpy(), np.zeros(len(s), dtype=bool), what, dtype)
        if k == "f":
            v = s.to_numpy()
            miss = np.isnan(v)
            return _Val("num", np.where(miss, 0.0, v), miss, what, dtype)
    miss = s.isna().to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype):
        return _Val("bool", s.to_numpy(dtype=bool, na_value=False), miss, what, dtype)
    if pd.api.types.is_numeric_dtype(s.dtype):
        npdt = getattr(s.dtype, "numpy_dtype", np.dtype(float))
        if npdt.kind == "f":
            v = s.to_numpy(dtype=float, na_value=np.nan)
            miss = miss | np.isnan(v)
            return _Val("num", np.where(miss, 0.0, v), miss, what, dtype)
        return _Val("num", s.to_numpy(dtype=npdt, na_value=0), miss, what, dtype)
    if miss.all():
        return _Val("null", False, miss, what, dtype)
    if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        inferred = pd.api.types.infer_dtype(s, skipna=True)
        if inferred == "string":
            v = s.to_numpy(dtype=object, na_value="")
            return _Val("str", np.where(miss, "", v).astype(object), miss, what, dtype)
        if inferred == "boolean":
            v = np.array([bool(x) if not m else False for x, m in zip(s.to_numpy(dtype=object), miss)],
                         dtype=bool)
            return _Val("bool", v, miss, what, dtype)
        if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
            v = np.array([float(x) if not m else 0.0 for x, m in zip(s.to_numpy(dtype=object), miss)],
                         dtype=float)
            return _Val("num", v, miss, what, dtype)
        dtype = f"{dtype} holding {inferred} values"
    return _Val("other", None, miss, what, dtype)


def _literal_val(v: Any) -> _Val:
    kind = _literal_kind(v)
    what = "True/False" if kind == "bool" else ("the text" if kind == "str" else "the number")
    return _Val(kind, v, False, f"{what} {v!r}" if kind != "bool" else repr(v))


_KIND_WORD = {"bool": "True/False values", "num": "numbers", "str": "text", "null": "only missing values"}


class _Evaluator:
    def __init__(self, expr: "Expression", frame: pd.DataFrame, what: str | None):
        self.expr = expr
        self.frame = frame
        self.prefix = f"{what}: " if what else ""
        self.cache: dict[str, _Val] = {}

    def fail(self, msg: str) -> ExpressionError:
        return ExpressionError(f"{self.prefix}expression {self.expr.text!r}: {msg}")

    def need(self, v: _Val, kinds: set, doing: str) -> None:
        if v.kind in kinds or v.kind == "null":
            return
        if v.kind == "other":
            raise self.fail(
                f"{v.what} has dtype {v.dtype}, which {doing} cannot use; only isna()/notna() "
                f"apply to it. Convert the column to numbers or text first"
            )
        raise self.fail(
            f"{v.what} holds {_KIND_WORD[v.kind]}, but {doing} needs "
            f"{' or '.join(_KIND_WORD[k] for k in sorted(kinds))}"
        )

    def run(self, node: _Node) -> _Val:
        if isinstance(node, _Column):
            if node.name not in self.cache:
                cols = self.frame.columns
                if node.name not in cols:
                    near = ", ".join(repr(c) for c in list(cols)[:20])
                    raise self.fail(
                        f"column {node.name!r} is not in the data (columns: {near}); check the "
                        f"spelling, and backquote names with spaces or dots: `{node.name}`"
                    )
                col = self.frame.loc[:, node.name]
                if isinstance(col, pd.DataFrame):
                    raise self.fail(
                        f"the data have {col.shape[1]} columns named {node.name!r}; rename them "
                        f"so that each name is unique"
                    )
                self.cache[node.name] = _from_column(col, node.name)
            return self.cache[node.name]
        if isinstance(node, _Literal):
            return _literal_val(node.value)
        if isinstance(node, _Logical):
            vals = [self.run(o) for o in node.operands]
            for v in vals:
                self.need(v, {"bool"}, f"'{node.op}'")
            out = vals[0]
            for v in vals[1:]:
                out = _kleene(node.op, out, v)
            return out
        if isinstance(node, _Not):
            v = self.run(node.operand)
            self.need(v, {"bool"}, "'not'")
            if v.kind == "null":
                return v
            return _Val("bool", ~np.asarray(v.values, dtype=bool) & ~np.asarray(v.missing),
                        v.missing, "a condition")
        if isinstance(node, _Compare):
            return self._compare(node)
        if isinstance(node, _InList):
            return self._in(node)
        if isinstance(node, _Arith):
            a, b = self.run(node.left), self.run(node.right)
            self.need(a, {"num"}, f"'{node.op}'")
            self.need(b, {"num"}, f"'{node.op}'")
            if a.kind == "null" or b.kind == "null":
                return _Val("null", 0.0, True, "a missing result")
            x = np.asarray(a.values, dtype=float)
            y = np.asarray(b.values, dtype=float)
            miss = np.asarray(a.missing) | np.asarray(b.missing)
            with np.errstate(all="ignore"):
                if node.op == "+":
                    r = x + y
                elif node.op == "-":
                    r = x - y
                elif node.op == "*":
                    r = x * y
                else:
                    miss = miss | (y == 0)
                    r = x / np.where(y == 0, 1.0, y)
            miss = miss | np.isnan(r)
            return _Val("num", np.where(miss, 0.0, r), miss, "a computed number")
        if isinstance(node, _Negate):
            v = self.run(node.operand)
            self.need(v, {"num"}, "'-'")
            if v.kind == "null":
                return v
            return _Val("num", -np.asarray(v.values, dtype=float), v.missing, "a computed number")
        if isinstance(node, _Call):
            v = self.run(node.arg)
            if node.name in ("isna", "notna"):
                m = np.asarray(v.missing, dtype=bool)
                return _Val("bool", m if node.name == "isna" else ~m, False, "a condition")
            self.need(v, {"num"}, "abs()")
            if v.kind == "null":
                return v
            return _Val("num", np.abs(np.asarray(v.values, dtype=float)), v.missing, "a computed number")
        raise self.fail(f"unknown node {node!r}")  # unreachable: parse builds only the above

    def _compare(self, node: _Compare) -> _Val:
        a, b = self.run(node.left), self.run(node.right)
        if "null" in (a.kind, b.kind):
            for v in (a, b):
                self.need(v, {"num", "str", "bool"}, f"'{node.op}'")
            return _Val("null", False, True, "a missing result")
        for v in (a, b):
            self.need(v, {"num", "str", "bool"}, f"'{node.op}'")
        if a.kind != b.kind:
            lit = b if isinstance(node.right, _Literal) else a
            fix = ""
            if lit.kind == "num" and "str" in (a.kind, b.kind):
                fix = f"; quote the value to compare text: '{lit.values}'"
            elif lit.kind == "str" and "num" in (a.kind, b.kind):
                fix = "; remove the quotes to compare numbers"
            raise self.fail(f"{a.what} ({_KIND_WORD[a.kind]}) cannot be compared with "
                            f"{b.what} ({_KIND_WORD[b.kind]}){fix}")
        if a.kind == "bool" and node.op not in ("==", "!="):
            raise self.fail(f"True/False values can only be compared with == or !=, not {node.op}")
        x, y = a.values, b.values
        if a.kind == "str":
            x = np.asarray(x, dtype=object)
            y = np.asarray(y, dtype=object)
        op = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
              ">": np.greater, ">=": np.greater_equal}[node.op]
        r = np.asarray(op(x, y), dtype=bool)
        miss = np.asarray(a.missing) | np.asarray(b.missing)
        return _Val("bool", r & ~miss, miss, "a condition")

    def _in(self, node: _InList) -> _Val:
        v = self.run(node.operand)
        kind = _literal_kind(node.values[0])
        self.need(v, {"num", "str", "bool"}, "'in'")
        if v.kind == "null":
            return _Val("null", False, True, "a missing result")
        if v.kind != kind:
            raise self.fail(f"{v.what} holds {_KIND_WORD[v.kind]}, but the list after 'in' "
                            f"holds {_KIND_WORD[kind]}")
        values = np.asarray(v.values)
        if values.ndim == 0:
            hit = np.asarray(values.item() in node.values)
        elif kind == "str":
            hit = pd.Index(list(node.values), dtype=object).get_indexer(values) >= 0
        else:
            hit = np.isin(values, np.asarray(node.values))
        if node.negate:
            hit = ~hit
        miss = np.asarray(v.missing)
        return _Val("bool", hit & ~miss, miss, "a condition")


def _kleene(op: str, a: _Val, b: _Val) -> _Val:
    am, bm = np.asarray(a.missing, dtype=bool), np.asarray(b.missing, dtype=bool)
    av = np.asarray(a.values, dtype=bool) & ~am
    bv = np.asarray(b.values, dtype=bool) & ~bm
    if op == "and":
        known_false = (~av & ~am) | (~bv & ~bm)
        miss = ~known_false & (am | bm)
        return _Val("bool", av & bv & ~miss, miss, "a condition")
    known_true = av | bv
    miss = ~known_true & (am | bm)
    return _Val("bool", known_true, miss, "a condition")


# ----------------------------------------------------------------------------
# SQL
# ----------------------------------------------------------------------------


def _sql_string(s: str, backslash: bool) -> str:
    s = s.replace("'", "''")
    if backslash:
        s = s.replace("\\", "\\\\")
    return f"'{s}'"


def _sql_number(v: Any) -> str:
    if isinstance(v, int):
        return str(v)
    r = repr(float(v))
    return r if ("e" in r or "." in r) else r + ".0"


def _sql(node: _Node, quote: Callable[[str], str], backslash: bool) -> str:
    def lit(v: Any) -> str:
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, str):
            return _sql_string(v, backslash)
        return _sql_number(v)

    def num(n: _Node) -> str:
        if isinstance(n, _Literal):
            return lit(float(n.value))
        if isinstance(n, (_Arith, _Negate, _Call)):  # already DOUBLE
            return _sql(n, quote, backslash)
        return f"CAST({_sql(n, quote, backslash)} AS DOUBLE)"

    if isinstance(node, _Column):
        return quote(node.name)
    if isinstance(node, _Literal):
        return lit(node.value)
    if isinstance(node, _Compare):
        return (f"({_sql(node.left, quote, backslash)} {_SQL_COMPARE[node.op]} "
                f"{_sql(node.right, quote, backslash)})")
    if isinstance(node, _InList):
        items = ", ".join(lit(v) for v in node.values)
        neg = "NOT IN" if node.negate else "IN"
        return f"({_sql(node.operand, quote, backslash)} {neg} ({items}))"
    if isinstance(node, _Logical):
        return "(" + f" {node.op.upper()} ".join(_sql(o, quote, backslash) for o in node.operands) + ")"
    if isinstance(node, _Not):
        return f"(NOT {_sql(node.operand, quote, backslash)})"
    if isinstance(node, _Arith):
        if node.op == "/":
            return f"({num(node.left)} / NULLIF({num(node.right)}, 0.0))"
        return f"({num(node.left)} {node.op} {num(node.right)})"
    if isinstance(node, _Negate):
        return f"(-{num(node.operand)})"
    if isinstance(node, _Call):
        if node.name == "isna":
            return f"({_sql(node.arg, quote, backslash)} IS NULL)"
        if node.name == "notna":
            return f"({_sql(node.arg, quote, backslash)} IS NOT NULL)"
        return f"ABS({num(node.arg)})"
    raise ExpressionError(f"cannot compile {node!r} to SQL")  # unreachable


def _quoter(q: str) -> Callable[[str], str]:
    def quote(name: str) -> str:
        return f"{q}{name.replace(q, q + q)}{q}"
    return quote


# ----------------------------------------------------------------------------
# the public object
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted expression; build it with :func:`parse`.

    Attributes
    ----------
    text : str
        The expression as written.
    columns : tuple of str
        The column names it refers to, in order of first appearance.
    """

    text: str
    columns: tuple[str, ...]
    _node: Any = field(repr=False, compare=False)

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The expression's value for each row of ``frame``, on ``frame.index``.

        A condition gives a ``bool`` Series, or a nullable ``"boolean"`` one when
        some rows are missing (see the module notes); arithmetic gives
        ``float64`` with NaN for missing; a text column gives its text.

        Raises
        ------
        ExpressionError
            A column is not in ``frame``, or an operator gets the wrong kind of
            value (text compared with a number, a number used as a condition...).
        """
        v = self._run(frame)
        n = len(frame)
        miss = np.broadcast_to(np.asarray(v.missing, dtype=bool), (n,))
        if v.kind == "null":
            return pd.Series(pd.array([pd.NA] * n, dtype="boolean"), index=frame.index)
        vals = np.broadcast_to(np.asarray(v.values), (n,))
        if v.kind == "bool":
            if miss.any():
                return pd.Series(pd.array(np.where(miss, None, vals), dtype="boolean"),
                                 index=frame.index)
            return pd.Series(vals.astype(bool), index=frame.index)
        if v.kind == "num":
            if vals.dtype.kind in "iu" and not miss.any():
                return pd.Series(vals.copy(), index=frame.index)
            return pd.Series(np.where(miss, np.nan, vals.astype(float)), index=frame.index)
        if v.kind == "str":
            return pd.Series(np.where(miss, None, vals).astype(object), index=frame.index,
                             dtype="str")
        raise ExpressionError(
            f"expression {self.text!r} gives {v.what} of dtype {v.dtype}; compare it or test "
            f"it with isna()/notna()"
        )

    def mask(self, frame: pd.DataFrame, *, what: str | None = None) -> np.ndarray:
        """Boolean mask of the rows the condition selects; missing counts as not selected.

        Parameters
        ----------
        frame : DataFrame
        what : str, optional, keyword-only
            Where the expression comes from (e.g. ``"subset"``), to start messages.

        Raises
        ------
        ExpressionError
            The expression does not give True/False (e.g. a bare numeric column:
            write ``x == 1``), or see :meth:`evaluate`.
        """
        v = self._run(frame, what)
        n = len(frame)
        if v.kind == "null":
            return np.zeros(n, dtype=bool)
        if v.kind != "bool":
            raise ExpressionError(
                f"{what + ': ' if what else ''}expression {self.text!r} gives {_KIND_WORD.get(v.kind, 'values')}, not "
                f"True/False; write a condition, e.g. {self.columns[0] if self.columns else 'x'} == 1"
            )
        vals = np.asarray(v.values, dtype=bool) & ~np.asarray(v.missing, dtype=bool)
        return np.broadcast_to(vals, (n,)).copy()

    def to_sql(self, *, dialect: str = "ansi", quote: Callable[[str], str] | None = None) -> str:
        """The same expression as a SQL boolean or value expression.

        Parameters
        ----------
        dialect : {"ansi", "duckdb", "sqlite", "postgres", "spark"}, keyword-only
            Sets the identifier quote (``"`` or a backquote for Spark) and whether a
            backslash in a text literal must be escaped (Spark).
        quote : callable, optional, keyword-only
            Quotes a column name, overriding the dialect's quoting.

        Notes
        -----
        The SQL has the semantics of :meth:`evaluate` when missing values are SQL
        ``NULL``: comparisons, ``IN`` and arithmetic on ``NULL`` are ``NULL``,
        ``AND``/``OR``/``NOT`` are Kleene's, ``WHERE`` drops ``NULL``; division is
        ``a / NULLIF(b, 0)`` and arithmetic is cast to ``DOUBLE``.  An engine must
        load pandas' ``NaN`` as ``NULL`` (DuckDB and Spark do for pandas input).
        """
        if dialect not in SQL_DIALECTS:
            raise ExpressionError(
                f"dialect={dialect!r} is not known; choose one of {list(SQL_DIALECTS)}"
            )
        q, backslash = SQL_DIALECTS[dialect]
        return _sql(self._node, quote or _quoter(q), backslash)

    def _run(self, frame: pd.DataFrame, what: str | None = None) -> _Val:
        if not isinstance(frame, pd.DataFrame):
            raise ExpressionError(
                f"expression {self.text!r} is evaluated on a DataFrame, got "
                f"{type(frame).__name__}"
            )
        return _Evaluator(self, frame, what).run(self._node)

