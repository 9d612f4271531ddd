"""Re-cutting a stream of arrays into chunks of exactly ``chunk_rows`` rows (bar the last)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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


def _join(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    if len(parts) == 1:
        return parts[0]
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))
