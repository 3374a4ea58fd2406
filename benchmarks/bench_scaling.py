"""Engines at scale: in memory and DuckDB over rows and domains, against a numpy floor.

Synthetic data with 44 strata (11 sectors x 4 sizes, shares as the AI-Barometer's
Tabel 2); a 0/1 item ``y``, a numeric item ``x`` and a domain column ``dom`` with
``--domains`` levels (11 = the sectors).  Every time is the median of
``--repeat`` runs, reported with its ratio to the numpy ``bincount`` pass of the
same run (per-(stratum x domain) sums of w, w y, w^2, w^2 y and the stratified
variance from those moments: proportions and SEs, no CI).

Cases (all with ``by=dom``):

* ``memory``: ``sw.proportion`` on the in-memory engine; ``memory_build``: building
  its ``Design``; ``memory_chisq``: ``sw.chisq_test(yc, dom)`` (y as a factor); ``memory_mean``:
  ``sw.mean`` of the numeric item;
* ``baseline_lib``: the library before the engines (``--baseline-commit``, run from
  a ``git archive`` of that commit in a subprocess on the same data), when git and
  the commit are available;
* ``duckdb``: ``sw.proportion`` on ``engine=sw.engines.DuckDB(threads=T)`` over the
  same pandas frame (read in place); ``duckdb_build``;
* ``parquet``: DuckDB on Parquet files written by DuckDB itself (no pandas copy),
  with ``--memory-limit``: the out-of-core run.

Peak memory of the in-memory estimate (``tracemalloc``) is compared with the bytes
of its input columns.

Run here:   python benchmarks/bench_scaling.py --quick
Full run:   python benchmarks/bench_scaling.py --rows 1e5,1e6,1e7,1e8 --domains 11,440,4400 \\
                --threads 1,16 --parquet-rows 1e8 --memory-limit 4GB --repeat 3
Writes docs/benchmarks/scaling.json and docs/benchmarks/scaling.md (``--tag`` adds a
suffix, e.g. ``--tag 16core``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw
from bench_engine import baseline, peak_bytes, timed  # shared with every benchmark here

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"
ROOT = Path(__file__).resolve().parents[1]


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    import duckdb
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": mem, "python": platform.python_version(),
            "numpy": np.__version__, "pandas": pd.__version__, "duckdb": duckdb.__version__,
            "surveyweights": sw.__version__, "machine": platform.machine()}


def make_data(n: int, domains: int, rng: np.random.Generator) -> pd.DataFrame:
    strata = sw.datasets.barometer_2025()
    share = (strata["responses"] / strata["responses"].sum()).to_numpy()
    idx = rng.choice(44, size=n, p=share).astype(np.int16)
    counts = np.bincount(idx, minlength=44)
    scale = max(1.0, float(np.max(counts / strata["N"].to_numpy())) * 1.5)
    N = np.ceil(strata["N"].to_numpy() * scale)
    sector = pd.Categorical(strata["nace"]).codes[idx]
    dom = sector if domains == 11 else rng.integers(0, domains, n).astype(np.int16)
    y = (rng.random(n) < 0.55 + 0.1 * (idx % 4) / 3).astype(np.int8)
    return pd.DataFrame({
        "stratum": idx,
        "dom": pd.Categorical.from_codes(dom, categories=[f"d{i:04d}" for i in range(domains)]),
        "y": y,
        "yc": pd.Categorical.from_codes(y, categories=["no", "yes"]),  # y as a factor (chisq_test)
        "x": rng.lognormal(3.0, 1.0, n),
        "N": N[idx],
    })


_OLD = """
import json, sys, time, numpy as np, pandas as pd
import surveyweights as sw
df = pd.read_pickle(sys.argv[1])
rep = int(sys.argv[2])
def med(f):
    t = []
    for _ in range(rep):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return float(np.median(t))
build = med(lambda: sw.Design(df, strata="stratum", fpc="N"))
d = sw.Design(df, strata="stratum", fpc="N")
est = med(lambda: sw.proportion(d, "y", by="dom"))
print(json.dumps({"build": build, "estimate": est}))
"""


def old_library(commit: str, tmp: Path):
    """A ``git archive`` of the library at ``commit`` (None when git cannot give it)."""
    dest = tmp / f"old-{commit}"
    if dest.exists():
        return dest
    try:
        arch = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src"], check=True,
                              capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch, check=True)
    return dest


def time_old(old: Path, df: pd.DataFrame, tmp: Path, repeat: int):
    path = tmp / "frame.pkl"
    df.to_pickle(path)
    env = dict(os.environ, PYTHONPATH=str(old / "src"))
    try:
        out = subprocess.run([sys.executable, "-c", _OLD, str(path), str(repeat)], env=env,
                             check=True, capture_output=True, text=True, timeout=3600).stdout
        return json.loads(out.strip().splitlines()[-1])
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError) as exc:
        print(f"  (old library not timed: {exc})", flush=True)
        return None
    finally:
        path.unlink(missing_ok=True)


def run_frame(n: int, domains: int, threads: list[int], repeat: int, old: Path | None,
              tmp: Path) -> list[dict]:
    rng = np.random.default_rng(2025)
    df = make_data(n, domains, rng)
    rows = []
    r = 1 if n >= 10**7 else repeat
    design = sw.Design(df, strata="stratum", fpc="N")
    h, n_h, f_h, w = design._h, design._n_h.astype(float), design._f_h, design._w
    y = df["y"].to_numpy(dtype=float)
    d = df["dom"].cat.codes.to_numpy().astype(np.int64)
    # the computations agree (a benchmark of a wrong answer is worthless)
    ours = sw.proportion(design, "y", by="dom").to_frame()
    p_b, se_b = baseline(h, d, domains, w, y, n_h, f_h)
    np.testing.assert_allclose(ours["estimate"], p_b, rtol=1e-9)
    np.testing.assert_allclose(ours["se"], se_b, rtol=1e-6)
    t_base = timed(lambda: baseline(h, d, domains, w, y, n_h, f_h), r)
    input_bytes = int(sum(df[c].cat.codes.to_numpy().nbytes if isinstance(df[c].dtype, pd.CategoricalDtype)
                          else df[c].to_numpy().nbytes for c in ("stratum", "dom", "y", "N")))

    def add(case: str, seconds: float, **extra):
        row = {"rows": n, "domains": domains, "case": case, "seconds": seconds,
               "baseline_seconds": t_base, "ratio": seconds / t_base, **extra}
        rows.append(row)
        print(f"{n:>12,} {domains:>5} {case:<16} {seconds * 1000:10.1f} ms  ratio {seconds / t_base:7.2f}"
              + "".join(f"  {k}={v}" for k, v in extra.items()), flush=True)

    add("numpy_bincount", t_base)
    add("memory_build", timed(lambda: sw.Design(df, strata="stratum", fpc="N"), r))
    add("memory", timed(lambda: sw.proportion(design, "y", by="dom"), r))
    peak = peak_bytes(lambda: sw.proportion(design, "y", by="dom"))
    rows[-1]["peak_bytes"] = peak
    rows[-1]["peak_over_input"] = peak / input_bytes
    print(f"{'':>12} peak {peak / 2**20:.1f} MiB = {peak / input_bytes:.2f} x input columns", flush=True)
    if domains <= 440:
        add("memory_chisq", timed(lambda: sw.chisq_test(design, "yc", "dom"), r))
    add("memory_mean", timed(lambda: sw.mean(design, "x", by="dom"), r))
    if old is not None and domains == 11:
        res = time_old(old, df, tmp, r)
        if res:
            add("baseline_lib_build", res["build"])
            add("baseline_lib", res["estimate"])
    for t in threads:
        eng = sw.engines.DuckDB(threads=t)
        dd = sw.Design(df, strata="stratum", fpc="N", engine=eng)
        got = sw.proportion(dd, "y", by="dom").to_frame()
        np.testing.assert_allclose(got["se"], ours["se"], rtol=1e-10)
        add(f"duckdb_build_t{t}", timed(lambda: sw.Design(df, strata="stratum", fpc="N", engine=eng), r))
        add(f"duckdb_t{t}", timed(lambda: sw.proportion(dd, "y", by="dom"), r))
    return rows


def write_parquet(folder: Path, n: int, per_file: int, select, memory_limit: str,
                  tmp: Path) -> tuple[float, int]:
    """DuckDB writes ``n`` rows to Parquet files of ``per_file`` rows in ``folder``
    (``select(start, stop)``: the SELECT of rows start..stop, from ``range() t(i)``),
    under ``memory_limit``, spilling to ``tmp / "spill"``.

    Returns the seconds taken and the bytes written."""
    import duckdb

    folder.mkdir(exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp / 'spill'}'")
    t0 = time.perf_counter()
    for k, start in enumerate(range(0, n, per_file)):
        stop = min(n, start + per_file)
        con.execute(f"COPY ({select(start, stop)}) TO '{folder / f'part{k:04d}.parquet'}' (FORMAT parquet)")
    seconds = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
    con.close()
    return seconds, size


def out_of_core(threads: int, memory_limit: str, tmp: Path):
    """The DuckDB engine that reads the files under ``memory_limit``, spilling to ``tmp``."""
    return sw.engines.DuckDB(threads=threads, memory_limit=memory_limit,
                             temp_directory=str(tmp / "spill"))


def run_parquet(n: int, threads: int, memory_limit: str, tmp: Path, repeat: int) -> list[dict]:
    """DuckDB over Parquet files it writes itself, under a memory limit (out of core)."""
    folder = tmp / "parquet"

    def select(start: int, stop: int) -> str:
        return f"""SELECT (hash(i) % 44)::SMALLINT AS stratum,
                          'd' || lpad(((hash(i * 7 + 1) % 11))::VARCHAR, 4, '0') AS dom,
                          (random() < 0.6)::TINYINT AS y,
                          exp(3 + random()) AS x,
                          CAST({n} AS DOUBLE) AS N
                   FROM range({start}, {stop}) t(i)"""

    write, size = write_parquet(folder, n, min(n, 10**7), select, memory_limit, tmp)
    eng = out_of_core(threads, memory_limit, tmp)
    t0 = time.perf_counter()
    d = sw.Design(str(folder / "*.parquet"), strata="stratum", fpc="N", engine=eng)
    build = time.perf_counter() - t0
    est = timed(lambda: sw.proportion(d, "y", by="dom"), max(1, min(repeat, 3 if n < 10**8 else 1)))
    shutil.rmtree(folder, ignore_errors=True)
    out = {"rows": n, "domains": 11, "case": f"parquet_t{threads}", "seconds": est, "build_seconds": build,
           "write_seconds": write, "parquet_bytes": size, "memory_limit": memory_limit}
    print(f"{n:>12,} parquet ({size / 2**30:.2f} GiB, limit {memory_limit}, {threads} threads): "
          f"build {build:.2f} s, estimate {est:.2f} s (written in {write:.1f} s)", flush=True)
    return [out]


def write(rows: list[dict], meta: dict, tag: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    stem = "scaling" + (f"_{tag}" if tag else "")
    (OUT / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
    lines = ["| rows | domains | case | seconds | ratio to numpy pass | notes |", "|---:|---:|---|---:|---:|---|"]
    for r in rows:
        notes = []
        if "peak_over_input" in r:
            notes.append(f"peak {r['peak_over_input']:.2f} x input columns")
        if "build_seconds" in r:
            notes.append(f"Design build {r['build_seconds']:.2f} s; {r['parquet_bytes'] / 2**30:.2f} GiB "
                         f"Parquet; memory limit {r['memory_limit']}")
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else ""
        lines.append(f"| {r['rows']:,} | {r['domains']:,} | {r['case']} | {r['seconds']:.4f} | {ratio} | "
                     f"{'; '.join(notes)} |")
    lines += ["", f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['memory_gib']} GiB; "
              f"Python {meta['python']}, numpy {meta['numpy']}, pandas {meta['pandas']}, "
              f"DuckDB {meta['duckdb']}. Command: `{meta['command']}`. Medians of repeated runs "
              f"(one run at 1e7 rows and more)."]
    (OUT / f"{stem}.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the sizes this 2-core machine allows")
    ap.add_argument("--rows", default="1e5,1e6,1e7", help="'' for none (e.g. only the Parquet run)")
    ap.add_argument("--domains", default="11,440,4400")
    ap.add_argument("--domain-rows", default="1e6", help="rows of the runs over domains")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--parquet-rows", default="1e8")
    ap.add_argument("--parquet-threads", type=int, default=None)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline-commit", default="4cf6dab",
                    help="the library before the engines, timed from a git archive ('' to skip)")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    if a.quick:
        a.rows, a.domains, a.domain_rows, a.threads = "1e5,1e6,1e7", "11,440,4400", "1e6", "1,2"
        a.parquet_rows, a.memory_limit, a.repeat = "2e7", "512MB", 3
    threads = [int(t) for t in a.threads.split(",")]
    meta = {**machine(), "command": shlex.join(["python", "benchmarks/bench_scaling.py", *sys.argv[1:]])}
    print(json.dumps(meta), flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        old = old_library(a.baseline_commit, tmp) if a.baseline_commit else None
        for n in [int(float(s)) for s in a.rows.split(",") if s]:
            rows += run_frame(n, 11, threads, a.repeat, old, tmp)
        for dom in [int(s) for s in a.domains.split(",") if s and int(s) != 11]:
            rows += run_frame(int(float(a.domain_rows)), dom, threads, a.repeat, None, tmp)
        if a.parquet_rows:
            rows += run_parquet(int(float(a.parquet_rows)), a.parquet_threads or max(threads),
                                a.memory_limit, tmp, a.repeat)
    write(rows, meta, a.tag)


if __name__ == "__main__":
    main()
