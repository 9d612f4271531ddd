"""``botkit demo`` end to end, as a user types it: paper session, recording, backtest, report, parity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from botkit.data.recorded import read_recorded


def test_botkit_demo_trades_records_backtests_and_ends_with_the_parity(tmp_path: Path):
    botkit = Path(sys.executable).with_name("botkit")
    env = {**os.environ, "CI": "true"}  # plain status lines, as in CI
    done = subprocess.run(
        [str(botkit), "demo", "--duration", "8", "--out", str(tmp_path / "archive")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("botkit demo: Syncron simulator on http://127.0.0.1:")
    assert any(" events/s  orders " in line for line in lines), "the status line"
    parity = lines[-1]
    assert parity.startswith("parity: ") and parity.endswith("fills — identical to the backtest of the recording")
    orders = int(parity.split()[1])
    assert orders >= 2, done.stdout

    report = tmp_path / "reports" / "demo"
    assert (report / "report.html").stat().st_size > 10_000
    stats = json.loads((report / "stats.json").read_text())
    assert stats["recording"].startswith("session 1 ") and stats["engine"] == "python"
    fills = read_recorded(tmp_path / "archive", "syncron", "BTCUSD", "fills").num_rows
    assert f"{orders} orders, {fills} fills" in parity, "the recorded fills are the ones compared"
    assert "ERROR" not in done.stderr and "Traceback" not in done.stderr
