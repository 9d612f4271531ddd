"""``botkit data ls`` and ``botkit data import`` as a user runs them."""

import argparse
import json

import pandas as pd
import pytest
import structlog

from botkit.cli import build_parser, main
from botkit.data.archive import read_archive
from botkit.data.frames import to_frame


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def generated(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["data", "generate", "--symbol", "BTCUSD", "--bars", "5000", "--out", "data"]) == 0
    assert main(["data", "generate", "--symbol", "ETHUSD", "--trades", "3000", "--seed", "2", "--out", "data"]) == 0
    capsys.readouterr()
    return tmp_path / "data"


def archived(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_ls_lists_symbols_kinds_days_rows_and_a_gap(generated, capsys):
    (generated / "synthetic" / "BTCUSD" / "bars_1m" / "2024-01-02.parquet").unlink()
    assert main(["data", "ls"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["venue", "symbol", "kind", "days", "from", "to", "rows", "gaps"]
    assert lines[2].split() == ["synthetic", "BTCUSD", "bars_1m", "3", "2024-01-01", "2024-01-04", "3,560",
                                "1", "day:", "2024-01-02"]
    assert lines[3].split() == ["synthetic", "ETHUSD", "trades", "1", "2024-01-01", "2024-01-01", "3,000", "none"]
    assert lines[4] == "2 series, 4 day files, 6,560 rows"


def test_ls_filters_and_an_empty_or_missing_archive(generated, capsys):
    assert main(["data", "ls", "data", "--kind", "trades"]) == 0
    out = capsys.readouterr().out
    assert "ETHUSD" in out and "BTCUSD" not in out
    assert main(["data", "ls", "--symbol", "SOLUSD"]) == 0
    assert "no day files" in capsys.readouterr().out
    assert main(["data", "ls", "nowhere"]) == 2
    assert "archive root 'nowhere' does not exist" in capsys.readouterr().err


def test_ls_exits_1_naming_an_unreadable_day_file(generated, capsys):
    bad = generated / "synthetic" / "ETHUSD" / "trades" / "2024-01-01.parquet"
    bad.write_bytes(b"garbage")
    assert main(["data", "ls"]) == 1
    assert f"unreadable: {bad.relative_to(generated.parent)}" in capsys.readouterr().out


def test_import_a_csv_then_backtest_it(generated, capsys):
    frame = to_frame(read_archive(generated, "synthetic", "BTCUSD", "bars_1m")).reset_index()
    frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")  # ISO text, as exported by most tools
    frame.to_csv("mine.csv", index=False)
    assert main(["data", "import", "mine.csv", "--symbol", "BTCUSD", "--venue", "mine"]) == 0
    out = capsys.readouterr().out
    assert "imported 5,000 rows of bars_1m for BTCUSD from mine.csv into 4 day files" in out
    assert "{archive: data, venue: mine, symbols: [BTCUSD], kind: bars, bar_interval: 1m}" in out
    spec = generated.parent / "mine.yaml"
    spec.write_text(f"name: mine\nstrategy: sma_cross\nparams: {{fast: 10, slow: 50}}\n"
                    f"data: {{archive: {generated}, venue: mine, kind: bars, bar_interval: 1m, symbols: [BTCUSD]}}\n")
    assert main(["backtest", str(spec), "--no-progress", "--out", "out"]) == 0
    stats = json.loads((generated.parent / "out" / "stats.json").read_text())
    assert stats["events"] == 5000 and stats["trades"] > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["low"]), "bad.csv: missing column 'low'"),
        (lambda f: f.assign(ts=f["ts"].where(f.index != 9, f["ts"][0])), "bad.csv row 10: timestamps not sorted"),
        (lambda f: f.assign(close=f["close"].where(f.index != 19, float("nan"))), "bad.csv row 20: close is"),
    ],
)
def test_a_bad_csv_exits_2_naming_file_row_column_and_leaves_the_archive(generated, capsys, change, message):
    frame = to_frame(read_archive(generated, "synthetic", "BTCUSD", "bars_1m")).reset_index()
    frame["ts"] = frame["ts"].astype("int64")
    change(frame).to_csv("bad.csv", index=False)
    before = archived(generated)
    assert main(["data", "import", "bad.csv", "--symbol", "BTCUSD", "--venue", "synthetic",
                 "--mode", "overwrite"]) == 2
    err = capsys.readouterr().err
    assert f"botkit: error: {message}" in err and "Traceback" not in err
    assert archived(generated) == before


def test_import_trades_twice_asks_for_a_mode(generated, capsys):
    frame = pd.DataFrame({"ts": [1704067200000000000, 1704067201000000000], "price": [100.0, 101.0],
                          "size": [1.0, 2.0], "side": ["buy", "sell"]})
    frame.to_parquet("trades.parquet")
    assert main(["data", "import", "trades.parquet", "--symbol", "X"]) == 0
    assert main(["data", "import", "trades.parquet", "--symbol", "X"]) == 2
    assert "choose --mode overwrite" in capsys.readouterr().err
    assert main(["data", "import", "trades.parquet", "--symbol", "X", "--mode", "overwrite"]) == 0
    assert len(read_archive(generated, "imported", "X", "trades")) == 2


def _subcommand(parser, *names):
    for name in names:
        (choices,) = [a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = choices[name]
    return parser


@pytest.mark.parametrize("command", [("data", "generate"), ("data", "ls"), ("data", "import")])
def test_every_data_option_has_help(command):
    undocumented = [a.dest for a in _subcommand(build_parser(), *command)._actions if not a.help]
    assert undocumented == []
