"""A dict-based reference L2 book: obviously right, slow, and the oracle of the property tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookLevel, BookSnapshot, Quote


@dataclass
class ReferenceBook:
    symbol: str = "BTCUSD"
    bids: dict[float, float] = field(default_factory=dict)
    asks: dict[float, float] = field(default_factory=dict)
    ts: int = 0
    sequence: int = -1

    def apply_snapshot(self, snapshot: BookSnapshot) -> None:
        self.bids = {p: s for p, s in snapshot.bids if s != 0.0}
        self.asks = {p: s for p, s in snapshot.asks if s != 0.0}
        self.ts, self.sequence = snapshot.ts, snapshot.sequence

    def apply(self, delta: BookDelta) -> None:
        levels = self.bids if delta.side == BookSide.BID else self.asks
        if delta.size == 0.0:
            levels.pop(delta.price, None)
        else:
            levels[delta.price] = delta.size
        self.ts, self.sequence = delta.ts, delta.sequence

    def sorted_bids(self) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(p, self.bids[p]) for p in sorted(self.bids, reverse=True))

    def sorted_asks(self) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(p, self.asks[p]) for p in sorted(self.asks))

    @property
    def crossed(self) -> bool:
        return bool(self.bids) and bool(self.asks) and max(self.bids) >= min(self.asks)

    def quote(self) -> Quote | None:
        if not self.bids or not self.asks or self.crossed:
            return None
        bid, ask = max(self.bids), min(self.asks)
        return Quote(self.ts, self.symbol, bid, self.bids[bid], ask, self.asks[ask])

    def snapshot(self) -> BookSnapshot:
        return BookSnapshot(self.ts, self.symbol, self.sequence, self.sorted_bids(),
                            self.sorted_asks())

    def copy(self) -> ReferenceBook:
        return ReferenceBook(self.symbol, dict(self.bids), dict(self.asks), self.ts, self.sequence)
