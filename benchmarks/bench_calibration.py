"""Benchmark of calibration (raking) and of estimates on calibrated designs.

Three cases, the targets of issue 10, each as the median of several runs and as a
ratio to a baseline measured in the same run:

* ``rake_7000_96``: ``sw.rake`` of a 7,000-row EU-style sample (8 countries x 4
  sizes x 8 sectors, weights varying within cells) to the overlapping margins
  country x size (32 cells) and country x sector (64 cells): 96 cells.  Target:
  under 0.1 s.
* ``rake_1e6_2x100``: ``sw.rake`` of 1e6 rows to two margins of 100 cells each.
  Target: under 1 s.
* ``mean_calibrated``: ``sw.mean(c, "y")`` on the raked 1e6-row design, against
  the same estimate on the design before raking.  Target: within 2x.
  ``mean_calibrated_by10`` adds ``by=`` with 10 domains, for information: the
  calibration residuals are nonzero outside each domain, so a domain table costs
  O(n x domains) where the uncalibrated engine is O(n).

The baseline of the raking cases is plain-numpy iterative proportional fitting
(``np.bincount`` per margin, until every cell is within 1e-10 relative): what a
careful programmer writes for raking without diagnostics, checks or variance.
``sw.rake`` does more (margin checks, rank analysis of the overlapping margins,
Newton's method to 1e-10 plus one polishing step, the report, g quantiles, Kish
figures, a new design with the calibration residual step); the two give the same
weights (checked).

The machine that produced ``docs/benchmarks/calibration.md`` has 2 cores shared
by several jobs; OpenBLAS threads on such a machine slow small dense linear
algebra by 100x, so this script pins BLAS to one thread (set before numpy is
imported) and records the load average.

Run:  python benchmarks/bench_calibration.py [--repeat 5]
Writes docs/benchmarks/calibration.json and docs/benchmarks/calibration.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import surveyweights as sw  # noqa: E402
from bench_engine import timed  # shared with every benchmark here

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"
TARGETS = {"rake_7000_96": ("seconds", 0.1), "rake_1e6_2x100": ("seconds", 1.0),
           "mean_calibrated": ("ratio", 2.0), "mean_calibrated_by10": ("ratio", None)}


def ipf(w: np.ndarray, codes: list[np.ndarray], targets: list[np.ndarray],
        tol: float = 1e-10, maxit: int = 1000) -> np.ndarray:
    """Plain iterative proportional fitting with np.bincount (the baseline)."""
    w = w.copy()
    for _ in range(maxit):
        for c, t in zip(codes, targets):
            w *= (t / np.bincount(c, weights=w, minlength=len(t)))[c]
        if all(np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) / t - 1)) < tol
               for c, t in zip(codes, targets)):
            return w
    raise RuntimeError("IPF did not converge")


def eu_sample(n: int, rng) -> tuple[pd.DataFrame, dict, list, list]:
    country = rng.integers(0, 8, n)
    size = rng.choice(4, n, p=[0.55, 0.25, 0.13, 0.07])
    sector = rng.integers(0, 8, n)
    df = pd.DataFrame({
        "country": np.array(["AT", "BE", "DE", "ES", "FR", "IT", "NL", "PL"])[country],
        "size": np.array(["micro", "small", "medium", "large"])[size],
        "sector": np.array([f"S{k}" for k in range(8)])[sector],
        "y": rng.normal(size=n),
        # sampling fractions differ by size: weights vary within the margin cells
        "w": np.array([60.0, 20.0, 6.0, 1.5])[size] * rng.uniform(0.8, 1.25, n),
    })
    g = rng.uniform(0.8, 1.25, n)
    t = df["w"] * g
    cs = t.groupby([df["country"], df["size"]]).sum()
    csec = t.groupby([df["country"], df["sector"]]).sum()
    margins = {("country", "size"): cs.to_dict(), ("country", "sector"): csec.to_dict()}
    ccs = pd.MultiIndex.from_arrays([df["country"], df["size"]]).map({k: i for i, k in enumerate(cs.index)})
    ccsec = pd.MultiIndex.from_arrays([df["country"], df["sector"]]).map({k: i for i, k in enumerate(csec.index)})
    return df, margins, [np.asarray(ccs), np.asarray(ccsec)], [cs.to_numpy(), csec.to_numpy()]


def big_sample(n: int, rng) -> tuple[pd.DataFrame, dict, list, list]:
    a, b = rng.integers(0, 100, n), rng.integers(0, 100, n)
    df = pd.DataFrame({"a": a, "b": b, "h": a // 10, "y": rng.normal(size=n) + a / 50,
                       "w": rng.uniform(5.0, 50.0, n)})
    t = df["w"].to_numpy() * rng.uniform(0.8, 1.25, n)
    ta, tb = np.bincount(a, weights=t, minlength=100), np.bincount(b, weights=t, minlength=100)
    return df, {"a": dict(enumerate(ta)), "b": dict(enumerate(tb))}, [a, b], [ta, tb]


def run(repeat: int) -> list[dict]:
    rng = np.random.default_rng(2025)
    rows = []

    def record(case, n, t_ours, t_base, base_name):
        what, target = TARGETS[case]
        value = t_ours if what == "seconds" else t_ours / t_base
        text = ("none (for information)" if target is None else
                f"{'<' if what == 'seconds' else 'ratio <'} {target:g}{' s' if what == 'seconds' else ''}")
        rows.append({"case": case, "rows": n, "seconds": t_ours, "baseline": base_name,
                     "baseline_seconds": t_base, "ratio_to_baseline": t_ours / t_base,
                     "target": text, "met": None if target is None else bool(value < target)})
        met = {None: "-", True: "met", False: "NOT met"}[rows[-1]["met"]]
        print(f"{case:<22} {n:>10,} {t_ours * 1000:9.1f} ms  {base_name} {t_base * 1000:8.1f} ms"
              f"  ratio {t_ours / t_base:5.2f}  target {text}: {met}", flush=True)

    for case, maker, n in (("rake_7000_96", eu_sample, 7000), ("rake_1e6_2x100", big_sample, 10**6)):
        df, margins, codes, targets = maker(n, rng)
        d = sw.Design(df, weights="w")
        r = sw.rake(d, margins)
        assert sum(len(t) for t in targets) == (96 if n == 7000 else 200)
        np.testing.assert_allclose(r.weights, ipf(df["w"].to_numpy(), codes, targets), rtol=1e-8)
        t_ours = timed(lambda: sw.rake(d, margins), repeat)
        t_base = timed(lambda: ipf(df["w"].to_numpy(), codes, targets), repeat)
        record(case, n, t_ours, t_base, "numpy IPF")
        if n == 10**6:
            d = sw.Design(df, weights="w", strata="h")
            c = sw.rake(d, margins)
            for case2, kw in (("mean_calibrated", {}), ("mean_calibrated_by10", {"by": "h"})):
                sw.mean(c, "y", **kw)
                t_cal = timed(lambda: sw.mean(c, "y", **kw), repeat)
                t_unc = timed(lambda: sw.mean(d, "y", **kw), repeat)
                record(case2, n, t_cal, t_unc, "same estimate, uncalibrated")
    return rows


def write(rows: list[dict]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    meta = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count(), "load_average_1min": load,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "surveyweights": sw.__version__}
    (OUT / "calibration.json").write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    lines = [
        "| case | rows | surveyweights (ms) | baseline | baseline (ms) | ratio | target | met |",
        "|---|---:|---:|---|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['case']} | {r['rows']:,} | {r['seconds'] * 1000:.1f} | {r['baseline']} | "
                     f"{r['baseline_seconds'] * 1000:.1f} | {r['ratio_to_baseline']:.2f} | "
                     f"{r['target']} | {({None: '-', True: 'yes', False: 'no'})[r['met']]} |")
    lines.append("")
    lines.append(f"Python {meta['python']}, numpy {meta['numpy']}, pandas {meta['pandas']}, "
                 f"{meta['machine']}, {meta['cpus']} CPUs shared with other jobs (1-minute load "
                 f"average {load:.1f} at the end of the run), BLAS pinned to one thread; median of "
                 f"repeated runs.")
    (OUT / "calibration.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    write(run(a.repeat))


if __name__ == "__main__":
    main()
