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
from .. import _display
from ..report import ReportTable, report_table
from ..report.disclosure import DisclosureRules
from ..report.disclosure import rules as disclosure_rules
from ..report.formatting import LOCALES, format_count, format_number
from ..report.quality import QualityRules
from ..report.quality import rules as quality_rules
from ..screening import ScreeningResult, screen_responses
from .codes import APP_ITEMS, NONINDIVIDUAL, TECH_ITEMS
from .labels import CAPTIONS, published_labels, row_labels, table_caption
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
    "publication_tables",
    "publication_figures",
    "suppression_report",
    "imputation_effects",
    "explain_imputation_effects",
    "DEFAULT_QUALITY",
    "DEFAULT_DISCLOSURE",
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
#: The main job's reliability rules: Statistics Canada's CV thresholds (E above 16.5%,
#: F above 33.3%) and at least 10 respondents (:func:`surveyweights.quality.rules`).
DEFAULT_QUALITY: QualityRules = quality_rules("statcan")
#: The main job's disclosure rule: at least 10 responding enterprises per published
#: cell, with secondary suppression against the published overall figures.
DEFAULT_DISCLOSURE: DisclosureRules = disclosure_rules(min_units=10)
_SYNTHETIC_NOTE_NL = ("SYNTHETIC DATA: synthetische replica van de AI-Barometer 2025 "
                      "(surveyweights.replica); de schattingen zijn niet die van de enquête")


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

    def __repr__(self) -> str:
        """One line: the run's steps and settings."""
        s = self.settings
        return (f"BarometerRun (SYNTHETIC): {_display.number(self.screening.n_input)} responses, "
                f"{_display.number(len(self.design.data))} usable; Tabel 3-12 and "
                f"{len(self.headlines)} headline figures; method={s.get('method')!r}, "
                f"df={s.get('df')!r}, confidence level {s.get('confidence_level')}")

    def _repr_html_(self) -> str:
        return _display.html_block(repr(self), self.headlines.round(2))


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


def publication_tables(
    run: BarometerRun,
    *,
    locale: str = "nl",
    ci: bool = True,
    quality: QualityRules | None = DEFAULT_QUALITY,
    suppress: DisclosureRules | None = DEFAULT_DISCLOSURE,
) -> dict[int, ReportTable]:
    """Tabel 3-12 of a run as report tables, with the quality and disclosure rules applied.

    Every word (caption, headers, row labels, footnotes) is in ``locale``; every
    table is marked SYNTHETIC.  ``quality=None`` / ``suppress=None`` turn the rules off.
    """
    if locale not in CAPTIONS:
        raise InputError(f"locale={locale!r} is not a known locale; choose one of {list(CAPTIONS)}")
    tables: dict[int, ReportTable] = {}
    for k, (var, by, _sub, _caption) in TABLES.items():
        tables[k] = report_table(
            run.estimates[k], rows=by, columns="variable" if isinstance(var, tuple) else "level",
            row_labels=row_labels(by, locale=locale), column_labels=published_labels(k, locale=locale),
            locale=locale, ci=ci, caption=table_caption(k, locale=locale), n=_base_n(run, k),
            synthetic=True, quality=quality, suppress=suppress)
    return tables


def suppression_report(tables: dict[int, ReportTable]) -> pd.DataFrame:
    """One row per flagged or hidden cell of the tables: what the rules did and why.

    Columns ``table, row, column, status`` (``flag``, ``suppress`` for quality,
    ``confidential`` for disclosure control), ``symbol``, ``reason`` (the
    disclosure rule: ``min_units``, ``secondary``; empty for quality), ``estimate``
    (the unpublished value, for the record) and ``n``.
    """
    rows = []
    for k, t in tables.items():
        f = t.to_frame(published=False)
        f = f[f["status"].isin(["flag", "suppress", "confidential"])]
        reason = {}
        if t.suppression is not None:
            r = t.suppression.reason
            for (i, j), why in np.ndenumerate(r.to_numpy(dtype=object)):
                reason[(r.index[i], r.columns[j])] = why
        for x in f.itertuples(index=False):
            rows.append({"table": k, "row": x.row_label, "column": x.column_label,
                         "status": x.status, "symbol": x.symbol,
                         "reason": reason.get((x.row_label, x.column_label), ""),
                         "estimate": x.estimate, "n": x.n})
    return pd.DataFrame(rows, columns=["table", "row", "column", "status", "symbol", "reason",
                                       "estimate", "n"])


#: File names of the main job's output, per locale (one language at a time).
_FILE_NAMES = {
    "nl": {"table": "tabel", "technologies": "figuur_02_technologies",
           "applications": "figuur_10_applications", "sector": "tabel_03_adoption_by_sector"},
    "en": {"table": "table", "technologies": "figure_02_technologies",
           "applications": "figure_10_applications", "sector": "table_03_adoption_by_sector"},
}

def imputation_effects(run: BarometerRun, *, threshold: float = 0.5) -> pd.DataFrame:
    """Where this run's Tabel 3 differs from the report, and the imputed answers behind it.

    Tabel 3's ``plans`` and ``no_plans`` shares of a sector rest on the non-adopters'
    answer to the plans question; a missing answer is imputed by the hot deck, and
    each imputed answer moves its sector's shares by its weight over the sector's
    population (the weights sum to N of the sector).

    Returns
    -------
    pandas.DataFrame
        One row per Tabel 3 cell more than ``threshold`` percentage points from the
        published value: ``nace, level, estimate, published, difference`` (in
        percent), ``n`` (respondents of the sector), ``n_imputed`` (imputed plans
        answers in the sector), ``weights`` (their weights), ``population`` (N of
        the sector) and ``largest_shift`` (the largest weight / N, in percentage
        points).
    """
    est = run.estimates[3].to_frame()
    pub = barometer_2025_published()
    p3 = pub[pub["table"] == 3].set_index(["domain", "item"])["percent"]
    data = run.design.data
    w = run.design.weighting.weights.to_numpy()
    imputed = run.imputation.flags["plans"].to_numpy()
    rows = []
    for r in est.itertuples(index=False):
        published = p3.get((r.nace, r.level))
        if published is None:
            continue
        diff = 100 * r.estimate - published
        if abs(diff) <= threshold:
            continue
        sector = (data["nace"] == r.nace).to_numpy()
        wi = np.sort(w[sector & imputed])[::-1]
        pop = float(w[sector].sum())
        rows.append({"nace": r.nace, "level": r.level, "estimate": 100 * r.estimate,
                     "published": published, "difference": diff, "n": int(sector.sum()),
                     "n_imputed": len(wi), "weights": tuple(float(x) for x in wi),
                     "population": pop,
                     "largest_shift": 100 * float(wi[0]) / pop if len(wi) else 0.0})
    return pd.DataFrame(rows, columns=["nace", "level", "estimate", "published", "difference",
                                       "n", "n_imputed", "weights", "population",
                                       "largest_shift"])


_EFFECT_WORDS = {
    "nl": {"head": "Verschillen met het rapport (Tabel 3, meer dan 0,5 procentpunt):",
           "cell": "'{level}' {est} hier, {pub} gepubliceerd ({diff} procentpunt)",
           "line": "  NACE {nace}: {cells}. {k} van de {n} respondenten van de sector hadden geen "
                   "antwoord op de vraag naar plannen en kregen er een van de hot deck (gewichten "
                   "{weights}; de gewichten van de sector tellen op tot {pop}): elk geïmputeerd "
                   "antwoord verschuift de aandelen van de sector met zijn gewicht / {pop}, tot "
                   "{shift} procentpunt.",
           "none": "Geen cel van Tabel 3 wijkt meer dan 0,5 procentpunt af van het rapport."},
    "en": {"head": "Differences from the report (Table 3, more than 0.5 percentage points):",
           "cell": "'{level}' {est} here, {pub} published ({diff} percentage points)",
           "line": "  NACE {nace}: {cells}. {k} of the sector's {n} respondents had no answer to "
                   "the plans question and were given one by the hot deck (weights {weights}; the "
                   "sector's weights sum to {pop}): each imputed answer moves the sector's shares "
                   "by its weight / {pop}, up to {shift} percentage points.",
           "none": "No cell of Table 3 differs from the report by more than 0.5 percentage "
                   "points."},
}


def explain_imputation_effects(run: BarometerRun, *, locale: str = "nl") -> str:
    """:func:`imputation_effects` in words, one line per sector, in ``locale``."""
    if locale not in _EFFECT_WORDS:
        raise InputError(f"locale={locale!r} is not a known locale; choose one of {list(_EFFECT_WORDS)}")
    W = _EFFECT_WORDS[locale]
    eff = imputation_effects(run)
    if eff.empty:
        return W["none"]
    labels = published_labels(3, locale=locale)

    def num(x: float, d: int) -> str:
        return format_number(x, locale=locale, decimals=d)

    lines = [W["head"]]
    for nace, g in eff.groupby("nace", sort=False):
        r = g.iloc[0]
        cells = "; ".join(W["cell"].format(
            level=labels.get(c.level, c.level), est=num(c.estimate, 1) + "%",
            pub=num(c.published, 1) + "%",
            diff=("+" if c.difference > 0 else "") + num(c.difference, 1))
            for c in g.itertuples(index=False))
        lines.append(W["line"].format(
            nace=nace, cells=cells, k=r["n_imputed"], n=r["n"],
            weights=" / ".join(num(x, 2) for x in r["weights"]),
            pop=format_count(round(r["population"]), locale=locale), shift=num(r["largest_shift"], 1)))
    return "\n".join(lines)


_README = {
    "nl": ("AI-Barometer 2025: uitvoer van de pijplijn (surveyweights barometer)\n\n"
           "{note}.\n\n"
           "tables/       Tabel 3-12 zoals in het rapport, met 95%-betrouwbaarheidsintervallen,\n"
           "              betrouwbaarheidsmarkeringen en geheimhouding (zie de voetnoten)\n"
           "figures/      staafdiagrammen met betrouwbaarheidsintervallen (Figuur 2 en 10),\n"
           "              Tabel 3 als gestapelde staven\n"
           "diagnostics/  gewichten per stratum, uitgesloten antwoorden, imputatierapport,\n"
           "              kerncijfers naast de gepubliceerde, gemarkeerde en geheime cellen\n\n"
           "{effects}\n\n"
           "instellingen: {settings}\n"),
    "en": ("AI-Barometer 2025 pipeline output (surveyweights barometer)\n\n"
           "{note}.\n\n"
           "tables/       Tables 3-12 as in the report, with 95% confidence intervals,\n"
           "              reliability markers and disclosure control (see the footnotes)\n"
           "figures/      bar charts with confidence intervals (Figures 2 and 10), Table 3 as\n"
           "              stacked bars\n"
           "diagnostics/  weights per stratum, screening exclusions, imputation report,\n"
           "              headline figures next to the published ones, flagged and hidden cells\n\n"
           "{effects}\n\n"
           "settings: {settings}\n"),
}


def write_outputs(
    run: BarometerRun,
    out: str | Path,
    *,
    formats: Sequence[str] = ("csv", "md", "xlsx", "tex"),
    locale: str = "nl",
    figures: bool = True,
    ci: bool = True,
    quality: QualityRules | None = DEFAULT_QUALITY,
    suppress: DisclosureRules | None = DEFAULT_DISCLOSURE,
    tables: dict[int, ReportTable] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the run's tables, figures and diagnostics to ``out``; returns the files written.

    Every table and figure is labelled as made from SYNTHETIC data, and every word
    of them is in ``locale``.  The tables carry the reliability markers of
    ``quality`` and the disclosure control of ``suppress`` (defaults
    :data:`DEFAULT_QUALITY`, :data:`DEFAULT_DISCLOSURE`); ``diagnostics/suppression.csv``
    lists every flagged or hidden cell.  Pass ``tables`` from
    :func:`publication_tables` to reuse them.
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
    if tables is None:
        tables = publication_tables(run, locale=locale, ci=ci, quality=quality, suppress=suppress)
    names = _FILE_NAMES[locale]
    for k, table in tables.items():
        for f in formats:
            path = out / "tables" / f"{names['table']}_{k:02d}.{f}"
            path.parent.mkdir(exist_ok=True)
            getattr(table, writers[f])(path)
            written.append(path)
    diag = out / "diagnostics"
    diag.mkdir(exist_ok=True)
    heads = run.headlines.copy()
    if locale == "en":
        heads["figure"] = heads["figure"].str.replace("Figuur", "Figure").str.replace("Tabel", "Table")
    for name, frame in (
        ("weights.csv", run.design.weighting.weight_table()),
        ("screening_excluded.csv", run.screening.excluded.reset_index(names="row")),
        ("screening_summary.csv", run.screening.summary),
        ("imputation_report.csv", run.imputation.report),
        ("headlines.csv", heads),
        ("suppression.csv", suppression_report(tables)),
    ):
        frame.to_csv(diag / name, index=False)
        written.append(diag / name)
    if figures:
        for name, fig in publication_figures(run, locale=locale, quality=quality).items():
            for ext in ("png", "svg"):
                from ..report import plots

                path = out / "figures" / f"{names[name]}.{ext}"
                path.parent.mkdir(parents=True, exist_ok=True)
                plots.save_figure(fig, path)
                written.append(path)
    readme = out / "README.txt"
    note = SYNTHETIC_NOTE if locale == "en" else _SYNTHETIC_NOTE_NL
    readme.write_text(_README[locale].format(note=note, settings=run.settings,
                                             effects=explain_imputation_effects(run, locale=locale)),
                      encoding="utf-8")
    written.append(readme)
    return written


def _base_n(run: BarometerRun, table: int) -> int:
    sub = SUBSETS[TABLES[table][2]]
    data = run.design.data
    return int(len(data) if sub is None else parse(sub).mask(data).sum())


_FIGURE_TITLES = {
    "nl": {"tech": "Adoptiegraad type AI-technologieën (N={n})",
           "apps": "Toepassing AI-technologieën (N={n})",
           "sector": "Adoptiegraad per bedrijfssector (N={n})"},
    "en": {"tech": "Adoption rate of AI technology types (N={n})",
           "apps": "Application of AI technologies (N={n})",
           "sector": "Adoption rate by sector (N={n})"},
}


def publication_figures(run: BarometerRun, *, locale: str = "nl",
                        quality: QualityRules | None = DEFAULT_QUALITY) -> dict[str, Any]:
    """The main job's figures (Figuur 2 and 10 as bars with CIs, Tabel 3 as stacked bars).

    Keyed ``technologies``, ``applications``, ``sector``.  Every word is in
    ``locale``; flagged bars are hatched (``quality``).
    """
    from ..report import plots

    if locale not in _FIGURE_TITLES:
        raise InputError(f"locale={locale!r} is not a known locale; choose one of {list(_FIGURE_TITLES)}")
    d = run.design
    s = run.settings
    common = {"method": s["method"], "df": s["df"], "confidence_level": s["confidence_level"]}
    titles = _FIGURE_TITLES[locale]

    def n(k: int) -> str:
        return format_count(_base_n(run, k), locale=locale)

    return {
        "technologies": plots.bar_chart(
            proportion(d, list(TECH), **common), labels=published_labels(5, locale=locale),
            locale=locale, title=titles["tech"].format(n=n(3)), synthetic=True, quality=quality),
        "applications": plots.bar_chart(
            proportion(d, list(APPS), subset=SUBSETS["adopters"], **common),
            labels=published_labels(11, locale=locale), locale=locale,
            title=titles["apps"].format(n=n(11)), synthetic=True, quality=quality),
        "sector": plots.stacked_bar_chart(
            run.estimates[3], rows="nace", labels=published_labels(3, locale=locale),
            row_labels=row_labels("nace", locale=locale), locale=locale,
            title=titles["sector"].format(n=n(3)), synthetic=True, quality=quality),
    }
