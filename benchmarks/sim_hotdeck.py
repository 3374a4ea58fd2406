"""Monte Carlo study of the hot deck: bias and interval coverage.

The larger version of the two simulation tests in tests/test_imputation.py.

Design: 4 strata with population sizes N_h = (1000, 2000, 1500, 500) and
P(y = 1) = (0.20, 0.45, 0.60, 0.85); target theta = sum_h W_h P_h with
W_h = N_h / N. Each replicate draws n_h = 50 units per stratum, deletes y
completely at random within strata (rate 20% or 50%), and imputes within
strata. The estimator is the stratified proportion with SE
sqrt(sum_h W_h^2 s_h^2 / n_h) and complete-data df = n - H = 196.

Compared intervals (nominal 95%):
  complete    - the complete data, before deletion (reference);
  single      - one hot-deck imputation, SE computed as if the data were complete;
  mi_improper - M = 5 hot-deck imputations without ABB, Rubin's rules;
  mi_abb      - M = 5 approximate-Bayesian-bootstrap imputations, Rubin's rules.
Bias: mean over replicates of (imputed estimate - complete-data estimate), with
its Monte Carlo SE.

Run:  PYTHONPATH=src python benchmarks/sim_hotdeck.py [--reps 2000]
Writes docs/benchmarks/hotdeck_simulation.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from surveyweights.imputation import hot_deck, multiply_impute
from surveyweights.rubin import combine_rubin

ROOT = Path(__file__).resolve().parents[1]
N_H = np.array([1000.0, 2000.0, 1500.0, 500.0])
P_H = np.array([0.20, 0.45, 0.60, 0.85])
W_H = N_H / N_H.sum()


def strat_estimate(y, g, n_h):
    means = np.bincount(g, weights=y, minlength=4) / n_h
    ss = np.bincount(g, weights=(y - means[g]) ** 2, minlength=4)
    return float(np.sum(W_H * means)), float(np.sqrt(np.sum(W_H**2 * ss / (n_h - 1) / n_h)))


def pooled(datasets, g, n_h, df_com):
    frames = []
    for d in datasets:
        e, s = strat_estimate(d["y"].to_numpy(), g, n_h)
        frames.append(pd.DataFrame({"estimate": [e], "se": [s], "df": [df_com]}))
    return combine_rubin(frames).iloc[0]


def run(rate, reps, M, seed):
    n_h = np.array([50, 50, 50, 50])
    g = np.repeat(np.arange(4), n_h)
    df_com = g.size - 4
    tq = stats.t.ppf(0.975, df_com)
    theta = float(np.sum(W_H * P_H))
    gen = np.random.default_rng(seed)
    cover = {"complete": 0, "single": 0, "mi_improper": 0, "mi_abb": 0}
    width = {k: 0.0 for k in cover}
    bias, fmi = [], []
    for _ in range(reps):
        y = (gen.random(g.size) < P_H[g]).astype(float)
        full, full_se = strat_estimate(y, g, n_h)
        holes = gen.random(g.size) < rate
        df = pd.DataFrame({"g": g, "y": np.where(holes, np.nan, y)})
        cover["complete"] += abs(full - theta) <= tq * full_se
        width["complete"] += 2 * tq * full_se
        est, se = strat_estimate(hot_deck(df, ["y"], by="g", rng=gen).data["y"].to_numpy(), g, n_h)
        bias.append(est - full)
        cover["single"] += abs(est - theta) <= tq * se
        width["single"] += 2 * tq * se
        for key, boot in (("mi_improper", False), ("mi_abb", True)):
            mi = multiply_impute(df, ["y"], by="g", M=M, rng=gen, bootstrap=boot)
            p = pooled(mi.datasets, g, n_h, df_com)
            cover[key] += bool(p["ci_low"] <= theta <= p["ci_high"])
            width[key] += p["ci_high"] - p["ci_low"]
            if boot:
                fmi.append(p["fmi"])
    b = np.array(bias)
    return {
        "missing_rate": rate,
        "reps": reps,
        "M": M,
        "theta": theta,
        "bias_single": float(b.mean()),
        "bias_mcse": float(b.std(ddof=1) / np.sqrt(reps)),
        "coverage": {k: v / reps for k, v in cover.items()},
        "coverage_mcse_at_0.95": float(np.sqrt(0.95 * 0.05 / reps)),
        "mean_ci_width": {k: v / reps for k, v in width.items()},
        "mean_fmi_abb": float(np.mean(fmi)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--M", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks" / "hotdeck_simulation.json"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    results = [run(rate, args.reps, args.M, seed=100 + k) for k, rate in enumerate((0.2, 0.5))]
    for r in results:
        print(f"missing {r['missing_rate']:.0%}: bias {r['bias_single']:+.5f} "
              f"(MC SE {r['bias_mcse']:.5f}); coverage " +
              ", ".join(f"{k} {v:.3f}" for k, v in r["coverage"].items()) +
              f" (MC SE {r['coverage_mcse_at_0.95']:.3f}); mean fmi {r['mean_fmi_abb']:.3f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results,
                               "seconds": time.perf_counter() - t0}, indent=2) + "\n")
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
