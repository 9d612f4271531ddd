"""``botkit data download sintra`` as a user runs it, against the simulator over a real socket."""

import asyncio
import os
import sys

from botkit.data.archive import read_archive
from botkit.sim.sintra import run_sintra_sim

DEMO_KEY = "demo.sintra-sim-demo-token"


async def download(tmp_path, base_url, since, until):
    env = {**os.environ, "BOTKIT_SINTRA__API_KEY": DEMO_KEY}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit.cli", "--log-level", "warning", "data", "download", "sintra",
        "--interval", "hour", "--since", since, "--until", until, "--out", str(tmp_path),
        "--endpoint", base_url, "--no-progress",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_download_writes_bars_and_a_second_run_only_extends(tmp_path):
    async with run_sintra_sim() as sim:
        first = await download(tmp_path, sim.base_url, "2024-03-01", "2024-03-03")
        assert "48 bars written, 48 stored" in first
        second = await download(tmp_path, sim.base_url, "2024-02-29", "2024-03-03")
        assert "24 bars written, 72 stored" in second and "0 gaps" in second
    bars = read_archive(tmp_path, "sintra", "BTCUSD", "bars_1h")
    assert len(bars) == 72 and (bars["close"] > 0).all()
