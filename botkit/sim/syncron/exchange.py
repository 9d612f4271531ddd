"""The simulated venue: order books, accounts and order lifecycles, with events for the feeds.

Every public method runs synchronously inside one *batch*: state changes first, then stop
triggers and reduce-only cuts, then one round of events to the listeners (one book delta per
symbol per batch). Nothing awaits inside a batch, so feeds and REST always see a settled venue.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from botkit.core.clock import Clock
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.orders import Liquidity
from botkit.sim.syncron.accounts import Account, AccountRegistry, AssetBalance
from botkit.sim.syncron.config import SimConfig, SymbolConfig
from botkit.sim.syncron.errors import ApiError, ErrorCode, invalid_parameter
from botkit.sim.syncron.events import Batch, ExchangeListener, publish
from botkit.sim.syncron.matching import OrderBook, RestingOrder
from botkit.sim.syncron.order_rules import OrderRequest, check_stop_not_reached, validate_order
from botkit.sim.syncron.order_store import OrderStore
from botkit.sim.syncron.records import FillRecord, SimOrder, TradeRecord, WireStatus
from botkit.sim.syncron.tape import TradeTape

ZERO = Decimal(0)


@dataclass(slots=True)
class Market:
    """One symbol's rules, book, tape and waiting stop orders."""

    spec: SymbolConfig
    book: OrderBook
    tape: TradeTape
    stops: list[SimOrder] = field(default_factory=list)
    top: tuple[object, ...] = ()


class Exchange:
    """All markets and accounts of one simulator, with the order lifecycle rules of the contract."""

    def __init__(self, config: SimConfig, clock: Clock) -> None:
        self._clock = clock
        self.accounts = AccountRegistry()
        for account_config in config.accounts:
            self.accounts.add(Account.from_config(account_config))
        self.markets = {
            s.symbol: Market(s, OrderBook(s.symbol), TradeTape(s.symbol, config.trades_kept))
            for s in config.symbols
        }
        self.orders = OrderStore()
        self._listeners: list[ExchangeListener] = []
        self._batch: Batch | None = None
        self._trade_ids = itertools.count(1)

    # ---------------------------------------------------------------- setup and lookups
    def now_ms(self) -> int:
        """The venue's time in ms."""
        return self._clock.now_ns() // 1_000_000

    def subscribe(self, listener: ExchangeListener) -> None:
        """Send every batch's events to ``listener``."""
        self._listeners.append(listener)

    def add_internal_account(self, account_id: str, balances: dict[str, Decimal]) -> Account:
        """An account for synthetic agents: no API key, no fees, finished orders not kept."""
        account = Account(
            account_id=account_id,
            api_key=f"internal:{account_id}",
            api_secret="",
            permissions=frozenset(),
            maker_rate=ZERO,
            taker_rate=ZERO,
            balances={a: AssetBalance(free=q) for a, q in balances.items()},
        )
        self.accounts.add(account)
        self.orders.internal.add(account_id)
        return account

    def market(self, symbol: str) -> Market:
        """The market of ``symbol``, or ``40001`` if the venue does not list it."""
        found = self.markets.get(symbol)
        if found is None:
            raise invalid_parameter("symbol", f"unknown symbol {symbol!r}")
        return found

    def mid_price(self, symbol: str) -> Decimal | None:
        """Mid of best bid and ask, else the last trade price, else None."""
        m = self.market(symbol)
        bid, ask = m.book.best_bid(), m.book.best_ask()
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        return m.tape.last_price

    # ---------------------------------------------------------------- commands
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several commands so their events go out once, as one book delta per symbol."""
        if self._batch is not None:
            yield
            return
        self._batch = Batch()
        try:
            yield
            self._settle()
        finally:
            batch, self._batch = self._batch, None
            publish(batch, self.markets, self.orders.internal, self._listeners)

    def place(self, account_id: str, req: OrderRequest) -> SimOrder:
        """Accept, match and possibly rest an order; the same client id returns the original."""
        with self.batch():
            account = self.accounts.get(account_id)
            if req.client_order_id is not None:
                known = self.orders.by_client_id(account_id, req.client_order_id)
                if known is not None:
                    return known
            market = self.market(req.symbol)
            req = validate_order(req, market.spec, self._reference_price(market, req.side))
            check_stop_not_reached(req, market.tape.last_price)
            qty = req.qty
            if req.reduce_only:
                pos = account.position(req.symbol).qty
                if (pos >= 0) if req.side is Side.BUY else (pos <= 0):
                    raise ApiError(
                        ErrorCode.REDUCE_ONLY_REJECTED,
                        "reduce-only order would increase the position",
                        {"position": str(pos)},
                    )
                qty = min(qty, abs(pos))
            now = self.now_ms()
            order = SimOrder(
                order_id=str(uuid.uuid4()),
                client_order_id=req.client_order_id or f"sx-{uuid.uuid4().hex[:16]}",
                account_id=account_id,
                symbol=req.symbol,
                side=req.side,
                order_type=req.order_type,
                time_in_force=req.time_in_force or TimeInForce.GTC,
                qty=qty,
                price=req.price,
                stop_price=req.stop_price,
                post_only=req.post_only,
                reduce_only=req.reduce_only,
                created_at=now,
                updated_at=now,
            )
            if order.order_type is OrderType.STOP:
                order.status = WireStatus.UNTRIGGERED
                self._register(order)
                market.stops.append(order)
            else:
                self._activate(order, market, account)
            return order

    def cancel(
        self, account_id: str, order_id: str | None = None, client_order_id: str | None = None
    ) -> SimOrder:
        """Cancel one open order; ``40401`` if unknown, ``40005`` if already finished."""
        with self.batch():
            order = self.orders.find(account_id, order_id, client_order_id)
            if not order.status.is_open:
                raise ApiError(
                    ErrorCode.ORDER_NOT_OPEN,
                    f"order is {order.status.value}",
                    {"order_id": order.order_id, "status": order.status.value},
                )
            self._finish(order, WireStatus.CANCELED, "user")
            return order

    def cancel_all(self, account_id: str, symbol: str | None = None) -> list[SimOrder]:
        """Cancel every open order of ``account_id`` (optionally of one symbol)."""
        with self.batch():
            if symbol is not None:
                self.market(symbol)
            orders = self.orders.open_orders(account_id, symbol)
            for order in orders:
                self._finish(order, WireStatus.CANCELED, "user")
            return orders

    # ---------------------------------------------------------------- order lifecycle
    def _reference_price(self, market: Market, side: Side) -> Decimal | None:
        best = market.book.best_ask() if side is Side.BUY else market.book.best_bid()
        return best if best is not None else market.tape.last_price

    def _register(self, order: SimOrder) -> None:
        self.orders.add(order)
        self._touch(order)

    def _touch(self, order: SimOrder) -> None:
        order.updated_at = self.now_ms()
        assert self._batch is not None
        self._batch.orders[order.order_id] = order
        self._batch.symbols[order.symbol] = None

    def _activate(self, order: SimOrder, market: Market, account: Account) -> None:
        """Check, reserve funds, match, and rest or expire the rest. Raises before any change."""
        book = market.book
        if order.post_only and order.price is not None and book.would_take(order.side, order.price):
            raise ApiError(
                ErrorCode.POST_ONLY_WOULD_TAKE,
                "post-only order would take liquidity",
                {"price": str(order.price)},
            )
        if order.time_in_force is TimeInForce.FOK:
            fillable, _ = book.walk(order.side, order.remaining, order.price)
            if fillable < order.remaining:
                if order.order_id not in self.orders:
                    self._register(order)
                self._finish(order, WireStatus.EXPIRED)
                return
        asset, amount = self._reservation(order, market, account)
        account.reserve(asset, amount)
        order.reserved = amount
        if order.order_id not in self.orders:
            self._register(order)
        self._match(order, market, account)
        if order.status.is_open:
            if order.time_in_force is TimeInForce.GTC and order.price is not None:
                book.add(
                    RestingOrder(
                        order.order_id, order.account_id, order.side, order.price, order.remaining
                    )
                )
            else:
                self._finish(order, WireStatus.EXPIRED)

    def _reservation(
        self, order: SimOrder, market: Market, account: Account
    ) -> tuple[str, Decimal]:
        if order.side is Side.SELL:
            return market.spec.base, order.remaining
        rate = 1 + max(account.maker_rate, account.taker_rate)
        if order.price is not None:
            return market.spec.quote, order.remaining * order.price * rate
        _, cost = market.book.walk(Side.BUY, order.remaining, None)
        return market.spec.quote, cost * rate

    def _match(self, order: SimOrder, market: Market, account: Account) -> None:
        assert self._batch is not None
        for m in market.book.match(order.side, order.remaining, order.price):
            trade = TradeRecord(
                str(next(self._trade_ids)),
                market.spec.symbol,
                m.price,
                m.qty,
                order.side,
                self.now_ms(),
            )
            market.tape.record(trade)
            self._batch.trades.setdefault(trade.symbol, []).append(trade)
            self._batch.stop_checks[trade.symbol] = None
            maker = self.orders.get(m.maker_order_id)
            self._fill(maker, self.accounts.get(m.maker_account_id), market, trade, Liquidity.MAKER)
            self._fill(order, account, market, trade, Liquidity.TAKER)

    def _fill(
        self,
        order: SimOrder,
        account: Account,
        market: Market,
        trade: TradeRecord,
        liquidity: Liquidity,
    ) -> None:
        assert self._batch is not None
        rate = account.maker_rate if liquidity is Liquidity.MAKER else account.taker_rate
        fee = trade.price * trade.qty * rate
        spec = market.spec
        order.reserved -= account.settle(
            order.side, spec.base, spec.quote, trade.qty, trade.price, fee
        )
        account.position(order.symbol).apply(order.side, trade.qty, trade.price)
        order.filled_qty += trade.qty
        order.filled_quote += trade.qty * trade.price
        order.status = WireStatus.FILLED if order.remaining <= 0 else WireStatus.PARTIALLY_FILLED
        self._touch(order)
        self._batch.positions[(account.account_id, order.symbol)] = None
        if order.status is WireStatus.FILLED:
            self._finish(order, WireStatus.FILLED)
        if account.account_id in self.orders.internal:
            return
        fill = FillRecord(
            fill_id=str(uuid.uuid4()),
            trade_id=trade.trade_id,
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            account_id=account.account_id,
            symbol=order.symbol,
            side=order.side,
            price=trade.price,
            qty=trade.qty,
            fee=fee,
            fee_asset=spec.quote,
            liquidity=liquidity,
            ts=trade.ts,
        )
        self.orders.add_fill(fill)
        self._batch.fills.append(fill)

    def _finish(self, order: SimOrder, status: WireStatus, reason: str | None = None) -> None:
        """End an order: release what it still reserves and take it off the book or stop list."""
        market = self.markets[order.symbol]
        order.status = status
        order.cancel_reason = reason
        if order.reserved:
            asset = market.spec.quote if order.side is Side.BUY else market.spec.base
            self.accounts.get(order.account_id).release(asset, order.reserved)
            order.reserved = ZERO
        self.orders.closed(order)
        market.book.cancel(order.order_id)
        if order in market.stops:
            market.stops.remove(order)
        self._touch(order)

    # ---------------------------------------------------------------- after each batch
    def _settle(self) -> None:
        """Trigger stops reached by this batch's trades and cut reduce-only orders, until quiet."""
        assert self._batch is not None
        batch = self._batch
        while batch.stop_checks or batch.positions:
            if batch.stop_checks:
                symbol = next(iter(batch.stop_checks))
                del batch.stop_checks[symbol]
                self._trigger_stops(self.markets[symbol])
                continue
            account_id, symbol = next(iter(batch.positions))
            del batch.positions[(account_id, symbol)]
            self._enforce_reduce_only(account_id, symbol)

    def _trigger_stops(self, market: Market) -> None:
        last = market.tape.last_price
        if last is None:
            return
        for stop in list(market.stops):
            assert stop.stop_price is not None
            hit = last >= stop.stop_price if stop.side is Side.BUY else last <= stop.stop_price
            if not hit or stop not in market.stops:
                continue
            market.stops.remove(stop)
            stop.triggered = True
            stop.status = WireStatus.NEW
            self._touch(stop)
            try:
                self._activate(stop, market, self.accounts.get(stop.account_id))
            except ApiError as error:
                reason = (
                    "insufficient_balance"
                    if error.code is ErrorCode.INSUFFICIENT_BALANCE
                    else "rejected"
                )
                self._finish(stop, WireStatus.CANCELED, reason)

    def _enforce_reduce_only(self, account_id: str, symbol: str) -> None:
        pos = self.accounts.get(account_id).position(symbol).qty
        market = self.markets[symbol]
        for order in self.orders.open_orders(account_id, symbol):
            if not order.reduce_only:
                continue
            if (pos >= 0) if order.side is Side.BUY else (pos <= 0):
                self._finish(order, WireStatus.CANCELED, "reduce_only")
                continue
            cut = order.remaining - abs(pos)
            if cut <= 0:
                continue
            order.qty -= cut
            if order.order_id in market.book:
                market.book.reduce(order.order_id, order.remaining)
            if order.reserved:
                account = self.accounts.get(account_id)
                if order.side is Side.SELL:
                    freed, asset = cut, market.spec.base
                else:
                    assert order.price is not None
                    rate = 1 + max(account.maker_rate, account.taker_rate)
                    freed, asset = min(order.reserved, cut * order.price * rate), market.spec.quote
                account.release(asset, freed)
                order.reserved -= freed
            self._touch(order)
