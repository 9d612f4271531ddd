"""The botkit command as a user runs it: generate data, backtest, override, fail clearly."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import structlog

from botkit.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "backtests", tmp_path / "backtests")
    shutil.copytree(ROOT / "strategies", tmp_path / "strategies")
    monkeypatch.chdir(tmp_path)
    assert main(["data", "generate", "--symbol", "BTCUSD", "--bars", "20000", "--out", "data/"]) == 0
    return tmp_path


def test_generate_then_backtest_writes_outputs(workdir, capsys):
    assert main(["backtest", "backtests/sma_cross.yaml", "--no-progress"]) == 0
    out = workdir / "reports" / "sma_cross"
    stats = json.loads((out / "stats.json").read_text())
    for key in ("trades", "final_equity", "total_return", "sharpe", "max_drawdown", "fees"):
        assert key in stats
    trades = pd.read_parquet(out / "trades.parquet")
    assert len(trades) == stats["trades"] > 0
    html = (out / "report.html").read_text()
    assert 'id="charts-plot"' in html and "<link" not in html and " src=" not in html  # inlined Bokeh, no fetches
    assert "final_equity" in capsys.readouterr().out


def test_generate_a_book_then_backtest_it_through_on_book(workdir, capsys):
    assert main(["data", "generate", "--symbol", "BTCUSD", "--book", "5000", "--out", "data/"]) == 0
    assert "book_*" in capsys.readouterr().out
    assert main(["backtest", "backtests/book_imbalance.yaml", "--no-progress", "--param", "ratio=1.5"]) == 0
    stats = json.loads((workdir / "reports" / "book_imbalance" / "stats.json").read_text())
    assert stats["events"] == 5001 and stats["engine"] == "python" and stats["trades"] > 0


def test_overrides_from_the_command_line(workdir):
    args = ["backtest", "backtests/sma_cross.yaml", "--param", "fast=20", "--param", "slow=100",
            "--from", "2024-01-02", "--to", "2024-01-05", "--out", "o", "--no-progress"]
    assert main(args) == 0
    stats = json.loads((workdir / "o" / "stats.json").read_text())
    assert stats["start"].startswith("2024-01-02") and stats["end"] < "2024-01-05"


def test_data_file_override(workdir):
    from botkit.data.archive import read_archive
    from botkit.data.frames import to_frame

    frame = to_frame(read_archive("data", "synthetic", "BTCUSD", "bars_1m")).reset_index()
    frame["ts"] = frame["ts"].astype("int64")
    frame.to_csv("bars.csv", index=False)
    assert main(["backtest", "backtests/momentum.yaml", "--data", "bars.csv", "--out", "m", "--no-progress"]) == 0
    assert json.loads((workdir / "m" / "stats.json").read_text())["engine"] == "python"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "backtests/sma_cross.yaml", "--param", "fast=500"], "fast must be < slow"),
        (["backtest", "backtests/sma_cross.yaml", "--param", "fats=5"],
         "--param fats is not a parameter of sma_cross (SmaCross): its parameters are fast (default 10), "
         "slow (default 50), size (default 1.0); did you mean 'fast'?"),
        (["backtest", "backtests/sma_cross.yaml", "--from", "2300-01-01"], "--from '2300-01-01': must be between"),
        (["backtest", "backtests/sma_cross.yaml", "--from", "2030-01-01"],
         "empty time range: end 2024-01-15T00:00:00Z must be after start 2030-01-01T00:00:00Z; "
         "the archive holds BTCUSD bars_1m from 2024-01-01 to 2024-01-14"),
        (["backtest", "backtests/sma_cross.yaml", "--out", "/dev/null"], "--out: must be a folder, but '/dev/null'"),
        (["backtest", "backtests/sma_cross.yaml", "--out", "backtests/sma_cross.yaml/x"],
         "--out: must be a folder, but 'backtests/sma_cross.yaml' above it is a file"),
        (["backtest", "backtests/sma_cross.yaml", "--from", "yesterday"], "--from 'yesterday'"),
        (["backtest", "backtests/sma_cross.yaml", "--data", "missing.csv"], "--data 'missing.csv' does not exist"),
        (["backtest", "missing.yaml"], "does not exist"),
    ],
)
def test_errors_exit_2_with_a_clear_message(workdir, capsys, args, message):
    assert main([*args, "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_bad_csv_names_file_and_row(workdir, capsys):
    Path("bad.csv").write_text("ts,open,high,low,close,volume\n1704067200,1,2,0.5,1,1\n1704067260,1,2,0.5,nan,1\n")
    assert main(["backtest", "backtests/momentum.yaml", "--data", "bad.csv", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "row 2" in err


def test_strategies_lists_entry_points(capsys):
    assert main(["strategies"]) == 0
    lines = capsys.readouterr().out.splitlines()  # not a terminal: one plain line per strategy
    (sma,) = [line for line in lines if line.startswith("sma_cross ")]
    assert sma.split() == ["sma_cross", "botkit.examples.sma_cross:SmaCross", "compiled+python", "fast=10", "slow=50",
                           "size=1.0"]


def test_version_prints_the_package_version(capsys):
    import botkit

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"botkit {botkit.__version__}\n"


def test_sim_argument_errors(capsys):
    assert main(["sim", "all", "--port", "9000"]) == 2
    assert "--port names one port" in capsys.readouterr().err
    assert main(["sim", "syncron", "--symbols", ","]) == 2
    assert "--symbols needs at least one symbol" in capsys.readouterr().err


def test_tick_spec_with_two_symbols_and_small_chunks(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "backtests", tmp_path / "backtests")
    monkeypatch.chdir(tmp_path)
    for symbol, seed in (("BTCUSD", "1"), ("ETHUSD", "2")):
        assert main(["data", "generate", "--symbol", symbol, "--trades", "30000", "--seed", seed]) == 0
    args = ["backtest", "backtests/sma_ticks.yaml", "--param", "fast=20", "--param", "slow=100", "--no-progress"]
    assert main(args) == 0
    stats = json.loads((tmp_path / "reports" / "sma_ticks" / "stats.json").read_text())
    assert stats["events"] == 60000 and stats["trades"] > 0
    fills = pd.read_parquet(tmp_path / "reports" / "sma_ticks" / "fills.parquet")
    assert set(fills.symbol) == {"BTCUSD", "ETHUSD"}


def test_run_argument_errors(capsys):
    assert main(["run", "configs/demo.yaml", "--duration", "0"]) == 2
    assert "--duration must be > 0" in capsys.readouterr().err
    assert main(["run", "no-such-config.yaml", "--duration", "1"]) == 2
    assert "no-such-config.yaml" in capsys.readouterr().err


def test_backtest_and_run_errors_name_the_line(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("strategy: sma_cross\nparams:\n  fast: 50\n  slow: 10\nslipage: {bps: 1}\n")
    assert main(["backtest", str(spec), "--no-progress"]) == 2
    assert f"{spec}:5:1: unknown key 'slipage'; did you mean 'slippage'?" in capsys.readouterr().err
    spec.write_text("strategy: sma_cross\nparams:\n  fast: 50\n  slow: 10\n")
    assert main(["backtest", str(spec), "--no-progress"]) == 2
    assert f"{spec}:2:1: params: fast must be < slow" in capsys.readouterr().err
    bot = tmp_path / "bot.yaml"
    head = f"name: t\nstrategy: sma_cross\nsymbols: [BTCUSD]\nstate_dir: {tmp_path}\n"
    bot.write_text(head + "risk:\n  max_position: 0\n")
    assert main(["run", str(bot), "--duration", "1", "--no-embedded-sim"]) == 2
    assert f"{bot}:6:17: risk.max_position: must be > 0, got 0" in capsys.readouterr().err
    bot.write_text(head + "params: {fats: 3}\n")
    assert main(["run", str(bot), "--duration", "1", "--no-embedded-sim"]) == 2
    assert f"{bot}:5:10: unknown key 'params.fats'; did you mean 'params.fast'?" in capsys.readouterr().err


def test_a_spec_finds_its_data_from_any_working_directory(workdir, monkeypatch, capsys):
    monkeypatch.chdir(workdir / "backtests")
    assert main(["backtest", "sma_cross.yaml", "--no-progress", "--out", str(workdir / "from_inside")]) == 0
    assert json.loads((workdir / "from_inside" / "stats.json").read_text())["trades"] > 0
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "s.yaml").write_text("strategy: sma_cross\ndata: {archive: data}\n")
    monkeypatch.chdir(workdir)
    assert main(["backtest", "elsewhere/s.yaml", "--no-progress"]) == 2
    assert f"{elsewhere / 'data' / 'synthetic' / 'BTCUSD' / 'bars_1m'}: no day files" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "generate", "--out", "/dev/null"], "--out: must be a folder, but '/dev/null' is a device"),
        (["data", "generate", "--bars", "0"], "number of rows must be from 1 to"),
        (["data", "generate", "--bars", "10000000000"], "number of rows must be from 1 to 1,000,000,000"),
        (["run", "configs/demo.yaml", "--duration", "nan"], "--duration must be > 0 seconds, got nan"),
        (["run", "configs/demo.yaml", "--duration", "inf"], "--duration must be > 0 seconds, got inf"),
        (["demo", "--report", "/dev/null"], "--report: must be a folder"),
        (["run", "bot.yaml", "--duration", "1", "--endpoint", "http://127.0.0.1:0"],
         "botkit: error: --endpoint: must be local, testnet, production or an http(s) base URL: port 0 is not"),
        (["run", "bot.yaml", "--duration", "1", "--endpoint", "http://127.0.0.1:99999"],
         "botkit: error: --endpoint: must be local, testnet, production or an http(s) base URL: invalid port"),
        (["backtest", "spec.yaml", "--no-progress", "--out", "/proc/botkit-never-there"],
         "--out: cannot write outputs"),
    ],
)
def test_command_line_values_that_would_hang_or_misfire(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text("strategy: sma_cross\n")
    assert main(args) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fast=" + "9" * 5000, "--param fast:1:1: an integer of 5,000 characters"),  # int() would raise ValueError
        ("f" * 5000, "more characters)"),  # no '=': quoted cut short
    ],
    ids=["5000-digits", "5000-chars"],
)
def test_a_param_flag_too_big_to_read_is_an_argument_error(tmp_path, monkeypatch, capsys, value, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["backtest", "spec.yaml", "--param", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err) < 2_000 and "invalid _param value" not in err


def test_an_error_quotes_huge_input_cut_short(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: {'x' * 100_000}\nstrategy: sma_cross\n")
    assert main(["backtest", str(spec), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"botkit: error: {spec}:1:7: name: a name, not a path") and "(99,802 more characters)" in err
    assert len(err) < 1_000
    spec.write_text(f"strategy: {'y' * 100_000}\n")
    assert main(["backtest", str(spec), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "more characters) is not an installed entry point" in err and len(err) < 1_000


def test_a_name_with_a_path_writes_nothing_outside_reports(workdir, capsys):
    Path("backtests/escape.yaml").write_text("name: ../escape\nstrategy: sma_cross\ndata: {archive: ../data}\n")
    assert main(["backtest", "backtests/escape.yaml", "--no-progress"]) == 2
    assert "name: a name, not a path" in capsys.readouterr().err
    assert not (workdir / "escape").exists()
