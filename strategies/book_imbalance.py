"""An order-book strategy: trade the imbalance between bid and ask volume near the top of the book.

Buys when the size bid over the best ``levels`` levels is at least ``ratio`` times the size
offered over as many ask levels (buyers are queueing up), and closes the position when the ask
side outweighs the bid side by ``exit_ratio``. Long only, one entry at a time.

It needs the book: run it with ``engine.market_data: book`` live or on paper
(``configs/book_imbalance.yaml``) and on ``data.kind: book`` in a backtest
(``backtests/book_imbalance.yaml``). ``on_book`` is called after every book update while the
book is in sync, never between a ``BookGap`` and its ``BookResynced``.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from botkit import Strategy, StrategyParams
from botkit.book.view import BookView
from botkit.model.events import BookGap


class BookImbalanceParams(StrategyParams):
    """How deep to look and how lopsided the book must be."""

    levels: int = Field(5, ge=1, le=1000, description="levels per side summed (at most the book depth)")
    ratio: float = Field(2.0, gt=1.0, description="enter when bid volume >= ratio x ask volume")
    exit_ratio: float = Field(1.0, gt=0.0, description="exit when ask volume >= exit_ratio x bid volume")
    size: float | None = Field(None, gt=0, description="quantity per entry; None: the run's sizing rule")

    @model_validator(mode="after")
    def _exit_below_entry(self) -> BookImbalanceParams:
        if self.exit_ratio * self.ratio <= 1.0:
            raise ValueError(f"exit_ratio {self.exit_ratio} x ratio {self.ratio} must be > 1, or every entry "
                             "would be an exit signal at once")
        return self


class BookImbalance(Strategy[BookImbalanceParams]):
    """Long while bids outweigh asks near the top of the book (see the module)."""

    Params = BookImbalanceParams

    def on_start(self) -> None:
        """Count what the book did, for the run's log."""
        self.updates = 0
        self.gaps = 0

    def on_book(self, book: BookView) -> None:
        """Compare bid and ask volume over the top levels and trade."""
        self.updates += 1
        symbol = book.symbol
        if self.ctx.open_orders(symbol):
            return  # an entry or exit is still on its way
        levels = self.params.levels
        bids, asks = book.bid_volume(levels), book.ask_volume(levels)
        position = self.ctx.position(symbol)
        if position == 0.0 and bids >= self.params.ratio * asks > 0.0:
            self.ctx.buy(self.params.size, symbol=symbol, tag="imbalance")
        elif position > 0.0 and asks >= self.params.exit_ratio * bids:
            self.ctx.close(symbol, tag="imbalance_exit")

    def on_book_gap(self, event: BookGap) -> None:
        """The book lost sync: no on_book (and no new orders) until it has resynced."""
        self.gaps += 1
