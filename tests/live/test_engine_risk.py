"""Each live risk rule trips in a running engine with its stable code; the kill switch fires, latches, re-arms."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.live.state import StateStore
from botkit.model.enums import OrderType, Side
from botkit.model.events import BookGap, BookResynced, MarketEvent, Quote
from botkit.model.instruments import Instrument
from botkit.model.order_events import OrderFilled, OrderRejected
from botkit.model.orders import OrderIntent, OrderStatus
from botkit.risk.engine import TradingState
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.context import TimerFired

from .helpers import ScriptedData, bot_config, quotes

INSTRUMENTS = {"BTCUSD": Instrument("BTCUSD", tick_size=0.1, lot_size=0.001)}


class ProbeParams(StrategyParams):
    """What the probe does on which quote."""

    buy_on: int = 1
    orders: int = 1
    kind: str = "limit"
    qty: float = 1.0
    cancels: int = 0
    timer_ns: int | None = None


class Probe(Strategy[ProbeParams]):
    """On quote ``buy_on``: ``orders`` buys (limits far below the market, or market orders); records everything."""

    Params = ProbeParams

    def on_start(self) -> None:
        self.n = 0
        self.codes: list[str] = []
        self.rejections: list[OrderRejected] = []
        self.fills: list[OrderFilled] = []
        self.gaps: list[Any] = []
        self.cancels_sent = 0

    def on_quote(self, quote: Quote) -> Any:
        self.n += 1
        if self.n == self.params.timer_ns:
            self.ctx.set_timer(self.ctx.now() + 150_000_000, "late")
        if self.n != self.params.buy_on:
            return None
        intents = [self._intent(quote) for _ in range(self.params.orders)]
        if self.params.cancels:
            for intent in intents:
                self.ctx.limit(Side.BUY, intent.qty, intent.limit_price or 50.0)
            self.cancels_sent = sum(self.ctx.cancel(o.client_order_id) for o in self.ctx.open_orders())
            return None
        return intents

    def _intent(self, quote: Quote) -> OrderIntent:
        if self.params.kind == "market":
            return OrderIntent(quote.symbol, Side.BUY, self.params.qty)
        return OrderIntent(quote.symbol, Side.BUY, self.params.qty, OrderType.LIMIT, limit_price=50.0)

    def on_timer(self, event: TimerFired) -> None:
        self.ctx.buy(self.params.qty)

    def on_book_gap(self, event: BookGap) -> None:
        self.gaps.append(event)
        self.ctx.buy(self.params.qty)

    def on_book_resynced(self, event: BookResynced) -> None:
        self.gaps.append(event)
        self.ctx.buy(self.params.qty)

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.rejections.append(event)
        self.codes.append(event.code)

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)


def engine_for(tmp_path, params: ProbeParams, events: list[MarketEvent] | None = None, **config: Any) -> LiveEngine:
    cfg = bot_config(tmp_path, **config)
    paper = PaperExecutionClient(maker_bps=0, taker_bps=0, queue_fills=False)
    return LiveEngine(cfg, strategy_cls=Probe, params=params, data=ScriptedData(events or quotes(10)),
                      execution=paper, instruments=INSTRUMENTS)


@pytest.mark.parametrize(("risk", "params", "code", "refused"), [
    ({"max_open_orders": 3}, ProbeParams(orders=5), "max_open_orders", 2),
    ({"max_orders_per_s": 2}, ProbeParams(orders=5), "order_rate", 3),
    ({"reduce_only": True}, ProbeParams(orders=1), "reduce_only", 1),
    ({"max_gross_exposure": 40.0}, ProbeParams(orders=1), "max_gross_exposure", 1),
    ({"max_net_exposure": 120.0}, ProbeParams(orders=3), "max_net_exposure", 1),
    ({"max_position": 2.0}, ProbeParams(orders=3), "max_position", 1),
])
async def test_each_rule_refuses_with_its_stable_code(tmp_path, risk, params, code, refused):
    engine = engine_for(tmp_path, params, risk=risk)
    summary = await engine.run(duration_s=0.2)
    strategy = engine.host.strategy
    assert strategy.codes == [code] * refused
    assert summary.risk_rejections == refused
    rejection = strategy.rejections[0]
    assert rejection.rule.startswith("risk.") or rejection.rule == "engine"
    assert rejection.source == "risk" and rejection.reason


async def test_working_sells_do_not_make_room_for_buys(tmp_path):
    """A working sell may be canceled a moment later: it must not let a buy past max_position."""

    class SellThenBuy(Probe):
        def on_quote(self, quote: Quote) -> Any:
            self.n += 1
            if self.n == 1:
                return [OrderIntent(quote.symbol, Side.SELL, 1.0, OrderType.LIMIT, limit_price=500.0),
                        OrderIntent(quote.symbol, Side.BUY, 1.5, OrderType.LIMIT, limit_price=50.0)]
            return None

    cfg = bot_config(tmp_path, risk={"max_position": 1.0})
    engine = LiveEngine(cfg, strategy_cls=SellThenBuy, params=ProbeParams(), data=ScriptedData(quotes(5)),
                        execution=PaperExecutionClient(queue_fills=False), instruments=INSTRUMENTS)
    await engine.run(duration_s=0.2)
    assert engine.host.strategy.codes == ["max_position"]


async def test_cancel_rate_refuses_strategy_cancels_beyond_the_limit(tmp_path):
    engine = engine_for(tmp_path, ProbeParams(orders=3, cancels=3), risk={"max_cancels_per_s": 1})
    summary = await engine.run(duration_s=0.2)
    assert engine.host.strategy.cancels_sent == 1 and engine.host.cancels_refused == 2
    assert summary.count(OrderStatus.CANCELED) == 3, "the engine's own cancels at the stop are not rate limited"


async def test_a_resyncing_book_blocks_orders_and_reaches_the_strategy(tmp_path):
    events: list[MarketEvent] = [*quotes(2), BookGap(3, "BTCUSD", 10, 12), *quotes(2),
                                 BookResynced(6, "BTCUSD", 20), *quotes(2)]
    engine = engine_for(tmp_path, ProbeParams(buy_on=99, qty=0.5), events)
    await engine.run(duration_s=0.25)
    strategy = engine.host.strategy
    assert [type(e).__name__ for e in strategy.gaps] == ["BookGap", "BookResynced"]
    assert strategy.codes == ["book_resyncing"], "the buy on the gap is refused, the one after the resync is not"
    assert len(strategy.fills) == 1


async def test_a_frozen_feed_blocks_orders(tmp_path):
    engine = engine_for(tmp_path, ProbeParams(buy_on=99, timer_ns=10), risk={"max_data_age_ms": 80})
    await engine.run(duration_s=0.4)
    assert engine.host.strategy.codes == ["stale_data"]


def falling(n: int, start: float = 100.0, step: float = 1.0) -> list[Quote]:
    return quotes(n, start=start, step=-step)


async def test_the_kill_switch_fires_on_the_daily_loss_cancels_flattens_and_latches(tmp_path):
    params = ProbeParams(buy_on=2, kind="market", qty=1.0)
    risk = {"max_daily_loss": 4.0, "flatten_on_kill": True}
    engine = engine_for(tmp_path, params, falling(20), risk=risk, engine={"cancel_on_stop": False})
    summary = await engine.run(duration_s=0.4)
    assert engine.state is TradingState.HALTED and engine.halt_code == "daily_loss"
    assert summary.halt_reason is not None and "risk.max_daily_loss 4" in summary.halt_reason
    assert engine.ledger.position("BTCUSD") == 0.0, "flattened"
    flatten = [o for o in engine.oms.orders() if o.tag == "kill_switch"]
    assert len(flatten) == 1 and flatten[0].status is OrderStatus.FILLED and flatten[0].side is Side.SELL
    assert engine.host.strategy.n < 20, "no hooks after the trip"
    saved = json.loads((tmp_path / "t.state.json").read_text())
    assert saved["trading_state"] == "halted" and saved["kill_switch"]["day_open_equity"] == 100_000.0

    again = engine_for(tmp_path, params, quotes(5), risk=risk)
    summary = await again.run(duration_s=0.3)
    assert summary.state == "halted" and "still halted" in (summary.halt_reason or "")
    assert again.run_orders() == [], "a latched halt survives the restart: nothing is sent"

    assert StateStore(tmp_path / "t.state.json").arm() is not None
    armed = engine_for(tmp_path, params, quotes(5), risk=risk)
    summary = await armed.run(duration_s=0.3)
    assert summary.state == "active" and armed.run_orders()


async def test_the_kill_switch_fires_on_the_drawdown_without_flattening(tmp_path):
    params = ProbeParams(buy_on=2, kind="market", qty=1.0)
    engine = engine_for(tmp_path, params, falling(20), risk={"max_drawdown_pct": 0.005},
                        engine={"cancel_on_stop": False})
    await engine.run(duration_s=0.4)
    assert engine.halt_code == "max_drawdown" and engine.ledger.position("BTCUSD") == 1.0


async def test_the_status_endpoint_rearms_a_running_bot_with_the_operator_token(tmp_path, monkeypatch):
    monkeypatch.setenv("BOTKIT_ARM_TOKEN", "op-secret-1")
    params = ProbeParams(buy_on=2, kind="market", qty=1.0)
    events = [*falling(12), *quotes(200, start=88.0)]
    engine = engine_for(tmp_path, params, events, risk={"max_daily_loss": 4.0}, status_port=0)

    async def operator() -> dict[str, Any]:
        while engine.state is not TradingState.HALTED or engine.status_server is None:
            await asyncio.sleep(0.01)
        url = f"{engine.status_server.url}/arm"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{engine.status_server.url}/status") as response:
                status = await response.json()
            assert status["state"] == "halted" and status["halt_code"] == "daily_loss"
            assert status["kill_switch"]["max_daily_loss"] == 4.0
            async with http.post(url, headers={"Authorization": "Bearer wrong"}) as response:
                assert response.status == 401
                assert "op-secret-1" not in await response.text()
            async with http.post(url, headers={"Authorization": "Bearer op-secret-1"}) as response:
                assert response.status == 200
                body = await response.json()
        engine.request_stop()
        return body

    body, summary = await asyncio.gather(operator(), engine.run(duration_s=5.0))
    assert body["armed"] is True and "kill switch" in body["previous_halt_reason"]
    assert body["state"] == "active" and summary.state == "active"


async def test_the_arm_endpoint_is_off_without_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("BOTKIT_ARM_TOKEN", raising=False)
    engine = engine_for(tmp_path, ProbeParams(buy_on=99), status_port=0)

    async def operator() -> int:
        while engine.status_server is None or engine.status_server.url is None:
            await asyncio.sleep(0.01)
        async with aiohttp.ClientSession() as http, http.post(f"{engine.status_server.url}/arm") as response:
            status = response.status
        engine.request_stop()
        return status

    status, _ = await asyncio.gather(operator(), engine.run(duration_s=5.0))
    assert status == 403
