"""Read-only views of the venue shared by REST handlers and WebSocket pushes."""

from __future__ import annotations

from decimal import Decimal

from botkit.model.enums import BookSide
from botkit.sim.syncron.accounts import Account
from botkit.sim.syncron.exchange import Exchange
from botkit.sim.syncron.schemas import (
    BalanceOut,
    BookUpdateOut,
    OrderbookOut,
    PositionOut,
    TickerOut,
)

ZERO = Decimal(0)


def ticker_view(exchange: Exchange, symbol: str) -> TickerOut:
    """The ticker of ``symbol`` now."""
    market = exchange.market(symbol)
    book = market.book
    bid, ask = book.best_bid(), book.best_ask()
    now = exchange.now_ms()
    return TickerOut.of(
        symbol,
        (
            (bid, book.level_size(BookSide.BID, bid)) if bid is not None else None,
            (ask, book.level_size(BookSide.ASK, ask)) if ask is not None else None,
        ),
        market.tape.last_price,
        market.tape.day_stats(now),
        now,
    )


def orderbook_view(exchange: Exchange, symbol: str, depth: int | None) -> OrderbookOut:
    """The REST order book of ``symbol``, ``depth`` levels per side (None: all)."""
    market = exchange.market(symbol)
    bids, asks = market.book.depth(depth)
    return OrderbookOut(
        symbol=symbol, seq=market.book.seq, ts=exchange.now_ms(), bids=bids, asks=asks
    )


def book_snapshot_view(exchange: Exchange, symbol: str) -> BookUpdateOut:
    """The full book of ``symbol`` as the ``data`` of a WebSocket snapshot."""
    market = exchange.market(symbol)
    bids, asks = market.book.depth(None)
    return BookUpdateOut(symbol=symbol, seq=market.book.seq, bids=bids, asks=asks)


def balances_view(account: Account) -> list[BalanceOut]:
    """Every balance of ``account``, by asset name."""
    return [
        BalanceOut(asset=asset, free=b.free, locked=b.locked, total=b.free + b.locked)
        for asset, b in sorted(account.balances.items())
    ]


def positions_view(exchange: Exchange, account: Account, symbol: str | None) -> list[PositionOut]:
    """Positions of ``account`` in every listed symbol (or one), marked to the mid price."""
    out: list[PositionOut] = []
    symbols = [symbol] if symbol is not None else list(exchange.markets)
    for name in symbols:
        exchange.market(name)
        pos = account.position(name)
        mark = exchange.mid_price(name)
        unrealized = (mark - pos.avg_price) * pos.qty if mark is not None and pos.qty else ZERO
        out.append(
            PositionOut(
                symbol=name,
                qty=pos.qty,
                avg_price=pos.avg_price if pos.qty else None,
                realized_pnl=pos.realized_pnl,
                unrealized_pnl=unrealized,
                mark_price=mark,
            )
        )
    return out
