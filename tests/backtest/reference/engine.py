"""Reference backtester: docs/backtesting.md written as plainly as possible.

Everything here is plain Python (lists, loops, floats); there is no numpy. Speed does not matter,
being obviously right does. Conventions that docs/backtesting.md leaves open are decided here and
marked "CONVENTION" so the lead can check them against the engine:

- A bar event's ``ts`` is its open time. Fills are matched when ``order.eligible_ts <= bar.ts`` (the
  open time), and a fill on a bar is stamped with the bar's open time. The strategy sees the bar at
  ``bar.ts + bar_interval`` (``ctx.now()``), which is the ``submit_ts`` of what it submits. The
  equity point of an event is stamped with the event's ``ts`` (a bar's open time, like its fills),
  although its value uses the bar's close.
- Every quantity, given by the strategy or computed by the sizing rule, is rounded down to the
  lot size: ``floor(q / lot + 1e-9) * lot`` (the 1e-9 of a lot absorbs representation error: 0.3
  with lot 0.1 is 3 lots, not 2). An order against the position whose quantity is within 1e-9
  (relative, at least 1e-9 absolute) of it is set to exactly the position, so it flattens.
- A stop is triggered by the price condition alone, even when the trade / displayed size has
  already been used up by earlier orders of the same event; it then stays triggered.
- A position is flat when it is exactly 0.0, an order is done when its remaining quantity is
  exactly 0.0 (no epsilon anywhere).
- Risk checks recompute "position + working orders on the order's side" from the current working
  orders (remaining quantities, summed in submission order) every time: no running totals.
- After a halt, then ``reduce_only``, an intent with a quantity <= 0 (after sizing and rounding) is
  rejected with reason ``zero_quantity`` before the risk rules run.
- The kill switch judges the equity of every event right after marking, at the time the strategy
  sees the event (``ctx.now()``); the UTC day of that time picks the day's opening equity. Once it
  fires the strategy is never called again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

# ----------------------------------------------------------------------------------------------
# Market data


class Bar(NamedTuple):
    ts: int  # open time, ns
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


class Trade(NamedTuple):
    ts: int
    price: float
    size: float


class Quote(NamedTuple):
    ts: int
    bid: float
    bid_size: float
    ask: float
    ask_size: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


KINDS = ("bars", "trades", "quotes")
LOT_EPS = 1e-9  # in lots

# ----------------------------------------------------------------------------------------------
# Configuration


@dataclass
class Config:
    capital: float = 10_000.0
    bar_interval_ns: int | None = None  # None: the most common gap between consecutive bars
    sizing: tuple[str, float] = ("fixed_quantity", 1.0)  # or fixed_notional / fraction_of_equity
    maker_bps: float = 0.0
    taker_bps: float = 0.0
    slippage_bps: float = 0.0
    slippage_ticks: float = 0.0
    tick_size: float = 0.0
    lot_size: float = 0.0
    latency_ns: int = 0
    max_order_qty: float | None = None
    max_order_notional: float | None = None
    max_position: float | None = None
    allow_short: bool = True
    max_gross_exposure: float | None = None
    max_net_exposure: float | None = None
    max_open_orders: int | None = None
    reduce_only: bool = False
    max_daily_loss: float | None = None
    max_drawdown_pct: float | None = None
    flatten_on_kill: bool = False


NS_PER_DAY = 86_400 * 10**9
_UNITS = {
    "ns": 1,
    "us": 10**3,
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
    "d": 86400 * 10**9,
    "w": 7 * 86400 * 10**9,
}


def parse_interval(text: str | int) -> int:
    """'1m' -> 60_000_000_000. Integers are taken as nanoseconds."""
    if isinstance(text, int):
        return text
    text = text.strip()
    digits = ""
    while text and (text[0].isdigit() or text[0] == "."):
        digits += text[0]
        text = text[1:]
    if not digits or text not in _UNITS:
        raise ValueError(f"bad interval {text!r}")
    return int(float(digits) * _UNITS[text])


def config_from_spec(spec: dict[str, Any]) -> tuple[Config, str, list[str]]:
    """Translate a botkit backtest spec (as a dict) into (Config, data kind, symbols)."""
    data = spec.get("data", {})
    sizing = spec.get("sizing") or {"fixed_quantity": 1.0}
    if len(sizing) != 1:
        raise ValueError(f"sizing needs exactly one rule: {sizing}")
    ((sizing_kind, sizing_value),) = sizing.items()
    fees = spec.get("fees") or {}
    slippage = spec.get("slippage") or {}
    instrument = spec.get("instrument") or {}
    risk = spec.get("risk") or {}
    interval = data.get("bar_interval")
    cfg = Config(
        capital=float(spec.get("capital", 10_000.0)),
        bar_interval_ns=None if interval is None else parse_interval(interval),
        sizing=(sizing_kind, float(sizing_value)),
        maker_bps=float(fees.get("maker_bps", 0.0)),
        taker_bps=float(fees.get("taker_bps", 0.0)),
        slippage_bps=float(slippage.get("bps", 0.0) or 0.0),
        slippage_ticks=float(slippage.get("ticks", 0.0) or 0.0),
        tick_size=float(instrument.get("tick_size", 0.0) or 0.0),
        lot_size=float(instrument.get("lot_size", 0.0) or 0.0),
        latency_ns=int(spec.get("latency_ns", 0) or 0),
        max_order_qty=risk.get("max_order_qty"),
        max_order_notional=risk.get("max_order_notional"),
        max_position=risk.get("max_position"),
        allow_short=bool(risk.get("allow_short", True)),
        max_gross_exposure=risk.get("max_gross_exposure"),
        max_net_exposure=risk.get("max_net_exposure"),
        max_open_orders=risk.get("max_open_orders"),
        reduce_only=bool(risk.get("reduce_only", False)),
        max_daily_loss=risk.get("max_daily_loss"),
        max_drawdown_pct=risk.get("max_drawdown_pct"),
        flatten_on_kill=bool(risk.get("flatten_on_kill", False)),
    )
    return cfg, data.get("kind", "bars"), list(data.get("symbols", []))


# ----------------------------------------------------------------------------------------------
# Orders and results


@dataclass
class Order:
    id: int
    symbol: str
    side: int  # +1 buy, -1 sell
    qty: float
    type: str  # "market" | "limit" | "stop"
    price: float | None  # limit or stop price
    submit_ts: int
    eligible_ts: int
    remaining: float = 0.0
    triggered: bool = False  # stops only
    status: str = "working"  # working | filled | canceled | expired


class Fill(NamedTuple):
    ts: int
    symbol: str
    side: int
    qty: float
    price: float
    fee: float
    liquidity: str  # "maker" | "taker"
    order_id: int


class Rejection(NamedTuple):
    ts: int
    symbol: str
    side: int
    qty: float | None
    type: str
    price: float | None
    reason: str  # halted | reduce_only | zero_quantity | no_price | max_order_qty | max_order_notional
    #              | max_position | allow_short | max_gross_exposure | max_net_exposure | max_open_orders


@dataclass
class RoundTrip:
    symbol: str
    open_ts: int
    close_ts: int | None = None
    flow: float = 0.0  # sells - buys
    fees: float = 0.0

    @property
    def pnl(self) -> float:
        return self.flow - self.fees


@dataclass
class Result:
    fills: list[Fill]
    equity: list[tuple[int, float]]
    final_equity: float
    trades: int
    round_trips: list[RoundTrip]
    rejections: list[Rejection]
    cash: float
    positions: dict[str, float]
    last_prices: dict[str, float]
    orders: list[Order]
    fees: float
    kill_switch: tuple[int, str] | None = None  # (when, "daily_loss" | "max_drawdown")


# ----------------------------------------------------------------------------------------------
# The engine


def _side_sign(side: int | str) -> int:
    if side in (1, "buy", "BUY"):
        return 1
    if side in (-1, "sell", "SELL"):
        return -1
    raise ValueError(f"bad side {side!r}")


class Context:
    """What a strategy can do: look at its state and submit or cancel orders."""

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine

    def now(self) -> int:
        return self._engine.now

    def position(self, symbol: str) -> float:
        return self._engine.positions[symbol]

    def cash(self) -> float:
        return self._engine.cash

    def equity(self) -> float:
        return self._engine.equity()

    def last_price(self, symbol: str) -> float | None:
        return self._engine.last_prices.get(symbol)

    def working_orders(self, symbol: str | None = None) -> list[Order]:
        return [o for o in self._engine.working if symbol is None or o.symbol == symbol]

    def submit(
        self,
        symbol: str,
        side: int | str,
        qty: float | None = None,
        order_type: str = "market",
        price: float | None = None,
    ) -> int | None:
        """Submit an intent; returns the order id, or None if it was rejected."""
        return self._engine.submit(symbol, _side_sign(side), qty, order_type, price)

    def buy(
        self,
        symbol: str,
        qty: float | None = None,
        *,
        limit: float | None = None,
        stop: float | None = None,
    ) -> int | None:
        return self._submit_kind(symbol, 1, qty, limit, stop)

    def sell(
        self,
        symbol: str,
        qty: float | None = None,
        *,
        limit: float | None = None,
        stop: float | None = None,
    ) -> int | None:
        return self._submit_kind(symbol, -1, qty, limit, stop)

    def _submit_kind(
        self, symbol: str, side: int, qty: float | None, limit: float | None, stop: float | None
    ) -> int | None:
        if limit is not None and stop is not None:
            raise ValueError("an order is a limit or a stop, not both")
        if limit is not None:
            return self._engine.submit(symbol, side, qty, "limit", limit)
        if stop is not None:
            return self._engine.submit(symbol, side, qty, "stop", stop)
        return self._engine.submit(symbol, side, qty, "market", None)

    def cancel(self, order_id: int) -> bool:
        return self._engine.cancel(order_id)

    def cancel_all(self, symbol: str | None = None) -> int:
        n = 0
        for order in list(self._engine.working):
            if symbol is None or order.symbol == symbol:
                n += self._engine.cancel(order.id)
        return n


class _Engine:
    def __init__(
        self, symbols: list[str], kind: str, strategy: Any, cfg: Config, bar_interval_ns: int
    ) -> None:
        self.symbols = symbols
        self.kind = kind
        self.strategy = strategy
        self.cfg = cfg
        self.bar_interval_ns = bar_interval_ns
        self.cash = float(cfg.capital)
        self.positions = {s: 0.0 for s in symbols}
        self.last_prices: dict[str, float] = {}
        self.working: list[Order] = []  # in submission order
        self.orders: list[Order] = []
        self.fills: list[Fill] = []
        self.rejections: list[Rejection] = []
        self.equity_points: list[tuple[int, float]] = []
        self.open_trips: dict[str, RoundTrip | None] = {s: None for s in symbols}
        self.closed_trips: list[RoundTrip] = []
        self.total_fees = 0.0
        self.now = 0
        self.next_id = 1
        self.ctx = Context(self)
        # kill switch
        self.halted = False
        self.kill_switch: tuple[int, str] | None = None
        self.day: int | None = None
        self.day_open = 0.0
        self.peak = -math.inf

    # -- state ---------------------------------------------------------------------------------

    def equity(self) -> float:
        total = self.cash
        for s in self.symbols:
            if self.positions[s] != 0.0:
                total += self.positions[s] * self.last_prices[s]
        return total

    # -- orders --------------------------------------------------------------------------------

    def submit(
        self, symbol: str, side: int, qty: float | None, order_type: str, price: float | None
    ) -> int | None:
        if symbol not in self.positions:
            raise ValueError(f"unknown symbol {symbol!r}")
        if order_type not in ("market", "limit", "stop"):
            raise ValueError(f"bad order type {order_type!r}")
        if order_type != "market" and price is None:
            raise ValueError(f"a {order_type} order needs a price")
        ref = self.last_prices.get(symbol)

        def reject(reason: str, q: float | None) -> None:
            rej = Rejection(self.now, symbol, side, q, order_type, price, reason)
            self.rejections.append(rej)
            hook = getattr(self.strategy, "on_order_rejected", None)
            if hook is not None:
                hook(self.ctx, rej)

        # Sizing
        if qty is None:
            if ref is None:
                reject("no_price", None)
                return None
            rule, value = self.cfg.sizing
            if rule == "fixed_quantity":
                q = value
            elif rule == "fixed_notional":
                q = value / ref
            elif rule == "fraction_of_equity":
                q = value * self.equity() / ref
            else:
                raise ValueError(f"unknown sizing rule {rule!r}")
        else:
            q = float(qty)
        if self.cfg.lot_size > 0:
            # Whole lots, rounded down; LOT_EPS absorbs representation error, so that
            # 0.3 / 0.1 = 2.9999999999999996 counts as the 3 lots it means.
            q = math.floor(q / self.cfg.lot_size + LOT_EPS) * self.cfg.lot_size
        held = abs(self.positions[symbol])
        if side * self.positions[symbol] < 0 and abs(q - held) <= 1e-9 * max(1.0, held):
            q = held  # "sell what I hold" flattens exactly
        cfg = self.cfg
        position = self.positions[symbol]
        # Working orders count on their own side only: a working sell never makes room for a buy.
        working = 0.0
        for o in self.working:
            if o.symbol == symbol and o.side == side:
                working += o.side * o.remaining
        # The trading state comes first: halted, then reduce-only.
        if self.halted:
            reject("halted", q)
            return None
        if cfg.reduce_only:
            reduces = side * position < 0 and abs(working) + q <= abs(position) * (1 + 1e-9)
            if not reduces:
                reject("reduce_only", q)
                return None
        if not q > 0:
            reject("zero_quantity", q)
            return None

        # Risk rules, in order; the first that objects rejects.
        if cfg.max_order_qty is not None and q > cfg.max_order_qty:
            reject("max_order_qty", q)
            return None
        if cfg.max_order_notional is not None:
            if ref is None:
                reject("no_price", q)
                return None
            if q * ref > cfg.max_order_notional:
                reject("max_order_notional", q)
                return None
        exposed = position + working
        after = exposed + side * q
        # an order that brings the exposure nearer to zero is always allowed
        if cfg.max_position is not None and abs(after) > cfg.max_position * (1 + 1e-9) and abs(after) > abs(exposed):
            reject("max_position", q)
            return None
        if not cfg.allow_short and after < 0:
            reject("allow_short", q)
            return None
        if cfg.max_gross_exposure is not None or cfg.max_net_exposure is not None:
            if ref is None:
                reject("no_price", q)
                return None
            # other symbols: their positions at their last prices, in the spec's symbol order
            gross_others = 0.0
            net_others = 0.0
            for s in self.symbols:
                if s != symbol and self.positions[s] != 0.0:
                    gross_others += abs(self.positions[s]) * self.last_prices[s]
                    net_others += self.positions[s] * self.last_prices[s]
            value_before = exposed * ref
            value_after = after * ref
            limit = cfg.max_gross_exposure
            gross_before = gross_others + abs(value_before)
            gross_after = gross_others + abs(value_after)
            if limit is not None and gross_after > limit * (1 + 1e-9) and gross_after > gross_before:
                reject("max_gross_exposure", q)
                return None
            limit = cfg.max_net_exposure
            net_after = abs(net_others + value_after)
            if limit is not None and net_after > limit * (1 + 1e-9) and net_after > abs(net_others + value_before):
                reject("max_net_exposure", q)
                return None
        if cfg.max_open_orders is not None and len(self.working) >= cfg.max_open_orders:
            reject("max_open_orders", q)
            return None
        return self._place(symbol, side, q, order_type, price)

    def _place(self, symbol: str, side: int, q: float, order_type: str, price: float | None) -> int:
        order = Order(
            id=self.next_id,
            symbol=symbol,
            side=side,
            qty=q,
            type=order_type,
            price=None if price is None else float(price),
            submit_ts=self.now,
            eligible_ts=self.now + self.cfg.latency_ns,
            remaining=q,
        )
        self.next_id += 1
        self.working.append(order)
        self.orders.append(order)
        return order.id

    # -- kill switch ---------------------------------------------------------------------------

    def watch_equity(self, equity: float) -> None:
        """Daily loss from the first equity of the UTC day, drawdown % from the highest equity."""
        cfg = self.cfg
        if cfg.max_daily_loss is None and cfg.max_drawdown_pct is None:
            return
        day = self.now // NS_PER_DAY
        if day != self.day:
            self.day = day
            self.day_open = equity
        if equity > self.peak:
            self.peak = equity
        if cfg.max_daily_loss is not None and self.day_open - equity >= cfg.max_daily_loss:
            self.trip("daily_loss")
        elif (
            cfg.max_drawdown_pct is not None
            and self.peak > 0
            and (self.peak - equity) / self.peak * 100.0 >= cfg.max_drawdown_pct
        ):
            self.trip("max_drawdown")

    def trip(self, reason: str) -> None:
        """Halt: cancel every working order, then close every position at market if asked to."""
        self.halted = True
        self.kill_switch = (self.now, reason)
        for order in list(self.working):
            self.cancel(order.id)
        if self.cfg.flatten_on_kill:
            for s in self.symbols:
                held = self.positions[s]
                if held != 0.0:
                    self._place(s, -1 if held > 0 else 1, abs(held), "market", None)

    def cancel(self, order_id: int) -> bool:
        for i, o in enumerate(self.working):
            if o.id == order_id:
                o.status = "canceled"
                del self.working[i]
                return True
        return False

    # -- fills ---------------------------------------------------------------------------------

    def slip(self, price: float, side: int) -> float:
        """Move a price against the order: buys pay more, sells get less."""
        if self.cfg.slippage_ticks:
            return price + side * self.cfg.slippage_ticks * self.cfg.tick_size
        if self.cfg.slippage_bps:
            return price * (1.0 + side * self.cfg.slippage_bps / 10_000.0)
        return price

    def fill(self, order: Order, ts: int, qty: float, price: float) -> None:
        liquidity = "maker" if order.type == "limit" else "taker"
        bps = self.cfg.maker_bps if liquidity == "maker" else self.cfg.taker_bps
        fee = qty * price * bps / 10_000.0
        if order.side == 1:
            self.cash -= qty * price + fee
        else:
            self.cash += qty * price - fee
        self.total_fees += fee
        self._round_trip(order.symbol, order.side, qty, price, fee, ts)
        self.positions[order.symbol] += order.side * qty
        order.remaining -= qty
        if order.remaining == 0.0:
            order.status = "filled"
            self.working.remove(order)
        self.fills.append(Fill(ts, order.symbol, order.side, qty, price, fee, liquidity, order.id))

    def _round_trip(
        self, symbol: str, side: int, qty: float, price: float, fee: float, ts: int
    ) -> None:
        before = self.positions[symbol]
        after = before + side * qty
        trip = self.open_trips[symbol]
        if trip is None:  # flat -> open
            trip = RoundTrip(symbol, ts)
            self.open_trips[symbol] = trip
            trip.flow -= side * qty * price
            trip.fees += fee
            if after == 0.0:  # cannot happen (qty > 0) but keep the books straight
                trip.close_ts = ts
                self.closed_trips.append(trip)
                self.open_trips[symbol] = None
            return
        if after == 0.0 or (after > 0) == (before > 0):  # same direction, or closes exactly
            trip.flow -= side * qty * price
            trip.fees += fee
            if after == 0.0:
                trip.close_ts = ts
                self.closed_trips.append(trip)
                self.open_trips[symbol] = None
            return
        # Flip: close the current trip with |before| of the quantity, open the next one.
        closing = abs(before)
        opening = qty - closing
        closing_fee = fee * closing / qty
        trip.flow -= side * closing * price
        trip.fees += closing_fee
        trip.close_ts = ts
        self.closed_trips.append(trip)
        nxt = RoundTrip(symbol, ts)
        nxt.flow -= side * opening * price
        nxt.fees += fee - closing_fee
        self.open_trips[symbol] = nxt

    def match_bar(self, symbol: str, bar: Bar) -> None:
        for order in list(self.working):
            if order.symbol != symbol or order.eligible_ts > bar.ts:
                continue
            price = None
            P = order.price
            if order.type == "market":
                price = self.slip(bar.open, order.side)
            elif order.type == "limit":
                if order.side == 1 and bar.low <= P:
                    price = min(bar.open, P)
                elif order.side == -1 and bar.high >= P:
                    price = max(bar.open, P)
            else:  # stop
                if order.side == 1 and bar.high >= P:
                    price = self.slip(max(bar.open, P), 1)
                elif order.side == -1 and bar.low <= P:
                    price = self.slip(min(bar.open, P), -1)
            if price is not None:
                self.fill(order, bar.ts, order.remaining, price)  # bars fill everything

    def match_trade(self, symbol: str, trade: Trade) -> None:
        available = trade.size
        for order in list(self.working):
            if order.symbol != symbol or order.eligible_ts > trade.ts:
                continue
            price = None
            P = order.price
            if order.type == "market":
                price = self.slip(trade.price, order.side)
            elif order.type == "limit":
                if (order.side == 1 and trade.price <= P) or (
                    order.side == -1 and trade.price >= P
                ):
                    price = P
            else:  # stop
                if not order.triggered and (
                    (order.side == 1 and trade.price >= P)
                    or (order.side == -1 and trade.price <= P)
                ):
                    order.triggered = True
                if order.triggered:
                    price = self.slip(trade.price, order.side)
            if price is None:
                continue
            qty = min(order.remaining, available)
            if qty > 0:
                available -= qty
                self.fill(order, trade.ts, qty, price)

    def match_quote(self, symbol: str, quote: Quote) -> None:
        available = {1: quote.ask_size, -1: quote.bid_size}  # buys take the ask, sells the bid
        for order in list(self.working):
            if order.symbol != symbol or order.eligible_ts > quote.ts:
                continue
            price = None
            P = order.price
            touch = quote.ask if order.side == 1 else quote.bid
            if order.type == "market":
                price = self.slip(touch, order.side)
            elif order.type == "limit":
                if (order.side == 1 and quote.ask <= P) or (order.side == -1 and quote.bid >= P):
                    price = P
            else:  # stop
                if not order.triggered and (
                    (order.side == 1 and quote.ask >= P) or (order.side == -1 and quote.bid <= P)
                ):
                    order.triggered = True
                if order.triggered:
                    price = self.slip(touch, order.side)
            if price is None:
                continue
            qty = min(order.remaining, available[order.side])
            if qty > 0:
                available[order.side] -= qty
                self.fill(order, quote.ts, qty, price)

    # -- the loop ------------------------------------------------------------------------------

    def run(self, events: list[tuple[str, Any]]) -> None:
        for symbol, ev in events:
            # 1. fills
            if self.kind == "bars":
                self.match_bar(symbol, ev)
            elif self.kind == "trades":
                self.match_trade(symbol, ev)
            else:
                self.match_quote(symbol, ev)
            # 2. mark to market
            if self.kind == "bars":
                self.last_prices[symbol] = ev.close
                seen = ev.ts + self.bar_interval_ns
            elif self.kind == "trades":
                self.last_prices[symbol] = ev.price
                seen = ev.ts
            else:
                self.last_prices[symbol] = ev.mid
                seen = ev.ts
            self.now = seen
            equity = self.equity()
            self.equity_points.append((ev.ts, equity))
            if not self.halted:
                self.watch_equity(equity)
            if self.halted:
                continue  # a halted bot's strategy is not called
            # 3. strategy
            hook = getattr(
                self.strategy,
                {"bars": "on_bar", "trades": "on_trade", "quotes": "on_quote"}[self.kind],
                None,
            )
            if hook is not None:
                hook(self.ctx, symbol, ev)
        for order in self.working:
            order.status = "expired"


def most_common_gap(data: dict[str, list[Bar]]) -> int:
    counts: dict[int, int] = {}
    for bars in data.values():
        for a, b in pairwise(bars):
            gap = b.ts - a.ts
            if gap > 0:
                counts[gap] = counts.get(gap, 0) + 1
    if not counts:
        return 0
    best = max(counts.values())
    return min(g for g, c in counts.items() if c == best)  # ties: the smallest gap


def run_backtest(
    data: dict[str, list[Any]],
    kind: str,
    strategy: Any,
    cfg: Config | None = None,
    symbols: list[str] | None = None,
) -> Result:
    """Replay ``data`` (symbol -> events sorted by ts) through ``strategy``."""
    cfg = cfg or Config()
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if cfg.slippage_bps and cfg.slippage_ticks:
        raise ValueError("slippage is either bps or ticks")
    symbols = list(symbols) if symbols is not None else list(data)
    for s in symbols:
        for a, b in pairwise(data[s]):
            if b.ts < a.ts:
                raise ValueError(f"{s}: events are not sorted by ts")
    interval = 0
    if kind == "bars":
        interval = (
            cfg.bar_interval_ns
            if cfg.bar_interval_ns is not None
            else most_common_gap({s: data[s] for s in symbols})
        )
    # Merge by ts; ties keep the symbol order of the spec, then the data order.
    keyed = []
    for si, s in enumerate(symbols):
        for k, ev in enumerate(data[s]):
            keyed.append(((ev.ts, si, k), s, ev))
    keyed.sort(key=lambda item: item[0])
    engine = _Engine(symbols, kind, strategy, cfg, interval)
    engine.run([(s, ev) for _, s, ev in keyed])
    return Result(
        fills=engine.fills,
        equity=engine.equity_points,
        final_equity=engine.equity(),
        trades=len(engine.closed_trips),
        round_trips=engine.closed_trips,
        rejections=engine.rejections,
        cash=engine.cash,
        positions=dict(engine.positions),
        last_prices=dict(engine.last_prices),
        orders=engine.orders,
        fees=engine.total_fees,
        kill_switch=engine.kill_switch,
    )
