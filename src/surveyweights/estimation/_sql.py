"""Estimators on SQL engines: GROUP BY queries to the per-cell table, then shared code.

The queries (see :mod:`surveyweights.engines.sql`) return one row per stratum x
[PSU x] domain x level; this module maps their keys to the design's strata, orders
the domains and levels exactly as the in-memory path does
(:mod:`._domains`), and builds the :class:`~surveyweights.engines.cells.CellStats`
that :func:`surveyweights.estimation.estimates._from_cells` turns into estimates.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ._domains import (EmptyDomainWarning, _sort_key, domain_label, ratio_domain_error,
                       too_few_units_error)
from .._strata import as_columns, show
from ..engines.base import not_on_engine
from ..engines.cells import (CalibrationAtoms, centred_weight_ss, cluster_from_level_sums,
                             cluster_from_shifted_sums, from_level_sums, from_shifted_sums)
from ..engines.sql import SOURCE, strata_of
from ..errors import DomainError, EngineError, InputError, MissingValueError, user_stacklevel
from ..expressions import Expression, parse
from ..variance.replicate import ReplicateWeights, SourceColumns, certified_rank, gram_rank
from ..variance.calibrated import CellCalibratedVariance


def _where(design, subset: Any) -> str:
    src = design.engine
    if subset is None:
        return ""
    if not isinstance(subset, (str, Expression)):
        raise not_on_engine(design, "a subset= mask", alternatives="an expression string such as "
                                    "subset=\"size != 'micro'\" (compiled to SQL), or ")
    expr = parse(subset, what="subset")
    src.check_columns(list(expr.columns), what="subset")
    return f" WHERE {expr.to_sql(dialect=src.dialect)}"


def _missing(src, col: str, kind: str) -> str:
    if kind == "numeric":
        return f"({src.q(col)} IS NULL OR isnan(CAST({src.q(col)} AS DOUBLE)))"
    return f"({src.q(col)} IS NULL)"


def _inner(design, by_cols, extra: list[str], where: str,
           source: str = SOURCE) -> tuple[str, list[str]]:
    """The inner SELECT (strata, PSU, by keys, weight and ``extra``) and the key names.

    ``source`` is the FROM clause: the design's source, or the source joined to a
    small table of per-domain constants (:func:`_domain_join`)."""
    sel, keys = _key_columns(design, by_cols)
    sel.append(f"{design._sql['weight']} AS __w")
    sel += extra
    return f"SELECT {', '.join(sel)} FROM {source}{where}", keys


def _key_columns(design, by_cols, *, inside: str | None = None) -> tuple[list[str], list[str]]:
    """SELECT items and names of the keys: strata, PSU, by columns (NULL where ``inside`` fails)."""
    src = design.engine
    sel, keys = [], []
    for i, c in enumerate(design._sql["strata"]):
        sel.append(f"{src.q(c)} AS __s{i}")
        keys.append(f"__s{i}")
    if design.ids is not None:
        sel.append(f"{src.q(design.ids)} AS __p")
        keys.append("__p")
    for i, c in enumerate(by_cols):
        col = src.q(c) if inside is None else f"CASE WHEN {inside} THEN {src.q(c)} END"
        sel.append(f"{col} AS __b{i}")
        keys.append(f"__b{i}")
    return sel, keys


def _lead(keys: list[str]) -> str:
    """The key columns at the head of a SELECT list (nothing when there are none)."""
    return "".join(f"{k}, " for k in keys)


def _group(keys: list[str]) -> str:
    return f" GROUP BY {', '.join(keys)}" if keys else ""


class _Cells:
    """Keys of a per-cell result mapped to stratum h, domain g and PSU ids (vectorised)."""

    def __init__(self, design, by_cols, res: dict, *, subset_given: bool):
        sq = design._sql
        ns, nb = len(sq["strata"]), len(by_cols)
        m = len(next(iter(res.values()))) if res else 0
        if m == 0:
            raise DomainError(
                "the subset contains no respondents, so nothing can be estimated; check the "
                "subset condition"
            )
        self.res, self.ns, self.nb = res, ns, nb
        self.h = strata_of(design, res, m)
        counts = res["__n_all"] if "__n_all" in res else res["__n"]
        schema = design.engine.schema()
        combined = np.zeros(m, dtype=np.int64)
        ranked = []
        for i, c in enumerate(by_cols):
            col = res[f"__b{i}"]
            codes, uniq = pd.factorize(col, use_na_sentinel=True)
            if (codes < 0).any():
                nulls = int(np.asarray(counts)[codes < 0].sum())
                raise MissingValueError(
                    f"by column {c!r} is missing in {nulls} row(s) of the analysed subset; give "
                    f"these units a domain value or leave them out explicitly with subset="
                )
            vals = list(uniq)
            kind, cats = schema[c]
            if kind == "enum":
                pos = {v: j for j, v in enumerate(cats)}
                key = lambda j: (0, float(pos[vals[j]]), "")  # noqa: E731
            else:
                key = lambda j: _sort_key(vals[j])  # noqa: E731
            order = sorted(range(len(vals)), key=key)
            rank = np.empty(len(vals), dtype=np.int64)
            rank[order] = np.arange(len(vals))
            sorted_vals = [vals[j] for j in order]
            ranked.append(sorted_vals)
            combined = combined * len(vals) + rank[codes]
            if kind == "enum" and not subset_given:
                seen = set(vals)
                empty = [v for v in cats if v not in seen]
                if empty:
                    warnings.warn(
                        f"categor{'y' if len(empty) == 1 else 'ies'} "
                        f"{', '.join(show(v) for v in empty)} of by column {c!r} "
                        f"{'has' if len(empty) == 1 else 'have'} no respondents in the sample; "
                        f"no estimate is given for {'it' if len(empty) == 1 else 'them'}",
                        EmptyDomainWarning, stacklevel=user_stacklevel())
        uniq_comb, g = np.unique(combined, return_inverse=True)
        self.g = g.astype(np.intp).reshape(-1)
        self.G = len(uniq_comb)
        keys = {}
        rest = uniq_comb.copy()
        for c, vals in reversed(list(zip(by_cols, ranked))):
            keys[c] = [vals[int(r)] for r in rest % len(vals)]
            rest //= len(vals)
        self.keys = pd.DataFrame({c: keys[c] for c in by_cols}, index=range(self.G))
        if design.ids is not None and "__p" in res:
            labels = getattr(design.variance, "psu_labels", None)
            if labels is not None:  # replicate factors: the PSUs in the factors' order
                self.psu = labels.get_indexer(pd.Index(res["__p"], dtype=object)).astype(np.int64)
                if (self.psu < 0).any():
                    new = res["__p"][int(np.flatnonzero(self.psu < 0)[0])]
                    raise EngineError(
                        f"PSU {show(new)} of column {design.ids!r} has no replicate factors: the "
                        f"{design.engine.name} source changed after sw.replicate(...) built them; "
                        f"build the replicates again from the current source"
                    )
            else:
                self.psu = pd.factorize(res["__p"])[0].astype(np.int64)
        else:
            self.psu = None
        self.H = design.n_strata

    @property
    def skeys(self) -> list[tuple]:
        return list(zip(*(self.res[f"__s{i}"] for i in range(self.ns)))) if self.ns else \
            [()] * len(self.h)

    @property
    def bkeys(self) -> list[tuple]:
        return list(zip(*(self.res[f"__b{i}"] for i in range(self.nb)))) if self.nb else \
            [()] * len(self.h)


def _calibrated(design) -> bool:
    """Whether the design's variance needs the per-atom sums of a SQL calibration."""
    return isinstance(design.variance, CellCalibratedVariance)


def _atom_query(design, by_cols, subset, items: list[tuple[str, str]], aggs: list[str],
                join=None, source: str = SOURCE, conds=()) -> dict:
    """Per-atom sums over *every* unit: stratum [x PSU] x domain x item keys x margin variables.

    Units outside ``subset=`` keep their stratum, PSU and calibration cells (their
    residual is not zero) but get NULL domain and item keys and ``__in`` = 0.
    ``items`` are (SQL expression, name) pairs read inside the subset only; ``join``
    (values, on) adds a small VALUES table (the numeric item's cell means).  ``source``
    is the FROM clause (the source joined to per-domain constants for a derived item,
    :func:`_domain_join`) and ``conds`` further SQL conditions of the analysed units.
    """
    src = design.engine
    sq = design._sql
    cond = "TRUE"
    if subset is not None:
        cond = _where(design, subset)[len(" WHERE "):]
    if conds:
        cond = " AND ".join([f"({cond})", *conds])
    # units outside the analysed subset keep stratum and PSU, with NULL domain keys
    sel, keys = _key_columns(design, by_cols, inside=cond)
    sel.append(f"CASE WHEN {cond} THEN 1 ELSE 0 END AS __in")
    keys.append("__in")
    for expr, name in items:
        sel.append(f"CASE WHEN {cond} THEN {expr} END AS {name}")
        keys.append(name)
    for j, c in enumerate(design.variance.columns):
        sel.append(f"{src.q(c)} AS __c{j}")
        keys.append(f"__c{j}")
    sel.append(f"{sq['weight']} AS __w")
    inner = f"SELECT {', '.join(sel)} FROM {source}"
    if join is not None:
        values, on = join
        inner = (f"SELECT __u.*, __v.__m, CASE WHEN __u.__y IS NULL THEN 0 ELSE 1 END AS __o "
                 f"FROM ({inner}) AS __u LEFT JOIN {values} ON {on}")
        keys.append("__o")
    fs = src.fsum
    sql = (f"SELECT {', '.join(keys)}, count(*) AS __n, {fs('__w')} AS __sw, "
           f"{fs('__w * __w')} AS __sw2{''.join(', ' + a for a in aggs)} "
           f"FROM ({inner}) AS __t GROUP BY {', '.join(keys)}")
    return src.run(sql)


def _atoms(design, res: dict, c: _Cells | None, by_cols, obs: np.ndarray, m: np.ndarray | None,
           sa=None, saa=None, saw=None, m_cell=None) -> CalibrationAtoms:
    """The :class:`CalibrationAtoms` of an atom query's result (``obs``: units in a domain
    with an observed item; ``m`` (A, L): their shift)."""
    A = len(res["__n"])
    h = strata_of(design, res, A)
    g = np.full(A, -1, dtype=np.intp)
    inside = np.flatnonzero(obs)
    if c is None or not by_cols:
        g[inside] = 0
    else:
        gmap = {k: gg for k, gg in zip(c.bkeys, c.g)}
        bk = list(zip(*(res[f"__b{i}"] for i in range(len(by_cols)))))
        g[inside] = [gmap[bk[a]] for a in inside]
    if m is None:  # a numeric item: the shift of the atom's (stratum, domain) cell
        G = c.G
        m = np.where(obs, m_cell[h * G + np.maximum(g, 0)], 0.0)[:, None]
    sc = _scale(design, h)
    n = _num(res["__n"])
    sw, sw2 = _num(res["__sw"]) * sc, _num(res["__sw2"]) * sc * sc
    L = m.shape[1]
    zero = np.zeros((A, L))
    if sa is None:
        sa_, mll, mlw = zero, zero, zero
    else:
        sa_ = (sa * sc)[:, None]
        mll = np.maximum(saa * sc * sc - sa * sa * sc * sc / n, 0.0)[:, None]
        mlw = (saw * sc * sc - sa * sc * sw / n)[:, None]
        sa_, mll, mlw = (np.where(obs[:, None], x, 0.0) for x in (sa_, mll, mlw))
    vm = design.variance
    cols = vm.columns
    vals = {col: np.asarray(res[f"__c{j}"], dtype=object) for j, col in enumerate(cols)}
    cell = tuple(st.index_of(vals) for st in vm.steps)
    psu = pd.factorize(res["__p"])[0].astype(np.int64) if design.ids is not None else None
    return CalibrationAtoms(h=h, psu=psu, g=g, cell=cell, n=n, sw=sw,
                            mww=centred_weight_ss(n, sw, sw2), m=np.where(obs[:, None], m, 0.0),
                            sa=sa_, mll=mll, mlw=mlw)


def _numeric_atoms(design, c, by_cols, subset, y: str, values: str, on: str, m_cell,
                   source: str = SOURCE, conds=()):
    """Atoms of a numeric item: sums of a = w (y - m), centred at the cells' means m."""
    fs = design.engine.fsum
    a = "__w * (__y - __m)"
    ra = _atom_query(design, by_cols, subset, [(y, "__y")],
                     [f"{fs(a)} AS __sa", f"{fs(f'{a} * {a}')} AS __saa",
                      f"{fs(f'{a} * __w')} AS __saw"], join=(values, on), source=source,
                     conds=conds)
    obs = (np.asarray(ra["__in"]) == 1) & (np.asarray(ra["__o"]) == 1)
    return _atoms(design, ra, c, by_cols, obs, None, _num(ra["__sa"]), _num(ra["__saa"]),
                  _num(ra["__saw"]), m_cell=m_cell)


def _codes_of(values, code: dict) -> np.ndarray:
    """Level code + 1 of each value (0 for NULL), from the value -> code map."""
    index = pd.Index(list(code.keys()), dtype=object)
    pos = index.get_indexer(pd.Index(values, dtype=object))
    lut = np.append(np.asarray(list(code.values()), dtype=np.intp) + 1, 0)
    return lut[pos]


def _rank(v: Any, kind_cats) -> tuple:
    kind, cats = kind_cats
    if kind == "enum":
        return (0, float(cats.index(v)), "")
    return _sort_key(v)


def _scale(design, h: np.ndarray) -> np.ndarray:
    """Per result row, the stratum weight the queries left out (1 with a weight column)."""
    s = design._sql["scale"]
    return np.ones(len(h)) if s is None else s[h]


def _num(values) -> np.ndarray:
    """A result column as floats, 0 for NULL (an empty sum)."""
    a = np.asarray(values)
    if a.dtype == object:
        a = np.array([0.0 if v is None else float(v) for v in a])
    return np.nan_to_num(a.astype(float), nan=0.0)


def _check_missing(name: str, n_missing: np.ndarray, na: str) -> None:
    if na == "error" and n_missing.any():
        raise MissingValueError(
            f"variable {name!r} is missing for {int(n_missing.sum())} respondent(s) in the "
            f"analysed subset; choose na='available' for an available-case analysis (R's "
            f"na.rm=TRUE), impute them, or exclude them explicitly with subset="
        )


def _levels_of(design, name: str, kind: str, level: Any, where: str, numeric_means: bool):
    """How the item is read: ("numeric", ...) or ("levels", k SQL, value->code, K, sel, levels)."""
    src = design.engine
    ckind, cats = src.schema()[name]
    col = src.q(name)
    miss = _missing(src, name, ckind)
    if level is not None:
        if ckind == "enum":
            known = list(cats)
        else:
            found = src.run(f"SELECT count(*) AS n FROM {SOURCE} WHERE {col} = {src.lit(level)}")
            known = [level] if found["n"][0] else []
        if level not in known:
            vals = src.run(f"SELECT DISTINCT {col} AS v FROM {SOURCE} WHERE NOT {miss} LIMIT 20")["v"].tolist()
            raise InputError(
                f"level {level!r} does not occur in variable {name!r} (levels: "
                f"{', '.join(show(v) for v in sorted(vals, key=_sort_key)[:20])}); use one of them, "
                f"or make the variable categorical with that category to estimate a share of 0"
            )
        k = f"CASE WHEN {miss} THEN NULL WHEN {col} = {src.lit(level)} THEN 1 ELSE 0 END"
        return ("levels", k, {0: 0, 1: 1}, 2, np.array([1]), [level], True)
    if ckind == "numeric":
        binary = None
        if kind == "proportion" or numeric_means:
            bad = src.run(f"SELECT DISTINCT {col} AS v FROM {SOURCE} WHERE NOT {miss} AND "
                          f"{col} <> 0 AND {col} <> 1 LIMIT 5")["v"].tolist()
            binary = not bad
            if numeric_means and bad:
                return ("numeric",)
            if kind == "proportion" and bad:
                raise InputError(
                    f"variable {name!r} has values other than 0 and 1 (e.g. "
                    f"{', '.join(show(v) for v in bad)}); proportion() needs a 0/1, boolean or "
                    f"categorical item: use mean() for a numeric variable or level= to pick a value"
                )
        if kind == "proportion" or (numeric_means and binary):
            k = f"CASE WHEN {miss} THEN NULL WHEN {col} = 1 THEN 1 ELSE 0 END"
            return ("levels", k, {0: 0, 1: 1}, 2, np.array([1]), [1], True)
        return ("numeric",)
    if ckind == "bool":
        levels = [True] if kind == "proportion" else [False, True]
        return ("levels", col, {False: 0, True: 1}, 2, np.array([1] if len(levels) == 1 else [0, 1]),
                levels, True)
    if ckind == "enum":
        levels = list(cats)
    else:
        vals = src.run(f"SELECT DISTINCT {col} AS v FROM {SOURCE} WHERE NOT {miss}")["v"].tolist()
        levels = sorted(vals, key=_sort_key)
    code = {v: i for i, v in enumerate(levels)}
    return ("levels", col, code, len(levels), np.arange(len(levels)), levels, True)


def _sql_item_cells(design, name, *, by, subset, level, na, kind="proportion",
                    numeric_means=False, replicates=False):
    """(domain keys, by columns, CellStats, n_missing, levels, categorical) of one item,
    and with ``replicates=True`` its :class:`SqlReplicateItem` (None without replicate
    weights) as a seventh element."""
    out = _item_cells(design, name, by=by, subset=subset, level=level, na=na, kind=kind,
                      numeric_means=numeric_means)
    result, rep = out[:6], out[6]
    if not replicates:
        return result
    if not isinstance(design.variance, ReplicateWeights):
        return (*result, None)
    return (*result, SqlReplicateItem(design, kind, result[2], rep))


def _item_cells(design, name, *, by, subset, level, na, kind, numeric_means):
    src = design.engine
    if not isinstance(name, str):
        raise InputError(f"variable names must be strings, got {name!r}")
    by_cols = () if by is None else as_columns(by, what="by")
    src.check_columns(list(by_cols), what="by")
    src.check_columns([name], what="variable")
    where = _where(design, subset)
    how = _levels_of(design, name, kind, level, where, numeric_means)
    fs = src.fsum
    if how[0] == "levels":
        _, kexpr, code, K, sel, levels, categorical = how
        inner, keys = _inner(design, by_cols, [f"{kexpr} AS __k"], where)
        sql = (f"SELECT {', '.join(keys + ['__k'])}, count(*) AS __n, {fs('__w')} AS __sw, "
               f"{fs('__w * __w')} AS __sw2 FROM ({inner}) AS __t{_group(keys + ['__k'])}")
        res = src.run(sql)
        c = _Cells(design, by_cols, res, subset_given=subset is not None)
        kk = _codes_of(res["__k"], code)
        sc = _scale(design, c.h)
        n, sw, sw2 = _num(res["__n"]), sc * _num(res["__sw"]), sc * sc * _num(res["__sw2"])
        H, G = c.H, c.G
        if c.psu is None:
            B = (H * G, K + 1)
            flat = (c.h * G + c.g) * (K + 1) + kk
            cnt, s1, s2 = (np.bincount(flat, weights=v, minlength=B[0] * B[1]).reshape(B)
                           for v in (n, sw, sw2))
            cells = from_level_sums(cnt, s1, s2, sel, H, G)
            n_missing = cnt.reshape(H, G, K + 1)[:, :, 0].sum(axis=0).astype(np.int64)
        else:
            rkey = c.psu * G + c.g
            rows, inv = np.unique(rkey, return_inverse=True)
            R = len(rows)
            cnt, s1 = np.zeros((R, K + 1)), np.zeros((R, K + 1))
            np.add.at(cnt, (inv, kk), n)
            np.add.at(s1, (inv, kk), sw)
            rh = np.empty(R, dtype=np.intp)
            rh[inv] = c.h
            cells = cluster_from_level_sums(rh, rows % G, rows // G, cnt, s1, sel, H, G)
            n_missing = np.bincount(rows % G, weights=cnt[:, 0], minlength=G).astype(np.int64)
        _check_missing(name, n_missing, na)
        if _calibrated(design):
            ra = _atom_query(design, by_cols, subset, [(kexpr, "__k")], [])
            ka = _codes_of(ra["__k"], code)
            obs = (np.asarray(ra["__in"]) == 1) & (ka > 0)
            m = ((ka - 1)[:, None] == np.asarray(sel)[None, :]).astype(float)
            cells = replace(cells, atoms=_atoms(design, ra, c, by_cols, obs, m))
        rep = dict(by_cols=by_cols, where=where, item=("levels", kexpr, code, K, sel), cells=c,
                   dom_sw=np.bincount(c.g, weights=sw, minlength=G),
                   dom_n=np.bincount(c.g, weights=n, minlength=G))
        return c.keys, by_cols, cells, n_missing, levels, categorical, rep
    return _numeric_cells(design, name, by_cols, where, subset=subset, na=na, y=src.double(name),
                          replicate_item=True)


def _domain_join(design, by_cols, keys: pd.DataFrame, consts: dict[str, np.ndarray]):
    """The FROM clause of the source joined to per-domain constants, and their SQL names.

    ``keys`` holds the by values of each domain (one row per domain), ``consts`` one
    array per constant (one value per domain).  Without ``by`` the constants are
    plain literals.  Returns (FROM clause, {name: SQL expression}).
    """
    src = design.engine
    if not by_cols:
        return SOURCE, {k: src.lit(float(v[0])) for k, v in consts.items()}
    names = list(consts)
    rows = []
    for i in range(len(keys)):
        vals = [src.lit(keys[c].iloc[i]) for c in by_cols]
        vals += [src.lit(float(consts[k][i])) for k in names]
        rows.append("(" + ", ".join(vals) + ")")
    cols = [f"__jb{j}" for j in range(len(by_cols))] + [f"__jc{j}" for j in range(len(names))]
    on = " AND ".join(f"{src.q(c)} = __dv.__jb{j}" for j, c in enumerate(by_cols))
    clause = (f"{SOURCE} LEFT JOIN (VALUES {', '.join(rows)}) AS __dv({', '.join(cols)}) "
              f"ON {on}")
    return clause, {k: f"__dv.__jc{j}" for j, k in enumerate(names)}


def _numeric_cells(design, name, by_cols, where, *, subset, na: str, y: str,
                   source: str = SOURCE, conds=(), subset_given: bool | None = None,
                   replicate_item: bool = False):
    """Cell statistics of a numeric item whose value is the SQL expression ``y``
    (NULL where missing): cell means first, then sums centred at them.

    ``where`` is the WHERE clause of ``subset`` and ``conds``; ``source`` the FROM clause
    (the source, or the source joined to per-domain constants); ``subset_given``
    (default: a subset is given) turns off the warning about empty categories.  With
    ``replicate_item`` a seventh element describes the item for :class:`SqlReplicateItem`."""
    subset_given = subset is not None if subset_given is None else subset_given
    src = design.engine
    fs = src.fsum
    inner, keys = _inner(design, by_cols, [f"{y} AS __y"], where, source)
    cell_keys = [k for k in keys if k != "__p"]
    q1 = (f"SELECT {_lead(cell_keys)}count(*) AS __n_all, count(__y) AS __n, "
          f"{fs('CASE WHEN __y IS NOT NULL THEN __w END')} AS __sw, {fs('__w * __y')} AS __swy "
          f"FROM ({inner}) AS __t{_group(cell_keys)}")
    r1 = src.run(q1)
    c = _Cells(design, by_cols, r1, subset_given=subset_given)
    H, G = c.H, c.G
    hg = c.h * G + c.g
    n1, n_all1, sw1, swy1 = _num(r1["__n"]), _num(r1["__n_all"]), _num(r1["__sw"]), _num(r1["__swy"])
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(n1 > 0, swy1 / np.where(sw1 > 0, sw1, 1.0), 0.0)
        wbar = np.where(n1 > 0, sw1 / np.maximum(n1, 1), 0.0)   # in the queries' weights
    sc1 = _scale(design, c.h)
    sw1 = sw1 * sc1
    n_missing = np.bincount(c.g, weights=n_all1 - n1, minlength=G).astype(np.int64)
    _check_missing(name, n_missing, na)
    vals = []
    for i in range(len(hg)):
        key = list(c.skeys[i]) + list(c.bkeys[i])
        vals.append("(" + ", ".join([src.lit(v) for v in key]
                                    + [src.lit(float(m[i])), src.lit(float(wbar[i]))]) + ")")
    vnames = cell_keys + ["__m", "__wbar"]
    on = " AND ".join(f"__u.{k} = __v.{k}" for k in cell_keys) or "TRUE"
    values = f"(VALUES {', '.join(vals)}) AS __v({', '.join(vnames)})"
    m_cell = np.zeros(H * G)
    m_cell[hg] = m
    if design.ids is None:
        joined = (f"SELECT {_lead(['__u.' + k for k in cell_keys])}__u.__w * (__u.__y - __v.__m) AS __a, "
                  f"__u.__w - __v.__wbar AS __e, __u.__y - __v.__m AS __d FROM ({inner}) AS __u "
                  f"JOIN {values} ON {on} WHERE __u.__y IS NOT NULL")
        q2 = (f"SELECT {_lead(cell_keys)}{fs('__a')} AS sa, {fs('__a * __a')} AS saa, "
              f"{fs('__a * __e')} AS sae, {fs('__e * __e')} AS see, {fs('__e')} AS se, "
              f"{fs('__a * __d')} AS q FROM ({joined}) AS __t{_group(cell_keys)}")
        r2 = src.run(q2)
        c2 = _Cells(design, by_cols, {**r2, "__n": [1] * len(r2["sa"])}, subset_given=True)
        # the second query's cells in the first query's domain numbering
        gmap = {k: g for k, g in zip(c.bkeys, c.g)}
        hg2 = c2.h * G + np.array([gmap[k] for k in c2.bkeys], dtype=np.intp)
        arr = {}
        sc2 = _scale(design, c2.h)
        for col, power in (("sa", 1), ("saa", 2), ("sae", 2), ("see", 2), ("se", 1), ("q", 1)):
            a = np.zeros(H * G)
            a[hg2] = _num(r2[col]) * sc2 ** power
            arr[col] = a
        dense = {}
        for nm, v in (("n", n1), ("n_all", n_all1), ("sw", sw1)):
            a = np.zeros(H * G)
            a[hg] = v
            dense[nm] = a
        cells = from_shifted_sums(dense["n"], dense["n_all"], dense["sw"], m_cell, arr["sa"],
                                  arr["saa"], arr["sae"], arr["see"], arr["se"], arr["q"], H, G)
    else:
        joined = (f"SELECT __u.*, __v.__m FROM ({inner}) AS __u LEFT JOIN {values} ON {on}")
        q2 = (f"SELECT {', '.join(keys)}, count(*) AS __n_all, count(__y) AS __n, "
              f"{fs('CASE WHEN __y IS NOT NULL THEN __w END')} AS __sw, "
              f"{fs('__w * (__y - __m)')} AS __s, {fs('__w * (__y - __m) * (__y - __m)')} AS __q "
              f"FROM ({joined}) AS __t{_group(keys)}")
        r2 = src.run(q2)
        c2 = _Cells(design, by_cols, r2, subset_given=True)
        gmap = {k: g for k, g in zip(c.bkeys, c.g)}
        g2 = np.array([gmap[k] for k in c2.bkeys], dtype=np.intp)
        sc2 = _scale(design, c2.h)
        q_cell = np.bincount(c2.h * G + g2, weights=_num(r2["__q"]) * sc2, minlength=H * G)
        cells = cluster_from_shifted_sums(c2.h, g2, c2.psu, _num(r2["__n"]), _num(r2["__n_all"]),
                                          _num(r2["__sw"]) * sc2, _num(r2["__s"]) * sc2, m_cell,
                                          q_cell, H, G)
    if _calibrated(design):
        cells = replace(cells, atoms=_numeric_atoms(design, c, by_cols, subset, y, values, on,
                                                    m_cell, source, conds))
    rep = dict(by_cols=by_cols, where=where, item=("numeric", y), cells=c, source=source)
    out = (c.keys, by_cols, cells, n_missing, [None], False)
    return (*out, rep) if replicate_item else out


def _sql_chisq_cells(design, row: str, column: str, *, subset, na):
    """Per stratum [x PSU] x (row, column) cell sums for the Rao-Scott test."""
    src = design.engine
    src.check_columns([row, column], what="variable")
    where = _where(design, subset)
    schema = src.schema()
    lv = []
    for name in (row, column):
        kind, cats = schema[name]
        if kind == "numeric":
            raise InputError(
                f"variable {name!r} is numeric; the chi-square test needs categorical items "
                f"(convert it with .astype('category'))"
            )
        how = _levels_of(design, name, "total", None, where, False)
        lv.append(how)
    inner, keys = _inner(design, (), [f"{src.q(row)} AS __r", f"{src.q(column)} AS __c"], where)
    fs = src.fsum
    sql = (f"SELECT {', '.join(keys + ['__r', '__c'])}, count(*) AS __n, {fs('__w')} AS __sw, "
           f"{fs('__w * __w')} AS __sw2 FROM ({inner}) AS __t{_group(keys + ['__r', '__c'])}")
    res = src.run(sql)
    c = _Cells(design, (), res, subset_given=subset is not None)
    n = _num(res["__n"])
    N = float(n.sum())
    rc = _codes_of(res["__r"], lv[0][2]) - 1
    cc = _codes_of(res["__c"], lv[1][2]) - 1
    for name, codes in ((row, rc), (column, cc)):
        miss = n[codes < 0].sum()
        if na == "error" and miss:
            _check_missing(name, np.array([miss]), na)
    both = (rc >= 0) & (cc >= 0)
    keep_r = np.bincount(rc[both], weights=n[both], minlength=lv[0][3]) > 0
    keep_c = np.bincount(cc[both], weights=n[both], minlength=lv[1][3]) > 0
    nr, nc = int(keep_r.sum()), int(keep_c.sum())
    rank_r, rank_c = np.cumsum(keep_r) - 1, np.cumsum(keep_c) - 1
    K = max(nr * nc, 1)
    kk = np.where(both, rank_c[np.maximum(cc, 0)] * nr + rank_r[np.maximum(rc, 0)] + 1, 0)
    H = c.H
    sc = _scale(design, c.h)
    if c.psu is None:
        cnt, s1, s2 = (np.zeros((H, K + 1)) for _ in range(3))
        np.add.at(cnt, (c.h, kk), n)
        np.add.at(s1, (c.h, kk), _num(res["__sw"]) * sc)
        np.add.at(s2, (c.h, kk), _num(res["__sw2"]) * sc * sc)
        cells = from_level_sums(cnt, s1, s2, np.arange(K), H, 1)
    else:
        rows, inv = np.unique(c.psu, return_inverse=True)
        R = len(rows)
        cnt, s1 = np.zeros((R, K + 1)), np.zeros((R, K + 1))
        np.add.at(cnt, (inv, kk), n)
        np.add.at(s1, (inv, kk), _num(res["__sw"]) * sc)
        rh = np.empty(R, dtype=np.intp)
        rh[inv] = c.h
        cells = cluster_from_level_sums(rh, np.zeros(R, dtype=np.intp), rows, cnt, s1,
                                        np.arange(K), H, 1)
    if _calibrated(design):
        ra = _atom_query(design, (), subset, [(src.q(row), "__rr"), (src.q(column), "__cc")], [])
        ra_r = _codes_of(ra["__rr"], lv[0][2]) - 1
        ra_c = _codes_of(ra["__cc"], lv[1][2]) - 1
        obs = (np.asarray(ra["__in"]) == 1) & (ra_r >= 0) & (ra_c >= 0)
        ka = np.where(obs, rank_c[np.maximum(ra_c, 0)] * nr + rank_r[np.maximum(ra_r, 0)], -1)
        m = (ka[:, None] == np.arange(K)[None, :]).astype(float)
        cells = replace(cells, atoms=_atoms(design, ra, None, (), obs, m))
    codes = (lv[0][2], lv[1][2])

    def cell_of(r: dict) -> np.ndarray:  # the same cell code for a result with __r, __c
        rc_ = _codes_of(r["__r"], codes[0]) - 1
        cc_ = _codes_of(r["__c"], codes[1]) - 1
        ok = (rc_ >= 0) & (cc_ >= 0)
        return np.where(ok, rank_c[np.maximum(cc_, 0)] * nr + rank_r[np.maximum(rc_, 0)] + 1, 0)

    rep = None
    if isinstance(design.variance, ReplicateWeights):
        rep = SqlReplicateItem(design, "proportion", cells, dict(
            by_cols=(), where=where, cells=c,
            item=("pair", [f"{src.q(row)} AS __r", f"{src.q(column)} AS __c"], cell_of, K)))
    return cells, N, lv[0][5], lv[1][5], keep_r, keep_c, rep


class SqlReplicateItem:
    """The replicate side of one item on a SQL engine: replicate totals, df, IRLS start.

    For replicates built from a design (:func:`surveyweights.replicate`; factors per
    PSU) the totals of every replicate are ``F' t`` from the per-(PSU x domain)
    rows the cell query already fetched: t_y = s + m sw (the rows' sums are
    centred at the cell mean m) and t_1 = sw.  For replicate weight columns of the
    source one more query sums each column (and its product with the item) per
    domain and level, with the Gram matrix of the columns per domain for R's
    ``degf`` (the rank of the domain's replicate weights).  Everything after the
    totals is :class:`~surveyweights.variance.replicate.ReplicateWeights`' shared
    code (``spread``, ``mse``, ``rscales``).
    """

    def __init__(self, design, kind, cells, rep: dict):
        self.design, self.kind, self.cells, self.rep = design, kind, cells, rep
        v = design.variance
        G = cells.shape[1]
        L = cells.shape[2]
        if isinstance(v.structure, SourceColumns):
            self.totals, self._ranks = self._column_totals(G, L)
            self._touched = None
        else:
            rows = cells.rows
            C = len(v.psu_labels)
            t = np.zeros((C, G, L + 1))
            ys = rows.s + cells.m[rows.h, rows.g] * rows.sw[:, None]
            np.add.at(t, (rows.psu, rows.g), np.column_stack([ys, rows.sw]))
            self.totals = v.structure.from_cluster_totals(t)
            self._touched = np.zeros((C, G), dtype=bool)
            self._touched[rows.psu, rows.g] = True
            self._ranks = None

    def _column_totals(self, G: int, L: int):
        design, rep = self.design, self.rep
        src = design.engine
        v = design.variance
        cols = v.structure.columns
        R = len(cols)
        fs = src.fsum
        from ..engines.sql import (BUCKETS_PER_REPLICATE, bucket_arrays, bucket_sums, gram_from,
                                   gram_sums, replicate_expr)

        reps = [f"{replicate_expr(src, c, weight=design._sql['weight'], combined=v.structure.combined)}"
                f" AS __r{j}" for j, c in enumerate(cols)]
        names = [f"__r{j}" for j in range(R)]
        item = rep["item"]
        if item[0] in ("levels", "pair"):
            extra = [f"{item[1]} AS __k"] if item[0] == "levels" else list(item[1])
            inner, keys = _inner(design, rep["by_cols"], extra + reps, rep["where"])
            bkeys = [k for k in keys if k.startswith("__b")]
            agg = [f"{fs(r)} AS __t{j}" for j, r in enumerate(names)]
            group = bkeys + (["__k"] if item[0] == "levels" else ["__r", "__c"])
        else:
            inner, keys = _inner(design, rep["by_cols"], [f"{item[1]} AS __y"] + reps, rep["where"],
                                  rep.get("source", SOURCE))
            bkeys = [k for k in keys if k.startswith("__b")]
            agg = [f"{fs(f'CASE WHEN __y IS NOT NULL THEN {r} END')} AS __o{j}"
                   for j, r in enumerate(names)]
            agg += [f"{fs(f'{r} * __y')} AS __t{j}" for j, r in enumerate(names)]
            group = bkeys
        res = src.run(f"SELECT {_lead(group)}{', '.join(agg)} FROM ({inner}) AS __t{_group(group)}")
        c = rep["cells"]
        gmap = {k: g for k, g in zip(c.bkeys, c.g)}
        nb = len(bkeys)

        def domains_of(r: dict) -> np.ndarray:
            m = len(r[next(iter(r))])
            bk = list(zip(*(r[f"__b{i}"] for i in range(nb)))) if nb else [()] * m
            return np.array([gmap[k] for k in bk], dtype=np.intp)

        g = domains_of(res)
        m = len(g)
        tr = np.column_stack([_num(res[f"__t{j}"]) for j in range(R)]) if m else np.zeros((0, R))
        out = np.zeros((R, G, L + 1))
        if item[0] in ("levels", "pair"):
            if item[0] == "levels":
                _, _, code, K, sel = item
                kk = _codes_of(res["__k"], code)
            else:
                _, _, cell_of, K = item
                kk, sel = cell_of(res), np.arange(K)
            lev = np.zeros((G, K + 1, R))
            np.add.at(lev, (g, kk), tr)
            out[:, :, :L] = lev[:, 1:, :][:, np.asarray(sel), :].transpose(2, 0, 1)
            out[:, :, L] = lev[:, 1:, :].sum(axis=1).T
        else:
            to = np.column_stack([_num(res[f"__o{j}"]) for j in range(R)])
            yt = np.zeros((G, R))
            ot = np.zeros((G, R))
            np.add.at(yt, g, tr)
            np.add.at(ot, g, to)
            out[:, :, 0] = yt.T
            out[:, :, 1] = ot.T
        # the rank of the replicate weights of each domain's units (every unit of the
        # analysed subset, with or without the item, as R's degf(design[domain, ])):
        # bucket sums that certify full rank, else the Gram matrix; they depend only on
        # the domains, so they are summed once per design, by= and subset=
        key = ("replicate_ranks", tuple(rep["by_cols"]), rep["where"])
        cached = design._cache.get(key)
        if cached is None:
            exprs = [replicate_expr(src, c, weight=design._sql["weight"],
                                    combined=v.structure.combined) for c in cols]
            bucket = src.bucket(exprs, BUCKETS_PER_REPLICATE * R)
            inner, keys = _inner(design, rep["by_cols"], reps + [f"{bucket} AS __bk"], rep["where"])
            bkeys = [k for k in keys if k.startswith("__b")]
            rb = src.run(f"SELECT {_lead(bkeys)}{', '.join(bucket_sums(src, names))} "
                         f"FROM ({inner}) AS __t{_group(bkeys + ['__bk'])}")

            def grams() -> tuple[np.ndarray, np.ndarray]:
                inner_, _ = _inner(design, rep["by_cols"], reps, rep["where"])
                rg = src.run(f"SELECT {_lead(bkeys)}{', '.join(gram_sums(src, names))} "
                             f"FROM ({inner_}) AS __t{_group(bkeys)}")
                return domains_of(rg), gram_from(rg, R)

            cached = {"g": domains_of(rb), "buckets": bucket_arrays(rb, R), "grams": grams}
            design._cache[key] = cached
        return out, cached

    def domain_df(self, members: np.ndarray) -> float:
        """R's ``degf`` of the units of the domains in ``members`` (a boolean per domain)."""
        members = np.asarray(members, dtype=bool)
        if self._ranks is not None:
            ev = self._ranks
            rows = members[ev["g"]]
            if not rows.any():
                return -1.0
            n, sums, sumsq = ev["buckets"]
            rank = certified_rank(n[rows], sums[rows], sumsq[rows])
            if rank is None:  # the Gram matrices of the domains (one query, then cached)
                if callable(ev["grams"]):
                    ev["grams"] = ev["grams"]()
                g, grams = ev["grams"]
                rank = gram_rank(grams[members[g]].sum(axis=0))
            return float(rank - 1)
        touched = self._touched[:, members].any(axis=1)
        if not touched.any():
            return -1.0
        return float(self.design.variance.structure.rank_of_touched(touched) - 1)

    def combine(self, L: int):
        if self.kind == "total":
            return lambda t: t[..., :L]
        return lambda t: t[..., :L] / t[..., L:]

    def variance(self, centre, divisor, G: int, est):
        """What :func:`surveyweights.estimation.estimates._from_cells` asks of unit data."""
        L = np.shape(est)[1]
        lin = self.design.variance.from_totals(self.totals, self.combine(L), est)
        ddf = np.array([self.domain_df(np.arange(G) == g) for g in range(G)])
        return lin, ddf

    def irls_start(self, G: int):
        """R's first IRLS iterate of svyglm(y ~ 1, quasibinomial) per domain and level (as
        :func:`surveyweights.estimation.estimates._irls_start`), from one more query."""
        design, rep = self.design, self.rep
        if rep["item"][0] != "levels":
            raise not_on_engine(design, "this interval of a numeric item")
        src = design.engine
        fs = src.fsum
        _, kexpr, code, K, sel = rep["item"]
        c = rep["cells"]
        mean_w = rep["dom_sw"] / rep["dom_n"]
        inner, keys = _inner(design, rep["by_cols"], [f"{kexpr} AS __k"], rep["where"])
        cell_keys = [k for k in keys if k != "__p"]
        bkeys = [k for k in keys if k.startswith("__b")]
        scale = design._sql["scale"]
        seen, vals = set(), []
        for i in range(len(c.h)):
            key = tuple(c.skeys[i]) + tuple(c.bkeys[i])
            if key in seen:
                continue
            seen.add(key)
            extra = [src.lit(float(mean_w[c.g[i]]))]
            if scale is not None:
                extra.append(src.lit(float(scale[c.h[i]])))
            vals.append("(" + ", ".join([src.lit(v) for v in key] + extra) + ")")
        vnames = cell_keys + ["__mw"] + (["__sc"] if scale is not None else [])
        on = " AND ".join(f"__u.{k} = __v.{k}" for k in cell_keys) or "TRUE"
        values = f"(VALUES {', '.join(vals)}) AS __v({', '.join(vnames)})"
        w = "__u.__w" if scale is None else "(__u.__w * __v.__sc)"
        lead = _lead(bkeys + ["__k"])
        wn = (f"SELECT {_lead(['__u.' + k for k in bkeys])}__u.__k AS __k, {w} / __v.__mw AS __wn "
              f"FROM ({inner}) AS __u JOIN {values} ON {on} WHERE __u.__k IS NOT NULL")
        ms = (f"SELECT {lead}__wn, (__wn + 0.5) / (__wn + 1.0) AS __m1, 0.5 / (__wn + 1.0) AS __m0 "
              f"FROM ({wn}) AS __a")
        vz = (f"SELECT {lead}__wn * __m1 * (1.0 - __m1) AS __v1, "
              f"ln(__m1 / (1.0 - __m1)) + (1.0 - __m1) / (__m1 * (1.0 - __m1)) AS __z1, "
              f"__wn * __m0 * (1.0 - __m0) AS __v0, "
              f"ln(__m0 / (1.0 - __m0)) + (0.0 - __m0) / (__m0 * (1.0 - __m0)) AS __z0 "
              f"FROM ({ms}) AS __b")
        res = src.run(f"SELECT {lead}{fs('__v1 * __z1')} AS vz1, {fs('__v1')} AS v1, "
                      f"{fs('__v0 * __z0')} AS vz0, {fs('__v0')} AS v0 FROM ({vz}) AS __c"
                      f"{_group(bkeys + ['__k'])}")
        gmap = {k: g for k, g in zip(c.bkeys, c.g)}
        nb = len(bkeys)
        m = len(res["v1"])
        bk = list(zip(*(res[f"__b{i}"] for i in range(nb)))) if nb else [()] * m
        g = np.array([gmap[k] for k in bk], dtype=np.intp)
        kk = _codes_of(res["__k"], code) - 1
        sums = {}
        for nm in ("vz1", "v1", "vz0", "v0"):
            a = np.zeros((G, K))
            np.add.at(a, (g, kk), _num(res[nm]))
            sums[nm] = a
        sel = np.asarray(sel, dtype=np.intp)
        out = np.empty((G, len(sel)))
        levels = np.arange(K)
        for i, j in enumerate(sel):
            other = levels != j
            num = sums["vz1"][:, j] + sums["vz0"][:, other].sum(axis=1)
            den = sums["v1"][:, j] + sums["v0"][:, other].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, i] = num / den
        n_g, W, _ = self.cells.totals()
        with np.errstate(invalid="ignore", divide="ignore"):
            wscale = (W / n_g) / mean_w
        return out, wscale


def _and(where: str, conditions: list[str]) -> str:
    """A WHERE clause with further conditions (each a SQL expression)."""
    if not conditions:
        return where
    parts = ([f"({where[len(' WHERE '):]})"] if where else []) + conditions
    return " WHERE " + " AND ".join(parts)


def _numeric_column(design, name: Any, role: str, needs: str) -> str:
    """The SQL value (DOUBLE, NULL where missing) of a numeric or boolean column."""
    src = design.engine
    if not isinstance(name, str):
        raise InputError(f"the {role} must be a column name, got {name!r}")
    src.check_columns([name], what=role)
    kind = src.schema()[name][0]
    if kind not in ("numeric", "bool"):
        raise InputError(
            f"the {role} {name!r} is a {'categorical' if kind == 'enum' else kind} column of the "
            f"{src.name} source, not numeric; {needs} (for a share of a category use "
            f"sw.proportion, or add a 0/1 column to the source)"
        )
    return src.double(name)


def _domain_sums(design, by_cols, where: str, y: str, x: str | None, *, subset_given: bool,
                 name: str, na: str):
    """Per domain: keys, units with an observed value n, sum w W, sum w y, sum w x.

    The first pass of the ratio and the variance on a SQL engine (their per-domain
    constants R = Y / X, or the mean and n/(n-1), go into the second query).
    """
    src = design.engine
    fs = src.fsum
    extra = [f"{y} AS __y"] + ([f"{x} AS __x"] if x is not None else [])
    inner, keys = _inner(design, by_cols, extra, where)
    cell_keys = [k for k in keys if k != "__p"]
    swx = f", {fs('__w * __x')} AS __swx" if x is not None else ""
    res = src.run(f"SELECT {_lead(cell_keys)}count(*) AS __n_all, count(__y) AS __n, "
                  f"{fs('CASE WHEN __y IS NOT NULL THEN __w END')} AS __sw, "
                  f"{fs('__w * __y')} AS __swy{swx} FROM ({inner}) AS __t{_group(cell_keys)}")
    c = _Cells(design, by_cols, res, subset_given=subset_given)
    sc = _scale(design, c.h)
    G = c.G
    per = {k: np.bincount(c.g, weights=_num(res[k]) * (1.0 if k in ("__n", "__n_all") else sc),
                          minlength=G)
           for k in ("__n", "__n_all", "__sw", "__swy", "__swx") if k in res}
    n = per["__n"].astype(np.int64)
    _check_missing(name, (per["__n_all"] - per["__n"]).astype(np.int64), na)
    return c.keys, n, per["__sw"], per["__swy"], per.get("__swx")


def sql_ratio_cells(design, name: str, denominator: str, *, by, subset, na):
    """(keys, by columns, cells of u = y - R_g x, R, X, n_missing) of one ratio on a SQL engine.

    Two passes as a numeric item, after a first one for the domain totals Y_g and
    X_g: the linearized score w (y - R_g x) / X_g is the score of the total of
    u = y - R_g x divided by X_g, so the cell table of u (centred at its cell means,
    with R_g joined per domain) gives the variance with no cancellation.
    """
    src = design.engine
    by_cols = () if by is None else as_columns(by, what="by")
    src.check_columns(list(by_cols), what="by")
    needs = "a ratio is a ratio of totals of numeric variables"
    yv = _numeric_column(design, name, "numerator", needs)
    xv = _numeric_column(design, denominator, "denominator", needs)
    where = _where(design, subset)
    y = f"(CASE WHEN {xv} IS NULL THEN NULL ELSE {yv} END)"
    x = f"(CASE WHEN {yv} IS NULL THEN NULL ELSE {xv} END)"
    label = f"{name}/{denominator}"
    keys, n, _, Y, X = _domain_sums(design, by_cols, where, y, x, subset_given=subset is not None,
                                    name=label, na=na)
    for g in range(len(n)):
        if n[g] == 0 or X[g] == 0:
            raise ratio_domain_error(name, denominator, domain_label(keys, by_cols, g),
                                     empty=n[g] == 0)
    R = Y / X
    source, c = _domain_join(design, by_cols, keys, {"r": R})
    keys2, _, cells, n_missing, _, _ = _numeric_cells(
        design, label, by_cols, where, subset=subset, na=na, y=f"({y} - {c['r']} * {x})",
        source=source, subset_given=True)
    return keys2, by_cols, cells, R, X, n_missing


def sql_var_cells(design, name: str, *, by, subset, na):
    """(keys, by columns, cells of u = n_g/(n_g - 1) (x - m_g)^2, n_missing) on a SQL engine.

    The population variance S^2_g is the weighted domain mean of u (m_g and n_g from
    a first pass), and its score w (u - S^2_g) / W_g is a mean's: the cell table of
    u, centred at its cell means, gives the variance.
    """
    src = design.engine
    by_cols = () if by is None else as_columns(by, what="by")
    src.check_columns(list(by_cols), what="by")
    xv = _numeric_column(design, name, "variable", "a variance is of a numeric variable")
    where = _where(design, subset)
    keys, n, W, SX, _ = _domain_sums(design, by_cols, where, xv, None,
                                     subset_given=subset is not None, name=name, na=na)
    few = np.flatnonzero(n < 2)
    if len(few):
        k = int(few[0])
        raise too_few_units_error(name, domain_label(keys, by_cols, k), int(n[k]))
    source, c = _domain_join(design, by_cols, keys, {"m": SX / W, "c": n / (n - 1.0)})
    d = f"({xv} - {c['m']})"
    keys2, _, cells, n_missing, _, _ = _numeric_cells(
        design, name, by_cols, where, subset=subset, na=na, y=f"({c['c']} * {d} * {d})",
        source=source, subset_given=True)
    return keys2, by_cols, cells, n_missing


def sql_ttest_cells(design, variable: str, *, by, subset, na):
    """(keys, cells) of a t-test's variable on a SQL engine; with ``na="available"`` the
    units with a missing value or group are left out of the analysed units (R's
    ``na.omit``), as in memory."""
    src = design.engine
    y = _numeric_column(design, variable, "variable", "a t-test compares means of a numeric, "
                                                      "0/1 or boolean variable")
    by_cols = () if by is None else (by,)
    src.check_columns(list(by_cols), what="by")
    conds = []
    if na == "available":
        conds = [f"{y} IS NOT NULL"] + [f"{src.q(c)} IS NOT NULL" for c in by_cols]
    where = _and(_where(design, subset), conds)
    keys, _, cells, _, _, _ = _numeric_cells(design, variable, by_cols, where, subset=subset,
                                             na=na, y=y, conds=conds)
    return keys, cells
