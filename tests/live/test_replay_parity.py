"""Replay parity: a paper session and the backtest of its recording make the same orders and fills.

The bot trades on paper against the real Syncron simulator while recording; the recording is then
backtested from a spec file (``data.recording``, relative to the spec's folder) with the bot's own
settings, and ``compare_session`` must find nothing different. Breaking the convention (another
latency in the backtest, or paper orders that reach the paper book late) must be found.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from pathlib import Path

import pytest
import yaml
from botkit.examples.sma_cross import SmaCross, SmaCrossParams

import botkit
from botkit.backtest.parity import compare_session
from botkit.data.recorded import read_recorded
from botkit.live.build import build_engine
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.live.session_backtest import session_spec
from botkit.model.events import MarketEvent, Quote
from botkit.model.instruments import Instrument
from botkit.sim.syncron import AgentConfig, default_config, running_sim
from botkit.venues.syncron import SyncronSettings

from .helpers import bot_config
from .test_paper_matches_backtest import random_quotes

SYMBOL = "BTCUSD"
FAST_MARKET = AgentConfig(speed=20.0, step_s=0.02, seed=5)
QUICK_WRITES = {"flush_rows": 500, "flush_interval_s": 0.5}


SESSIONS = {
    # what the strategy sees live: quote mids, 100 ms bars built from the trades (filled on the quotes), the book
    "quotes": ({"strategy": "sma_cross", "params": {"fast": 3, "slow": 8, "size": 0.01}},
               {"market_data": "quotes", "strategy_path": "python"}),
    "bars": ({"strategy": "sma_cross", "params": {"fast": 2, "slow": 4, "size": 0.01}},
             {"market_data": "bars", "bar_interval": "100ms", "bar_grace_ms": 30, "strategy_path": "compiled"}),
    "book": ({"strategy": "botkit.examples.book_imbalance:BookImbalance",
              "params": {"levels": 3, "ratio": 1.5, "exit_ratio": 1.5, "size": 0.01}},
             {"market_data": "book"}),
}


@pytest.mark.parametrize("market_data", list(SESSIONS))
async def test_a_paper_session_and_the_backtest_of_its_recording_make_the_same_orders_and_fills(
        tmp_path, market_data):
    strategy, engine_settings = SESSIONS[market_data]
    archive = tmp_path / "archive"
    sim_config = default_config([SYMBOL]).model_copy(update={"agents": FAST_MARKET})
    async with running_sim(sim_config) as sim:
        config = bot_config(
            tmp_path, **strategy, venue={"endpoint": sim.url}, sizing={"fixed_quantity": 0.01},
            risk={"max_position": 0.05, "allow_short": False}, paper={"fees": {"maker_bps": 1, "taker_bps": 5}},
            engine=engine_settings, record={"root": str(archive), **QUICK_WRITES},
        )
        engine = await build_engine(config, settings=SyncronSettings(endpoint=sim.url), restore_state=False)
        summary = await engine.run(duration_s=2.5)
    live_orders, live_fills = engine.run_orders(), list(await engine.execution.fills())
    assert len(live_orders) >= 3 and len(live_fills) >= 3, (summary.lines(), engine.counters)
    assert read_recorded(archive, "syncron", SYMBOL, "fills").num_rows == len(live_fills)

    # the backtest as a user runs it: a spec file beside the archive, naming it relatively
    spec = session_spec(config, engine.host.instruments, venue="syncron", root=Path("../archive"))
    spec_file = tmp_path / "specs" / "replay.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False))
    result = botkit.backtest(spec_file)
    assert result.engine == "python" and result.stats["recording"].startswith("session 1 ")
    seen = engine.counters  # every event the bot handled is replayed, no more
    replayed = {"quotes": seen["quote"], "bars": seen["quote"] + seen["trade"] + seen["bar"]}
    assert result.stats["events"] == replayed.get(market_data, result.stats["events"])

    report = compare_session(live_orders, live_fills, result)
    assert report.identical, report.summary()
    assert (report.live_orders, report.live_fills) == (len(result.orders), len(result.fills))
    assert report.max_fill_ts_delta_ns == 0
    assert report.summary() == f"{len(live_orders)} orders, {len(live_fills)} fills — identical to the backtest " \
                               "of the recording"

    # another latency in the backtest than on paper: the orders fill on later quotes, and that is found
    late = botkit.backtest(result.spec.with_overrides(latency_ns=100_000_000))
    broken = compare_session(live_orders, live_fills, late)
    assert not broken.identical and broken.first_difference is not None
    assert broken.first_difference.startswith("fill "), broken.first_difference  # a fill moves first


class BurstData:
    """A market-data client whose feed arrives in bursts: ``burst`` events with no await between them."""

    venue = "scripted"

    def __init__(self, events: Sequence[MarketEvent], burst: int) -> None:
        self.events = list(events)
        self.burst = burst
        self.closed = asyncio.Event()

    async def stream(self, symbols: Collection[str] | None = None) -> AsyncIterator[MarketEvent]:
        for index, event in enumerate(self.events):
            if index % self.burst == 0:
                await asyncio.sleep(0.002)
            yield event
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


async def paper_session_on(events: list[Quote], tmp_path: Path) -> tuple[LiveEngine, PaperExecutionClient]:
    config = bot_config(tmp_path, capital=100_000, engine={"strategy_path": "python"})
    paper = PaperExecutionClient(maker_bps=1, taker_bps=5, queue_fills=False)
    engine = LiveEngine(config, strategy_cls=SmaCross, params=SmaCrossParams(fast=3, slow=8, size=1.0),
                        data=BurstData(events, burst=25), execution=paper,
                        instruments={SYMBOL: Instrument(SYMBOL)})
    await engine.run(duration_s=0.5)
    return engine, paper


async def test_paper_orders_reach_the_paper_book_before_the_next_event_however_the_feed_bunches(
        tmp_path, monkeypatch):
    frame = random_quotes(400, seed=11)
    spec = {"strategy": "sma_cross", "params": {"fast": 3, "slow": 8, "size": 1.0}, "engine": "python",
            "data": {"kind": "quotes", "symbols": [SYMBOL]}, "fees": {"maker_bps": 1, "taker_bps": 5}}
    result = botkit.backtest(spec, data={SYMBOL: frame})
    assert len(result.fills) >= 6
    events = [Quote(int(r.ts), SYMBOL, r.bid, r.bid_size, r.ask, r.ask_size) for r in frame.itertuples()]

    engine, paper = await paper_session_on(events, tmp_path / "settled")
    report = compare_session(engine.run_orders(), list(await paper.fills()), result)
    assert report.identical, report.summary()

    async def arrive_late(self: LiveEngine) -> None:  # orders reach the paper book whenever the loop gets to them
        return None

    monkeypatch.setattr(LiveEngine, "_let_paper_orders_land", arrive_late)
    engine, paper = await paper_session_on(events, tmp_path / "late")
    report = compare_session(engine.run_orders(), list(await paper.fills()), result)
    assert not report.identical, "an order decided inside a burst filled later than the backtest says"
