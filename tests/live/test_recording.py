"""Recording live sessions: ``botkit record`` and a bot's ``record:`` against the real simulators, read back."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

import botkit
from botkit.core.errors import ConfigError
from botkit.data.archive import read_archive
from botkit.data.recorded import MARK_STARTED, MARK_STOPPED, read_recorded
from botkit.data.recorder import ArchiveRecorder, RecordSpec
from botkit.live.build import build_engine
from botkit.live.cli_record import record
from botkit.live.recording import SessionRecording
from botkit.model.events import Quote, Trade
from botkit.settings import RecorderConfig
from botkit.sim.sintra import ScaledClock, run_sintra_sim
from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.strategy.base import Strategy, StrategyParams
from botkit.venues.syncron import SyncronSettings

from .helpers import bot_config

SYMBOL = "BTCUSD"
FAST_MARKET = AgentConfig(speed=20.0, step_s=0.02, seed=11)
QUICK_WRITES = {"flush_rows": 200, "flush_interval_s": 0.3, "compact_interval_s": 0.7}


def rows(root: Path, kind: str, venue: str = "syncron") -> int:
    if not (root / venue / SYMBOL / kind).is_dir():
        return 0
    return read_recorded(root, venue, SYMBOL, kind).num_rows


def gap_events(root: Path, venue: str = "syncron") -> Counter[str]:
    return Counter(read_recorded(root, venue, SYMBOL, "gaps").column("event").to_pylist())


async def test_botkit_record_archives_exactly_what_it_received_and_a_restart_appends(tmp_path):
    root = tmp_path / "archive"
    sim_config = default_config([SYMBOL]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as syncron, run_sintra_sim(clock=ScaledClock(speed=40.0)) as sintra:
        config = RecorderConfig(
            symbols=[SYMBOL], venue={"endpoint": syncron.url},
            prices={"pair": "btcusd", "endpoint": sintra.base_url},
            record={"root": str(root), "kinds": ["trades", "quotes", "book", "bars", "prices"], "bar_interval": "1s",
                    **QUICK_WRITES},
        )
        settings = SyncronSettings(endpoint=syncron.url)
        first = await record(config, duration_s=3.0, settings=settings, embedded_sim=False)
        second = await record(config, duration_s=1.5, settings=settings, embedded_sim=False)
    received = first.received + second.received
    assert received["Trade"] > 10 and received["Quote"] > 10 and received["BookDelta"] > 10, received
    assert received["Bar"] >= 1 and received["Price"] >= 1 and received["BookSnapshot"] >= 2, received
    assert first.stats.parts_written > 2 and first.stats.dropped == 0 and first.stats.write_failures == 0

    assert rows(root, "trades") == received["Trade"]
    assert rows(root, "quotes") == received["Quote"]
    assert rows(root, "book_deltas") == received["BookDelta"]
    assert rows(root, "bars_1s") == received["Bar"]
    assert rows(root, "prices", venue="sintra") == received["Price"]
    snapshots = read_recorded(root, "syncron", SYMBOL, "book_snapshots")
    assert len(set(zip(snapshots.column("ts").to_pylist(), snapshots.column("sequence").to_pylist(),
                       strict=True))) == received["BookSnapshot"]
    assert pc.min(snapshots.column("price")).as_py() > 0
    gaps = gap_events(root)
    assert gaps[MARK_STARTED] == 2 and gaps[MARK_STOPPED] == 2
    assert gaps["book_gap"] == received["BookGap"] and gaps["book_resynced"] == received["BookResynced"]
    assert gap_events(root, "sintra")[MARK_STARTED] == 2
    trades = read_archive(root, "syncron", SYMBOL, "trades")
    assert (trades["ts"][1:] >= trades["ts"][:-1]).all()
    assert not list(root.rglob("*.tmp")) and not list(root.rglob(".parts"))

    # the backtester reads what was recorded
    for kind, fill_price in (("trades", "next_trade"), ("quotes", "quote")):
        result = botkit.backtest({
            "strategy": "sma_cross", "params": {"fast": 2, "slow": 4}, "fill_price": fill_price,
            "data": {"archive": str(root), "venue": "syncron", "kind": kind, "symbols": [SYMBOL]},
        })
        assert len(result.equity) > 0


class BuyEveryFewQuotes(Strategy[StrategyParams]):
    """Alternates buying and closing every 15 quotes, so the run has orders and fills to record."""

    def on_start(self) -> None:
        self.n = 0

    def on_quote(self, quote: Quote) -> None:
        self.n += 1
        if self.n % 15 == 0:
            if self.ctx.position() > 0:
                self.ctx.close()
            else:
                self.ctx.buy(0.001)


async def test_a_bot_with_a_record_section_records_what_the_engine_received_and_its_fills(tmp_path, monkeypatch):
    monkeypatch.setattr("botkit.live.build.load_strategy_class", lambda ref: BuyEveryFewQuotes)
    root = tmp_path / "archive"
    sim_config = default_config([SYMBOL]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        config = bot_config(tmp_path, mode="paper", venue={"endpoint": sim.url}, engine={"market_data": "both"},
                            record={"root": str(root), **QUICK_WRITES})
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url))
        summary = await engine.run(duration_s=2.5)
    counters = engine.counters
    assert counters["trade"] > 5 and counters["quote"] > 30 and summary.fills >= 1, (counters, summary.lines())
    assert rows(root, "trades") == counters["trade"]
    assert rows(root, "quotes") == counters["quote"]
    assert rows(root, "fills") == counters["fills"] == summary.fills
    orders = read_recorded(root, "syncron", SYMBOL, "order_events").to_pandas()
    assert (orders["event"] == "filled").sum() == summary.fills
    assert set(orders["bot"]) == {"t"} and set(orders["client_order_id"]) <= set(summary.client_order_ids)
    assert gap_events(root)[MARK_STOPPED] == 1


def sink(root: Path, **spec: Any) -> ArchiveRecorder:
    return ArchiveRecorder(RecordSpec(root=root, **spec), venue="syncron", symbols=[SYMBOL])


async def test_flushes_write_in_a_worker_thread_and_one_recorder_holds_a_symbol(tmp_path):
    recording = SessionRecording(sink(tmp_path, flush_rows=5, flush_interval_s=60))
    writers: list[int] = []
    real_write = recording.sink.write

    def spy(batch: list[object]) -> Any:
        writers.append(threading.get_ident())
        return real_write(batch)

    recording.sink.write = spy  # type: ignore[method-assign]
    await recording.start()
    try:
        with pytest.raises(ConfigError, match="being recorded by another process"):
            await SessionRecording(sink(tmp_path)).start()
        for i in range(5):  # flush_rows reached: the flush task wakes without waiting for flush_interval_s
            recording.append(Trade(10**18 + i, SYMBOL, 100.0, 1.0, 1))  # type: ignore[arg-type]
        for _ in range(100):
            if writers:
                break
            await asyncio.sleep(0.02)
    finally:
        await recording.stop()
    assert writers and threading.get_ident() not in writers
    assert len(read_archive(tmp_path, "syncron", SYMBOL, "trades")) == 5
    again = SessionRecording(sink(tmp_path))
    await again.start()  # the lock was released at stop
    await again.stop()
