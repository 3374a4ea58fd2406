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
    pop, resp = _files(tmp_path, "sector,N\nA,10\n", "id;sector\n1;A\n")
    rc = main(["weights", "--population", pop, "--responses", resp, "--strata", "sector",
               "--responses-sep", ",", "--out", str(tmp_path / "o.csv")])
    assert rc == 2
    assert "is the field separator ',' right? give --responses-sep" in capsys.readouterr().err


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
    assert main([*args, "--collapse", "A,l"]) == 2
    assert "--collapse 'A,l' is not SOURCE=TARGET" in capsys.readouterr().err
    assert main([*args, "--collapse", "l=s"]) == 2
    assert "the source has 1 value(s) but --strata has 2 column(s)" in capsys.readouterr().err


def test_console_script_help():
    res = subprocess.run([sys.executable, "-m", "surveyweights.cli", "weights", "--help"],
                         capture_output=True, text=True, check=True)
    assert "--population" in res.stdout and "--strata" in res.stdout


@pytest.mark.parametrize("argv", [[], ["nonsense"]])
def test_bad_usage_exits_with_usage(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
