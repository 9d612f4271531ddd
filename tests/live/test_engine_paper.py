"""The engine end to end on paper with scripted quotes: fills, the collar, halting, state."""

from __future__ import annotations

import json

import structlog

from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.events import Price
from botkit.model.instruments import Instrument
from botkit.model.orders import OrderStatus
from botkit.risk.engine import TradingState

from .helpers import ScriptedData, ScriptedStrategy, ScriptParams, bot_config, quotes

INSTRUMENTS = {"BTCUSD": Instrument("BTCUSD", tick_size=0.1, lot_size=0.001)}


def engine_for(tmp_path, params: ScriptParams, n_quotes: int = 20, **config) -> tuple[LiveEngine, PaperExecutionClient]:
    cfg = bot_config(tmp_path, **config)
    paper = PaperExecutionClient(maker_bps=1, taker_bps=5, queue_fills=False)
    engine = LiveEngine(cfg, strategy_cls=ScriptedStrategy, params=params, data=ScriptedData(quotes(n_quotes)),
                        execution=paper, instruments=INSTRUMENTS)
    return engine, paper


async def test_market_buy_fills_on_the_next_quote_at_the_ask(tmp_path):
    engine, _ = engine_for(tmp_path, ScriptParams(buy_at=3, qty=0.5))
    summary = await engine.run(duration_s=0.3)
    strategy = engine.host.strategy
    assert len(strategy.fills) == 1 and strategy.fills[0].fill.price == 100.5 and strategy.fills[0].fill.ts == 4
    assert summary.orders_placed == 1 and summary.count(OrderStatus.FILLED) == 1 and summary.fills == 1
    (position,) = summary.positions
    assert position.qty == 0.5 and summary.fees > 0
    saved = json.loads((tmp_path / "t.state.json").read_text())
    assert saved["ledger"]["holdings"]["BTCUSD"][0] == 0.5


async def test_collar_rejects_a_limit_priced_beyond_the_reference(tmp_path):
    engine, paper = engine_for(tmp_path, ScriptParams(buy_at=3, limit_price=120.0),
                               risk={"price_collar_bps": 100})
    summary = await engine.run(duration_s=0.2)
    (rejection,) = engine.host.strategy.rejections
    assert "price_collar_bps" in rejection.reason and rejection.source == "risk"
    assert summary.orders_placed == 0 and summary.risk_rejections == 1
    assert await paper.open_orders() == []


async def test_a_strategy_that_raises_halts_the_engine_and_cancels_working_orders(tmp_path):
    engine, paper = engine_for(tmp_path, ScriptParams(buy_at=2, limit_price=90.0, raise_at=5))
    summary = await engine.run(duration_s=0.3)
    assert engine.state is TradingState.HALTED and summary.state == "halted"
    assert summary.halt_reason is not None and "boom" in summary.halt_reason and "on_quote" in summary.halt_reason
    assert engine.host.strategy.n == 5, "no hooks after the halt"
    assert summary.count(OrderStatus.CANCELED) == 1 and await paper.open_orders() == []


async def test_graceful_stop_cancels_working_orders_and_restart_restores_state(tmp_path):
    engine, paper = engine_for(tmp_path, ScriptParams(buy_at=2, limit_price=90.0))
    summary = await engine.run(duration_s=0.2)
    assert summary.count(OrderStatus.CANCELED) == 1 and summary.orders_open == 0
    assert await paper.open_orders() == []
    again, _ = engine_for(tmp_path, ScriptParams(buy_at=1000))
    await again.run(duration_s=0.05)
    assert len(again.oms.orders()) == 1, "the earlier run's order was restored from the state file"


async def test_collar_uses_the_reference_feed_when_there_is_one(tmp_path):
    cfg = bot_config(tmp_path, risk={"price_collar_bps": 100}, reference={"pair": "btcusd"})
    reference = ScriptedData([Price(1, "BTC", "USD", 120.0, "sintra")], gap_s=0.0)
    paper = PaperExecutionClient(queue_fills=False)
    engine = LiveEngine(cfg, strategy_cls=ScriptedStrategy, params=ScriptParams(buy_at=5),
                        data=ScriptedData(quotes(10)), execution=paper, instruments=INSTRUMENTS, reference=reference)
    summary = await engine.run(duration_s=0.2)
    (rejection,) = engine.host.strategy.rejections
    assert "reference price 120" in rejection.reason and summary.orders_placed == 0
    assert engine.status()["reference"]["price"] == 120.0


async def test_a_halt_latches_across_a_restart_until_botkit_arm(tmp_path, capsys):
    from botkit.cli import main
    from botkit.live.state import StateStore

    engine, _ = engine_for(tmp_path, ScriptParams(buy_at=1000, raise_at=3))
    await engine.run(duration_s=0.2)
    assert engine.state is TradingState.HALTED
    restarted, _ = engine_for(tmp_path, ScriptParams(buy_at=2, qty=0.5))
    summary = await restarted.run(duration_s=2.0)
    assert summary.state == "halted" and "still halted" in (summary.halt_reason or "")
    assert "boom" in (summary.halt_reason or "") and summary.orders_placed == 0
    assert not hasattr(restarted.host.strategy, "n"), "a latched bot never starts its strategy"
    config = tmp_path / "bot.yaml"
    config.write_text(f"name: t\nstrategy: x\nsymbols: [BTCUSD]\nstate_dir: {tmp_path}\n")
    try:
        assert main(["arm", str(config)]) == 0
    finally:
        structlog.reset_defaults()  # main() pointed structlog at the captured stderr
    assert "re-armed" in capsys.readouterr().out
    assert StateStore(tmp_path / "t.state.json").load().trading_state == "active"  # type: ignore[union-attr]
    armed, _ = engine_for(tmp_path, ScriptParams(buy_at=2, qty=0.5))
    summary = await armed.run(duration_s=0.3)
    assert summary.state == "active" and summary.orders_placed == 1


async def test_an_intent_not_sent_within_its_time_to_live_is_dropped_with_a_rejection(tmp_path):
    engine, paper = engine_for(tmp_path, ScriptParams(buy_at=3, qty=0.5), engine={"intent_ttl_s": 1e-9})
    summary = await engine.run(duration_s=0.3)
    (rejection,) = engine.host.strategy.rejections
    assert rejection.source == "engine" and "engine.intent_ttl_s" in rejection.reason
    assert summary.orders_placed == 1 and summary.count(OrderStatus.REJECTED) == 1
    assert await paper.open_orders() == [] and engine.executor.submitted == 0, "nothing went out late"
    assert engine.counters["intents_expired"] == 1


async def test_the_stale_data_guard_is_wired_into_the_live_risk_chain(tmp_path):
    engine, paper = engine_for(tmp_path, ScriptParams(buy_at=3, qty=0.5), risk={"max_data_age_ms": 1e-6})
    summary = await engine.run(duration_s=0.2)
    (rejection,) = engine.host.strategy.rejections
    assert "max_data_age_ms" in rejection.reason and rejection.source == "risk"
    assert summary.orders_placed == 0 and await paper.open_orders() == []
