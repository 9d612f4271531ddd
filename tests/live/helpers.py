"""Test helpers for the live engine: scripted market data and tiny strategies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from pathlib import Path
from typing import Any

from botkit.model.enums import OrderType, Side
from botkit.model.events import MarketEvent, Quote
from botkit.model.order_events import OrderFilled, OrderRejected
from botkit.model.orders import OrderIntent
from botkit.settings import BotConfig, validate_bot_config
from botkit.strategy.base import Strategy, StrategyParams


class ScriptedData:
    """A MarketDataClient that plays a list of events, then waits until closed."""

    venue = "scripted"

    def __init__(self, events: Sequence[MarketEvent], gap_s: float = 0.002) -> None:
        self.events = list(events)
        self.gap_s = gap_s
        self.closed = asyncio.Event()

    async def stream(self, symbols: Collection[str] | None = None) -> AsyncIterator[MarketEvent]:
        for event in self.events:
            await asyncio.sleep(self.gap_s)
            yield event
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


def quotes(n: int, start: float = 100.0, step: float = 0.0, symbol: str = "BTCUSD") -> list[Quote]:
    return [Quote(i + 1, symbol, start + i * step - 0.5, 10.0, start + i * step + 0.5, 10.0) for i in range(n)]


class ScriptParams(StrategyParams):
    """Which quote number triggers what."""

    buy_at: int = 3
    limit_price: float | None = None
    raise_at: int | None = None
    qty: float | None = 1.0


class ScriptedStrategy(Strategy[ScriptParams]):
    """Buys once at quote ``buy_at`` (market, or limit at ``limit_price``); may raise at ``raise_at``."""

    Params = ScriptParams

    def on_start(self) -> None:
        self.n = 0
        self.fills: list[OrderFilled] = []
        self.rejections: list[OrderRejected] = []

    def on_quote(self, quote: Quote) -> Any:
        self.n += 1
        if self.params.raise_at is not None and self.n == self.params.raise_at:
            raise RuntimeError("boom")
        if self.n == self.params.buy_at:
            if self.params.limit_price is None:
                self.ctx.buy(self.params.qty)
            else:
                return OrderIntent(quote.symbol, Side.BUY, self.params.qty, OrderType.LIMIT,
                                   limit_price=self.params.limit_price)
        return None

    def on_order_filled(self, event: OrderFilled) -> None:
        self.fills.append(event)

    def on_order_rejected(self, event: OrderRejected) -> None:
        self.rejections.append(event)


def bot_config(tmp_path: Path, **changes: Any) -> BotConfig:
    data: dict[str, Any] = {
        "name": "t", "strategy": "x:y", "symbols": ["BTCUSD"], "mode": "paper", "state_dir": str(tmp_path),
        "engine": {"market_data": "quotes", "state_save_interval_s": 0.2},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return validate_bot_config(data, "test")
