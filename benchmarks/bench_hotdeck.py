"""Benchmark of surveyweights.imputation.hot_deck.

Workload: 1,000,000 rows, 44 imputation classes (11 sectors x 4 sizes), 10
items with 5% of the values missing completely at random (4 float64, 2 Int64,
2 categorical, 2 str columns).

Baseline, measured in the same run: a plain numpy draw of the same number of
donor cells, i.e. for every item one ``rng.integers`` call that picks a random
position inside the recipient's class block of a pre-sorted donor array (the
class grouping, donor masks and sort are prepared outside the timed region).
It is the floor for any vectorised random hot deck; the ratio says what the
validation, eligibility, reporting and dtype-preserving write-back cost.

Run:  PYTHONPATH=src python benchmarks/bench_hotdeck.py [--rows N] [--repeat R]
Writes docs/benchmarks/hotdeck.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from surveyweights.imputation import hot_deck

ROOT = Path(__file__).resolve().parents[1]
NACE = ["10-33", "35-39", "41-43", "45-47", "49-53", "55-56", "58-63", "64-66",
        "68-75", "77-82;95.1", "86-88"]
SIZES = ["micro", "small", "medium", "large"]


def make_data(n_rows: int, miss: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "nace": pd.array(np.array(NACE)[rng.integers(0, 11, n_rows)], dtype="str"),
        "size": pd.array(np.array(SIZES)[rng.integers(0, 4, n_rows)], dtype="str"),
    })
    cats = np.array(["down", "same", "up_slightly", "up_strongly"])
    for k in range(10):
        holes = rng.random(n_rows) < miss
        if k < 4:
            col = pd.Series(rng.normal(size=n_rows))
        elif k < 6:
            col = pd.Series(pd.array(rng.integers(0, 2, n_rows), dtype="Int64"))
        elif k < 8:
            col = pd.Series(pd.Categorical(cats[rng.integers(0, 4, n_rows)], categories=cats))
        else:
            col = pd.Series(pd.array(cats[rng.integers(0, 4, n_rows)], dtype="str"))
        df[f"item{k}"] = col.mask(holes)
    return df


def baseline(df: pd.DataFrame, items: list[str], rng: np.random.Generator) -> float:
    """Same number of donor draws with plain numpy, class structure precomputed."""
    codes = (pd.factorize(df["nace"])[0] * 4 + pd.factorize(df["size"])[0]).astype(np.intp)
    perm = np.argsort(codes.astype(np.uint16), kind="stable")
    prepared = []
    for c in items:
        na = df[c].isna().to_numpy()
        ds = perm[~na[perm]]
        counts = np.bincount(codes[ds], minlength=44)
        starts = np.cumsum(counts) - counts
        rec = np.flatnonzero(na)
        prepared.append((ds, counts, starts, codes[rec]))
    t0 = time.perf_counter()
    total = 0
    for ds, counts, starts, g in prepared:
        donor = ds[starts[g] + rng.integers(0, counts[g])]
        total += donor.size
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--missing", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "hotdeck.json"))
    args = ap.parse_args()

    df = make_data(args.rows, args.missing)
    items = [f"item{k}" for k in range(10)]
    n_cells = int(df[items].isna().sum().sum())
    hot_deck(df.head(1000), items, by=["nace", "size"], rng=0)  # warm-up

    runs = {}
    for label, kw in [
        ("random", {}),
        ("weighted", {"donors": "weighted", "weights": np.ones(len(df))}),
        ("without_replacement", {"donors": "without_replacement"}),
        ("random_bootstrap", {"bootstrap": True}),
    ]:
        times = []
        for r in range(args.repeat):
            t0 = time.perf_counter()
            res = hot_deck(df, items, by=["nace", "size"], rng=r, **kw)
            times.append(time.perf_counter() - t0)
        assert int(res.flags.to_numpy().sum()) == n_cells
        runs[label] = {"median_s": float(np.median(times)), "min_s": float(min(times))}

    # the baseline is short and noisy: more repeats, median
    base = [baseline(df, items, np.random.default_rng(r)) for r in range(max(25, args.repeat))]
    base_s = float(np.median(base))
    fact = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        pd.factorize(df["nace"])
        pd.factorize(df["size"])
        fact.append(time.perf_counter() - t0)
    fact_s = float(np.median(fact))
    for v in runs.values():
        v["ratio_to_baseline"] = v["median_s"] / base_s

    result = {
        "workload": {"rows": args.rows, "items": 10, "classes": 44,
                     "missing_rate": args.missing, "imputed_cells": n_cells,
                     "dtypes": "4 float64, 2 Int64, 2 category, 2 str"},
        "baseline": {"description": "numpy rng.integers draw of the same cells with "
                                    "class grouping precomputed",
                     "median_s": base_s, "min_s": float(min(base))},
        "context": {"factorize_two_str_class_columns_s": fact_s},
        "hot_deck": runs,
        "repeat": args.repeat,
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "pandas": pd.__version__, "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "load_average_1_5_15_min": list(os.getloadavg())},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.rows:,} rows, 10 items, 44 classes, {n_cells:,} imputed cells")
    print(f"baseline (numpy draw only): {base_s * 1e3:8.1f} ms")
    print(f"factorizing the 2 str class columns (inside hot_deck): {fact_s * 1e3:.1f} ms")
    for k, v in runs.items():
        print(f"hot_deck donors={k:<22s}: {v['median_s'] * 1e3:8.1f} ms "
              f"(x{v['ratio_to_baseline']:.0f} baseline)")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
