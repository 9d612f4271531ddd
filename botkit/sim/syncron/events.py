"""Events of the simulated venue: what one batch changed and the listeners that hear it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from botkit.model.enums import BookSide
from botkit.sim.syncron.matching import BookChange
from botkit.sim.syncron.records import FillRecord, SimOrder, TradeRecord

if TYPE_CHECKING:
    from botkit.sim.syncron.exchange import Market


class ExchangeListener(Protocol):
    """Receives what changed after each batch (the WebSocket hub implements it)."""

    def on_book(self, symbol: str, change: BookChange) -> None:
        """Levels of ``symbol``'s book changed; ``change.seq`` is the new sequence number."""

    def on_trades(self, symbol: str, trades: Sequence[TradeRecord]) -> None:
        """Public trades happened in ``symbol``, oldest first."""

    def on_ticker(self, symbol: str) -> None:
        """Top of book or last price of ``symbol`` changed."""

    def on_orders(self, account_id: str, orders: Sequence[SimOrder]) -> None:
        """Orders of ``account_id`` changed state."""

    def on_fills(self, account_id: str, fills: Sequence[FillRecord]) -> None:
        """Orders of ``account_id`` were executed."""


@dataclass(slots=True)
class Batch:
    """What one exchange batch changed, collected until it ends."""

    symbols: dict[str, None] = field(default_factory=dict)
    stop_checks: dict[str, None] = field(default_factory=dict)
    positions: dict[tuple[str, str], None] = field(default_factory=dict)
    trades: dict[str, list[TradeRecord]] = field(default_factory=dict)
    orders: dict[str, SimOrder] = field(default_factory=dict)
    fills: list[FillRecord] = field(default_factory=list)


def publish(
    batch: Batch,
    markets: Mapping[str, Market],
    internal: set[str],
    listeners: Sequence[ExchangeListener],
) -> None:
    """Tell ``listeners`` what ``batch`` changed: book deltas, trades, tickers, orders, fills."""
    for symbol in batch.symbols:
        market = markets[symbol]
        change = market.book.flush()
        if change is not None:
            for listener in listeners:
                listener.on_book(symbol, change)
        trades = batch.trades.get(symbol)
        if trades:
            for listener in listeners:
                listener.on_trades(symbol, trades)
        book = market.book
        bid, ask = book.best_bid(), book.best_ask()
        top = (
            bid,
            ask,
            market.tape.last_price,
            book.level_size(BookSide.BID, bid) if bid is not None else None,
            book.level_size(BookSide.ASK, ask) if ask is not None else None,
        )
        if top != market.top:
            market.top = top
            for listener in listeners:
                listener.on_ticker(symbol)
    by_account: dict[str, list[SimOrder]] = {}
    for order in batch.orders.values():
        if order.account_id not in internal:
            by_account.setdefault(order.account_id, []).append(order)
    fills_by_account: dict[str, list[FillRecord]] = {}
    for fill in batch.fills:
        fills_by_account.setdefault(fill.account_id, []).append(fill)
    for listener in listeners:
        for account_id, orders in by_account.items():
            listener.on_orders(account_id, orders)
        for account_id, fills in fills_by_account.items():
            listener.on_fills(account_id, fills)
