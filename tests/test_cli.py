"""The surveyweights command line: main job, user files, errors without traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from surveyweights.cli import CLI_WORDS, cli_terms, main


#: Dutch words that must not appear in English output (whole words, any case): the
#: report's table and figure words, its sector and size labels, the quality and
#: disclosure footnotes, and the command's own Dutch sentences.
DUTCH_WORDS = (
    "tabel", "figuur", "adoptiegraad", "bedrijfssector", "bedrijfsgrootte", "aandeel", "totaal",
    "werknemers", "synthetische", "gegevens", "geen", "wel", "plannen", "minstens", "één",
    "foutbalken", "betrouwbaarheidsinterval", "toepassing", "adoptiemodel", "adoptiefase",
    "technologieën", "voorzichtigheid", "onbetrouwbaar", "geheimgehouden", "respondenten",
    "eenheden", "variatiecoëfficiënt", "procentpunt", "maakindustrie", "nutssector",
    "bouwnijverheid", "groothandel", "vervoer", "opslag", "informatie", "financiële",
    "gezondheidszorg", "van", "het", "met", "zonder", "voor", "bestanden", "gewichten",
    "kerncijfers", "antwoorden", "klein", "middelgroot", "groot", "standaardfout", "tekst",
    "uitvoer", "instellingen", "respons", "steekproef", "onderdrukt", "gemarkeerd", "cellen",
    "tabellen", "figuren", "betrouwbaarheid", "geheimhouding", "afronding", "schatting",
)
_DUTCH = re.compile(r"\b(" + "|".join(DUTCH_WORDS) + r")\b", re.IGNORECASE)


def _all_text(folder: Path) -> dict[str, str]:
    """Every word the run wrote: text files, Excel cells, and the text of the SVG figures."""
    out = {}
    for f in sorted(folder.rglob("*")):
        if f.suffix in (".csv", ".md", ".tex", ".txt"):
            out[str(f.relative_to(folder))] = f.read_text(encoding="utf-8")
        elif f.suffix == ".xlsx":
            wb = openpyxl.load_workbook(f)
            out[str(f.relative_to(folder))] = "\n".join(
                str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
        elif f.suffix == ".svg":  # matplotlib keeps each text as a comment next to its glyphs
            out[str(f.relative_to(folder))] = "\n".join(
                re.findall(r"<!-- (.*?) -->", f.read_text(encoding="utf-8")))
    return out


def test_dutch_word_list_finds_dutch():
    """The check can fail: the Dutch output and footnotes are caught by the word list."""
    from surveyweights.report.formatting import LOCALES

    assert _DUTCH.search(LOCALES["nl"].word("flag_note", marker="E", reasons="x"))
    assert _DUTCH.search(CLI_WORDS["nl"]["screening"])
    assert not _DUTCH.search(" ".join(LOCALES["en"].words.values()))
    assert not _DUTCH.search(" ".join(CLI_WORDS["en"].values()))


def test_cli_words_have_the_same_keys_and_fields_in_each_locale():
    fields = {loc: {k: sorted(re.findall(r"\{(\w+)\}", v)) for k, v in w.items()}
              for loc, w in CLI_WORDS.items()}
    assert fields["nl"] == fields["en"]


def test_barometer_main_job_in_english_has_no_dutch_words(tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["barometer", "--out", str(out_dir), "--locale", "en", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert "method=logit, df=design" in out  # the library defaults it overrides, with the reason
    assert "3,347 responses received, 2,915 usable" in out
    assert "response rate 30.3% of 9,610 sampled" in out
    assert "sum 37,839 = N" in out
    assert "36 of 36 published headline figures lie inside" in out
    assert "adoption 58.77% [58.72, 58.82] vs 58.8%" in out
    assert re.search(r"\d+ cells flagged E, \d+ suppressed as too unreliable \(F\), 0 confidential", out)
    texts = _all_text(out_dir)
    assert {"tables/table_03.md", "tables/table_03.xlsx", "figures/figure_02_technologies.svg",
            "diagnostics/suppression.csv", "README.txt"} <= set(texts)
    assert "Table 3: Adoption rate by sector" in texts["tables/table_03.md"]
    assert "Share" in texts["figures/figure_02_technologies.svg"]
    hits = {name: sorted({m.group(0) for m in _DUTCH.finditer(text)})
            for name, text in {"stdout": out, **texts}.items()}
    assert {k: v for k, v in hits.items() if v} == {}
    weights = pd.read_csv(out_dir / "diagnostics" / "weights.csv", dtype={"nace": str})
    row = weights[(weights["nace"] == "10-33") & (weights["size"] == "micro")].iloc[0]
    assert row["weight"] == pytest.approx(1504 / 59)


def test_barometer_help_documents_options(capsys):
    with pytest.raises(SystemExit):
        main(["barometer", "--help"])
    out = capsys.readouterr().out
    for opt in ("--out", "--seed", "--method", "--df", "--confidence-level", "--locale",
                "--formats", "--no-figures", "SYNTHETIC"):
        assert opt in out


def test_barometer_rejects_bad_options(capsys):
    with pytest.raises(SystemExit):
        main(["barometer", "--df", "-2"])
    assert "is not positive" in capsys.readouterr().err


def test_weights_command_writes_weight_column(tmp_path, capsys):
    pop = tmp_path / "pop.csv"
    pop.write_text("sector,size,N\nA,s,1.000\nA,l,10\nB,s,500\n", encoding="utf-8")
    resp = tmp_path / "resp.csv"
    pd.DataFrame({"id": [1, 2, 3, 4], "sector": ["A", "A", "A", "B"],
                  "size": ["s", "s", "l", "s"]}).to_csv(resp, index=False)
    out = tmp_path / "out.csv"
    rc = main(["weights", "--population", str(pop), "--responses", str(resp), "--strata",
               "sector,size", "--thousands", ".", "--out", str(out)])
    assert rc == 0
    got = pd.read_csv(out)
    assert got["weight"].tolist() == [500.0, 500.0, 10.0, 500.0]
    assert "sum of weights = 1,510.0" in capsys.readouterr().out


def test_weights_command_error_exits_nonzero_with_message(tmp_path, capsys):
    pop = tmp_path / "pop.csv"
    pop.write_text("sector,N\nA,1.000\n", encoding="utf-8")
    resp = tmp_path / "resp.csv"
    resp.write_text("sector\nA\n", encoding="utf-8")
    rc = main(["weights", "--population", str(pop), "--responses", str(resp), "--strata",
               "sector", "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("surveyweights: error: count '1.000'")
    # phrased in the command's terms, not the Python argument thousands='.'
    assert "read it with --thousands ." in err and "thousands=" not in err
    assert "Traceback" not in err


def test_cli_terms_rewrites_python_arguments():
    assert cli_terms("correct the value or the thousands= argument") == \
        "correct the value or the --thousands option"
    assert cli_terms("Merge each into a neighbouring stratum with collapse={source: target}, e.g. "
                     "collapse={('A', 'l'): ('A', 's')}") == (
        "Merge each into a neighbouring stratum with --collapse SOURCE=TARGET (the values of "
        "--strata, comma-separated), e.g. --collapse A,l=A,s")
    assert cli_terms("e.g. collapse={'l': 's'}") == "e.g. --collapse l=s"


def _files(tmp_path, pop_text, resp_text):
    pop, resp = tmp_path / "pop.csv", tmp_path / "resp.csv"
    pop.write_text(pop_text, encoding="utf-8")
    resp.write_text(resp_text, encoding="utf-8")
    return str(pop), str(resp)


def test_weights_separator_per_file_and_detected(tmp_path, capsys):
    pop, resp = _files(tmp_path, "sector;size;N\nA;s;1.000\nA;l;10\nB;s;500\n",
                       "id,sector,size\n1,A,s\n2,A,s\n3,A,l\n4,B,s\n")
    out = tmp_path / "out.csv"
    rc = main(["weights", "--population", pop, "--responses", resp, "--strata", "sector,size",
               "--thousands", ".", "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert f"population file {pop}: field separator ';' (detected; give --population-sep" in printed
    assert f"responses file {resp}: field separator ',' (detected; give --responses-sep" in printed
    assert pd.read_csv(out)["weight"].tolist() == [500.0, 500.0, 10.0, 500.0]
    # given per file: nothing is detected or reported
    rc = main(["weights", "--population", pop, "--responses", resp, "--strata", "sector,size",
               "--thousands", ".", "--population-sep", ";", "--responses-sep", ",", "--out",
               str(tmp_path / "out2.csv")])
    assert rc == 0 and "detected" not in capsys.readouterr().out


def test_weights_wrong_separator_is_explained(tmp_path, capsys):
    pop, resp = _files(tmp_path, "sector,N\nA,10\n", "id|sector\n1|A\n")
    rc = main(["weights", "--population", pop, "--responses", resp, "--strata", "sector",
               "--responses-sep", ";", "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    assert "separated by '|': pass --responses-sep '|'\n" in capsys.readouterr().err


#: A Python argument in a message (sep=',', encoding='x', data.rename(...)): never on the CLI.
_PYTHON_ARGUMENT = re.compile(r"\b[a-z_]+=['\"{(\[]|\b[a-z_]+=,|\bdata\.\w+\(")


@pytest.mark.parametrize("case, extra, match", [
    ("encoding", ["--encoding", "bogus"], r"--encoding 'bogus' is not a known text encoding"),
    ("sep", ["--sep", "::"], r"argument --sep: '::' is not one character; give a single "
                              r"character, e.g. ',' or ';' \(or tab\)"),
    ("thousands", ["--thousands", "xx"], r"argument --thousands: 'xx' is not one character"),
    ("quoting", [], r"cannot be read as CSV with field separator ',' \(.*\); check the separator "
                    r"\(--responses-sep\) and the quoting"),
    ("clash", ["--strata", "n"], r"strata column 'n' has the name of a column of the weighting "
                                 r"diagnostics .*; rename the column 'n' \(e\.g\. to 'n_'\) in "
                                 r"both files and in --strata"),
])
def test_every_error_is_phrased_in_the_command_line_terms(tmp_path, capsys, case, extra, match):
    pop, resp = _files(tmp_path, "sector,n,N\nA,A,10\n", "id,sector,n\n1,A,A\n")
    if case == "quoting":
        Path(resp).write_text('id,sector,n\n1,"A,A\n', encoding="utf-8")
    args = ["weights", "--population", pop, "--responses", resp, "--strata", "sector",
            "--out", str(tmp_path / "o.csv"), *extra]
    try:
        rc = main(args)
    except SystemExit as exc:  # argparse rejects the option itself
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert re.search(match, err), err
    assert not _PYTHON_ARGUMENT.search(err), err
    assert _PYTHON_ARGUMENT.search("pass sep=';'") and _PYTHON_ARGUMENT.search("data.rename(")


def test_separator_options_take_tab():
    from surveyweights.cli import build_parser

    args = build_parser().parse_args(["weights", "--population", "p", "--responses", "r",
                                      "--strata", "s", "--out", "o", "--sep", "tab",
                                      "--responses-sep", "\\t", "--thousands", "."])
    assert (args.sep, args.responses_sep, args.thousands) == ("\t", "\t", ".")


def test_weights_collapse_an_empty_stratum(tmp_path, capsys):
    pop, resp = _files(tmp_path, "sector,size,N\nA,s,100\nA,l,10\nB,s,50\n",
                       "id,sector,size\n1,A,s\n2,A,s\n3,B,s\n")
    args = ["weights", "--population", pop, "--responses", resp, "--strata", "sector,size",
            "--out", str(tmp_path / "o.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--collapse A,l=A,s" in err and "collapse=" not in err
    assert main([*args, "--collapse", "A,l=A,s"]) == 0
    assert "1 stratum/strata collapsed" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "o.csv")["weight"].tolist() == [55.0, 55.0, 50.0]
    assert main([*args, "--collapse", "A,l", "--force"]) == 2
    assert "--collapse 'A,l' is not SOURCE=TARGET" in capsys.readouterr().err
    assert main([*args, "--collapse", "l=s", "--force"]) == 2
    assert "the source has 1 value(s) but --strata has 2 column(s)" in capsys.readouterr().err


def test_console_script_help(monkeypatch, capsys):
    """``python -m surveyweights.cli weights --help`` (the module's __main__ block, run in
    this process: a fresh interpreter cost 2-3 s of the suite)."""
    import runpy
    import warnings

    monkeypatch.setattr(sys, "argv", ["surveyweights", "weights", "--help"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # runpy: the module is already imported
        with pytest.raises(SystemExit) as exc:
            runpy.run_module("surveyweights.cli", run_name="__main__")
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--population" in out and "--strata" in out


@pytest.mark.parametrize("argv", [[], ["nonsense"]])
def test_bad_usage_exits_with_usage(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


# ---------------------------------------------------------------------------
# the CLI never destroys input (issue 16)
# ---------------------------------------------------------------------------


def _weights_files(tmp_path):
    pop = tmp_path / "pop.csv"
    pop.write_text("sector,N\nA,10\nNA,20\n007,30\n", encoding="utf-8")
    resp = tmp_path / "resp.csv"
    resp.write_text("id,sector,note\n007,A,NA\n0042,NA,\n1,007,n/a\n2,A,x\n", encoding="utf-8")
    return pop, resp


def _weights(pop, resp, out, *extra):
    return main(["weights", "--population", str(pop), "--responses", str(resp),
                 "--strata", "sector", "--out", str(out), *extra])


def test_ids_and_codes_survive_a_round_trip_as_text(tmp_path):
    pop, resp = _weights_files(tmp_path)
    out = tmp_path / "out.csv"
    assert _weights(pop, resp, out) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,sector,note,weight"
    # 007 stays 007, NA stays NA (a stratum code and a note), empty stays empty
    assert [ln.rsplit(",", 1)[0] for ln in lines[1:]] == ["007,A,NA", "0042,NA,", "1,007,n/a", "2,A,x"]
    assert [float(ln.rsplit(",", 1)[1]) for ln in lines[1:]] == [5.0, 20.0, 30.0, 5.0]


@pytest.mark.parametrize("which", ["responses", "population", "responses_link"])
def test_out_equal_to_an_input_is_refused_and_the_input_is_unchanged(tmp_path, capsys, which):
    pop, resp = _weights_files(tmp_path)
    before = {p: p.read_bytes() for p in (pop, resp)}
    if which == "responses_link":
        out = tmp_path / "link.csv"
        out.symlink_to(resp)
        opt, target = "--responses", resp
    else:
        target = resp if which == "responses" else pop
        out, opt = target, f"--{which}"
    rc = _weights(pop, resp, out, "--force")
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"is the input file given as {opt} '{target}'" in err
    assert "choose another output path" in err
    assert {p: p.read_bytes() for p in (pop, resp)} == before


def test_existing_output_is_not_overwritten_without_force(tmp_path, capsys):
    pop, resp = _weights_files(tmp_path)
    out = tmp_path / "out.csv"
    out.write_bytes(b"precious\n")
    assert _weights(pop, resp, out) == 2
    err = capsys.readouterr().err
    assert err == (f"surveyweights: error: output file '{out}' already exists; pass --force to "
                   f"overwrite it, or choose another output path\n")
    assert out.read_bytes() == b"precious\n"
    assert _weights(pop, resp, out, "--force") == 0
    assert out.read_text(encoding="utf-8").startswith("id,sector,note,weight\n")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_missing_output_folder_is_one_line_exit_2(tmp_path, capsys):
    pop, resp = _weights_files(tmp_path)
    rc = _weights(pop, resp, tmp_path / "nope" / "out.csv")
    assert rc == 2
    err = capsys.readouterr().err
    assert err == (f"surveyweights: error: output folder '{tmp_path / 'nope'}' does not exist; "
                   f"create it first or choose another output path\n")


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    pop, resp = _weights_files(tmp_path)
    out = tmp_path / "out.csv"
    out.write_bytes(b"old\n")

    def boom(self, path, **kw):
        Path(path).write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    assert _weights(pop, resp, out, "--force") == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and err.count("\n") == 1
    assert out.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "pop.csv", "resp.csv"]


@pytest.mark.parametrize("case, match", [
    ("missing", r"responses file '.*absent\.csv' does not exist; check the path"),
    ("folder", r"responses file '.*' is a folder, not a file"),
    ("latin1", r"responses file '.*' is not valid utf-8 text \(byte 0xe9 at position \d+\); pass the "
               r"file's encoding, e.g. --encoding latin-1$"),
    ("empty", r"responses file '.*' is empty"),
    ("dupes", r"responses file '.*' has duplicate column names \['sector'\]"),
    ("semicolon", r"has a single column 'id;sector' when read with field separator ','; it looks "
                  r"separated by ';': pass --responses-sep ';'$"),
    ("unreadable", r"responses file '.*' cannot be read \(Permission denied\)"),
])
def test_bad_input_files_are_one_line_errors(tmp_path, capsys, monkeypatch, case, match):
    pop, _ = _weights_files(tmp_path)
    resp = tmp_path / "r.csv"
    if case == "missing":
        resp = tmp_path / "absent.csv"
    elif case == "folder":
        resp = tmp_path / "dir"
        resp.mkdir()
    elif case == "latin1":
        resp.write_bytes("id,sector\n1,Caf\xe9\n".encode("latin-1"))
    elif case == "empty":
        resp.write_bytes(b"")
    elif case == "dupes":
        resp.write_text("id,sector,sector\n1,A,A\n", encoding="utf-8")
    elif case == "semicolon":
        resp.write_text("id;sector\n1;A\n", encoding="utf-8")
    elif case == "unreadable":
        import builtins

        import surveyweights._files as files

        resp.write_text("id,sector\n1,A\n", encoding="utf-8")

        def denied(path, *a, **k):  # as chmod 0 would, also when the tests run as root
            if str(path) == str(resp):
                raise PermissionError(13, "Permission denied", str(path))
            return builtins.open(path, *a, **k)

        monkeypatch.setattr(files, "open", denied, raising=False)
    # a semicolon file is detected; with the separator given wrongly it is an error
    extra = ["--responses-sep", ","] if case == "semicolon" else []
    rc = _weights(pop, resp, tmp_path / "o.csv", *extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.search(match, err), err


def test_latin1_files_work_with_encoding(tmp_path):
    pop = tmp_path / "pop.csv"
    pop.write_bytes("sector,N\nCaf\xe9,10\n".encode("latin-1"))
    resp = tmp_path / "r.csv"
    resp.write_bytes("id,sector\n1,Caf\xe9\n2,Caf\xe9\n".encode("latin-1"))
    out = tmp_path / "o.csv"
    assert _weights(pop, resp, out, "--encoding", "latin-1") == 0
    assert out.read_bytes().decode("latin-1").splitlines()[1] == "1,Caf\xe9,5.0"


def test_barometer_refuses_a_folder_with_files_without_force(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["barometer", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (f"surveyweights: error: output folder '{out}' already exists; pass --force to "
                   f"overwrite it, or choose another output path\n")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["weights", "--population"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected one argument" in err


def test_unexpected_errors_are_one_line(tmp_path, capsys, monkeypatch):
    pop, resp = _weights_files(tmp_path)
    import surveyweights.cli as cli

    def broken(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "poststratify", broken)
    assert _weights(pop, resp, tmp_path / "o.csv") == 2
    err = capsys.readouterr().err
    assert err == ("surveyweights: error: unexpected ZeroDivisionError: boom (rerun with "
                   "--traceback and report it)\n")
    with pytest.raises(ZeroDivisionError):
        main(["--traceback", "weights", "--population", str(pop), "--responses", str(resp),
              "--strata", "sector", "--out", str(tmp_path / "o.csv")])
