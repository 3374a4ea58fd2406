"""Disclosure control: threshold and dominance rules, minimal secondary suppression, audit.

The hand-made 4 x 3 table below is small enough to work out by hand. The
protection of every pattern is proven here independently of the library: by
linear algebra (a cell is determined by the published totals exactly when its
unit vector lies in the row space of the totals restricted to the hidden
cells) and by solving the intruder's linear programs with scipy directly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import surveyweights as sw
from surveyweights.errors import InputError
from surveyweights.report import disclosure

# --------------------------------------------------------------------------- the 4 x 3 table

#: employment of each enterprise, by sector (rows) and size class (columns)
UNITS = {
    ("A", "small"): [4, 6, 5, 5],        # 20
    ("A", "medium"): [30, 40, 30],       # 100
    ("A", "large"): [300, 500],          # 800, two units only: breaks min_units=3
    ("B", "small"): [3, 4, 8],           # 15
    ("B", "medium"): [20, 30, 40, 30],   # 120
    ("B", "large"): [250, 300, 350],     # 900
    ("C", "small"): [6, 6, 6, 7],        # 25
    ("C", "medium"): [50, 40, 40],       # 130
    ("C", "large"): [400, 400, 400],     # 1200
    ("D", "small"): [5, 5, 5, 7, 8],     # 30
    ("D", "medium"): [60, 60, 60],       # 180
    ("D", "large"): [500, 600, 600],     # 1700
}


def units_frame() -> pd.DataFrame:
    rows = [(s, c, v) for (s, c), vs in UNITS.items() for v in vs]
    return pd.DataFrame(rows, columns=["sector", "size", "employment"])


def table() -> disclosure.Suppression:
    return disclosure.magnitude_table(units_frame(), rows="sector", columns="size",
                                      magnitude="employment", rules=disclosure.rules(min_units=3))


def determined_by_totals(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Which hidden cells the row and column totals determine (linear algebra, no bounds)."""
    R, C = values.shape
    cells = [(r, c) for r in range(R) for c in range(C) if hidden[r, c]]
    A = np.array([[1.0 if r == i else 0.0 for (r, c) in cells] for i in range(R)]
                 + [[1.0 if c == j else 0.0 for (r, c) in cells] for j in range(C)])
    rank = np.linalg.matrix_rank(A)
    out = np.zeros_like(hidden)
    for k, (r, c) in enumerate(cells):
        e = np.zeros(len(cells))
        e[k] = 1.0
        out[r, c] = np.linalg.matrix_rank(np.vstack([A, e])) == rank
    return out


def intruder_range(values: np.ndarray, hidden: np.ndarray, r0: int, c0: int) -> tuple[float, float]:
    """Min and max of a hidden cell given the published cells and totals, cells >= 0 (scipy LP)."""
    R, C = values.shape
    cells = [(r, c) for r in range(R) for c in range(C) if hidden[r, c]]
    A, b = [], []
    for i in range(R):
        A.append([1.0 if r == i else 0.0 for (r, c) in cells])
        b.append(values[i].sum() - values[i][~hidden[i]].sum())
    for j in range(C):
        A.append([1.0 if c == j else 0.0 for (r, c) in cells])
        b.append(values[:, j].sum() - values[:, j][~hidden[:, j]].sum())
    k = cells.index((r0, c0))
    out = []
    for sign in (1.0, -1.0):
        cost = np.zeros(len(cells))
        cost[k] = sign
        res = linprog(cost, A_eq=np.array(A), b_eq=np.array(b), bounds=[(0, None)] * len(cells),
                      method="highs")
        assert res.status == 0
        out.append(res.x[k])
    return out[0], out[1]


def test_threshold_rule_gives_exactly_the_expected_primary_and_secondary_cells():
    s = table()
    assert s.values.loc["A", "large"] == 800 and s.values.loc["D", "large"] == 1700
    expected_primary = pd.DataFrame(False, index=s.values.index, columns=s.values.columns)
    expected_primary.loc["A", "large"] = True
    pd.testing.assert_frame_equal(s.primary, expected_primary)
    # by hand: the primary cell needs a partner in its row and in its column, and those
    # a common partner: a rectangle (A, c), (r, large), (r, c), 3 cells, the minimum.
    # To hide 800 to within +-10% (80), each cell must be able to give up 80 in one of
    # the two directions: (A, c) >= 80 and (r, c) >= 80, so c = medium (A, small is 20).
    # Of the feasible rectangles the one with the smallest cells is B x medium.
    totals = {}
    for r2, c2 in itertools.product(["B", "C", "D"], ["small", "medium"]):
        cells = [("A", c2), (r2, "large"), (r2, c2)]
        if min(s.values.loc[r, c] for r, c in cells) >= 80:
            totals[cells[0], cells[1], cells[2]] = sum(s.values.loc[r, c] for r, c in cells)
    assert len(totals) == 3  # the three medium rectangles; no small one can hide +-80
    best = min(totals, key=totals.get)
    assert set(best) == {("A", "medium"), ("B", "large"), ("B", "medium")}
    expected_secondary = pd.DataFrame(False, index=s.values.index, columns=s.values.columns)
    for r, c in best:
        expected_secondary.loc[r, c] = True
    pd.testing.assert_frame_equal(s.secondary, expected_secondary)
    assert s.reason.loc["A", "large"] == "min_units" and s.reason.loc["B", "medium"] == "secondary"
    assert "2 secondary" not in repr(s) and "1 primary and 3 secondary of 12 cells" in repr(s)


def test_no_suppressed_cell_can_be_recovered_by_solving():
    s = table()
    values = s.values.to_numpy(dtype=float)
    hidden = s.suppressed.to_numpy()
    # without secondary suppression the primary cell is its row total minus the rest
    alone = s.primary.to_numpy()
    assert determined_by_totals(values, alone)[0, 2]
    assert intruder_range(values, alone, 0, 2) == pytest.approx((800.0, 800.0))
    # with the pattern, no hidden cell is determined, by algebra or by the LP with bounds
    assert not determined_by_totals(values, hidden)[hidden].any()
    for r, c in zip(*np.nonzero(hidden)):
        low, high = intruder_range(values, hidden, r, c)
        assert high - low > 1.0, (s.values.index[r], s.values.columns[c], low, high)
    lo, hi = intruder_range(values, hidden, 0, 2)
    assert lo <= 800 * 0.9 and hi >= 800 * 1.1  # the 10% protection interval
    # the library's own audit agrees with the independent LP
    a = s.audit.set_index(["row", "column"])
    assert (a.loc[("A", "large"), ["low", "high"]].to_numpy() == pytest.approx([lo, hi]))
    assert s.recoverable == 0 and not a["recoverable"].any() and a.loc[("A", "large"), "protected"]


def test_audit_finds_a_recoverable_pattern():
    values = pd.DataFrame(table().values)
    hidden = np.zeros(values.shape, dtype=bool)
    hidden[0, 2] = hidden[0, 1] = True  # two cells in one row, each alone in its column
    a = disclosure.audit(values, hidden, lower=0)
    assert a["recoverable"].tolist() == [True, True]
    assert a["low"].tolist() == pytest.approx([100.0, 800.0])


def test_dominance_rule_flags_a_cell_where_two_units_hold_95_percent():
    units = units_frame()
    # (C, medium): two enterprises of 950 and 950 employees next to three of 40: 95% for two
    units = pd.concat([units[~((units["sector"] == "C") & (units["size"] == "medium"))],
                       pd.DataFrame({"sector": "C", "size": "medium",
                                     "employment": [950, 950, 40, 30, 30]})], ignore_index=True)
    rules = disclosure.rules(dominance=(2, 0.9), magnitude="employment")
    s = disclosure.magnitude_table(units, rows="sector", columns="size", magnitude="employment",
                                   rules=rules)
    assert (950 + 950) / (950 + 950 + 40 + 30 + 30) == pytest.approx(0.95)
    assert s.reason.loc["C", "medium"] == "dominance"
    # of the other cells only (A, large) is dominated: two units hold all of it; the
    # largest two-unit share elsewhere is (B, small): (8 + 4) / 15 = 80%
    prim = s.primary.to_numpy()
    assert {(s.values.index[r], s.values.columns[c]) for r, c in zip(*np.nonzero(prim))} == {
        ("C", "medium"), ("A", "large")}
    assert s.recoverable == 0


def test_dominance_rule_threshold_is_strict():
    units = pd.DataFrame({"sector": ["A"] * 4 + ["B"] * 4, "size": ["s"] * 8,
                          "employment": [45, 45, 5, 5, 46, 45, 5, 4]})
    rules = disclosure.rules(dominance=(2, 0.9), magnitude="employment", secondary=False)
    s = disclosure.magnitude_table(units, rows="sector", columns="size", magnitude="employment",
                                   rules=rules)
    # A: the two largest hold exactly 90%, not more: published; B: 91%: suppressed
    assert s.primary["s"].tolist() == [False, True]


def test_rules_validate_their_arguments():
    with pytest.raises(InputError, match=r"min_units=0 is not a whole number >= 1"):
        disclosure.rules(min_units=0)
    with pytest.raises(InputError, match=r"dominance=\(2, 90\) is not a pair"):
        disclosure.rules(dominance=(2, 90), magnitude="employment")
    with pytest.raises(InputError, match=r"needs magnitude=, the column"):
        disclosure.rules(dominance=(2, 0.9))
    with pytest.raises(InputError, match=r"no disclosure rule given"):
        disclosure.rules()
    with pytest.raises(InputError, match=r"protection=0 is not a share in \(0, 1\]"):
        disclosure.rules(min_units=3, protection=0)
    with pytest.raises(InputError, match=r"magnitude column 'employment' has the value -3 in row 0; "
                                          r"a magnitude must be a number >= 0"):
        disclosure.magnitude_table(pd.DataFrame({"r": ["a"], "c": ["b"], "employment": [-3]}),
                                   rows="r", columns="c", magnitude="employment",
                                   rules=disclosure.rules(min_units=2))


def test_a_cell_alone_in_its_row_cannot_be_protected():
    values = pd.DataFrame([[5.0, np.nan], [3.0, 4.0]], index=["a", "b"], columns=["x", "y"])
    with pytest.raises(InputError, match=r"no suppression pattern can protect the cell\(s\) \[\('a', 'x'\)\]"):
        disclosure.protect(values, primary=[[True, False], [False, False]], lower=0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.integers(1, 3))
def test_property_every_pattern_protects_and_is_minimal_among_rectangles(seed, k):
    rng = np.random.default_rng(seed)
    values = pd.DataFrame(rng.integers(1, 100, size=(4, 4)).astype(float))
    primary = np.zeros((4, 4), dtype=bool)
    primary.flat[rng.choice(16, size=k, replace=False)] = True
    s = disclosure.protect(values, primary=primary, lower=0)
    hidden = s.suppressed.to_numpy()
    assert (hidden & primary).sum() == k
    assert not determined_by_totals(values.to_numpy(), hidden)[hidden].any()
    for r, c in zip(*np.nonzero(hidden)):
        low, high = intruder_range(values.to_numpy(), hidden, r, c)
        assert high - low > 1e-6
    # every row and column with a hidden cell has at least two (necessary), and one
    # primary cell never costs more than the three cells of a rectangle
    assert all(n != 1 for n in hidden.sum(axis=0)) and all(n != 1 for n in hidden.sum(axis=1))
    if k == 1:
        assert s.secondary.to_numpy().sum() == 3


# --------------------------------------------------------------------------- report tables


def test_report_table_suppress_two_way(replica_design):
    est = sw.proportion(replica_design, "adoption", by=["nace", "size"], method="beta")
    t = sw.report_table(est, rows="nace", columns="size", level="adopter", locale="en",
                        suppress=disclosure.rules(min_units=10))
    n = est.to_frame().query("level == 'adopter'").pivot(index="nace", columns="size", values="n")
    n = n.loc[list(t.row_keys), list(t.column_keys)].to_numpy()
    status = t.status.to_numpy()
    assert ((n < 10) == (t.suppression.primary.to_numpy())).all()
    assert (status[n < 10] == "confidential").all()
    assert t.suppression.secondary.to_numpy().sum() > 0
    assert t.suppression.recoverable == 0
    assert (t.formatted.to_numpy()[t.suppression.suppressed.to_numpy()] == "x").all()
    # no number of a suppressed cell leaves the table
    f = t.to_frame()
    assert f.loc[f["suppressed"], ["estimate", "ci_low", "ci_high", "se", "cv"]].isna().all().all()
    assert np.isnan(t.values.to_numpy()[status == "confidential"]).all()
    assert t.notes[-1].startswith("x Suppressed to protect the confidentiality of respondents: "
                                  "fewer than 10 units in the cell")
    # the intruder's view with the cells' weights (estimated enterprises), solved here
    W = t.suppression.weights.to_numpy()
    x = t.suppression.values.to_numpy()
    hidden = t.suppression.suppressed.to_numpy()
    assert not determined_by_totals(W * x, hidden)[hidden].any()


def test_report_table_dominance_needs_the_estimates_object(replica_design):
    est = sw.proportion(replica_design, "adoption", by="size")
    rules = disclosure.rules(dominance=(2, 0.9), magnitude="employment")
    with pytest.raises(InputError, match=r"pass the Estimates object itself"):
        sw.report_table(est.to_frame(), rows="size", suppress=rules)
    with pytest.raises(InputError, match=r"magnitude='employment' is not a column of the design's data"):
        sw.report_table(est, rows="size", suppress=rules)


def test_report_table_dominance_on_the_design(replica_design):
    data = replica_design.data.copy()
    data["employment"] = 10
    big = data.index[(data["nace"] == "35-39") & (data["size"] == "large")][:2]
    data.loc[big, "employment"] = 5000  # two enterprises hold most of the sector's employment
    d = sw.Design.from_population(data, sw.datasets.barometer_2025_frame(), strata=["nace", "size"])
    t = sw.report_table(sw.proportion(d, "adoption", by="nace"), rows="nace", locale="en",
                        suppress=disclosure.rules(dominance=(2, 0.9), magnitude="employment"))
    reason = t.suppression.reason
    assert set(reason.loc["35-39"]) == {"dominance"}
    assert (reason.drop(index="35-39") != "dominance").all().all()
    # a whole row is primary: another row hides too (the overall shares are published)
    assert t.suppression.secondary.to_numpy().sum() == 3
    assert t.suppression.recoverable == 0
