"""Benchmark of report_table on large estimate frames: linear time, 50,000 rows < 2 s.

Issue 16 found ``report_table`` taking 62 s on 43,000 rows (a quadratic duplicate-
label check).  This script times ``report_table`` (layout, labels, duplicate checks,
formatted cells with intervals) and ``ReportTable.to_csv`` on tidy estimate frames of
5,000 to 50,000 rows (domains x 5 levels, labels for every domain), each as the median
of several runs.  The baseline, measured in the same run, is pandas' own
``DataFrame.pivot`` of the same frame (estimate, ci_low and ci_high): the work any
table layout has to do.  A linear implementation keeps both the time per row and the
ratio to the baseline flat as the frame grows.

Run:  python benchmarks/bench_report.py [--sizes 5000,10000,25000,50000] [--repeat 3]
Writes docs/benchmarks/report.json and docs/benchmarks/report.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw
from bench_engine import timed  # median of repeated runs, as every benchmark here

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"
LEVELS = ["adopter", "plans", "no_plans", "unknown", "other"]


def make_frame(rows: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    domains = rows // len(LEVELS)
    names = [f"d{i:06d}" for i in range(domains)]
    est = rng.dirichlet(np.ones(len(LEVELS)), size=domains).ravel()
    half = 0.02 + 0.01 * rng.random(len(est))
    frame = pd.DataFrame({
        "domain": np.repeat(names, len(LEVELS)),
        "variable": "adoption",
        "level": np.tile(LEVELS, domains),
        "estimate": est,
        "ci_low": np.clip(est - half, 0, 1),
        "ci_high": np.clip(est + half, 0, 1),
    })
    labels = {n: f"Domain {n}" for n in names}
    return frame, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5000,10000,25000,50000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(16)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in [int(float(s)) for s in args.sizes.split(",")]:
            frame, labels = make_frame(rows, rng)

            def table():
                return sw.report_table(frame, rows="domain", row_labels=labels, ci=True,
                                       caption="Benchmark", n=rows)

            def baseline():
                return frame.pivot(index="domain", columns="level",
                                   values=["estimate", "ci_low", "ci_high"])

            t_table = timed(table, args.repeat)
            t_base = timed(baseline, args.repeat)
            rt = table()
            t_csv = timed(lambda: rt.to_csv(Path(tmp) / f"t{rows}.csv"), args.repeat)
            results.append({"rows": rows, "report_table_s": t_table, "to_csv_s": t_csv,
                            "pivot_baseline_s": t_base, "ratio": t_table / t_base,
                            "us_per_row": 1e6 * t_table / rows})
            print(f"{rows:>7,} rows: report_table {t_table:6.3f} s  to_csv {t_csv:6.3f} s  "
                  f"pandas pivot {t_base:6.3f} s  ratio {t_table / t_base:5.1f}  "
                  f"{1e6 * t_table / rows:5.1f} us/row")
    meta = {"python": platform.python_version(), "pandas": pd.__version__,
            "numpy": np.__version__, "surveyweights": sw.__version__,
            "machine": platform.machine(), "repeat": args.repeat,
            "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n",
                                     encoding="utf-8")
    lines = ["| rows | report_table (s) | to_csv (s) | pandas pivot baseline (s) | ratio | µs per row |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['rows']:,} | {r['report_table_s']:.3f} | {r['to_csv_s']:.3f} | "
                     f"{r['pivot_baseline_s']:.3f} | {r['ratio']:.1f} | {r['us_per_row']:.1f} |")
    lines.append("")
    lines.append(f"Python {meta['python']}, pandas {meta['pandas']}, numpy {meta['numpy']}; "
                 f"median of {args.repeat} runs; {meta['cpus']} CPUs, load average "
                 f"{meta['load_average_1min']} while it ran.")
    (OUT / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
