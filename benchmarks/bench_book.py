"""L2 book update throughput, parse-free: pre-built BookDelta objects fed to the book.

``run()`` returns rows ``{"case", "rows_per_s", "n"}``; rows count deltas (level changes).
The stream is deterministic: a book of ``depth`` levels a side on a 0.5 tick grid, changes drawn
near the top (level index ~ exponential with mean depth/10), about 15 % removals, never crossed.

The last cases keep the design that was *not* shipped: levels in numpy arrays, binary-search
insert/delete in a numba kernel called once per delta through a thin typed wrapper. It is here
so the choice in ``botkit/book/l2.py`` can be re-checked on any machine.

Run: ``/work/venv/bin/python benchmarks/bench_book.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numba as nb
import numpy as np

from botkit.book.l2 import L2Book
from botkit.book.sequenced import SequencedBook
from botkit.model.enums import BookSide
from botkit.model.events import BookDelta, BookLevel, BookSnapshot

SYMBOL = "BTCUSD"
MID = 60_000.0
TICK = 0.5


def make_stream(depth: int, n: int, seed: int = 7) -> tuple[BookSnapshot, list[BookDelta]]:
    """A snapshot of ``depth`` levels a side at sequence 0 and ``n`` deltas with sequence 1..n."""
    rng = np.random.default_rng(seed)
    sides = rng.random(n) < 0.5
    index = np.minimum(rng.exponential(max(depth / 10.0, 1.0), n).astype(np.int64), 2 * depth)
    remove = rng.random(n) < 0.15
    sizes = np.round(rng.uniform(0.1, 5.0, n), 3)
    levels = [BookLevel(MID - TICK * (i + 1), 1.0) for i in range(depth)]
    asks = [BookLevel(MID + TICK * (i + 1), 1.0) for i in range(depth)]
    snapshot = BookSnapshot(0, SYMBOL, 0, tuple(levels), tuple(asks))
    deltas = []
    for k in range(n):
        side = BookSide.BID if sides[k] else BookSide.ASK
        offset = TICK * (int(index[k]) + 1)
        price = MID - offset if sides[k] else MID + offset
        size = 0.0 if remove[k] else float(sizes[k])
        deltas.append(BookDelta(k + 1, SYMBOL, k + 1, side, price, size))
    return snapshot, deltas


def _best_rate(feed: Callable[[], None], n: int, repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        feed()
        best = min(best, time.perf_counter() - start)
    return n / best


def _sequenced(snapshot: BookSnapshot, deltas: Sequence[BookDelta]) -> Callable[[], None]:
    def feed() -> None:
        book = SequencedBook(SYMBOL)
        book.on_snapshot(snapshot)
        on_delta = book.on_delta
        for delta in deltas:
            on_delta(delta)
        assert book.quote() is not None
    return feed


def _sequenced_batches(snapshot: BookSnapshot, deltas: Sequence[BookDelta],
                       size: int) -> Callable[[], None]:
    batches = [
        tuple(d._replace(sequence=1 + i // size) for d in deltas[i : i + size])
        for i in range(0, len(deltas), size)
    ]

    def feed() -> None:
        book = SequencedBook(SYMBOL)
        book.on_snapshot(snapshot)
        on_deltas = book.on_deltas
        for batch in batches:
            on_deltas(batch)
        assert book.quote() is not None
    return feed


def _plain(snapshot: BookSnapshot, deltas: Sequence[BookDelta]) -> Callable[[], None]:
    def feed() -> None:
        book = L2Book(SYMBOL)
        book.apply_snapshot(snapshot)
        apply_delta = book.apply_delta
        for delta in deltas:
            apply_delta(delta)
        assert book.quote() is not None
    return feed


@nb.njit(cache=True)
def _set_level_nb(keys: np.ndarray, sizes: np.ndarray, counts: np.ndarray, row: int,
                  key: float, size: float) -> bool:
    """Set one level of side ``row`` (keys ascending, best last); return whether it is crossed."""
    m = counts[row]
    lo, hi = 0, m
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[row, mid] < key:
            lo = mid + 1
        else:
            hi = mid
    found = lo < m and keys[row, lo] == key
    if size == 0.0:
        if found:
            for j in range(lo, m - 1):
                keys[row, j] = keys[row, j + 1]
                sizes[row, j] = sizes[row, j + 1]
            counts[row] = m - 1
    elif found:
        sizes[row, lo] = size
    else:
        for j in range(m, lo, -1):
            keys[row, j] = keys[row, j - 1]
            sizes[row, j] = sizes[row, j - 1]
        keys[row, lo] = key
        sizes[row, lo] = size
        counts[row] = m + 1
    return bool(counts[0] > 0 and counts[1] > 0 and keys[0, counts[0] - 1] >= -keys[1, counts[1] - 1])


class _ArrayBook:
    """The rejected design: numpy levels (row 0 bids, row 1 negated asks) and a numba kernel."""

    def __init__(self, capacity: int) -> None:
        self.keys = np.zeros((2, capacity))
        self.sizes = np.zeros((2, capacity))
        self.counts = np.zeros(2, np.int64)
        self.last = -1

    def on_delta(self, delta: BookDelta) -> bool:
        _, _, sequence, side, price, size = delta
        if sequence != self.last + 1 or not (0.0 < price < math.inf and 0.0 <= size < math.inf):
            return False
        self.last = sequence
        row, key = (0, price) if side is BookSide.BID else (1, -price)
        return not _set_level_nb(self.keys, self.sizes, self.counts, row, key, size)


def _array(snapshot: BookSnapshot, deltas: Sequence[BookDelta]) -> Callable[[], None]:
    def feed() -> None:
        book = _ArrayBook(8 * len(snapshot.bids) + 64)
        for i, (price, size) in enumerate(reversed(snapshot.bids)):
            book.keys[0, i], book.sizes[0, i] = price, size
        for i, (price, size) in enumerate(reversed(snapshot.asks)):
            book.keys[1, i], book.sizes[1, i] = -price, size
        book.counts[:] = (len(snapshot.bids), len(snapshot.asks))
        book.last = snapshot.sequence
        on_delta = book.on_delta
        for delta in deltas:
            on_delta(delta)
    return feed


def run(n: int = 200_000, repeats: int = 3) -> list[dict[str, Any]]:
    """Throughput rows for the shipped book and for the numba-array alternative."""
    rows: list[dict[str, Any]] = []
    streams = {depth: make_stream(depth, n) for depth in (10, 100, 1000)}
    _array(*make_stream(10, 100))()  # compile (or load the cache) outside the timing
    cases: list[tuple[str, Callable[[], None]]] = [
        ("l2 book deltas", _sequenced(*streams[100])),
        ("l2 book deltas, depth 10", _sequenced(*streams[10])),
        ("l2 book deltas, depth 1000", _sequenced(*streams[1000])),
        ("l2 book deltas, batches of 5", _sequenced_batches(*streams[100], size=5)),
        ("l2 book deltas, L2Book.apply_delta (no sequencing)", _plain(*streams[100])),
        ("l2 book deltas, numba array kernel (not shipped), depth 10", _array(*streams[10])),
        ("l2 book deltas, numba array kernel (not shipped)", _array(*streams[100])),
        ("l2 book deltas, numba array kernel (not shipped), depth 1000", _array(*streams[1000])),
    ]
    for case, feed in cases:
        rows.append({"case": case, "rows_per_s": _best_rate(feed, n, repeats), "n": n})
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['case']:<64} {row['rows_per_s'] / 1e6:6.2f} M deltas/s  (n={row['n']})")
