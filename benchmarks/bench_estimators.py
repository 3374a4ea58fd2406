"""Benchmark of the issue-12 estimators against ``sw.mean`` on the same design.

Synthetic two-stage business survey: 40 strata of regions (stage 1: 10 sampled
regions of 50 per stratum), enterprises sampled within each region (stage 2: a
share of the region's enterprises), at 1e4 .. 1e6 rows.  Each estimator is timed
as the median of several runs and reported as a ratio to the baseline measured in
the same run: ``sw.mean(design, "turnover")`` on the one-stage (ultimate cluster)
design of the same data, the cheapest estimate the library makes.

* ``mean_two_stage``: ``sw.mean`` on the two-stage design (R's ``svyrecvar``
  recursion over both stages);
* ``ratio``: ``sw.ratio(d2, "ai_budget", "turnover", by="sector")``;
* ``quantile_mean`` / ``quantile_score``: three quartiles, Woodruff and score (the
  score interval evaluates the variance of a proportion at each of Brent's ~20 steps
  per limit, R's method too; timed up to 1e5 rows);
* ``glm_binomial``: ``sw.glm(d2, "ai ~ log_turnover + C(sector)", family="binomial")``;
* ``ttest``: ``sw.ttest(d2, "turnover", by="ai")``;
* ``contrast``: ``sw.contrast`` of two of 8 sector totals (the 8 x 8 covariance);
* ``stack_difference``: ``sw.difference`` between two stacked waves.

Run:  python benchmarks/bench_estimators.py [--sizes 1e4,1e5,1e6] [--repeat 3]
Writes docs/benchmarks/estimators.json and docs/benchmarks/estimators.md.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw
from bench_engine import timed  # shared with every benchmark here

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


def make_data(n: int, rng: np.random.Generator) -> pd.DataFrame:
    strata, regions = 40, 10
    psu = rng.integers(0, strata * regions, size=n)
    stratum = psu // regions
    sizes = np.bincount(psu, minlength=strata * regions)
    pop = np.ceil(sizes * rng.uniform(2, 20, size=strata * regions))  # enterprises per region
    sector = rng.integers(0, 8, size=n)
    turnover = np.exp(rng.normal(6 + 0.2 * sector, 1.0))
    ai = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.3 * np.log(turnover) - 0.1 * sector)))).astype(int)
    return pd.DataFrame({
        "stratum": stratum, "region": psu, "firm": np.arange(n), "N1": 50, "N2": pop[psu],
        "sector": pd.Categorical(np.array(list("ABCDEFGH"))[sector]),
        "turnover": turnover, "log_turnover": np.log(turnover), "ai": ai,
        "ai_budget": ai * turnover * rng.uniform(0, 0.05, size=n),
    })


def run(n: int, repeat: int, rng: np.random.Generator) -> dict:
    data = make_data(n, rng)
    d2 = sw.Design(data, ids=["region", "firm"], strata="stratum", fpc=["N1", "N2"])
    d1 = sw.Design(data, ids="region", strata="stratum", weights=d2.weights)
    half = n // 2
    w1 = sw.Design(data.iloc[:half].reset_index(drop=True), ids="region", strata="stratum",
                   weights=d2.weights.iloc[:half].reset_index(drop=True))
    w2 = sw.Design(data.iloc[half:].reset_index(drop=True), ids="region", strata="stratum",
                   weights=d2.weights.iloc[half:].reset_index(drop=True))
    both = sw.stack({"2023": w1, "2025": w2}, key="year")
    tot = sw.total(d2, "turnover", by="sector")
    tasks = {
        "mean_two_stage": lambda: sw.mean(d2, "turnover"),
        "ratio": lambda: sw.ratio(d2, "ai_budget", "turnover", by="sector"),
        "quantile_mean": lambda: sw.quantile(d2, "turnover", [0.25, 0.5, 0.75]),
        "quantile_score": lambda: sw.quantile(d2, "turnover", [0.25, 0.5, 0.75], method="score"),
        "glm_binomial": lambda: sw.glm(d2, "ai ~ log_turnover + C(sector)", family="binomial"),
        "ttest": lambda: sw.ttest(d2, "turnover", by="ai"),
        "contrast": lambda: sw.contrast(tot, {"A": 1, "B": -1}),
        "stack_difference": lambda: sw.difference(both, "turnover", by="year", between=("2025", "2023")),
    }
    base = timed(lambda: sw.mean(d1, "turnover"), repeat)
    row = {"n": n, "baseline_s": base}
    for name, fn in tasks.items():
        if name == "quantile_score" and n > 200_000:
            row[f"{name}_s"] = row[f"{name}_ratio"] = float("nan")
            continue
        t = timed(fn, repeat)
        row[f"{name}_s"] = t
        row[f"{name}_ratio"] = t / base
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e4,1e5,1e6")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(12)
    rows = []
    for s in args.sizes.split(","):
        row = run(int(float(s)), args.repeat, rng)
        rows.append(row)
        print(", ".join(f"{k}={v:.3g}" for k, v in row.items()))
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "machine": platform.machine(),
            "numpy": np.__version__, "pandas": pd.__version__, "repeat": args.repeat}
    clean = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()} for r in rows]
    (OUT / "estimators.json").write_text(json.dumps({"meta": meta, "rows": clean}, indent=2) + "\n")
    names = [k[:-6] for k in rows[0] if k.endswith("_ratio")]
    lines = ["| rows | baseline `sw.mean`, one stage (s) | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---:|---:|" + "---:|" * len(names)]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['baseline_s']:.3f} | "
                     + " | ".join("—" if np.isnan(r[n + "_ratio"]) else f"{r[n + '_ratio']:.1f}x"
                                  for n in names) + " |")
    (OUT / "estimators.md").write_text(
        "Time of each estimator as a multiple of the baseline measured in the same run "
        f"(median of {args.repeat}; Python {meta['python']}, numpy {meta['numpy']}, "
        f"pandas {meta['pandas']}; `benchmarks/bench_estimators.py`).\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
