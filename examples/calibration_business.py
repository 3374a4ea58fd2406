"""Calibration of business surveys: the AI-Barometer replica and an EU-style sample.

Everything here is SYNTHETIC: the barometer replica's respondents are generated
(see docs/replica.md), their employment is generated below, and so is the
EU-style sample.  The point is the workflow and the diagnostics, not the numbers.

1. The barometer replica, weighted N_h / n_h, is calibrated to the 44 stratum
   counts N_h (which it already meets) and to a sector-level employment total
   for ICT (NACE 58-63), with linear calibration (GREG).  Estimates and SEs
   before and after.
2. An EU-style sample (4 countries x 3 sizes x 4 sectors, stratified by country x
   size) is raked to the overlapping margins country x size and country x
   sector, with the diagnostics; then trimmed, keeping the margins.

Run:  python examples/calibration_business.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import surveyweights as sw

pd.set_option("display.width", 120)
rng = np.random.default_rng(20250611)

# --------------------------------------------------------------------------- 1. barometer
print("1. AI-Barometer 2025 replica (SYNTHETIC microdata)")
resp = sw.datasets.barometer_2025_replica()
strata = sw.datasets.barometer_2025()
d = sw.Design.from_population(resp, strata[["nace", "size", "N"]], strata=["nace", "size"])

# SYNTHETIC employment: log-uniform within the size class's employee range
lo = resp["size"].map({"micro": 5, "small": 10, "medium": 50, "large": 250}).astype(float)
hi = resp["size"].map({"micro": 9, "small": 49, "medium": 249, "large": 2000}).astype(float)
data = resp.assign(employment=np.round(np.exp(np.log(lo) + rng.random(len(resp)) * np.log(hi / lo))))
data["employment_ict"] = np.where(data["nace"] == "58-63", data["employment"], 0.0)
d = sw.Design.from_population(data, strata[["nace", "size", "N"]], strata=["nace", "size"])

before = sw.total(d, "employment_ict").to_frame().iloc[0]
# SYNTHETIC population total: 8% above the sample's estimate, as if a business register said so
ict_total = round(1.08 * before["estimate"])
margins = {("nace", "size"): {(r.nace, r.size): r.N for r in strata.itertuples()},
           "employment_ict": ict_total}
c = sw.calibrate(d, margins, method="linear")
print(f"   calibrated to {len(strata)} stratum counts N_h and the ICT employment total "
      f"{ict_total:,} (SYNTHETIC); converged in {c.calibration.iterations} iterations")
print(f"   g from {c.calibration.g_summary['min']:.3f} to {c.calibration.g_summary['max']:.3f}; "
      f"Kish deff {c.calibration.kish.loc['before', 'kish_deff']:.4f} -> "
      f"{c.calibration.kish.loc['after', 'kish_deff']:.4f}")
rows = []
for label, fn, var, kw in (
    ("ICT employment (total)", sw.total, "employment_ict", {}),
    ("employment (total)", sw.total, "employment", {}),
    ("AI adopters, all sectors (%)", sw.proportion, "adoption", {"level": "adopter"}),
    ("AI adopters, ICT 58-63 (%)", sw.proportion, "adoption",
     {"level": "adopter", "subset": (data["nace"] == "58-63").to_numpy()}),
):
    a = fn(d, var, na="available", **kw).to_frame().iloc[0]
    b = fn(c, var, na="available", **kw).to_frame().iloc[0]
    scale = 100 if fn is sw.proportion else 1
    rows.append({"estimate": label, "before": a["estimate"] * scale, "SE before": a["se"] * scale,
                 "after": b["estimate"] * scale, "SE after": b["se"] * scale})
print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:,.2f}"))

# --------------------------------------------------------------------------- 2. EU-style sample
print("\n2. EU-style business sample raked to country x size and country x sector (SYNTHETIC)")
countries, sizes, sectors = ["BE", "DE", "FR", "NL"], ["small", "medium", "large"], ["C", "G", "J", "M"]
cells = pd.MultiIndex.from_product([countries, sizes, sectors], names=["country", "size", "sector"])
pop = pd.DataFrame(index=cells).reset_index()
base = pop["size"].map({"small": 500, "medium": 110, "large": 28})
pop["N"] = rng.poisson(base * pop["country"].map({"BE": 0.6, "DE": 1.6, "FR": 1.3, "NL": 0.8})
                       * pop["sector"].map({"C": 0.8, "G": 1.4, "J": 0.6, "M": 1.0}))
rate = {"small": 0.04, "medium": 0.15, "large": 0.6}
units = pop.loc[pop.index.repeat(pop["N"]), ["country", "size", "sector"]].reset_index(drop=True)
units["ai"] = rng.random(len(units)) < 0.2 + 0.25 * (units["sector"] == "J") + 0.2 * (units["size"] == "large")
units["N_h"] = units.groupby(["country", "size"])["ai"].transform("size")
take = [rng.choice(idx, max(3, round(rate[key[1]] * len(idx))), replace=False)
        for key, idx in units.groupby(["country", "size"]).indices.items()]
sample = units.loc[np.sort(np.concatenate(take))].reset_index(drop=True)
eu = sw.Design(sample, strata=["country", "size"], fpc="N_h")
eu_margins = {("country", "size"): pop.groupby(["country", "size"])["N"].sum().to_dict(),
              ("country", "sector"): pop.groupby(["country", "sector"])["N"].sum().to_dict()}
r = sw.rake(eu, eu_margins)
cal = r.calibration
print(f"   {eu.n} sampled enterprises, {len(cal.report)} margin cells (overlapping: the country "
      f"totals appear in both margins); converged={cal.converged} in {cal.iterations} iterations, "
      f"largest |misfit| {cal.max_misfit:.1e}")
sector_cells = cal.report[cal.report["margin"] == ("country", "sector")]
print(sector_cells.head(5).to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
print("   g:", ", ".join(f"{k} {v:.3f}" for k, v in cal.g_summary[["min", "q05", "median", "q95", "max"]].items()))
print(cal.kish.round(3).to_string())
p0 = sw.proportion(eu, "ai", level=True, by="sector").to_frame()
p1 = sw.proportion(r, "ai", level=True, by="sector").to_frame()
p2 = sw.proportion(sw.rake(eu, eu_margins, variance="rake"), "ai", level=True, by="sector").to_frame()
tab = pd.DataFrame({"sector": p0["sector"], "before %": 100 * p0["estimate"], "SE before": 100 * p0["se"],
                    "raked %": 100 * p1["estimate"], "SE raked": 100 * p1["se"],
                    "SE (R rake() variance)": 100 * p2["se"]})
print(tab.to_string(index=False, float_format=lambda x: f"{x:.2f}"))

try:
    sw.trim_weights(r, upper=20.0)
except sw.errors.CalibrationError as err:
    print(f"   trim_weights(upper=20): {err}")
t = sw.trim_weights(r, upper=30.0)
print(f"   trim_weights(upper=30): largest weight {r.weights.max():.2f} -> {t.weights.max():.2f}, "
      f"margins kept (largest |misfit| {t.calibration.max_misfit:.1e}); history: "
      f"{[type(h).__name__ for h in t.history]}")
