"""A recorded session's quotes, trades and bars read back in the order the bot received them.

The archive keeps each kind in its own files, sorted by the venue's timestamps; the recorder also
writes ``arrivals`` (``botkit.data.recorded.arrival_tables``): per symbol, runs of consecutive
quotes, trades or bars as they arrived. ``read_arrived`` walks those runs, taking each run's rows
from its kind's files in order, so a replay sees the interleaving the bot saw: the bar a trade
closed right after that trade, the quotes that came before it before it. Symbols are merged by the
runs' timestamps (the latest venue time each had received), ties in the order of ``symbols``.

The runs must account for every row of the time range, and every row for a run: a recording made
before arrivals were kept, or rows the recorder left out, are a DataError that says so.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from botkit.core.errors import DataError
from botkit.data.archive import TimeLike, read_archive
from botkit.data.layout import kind_dir
from botkit.data.recorded import read_recorded
from botkit.model.enums import Side
from botkit.model.events import Bar, Quote, Trade

ArrivedEvent = Quote | Trade | Bar


def read_arrived(
    root: str | Path, venue: str, symbols: Sequence[str], bar_kind: str, start: TimeLike, end: TimeLike | None,
) -> Iterator[ArrivedEvent]:
    """The quotes, trades and ``bar_kind`` bars of ``symbols`` with ``start <= ts < end``, in arrival order."""
    streams = [_symbol_events(root, venue, symbol, bar_kind, start, end) for symbol in symbols]
    return (event for _, event in heapq.merge(*streams, key=_run_ts))


def _run_ts(item: tuple[int, ArrivedEvent]) -> int:
    return item[0]


def _symbol_events(root: str | Path, venue: str, symbol: str, bar_kind: str, start: TimeLike,
                   end: TimeLike | None) -> Iterator[tuple[int, ArrivedEvent]]:
    if not kind_dir(root, venue, symbol, "arrivals").is_dir():
        raise DataError(
            f"{kind_dir(root, venue, symbol, 'arrivals')} does not exist: this recording of {venue}/{symbol} does "
            "not say in which order its quotes, trades and bars arrived (recorded by an older botkit?), which a "
            "replay of bars needs"
        )
    runs = read_recorded(root, venue, symbol, "arrivals", start, end)
    rows = {kind: _read(root, venue, symbol, kind, start, end) for kind in ("quotes", "trades", bar_kind)}
    taken = dict.fromkeys(rows, 0)
    make = {"quotes": _quotes, "trades": _trades, bar_kind: _bars}
    for ts, kind, count in zip(runs.column("ts").cast("int64").to_pylist(), runs.column("kind").to_pylist(),
                               runs.column("count").to_pylist(), strict=True):
        if kind not in rows:
            continue  # bars of another interval (a recorder that built two): not this replay's
        lo = taken[kind]
        if lo + count > len(rows[kind]):
            raise DataError(f"{venue}/{symbol}: its arrivals name {lo + count:,} {kind} up to "
                            f"{np.datetime64(ts, 'ns')} but the archive holds {len(rows[kind]):,} in the range "
                            "(rows left out by the recorder?)")
        taken[kind] = lo + count
        for event in make[kind](rows[kind][lo : lo + count], symbol):
            yield ts, event
    for kind, records in rows.items():
        if taken[kind] != len(records):
            raise DataError(f"{venue}/{symbol}: {len(records) - taken[kind]:,} {kind} of the range are in no arrival "
                            "run (a range that cuts a session, or a recording without arrivals for them)")


def _read(root: str | Path, venue: str, symbol: str, kind: str, start: TimeLike, end: TimeLike | None) -> np.ndarray:
    if not kind_dir(root, venue, symbol, kind).is_dir():
        return np.zeros(0)
    return read_archive(root, venue, symbol, kind, start, end)


def _quotes(records: np.ndarray, symbol: str) -> Iterator[Quote]:
    columns = (records[name].tolist() for name in ("ts", "bid", "bid_size", "ask", "ask_size"))
    for ts, bid, bid_size, ask, ask_size in zip(*columns, strict=True):
        yield Quote(ts, symbol, bid, bid_size, ask, ask_size)


def _trades(records: np.ndarray, symbol: str) -> Iterator[Trade]:
    columns = (records[name].tolist() for name in ("ts", "price", "size", "side"))
    for ts, price, size, side in zip(*columns, strict=True):
        yield Trade(ts, symbol, price, size, Side(side))


def _bars(records: np.ndarray, symbol: str) -> Iterator[Bar]:
    columns = (records[name].tolist() for name in ("ts", "open", "high", "low", "close", "volume"))
    for ts, o, h, lo, c, v in zip(*columns, strict=True):
        yield Bar(ts, symbol, o, h, lo, c, v)
