"""``run_bot_command``: the embedded simulator, the summary, the exit code."""

from __future__ import annotations

import socket
from pathlib import Path

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
