"""Benchmark of replicate-weight variance against linearization on the same design.

Synthetic clustered data: ``--rows`` units (default 1e6) in ``--psus`` PSUs
(default 10,000) spread over 44 strata, with 11 domains (``nace``, varying within
PSUs), a numeric item and a 0/1 item.  Timed, each as the median of ``--repeat``
runs of ``sw.mean(design, "y", by="nace")`` (11 domain means with SE and df):

* ``linearization`` -- the Taylor design itself: the baseline of the ratios;
* ``jkn`` -- ``sw.replicate(design, method="jkn")``: one replicate per PSU;
* ``bootstrap`` -- ``sw.replicate(design, method="bootstrap", replicates=200)``;
* ``file_80`` -- a design read with 80 replicate-weight columns
  (``Design(..., replicate_weights="rep[0-9]+", replicate_method="sdr")``).

Targets (issue 11): jkn and bootstrap within 3x of linearization; the file with
80 columns under 2 s for 11 domains.  Building the replicate design is timed
apart (``build_s``): it happens once per design.

BLAS runs single-threaded here (``OPENBLAS_NUM_THREADS=1`` unless set): on a
shared 2-core machine OpenBLAS's spinning threads make small products 10x
slower and the ratios meaningless; linearization uses no BLAS.

Run:  python benchmarks/bench_replicate.py [--rows 1e6] [--psus 10000] [--repeat 3]
Writes docs/benchmarks/replicate.json and docs/benchmarks/replicate.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads OpenBLAS

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import surveyweights as sw  # noqa: E402
from bench_engine import timed  # shared with every benchmark here

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


def make_data(n: int, n_psu: int, rng: np.random.Generator) -> pd.DataFrame:
    stratum_of_psu = np.sort(rng.integers(0, 44, n_psu))
    psu = np.sort(rng.integers(0, n_psu, n))
    h = stratum_of_psu[psu]
    n_h = np.bincount(stratum_of_psu, minlength=44)
    N = np.maximum(n_h * 5, 1)[h]
    return pd.DataFrame({
        "stratum": h.astype(np.int16),
        "psu": psu.astype(np.int32),
        "N": N.astype(float),
        "w": rng.uniform(5, 50, n),
        "nace": rng.integers(0, 11, n).astype(np.int8),
        "y": rng.normal(10, 3, n) + (psu % 7),
        "b": (rng.random(n) < 0.4).astype(np.int8),
    })


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--psus", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    n = int(args.rows)
    rng = np.random.default_rng(2025)
    data = make_data(n, args.psus, rng)
    design = sw.Design(data, strata="stratum", ids="psu", weights="w", fpc="N")
    results = []

    def run(label, d, build_s):
        warnings.simplefilter("ignore")
        t = timed(lambda: sw.mean(d, "y", by="nace"), args.repeat)
        results.append({"design": label, "replicates": getattr(d.variance, "n_replicates", 0),
                        "estimate_s": t, "build_s": build_s})
        print(f"{label:>14}: {t:8.3f} s per sw.mean(by='nace')   (build {build_s:.2f} s)",
              flush=True)

    run("linearization", design, 0.0)
    t0 = time.perf_counter()
    jkn = sw.replicate(design, method="jkn")
    run("jkn", jkn, time.perf_counter() - t0)
    del jkn
    t0 = time.perf_counter()
    boot = sw.replicate(design, method="bootstrap", replicates=200, rng=1)
    run("bootstrap", boot, time.perf_counter() - t0)
    del boot
    reps = pd.DataFrame(data["w"].to_numpy()[:, None] * rng.uniform(0.3, 1.7, (n, 80)),
                        columns=[f"rep{i + 1}" for i in range(80)])
    frame = pd.concat([data[["w", "nace", "y", "b"]], reps], axis=1)
    del reps
    t0 = time.perf_counter()
    filed = sw.Design(frame, weights="w", replicate_weights="rep[0-9]+", replicate_method="sdr")
    run("file_80", filed, time.perf_counter() - t0)
    base = results[0]["estimate_s"]
    for r in results:
        r["ratio_to_linearization"] = r["estimate_s"] / base
    meta = {"rows": n, "psus": args.psus, "domains": 11, "repeat": args.repeat,
            "python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, "surveyweights": sw.__version__,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "machine": platform.machine(), "processor": platform.processor() or "unknown"}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "replicate.json").write_text(json.dumps({"meta": meta, "results": results},
                                                        indent=1))
    lines = [
        f"{n:,} rows, {args.psus:,} PSUs in 44 strata, 11 domains; `sw.mean(design, \"y\", "
        f"by=\"nace\")`, median of {args.repeat} runs (numpy {np.__version__}, pandas "
        f"{pd.__version__}).",
        "",
        "| design | replicates | estimate (s) | ratio to linearization | build (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r['design']} | {r['replicates']:,} | {r['estimate_s']:.3f} | "
                     f"{r['ratio_to_linearization']:.2f} | {r['build_s']:.2f} |")
    (args.out / "replicate.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
