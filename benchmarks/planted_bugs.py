"""Plant the six formula bugs of issue 16, one at a time, and show that the tests catch each.

Issue 16 planted small bugs in the core formulas; six survived the whole test
suite.  This script plants each of them again, in every code path that computes
the same number (the unit path, the engines' cell path, the SQL path), and runs
the tests against the planted copy.  A planted bug is *caught* when at least one
test fails; the script names the failing tests.

How it works: the tracked and untracked (not ignored) files of this checkout are
copied to a temporary folder; one source file is edited there (each edit must
match its source text exactly once, so a refactoring that moves the code makes
the script fail loudly instead of planting nothing); pytest runs in that folder
with ``PYTHONPATH=<copy>/src`` so that the planted copy is the one imported (the
check is printed).  Nothing in this checkout is changed.

Run:   python benchmarks/planted_bugs.py            # the tests named in TESTS, -x per plant
       python benchmarks/planted_bugs.py --full     # the whole suite per plant (slow)
       python benchmarks/planted_bugs.py --only 3   # one plant
Writes docs/benchmarks/planted_bugs.json and docs/benchmarks/planted_bugs.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# the test files run against each plant (without --full); the unplanted copy must pass them
TESTS = [
    "tests/test_r_parity_gaps.py",
    "tests/test_variance_gaps.py",
    "tests/test_r_parity_comparison.py",
    "tests/test_hostile_input.py",
    "tests/test_engines.py",
]
# as the README runs the suite
DESELECT = "src/surveyweights/barometer/replica.py::surveyweights.barometer.replica.make_barometer_replica"


@dataclass(frozen=True)
class Plant:
    key: str
    bug: str          # the wording
    path: str         # the file edited
    old: str          # text that must occur exactly once
    new: str


TAYLOR = "src/surveyweights/variance/taylor.py"
COMPARISON = "src/surveyweights/estimation/comparison.py"
ESTIMATES = "src/surveyweights/estimation/estimates.py"
DOMAINS = "src/surveyweights/estimation/_domains.py"

PLANTS = [
    Plant("1a", "lonely-PSU `average` counts every stratum, not the strata in the domain (unit path)",
          TAYLOR,
          "present = cnt > 0  # strata present in each domain (H, G)",
          "present = np.ones_like(cnt, dtype=bool)"),
    Plant("1b", "lonely-PSU `average` counts every stratum, not the strata in the domain (cell path)",
          TAYLOR,
          "            n_present = present.sum(axis=0)\n"
          "            n_ok = (present & ~lonely[:, None]).sum(axis=0)\n"
          "            contrib[lonely] = 0.0\n"
          "            with np.errstate(invalid=\"ignore\", divide=\"ignore\"):\n"
          "                factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)\n"
          "            contrib = contrib * factor[None, :, None]\n"
          "    return DomainVariance(",
          "            present = np.ones_like(present)\n"
          "            n_present = present.sum(axis=0)\n"
          "            n_ok = (present & ~lonely[:, None]).sum(axis=0)\n"
          "            contrib[lonely] = 0.0\n"
          "            with np.errstate(invalid=\"ignore\", divide=\"ignore\"):\n"
          "                factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)\n"
          "            contrib = contrib * factor[None, :, None]\n"
          "    return DomainVariance("),
    Plant("2a", "lonely-PSU `adjust` term dropped from `stratified_covariance` (unit path)",
          TAYLOR,
          "            cov += (tot * fpc_factor[lonely][:, None]).T @ tot\n"
          "        elif option == \"average\":\n"
          "            present = cnt > 0\n",
          "            pass\n"
          "        elif option == \"average\":\n"
          "            present = cnt > 0\n"),
    Plant("2b", "lonely-PSU `adjust` term dropped from the covariance (cell path: `_lonely_covariance`, shared by `cell_covariance` and `cell_vcov`)",
          TAYLOR,
          "            cov += (tot * fpc_factor[lonely][:, None]).T @ tot\n"
          "        elif option == \"average\":\n"
          "            n_ok = int((present & ~lonely).sum())\n"
          "            cov = cov * ",
          "            pass\n"
          "        elif option == \"average\":\n"
          "            n_ok = int((present & ~lonely).sum())\n"
          "            cov = cov * "),
    Plant("3", "`n_eff = n * deff` instead of `n / deff`",
          ESTIMATES,
          "n_eff = n_g[:, None] / deff",
          "n_eff = n_g[:, None] * deff"),
    Plant("4a", "a missing value in a subset mask counted as selected (numeric mask: NaN)",
          DOMAINS,
          "return np.where(miss, False, v == 1)",
          "return np.where(miss, True, v == 1)"),
    Plant("4b", "a missing value in a subset mask counted as selected (nullable boolean mask: <NA>)",
          DOMAINS,
          "return values.to_numpy(dtype=bool, na_value=False)",
          "return values.to_numpy(dtype=bool, na_value=True)"),
    Plant("4c", "a missing value in a subset mask counted as selected (object mask: None)",
          DOMAINS,
          "return np.array([bool(x) and not m for x, m in zip(obj, miss)], dtype=bool)",
          "return np.array([bool(x) or m for x, m in zip(obj, miss)], dtype=bool)"),
    Plant("5a", "`difference()` uses the whole design's df, not the two domains' df (in memory)",
          COMPARISON,
          "design.variance.domain_df(design, np.where(\n"
          "        (dom.code == ia) | (dom.code == ib), 0, -1), 1)[0])",
          "design.variance.domain_df(design, np.zeros(len(dom.code), dtype=np.intp), 1)[0])"),
    Plant("5b", "`difference()` uses the whole design's df, not the two domains' df (SQL engines)",
          COMPARISON,
          "vm.cell_domain_df(design, cells, members=coef != 0)[0]",
          "vm.cell_domain_df(design, cells, members=np.ones(len(coef), dtype=bool))[0]"),
    Plant("6", "`difference()` returns a one-sided p-value (`_difference_table`, shared by every engine)",
          COMPARISON,
          "    pval = np.where(dfs > 0, 2 * stats.t.sf(np.abs(tstat), np.where(dfs > 0, dfs, 1.0)), np.nan)\n"
          "    pval = np.where((se == 0) & (diff == 0) & (dfs > 0), 1.0, pval)  # known exactly: no gap\n"
          "    label = f\"{show(between[0])} - {show(between[1])}\"\n"
          "    table = pd.DataFrame({\n"
          "        \"variable\": variable,\n"
          "        \"level\": pd.Series(list(levels)",
          "    pval = np.where(dfs > 0, stats.t.sf(np.abs(tstat), np.where(dfs > 0, dfs, 1.0)), np.nan)\n"
          "    pval = np.where((se == 0) & (diff == 0) & (dfs > 0), 1.0, pval)  # known exactly: no gap\n"
          "    label = f\"{show(between[0])} - {show(between[1])}\"\n"
          "    table = pd.DataFrame({\n"
          "        \"variable\": variable,\n"
          "        \"level\": pd.Series(list(levels)"),
]


def check_anchors(root: Path = ROOT) -> list[str]:
    """Problems with the plants' anchors in ``root`` (empty when every anchor occurs once)."""
    problems = []
    for p in PLANTS:
        count = (root / p.path).read_text(encoding="utf-8").count(p.old)
        if count != 1:
            problems.append(f"plant {p.key}: its source text occurs {count} times in {p.path}, not once")
    return problems


def copy_checkout(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)


def run_pytest(copy: Path, full: bool, workers: str) -> tuple[int, list[str], float, str]:
    env = dict(os.environ, PYTHONPATH=str(copy / "src"), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-rf",
           "-n", workers, "--deselect", DESELECT]
    cmd += [] if full else TESTS
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True)
    failed = re.findall(r"^FAILED (\S+)", out.stdout, flags=re.M)
    tail = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-300:]
    return out.returncode, failed, time.perf_counter() - t0, tail


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="run the whole suite per plant")
    ap.add_argument("--only", action="append", help="plant key(s) to run (default: all)")
    ap.add_argument("--workers", default="2", help="pytest-xdist workers (-n)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    problems = check_anchors()
    if problems:
        sys.exit("\n".join(problems))
    plants = [p for p in PLANTS if not args.only or p.key in args.only]
    results = []
    with tempfile.TemporaryDirectory(prefix="planted_") as tmp:
        copy = Path(tmp)
        copy_checkout(copy)
        imported = subprocess.run(
            [sys.executable, "-c", "import surveyweights; print(surveyweights.__file__)"],
            env=dict(os.environ, PYTHONPATH=str(copy / "src")), capture_output=True, text=True,
            cwd=copy).stdout.strip()
        if not imported.startswith(str(copy)):
            sys.exit(f"the copy is not the one imported: {imported}")
        rc, failed, secs, tail = run_pytest(copy, args.full, args.workers)
        print(f"control (nothing planted): exit {rc}, {secs:.0f} s: {tail}", flush=True)
        if rc != 0:
            sys.exit(f"the unplanted copy fails: {failed}")
        for p in plants:
            target = copy / p.path
            original = target.read_text(encoding="utf-8")
            target.write_text(original.replace(p.old, p.new), encoding="utf-8")
            try:
                rc, failed, secs, tail = run_pytest(copy, args.full, args.workers)
            finally:
                target.write_text(original, encoding="utf-8")
            # with -x under xdist pytest exits 2 (interrupted) after the first failure
            caught = rc in (1, 2) and bool(failed)
            print(f"plant {p.key}: {'CAUGHT' if caught else 'NOT CAUGHT'} (exit {rc}, {secs:.0f} s) "
                  f"by {failed[:3]}", flush=True)
            results.append({"plant": p.key, "bug": p.bug, "file": p.path, "caught": caught,
                            "exit": rc, "failed_tests": failed, "seconds": round(secs, 1)})
    out = ROOT / "docs" / "benchmarks"
    if args.only and (out / "planted_bugs.json").exists():  # rerun plants replace their rows
        before = json.loads((out / "planted_bugs.json").read_text(encoding="utf-8"))
        rerun = {r["plant"] for r in results}
        results = sorted([r for r in before["results"] if r["plant"] not in rerun] + results,
                         key=lambda r: [p.key for p in PLANTS].index(r["plant"]))
    res = {"tests": "whole suite" if args.full else TESTS, "stop": "-x (first failure)",
           "plants": len(results), "caught": sum(r["caught"] for r in results),
           "python": platform.python_version(), "results": results}
    print(f"{res['caught']} of {res['plants']} plants caught")
    if not args.no_write:
        (out / "planted_bugs.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        lines = ["| plant | bug | caught | first failing test(s) |", "|---|---|---|---|"]
        for r in results:
            names = ", ".join(f"`{t}`" for t in r["failed_tests"][:2]) or "none"
            lines.append(f"| {r['plant']} | {r['bug']} | {'yes' if r['caught'] else '**no**'} | {names} |")
        scope = "the whole suite" if args.full else "the test files " + ", ".join(f"`{t}`" for t in TESTS)
        lines += ["", f"{res['caught']} of {res['plants']} plants caught; tests run: {scope} "
                  f"(stopping at the first failure); Python {res['python']}."]
        (out / "planted_bugs.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if res["caught"] != res["plants"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
