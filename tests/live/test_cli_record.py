"""``botkit record CONFIG``: config validation, ``--check``, and a short run on the embedded simulator."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import structlog

from botkit.cli import main
from botkit.core.errors import ConfigError
from botkit.data.archive import read_archive
from botkit.data.recorded import read_recorded
from botkit.settings import load_recorder_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _reset_logging():
    """main() configures structlog to write to the captured stderr; undo it after each test."""
    yield
    structlog.reset_defaults()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "record.yaml"
    path.write_text(text)
    return path


def test_the_example_config_is_valid_and_check_says_what_it_records(capsys):
    config = load_recorder_config(ROOT / "configs" / "record_btc.yaml")
    assert config.symbols == ["BTCUSD"] and config.venue.endpoint == "local"
    assert main(["record", str(ROOT / "configs" / "record_btc.yaml"), "--check"]) == 0
    assert "records trades, quotes, book, bars of BTCUSD" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "message"), [
    ("symbols: [BTCUSD]\nrecord: {kinds: [orders]}\n", "orders are a bot's own"),
    ("symbols: [BTCUSD]\nrecord: {kinds: [prices]}\n", "no prices feed"),
    ("symbols: [BTCUSD]\nrecord: {flush_rows: 10, max_buffer_rows: 5}\n", "max_buffer_rows"),
    ("symbols: [BTCUSD]\nrecord: {bar_interval: 1x}\n", "invalid bar interval"),
    ("symbols: [BTCUSD]\nstrategy: sma_cross\n", "strategy"),
    ("symbols: [BTCUSD]\nprices: {pair: btcusd, api_key: abc}\n", "BOTKIT_SINTRA__API_KEY"),
])
def test_bad_configs_are_refused_naming_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_recorder_config(write(tmp_path, text))


def test_default_kinds_follow_the_config_and_the_environment_overrides_the_root(tmp_path, monkeypatch):
    assert load_recorder_config(write(tmp_path, "symbols: [btcusd]\n")).record.kinds == ["trades", "quotes", "book"]
    config = load_recorder_config(write(tmp_path, "symbols: [BTCUSD]\nprices: {pair: btcusd}\nrecord: {root: x}\n"))
    assert config.record.kinds == ["trades", "quotes", "book", "prices"]
    monkeypatch.setenv("BOTKIT_RECORD__ROOT", str(tmp_path / "elsewhere"))
    assert load_recorder_config(write(tmp_path, "symbols: [BTCUSD]\nrecord: {root: x}\n")).record.root == \
        tmp_path / "elsewhere"


def test_botkit_record_on_the_embedded_simulator_writes_day_files_and_prints_a_summary(tmp_path, capsys,
                                                                                      monkeypatch):
    config = write(tmp_path, f"""
symbols: [BTCUSD]
venue: {{endpoint: "http://127.0.0.1:{free_port()}"}}
record: {{kinds: [trades, quotes, book], flush_interval_s: 0.5}}
""")
    archive = tmp_path / "archive"
    monkeypatch.setenv("BOTKIT_RECORD__ROOT", "unused")  # --root sets it: restored after the test
    assert main(["record", str(config), "--duration", "2", "--root", str(archive)]) == 0
    out = capsys.readouterr().out
    assert f"recorded into {archive}" in out and "syncron/BTCUSD/book_deltas" in out
    assert len(read_archive(archive, "syncron", "BTCUSD", "quotes")) > 0
    assert read_recorded(archive, "syncron", "BTCUSD", "book_snapshots").num_rows > 0
