"""The public tape of one symbol: recent trades, one-minute candles, klines and 24 h stats."""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from decimal import Decimal

from botkit.sim.syncron.records import TradeRecord

MINUTE_MS = 60_000
DAY_MS = 86_400_000
INTERVAL_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "1d": DAY_MS,
}
_MINUTES_KEPT = 14 * 1440


@dataclass(slots=True)
class Candle:
    """OHLCV of the trades in [open_time, open_time + interval)."""

    open_time: int
    interval_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @property
    def close_time(self) -> int:
        """Last millisecond of the candle."""
        return self.open_time + self.interval_ms - 1

    def add(self, price: Decimal, qty: Decimal) -> None:
        """Extend the candle with one trade (trades arrive in time order)."""
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += qty


@dataclass(frozen=True, slots=True)
class DayStats:
    """Open, high, low and base volume over the last 24 hours (None fields when no trades)."""

    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    volume: Decimal


class TradeTape:
    """Recent trades of one symbol and the candles built from them."""

    def __init__(self, symbol: str, trades_kept: int) -> None:
        self.symbol = symbol
        self._trades: deque[TradeRecord] = deque(maxlen=trades_kept)
        self._minutes: OrderedDict[int, Candle] = OrderedDict()

    @property
    def last_price(self) -> Decimal | None:
        """Price of the latest trade, None before the first."""
        return self._trades[-1].price if self._trades else None

    def record(self, trade: TradeRecord) -> None:
        """Append a trade to the tape and its minute candle."""
        self._trades.append(trade)
        start = trade.ts - trade.ts % MINUTE_MS
        candle = self._minutes.get(start)
        if candle is None:
            self._minutes[start] = Candle(
                start, MINUTE_MS, trade.price, trade.price, trade.price, trade.price, trade.qty
            )
            while len(self._minutes) > _MINUTES_KEPT:
                self._minutes.popitem(last=False)
        else:
            candle.add(trade.price, trade.qty)

    def recent(self, limit: int) -> list[TradeRecord]:
        """The latest ``limit`` trades, newest first."""
        out: list[TradeRecord] = []
        for trade in reversed(self._trades):
            if len(out) >= limit:
                break
            out.append(trade)
        return out

    def klines(self, interval: str, start: int | None, end: int | None, limit: int) -> list[Candle]:
        """The latest ``limit`` candles of ``interval`` opening in [start, end], oldest first."""
        size = INTERVAL_MS[interval]
        merged: OrderedDict[int, Candle] = OrderedDict()
        for minute in self._minutes.values():
            key = minute.open_time - minute.open_time % size
            if (start is not None and key < start) or (end is not None and key > end):
                continue
            candle = merged.get(key)
            if candle is None:
                merged[key] = Candle(
                    key, size, minute.open, minute.high, minute.low, minute.close, minute.volume
                )
            else:
                candle.high = max(candle.high, minute.high)
                candle.low = min(candle.low, minute.low)
                candle.close = minute.close
                candle.volume += minute.volume
        return list(merged.values())[-limit:]

    def day_stats(self, now_ms: int) -> DayStats:
        """Open, high, low and volume of the minutes that started in the last 24 hours."""
        since = now_ms - DAY_MS
        minutes = [c for c in self._minutes.values() if c.open_time >= since]
        if not minutes:
            return DayStats(None, None, None, Decimal(0))
        return DayStats(
            open=minutes[0].open,
            high=max(c.high for c in minutes),
            low=min(c.low for c in minutes),
            volume=sum((c.volume for c in minutes), Decimal(0)),
        )
