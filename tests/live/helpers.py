"""Test helpers for the live engine: scripted market data and tiny strategies."""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
import weakref
from collections.abc import AsyncIterator, Collection, Sequence
from pathlib import Path
from typing import Any

import aiohttp

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


# --- chaos testing: abrupt stops and the order requests' first bytes --------------------------------

_OWNER: contextvars.ContextVar[int | None] = contextvars.ContextVar("botkit_test_owner", default=None)


class TaskOwners:
    """Knows which tasks each "process" started, however indirectly, so all of them can die at once.

    Installed as the loop's task factory: a task belongs to the owner set in the context it was
    created in, and ``start(owner, coro)`` runs ``coro`` in a context naming ``owner``. Tasks of the
    simulator (created by its server callbacks) belong to nobody and are never touched.
    """

    def __init__(self) -> None:
        self.tasks: dict[int, weakref.WeakSet[asyncio.Task[Any]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def __enter__(self) -> TaskOwners:
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_task_factory()
        self._loop.set_task_factory(self._factory)  # type: ignore[arg-type]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        self._loop.set_task_factory(self._previous)

    def _factory(self, loop: asyncio.AbstractEventLoop, coro: Any, context: contextvars.Context | None = None) -> Any:
        task = asyncio.Task(coro, loop=loop, context=context)
        owner = context.get(_OWNER) if context is not None else _OWNER.get()
        if owner is not None:
            self.tasks.setdefault(owner, weakref.WeakSet()).add(task)
        return task

    def start(self, owner: int, coro: Any) -> asyncio.Task[Any]:
        """Run ``coro`` as a task of ``owner`` (and every task it starts)."""
        context = contextvars.copy_context()
        context.run(_OWNER.set, owner)
        assert self._loop is not None
        return self._loop.create_task(coro, context=context)

    async def kill(self, owner: int) -> int:
        """Cancel every live task of ``owner`` until none is left, as a ``kill -9`` ends a process; returns how many."""
        killed = 0
        for _ in range(20):
            live = [t for t in self.tasks.get(owner, ()) if not t.done()]
            if not live:
                break
            for task in live:
                task.cancel()
            killed += len(live)
            await asyncio.wait(live, timeout=2.0)
        return killed


class OrderWire:
    """Every ``POST /v5/order`` attempt's client order id and when its first byte was written (ns, wall clock).

    ``trace_config()`` gives an aiohttp TraceConfig for the REST client's session: the time is taken
    when the request headers are written, the client order id read from the body.
    """

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.first: dict[str, int] = {}

    def trace_config(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def headers_sent(session: Any, ctx: Any, params: aiohttp.TraceRequestHeadersSentParams) -> None:
            if params.method == "POST" and params.url.path.endswith("/order"):
                ctx.sent_ns = time.time_ns()

        async def chunk_sent(session: Any, ctx: Any, params: aiohttp.TraceRequestChunkSentParams) -> None:
            sent_ns = getattr(ctx, "sent_ns", None)
            if sent_ns is None:
                return
            ctx.sent_ns = None
            coid = json.loads(params.chunk)["client_order_id"]
            self.attempts.append((coid, sent_ns))
            self.first.setdefault(coid, sent_ns)

        config.on_request_headers_sent.append(headers_sent)
        config.on_request_chunk_sent.append(chunk_sent)
        return config
