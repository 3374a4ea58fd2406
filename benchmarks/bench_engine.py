"""Benchmark of the estimation engine against a plain-numpy bincount baseline.

Synthetic data with the AI-Barometer's 44 strata (11 sectors x 4 sizes, stratum
shares as Tabel 2, populations as Tabel 1 scaled so that N_h >= n_h) at 1e4 ..
1e7 rows.  Timed, each as the median of several runs:

* ``overall``: ``sw.proportion(design, "y")`` -- estimate, SE, df and logit CI;
* ``by_sector``: ``sw.proportion(design, "y", by="nace")`` -- the 11 sector domains
  in one call.

The baseline is what a careful numpy programmer would write for the same
numbers: one pass of per-(stratum x domain) weighted sums with ``np.bincount``
(sum w, sum w y, sum w^2, sum w^2 y) and the stratified variance formula from
those moments (no CI).  Peak memory is measured with ``tracemalloc`` (numpy
reports its allocations to it) and compared with the bytes of the input
columns (sector and size codes, y, weights, fpc).

Run:  python benchmarks/bench_engine.py [--sizes 1e4,1e5,1e6,1e7] [--repeat 5]
Writes docs/benchmarks/engine.json and docs/benchmarks/engine.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


def make_data(n: int, rng: np.random.Generator) -> pd.DataFrame:
    strata = sw.datasets.barometer_2025()
    share = (strata["responses"] / strata["responses"].sum()).to_numpy()
    idx = rng.choice(44, size=n, p=share)
    counts = np.bincount(idx, minlength=44)
    # populations as Tabel 1, scaled up so that each stratum's sample fits
    scale = max(1.0, float(np.max(counts / strata["N"].to_numpy())) * 1.5)
    N = np.ceil(strata["N"].to_numpy() * scale)
    return pd.DataFrame({
        "nace": pd.Categorical.from_codes(pd.Categorical(strata["nace"]).codes[idx],
                                          categories=pd.Categorical(strata["nace"]).categories),
        "size": pd.Categorical.from_codes(pd.Categorical(strata["size"]).codes[idx],
                                          categories=pd.Categorical(strata["size"]).categories),
        "y": (rng.random(n) < 0.55 + 0.1 * (idx % 4) / 3).astype(np.int8),
        "N": N[idx],
        "stratum": idx.astype(np.int16),
    })


def baseline(h: np.ndarray, d: np.ndarray, D: int, w: np.ndarray, y: np.ndarray,
             n_h: np.ndarray, f_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-domain proportions and SEs from one pass of bincounts (the reference speed)."""
    H = len(n_h)
    code = h.astype(np.int64) * D + d
    wy = w * y
    w2 = w * w
    A = np.bincount(code, weights=w, minlength=H * D).reshape(H, D)
    B = np.bincount(code, weights=wy, minlength=H * D).reshape(H, D)
    C = np.bincount(code, weights=w2, minlength=H * D).reshape(H, D)
    E = np.bincount(code, weights=w2 * y, minlength=H * D).reshape(H, D)
    W = A.sum(axis=0)
    p = B.sum(axis=0) / W
    s1 = (B - p * A) / W                       # sum of scores per stratum x domain
    s2 = (E - 2 * p * E + p * p * C) / (W * W)  # sum of squared scores (y binary)
    v = ((1 - f_h) * n_h / (n_h - 1))[:, None] * (s2 - s1 * s1 / n_h[:, None])
    return p, np.sqrt(v.sum(axis=0))


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return int(peak)


def run(sizes: list[int], repeat: int) -> list[dict]:
    rng = np.random.default_rng(2025)
    rows = []
    for n in sizes:
        df = make_data(n, rng)
        design = sw.Design(df, strata="stratum", fpc="N")
        input_bytes = int(sum(df[c].to_numpy().nbytes if not isinstance(df[c].dtype, pd.CategoricalDtype)
                              else df[c].cat.codes.to_numpy().nbytes for c in ("nace", "size", "y", "N"))
                          + design.weights.to_numpy().nbytes)
        h, n_h, f_h, w = design._h, design._n_h.astype(float), design._f_h, design._w
        y = df["y"].to_numpy(dtype=float)
        d_sector = df["nace"].cat.codes.to_numpy().astype(np.int64)
        cases = {
            "overall": (lambda: sw.proportion(design, "y"),
                        lambda: baseline(h, np.zeros(n, dtype=np.int64), 1, w, y, n_h, f_h)),
            "by_sector": (lambda: sw.proportion(design, "y", by="nace"),
                          lambda: baseline(h, d_sector, 11, w, y, n_h, f_h)),
        }
        # the two computations agree (a benchmark of a wrong answer is worthless)
        ours = sw.proportion(design, "y", by="nace").to_frame()
        p_b, se_b = baseline(h, d_sector, 11, w, y, n_h, f_h)
        np.testing.assert_allclose(ours["estimate"], p_b, rtol=1e-9)
        np.testing.assert_allclose(ours["se"], se_b, rtol=1e-6)
        r = 1 if n >= 10**7 else repeat
        for case, (fn_ours, fn_base) in cases.items():
            t_ours = timed(fn_ours, r)
            t_base = timed(fn_base, r)
            peak = peak_bytes(fn_ours)
            rows.append({
                "rows": n, "case": case, "seconds": t_ours, "baseline_seconds": t_base,
                "ratio_to_baseline": t_ours / t_base, "peak_bytes": peak,
                "input_bytes": input_bytes, "peak_over_input": peak / input_bytes,
            })
            print(f"{n:>10,} {case:<10} {t_ours * 1000:9.1f} ms   baseline {t_base * 1000:8.1f} ms"
                  f"   ratio {t_ours / t_base:5.2f}   peak {peak / 2**20:8.1f} MiB"
                  f" = {peak / input_bytes:4.2f} x input", flush=True)
        del df, design
    return rows


def write(rows: list[dict]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "machine": platform.machine(), "processor": platform.processor() or "unknown",
            "surveyweights": sw.__version__}
    (OUT / "engine.json").write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    lines = [
        "| rows | case | surveyweights (ms) | numpy baseline (ms) | ratio | peak memory (MiB) | peak / input columns |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['rows']:,} | {r['case']} | {r['seconds'] * 1000:.1f} | "
                     f"{r['baseline_seconds'] * 1000:.1f} | {r['ratio_to_baseline']:.2f} | "
                     f"{r['peak_bytes'] / 2**20:.1f} | {r['peak_over_input']:.2f} |")
    lines.append("")
    lines.append(f"Python {meta['python']}, numpy {meta['numpy']}, pandas {meta['pandas']}, "
                 f"{meta['machine']}; median of repeated runs (one run at 1e7).")
    (OUT / "engine.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e4,1e5,1e6,1e7")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rows = run([int(float(s)) for s in a.sizes.split(",")], a.repeat)
    write(rows)


if __name__ == "__main__":
    main()
