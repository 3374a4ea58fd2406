"""The ``surveyweights`` command line.

``surveyweights barometer`` runs the main job on the bundled AI-Barometer 2025 data;
``surveyweights weights`` post-stratifies the user's own files.  Errors from the
library exit with status 2 and print the library's message on one line, without a
traceback, phrased in the command line's terms (``--thousands .`` rather than the
Python argument ``thousands='.'``).  The command never destroys input: an output
that is an input is refused, an existing output needs ``--force``, files are
written atomically and every column is read as text (:mod:`surveyweights._files`).

Defaults.  ``barometer`` uses ``--method beta --df satterthwaite``, which differ
from the library's ``proportion(method="logit", df="design")``: the main job
prints small sectors and 0% cells, where the Korn-Graubard interval and
Satterthwaite's degrees of freedom keep their coverage (see the coverage
study).  The run prints these settings and the reason at the top.  ``--locale``
sets the language of every word the run prints and writes.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from ._files import atomic_write, check_outputs, read_csv
from ._strata import check_columns
from .datasets import barometer_2025_frame
from .errors import InputError, SurveyWeightsError, SurveyWeightsWarning
from .estimation.ci import CI_METHODS
from .frame import PopulationFrame, response_accounting
from .report.formatting import format_count, format_number, format_percent
from .weighting import poststratify

__all__ = ["main", "CLI_WORDS"]

#: Library defaults that the barometer command overrides (printed at the top of a run).
LIBRARY_DEFAULTS = {"method": "logit", "df": "design"}

#: Every sentence the barometer command prints, per locale (one language at a time).
CLI_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "AI-Barometer 2025-pijplijn: screenen -> imputeren -> wegen -> schatten -> "
                 "tabellen en figuren",
        "data": "Gegevens: SYNTHETIC DATA, een synthetische replica van de AI-Barometer 2025 "
                "(surveyweights.replica); de schattingen zijn niet die van de enquête.",
        "settings": "Instellingen: intervalmethode {method}, vrijheidsgraden {df}, "
                    "betrouwbaarheidsniveau {level}, seed {seed}, taal {locale}.",
        "defaults": "  Afwijkend van de bibliotheek ({lib}): {why}",
        "why": "kleine sectoren en cellen van 0% krijgen zo intervallen die hun "
               "betrouwbaarheid waarmaken (Korn-Graubard-interval, Satterthwaites "
               "vrijheidsgraden; zie de dekkingsstudie).",
        "steps": "screening|hot-deck-imputatie|poststratificatie|schatting|tabellen en figuren",
        "screening": "Screening: {total} antwoorden ontvangen, {kept} bruikbaar ({ns} ander "
                     "ondernemingsnummer, {dup} dubbels, {mm} zonder de verplichte vraag over "
                     "technologieën); respons {rate} van {sample} bedrijven in de steekproef",
        "imputation": "Hot-deck-imputatie (sector x grootte, terugval grootte, iedereen): {items}, "
                      "toepassingen {apps} respondenten (als blok)",
        "weights": "Gewichten N_h/n_h: som {sum} = N, bereik {min}-{max}, Kish n_eff {neff}, "
                   "deff {deff}",
        "headlines": "Kerncijfers: gepubliceerd tegenover deze run ({level}-interval, methode "
                     "{method}, vrijheidsgraden {df})",
        "outside": "  (gepubliceerde waarde buiten het interval)",
        "inside": "  {inside} van de {total} gepubliceerde kerncijfers liggen binnen de "
                  "{level}-intervallen van deze run.",
        "recomputed": "Herberekend uit de eigen tabellen van het rapport (zonder microdata; "
                      "afronding op 0,05 procentpunt doorgerekend):",
        "route_nace": "sectortabellen",
        "route_size": "groottetabellen",
        "route": "  uit de {name}: {ok} van de {total} kerncijfers stemmen overeen met de "
                 "gepubliceerde waarde; adoptie {est} [{lo}; {hi}] tegenover 58,8%",
        "quality": "Betrouwbaarheid en geheimhouding ({rules}): {flag} cellen gemarkeerd {E}, "
                   "{supp} onderdrukt als te onbetrouwbaar ({F}), {conf} geheimgehouden ({x}) in "
                   "Tabel 3-12; zie diagnostics/suppression.csv.",
        "quality_rules": "CV-drempels van Statistics Canada; minstens {k} bedrijven per cel",
        "degenerate": "Opmerking: {k} tabel(len) bevatten schattingen van precies 0% of 100% "
                      "(kleine cellen); methode {method} geeft die {what}",
        "degenerate_onesided": "een eenzijdig Korn-Graubard-interval.",
        "degenerate_zero": "een interval van breedte nul: gebruik --method beta voor een "
                           "eerlijk interval.",
        "wrote": "{n} bestanden geschreven naar {out}/ (tables/, figures/, diagnostics/); "
                 "elke tabel en figuur is gemarkeerd als SYNTHETIC.",
    },
    "en": {
        "title": "AI-Barometer 2025 pipeline: screen -> impute -> weight -> estimate -> tables "
                 "and figures",
        "data": "Data: SYNTHETIC replica of the AI-Barometer 2025 (surveyweights.replica); "
                "estimates are not the survey's.",
        "settings": "Settings: interval method {method}, degrees of freedom {df}, confidence "
                    "level {level}, seed {seed}, locale {locale}.",
        "defaults": "  Different from the library ({lib}): {why}",
        "why": "small sectors and 0% cells then get intervals that keep their coverage "
               "(Korn-Graubard interval, Satterthwaite's degrees of freedom; see the coverage "
               "study).",
        "steps": "screening|hot-deck imputation|post-stratification|estimation|tables and figures",
        "screening": "Screening: {total} responses received, {kept} usable ({ns} other "
                     "enterprise number, {dup} duplicates, {mm} without the mandatory technology "
                     "question); response rate {rate} of {sample} sampled",
        "imputation": "Hot-deck imputation (sector x size, fallback size, all): {items}, "
                      "applications {apps} respondents (as a block)",
        "weights": "Weights N_h/n_h: sum {sum} = N, range {min}-{max}, Kish n_eff {neff}, "
                   "deff {deff}",
        "headlines": "Headline figures: published vs this run ({level} CI, method {method}, "
                     "df {df})",
        "outside": "  (published value outside the CI)",
        "inside": "  {inside} of {total} published headline figures lie inside this run's "
                  "{level} intervals.",
        "recomputed": "Recomputed from the report's own tables (no microdata; +/-0.05 pp "
                      "rounding propagated):",
        "route_nace": "sector tables",
        "route_size": "size tables",
        "route": "  from the {name}: {ok} of {total} headline figures agree with the published "
                 "value; adoption {est} [{lo}, {hi}] vs 58.8%",
        "quality": "Reliability and disclosure control ({rules}): {flag} cells flagged {E}, "
                   "{supp} suppressed as too unreliable ({F}), {conf} confidential ({x}) in "
                   "Tables 3-12; see diagnostics/suppression.csv.",
        "quality_rules": "Statistics Canada's CV thresholds; at least {k} enterprises per cell",
        "degenerate": "Note: {k} table(s) contain estimates of exactly 0% or 100% (tiny "
                      "cells); method {method} gives them {what}",
        "degenerate_onesided": "a one-sided Korn-Graubard interval.",
        "degenerate_zero": "a zero-width interval: use --method beta for an honest one.",
        "wrote": "Wrote {n} files to {out}/ (tables/, figures/, diagnostics/); every table and "
                 "figure is labelled SYNTHETIC.",
    },
}


# --------------------------------------------------------------------------- errors


def cli_terms(message: str) -> str:
    """A library message with its Python arguments replaced by the command's options.

    >>> cli_terms("read it with thousands='.'")
    'read it with --thousands .'
    >>> cli_terms("e.g. collapse={('35-39', 'large'): ('35-39', 'medium')}")
    'e.g. --collapse 35-39,large=35-39,medium'
    >>> cli_terms("pass sep='|' (command line --responses-sep '|')")
    "pass --responses-sep '|'"
    """
    def key(text: str) -> str:
        parts = re.findall(r"'([^']*)'|\"([^\"]*)\"|([^,()\s]+)", text)
        return ",".join(a or b or c for a, b, c in parts)

    message = re.sub(r"thousands=(['\"])(.)\1", r"--thousands \2", message)
    message = re.sub(r"thousands=None", "no --thousands", message)
    message = message.replace("the thousands= argument", "the --thousands option")
    message = message.replace("thousands=", "--thousands ")
    message = re.sub(r"collapse=\{(\([^{}]*?\)|'[^']*'|\"[^\"]*\"):\s*(\([^{}]*?\)|'[^']*'|\"[^\"]*\")\}",
                     lambda m: f"--collapse {key(m.group(1))}={key(m.group(2))}", message)
    message = message.replace("collapse={source: target}",
                              "--collapse SOURCE=TARGET (the values of --strata, comma-separated)")
    # file-reading hints that name both spellings keep the option only
    message = re.sub(r"\(\w+=, command line:? ([^)]+)\)", r"(\1)", message)
    message = re.sub(r"\b\w+=('[^']*'|\"[^\"]*\") \(command line:? ([^)]+)\)", r"\2", message)
    message = re.sub(r"\bsep=('[^']*'|\"[^\"]*\")", r"field separator \1", message)
    message = re.sub(r"\bencoding=('[^']*'|\"[^\"]*\")", r"--encoding \1", message)
    message = re.sub(r"rename it, e\.g\. data\.rename\(columns=\{('[^']*'): ('[^']*')\}\)",
                     r"rename the column \1 (e.g. to \2) in both files and in --strata", message)
    return message


# --------------------------------------------------------------------------- barometer


def _cmd_barometer(args: argparse.Namespace) -> int:
    from . import barometer as bm

    locale = args.locale
    W = CLI_WORDS[locale]
    steps = dict(zip(bm.pipeline._STEPS, W["steps"].split("|")))

    def say(msg: str) -> None:
        if args.quiet:
            return
        for en, local in steps.items():
            msg = msg.replace(f"] {en}", f"] {local}")
        print(f"  {msg}", flush=True)

    def pct(x: float, d: int = 1) -> str:
        return format_percent(x / 100, locale=locale, decimals=d)

    def num(x: float, d: int) -> str:
        return format_number(x, locale=locale, decimals=d)

    level = format_percent(args.confidence_level, locale=locale,
                           decimals=0 if round(args.confidence_level * 100, 6).is_integer() else 1)
    print(W["title"])
    print(W["data"])
    print(W["settings"].format(method=args.method, df=args.df, level=level, seed=args.seed,
                               locale=locale))
    changed = [f"{k}={LIBRARY_DEFAULTS[k]}" for k, v in (("method", args.method), ("df", args.df))
               if v != LIBRARY_DEFAULTS[k]]
    if changed:
        print(W["defaults"].format(lib=", ".join(changed), why=W["why"]))
    print()
    df = args.df if args.df in ("design", "satterthwaite") else float(args.df)
    check_outputs([args.out], [], force=args.force, folder_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SurveyWeightsWarning)
        run = bm.run_barometer(rng=args.seed, method=args.method, df=df,
                               confidence_level=args.confidence_level, progress=say)
        tables = bm.publication_tables(run, locale=locale)
        files = _write_folder(args.out, lambda tmp: bm.write_outputs(
            run, tmp, formats=args.formats, locale=locale, figures=not args.no_figures,
            tables=tables, progress=say))
    s = run.screening.summary.set_index("rule")["n"]
    acc = response_accounting(barometer_2025_frame())
    print()
    print(W["screening"].format(
        total=format_count(int(s["total"]), locale=locale), kept=format_count(int(s["kept"]), locale=locale),
        ns=s["not_sampled"], dup=s["duplicate"], mm=s["mandatory_missing"],
        rate=format_percent(acc.overall["response_rate"], locale=locale),
        sample=format_count(int(acc.overall["sample"]), locale=locale)))
    rep = run.imputation.report
    items = ", ".join(f"{r.item} {r.n_imputed}" for r in rep.itertuples() if not r.item.startswith("app_"))
    apps = int(rep.loc[rep["item"].str.startswith("app_"), "n_imputed"].iloc[0])
    print(W["imputation"].format(items=items, apps=apps))
    w = run.design.weighting.summary
    print(W["weights"].format(sum=format_count(round(w["weight_sum"]), locale=locale),
                              min=num(w["weight_min"], 2), max=num(w["weight_max"], 2),
                              neff=format_count(round(w["kish_n_eff"]), locale=locale),
                              deff=num(w["kish_deff"], 2)))
    print()
    print(W["headlines"].format(level=level, method=args.method, df=args.df))
    h = run.headlines
    sep = "; " if locale == "nl" else ", "
    for r in h.itertuples():
        figure = (r.figure.replace("text", "tekst") if locale == "nl"
                  else r.figure.replace("Figuur", "Figure"))
        mark = "" if r.published_in_ci else W["outside"]
        print(f"  {figure:<10} {r.item:<22} {pct(r.published):>6}   {pct(r.estimate):>6} "
              f"[{num(r.ci_low, 1):>5}{sep}{num(r.ci_high, 1):>5}]{mark}")
    print(W["inside"].format(inside=int(h["published_in_ci"].sum()), total=len(h), level=level))
    print()
    print(W["recomputed"])
    for route in ("nace", "size"):
        rec = bm.reproduce_headlines(route)
        ad = rec[rec["item"] == "adopter"].iloc[0]
        line = W["route"].format(name=W[f"route_{route}"], ok=int(rec["consistent"].sum()),
                                 total=len(rec), est=pct(ad["estimate"], 2),
                                 lo=num(ad["low"], 2), hi=num(ad["high"], 2))
        print(line)
    print()
    print(bm.explain_imputation_effects(run, locale=locale))
    print()
    report = bm.suppression_report(tables)
    counts = report["status"].value_counts()
    q, d = bm.DEFAULT_QUALITY, bm.DEFAULT_DISCLOSURE
    print(W["quality"].format(
        rules=W["quality_rules"].format(k=d.min_units), flag=int(counts.get("flag", 0)),
        E=q.flag_marker, supp=int(counts.get("suppress", 0)), F=q.suppress_symbol,
        conf=int(counts.get("confidential", 0)), x=d.symbol))
    degenerate = [w for w in caught if "zero-width" in str(w.message)]
    if degenerate:
        what = W["degenerate_onesided"] if args.method in ("beta", "wilson") else W["degenerate_zero"]
        print()
        print(W["degenerate"].format(k=len(degenerate), method=args.method, what=what))
    print()
    print(W["wrote"].format(n=len(files), out=args.out))
    return 0


# --------------------------------------------------------------------------- weights


def _write_folder(out: str, write) -> list:
    """Let ``write(tmp)`` fill a temporary folder next to ``out``, then move each file in.

    Each file is renamed into place (atomic per file), so an interrupted run leaves
    either the old file or the complete new one.
    """
    target = Path(out)
    target.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.resolve().parent))
    try:
        written = write(tmp)
        moved = []
        for f in written:
            rel = Path(f).relative_to(tmp)
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
            moved.append(dest)
        return moved
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fmt_table(df: pd.DataFrame, floatfmt: dict[str, str]) -> str:
    shown = df.copy()
    for col, fmt in floatfmt.items():
        if col in shown:
            shown[col] = [format(v, fmt) for v in shown[col]]
    return shown.to_string(index=False)


def _detect_sep(path: str, given: str | None, what: str, option: str, encoding: str) -> str:
    """The field separator of a CSV file: the one given, or the one detected (reported).

    An unreadable file is left to :func:`surveyweights._files.read_csv`, whose error
    names the file and the fix.
    """
    if given is not None:
        return given
    try:
        with open(path, encoding=encoding, newline="") as fh:
            sample = "".join(fh.readline() for _ in range(20))
    except (OSError, UnicodeDecodeError, LookupError):
        return ","
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    shown = {"\t": "tab"}.get(sep, sep)
    print(f"{what} file {path}: field separator {shown!r} (detected; give {option} to override)")
    return sep


def _collapse(items: Sequence[str] | None, strata: list[str]) -> dict | None:
    """``--collapse SRC=DST`` options as the library's ``collapse={source: target}``."""
    if not items:
        return None
    out = {}
    for text in items:
        if text.count("=") != 1:
            raise InputError(
                f"--collapse {text!r} is not SOURCE=TARGET; give the stratum values in the "
                f"order of --strata ({','.join(strata)}), e.g. --collapse "
                f"{','.join(['a'] * len(strata))}={','.join(['b'] * len(strata))}"
            )
        src, dst = (tuple(v.strip() for v in part.split(",")) for part in text.split("="))
        for side, key in (("source", src), ("target", dst)):
            if len(key) != len(strata):
                raise InputError(
                    f"--collapse {text!r}: the {side} has {len(key)} value(s) but --strata has "
                    f"{len(strata)} column(s) ({','.join(strata)}); give one value per column, "
                    f"comma-separated"
                )
        out[src if len(strata) > 1 else src[0]] = dst if len(strata) > 1 else dst[0]
    return out


def _per_file(option: str, read):
    """Read one input file; a separator hint names that file's option (``--responses-sep``)."""
    try:
        return read()
    except InputError as exc:
        raise InputError(str(exc).replace("command line --sep", f"command line {option}")) from None


def _cmd_weights(args: argparse.Namespace) -> int:
    strata = [s.strip() for s in args.strata.split(",") if s.strip()]
    check_outputs([args.out], [("--population", args.population), ("--responses", args.responses)],
                  force=args.force)
    pop_sep = _detect_sep(args.population, args.population_sep or args.sep, "population",
                          "--population-sep", args.encoding)
    resp_sep = _detect_sep(args.responses, args.responses_sep or args.sep, "responses",
                           "--responses-sep", args.encoding)
    frame = _per_file("--population-sep", lambda: PopulationFrame.read_csv(
        args.population, strata=strata, count=args.count, thousands=args.thousands, sep=pop_sep,
        encoding=args.encoding))
    # every column as text: ids such as 007 and codes such as NA come back unchanged
    data = _per_file("--responses-sep", lambda: read_csv(
        args.responses, what="responses file", sep=resp_sep, encoding=args.encoding))
    missing = [s for s in strata if s not in data.columns]
    if missing and len(data.columns) == 1:
        raise InputError(
            f"the responses file {args.responses!r} has no column(s) {missing} of --strata; it "
            f"has one column {data.columns[0]!r}: is the field separator {resp_sep!r} right? "
            f"give --responses-sep"
        )
    check_columns(data, strata, what="strata", table=f"responses file {str(args.responses)!r}")
    if "weight" in data.columns and not args.overwrite:
        raise InputError(
            f"{args.responses!r} already has a 'weight' column; pass --overwrite to replace it"
        )
    keys = data[strata].replace("", np.nan)  # an empty stratum cell is missing, not a code
    ps = poststratify(keys, frame, strata=strata, collapse=_collapse(args.collapse, strata))
    out = data.copy()
    out["weight"] = ps.weights.to_numpy()
    atomic_write(args.out, lambda tmp: out.to_csv(tmp, index=False, sep=resp_sep,
                                                  encoding=args.encoding))
    print(_fmt_table(ps.weight_table(), {"weight": ".4f", "weight_sum": ".1f"}))
    s = ps.summary
    collapsed = (f"; {int(s['n_collapsed'])} stratum/strata collapsed (see collapsed_into)"
                 if int(s["n_collapsed"]) else "")
    print(
        f"\nwrote {len(out):,} rows with a 'weight' column to {args.out}; sum of weights = "
        f"{s['weight_sum']:,.1f} (N = {int(s['N']):,}), Kish n_eff = {s['kish_n_eff']:.1f}"
        f"{collapsed}"
    )
    return 0


# --------------------------------------------------------------------------- parser


def _df_choice(text: str) -> str:
    if text in ("design", "satterthwaite"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not 'design', 'satterthwaite' or a positive number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive")
    return text


def _one_char(text: str) -> str:
    """A separator option: exactly one character (``tab`` or ``\\t`` for a tab)."""
    if text in ("tab", "\\t"):
        return "\t"
    if len(text) != 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not one character; give a single character, e.g. ',' or ';' (or tab)")
    return text


def _formats(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in ("csv", "md", "xlsx", "tex")]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"unknown format(s) {bad}; choose from csv, md, xlsx, tex")
    return items


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit status 2, as every failure)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="surveyweights",
        description="Design-based estimation for stratified surveys.",
    )
    p.add_argument("--version", action="version", version=f"surveyweights {__version__}")
    p.add_argument("--traceback", action="store_true",
                   help="on an unexpected error, show the Python traceback (for bug reports)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "barometer",
        help="run the whole pipeline on the bundled AI-Barometer 2025 data",
        description="Run the AI-Barometer 2025 method on the bundled SYNTHETIC replica of the "
                    "survey: screen the 3,347 raw responses, hot-deck impute the missing "
                    "answers, post-stratify (w_h = N_h/n_h, Tabel 1 and 2), estimate Tabel 3-12 "
                    "and the headline figures with confidence intervals, and write report-style "
                    "tables and figures with reliability markers and disclosure control. Prints "
                    "the headline figures next to the published ones.",
    )
    b.add_argument("--out", default="barometer-output", metavar="DIR",
                   help="output folder (default: ./barometer-output)")
    b.add_argument("--seed", type=int, default=2025, help="seed of the hot-deck draws (default: 2025)")
    b.add_argument("--method", default="beta", choices=list(CI_METHODS),
                   help="confidence-interval method (default: beta, Korn-Graubard, which stays "
                        "honest for 0%% cells; the library's default is logit)")
    b.add_argument("--df", default="satterthwaite", metavar="{design,satterthwaite,NUMBER}",
                   type=_df_choice,
                   help="degrees of freedom (default: satterthwaite, for small sectors; the "
                        "library's default is 'design', R's degf)")
    b.add_argument("--confidence-level", type=float, default=0.95, metavar="LEVEL",
                   help="confidence level (default: 0.95)")
    b.add_argument("--locale", default="nl", choices=["nl", "en"],
                   help="language and number format of everything the run prints and writes "
                        "(default: nl, as the report: 58,8%%)")
    b.add_argument("--formats", default=["csv", "md", "xlsx", "tex"], type=_formats,
                   metavar="csv,md,xlsx,tex", help="table formats to write (default: all four)")
    b.add_argument("--no-figures", action="store_true", help="do not draw the figures")
    b.add_argument("--quiet", action="store_true", help="do not print progress")
    b.add_argument("--force", action="store_true",
                   help="write into an output folder that already holds files (replacing them)")
    b.set_defaults(func=_cmd_barometer)

    w = sub.add_parser(
        "weights",
        help="post-stratify your own responses against a population file",
        description="Compute w_h = N_h/n_h for each respondent and write the responses "
                    "with an added 'weight' column. The field separator of each file is "
                    "detected (and reported) unless given.",
    )
    w.add_argument("--population", required=True, metavar="POP.csv",
                   help="long population table: one row per stratum, the strata columns and a count column")
    w.add_argument("--responses", required=True, metavar="RESP.csv",
                   help="one row per usable response, with the strata columns")
    w.add_argument("--strata", required=True, metavar="COL[,COL...]",
                   help="comma-separated stratum columns, e.g. nace,size")
    w.add_argument("--count", default="N", metavar="COL", help="population count column (default: N)")
    w.add_argument("--out", required=True, metavar="OUT.csv",
                   help="where to write the weighted responses (with the responses' separator)")
    w.add_argument("--thousands", default=None, metavar="SEP", type=_one_char,
                   help="thousands separator used in the population counts, e.g. '.' for Dutch tables")
    w.add_argument("--sep", default=None, metavar="SEP", type=_one_char,
                   help="field separator of both files (default: detected per file)")
    w.add_argument("--population-sep", default=None, metavar="SEP", type=_one_char,
                   help="field separator of the population file (overrides --sep)")
    w.add_argument("--responses-sep", default=None, metavar="SEP", type=_one_char,
                   help="field separator of the responses file (overrides --sep)")
    w.add_argument("--collapse", action="append", metavar="SOURCE=TARGET",
                   help="merge an empty stratum into another: the stratum values in the order "
                        "of --strata, comma-separated, e.g. --collapse 35-39,large=35-39,medium "
                        "(repeat for several)")
    w.add_argument("--encoding", default="utf-8", metavar="ENC",
                   help="text encoding of the input and output files (default: utf-8; e.g. latin-1)")
    w.add_argument("--overwrite", action="store_true", help="replace an existing 'weight' column")
    w.add_argument("--force", action="store_true", help="overwrite an existing output file")
    w.set_defaults(func=_cmd_weights)
    return p


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``surveyweights`` command.

    Every failure is one line on stderr and exit status 2, without a traceback
    (``--traceback`` shows it for an unexpected error).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SurveyWeightsError as exc:
        print(f"surveyweights: error: {_one_line(cli_terms(str(exc)))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 0
    except OSError as exc:
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"surveyweights: error:{where} {_one_line(exc.strerror or exc)}; check the path "
              f"and its permissions", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("surveyweights: interrupted; no output file was half-written", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback
        if args.traceback:
            raise
        print(f"surveyweights: error: unexpected {type(exc).__name__}: {_one_line(exc)} "
              f"(rerun with --traceback and report it)", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
