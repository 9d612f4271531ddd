"""``run_bot_command``: the embedded simulator, the summary, the exit code."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from botkit.core.errors import ConfigError
from botkit.live.cli_run import run_bot_command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_starts_the_embedded_simulator_trades_and_prints_a_summary(tmp_path: Path, capsys):
    config = tmp_path / "bot.yaml"
    config.write_text(f"""
name: clitest
strategy: sma_cross
params: {{fast: 2, slow: 4, size: 0.001}}
symbols: [BTCUSD]
venue: {{endpoint: "http://127.0.0.1:{free_port()}"}}
mode: live
risk: {{max_position: 0.01, price_collar_bps: 200}}
state_dir: {tmp_path / "state"}
engine: {{market_data: quotes}}
""")
    assert run_bot_command(config, duration_s=2.5, embedded_sim=True) == 0
    out = capsys.readouterr().out
    assert "bot clitest (live on syncron)" in out and "final state: active" in out
    assert "orders placed:" in out and "pnl: realized" in out
    assert (tmp_path / "state" / "clitest.state.json").is_file()


def test_a_bad_api_key_halts_cleanly_with_exit_3_and_names_the_environment_variable(tmp_path: Path, capsys,
                                                                                     monkeypatch):
    monkeypatch.setenv("BOTKIT_SYNCRON__API_KEY", "not-a-known-key")
    monkeypatch.setenv("BOTKIT_SYNCRON__API_SECRET", "not-the-secret-either")
    config = tmp_path / "bot.yaml"
    config.write_text(f"""
name: badkey
strategy: sma_cross
symbols: [BTCUSD]
venue: {{endpoint: "http://127.0.0.1:{free_port()}"}}
mode: live
state_dir: {tmp_path / "state"}
""")
    assert run_bot_command(config, duration_s=10.0, embedded_sim=True) == 3
    captured = capsys.readouterr()
    assert "final state: halted" in captured.out and "BOTKIT_SYNCRON__API_KEY" in captured.out
    assert "Traceback" not in captured.err and "not-the-secret-either" not in captured.out + captured.err


def test_a_symbol_the_embedded_simulator_cannot_list_is_a_config_error(tmp_path: Path):
    config = tmp_path / "bot.yaml"
    config.write_text(f"""
name: noquote
strategy: sma_cross
symbols: [FOO]
venue: {{endpoint: "http://127.0.0.1:{free_port()}"}}
state_dir: {tmp_path / "state"}
""")
    with pytest.raises(ConfigError, match=r"^symbols: the local Syncron simulator cannot list 'FOO': cannot split"):
        run_bot_command(config, duration_s=1.0, embedded_sim=True)
