"""Is 52% vs 45% a difference? The Insight Benelux AI survey 2025.

Source: Insight Benelux AI-enquête 2025 (seed 000): 133 organisations, 64 from
Belgium and 69 from the Netherlands; "52% of Belgian organisations have a formal AI
strategy with pilots (Netherlands: 45%)".  The only counts that round to those
percentages are 33 of 64 (51.6%) and 31 of 69 (44.9%).

The survey is unweighted, so the design is a simple random sample per country
(no weights, no finite population correction: the population is all Benelux
organisations).  Run:  python examples/insight_strategy.py
"""

from __future__ import annotations

import pandas as pd
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

import surveyweights as sw


def insight_data() -> pd.DataFrame:
    rows = [("BE", True)] * 33 + [("BE", False)] * 31 + [("NL", True)] * 31 + [("NL", False)] * 38
    return pd.DataFrame(rows, columns=["country", "strategy"])


def main() -> None:
    data = insight_data()
    # each country sampled separately: country is the stratum
    design = sw.Design(data, strata="country")
    cols = ["country", "estimate", "ci_low", "ci_high", "df", "n", "method"]
    for method in ("wilson", "beta", "logit"):
        t = sw.proportion(design, "strategy", by="country", method=method).to_frame()
        print(t[cols].round(3).to_string(index=False))
    d = sw.difference(design, "strategy", by="country", between=("BE", "NL")).to_frame().iloc[0]
    print(f"\nBE - NL: {100 * d['estimate']:.1f} pp, 95% CI [{100 * d['ci_low']:.1f}, "
          f"{100 * d['ci_high']:.1f}] pp, t = {d['statistic']:.2f}, df = {d['df']:.0f}, "
          f"p = {d['p_value']:.2f}")
    test = sw.chisq_test(design, "strategy", "country")
    print(f"Rao-Scott test of independence: F = {test.statistic:.2f} on {test.ndf:.2f} and "
          f"{test.ddf:.0f} df, p = {test.p_value:.2f}")
    # how many organisations per country would make such a gap detectable?
    effect = proportion_effectsize(d["estimate_a"], d["estimate_b"])
    n_needed = NormalIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
    print(f"\nConclusion: the gap is well inside the sampling noise of two samples of 64 and "
          f"69. Detecting a true gap of this size with 80% power at the 5% level would take "
          f"about {n_needed:,.0f} organisations per country (statsmodels NormalIndPower).")


if __name__ == "__main__":
    main()
