"""Calibrated and replicate-weight designs on DuckDB against the in-memory engine.

The two designs that used to need every unit in memory, now computed from
per-cell sums on the SQL engines (docs/engines.md):

* ``calibrated``: the benchmark data of ``bench_scaling.py`` (44 strata, weights
  N_h / n_h) raked to two categorical margins, the 11 sectors and a 5-level
  region, with targets 3-8 % away from the weighted sample counts (so g varies
  between calibration cells); then ``sw.proportion(y, by=sector)``.  Timed:
  ``sw.calibrate`` and the estimate, in memory and on DuckDB over the same
  pandas frame (read in place);
* ``replicate``: a public-use-file layout (the ACS PUMS: a person weight and 80
  successive-difference replicate weights, integers) of ``--replicate-rows``
  rows; ``sw.proportion(y, by=sector)`` with ``mse=True``, in memory and on
  DuckDB over the same frame;
* ``replicate_parquet``: the same layout written by DuckDB to Parquet at
  ``--parquet-rows`` rows and estimated under ``--memory-limit`` (out of core:
  the file is larger than the limit).

Every DuckDB result is checked against the in-memory one (rtol 1e-10) before it is
timed; times are medians of ``--repeat`` runs and reported with their ratio to
the in-memory time of the same run.

Run:  python benchmarks/bench_sql_designs.py [--rows 1e6,1e7] [--replicate-rows 1e6]
          [--parquet-rows 1.5e7] [--memory-limit 2GB] [--threads 2] [--repeat 3]
Writes docs/benchmarks/sql_designs.json and docs/benchmarks/sql_designs.md.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw
from bench_engine import timed  # shared with every benchmark here
from bench_scaling import machine, make_data, out_of_core, write_parquet

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"
REPLICATES = 80


def same(a, b) -> None:
    """The DuckDB result equals the in-memory one (a benchmark of a wrong answer is worthless)."""
    fa, fb = a.to_frame(), b.to_frame()
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(fa[col].to_numpy(float), fb[col].to_numpy(float), rtol=1e-10,
                                   err_msg=col)


def calibration_data(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    df = make_data(n, 11, rng)
    df["region"] = pd.Categorical.from_codes(rng.integers(0, 5, n).astype(np.int8),
                                             categories=["R1", "R2", "R3", "R4", "R5"])
    d = sw.Design(df, strata="stratum", fpc="N")
    w = d.weights.to_numpy()
    margins = {}
    for var in ("dom", "region"):
        est = pd.Series(w).groupby(df[var].to_numpy()).sum()
        factor = 1.0 + rng.choice([-1.0, 1.0], len(est)) * rng.uniform(0.03, 0.08, len(est))
        margins[var] = {k: float(v) for k, v in (est * factor).items()}
    # both margins must add up to the same population
    total = sum(margins["dom"].values())
    s = sum(margins["region"].values())
    margins["region"] = {k: v * total / s for k, v in margins["region"].items()}
    return df, margins


def run_calibrated(n: int, threads: int, repeat: int) -> list[dict]:
    rng = np.random.default_rng(2026)
    df, margins = calibration_data(n, rng)
    r = 1 if n >= 10**7 else repeat
    rows = []
    mem = sw.Design(df, strata="stratum", fpc="N")
    eng = sw.engines.DuckDB(threads=threads)
    sql = sw.Design(df, strata="stratum", fpc="N", engine=eng)
    cm = sw.calibrate(mem, margins, method="raking")
    cs = sw.calibrate(sql, margins, method="raking")
    same(sw.proportion(cs, "y", by="dom"), sw.proportion(cm, "y", by="dom"))
    t_cal_m = timed(lambda: sw.calibrate(mem, margins, method="raking"), r)
    t_est_m = timed(lambda: sw.proportion(cm, "y", by="dom"), r)
    t_cal_s = timed(lambda: sw.calibrate(sql, margins, method="raking"), r)
    t_est_s = timed(lambda: sw.proportion(cs, "y", by="dom"), r)
    for case, t, ref in (("memory_calibrate", t_cal_m, t_cal_m), ("memory_calibrated_estimate", t_est_m, t_est_m),
                         (f"duckdb_t{threads}_calibrate", t_cal_s, t_cal_m),
                         (f"duckdb_t{threads}_calibrated_estimate", t_est_s, t_est_m)):
        rows.append({"rows": n, "case": case, "seconds": t, "ratio_to_memory": t / ref})
        print(f"{n:>12,} {case:<34} {t * 1000:10.1f} ms  ratio to memory {t / ref:6.2f}", flush=True)
    return rows


def replicate_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A PUMS-like frame: integer person weight and 80 replicate weights."""
    df = make_data(n, 11, rng)
    w = np.maximum(1, np.round(df["N"].to_numpy() / 2000 * rng.uniform(0.5, 1.5, n))).astype(np.int32)
    out = {"dom": df["dom"], "y": df["y"], "PWGTP": w}
    for k in range(1, REPLICATES + 1):
        out[f"PWGTP{k}"] = np.maximum(0, np.round(w * rng.uniform(0.3, 1.7, n))).astype(np.int32)
    return pd.DataFrame(out)


REPLICATE_ARGS = dict(weights="PWGTP", replicate_weights=r"^PWGTP\d+$", replicate_method="sdr",
                      scale=4 / REPLICATES, mse=True)


def run_replicate(n: int, threads: int, repeat: int) -> list[dict]:
    rng = np.random.default_rng(2027)
    df = replicate_frame(n, rng)
    mem = sw.Design(df, **REPLICATE_ARGS)
    sql = sw.Design(df, engine=sw.engines.DuckDB(threads=threads), **REPLICATE_ARGS)
    same(sw.proportion(sql, "y", by="dom"), sw.proportion(mem, "y", by="dom"))
    r = 1 if n >= 10**7 else repeat
    t_m = timed(lambda: sw.proportion(mem, "y", by="dom"), r)
    t_s = timed(lambda: sw.proportion(sql, "y", by="dom"), r)
    rows = []
    for case, t in (("memory_replicate_estimate", t_m), (f"duckdb_t{threads}_replicate_estimate", t_s)):
        rows.append({"rows": n, "case": case, "seconds": t, "ratio_to_memory": t / t_m})
        print(f"{n:>12,} {case:<34} {t * 1000:10.1f} ms  ratio to memory {t / t_m:6.2f}", flush=True)
    return rows


def run_replicate_parquet(n: int, threads: int, memory_limit: str, tmp: Path) -> list[dict]:
    folder = tmp / "pums"
    reps = ", ".join(f"greatest(0, round(w * (0.3 + 1.4 * random())))::INTEGER AS PWGTP{k}"
                     for k in range(1, REPLICATES + 1))

    def select(start: int, stop: int) -> str:
        return f"""SELECT dom, y, w AS PWGTP, {reps}
                   FROM (SELECT 'd' || lpad((hash(i * 7 + 1) % 11)::VARCHAR, 4, '0') AS dom,
                                (random() < 0.6)::TINYINT AS y,
                                (1 + hash(i) % 200)::INTEGER AS w
                         FROM range({start}, {stop}) t(i))"""

    write, size = write_parquet(folder, n, min(n, 5 * 10**6), select, memory_limit, tmp)
    eng = out_of_core(threads, memory_limit, tmp)
    t0 = time.perf_counter()
    d = sw.Design(str(folder / "*.parquet"), engine=eng, **REPLICATE_ARGS)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = sw.proportion(d, "y", by="dom").to_frame()
    est = time.perf_counter() - t0
    print(f"{n:>12,} replicate Parquet ({size / 2**30:.2f} GiB, {REPLICATES} replicate columns, limit "
          f"{memory_limit}, {threads} threads): build {build:.2f} s, estimate {est:.2f} s "
          f"(written in {write:.1f} s); {len(res)} domains, SE range "
          f"{res['se'].min():.2e}..{res['se'].max():.2e}", flush=True)
    return [{"rows": n, "case": f"duckdb_t{threads}_replicate_parquet", "seconds": est,
             "build_seconds": build, "write_seconds": write, "parquet_bytes": size,
             "memory_limit": memory_limit}]


def write(rows: list[dict], meta: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sql_designs.json").write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    lines = ["| rows | case | seconds | ratio to in-memory | notes |", "|---:|---|---:|---:|---|"]
    for r in rows:
        ratio = f"{r['ratio_to_memory']:.2f}" if "ratio_to_memory" in r else ""
        notes = ""
        if "build_seconds" in r:
            notes = (f"Design build {r['build_seconds']:.2f} s; {r['parquet_bytes'] / 2**30:.2f} GiB "
                     f"Parquet with {REPLICATES} replicate columns; memory limit {r['memory_limit']}")
        lines.append(f"| {r['rows']:,} | {r['case']} | {r['seconds']:.4f} | {ratio} | {notes} |")
    lines += ["", f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory_gib']} GiB; "
              f"Python {meta['python']}, numpy {meta['numpy']}, pandas {meta['pandas']}, "
              f"DuckDB {meta['duckdb']}. Command: `{meta['command']}`. Medians of repeated runs "
              f"(one run at 1e7 rows and more)."]
    (OUT / "sql_designs.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1e6,1e7", help="rows of the calibrated runs")
    ap.add_argument("--replicate-rows", default="1e6")
    ap.add_argument("--parquet-rows", default="1.5e7", help="'' to skip the out-of-core run")
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    meta = {**machine(), "command": shlex.join(["python", "benchmarks/bench_sql_designs.py", *sys.argv[1:]])}
    print(json.dumps(meta), flush=True)
    rows: list[dict] = []
    for n in [int(float(s)) for s in a.rows.split(",") if s]:
        rows += run_calibrated(n, a.threads, a.repeat)
    for n in [int(float(s)) for s in a.replicate_rows.split(",") if s]:
        rows += run_replicate(n, a.threads, a.repeat)
    if a.parquet_rows:
        with tempfile.TemporaryDirectory() as t:
            rows += run_replicate_parquet(int(float(a.parquet_rows)), a.threads, a.memory_limit, Path(t))
    write(rows, meta)


if __name__ == "__main__":
    main()
