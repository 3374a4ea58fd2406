"""The ``surveyweights`` command line.

``surveyweights barometer`` runs the main job on the bundled AI-Barometer 2025 data;
``surveyweights weights`` post-stratifies the user's own files.  Errors from the
library exit with status 2 and print the library's message, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from . import __version__
from .datasets import barometer_2025, barometer_2025_frame
from .errors import InputError, SurveyWeightsError
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
    strata = barometer_2025()
    frame = barometer_2025_frame()
    acc = response_accounting(frame)
    # one synthetic respondent row per usable response reproduces Tabel 2's n_h
    resp = strata.loc[strata.index.repeat(strata["responses"]), ["nace", "size"]]
    ps = poststratify(resp.reset_index(drop=True), frame, strata=["nace", "size"])
    table = ps.weight_table().rename(columns={"n": "responses"})
    print("AI-Barometer 2025 (Vlaamse overheid): post-stratification weights w_h = N_h / n_h")
    print("Source: Tabel 1 (population N_h) and Tabel 2 (usable responses n_h)\n")
    print(_fmt_table(table.drop(columns=["collapsed_into"]), {"weight": ".4f", "weight_sum": ".1f"}))
    s = ps.summary
    print(
        f"\nN = {int(s['N']):,}  n = {int(s['n']):,}  sum of weights = {s['weight_sum']:,.1f}"
        f"  Kish n_eff = {s['kish_n_eff']:.1f}  weight CV = {s['weight_cv']:.3f}"
        f"  Kish deff = {s['kish_deff']:.3f}"
    )
    print("\nResponse accounting")
    by_size = acc.by("size")
    print(_fmt_table(by_size, {"response_rate": ".1%", "sampling_fraction": ".1%",
                               "responding_fraction": ".1%"}))
    o = acc.overall
    print(
        f"overall: N = {int(o['N']):,}  sample = {int(o['sample']):,}  usable responses = "
        f"{int(o['responses']):,}  response rate = {o['response_rate']:.1%} (report: 30,3%)"
    )
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    strata = [s.strip() for s in args.strata.split(",") if s.strip()]
    frame = PopulationFrame.read_csv(args.population, strata=strata, count=args.count,
                                     thousands=args.thousands, sep=args.sep)
    try:
        data = pd.read_csv(args.responses, sep=args.sep, dtype={s: str for s in strata},
                           keep_default_na=True)
    except FileNotFoundError:
        raise InputError(f"responses file {args.responses!r} does not exist") from None
    ps = poststratify(data, frame, strata=strata)
    if "weight" in data.columns and not args.overwrite:
        raise InputError(
            f"{args.responses!r} already has a 'weight' column; pass --overwrite to replace it"
        )
    out = data.copy()
    out["weight"] = ps.weights
    out.to_csv(args.out, index=False, sep=args.sep)
    print(_fmt_table(ps.weight_table(), {"weight": ".4f", "weight_sum": ".1f"}))
    s = ps.summary
    print(
        f"\nwrote {len(out):,} rows with a 'weight' column to {args.out}; sum of weights = "
        f"{s['weight_sum']:,.1f} (N = {int(s['N']):,}), Kish n_eff = {s['kish_n_eff']:.1f}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="surveyweights",
        description="Design-based estimation for stratified surveys.",
    )
    p.add_argument("--version", action="version", version=f"surveyweights {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser(
        "barometer",
        help="run the main job on the bundled AI-Barometer 2025 data",
        description="Print the 44-stratum post-stratification weight table (w_h = N_h/n_h, "
                    "Tabel 1 and 2 of the AI-Barometer 2025) and the response accounting.",
    )
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
    w.add_argument("--overwrite", action="store_true", help="replace an existing 'weight' column")
    w.set_defaults(func=_cmd_weights)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``surveyweights`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SurveyWeightsError as exc:
        print(f"surveyweights: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
