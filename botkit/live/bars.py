"""Bars built live from the venue's trades, aligned and closed like the archive's bars.

``BarBuilder`` is pure and synchronous: feed it trades (``on_trade``) and clock ticks
(``on_clock``) and it returns the bars that closed, O(1) work per trade and O(symbols) per tick.

- **Alignment.** A trade belongs to the bar ``[start, start + interval)`` with
  ``start = ts - ts % interval``: the UTC epoch grid, the grid of Syncron's klines and of the
  archive's ``bars_<interval>`` (``ts`` is the bar's open time). The trade's venue timestamp
  decides, never the time it was received.
- **OHLCV.** Open is the earliest trade of the bar, close the latest (equal timestamps keep their
  arrival order), high and low the extremes, volume the sum of sizes.
- **Delivery at close.** A bar closes when the first trade of a later interval arrives, or when
  the venue's clock has passed the bar's end plus ``grace_ns`` (time for trades still on the
  wire). The venue's clock is estimated from the newest trade: its timestamp plus the local time
  elapsed since it arrived, so a skewed local clock or replayed history cannot close bars early.
- **Late trades**, whose bar has closed already, change nothing and are counted
  (``late_trades``).
- **Empty intervals** give no bar, as in Syncron's klines and the archive: the next bar is the
  next interval with a trade.
- **The first bar** of each symbol is partial (trades before the feed started are unknown) unless
  its first trade lies exactly at the bar's open time; partial bars are counted
  (``partial_bars_skipped``) and never delivered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from botkit.core.errors import ConfigError
from botkit.model.events import Bar, Trade


class _OpenBar:
    """The bar of one symbol still collecting trades (mutable, private)."""

    __slots__ = ("close", "close_ts", "complete", "high", "low", "open", "open_ts", "start", "volume")

    def __init__(self, start: int, trade: Trade, complete: bool) -> None:
        self.start = start
        self.complete = complete
        self.open = self.high = self.low = self.close = trade.price
        self.open_ts = self.close_ts = trade.ts
        self.volume = trade.size

    def add(self, trade: Trade) -> None:
        price = trade.price
        if price > self.high:
            self.high = price
        elif price < self.low:
            self.low = price
        if trade.ts < self.open_ts:
            self.open, self.open_ts = price, trade.ts
        if trade.ts >= self.close_ts:
            self.close, self.close_ts = price, trade.ts
        self.volume += trade.size

    def bar(self, symbol: str) -> Bar:
        return Bar(self.start, symbol, self.open, self.high, self.low, self.close, self.volume)


class BarBuilder:
    """Turns each symbol's trades into bars of ``interval_ns``, returned when they close.

    Bars closing together come by open time, then in the order of ``symbols`` (as the backtester
    orders events of equal time). ``counters`` (optional) receives ``late_trades`` and
    ``partial_bars_skipped``.
    """

    def __init__(self, interval_ns: int, *, grace_ns: int = 0, symbols: Sequence[str] = (),
                 counters: Counter[str] | None = None) -> None:
        if interval_ns <= 0:
            raise ConfigError(f"bar interval must be > 0 ns, got {interval_ns}")
        if grace_ns < 0:
            raise ConfigError(f"bar grace must be >= 0 ns, got {grace_ns}")
        self.interval_ns = interval_ns
        self.grace_ns = grace_ns
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self._rank = {symbol: i for i, symbol in enumerate(symbols)}
        self._open: dict[str, _OpenBar] = {}
        self._closed_until: dict[str, int] = {}  # end of each symbol's last closed bar
        self._anchor_ts: int | None = None  # newest trade's venue time ...
        self._anchor_received_ns = 0  # ... and the local time it arrived

    def on_trade(self, trade: Trade, received_ns: int) -> list[Bar]:
        """Add ``trade`` (received at local time ``received_ns``); returns the bar it closed, if any."""
        ts = trade.ts
        if self._anchor_ts is None or ts > self._anchor_ts:
            self._anchor_ts, self._anchor_received_ns = ts, received_ns
        start = ts - ts % self.interval_ns
        symbol = trade.symbol
        current = self._open.get(symbol)
        if current is not None and start == current.start:
            current.add(trade)
            return []
        closed_until = self._closed_until.get(symbol)
        if (current is not None and start < current.start) or (closed_until is not None and start < closed_until):
            self.counters["late_trades"] += 1
            return []
        out = self._close(symbol, current) if current is not None else []
        watched = current is not None or closed_until is not None
        self._open[symbol] = _OpenBar(start, trade, complete=watched or ts == start)
        return out

    def on_clock(self, now_ns: int) -> list[Bar]:
        """Close the bars whose end plus the grace has passed on the venue's clock, and return them."""
        venue_now = self.venue_now_ns(now_ns)
        if venue_now is None:
            return []
        due = venue_now - self.interval_ns - self.grace_ns  # bars opening at or before this are over
        out: list[Bar] = []
        for symbol, current in list(self._open.items()):
            if current.start <= due:
                del self._open[symbol]
                out.extend(self._close(symbol, current))
        if len(out) > 1:
            last = len(self._rank)
            out.sort(key=lambda bar: (bar.ts, self._rank.get(bar.symbol, last)))
        return out

    def venue_now_ns(self, now_ns: int) -> int | None:
        """The venue's time at local time ``now_ns``, estimated from the newest trade (None before any)."""
        if self._anchor_ts is None:
            return None
        return self._anchor_ts + (now_ns - self._anchor_received_ns)

    def open_bar(self, symbol: str) -> Bar | None:
        """The bar of ``symbol`` still collecting trades, as it stands (None if there is none)."""
        current = self._open.get(symbol)
        return current.bar(symbol) if current is not None else None

    def _close(self, symbol: str, current: _OpenBar) -> list[Bar]:
        self._closed_until[symbol] = current.start + self.interval_ns
        if not current.complete:
            self.counters["partial_bars_skipped"] += 1
            return []
        return [current.bar(symbol)]
