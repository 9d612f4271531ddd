"""What the report draws of the market a backtest replayed: each symbol's mark price and volume.

The trail watches the replay's chunks go by and keeps, per symbol and chunk, at most
``POINTS_PER_CHUNK`` price points: every point of a short chunk, else the lowest and highest
mark of each equal-count bucket (so a spike between two kept points is never lost), and the
volume summed over the same buckets (bars' ``volume``, trades' ``size``; quotes have none).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from botkit.backtest.report_series import downsample_minmax

Chunk = tuple[np.ndarray, np.ndarray]
"""(instrument index per event, or empty for one symbol; event records)."""

POINTS_PER_CHUNK = 25_000
"""Most price points kept of one symbol's events in one chunk."""

HELD_EVENTS = 5_000_000
"""Events whose chunks the trail holds as they are, thinned only when the report asks (a run that is
never drawn, a sweep's or a notebook's, never pays for it); later chunks are thinned as they pass,
so a long replay streamed from the archive keeps only the thinned points."""

_VOLUME_FIELD = {"bars": "volume", "trades": "size"}


class MarketTrail:
    """Keeps a bounded copy of each symbol's mark prices and volume for the report's charts."""

    def __init__(self, n_symbols: int, kind: str) -> None:
        self._kind = kind
        self._price_ts: list[list[np.ndarray]] = [[] for _ in range(n_symbols)]
        self._price: list[list[np.ndarray]] = [[] for _ in range(n_symbols)]
        self._volume_ts: list[list[np.ndarray]] = [[] for _ in range(n_symbols)]
        self._volume: list[list[np.ndarray]] = [[] for _ in range(n_symbols)]
        self.first_marks = np.full(n_symbols, np.nan)
        """Each symbol's first mark price in the replay (NaN: it had no event)."""
        self.last_marks = np.full(n_symbols, np.nan)
        """Each symbol's last mark price so far."""
        self._held: list[Chunk] = []
        self._held_events = 0

    def follow(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """Pass the chunks through unchanged, remembering their prices and volume."""
        for inst, records in chunks:
            self._mark(inst, records)
            if self._held_events + len(records) <= HELD_EVENTS:
                self._held.append((inst, records))
                self._held_events += len(records)
            else:
                self._thin_held()  # in order: the held chunks came first
                self._thin(inst, records)
            yield inst, records

    def prices(self, symbols: list[str]) -> dict[str, pd.Series]:
        """Mark prices per symbol, indexed by UTC time."""
        self._thin_held()
        return {symbol: _series(self._price_ts[k], self._price[k], symbol) for k, symbol in enumerate(symbols)}

    def volumes(self, symbols: list[str]) -> dict[str, pd.Series]:
        """Volume per symbol (summed per kept bucket, stamped with its first event); none for quotes."""
        if self._kind not in _VOLUME_FIELD:
            return {}
        self._thin_held()
        return {symbol: _series(self._volume_ts[k], self._volume[k], symbol) for k, symbol in enumerate(symbols)}

    def _mark(self, inst: np.ndarray, records: np.ndarray) -> None:
        """Each symbol's first and last mark (the buy-and-hold return needs them at once)."""
        mark = mark_prices(records, self._kind)
        for k in range(len(self._price)):
            marks = mark if len(inst) == 0 else mark[inst == k]
            if len(marks) == 0:
                continue
            if np.isnan(self.first_marks[k]):
                self.first_marks[k] = marks[0]
            self.last_marks[k] = marks[-1]

    def _thin_held(self) -> None:
        held, self._held = self._held, []
        for inst, records in held:
            self._thin(inst, records)

    def _thin(self, inst: np.ndarray, records: np.ndarray) -> None:
        volume_field = _VOLUME_FIELD.get(self._kind)
        mark = mark_prices(records, self._kind)
        for k in range(len(self._price)):
            mask = slice(None) if len(inst) == 0 else inst == k
            ts = records["ts"][mask]
            if len(ts) == 0:
                continue
            kept_ts, kept_price = downsample_minmax(ts, mark[mask], POINTS_PER_CHUNK // 2 - 1)
            self._price_ts[k].append(kept_ts)
            self._price[k].append(kept_price)
            if volume_field is not None:
                starts = np.arange(0, len(ts), max(1, -(-len(ts) // (POINTS_PER_CHUNK // 2))))
                self._volume_ts[k].append(ts[starts])
                self._volume[k].append(np.add.reduceat(records[volume_field][mask], starts))


def mark_prices(records: np.ndarray, kind: str) -> np.ndarray:
    """The price each event marks its symbol at: a bar's close, a trade's price, a quote's mid."""
    if kind == "bars":
        return records["close"]
    if kind == "trades":
        return records["price"]
    return (records["bid"] + records["ask"]) / 2.0


def _series(ts: list[np.ndarray], values: list[np.ndarray], name: str) -> pd.Series:
    times = np.concatenate(ts) if ts else np.zeros(0, np.int64)
    data = np.concatenate(values) if values else np.zeros(0)
    return pd.Series(data, index=pd.to_datetime(times, unit="ns", utc=True), name=name)
