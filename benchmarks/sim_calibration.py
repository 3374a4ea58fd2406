"""Monte Carlo check of the two variances of a raked estimate (issue 10).

A SYNTHETIC business population (4 countries x 3 sizes x 4 sectors, about
10,000 enterprises, turnover growing with size) is sampled repeatedly, stratified
by country x size with sampling fractions 4% (small), 15% (medium) and 60%
(large), so the weights vary within the country x sector cells.  Each sample is
raked to the overlapping margins country x size and country x sector
(``sw.rake``), and the total turnover and the share using AI are estimated with

* the calibration variance (the default: g-weighted residuals from the
  d-weighted regression on the margins, Deville & Särndal 1992), and
* R ``rake()``'s variance (``variance="rake"``: ten sweeps of unweighted
  within-cell means).

A variance is right when its mean SE matches the empirical SD of the estimates
over the samples and its 95% intervals cover the population value 95% of the time.

Run:  python benchmarks/sim_calibration.py [--reps 400] [--seed 1]
Writes docs/benchmarks/calibration_simulation.json and .md.
"""

from __future__ import annotations

import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import surveyweights as sw  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"

def population(rng):
    countries, sizes, sectors = ["BE", "DE", "FR", "NL"], ["small", "medium", "large"], ["C", "G", "J", "M"]
    cells = pd.MultiIndex.from_product([countries, sizes, sectors], names=["country", "size", "sector"]).to_frame(index=False)
    base = cells["size"].map({"small": 500, "medium": 110, "large": 28})
    cells["N"] = rng.poisson(base * cells["country"].map({"BE": 0.6, "DE": 1.6, "FR": 1.3, "NL": 0.8})
                             * cells["sector"].map({"C": 0.8, "G": 1.4, "J": 0.6, "M": 1.0}))
    pop = cells.loc[cells.index.repeat(cells["N"]), ["country", "size", "sector"]].reset_index(drop=True)
    lo = pop["size"].map({"small": 10, "medium": 50, "large": 250}).to_numpy(float)
    hi = pop["size"].map({"small": 49, "medium": 249, "large": 2000}).to_numpy(float)
    emp = np.round(np.exp(np.log(lo) + rng.random(len(pop)) ** 1.5 * np.log(hi / lo)))
    pop["turnover"] = emp * rng.lognormal(np.log(180) + 0.3 * (pop["sector"] == "J"), 0.6)
    pop["ai"] = (rng.random(len(pop)) < 0.15 + 0.25 * (pop["sector"] == "J") + 0.25 * (pop["size"] == "large")).astype(float)
    pop["N_h"] = pop.groupby(["country", "size"])["ai"].transform("size")
    return pop

def one(pop, margins, groups, rate, rng):
    take = [rng.choice(idx, max(3, round(rate[k[1]] * len(idx))), replace=False) for k, idx in groups]
    s = pop.loc[np.sort(np.concatenate(take))].reset_index(drop=True)
    d = sw.Design(s, strata=["country", "size"], fpc="N_h")
    r = sw.rake(d, margins)
    rr = sw.rake(d, margins, variance="rake")
    out = {}
    for var, fn, kw in (("turnover", sw.total, {}), ("ai", sw.mean, {})):
        a = fn(r, var, **kw).to_frame().iloc[0]
        b = fn(rr, var, **kw).to_frame().iloc[0]
        out[var] = (a["estimate"], a["se"], b["se"])
    return out

def run(reps: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    pop = population(rng)
    margins = {("country", "size"): pop.groupby(["country", "size"]).size().astype(float).to_dict(),
               ("country", "sector"): pop.groupby(["country", "sector"]).size().astype(float).to_dict()}
    rate = {"small": 0.04, "medium": 0.15, "large": 0.6}
    groups = list(pop.groupby(["country", "size"]).indices.items())
    truth = {"turnover": pop["turnover"].sum(), "ai": pop["ai"].mean()}
    res = {k: [] for k in truth}
    for _ in range(reps):
        o = one(pop, margins, groups, rate, rng)
        for k in o:
            res[k].append(o[k])
    rows = []
    for k, v in res.items():
        a = np.array(v)
        est, se_cal, se_rake = a[:, 0], a[:, 1], a[:, 2]
        z = 1.959963984540054
        rows.append({"estimate": k, "reps": reps, "true": truth[k], "mean_estimate": est.mean(),
                     "empirical_sd": est.std(ddof=1), "mean_se_calibration": se_cal.mean(),
                     "mean_se_rake": se_rake.mean(),
                     "coverage_calibration": np.mean(np.abs(est - truth[k]) <= z * se_cal),
                     "coverage_rake": np.mean(np.abs(est - truth[k]) <= z * se_rake)})
    print(pd.DataFrame(rows).to_string())
    return rows


def write(rows: list[dict], seed: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "numpy": np.__version__, "seed": seed,
            "surveyweights": sw.__version__}
    (OUT / "calibration_simulation.json").write_text(
        json.dumps({"meta": meta, "results": rows}, indent=2, default=float) + "\n")
    lines = ["| estimate | samples | empirical SD | mean SE, calibration | mean SE, R rake() | "
             "95% coverage, calibration | 95% coverage, R rake() |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        fmt = (lambda x: f"{x:,.0f}") if r["estimate"] == "turnover" else (lambda x: f"{x:.4f}")
        name = "total turnover" if r["estimate"] == "turnover" else "share using AI"
        lines.append(f"| {name} | {r['reps']} | {fmt(r['empirical_sd'])} | "
                     f"{fmt(r['mean_se_calibration'])} | {fmt(r['mean_se_rake'])} | "
                     f"{r['coverage_calibration']:.1%} | {r['coverage_rake']:.1%} |")
    lines.append("")
    lines.append(f"SYNTHETIC population, seed {seed}; `python benchmarks/sim_calibration.py`.")
    (OUT / "calibration_simulation.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    write(run(a.reps, a.seed), a.seed)


if __name__ == "__main__":
    main()
