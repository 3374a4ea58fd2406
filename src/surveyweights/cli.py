"""The ``surveyweights`` command line.

``surveyweights barometer`` runs the main job on the bundled AI-Barometer 2025 data;
``surveyweights weights`` post-stratifies the user's own files.  Errors from the
library exit with status 2 and print the library's message, without a traceback.
"""

from __future__ import annotations

import argparse
import os
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
from .estimation.ci import CI_METHODS
from .datasets import barometer_2025_frame
from .errors import InputError, SurveyWeightsError, SurveyWeightsWarning
from .frame import PopulationFrame, response_accounting
from .weighting import poststratify

__all__ = ["main"]


def _fmt_table(df: pd.DataFrame, floatfmt: dict[str, str]) -> str:
    shown = df.copy()
    for col, fmt in floatfmt.items():
        if col in shown:
            shown[col] = [format(v, fmt) for v in shown[col]]
    return shown.to_string(index=False)


def _cmd_barometer(args: argparse.Namespace) -> int:
    from . import barometer as bm

    say = (lambda msg: None) if args.quiet else (lambda msg: print(f"  {msg}", flush=True))
    print("AI-Barometer 2025 pipeline: screen -> impute -> weight -> estimate -> tables and figures")
    print(f"Data: {bm.SYNTHETIC_NOTE}.\n")
    df = args.df if args.df in ("design", "satterthwaite") else float(args.df)
    check_outputs([args.out], [], force=args.force, folder_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SurveyWeightsWarning)
        run = bm.run_barometer(rng=args.seed, method=args.method, df=df,
                               confidence_level=args.confidence_level, progress=say)
        files = _write_folder(args.out, lambda tmp: bm.write_outputs(
            run, tmp, formats=args.formats, locale=args.locale, figures=not args.no_figures,
            progress=say))
    s = run.screening.summary.set_index("rule")["n"]
    acc = response_accounting(barometer_2025_frame())
    print(f"\nScreening: {s['total']:,} responses received, {s['kept']:,} usable "
          f"({s['not_sampled']} other enterprise number, {s['duplicate']} duplicates, "
          f"{s['mandatory_missing']} without the mandatory technology question); "
          f"response rate {acc.overall['response_rate']:.1%} of {int(acc.overall['sample']):,} sampled")
    rep = run.imputation.report
    print("Hot-deck imputation (sector x size, fallback size, all): "
          + ", ".join(f"{r.item} {r.n_imputed}" for r in rep.itertuples()
                      if not r.item.startswith("app_"))
          + f", applications {int(rep.loc[rep['item'].str.startswith('app_'), 'n_imputed'].iloc[0])}"
          + " respondents (as a block)")
    w = run.design.weighting.summary
    print(f"Weights N_h/n_h: sum {w['weight_sum']:,.0f} = N, range {w['weight_min']:.2f}-"
          f"{w['weight_max']:.2f}, Kish n_eff {w['kish_n_eff']:,.0f}, deff {w['kish_deff']:.2f}")
    level = f"{run.settings['confidence_level']:.0%}"
    print(f"\nHeadline figures: published vs this run ({level} CI, method={args.method}, df={args.df})")
    h = run.headlines
    for r in h.itertuples():
        mark = "" if r.published_in_ci else "  (published value outside the CI)"
        print(f"  {r.figure:<10} {r.item:<22} {r.published:5.1f}%   {r.estimate:5.1f}% "
              f"[{r.ci_low:5.1f}, {r.ci_high:5.1f}]{mark}")
    inside = int(h["published_in_ci"].sum())
    print(f"  {inside} of {len(h)} published headline figures lie inside this run's {level} intervals.")
    print("\nRecomputed from the report's own tables (no microdata; +/-0.05 pp rounding propagated):")
    for route, name in (("nace", "sector tables"), ("size", "size tables")):
        rec = bm.reproduce_headlines(route)
        ad = rec[rec["item"] == "adopter"].iloc[0]
        print(f"  from the {name}: {int(rec['consistent'].sum())} of {len(rec)} headline figures "
              f"agree with the published value; adoption {ad['estimate']:.2f}% "
              f"[{ad['low']:.2f}, {ad['high']:.2f}] vs 58.8%")
    degenerate = [w for w in caught if "zero-width" in str(w.message)]
    if degenerate:
        print(f"\nNote: {len(degenerate)} table(s) contain estimates of exactly 0% or 100% (tiny "
              f"cells); method {args.method!r} gives them "
              + ("a one-sided Korn-Graubard interval." if args.method in ("beta", "wilson")
                 else "a zero-width interval: use --method beta for an honest one."))
    print(f"\nWrote {len(files)} files to {args.out}/ (tables/, figures/, diagnostics/); "
          f"every table and figure is labelled SYNTHETIC.")
    return 0


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


def _cmd_weights(args: argparse.Namespace) -> int:
    strata = [s.strip() for s in args.strata.split(",") if s.strip()]
    check_outputs([args.out], [("--population", args.population), ("--responses", args.responses)],
                  force=args.force)
    frame = PopulationFrame.read_csv(args.population, strata=strata, count=args.count,
                                     thousands=args.thousands, sep=args.sep, encoding=args.encoding)
    # every column as text: ids such as 007 and codes such as NA come back unchanged
    data = read_csv(args.responses, what="responses file", sep=args.sep, encoding=args.encoding)
    check_columns(data, strata, what="strata", table=f"responses file {str(args.responses)!r}")
    if "weight" in data.columns and not args.overwrite:
        raise InputError(
            f"{args.responses!r} already has a 'weight' column; pass --overwrite to replace it"
        )
    keys = data[strata].replace("", np.nan)  # an empty stratum cell is missing, not a code
    ps = poststratify(keys, frame, strata=strata)
    out = data.copy()
    out["weight"] = ps.weights.to_numpy()
    atomic_write(args.out, lambda tmp: out.to_csv(tmp, index=False, sep=args.sep,
                                                  encoding=args.encoding))
    print(_fmt_table(ps.weight_table(), {"weight": ".4f", "weight_sum": ".1f"}))
    s = ps.summary
    print(
        f"\nwrote {len(out):,} rows with a 'weight' column to {args.out}; sum of weights = "
        f"{s['weight_sum']:,.1f} (N = {int(s['N']):,}), Kish n_eff = {s['kish_n_eff']:.1f}"
    )
    return 0


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
                    "tables and figures. Prints the headline figures next to the published ones.",
    )
    b.add_argument("--out", default="barometer-output", metavar="DIR",
                   help="output folder (default: ./barometer-output)")
    b.add_argument("--seed", type=int, default=2025, help="seed of the hot-deck draws (default: 2025)")
    b.add_argument("--method", default="beta", choices=list(CI_METHODS),
                   help="confidence-interval method (default: beta, Korn-Graubard, which stays "
                        "honest for 0%% cells)")
    b.add_argument("--df", default="satterthwaite", metavar="{design,satterthwaite,NUMBER}",
                   type=_df_choice,
                   help="degrees of freedom (default: satterthwaite, for small sectors; "
                        "'design' is R's degf)")
    b.add_argument("--confidence-level", type=float, default=0.95, metavar="LEVEL",
                   help="confidence level (default: 0.95)")
    b.add_argument("--locale", default="nl", choices=["nl", "en"],
                   help="number format and labels of tables and figures (default: nl, 58,8%%)")
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
                    "with an added 'weight' column.",
    )
    w.add_argument("--population", required=True, metavar="POP.csv",
                   help="long population table: one row per stratum, the strata columns and a count column")
    w.add_argument("--responses", required=True, metavar="RESP.csv",
                   help="one row per usable response, with the strata columns")
    w.add_argument("--strata", required=True, metavar="COL[,COL...]",
                   help="comma-separated stratum columns, e.g. nace,size")
    w.add_argument("--count", default="N", metavar="COL", help="population count column (default: N)")
    w.add_argument("--out", required=True, metavar="OUT.csv", help="where to write the weighted responses")
    w.add_argument("--thousands", default=None, metavar="SEP",
                   help="thousands separator used in the population counts, e.g. '.' for Dutch tables")
    w.add_argument("--sep", default=",", metavar="SEP", help="CSV field separator (default: ,)")
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
        print(f"surveyweights: error: {_one_line(exc)}", file=sys.stderr)
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
