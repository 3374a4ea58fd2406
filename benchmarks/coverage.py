"""Monte Carlo coverage of the 95% confidence intervals for proportions.

A fixed finite population shaped like the AI-Barometer 2025: the 44 strata of
Tabel 1 with their population sizes N_h, and a 0/1 item ("uses AI") whose
probability varies by sector and size class (logit-additive, with the sector
and size effects set from the published adoption rates of Tabel 3 and Tabel 4).
Each replicate draws a stratified simple random sample without replacement with
the Tabel 2 sample sizes n_h, weights N_h/n_h, and computes the 95% interval of
every method (R's svyciprop methods and Wilson) under both degrees-of-freedom
choices (R's design df, and Satterthwaite's effective df).

Reported: coverage of the true population proportion overall, for NACE 35-39
(40 respondents in four strata of 4, 4, 26 and 6), for NACE 55-56 (79
respondents, 3 in the large-firm stratum) and for the sector x size cell
NACE 35-39 x micro (n = 4), each with its Monte Carlo standard error
sqrt(c (1 - c) / R).

Run:   python benchmarks/coverage.py [--reps 2000] [--seed 2025] [--figure-only]
Writes docs/benchmarks/coverage.json, docs/benchmarks/coverage.md and
docs/img/coverage.png (the figure shown in docs/coverage.md).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import surveyweights as sw
from surveyweights.ci import CI_METHODS

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = {"overall": None, "NACE 35-39": ("nace", "35-39"), "NACE 55-56": ("nace", "55-56"),
           "NACE 35-39 x micro (n=4)": ("cell", ("35-39", "micro"))}


def population(rng: np.random.Generator) -> pd.DataFrame:
    """The finite population: one row per enterprise, strata of Tabel 1, y ~ Bernoulli(p_h)."""
    strata = sw.datasets.barometer_2025()
    pub = sw.datasets.barometer_2025_published()
    adopt = pub[(pub["table"].isin([3, 4])) & (pub["item"] == "adopter")]
    sector = adopt[adopt["by"] == "nace"].set_index("domain")["percent"] / 100
    size = adopt[adopt["by"] == "size"].set_index("domain")["percent"] / 100
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    overall = 0.588
    eta = (logit(overall) + (logit(sector[strata["nace"]]).to_numpy() - logit(overall))
           + (logit(size[strata["size"]]).to_numpy() - logit(overall)))
    p_h = 1 / (1 + np.exp(-eta))
    rows = np.repeat(np.arange(44), strata["N"].to_numpy())
    y = (rng.random(len(rows)) < p_h[rows]).astype(np.int8)
    return pd.DataFrame({"stratum": rows, "nace": strata["nace"].to_numpy()[rows],
                         "size": strata["size"].to_numpy()[rows], "y": y})


def truth(pop: pd.DataFrame) -> dict[str, float]:
    out = {"overall": pop["y"].mean()}
    for name, spec in DOMAINS.items():
        if spec is None:
            continue
        kind, key = spec
        sel = pop["nace"].eq(key) if kind == "nace" else pop["nace"].eq(key[0]) & pop["size"].eq(key[1])
        out[name] = pop.loc[sel, "y"].mean()
    return out


def draw_sample(pop: pd.DataFrame, groups: list[np.ndarray], n_h: np.ndarray,
                rng: np.random.Generator) -> pd.DataFrame:
    take = np.concatenate([rng.choice(g, size=n, replace=False) for g, n in zip(groups, n_h)])
    return pop.iloc[take]


def intervals(design: sw.Design, df: str) -> dict[str, dict[str, tuple[float, float]]]:
    """{domain: {method: (low, high)}} for every method, from one estimate per domain kind."""
    out: dict[str, dict[str, tuple[float, float]]] = {name: {} for name in DOMAINS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sw.SurveyWeightsWarning)
        base = {
            "overall": sw.proportion(design, "y", method="mean", df=df),
            "nace": sw.proportion(design, "y", by="nace", method="mean", df=df),
            "cell": sw.proportion(design, "y", by=["nace", "size"], method="mean", df=df),
        }
        for method in CI_METHODS:
            t = {k: v.confidence_interval(method=method) for k, v in base.items()}
            for name, spec in DOMAINS.items():
                if spec is None:
                    row = t["overall"].iloc[0]
                elif spec[0] == "nace":
                    row = t["nace"].set_index("nace").loc[spec[1]]
                else:
                    row = t["cell"].set_index(["nace", "size"]).loc[spec[1]]
                out[name][method] = (float(row["ci_low"]), float(row["ci_high"]))
    return out


def run(reps: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    pop = population(rng)
    true = truth(pop)
    strata = sw.datasets.barometer_2025()
    n_h = strata["responses"].to_numpy()
    groups = [np.flatnonzero(pop["stratum"].to_numpy() == h) for h in range(44)]
    frame = strata[["nace", "size", "N"]]
    hits = {(df, name, m): 0 for df in ("design", "satterthwaite") for name in DOMAINS for m in CI_METHODS}
    t0 = time.perf_counter()
    for r in range(reps):
        sample = draw_sample(pop, groups, n_h, rng)
        design = sw.Design.from_population(sample, frame, strata=["nace", "size"])
        for df in ("design", "satterthwaite"):
            ci = intervals(design, df)
            for name in DOMAINS:
                for m in CI_METHODS:
                    lo, hi = ci[name][m]
                    hits[(df, name, m)] += lo <= true[name] <= hi
        if (r + 1) % max(1, reps // 10) == 0:
            print(f"  {r + 1}/{reps} replicates, {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    for (df, name, m), h in hits.items():
        c = h / reps
        rows.append({"df": df, "domain": name, "method": m, "coverage": c,
                     "mc_se": float(np.sqrt(c * (1 - c) / reps))})
    return {"reps": reps, "seed": seed, "truth": true, "results": rows,
            "seconds": time.perf_counter() - t0}


def write(res: dict) -> None:
    out = ROOT / "docs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "coverage.json").write_text(json.dumps(res, indent=2) + "\n")
    t = pd.DataFrame(res["results"])
    lines = [f"Coverage of nominal 95% intervals, {res['reps']:,} stratified samples (seed {res['seed']}); "
             f"Monte Carlo SE in brackets.", ""]
    for df in ("design", "satterthwaite"):
        sub = t[t["df"] == df]
        lines.append(f"**df = \"{df}\"**")
        lines.append("")
        lines.append("| method | " + " | ".join(DOMAINS) + " |")
        lines.append("|---|" + "---:|" * len(DOMAINS))
        for m in CI_METHODS:
            cells = []
            for name in DOMAINS:
                r = sub[(sub["domain"] == name) & (sub["method"] == m)].iloc[0]
                cells.append(f"{100 * r['coverage']:.1f}% ({100 * r['mc_se']:.1f})")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        lines.append("")
    truth_txt = ", ".join(f"{k}: {v:.4f}" for k, v in res["truth"].items())
    lines.append(f"True population proportions: {truth_txt}.")
    (out / "coverage.md").write_text("\n".join(lines) + "\n")
    _figure(t, res["reps"])


def _figure(t: pd.DataFrame, reps: int) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), constrained_layout=True)
    axes = fig.subplots(1, len(DOMAINS), sharey=True)
    methods = list(CI_METHODS)
    y = np.arange(len(methods))
    for ax, name in zip(axes, DOMAINS):
        for off, (df, color) in zip((-0.18, 0.18), (("design", "#9aa5b1"), ("satterthwaite", "#1f6feb"))):
            sub = t[(t["domain"] == name) & (t["df"] == df)].set_index("method").loc[methods]
            ax.errorbar(100 * sub["coverage"], y + off, xerr=1.96 * 100 * sub["mc_se"], fmt="o",
                        color=color, label=f"df = {df}", capsize=2, markersize=4)
        ax.axvline(95, color="black", lw=0.8, ls="--")
        ax.set_title(name, fontsize=9)
        ax.set_xlim(78, 101.5)
        ax.set_xlabel("coverage (%)")
    axes[0].set_yticks(y, methods)
    axes[0].invert_yaxis()
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle(f"Coverage of 95% intervals, {reps:,} stratified samples (bars: 95% Monte Carlo interval)",
                 fontsize=10)
    img = ROOT / "docs" / "img"
    img.mkdir(parents=True, exist_ok=True)
    fig.savefig(img / "coverage.png", dpi=130)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--figure-only", action="store_true",
                    help="redraw docs/img/coverage.png from docs/benchmarks/coverage.json")
    a = ap.parse_args()
    if a.figure_only:
        res = json.loads((ROOT / "docs" / "benchmarks" / "coverage.json").read_text())
        _figure(pd.DataFrame(res["results"]), res["reps"])
        return
    res = run(a.reps, a.seed)
    write(res)
    t = pd.DataFrame(res["results"])
    print(t.pivot_table(index=["domain", "method"], columns="df", values="coverage").round(3).to_string())


if __name__ == "__main__":
    main()
