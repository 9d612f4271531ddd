"""Merging several symbols' time-sorted record streams into one time-ordered stream.

Output chunks are ``(instrument, records)`` pairs: ``instrument`` is an int16 array holding, for
each row, the index of its source in the list given; ``records`` holds the rows. Rows with equal
``ts`` come in source order (stable), and each source's own order is kept. This is the event
order the backtester replays (docs/backtesting.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import cast

import numpy as np

from botkit.core.errors import ConfigError, DataError
from botkit.data.archive import TimeLike, iter_archive
from botkit.data.chunks import check_chunk_rows, concat_records, rechunk_aligned

MAX_SOURCES = int(np.iinfo(np.int16).max) + 1
"""The most sources one merge can take: instrument indices are int16."""


def merge_chunks(
    sources: Sequence[Iterable[np.ndarray]], chunk_rows: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered ``(instrument, records)`` chunks of at most ``chunk_rows`` rows.

    Each source yields record arrays of one dtype sorted by ``ts`` (e.g. ``iter_archive``).
    At most one chunk per source is held at a time, so memory stays near
    ``len(sources) × source chunk size`` plus one output chunk.
    """
    check_chunk_rows(chunk_rows)
    if len(sources) > MAX_SOURCES:
        raise ConfigError(f"cannot merge more than {MAX_SOURCES} sources, got {len(sources)}")
    streams = [_SortedSource(index, source) for index, source in enumerate(sources)]
    dtypes = {s.buffer.dtype for s in streams if s.buffer is not None}
    if len(dtypes) > 1:
        raise ConfigError(f"cannot merge records of different dtypes: {sorted(map(str, dtypes))}")
    pairs = rechunk_aligned(_merged_pieces(streams), chunk_rows)
    yield from cast(Iterator[tuple[np.ndarray, np.ndarray]], pairs)


def merge_arrays(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Several in-memory record arrays merged in time order, as one ``(instrument, records)``."""
    if not arrays:
        raise ConfigError("merge_arrays needs at least one array")
    total = sum(len(a) for a in arrays)
    pieces = list(merge_chunks([[a] for a in arrays], max(total, 1)))
    if not pieces:
        return np.empty(0, dtype=np.int16), arrays[0][:0].copy()
    return pieces[0]


def iter_merged_archive(
    root: str | Path,
    venue: str,
    symbols: Sequence[str],
    kind: str,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    chunk_rows: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Several symbols of one venue and kind, read chunk by chunk and merged in time order.

    ``instrument`` is the index of the row's symbol in ``symbols``.
    """
    sources = [
        iter_archive(root, venue, symbol, kind, start, end, chunk_rows=chunk_rows)
        for symbol in symbols
    ]
    yield from merge_chunks(sources, chunk_rows)


class _SortedSource:
    """One source's current chunk, refilled when empty; checks the source really is sorted."""

    def __init__(self, index: int, source: Iterable[np.ndarray]) -> None:
        self.index = index
        self._chunks = iter(source)
        self._last_ts: int | None = None
        self.buffer: np.ndarray | None = None
        self.refill()

    def refill(self) -> None:
        """Load the next non-empty chunk, or set ``buffer`` to None when the source is done."""
        for chunk in self._chunks:
            if len(chunk) == 0:
                continue
            ts = chunk["ts"]
            unsorted = ts[1:] < ts[:-1]
            if (self._last_ts is not None and ts[0] < self._last_ts) or unsorted.any():
                raise DataError(f"merge source {self.index} is not sorted by ts")
            self._last_ts = int(ts[-1])
            self.buffer = chunk
            return
        self.buffer = None

    def take(self, rows: int) -> np.ndarray:
        """Remove and return the first ``rows`` rows of the buffer, refilling it if it empties."""
        buffer = self.buffer
        if buffer is None:
            raise RuntimeError("take() from a finished merge source")
        head, self.buffer = buffer[:rows], buffer[rows:]
        if rows >= len(buffer):
            self.refill()
        return head


def _merged_pieces(streams: list[_SortedSource]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered pieces, each at most one buffered chunk per source long.

    ``bound`` is the smallest last-buffered ts over the sources: no unread row anywhere is
    below it, so every buffered row below it is final. Rows at ``bound`` are final for the first
    source whose buffer ends at ``bound`` (``first``) and for sources before it, whose unread rows
    are all above ``bound``; later sources wait, as ``first`` may still have rows at ``bound``.
    ``first`` gives up its whole buffer each round, so every round makes progress.
    """
    while True:
        buffers = [(s, s.buffer) for s in streams if s.buffer is not None]
        if not buffers:
            return
        last = [int(buffer["ts"][-1]) for _, buffer in buffers]
        bound = min(last)
        first = next(s.index for (s, _), ts in zip(buffers, last, strict=True) if ts == bound)
        records, owners = [], []
        for stream, buffer in buffers:
            ts = buffer["ts"]
            cut = int(np.searchsorted(ts, bound, side="right" if stream.index <= first else "left"))
            if cut:
                records.append(stream.take(cut))
                owners.append(np.full(cut, stream.index, dtype=np.int16))
        if len(records) == 1:  # one source's rows, already in order
            yield owners[0], records[0]
            continue
        merged, instrument = concat_records(records), np.concatenate(owners)
        order = np.argsort(merged["ts"], kind="stable")
        yield instrument[order], merged[order]
