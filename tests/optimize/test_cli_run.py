"""``botkit optimize`` as a user runs it: a spec on disk, options, a table printed and files written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import structlog
import yaml

from botkit.cli import main


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    assert main(["data", "generate", "--bars", "20000", "--out", str(tmp_path / "data")]) == 0
    spec = {"name": "sweep_test", "strategy": "sma_cross", "params": {"size": 1},
            "data": {"archive": str(tmp_path / "data"), "venue": "synthetic", "kind": "bars", "symbols": ["BTCUSD"]},
            "capital": 100_000, "fees": {"taker_bps": 5}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_optimize_prints_the_best_and_writes_the_outputs(spec_file: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["optimize", str(spec_file), "--grid", "fast=5:15:5", "--grid", "slow=20,40", "--where",
                 "fast < slow", "--metric", "total_return", "--top", "3", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "top 3 by total_return" in printed
    assert "6 combinations" in printed and "compiled sweep" in printed
    assert "deflated Sharpe ratio" in printed and "Monte Carlo" in printed
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 6 and {"fast", "slow", "total_return", "sharpe"} <= set(table.columns)
    assert (out / "report.html").is_file() and (out / "results.parquet").is_file()


def test_a_rerun_resumes_and_no_resume_starts_over(spec_file: Path, tmp_path: Path) -> None:
    args = ["optimize", str(spec_file), "--grid", "fast=5,10", "--grid", "slow=30", "--out", str(tmp_path / "o"),
            "--no-report", "--no-progress"]
    assert main(args) == 0
    assert main(args) == 0
    assert main([*args[:2], "--grid", "fast=5,10,15", "--grid", "slow=30", "--out", str(tmp_path / "o"),
                 "--no-report"]) == 2  # another sweep in the same folder, without --no-resume
    assert main([*args[:2], "--grid", "fast=5,10,15", "--grid", "slow=30", "--out", str(tmp_path / "o"),
                 "--no-report", "--no-resume"]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grid", "fats=5:10:5"], "did you mean 'fast'"),
        (["--grid", "fast=5:10:0"], "step"),
        (["--grid", "fast=5,10", "--where", "__import__('os')"], "__import__"),
        (["--grid", "fast=5,10", "--metric", "luck"], "luck"),
        (["--grid", "fast=5,10", "--walk-forward", "train=1d"], "train=SPAN,test=SPAN"),
        (["--grid", "fast=5,10", "--top", "0"], "--top"),
    ],
)
def test_bad_options_are_one_clear_error(spec_file: Path, extra: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", str(spec_file), *extra, "--no-progress"]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("/dev/null", "--out: must be a folder, but '/dev/null' is a device or socket"),
        ("spec.yaml", "--out: must be a folder, but '{tmp}/spec.yaml' is a file"),
        ("spec.yaml/x", "--out: must be a folder, but '{tmp}/spec.yaml' above it is a file, got '{tmp}/spec.yaml/x'"),
        ("/proc/self/sweeps", "--out: cannot write outputs there: '/proc/self' above '/proc/self/sweeps' is not "
                              "writable"),
    ],
)
def test_an_output_that_cannot_be_a_folder_is_refused_before_the_sweep(
        spec_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        out: str, message: str) -> None:
    monkeypatch.setattr("botkit.optimize.cli_run.optimize", _no_sweep)
    target = out if out.startswith("/") else str(tmp_path / out)
    assert main(["optimize", str(spec_file), "--grid", "fast=5,10", "--grid", "slow=30", "--out", target,
                 "--no-progress"]) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_the_default_output_folder_under_reports_is_checked_too(
        spec_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("botkit.optimize.cli_run.optimize", _no_sweep)
    monkeypatch.chdir(tmp_path)
    Path("reports").write_text("a file where the reports folder should be")
    assert main(["optimize", str(spec_file), "--grid", "fast=5,10", "--grid", "slow=30", "--no-progress"]) == 2
    assert (f"{spec_file}: output folder: must be a folder, but 'reports' above it is a file, got "
            "'reports/sweep_test-optimize'") in capsys.readouterr().err


def _no_sweep(*args: object, **kwargs: object) -> None:
    raise AssertionError("the sweep started before its output folder was checked")
