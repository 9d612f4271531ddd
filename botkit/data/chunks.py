"""Re-cutting a stream of arrays into chunks of exactly ``chunk_rows`` rows (bar the last)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from botkit.core.errors import ConfigError


def check_chunk_rows(chunk_rows: int) -> int:
    """``chunk_rows`` if it is a positive int, else a ConfigError."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be an int >= 1, got {chunk_rows!r}")
    return chunk_rows


def rechunk_aligned(
    pieces: Iterable[tuple[np.ndarray, ...]], chunk_rows: int
) -> Iterator[tuple[np.ndarray, ...]]:
    """Tuples of equally long arrays, re-cut so every chunk but the last has ``chunk_rows`` rows.

    At most ``chunk_rows`` rows are held back between input pieces.
    """
    check_chunk_rows(chunk_rows)
    pending: list[tuple[np.ndarray, ...]] = []
    count = 0
    for piece in pieces:
        start, length = 0, len(piece[0])
        while start < length:
            take = min(chunk_rows - count, length - start)
            pending.append(tuple(array[start : start + take] for array in piece))
            count += take
            start += take
            if count == chunk_rows:
                yield _join(pending)
                pending, count = [], 0
    if count:
        yield _join(pending)


def rechunk(arrays: Iterable[np.ndarray], chunk_rows: int) -> Iterator[np.ndarray]:
    """Arrays re-cut so every chunk but the last has ``chunk_rows`` rows; empty inputs vanish."""
    for (chunk,) in rechunk_aligned(((array,) for array in arrays), chunk_rows):
        yield chunk


def concat_records(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``np.concatenate`` of 1-D arrays, three times faster for record arrays.

    numpy copies structured dtypes field by field; contiguous record arrays of one dtype are
    joined as raw bytes instead.
    """
    dtype = arrays[0].dtype
    if dtype.names and all(
        a.dtype == dtype and a.ndim == 1 and a.flags.c_contiguous for a in arrays
    ):
        return np.concatenate([a.view(np.uint8) for a in arrays]).view(dtype)
    return np.concatenate(arrays)


def _join(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    if len(parts) == 1:
        return parts[0]
    return tuple(concat_records(column) for column in zip(*parts, strict=True))


RESERVE_BYTES = 256 * 1024 * 1024
"""Address space a ``ChunkWriter`` sets aside for its chunk at once (only rows written use memory)."""


class ChunkWriter:
    """Record arrays gathered into chunks of exactly ``chunk_rows`` rows (None: one chunk).

    The chunk being filled is one array, set aside at its full size (up to ``RESERVE_BYTES``;
    memory pages are only used as rows are written) and trimmed to fit when it is handed out, so
    rows are copied once and never joined at the end. A producer may also write rows straight
    into the chunk: ``room`` gives the place, ``wrote`` says how many rows were written there.
    """

    def __init__(self, dtype: np.dtype, chunk_rows: int | None) -> None:
        self.dtype = dtype
        self.chunk_rows = chunk_rows
        reserve = max(1, RESERVE_BYTES // dtype.itemsize)
        self._reserve_rows = reserve if chunk_rows is None else min(chunk_rows, reserve)
        self._chunk: np.ndarray | None = None
        self._filled = 0

    def room(self, rows: int) -> tuple[np.ndarray, int] | None:
        """Where up to ``rows`` rows can be written next: ``(chunk, offset)``; None if too many.

        The chunk may move at the next call of any method: write the rows and call ``wrote``
        first, and keep no view of it.
        """
        if self.chunk_rows is not None and self._filled + rows > self.chunk_rows:
            return None
        chunk = self._reserve(self._filled + rows)
        return chunk, self._filled

    def wrote(self, rows: int) -> Iterator[np.ndarray]:
        """Count ``rows`` rows written at the offset ``room`` gave; yield the chunk if full."""
        self._filled += rows
        if self._filled == self.chunk_rows:
            yield self._hand_out()

    def add(self, records: np.ndarray) -> Iterator[np.ndarray]:
        """Copy ``records`` in; yield the chunks they fill."""
        start = 0
        while start < len(records):
            left = len(records) - start
            if self._filled == 0 and self.chunk_rows is not None and left >= self.chunk_rows:
                yield records[start : start + self.chunk_rows]  # a whole chunk: no copy
                start += self.chunk_rows
                continue
            take = left if self.chunk_rows is None else min(left, self.chunk_rows - self._filled)
            chunk = self._reserve(self._filled + take)
            _copy_rows(records[start : start + take], chunk[self._filled :])
            start += take
            yield from self.wrote(take)

    def finish(self) -> Iterator[np.ndarray]:
        """The last, partly filled chunk, if any."""
        if self._filled:
            yield self._hand_out()

    def _reserve(self, rows: int) -> np.ndarray:
        """The chunk, with room for ``rows`` rows."""
        if self._chunk is None:
            self._chunk = np.empty(max(rows, self._reserve_rows), dtype=self.dtype)
        elif len(self._chunk) < rows:  # beyond RESERVE_BYTES: move to a chunk twice as large
            size = max(rows, 2 * len(self._chunk))
            if self.chunk_rows is not None:
                size = min(size, self.chunk_rows)
            larger = np.empty(size, dtype=self.dtype)
            _copy_rows(self._chunk[: self._filled], larger)
            self._chunk = larger
        return self._chunk

    def _hand_out(self) -> np.ndarray:
        chunk, filled = self._chunk, self._filled
        assert chunk is not None
        self._chunk, self._filled = None, 0
        if len(chunk) > filled:  # give back the unused end, without copying
            chunk.resize(filled, refcheck=False)  # no other view of the chunk exists
        return chunk


def _copy_rows(source: np.ndarray, target: np.ndarray) -> None:
    """Copy ``source`` into the start of ``target``, as raw bytes if both are contiguous."""
    if source.flags.c_contiguous and target.flags.c_contiguous:
        target[: len(source)].view(np.uint8)[:] = source.view(np.uint8)
    else:
        target[: len(source)] = source
