"""Keeps the bot's positions equal to the venue's: a difference seen twice, unchanged, is corrected.

A fill can be counted by the venue before its event reaches us, so a difference is only believed
when a second look ``engine.position_confirm_s`` later finds exactly the same numbers.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence

import structlog

from botkit.core.errors import BotkitError
from botkit.execution.reconcile import PositionDifference, PositionSource, position_differences
from botkit.portfolio.ledger import Ledger

log = structlog.get_logger("botkit.live.positions")


class PositionKeeper:
    """Compares the ledger's positions with the venue's and corrects confirmed differences."""

    def __init__(self, source: PositionSource, *, symbols: Sequence[str], confirm_s: float,
                 tolerance: Callable[[str], float], price: Callable[[str], float | None],
                 counters: Counter[str]) -> None:
        self.source = source
        self.symbols = list(symbols)
        self.confirm_s = confirm_s
        self.tolerance = tolerance
        self.price = price
        self.counters = counters
        self.suspect: dict[str, tuple[PositionDifference, float]] = {}

    def due(self, now: float) -> bool:
        """Whether a suspected difference waited long enough to be looked at again."""
        return bool(self.suspect) and now - min(seen for _, seen in self.suspect.values()) >= self.confirm_s

    async def check(self, ledger: Ledger) -> bool:
        """Compare once; returns whether the ledger was corrected (the caller saves the state)."""
        try:
            venue = await self.source.positions()
        except BotkitError as error:
            log.warning("engine.position_check_failed", error=str(error))
            return False
        now = time.monotonic()
        found = position_differences(ledger.position, venue, self.symbols, self.tolerance)
        previous, self.suspect = self.suspect, {}
        corrected = False
        for difference in found:
            earlier = previous.get(difference.symbol)
            first_seen = earlier[1] if earlier is not None and earlier[0] == difference else now
            if now - first_seen < self.confirm_s:
                self.suspect[difference.symbol] = (difference, first_seen)
                log.info("reconcile.position_differs", symbol=difference.symbol, local=difference.local,
                         venue=difference.venue, action="confirming")
                continue
            price = difference.venue_avg_price or self.price(difference.symbol) or ledger.last_price(difference.symbol)
            if not price:
                log.error("reconcile.position_uncorrectable", symbol=difference.symbol, reason="no price")
                continue
            ledger.correct_position(difference.symbol, difference.venue, price)
            self.counters["position_corrections"] += 1
            corrected = True
            log.warning("reconcile.position_corrected", symbol=difference.symbol, local=difference.local,
                        venue=difference.venue, price=price)
        return corrected
