"""The surveyweights command line: main job, user files, errors without traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from surveyweights.cli import main


def test_barometer_prints_weights_and_accounting(capsys):
    assert main(["barometer"]) == 0
    out = capsys.readouterr().out
    assert "post-stratification weights" in out
    assert "25.4915" in out  # 1504 / 59, NACE 10-33 micro
    assert "N = 37,839" in out and "n = 2,915" in out
    assert "response rate = 30.3%" in out


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
