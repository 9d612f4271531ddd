"""``botkit backtest --from-stats``: a saved run reruns exactly, and changed data is caught first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import structlog

from botkit.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workdir with a 4-day archive and the backtest of sma_cross on it, overridden from the command line."""
    shutil.copytree(ROOT / "backtests", tmp_path / "backtests")
    monkeypatch.chdir(tmp_path)
    assert main(["data", "generate", "--symbol", "BTCUSD", "--bars", "5760", "--out", "data/",
                 "--start", "2024-01-01"]) == 0
    assert main(["backtest", "backtests/sma_cross.yaml", "--no-progress", "--param", "fast=5", "--param", "slow=30",
                 "--from", "2024-01-02", "--out", "reports/x"]) == 0
    return tmp_path / "reports" / "x" / "stats.json"


def test_a_rerun_from_stats_reproduces_them(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["backtest", "--from-stats", str(saved), "--no-progress"]) == 0
    assert "reproduced: the rerun's statistics equal" in capsys.readouterr().out
    rerun = saved.parent.with_name("x-rerun") / "stats.json"
    original = json.loads(saved.read_text())
    assert json.loads(rerun.read_text()) == original  # the statistics and the run record
    assert original["trades"] > 0 and original["run"]["spec"]["params"] == {"fast": 5, "slow": 30, "size": 1.0}
    assert original["run"]["spec"]["data"]["start"].startswith("2024-01-02")
    assert len(original["run"]["data"]["files"]) == 3  # the days of --from on
    assert main(["backtest", str(saved.with_name("spec.yaml")), "--no-progress", "--out", "again"]) == 0
    assert json.loads(Path("again/stats.json").read_text()) == original  # the saved spec runs the same


def test_changed_data_stops_the_rerun_unless_allowed(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = Path("data/synthetic/BTCUSD/bars_1m/2024-01-04.parquet")
    recorded = json.loads(saved.read_text())["run"]["data"]["files"]["synthetic/BTCUSD/bars_1m/2024-01-04.parquet"]
    day.unlink()
    capsys.readouterr()
    assert main(["backtest", "--from-stats", str(saved), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert str(day.resolve()) in error and recorded in error and "--allow-changed-data" in error
    assert not saved.parent.with_name("x-rerun").exists()
    assert main(["backtest", "--from-stats", str(saved), "--no-progress", "--allow-changed-data"]) == 1
    out = capsys.readouterr().out
    assert "data changed" in out and "DIFFERENT from" in out and "events:" in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--param", "fast=7"], "it takes no --param"),
    (["backtests/sma_cross.yaml"], "it takes no SPEC"),
])
def test_from_stats_takes_no_overrides(saved: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                                       message: str) -> None:
    assert main(["backtest", *extra, "--from-stats", str(saved), "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_backtest_needs_a_spec_or_stats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--no-progress"]) == 2
    assert "needs a SPEC" in capsys.readouterr().err
    assert main(["backtest", "--from-stats", "nowhere/stats.json"]) == 2
    assert "does not exist" in capsys.readouterr().err
