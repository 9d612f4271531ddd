"""Paper trading: an ExecutionClient that fills against live market data like the backtester does.

The engine hands every market event to ``on_market_event`` before the strategy sees it, exactly
like the backtester's step 1 ("fills") before step 3 ("strategy"). So an order never fills on the
event that made the strategy place it, and the prices follow docs/backtesting.md:

- quotes: market buys at the ask (sells at the bid) plus slippage, limit buys at P once ask <= P,
  stops once the ask (bid) crosses P; at most the displayed size, shared in submission order;
- trades: at the trade price (limits at P once the price crosses it), at most the trade's size;
- book (``match_on="book"``): as quotes, against the top of the engine's book after each of its
  updates (``match_top``), which is where the backtester's book replay fills;
- fees: ``qty × price × bps / 10⁴``, maker rate for limit orders, taker rate for market and stop;
- slippage in bps and/or ticks (``tick_sizes``), applied as the backtester's ``slipped_price_nb``.

Latency, as the backtester counts it (docs/live.md, "Replay parity"): an order that arrives after
the paper book was handed a quote (trade, book top: whatever it matches on) stamped ``T`` becomes
eligible at ``T + latency_ns`` and fills on the first later one stamped at or after that. The
engine lets the orders and cancels decided on a market event reach this client before it hands
over the next event, so ``T`` is the venue time of the event the strategy decided on, as
``submit_ts`` is in a backtest.

A paper trade that disagrees with a backtest on the same data is a bug.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Literal

import structlog

from botkit.core.clock import Clock, LiveClock
from botkit.core.errors import NotFoundError, OrderRejected
from botkit.model.enums import OrderType, Side
from botkit.model.events import MarketEvent, Quote, Trade
from botkit.model.order_events import OrderEvent, OrderFilled
from botkit.model.orders import Fill, Liquidity, Order, OrderIntent, OrderStatus
from botkit.model.positions import Balance

log = structlog.get_logger("botkit.live.paper")

MatchOn = Literal["quotes", "trades", "book"]


class _Working:
    """A paper order that can still fill (mutable, private): from ``eligible_ts`` on (venue time)."""

    __slots__ = ("eligible_ts", "order", "tick", "triggered")

    def __init__(self, order: Order, eligible_ts: int, tick: float) -> None:
        self.order = order
        self.eligible_ts = eligible_ts
        self.tick = tick
        self.triggered = False


class PaperExecutionClient:
    """Fills the bot's orders locally against the live quotes or trades it is fed.

    ``on_market_event`` returns the fills it made; with ``queue_fills`` they are also delivered on
    ``order_events()`` like a venue's (the engine applies them at once and turns that off).
    """

    venue = "paper"

    def __init__(
        self,
        *,
        maker_bps: float = 0.0,
        taker_bps: float = 0.0,
        slippage_bps: float = 0.0,
        slippage_ticks: float = 0.0,
        tick_sizes: Mapping[str, float] | None = None,
        latency_ns: int = 0,
        match_on: MatchOn = "quotes",
        cash: float = 0.0,
        quote_asset: str = "USD",
        clock: Clock | None = None,
        queue_fills: bool = True,
    ) -> None:
        self.maker_bps = maker_bps
        self.taker_bps = taker_bps
        if slippage_ticks and not tick_sizes:
            raise ValueError("slippage_ticks needs the symbols' tick_sizes")
        if latency_ns < 0:
            raise ValueError(f"latency_ns must be >= 0, got {latency_ns}")
        self.slippage_bps = slippage_bps
        self.slippage_ticks = slippage_ticks
        self.tick_sizes = dict(tick_sizes or {})
        self.latency_ns = latency_ns
        self.match_on: MatchOn = match_on
        self.last_ts: int | None = None
        """Venue time of the last quote, trade or top matched against (None before the first)."""
        self.clock = clock or LiveClock()
        self._orders: dict[str, Order] = {}
        self._working: list[_Working] = []
        self._fills: list[Fill] = []
        self._events: asyncio.Queue[OrderEvent | None] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._cash = cash
        self._quote_asset = quote_asset
        self._closed = False
        self.queue_fills = queue_fills

    # --- ExecutionClient -----------------------------------------------------------------------
    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        """Accept the order (idempotent on ``client_order_id``); it fills on later market events."""
        known = self._orders.get(client_order_id)
        if known is not None:
            return known
        if intent.qty is None or not intent.qty > 0:
            raise OrderRejected(f"paper order {client_order_id}: qty must be > 0", "invalid quantity")
        order = Order(
            order_id=f"paper-{next(self._ids)}", client_order_id=client_order_id, symbol=intent.symbol,
            side=intent.side, qty=intent.qty, order_type=intent.order_type, status=OrderStatus.ACCEPTED,
            ts_created=self.clock.now_ns(), limit_price=intent.limit_price, stop_price=intent.stop_price,
            time_in_force=intent.time_in_force, post_only=intent.post_only, reduce_only=intent.reduce_only,
            tag=intent.tag,
        )
        self._orders[client_order_id] = order
        eligible = 0 if self.last_ts is None else self.last_ts + self.latency_ns
        self._working.append(_Working(order, eligible, self.tick_sizes.get(intent.symbol, 0.0)))
        return order

    async def cancel(self, client_order_id: str) -> Order:
        """Cancel a working paper order."""
        order = self._orders.get(client_order_id)
        if order is None:
            raise NotFoundError(f"paper order {client_order_id!r} is unknown")
        if not order.status.is_open:
            raise OrderRejected(f"paper order {client_order_id!r} is {order.status.value}", "order is not open")
        self._working = [w for w in self._working if w.order.client_order_id != client_order_id]
        order = self._orders[client_order_id] = order.with_status(OrderStatus.CANCELED)
        return order

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        """Working paper orders."""
        return [w.order for w in self._working if symbol is None or w.order.symbol == symbol]

    async def order(self, client_order_id: str) -> Order:
        """One paper order by client order id."""
        if client_order_id not in self._orders:
            raise NotFoundError(f"paper order {client_order_id!r} is unknown")
        return self._orders[client_order_id]

    async def fills(self, symbol: str | None = None, *, since_ns: int | None = None) -> Sequence[Fill]:
        """Paper fills so far (at or after ``since_ns``)."""
        return [f for f in self._fills if (symbol is None or f.symbol == symbol)
                and (since_ns is None or f.ts >= since_ns)]

    async def balances(self) -> Sequence[Balance]:
        """The paper cash (fills are accounted by the engine's ledger)."""
        return [Balance(self._quote_asset, self._cash)]

    async def order_events(self) -> AsyncIterator[OrderEvent]:
        """Fills as they happen, until closed."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def close(self) -> None:
        """End the event stream; safe to call twice."""
        if not self._closed:
            self._closed = True
            self._events.put_nowait(None)

    # --- matching ------------------------------------------------------------------------------
    def on_market_event(self, event: MarketEvent) -> list[OrderFilled]:
        """Match working orders against ``event``; returns (and queues) the fills it caused."""
        if isinstance(event, Quote) and self.match_on == "quotes":
            return self._match(event.symbol, event.ts, event.ask, event.ask_size, event.bid, event.bid_size,
                               shared=False)
        if isinstance(event, Trade) and self.match_on == "trades":
            return self._match(event.symbol, event.ts, event.price, event.size, event.price, event.size, shared=True)
        return []

    def match_top(self, top: Quote) -> list[OrderFilled]:
        """Match working orders against a top of book (``match_on="book"``: after each book update)."""
        return self._match(top.symbol, top.ts, top.ask, top.ask_size, top.bid, top.bid_size, shared=False)

    def _match(self, symbol: str, ts: int, buy_px: float, buy_avail: float, sell_px: float, sell_avail: float,
               *, shared: bool) -> list[OrderFilled]:
        self.last_ts = ts
        if not self._working:
            return []
        out: list[OrderFilled] = []
        kept: list[_Working] = []
        for w in self._working:
            order = w.order
            if order.symbol != symbol or w.eligible_ts > ts:
                kept.append(w)
                continue
            side = int(order.side)
            ref = buy_px if side > 0 else sell_px
            px = self._price(w, side, ref)
            avail = buy_avail if side > 0 else sell_avail
            done = False
            if not math.isnan(px) and avail > 0.0:
                remaining = order.remaining
                qty = remaining if remaining <= avail else avail
                if side > 0 or shared:
                    buy_avail -= qty
                if side < 0 or shared:
                    sell_avail -= qty
                out.append(self._fill(w, ts, qty, px))
                done = qty == remaining
            if not done:
                kept.append(w)
        self._working = kept
        return out

    def _price(self, w: _Working, side: int, ref: float) -> float:
        order = w.order
        if order.order_type is OrderType.STOP and not w.triggered:
            level = order.stop_price or 0.0
            w.triggered = (side > 0 and ref >= level) or (side < 0 and ref <= level)
        if order.order_type is OrderType.MARKET or (order.order_type is OrderType.STOP and w.triggered):
            if self.slippage_bps != 0.0:  # the backtester's slipped_price_nb, operation for operation
                ref = ref * (1.0 + side * self.slippage_bps / 10_000.0)
            if self.slippage_ticks != 0.0:
                ref = ref + side * self.slippage_ticks * w.tick
            return ref
        level = order.limit_price or 0.0
        if order.order_type is OrderType.LIMIT and ((side > 0 and ref <= level) or (side < 0 and ref >= level)):
            return level
        return math.nan

    def _fill(self, w: _Working, ts: int, qty: float, price: float) -> OrderFilled:
        maker = w.order.order_type is OrderType.LIMIT
        fee = qty * price * (self.maker_bps if maker else self.taker_bps) / 10_000.0
        w.order = w.order.with_fill(qty, price)
        self._orders[w.order.client_order_id] = w.order
        fill = Fill(
            ts=ts, order_id=w.order.order_id, client_order_id=w.order.client_order_id, symbol=w.order.symbol,
            side=Side(w.order.side), qty=qty, price=price, fee=fee,
            liquidity=Liquidity.MAKER if maker else Liquidity.TAKER, fill_id=f"paper-{uuid.uuid4().hex}",
        )
        self._fills.append(fill)
        self._cash -= int(fill.side) * qty * price + fee
        event = OrderFilled(ts, w.order, fill)
        if self.queue_fills:
            self._events.put_nowait(event)
        log.debug("paper.filled", client_order_id=fill.client_order_id, qty=qty, price=price, fee=fee)
        return event

