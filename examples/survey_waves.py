"""Is the change between two survey waves significant?  Two SYNTHETIC barometer waves.

The AI-Barometer reports 32,1% of Flemish enterprises using AI in 2023 and 58,8% in
2025.  Users ask whether that change -- or a sector's change -- is significant.  With
the microdata of both waves, ``sw.stack`` puts the two independent samples in one
design, each keeping its own strata, and every estimator compares them with the
right standard error: for independent waves SE(change)^2 = SE_2023^2 + SE_2025^2.

THE DATA ARE SYNTHETIC.  The 2025 wave is the bundled synthetic replica of the
barometer; the "2023 wave" is made from it by redrawing, within each stratum, which
enterprises adopt AI, so that about 32% do (seed 2023).  Only the method is real:
the numbers are not the survey's.  Run:
    python examples/survey_waves.py
"""

from __future__ import annotations

import numpy as np

import surveyweights as sw
from surveyweights.barometer import prepare


def synthetic_waves() -> tuple[sw.Design, sw.Design]:
    frame = sw.datasets.barometer_2025_frame()
    wave25 = prepare(sw.datasets.barometer_2025_replica(complete=True))
    wave23 = wave25.copy()
    rng = np.random.default_rng(2023)
    adopter = (wave23["adoption"] == "adopter").to_numpy()
    # SYNTHETIC: each 2025 adopter is a 2023 non-adopter with probability 1 - 32.1/58.8
    drop = adopter & (rng.random(len(wave23)) < 1 - 0.321 / 0.588)
    wave23["adoption"] = wave23["adoption"].where(~drop, "plans")
    d23 = sw.Design.from_population(wave23, frame, strata=["nace", "size"])
    d25 = sw.Design.from_population(wave25, frame, strata=["nace", "size"])
    return d23, d25


def main() -> None:
    d23, d25 = synthetic_waves()
    both = sw.stack({"2023": d23, "2025": d25}, key="year")
    print(f"stacked design: {both.n} enterprises, {both.n_strata} strata (44 per wave), degf {both.degf}")

    share = sw.proportion(both, "adoption", level="adopter", by="year").to_frame()
    for row in share.itertuples():
        print(f"  {row.year}: {100 * row.estimate:.1f}% using AI (SE {100 * row.se:.2f} pp)")

    change = sw.difference(both, "adoption", level="adopter", by="year",
                           between=("2025", "2023")).to_frame().iloc[0]
    se23, se25 = share["se"]
    print(f"change 2023 -> 2025: +{100 * change['estimate']:.1f} pp, SE {100 * change['se']:.2f} pp "
          f"= sqrt({100 * se23:.2f}^2 + {100 * se25:.2f}^2), 95% CI "
          f"[{100 * change['ci_low']:.1f}, {100 * change['ci_high']:.1f}] pp, p = {change['p_value']:.1g}")
    assert np.isclose(change["se"] ** 2, se23 ** 2 + se25 ** 2)

    # one sector's change: domains are (year, sector) pairs
    ict = sw.difference(both, "adoption", level="adopter", by=["year", "nace"],
                        between=(("2025", "58-63"), ("2023", "58-63"))).to_frame().iloc[0]
    print(f"ICT sector (NACE 58-63): {100 * ict['estimate_b']:.1f}% -> {100 * ict['estimate_a']:.1f}%, "
          f"change +{100 * ict['estimate']:.1f} pp, SE {100 * ict['se']:.1f} pp, "
          f"df {ict['df']:.0f}, p = {ict['p_value']:.2g}")

    # the number of adopting enterprises (a contrast of totals) and the Rao-Scott test
    count = sw.difference(both, "adoption", level="adopter", by="year",
                          between=("2025", "2023"), kind="total").to_frame().iloc[0]
    print(f"adopting enterprises: +{count['estimate']:,.0f} (SE {count['se']:,.0f})")
    test = sw.chisq_test(both, "adoption", "year")
    print(f"adoption x year: Rao-Scott F = {test.statistic:.1f} on {test.ndf:.2f} and "
          f"{test.ddf:.0f} df, p = {test.p_value:.1g}")


if __name__ == "__main__":
    main()
