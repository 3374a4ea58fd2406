"""The surveyweights command line: main job, user files, errors without traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from surveyweights.cli import main


def test_barometer_main_job(tmp_path, capsys):
    out_dir = tmp_path / "out"
    assert main(["barometer", "--out", str(out_dir), "--formats", "csv,md", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert "3,347 responses received, 2,915 usable" in out
    assert "response rate 30.3% of 9,610 sampled" in out
    assert "sum 37,839 = N" in out
    assert "36 of 36 published headline figures lie inside" in out
    assert "adoption 58.77% [58.72, 58.82] vs 58.8%" in out
    assert (out_dir / "tables" / "tabel_03.md").exists()
    assert (out_dir / "figures" / "tabel_03_adoption_by_sector.png").exists()
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
    assert "thousands='.'" in err and "Traceback" not in err


def test_console_script_help():
    res = subprocess.run([sys.executable, "-m", "surveyweights.cli", "weights", "--help"],
                         capture_output=True, text=True, check=True)
    assert "--population" in res.stdout and "--strata" in res.stdout


@pytest.mark.parametrize("argv", [[], ["nonsense"]])
def test_bad_usage_exits_with_usage(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
