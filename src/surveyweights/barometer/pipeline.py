"""The AI-Barometer 2025 pipeline: screen -> impute -> weight -> estimate -> tables and figures.

This is the main job of the ``surveyweights barometer`` command and the
library's showcase.  It runs the report's method (section 3.3) on the bundled
**SYNTHETIC** replica of the survey (:mod:`surveyweights.barometer.replica`), so every
estimate it prints is synthetic; the published figures it compares them with are
the report's.  Each step is an ordinary library call; read :func:`run_barometer`
as a worked example.

* screening: :func:`surveyweights.screen_responses` with the report's three rules;
* imputation: :func:`surveyweights.hot_deck` within sector x size, falling back to
  size and then to everyone, with the questionnaire's skip logic;
* weighting: :meth:`surveyweights.Design.from_population`, weights N_h/n_h;
* estimation: the report's Tabel 3-12 and headline figures with confidence
  intervals (:func:`surveyweights.proportion`);
* output: report-style tables (:func:`surveyweights.report_table`) and figures
  (:mod:`surveyweights.report.plots`).

:func:`reproduce_headlines` recomputes the published headline figures from the
report's own tables with :func:`surveyweights.recombine` (no microdata needed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..design import Design
from ..errors import InputError
from ..estimation import Estimates, proportion
from ..estimation.recombine import recombine
from ..expressions import parse
from ..imputation import HotDeckResult, hot_deck
from ..report import ReportTable, report_table
from ..screening import ScreeningResult, screen_responses
from .codes import APP_ITEMS, NONINDIVIDUAL, TECH_ITEMS
from .labels import published_labels, row_labels
from .published import barometer_2025_headlines, barometer_2025_published
from .replica import barometer_2025_replica_raw, barometer_2025_replica_sample
from .strata import barometer_2025, barometer_2025_frame

__all__ = [
    "TECH",
    "APPS",
    "TABLES",
    "BarometerRun",
    "prepare",
    "impute",
    "run_barometer",
    "headline_comparison",
    "reproduce_headlines",
    "write_outputs",
]

TECH: tuple[str, ...] = TECH_ITEMS
APPS: tuple[str, ...] = APP_ITEMS
SUBSETS = {
    "all": None,
    "adopters": "adoption == 'adopter'",
    "adopters_nonindividual": "adoption == 'adopter' and initiative in ['teams', 'it', 'management']",
}
#: Published table -> (variable or variables, domain column, subpopulation, caption)
TABLES: dict[int, tuple[Any, str, str, str]] = {
    3: ("adoption", "nace", "all", "Adoptiegraad per bedrijfssector"),
    4: ("adoption", "size", "all", "Adoptiegraad per bedrijfsgrootte"),
    5: (TECH, "nace", "all", "Adoptiegraad type AI-technologieën per bedrijfssector"),
    6: (TECH, "size", "all", "Adoptiegraad type AI-technologieën per bedrijfsgrootte"),
    7: ("initiative", "nace", "adopters", "Adoptiemodel per bedrijfssector"),
    8: ("initiative", "size", "adopters", "Adoptiemodel per bedrijfsgrootte"),
    9: ("phase", "nace", "adopters_nonindividual", "Adoptiefase per bedrijfssector"),
    10: ("phase", "size", "adopters_nonindividual", "Adoptiefase per bedrijfsgrootte"),
    11: (APPS, "nace", "adopters", "Toepassing AI-technologieën per bedrijfssector"),
    12: (APPS, "size", "adopters", "Toepassing AI-technologieën per bedrijfsgrootte"),
}
SYNTHETIC_NOTE = ("SYNTHETIC replica of the AI-Barometer 2025 (surveyweights.replica); "
                  "estimates are not the survey's")


@dataclass(frozen=True)
class BarometerRun:
    """Everything one run of the pipeline produced (frozen).

    Attributes
    ----------
    screening : ScreeningResult
    imputation : HotDeckResult
    design : Design
    estimates : dict of int -> Estimates
        The estimates behind Tabel 3-12, keyed by table number.
    headlines : pandas.DataFrame
        Headline figures: published percentage next to the estimate and its CI.
    settings : dict
        The options of the run (seed, CI method, df, confidence level).
    timings : dict
        Seconds per step.
    """

    screening: ScreeningResult
    imputation: HotDeckResult
    design: Design
    estimates: dict[int, Estimates]
    headlines: pd.DataFrame
    settings: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def prepare(data: pd.DataFrame) -> pd.DataFrame:
    """Derived variables: adoption from the technologies and plans, and the headline items.

    * ``adoption``: ``adopter`` if any technology is used, otherwise ``plans`` or
      ``no_plans`` from the ``plans`` answer (missing if that is missing);
    * ``tech_generative``: natural language generation or media generation (Figuur 2's
      "generatieve AI");
    * ``n_technologies``: none / one / two / three / four_or_more (Figuur 1);
    * ``individual``: the initiative lies with individual employees (Figuur 4).
    """
    out = data.copy()
    tech = out[list(TECH)].astype("float64")
    n_tech = tech.sum(axis=1, min_count=len(TECH))
    adopter = n_tech > 0
    plans = out["plans"].astype("object") if "plans" in out else pd.Series(np.nan, index=out.index)
    adoption = np.where(adopter, "adopter",
                        np.where(plans.eq("yes"), "plans", np.where(plans.eq("no"), "no_plans", None)))
    out["adoption"] = pd.Categorical(adoption, categories=["adopter", "plans", "no_plans"])
    out["tech_generative"] = ((out["tech_nlg"] == 1) | (out["tech_media"] == 1)).astype("int64")
    labels = np.array(["none", "one", "two", "three", "four_or_more"], dtype=object)
    out["n_technologies"] = pd.Categorical(labels[np.minimum(n_tech.to_numpy(dtype=int), 4)],
                                           categories=list(labels))
    out["individual"] = out["initiative"].isin(["individual_shadow", "individual_approved"]).astype(bool)
    return out


def impute(kept: pd.DataFrame, *, rng: Any = 2025) -> HotDeckResult:
    """Random hot-deck imputation of the non-mandatory items, with the questionnaire's skip logic.

    Classes are sector x size, falling back to size and then to everyone.  The
    adoption plans are asked of non-adopters; initiative, budget and the
    applications of adopters; phase of adopters whose initiative lies with teams,
    IT or management.  Initiative and phase come from one donor together, and so
    do the ten application items.
    """
    adopter = kept[list(TECH)].astype("float64").sum(axis=1) > 0
    return hot_deck(
        kept,
        ["plans", "initiative", "phase", "budget", *APPS],
        by=["nace", "size"],
        fallback=[["size"], []],
        rng=rng,
        eligible={
            "plans": ~adopter,
            "initiative": adopter,
            "phase": lambda d: adopter & d["initiative"].isin(NONINDIVIDUAL),
            "budget": adopter,
            **{a: adopter for a in APPS},
        },
        blocks=[["initiative", "phase"], list(APPS)],
    )


_STEPS = ("screening", "hot-deck imputation", "post-stratification", "estimation", "tables and figures")


def _timed(timings: dict, name: str, progress: Callable[[str], None] | None, fn: Callable[[], Any]) -> Any:
    if progress:
        progress(f"[{_STEPS.index(name) + 1}/{len(_STEPS)}] {name}")
    t0 = time.perf_counter()
    out = fn()
    timings[name] = time.perf_counter() - t0
    return out


def run_barometer(
    *,
    raw: pd.DataFrame | None = None,
    sampled_ids: Sequence | None = None,
    rng: Any = 2025,
    method: str = "logit",
    df: str | float = "design",
    confidence_level: float = 0.95,
    progress: Callable[[str], None] | None = None,
) -> BarometerRun:
    """Run the whole pipeline on raw responses (default: the bundled SYNTHETIC replica).

    Parameters
    ----------
    raw : pandas.DataFrame, optional, keyword-only
        Raw responses with the replica's columns; default
        :func:`~surveyweights.datasets.barometer_2025_replica_raw`.
    sampled_ids : sequence, optional, keyword-only
        The sampled enterprise ids; default the replica's sample.
    rng : seed or Generator, default 2025, keyword-only
        For the hot-deck draws.
    method, df, confidence_level : keyword-only
        As in :func:`surveyweights.proportion`.
    progress : callable, optional, keyword-only
        Called with a short message before and after each step.

    Returns
    -------
    BarometerRun
    """
    timings: dict[str, float] = {}
    raw = barometer_2025_replica_raw() if raw is None else raw
    sampled_ids = barometer_2025_replica_sample()["id"] if sampled_ids is None else sampled_ids
    scr = _timed(timings, "screening", progress, lambda: screen_responses(
        raw, id="id", sampled_ids=sampled_ids, mandatory={"technologies": list(TECH)},
        duplicates="first"))
    kept = scr.kept.drop(columns=[c for c in ("received",) if c in scr.kept.columns])
    imp = _timed(timings, "hot-deck imputation", progress, lambda: impute(kept, rng=rng))
    data = prepare(imp.data)
    design = _timed(timings, "post-stratification", progress, lambda: Design.from_population(
        data, barometer_2025_frame(), strata=["nace", "size"]))

    def estimate_tables() -> dict[int, Estimates]:
        return {k: proportion(design, list(var) if isinstance(var, tuple) else var, by=by,
                              subset=SUBSETS[sub], method=method, df=df,
                              confidence_level=confidence_level)
                for k, (var, by, sub, _) in TABLES.items()}

    estimates = _timed(timings, "estimation", progress, estimate_tables)
    headlines = headline_comparison(design, method=method, df=df, confidence_level=confidence_level)
    return BarometerRun(scr, imp, design, estimates, headlines,
                        settings={"rng": rng, "method": method, "df": df,
                                  "confidence_level": confidence_level},
                        timings=timings)


# headline -> (our variable, level, subpopulation)
_HEADLINE_ITEMS: dict[tuple[str, str], tuple[str, Any, str]] = {
    ("adoption", "adopter"): ("adoption", "adopter", "all"),
    ("adoption", "plans"): ("adoption", "plans", "all"),
    ("adoption", "no_plans"): ("adoption", "no_plans", "all"),
    **{("n_technologies", k): ("n_technologies", k, "all")
       for k in ("one", "two", "three", "four_or_more")},
    **{("technology", t): (t, 1, "all") for t in (*TECH, "tech_generative")},
    ("initiative", "individual"): ("individual", True, "adopters"),
    **{("initiative", k): ("initiative", k, "adopters")
       for k in ("individual_shadow", "individual_approved", "teams", "it", "management")},
    **{("phase", k): ("phase", k, "adopters_nonindividual")
       for k in ("experiment", "integrate", "scale", "reduce")},
    **{("application", a): (a, 1, "adopters") for a in APPS},
}


def headline_comparison(design: Design, *, method: str = "logit", df: str | float = "design",
                        confidence_level: float = 0.95) -> pd.DataFrame:
    """The report's headline figures next to the design's estimates and CIs (in percent).

    One row per headline of :func:`~surveyweights.datasets.barometer_2025_headlines`
    that the data can estimate: ``figure, variable, item, published, estimate,
    ci_low, ci_high, difference, published_in_ci``.
    """
    heads = barometer_2025_headlines()
    rows = []
    for h in heads.itertuples():
        spec = _HEADLINE_ITEMS.get((h.variable, h.item))
        if spec is None:
            continue
        var, level, sub = spec
        t = proportion(design, var, level=level, subset=SUBSETS[sub], method=method, df=df,
                       confidence_level=confidence_level).to_frame().iloc[0]
        est, lo, hi = 100 * t["estimate"], 100 * t["ci_low"], 100 * t["ci_high"]
        rows.append({"figure": h.figure, "variable": h.variable, "item": h.item,
                     "published": h.percent, "estimate": est, "ci_low": lo, "ci_high": hi,
                     "difference": est - h.percent, "published_in_ci": lo <= h.percent <= hi})
    return pd.DataFrame(rows)


def _route_table(number: int) -> pd.DataFrame:
    t = barometer_2025_published()
    return t[t["table"] == number].pivot(index="domain", columns="item", values="percent")


def reproduce_headlines(route: str = "nace") -> pd.DataFrame:
    """Recompute the headline figures from the report's own tables and Tabel 1.

    Domain percentages of the sector tables (``route="nace"``: Tabel 3, 5, 7, 9, 11)
    or of the size tables (``"size"``: Tabel 4, 6, 8, 10, 12) are recombined with the
    domain populations of Tabel 1, and for subpopulations with the domains' shares of
    adopters (Tabel 3/4) and of non-individual initiatives (Tabel 7/8), propagating
    the ±0.05 pp rounding of every printed input (:func:`surveyweights.recombine`).

    Returns
    -------
    pandas.DataFrame
        ``figure, variable, item, published, estimate, low, high, consistent``: the
        recombined percentage, its rounding interval, and whether that interval
        overlaps the published value's own rounding interval.
    """
    if route not in ("nace", "size"):
        raise InputError(f"route={route!r} is not valid; use 'nace' (sector tables) or 'size'")
    first = 3 if route == "nace" else 4
    pop = barometer_2025().groupby(route, sort=False)["N"].sum()
    t_adopt = _route_table(first)
    t_init = _route_table(first + 4)
    adopt_share = t_adopt["adopter"]
    nonind_share = t_init[list(NONINDIVIDUAL)].sum(axis=1)
    heads = barometer_2025_headlines()
    plans = {  # variable -> (table offset, shares, share precision)
        "adoption": (0, None, None),
        "technology": (2, None, None),
        "initiative": (4, [adopt_share], [0.1]),
        "phase": (6, [adopt_share, nonind_share], [0.1, 0.3]),
        "application": (8, [adopt_share], [0.1]),
    }
    rows = []
    for var, (offset, shares, share_prec) in plans.items():
        table = _route_table(first + offset)
        wanted = heads[(heads["variable"] == var) & heads["item"].isin(table.columns)]
        if wanted.empty:
            continue
        kwargs: dict[str, Any] = {}
        if shares:
            kwargs = {"shares": shares, "share_precision": share_prec}
        res = recombine(table[list(wanted["item"])], pop.loc[table.index], precision=0.1,
                        published=wanted.set_index("item")["percent"], **kwargs).to_frame()
        res = res.merge(wanted[["figure", "item"]], on="item")
        res.insert(1, "variable", var)
        rows.append(res)
    out = pd.concat(rows, ignore_index=True)
    cols = ["figure", "variable", "item", "published", "estimate", "low", "high", "consistent"]
    return out[cols]


def write_outputs(
    run: BarometerRun,
    out: str | Path,
    *,
    formats: Sequence[str] = ("csv", "md", "xlsx", "tex"),
    locale: str = "nl",
    figures: bool = True,
    ci: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the run's tables, figures and diagnostics to ``out``; returns the files written.

    Every table and figure is labelled as made from SYNTHETIC data.
    """
    valid = ("csv", "md", "xlsx", "tex")
    bad = [f for f in formats if f not in valid]
    if bad:
        raise InputError(f"unknown table format(s) {bad}; choose from {list(valid)}")
    if progress:
        progress(f"[{len(_STEPS)}/{len(_STEPS)}] tables and figures -> {out}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    writers = {"csv": "to_csv", "md": "to_markdown", "xlsx": "to_excel", "tex": "to_latex"}
    tables: dict[int, ReportTable] = {}
    for k, (var, by, _sub, caption) in TABLES.items():
        tables[k] = report_table(
            run.estimates[k], rows=by, columns="variable" if isinstance(var, tuple) else "level",
            row_labels=row_labels(by, locale=locale), column_labels=published_labels(k),
            locale=locale, ci=ci,
            caption=f"Tabel {k}: {caption}", n=_base_n(run, k), synthetic=True)
        for f in formats:
            path = out / "tables" / f"tabel_{k:02d}.{f}"
            path.parent.mkdir(exist_ok=True)
            getattr(tables[k], writers[f])(path)
            written.append(path)
    diag = out / "diagnostics"
    diag.mkdir(exist_ok=True)
    for name, frame in (
        ("weights.csv", run.design.weighting.weight_table()),
        ("screening_excluded.csv", run.screening.excluded.reset_index(names="row")),
        ("screening_summary.csv", run.screening.summary),
        ("imputation_report.csv", run.imputation.report),
        ("headlines.csv", run.headlines),
    ):
        frame.to_csv(diag / name, index=False)
        written.append(diag / name)
    if figures:
        written += _figures(run, out / "figures", locale=locale)
    readme = out / "README.txt"
    readme.write_text(
        "AI-Barometer 2025 pipeline output (surveyweights barometer)\n\n"
        f"{SYNTHETIC_NOTE}.\n\n"
        "tables/       Tabel 3-12 as in the report, with 95% confidence intervals\n"
        "figures/      Figuur 2- and 10-style bar charts with CIs, Tabel 3 as stacked bars\n"
        "diagnostics/  weights per stratum, screening exclusions, imputation report,\n"
        "              headline figures next to the published ones\n\n"
        f"settings: {run.settings}\n", encoding="utf-8")
    written.append(readme)
    return written


def _base_n(run: BarometerRun, table: int) -> int:
    sub = SUBSETS[TABLES[table][2]]
    data = run.design.data
    return int(len(data) if sub is None else parse(sub).mask(data).sum())


def _figures(run: BarometerRun, out: Path, *, locale: str) -> list[Path]:
    from ..report import plots

    out.mkdir(parents=True, exist_ok=True)
    written = []
    d = run.design
    s = run.settings
    common = {"method": s["method"], "df": s["df"], "confidence_level": s["confidence_level"]}
    labels2 = {k: v for k, v in published_labels(5).items()}
    figs = {
        "figuur_02_technologies": plots.bar_chart(
            proportion(d, list(TECH), **common), labels=labels2, locale=locale,
            title="Adoptiegraad type AI-technologieën (N=2.915)", synthetic=True),
        "figuur_10_applications": plots.bar_chart(
            proportion(d, list(APPS), subset=SUBSETS["adopters"], **common),
            labels=published_labels(11), locale=locale,
            title=f"Toepassing AI-technologieën (N={_base_n(run, 11):,})".replace(",", "."),
            synthetic=True),
        "tabel_03_adoption_by_sector": plots.stacked_bar_chart(
            run.estimates[3], rows="nace", labels=published_labels(3),
            row_labels=row_labels("nace", locale=locale), locale=locale,
            title="Adoptiegraad per bedrijfssector (N=2.915)", synthetic=True),
    }
    for name, fig in figs.items():
        for ext in ("png", "svg"):
            path = out / f"{name}.{ext}"
            plots.save_figure(fig, path)
            written.append(path)
    return written
