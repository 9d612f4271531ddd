"""What the live engine knows about prices: last quote and trade per symbol, and the reference feed."""

from __future__ import annotations

from dataclasses import dataclass

from botkit.core.clock import NS_PER_SECOND, Clock
from botkit.model.enums import OrderType, Side
from botkit.model.events import Price, Quote, Trade


@dataclass(frozen=True, slots=True)
class _Seen:
    price: float
    at_ns: int


class MarketState:
    """Latest top of book and trade per symbol, and the latest reference price (e.g. Sintra).

    ``reference(symbol)`` is what the price collar compares orders with: the reference feed's
    price when it is fresh (younger than ``max_reference_age_s``), else the venue's last trade when
    that is fresh, else none. Never the venue mid: orders are priced from it, so a collar against
    it would check nothing.
    """

    def __init__(self, clock: Clock, *, reference_symbol: str | None = None, max_reference_age_s: float = 60.0) -> None:
        self.clock = clock
        self.reference_symbol = reference_symbol
        self.max_reference_age_ns = int(max_reference_age_s * NS_PER_SECOND)
        self.quotes: dict[str, Quote] = {}
        self.trades: dict[str, Trade] = {}
        self._reference: dict[str, _Seen] = {}
        self._received: dict[str, int] = {}
        self._trade_seen: dict[str, int] = {}
        self._resyncing: set[str] = set()

    def on_book_gap(self, symbol: str) -> None:
        """The book of ``symbol`` lost a message: its prices are not to be trusted until it resyncs."""
        self._resyncing.add(symbol)

    def on_book_resynced(self, symbol: str) -> None:
        """The book of ``symbol`` was rebuilt from a snapshot."""
        self._resyncing.discard(symbol)

    def resyncing(self, symbol: str) -> bool:
        """Whether the book of ``symbol`` is being rebuilt after a gap."""
        return symbol in self._resyncing

    def on_quote(self, quote: Quote) -> None:
        """Remember the latest quote of its symbol."""
        self.quotes[quote.symbol] = quote
        self._received[quote.symbol] = self.clock.now_ns()

    def on_trade(self, trade: Trade) -> None:
        """Remember the latest trade of its symbol."""
        self.trades[trade.symbol] = trade
        self._received[trade.symbol] = self._trade_seen[trade.symbol] = self.clock.now_ns()

    def data_age_s(self, symbol: str) -> float | None:
        """Seconds since the last quote or trade of ``symbol`` arrived; None before the first."""
        at = self._received.get(symbol)
        return None if at is None else (self.clock.now_ns() - at) / NS_PER_SECOND

    def on_price(self, price: Price) -> None:
        """Remember a reference price (it prices ``reference_symbol``)."""
        if self.reference_symbol is not None and price.price > 0:
            self._reference[self.reference_symbol] = _Seen(price.price, self.clock.now_ns())

    def mid(self, symbol: str) -> float | None:
        """The venue mid (or last trade price when there is no two-sided quote)."""
        quote = self.quotes.get(symbol)
        if quote is not None and quote.bid > 0 and quote.ask > 0:
            return quote.mid
        trade = self.trades.get(symbol)
        return trade.price if trade is not None else None

    def last(self, symbol: str) -> float | None:
        """The mark price of ``symbol``: the quote mid, or the last trade."""
        return self.mid(symbol)

    def execution_price(self, symbol: str, side: Side) -> float | None:
        """Where a market order would trade now: the ask for buys, the bid for sells, else the mid."""
        quote = self.quotes.get(symbol)
        if quote is not None:
            px = quote.ask if side is Side.BUY else quote.bid
            if px > 0:
                return px
        return self.mid(symbol)

    def order_price(self, symbol: str, side: Side, order_type: OrderType, limit_price: float | None,
                    stop_price: float | None) -> float | None:
        """The price risk checks use for an order: its limit or stop price, or where a market order trades now."""
        if order_type is OrderType.LIMIT:
            return limit_price
        if order_type is OrderType.STOP:
            return stop_price
        return self.execution_price(symbol, side)

    def reference(self, symbol: str) -> float | None:
        """The reference price for the collar: a fresh feed price, else a fresh last trade, else None."""
        now = self.clock.now_ns()
        seen = self._reference.get(symbol)
        if seen is not None and now - seen.at_ns <= self.max_reference_age_ns:
            return seen.price
        trade = self.trades.get(symbol)
        if trade is not None and now - self._trade_seen[symbol] <= self.max_reference_age_ns:
            return trade.price
        return None

    def reference_age_s(self, symbol: str) -> float | None:
        """Seconds since the last reference price for ``symbol``."""
        seen = self._reference.get(symbol)
        return None if seen is None else (self.clock.now_ns() - seen.at_ns) / NS_PER_SECOND
