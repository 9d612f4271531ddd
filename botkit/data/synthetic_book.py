"""A seeded synthetic L2 order book: a snapshot, then sequenced delta batches, as a venue would send.

The book has ``levels`` price levels a side on a grid of ``tick_size``. A slowly wandering order
flow *pressure* (an AR(1) process) decides which side grows and which gets eaten, so imbalances
persist for a while and the price drifts toward the heavier side, which gives book strategies
something to find. Each update is one sequence number and one batch of one or two level changes:

- most change the size at a level near the top (the heavier side more often);
- some take out the best level of a side (a trade ate it) and add a level at the far end;
- some improve a side inside the spread and drop that side's farthest level.

The book never crosses and keeps ``levels`` levels a side. With ``gap_every``, about one update in
that many starts an outage as a recording of the live stream shows it: a ``BookGap``, a few
updates never seen, then a fresh ``BookSnapshot`` of the book and ``BookResynced``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import ConfigError
from botkit.data.book_events import write_book_events
from botkit.data.staged import final_paths, staged_kinds
from botkit.data.synthetic import DEFAULT_START_NS
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookDeltaBatch, BookGap, BookLevel, BookResynced, BookSnapshot

SyntheticBookEvent = BookSnapshot | BookDeltaBatch | BookGap | BookResynced

_BID, _ASK = BookSide.BID, BookSide.ASK
_PRESSURE_MEMORY = 0.998
_PRESSURE_NOISE = 0.08
_MISSED_PER_GAP = 5


class _Book:
    """The generator's own book: sizes by integer tick per side."""

    def __init__(self, mid_tick: int, levels: int, rng: np.random.Generator) -> None:
        self.bids = {mid_tick - 1 - i: _size(rng) for i in range(levels)}
        self.asks = {mid_tick + 1 + i: _size(rng) for i in range(levels)}

    def side(self, side: BookSide) -> dict[int, float]:
        return self.bids if side is _BID else self.asks

    def best(self, side: BookSide) -> int:
        return max(self.bids) if side is _BID else min(self.asks)

    def far(self, side: BookSide) -> int:
        return min(self.bids) if side is _BID else max(self.asks)


def synthetic_book_events(
    n: int,
    *,
    symbol: str = "BTCUSD",
    start_ns: int = DEFAULT_START_NS,
    interval_ns: int = NS_PER_SECOND // 10,
    seed: int = 0,
    start_price: float = 100.0,
    tick_size: float = 0.01,
    levels: int = 10,
    gap_every: int | None = None,
) -> list[SyntheticBookEvent]:
    """A snapshot then ``n`` book updates (delta batches) about ``interval_ns`` apart (see the module)."""
    _check(n, interval_ns, start_price, tick_size, levels, gap_every)
    rng = np.random.default_rng(seed)
    gaps = np.rint(rng.exponential(float(interval_ns), n + 1)).astype(np.int64)
    times = (start_ns + np.cumsum(gaps)).tolist()
    draws = np.column_stack([rng.random((n, 4)), rng.geometric(0.35, n) - 1,
                             rng.lognormal(0.0, 0.4, n)]).tolist()
    noise = (rng.standard_normal(n) * _PRESSURE_NOISE).tolist()
    mid = round(start_price / tick_size)
    book = _Book(mid, levels, rng)
    sequence = 1
    out: list[SyntheticBookEvent] = [_snapshot(book, times[0], symbol, sequence, tick_size)]
    pressure = 0.0
    hidden = 0  # updates still to be missed in the current outage
    for i in range(n):
        ts = times[i + 1]
        pressure = _PRESSURE_MEMORY * pressure + noise[i]
        changes = _step(book, draws[i], pressure)
        sequence += 1
        if hidden:
            hidden -= 1
            if hidden == 0:
                out.append(_snapshot(book, ts, symbol, sequence, tick_size))
                out.append(BookResynced(ts, symbol, sequence))
            continue
        if gap_every is not None and draws[i][3] < 1.0 / gap_every:
            out.append(BookGap(ts, symbol, sequence, sequence + 1))
            hidden = _MISSED_PER_GAP
            continue
        deltas = tuple(BookDelta(ts, symbol, sequence, side, round(tick * tick_size, 10), size)
                       for side, tick, size in changes)
        out.append(BookDeltaBatch(ts, symbol, sequence, deltas))
    return out


def _step(book: _Book, draw: list[float], pressure: float) -> list[tuple[BookSide, int, float]]:
    """Change the book once; the level changes made, as (side, tick, new size).

    ``draw``: uniforms for the kind of change, the heavy side, the side changed and outages, a
    geometric level index, a lognormal size factor.
    """
    size = round(draw[5], 6)
    heavy = _BID if draw[1] < 1.0 / (1.0 + math.exp(-pressure * 4.0)) else _ASK
    light = _ASK if heavy is _BID else _BID
    kind = draw[0]
    spread = book.best(_ASK) - book.best(_BID)
    if spread > 1 and kind < (0.6 if spread > 2 else 0.1):  # someone improves inside the spread
        return _improve(book, heavy if draw[2] < 0.7 else light, size)
    if kind > 0.9:  # a trade eats the best level of the light side
        return _take_top(book, light, size)
    side = heavy if draw[2] < 0.6 else light
    sizes = book.side(side)
    ranked = sorted(sizes, reverse=side is _BID)
    tick = ranked[min(int(draw[4]), len(ranked) - 1)]
    scale = 1.0 + 2.0 * min(abs(pressure), 1.0) if side is heavy else 1.0
    sizes[tick] = round(scale * draw[5], 6)
    return [(side, tick, sizes[tick])]


def _take_top(book: _Book, side: BookSide, size: float) -> list[tuple[BookSide, int, float]]:
    sizes = book.side(side)
    top = book.best(side)
    far = book.far(side) + (-1 if side is _BID else 1)
    del sizes[top]
    sizes[far] = size
    return [(side, top, 0.0), (side, far, sizes[far])]


def _improve(book: _Book, side: BookSide, size: float) -> list[tuple[BookSide, int, float]]:
    sizes = book.side(side)
    better = book.best(side) + (1 if side is _BID else -1)
    sizes[better] = size
    far = book.far(side)
    del sizes[far]
    return [(side, better, sizes[better]), (side, far, 0.0)]


def _snapshot(book: _Book, ts: int, symbol: str, sequence: int, tick_size: float) -> BookSnapshot:
    bids = tuple(BookLevel(round(t * tick_size, 10), book.bids[t]) for t in sorted(book.bids, reverse=True))
    asks = tuple(BookLevel(round(t * tick_size, 10), book.asks[t]) for t in sorted(book.asks))
    return BookSnapshot(ts, symbol, sequence, bids, asks)


def _size(rng: np.random.Generator) -> float:
    return round(float(rng.lognormal(0.0, 0.4)), 6)


def _check(n: int, interval_ns: int, start_price: float, tick_size: float, levels: int,
           gap_every: int | None) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ConfigError(f"number of book updates must be an int >= 1, got {n!r}")
    if interval_ns < 1:
        raise ConfigError(f"interval_ns must be >= 1, got {interval_ns!r}")
    if not tick_size > 0 or not start_price > 100 * tick_size:
        raise ConfigError(f"start_price must be > 100 ticks of tick_size > 0, got start_price={start_price!r} "
                          f"tick_size={tick_size!r}")
    if not 1 <= levels <= 1000:
        raise ConfigError(f"levels must be from 1 to 1000, got {levels!r}")
    if gap_every is not None and gap_every < 1:
        raise ConfigError(f"gap_every must be >= 1 update, got {gap_every!r}")


def generate_book_archive(
    root: str | Path,
    *,
    symbol: str,
    n: int,
    start_ns: int = DEFAULT_START_NS,
    seed: int = 0,
    venue: str = "synthetic",
    levels: int = 10,
    gap_every: int | None = None,
) -> list[Path]:
    """Write ``n`` synthetic book updates of ``symbol`` as recorded ``book_*`` (and ``gaps``) day files.

    The kinds' folders are replaced whole once everything is written, as ``generate_archive`` does.
    """
    events = synthetic_book_events(n, symbol=symbol, start_ns=start_ns, seed=seed, levels=levels,
                                   gap_every=gap_every)
    note = {"seed": seed, "rows": n, "kind": "book", "start_ns": start_ns, "levels": levels}
    with staged_kinds(root, venue, symbol, note) as stage:
        written = write_book_events(stage, venue, events)
    return final_paths(stage, root, written)
