"""Simulator time: the wall clock sped up by a factor, and movable forward by tests."""

from __future__ import annotations

import time

from botkit.core.clock import NS_PER_SECOND


class ScaledClock:
    """A clock running at ``speed`` times the wall clock from ``start_ns``; never goes back.

    It satisfies ``botkit.core.clock.Clock``. Rate-limit windows, session expiry and WebSocket
    update periods are all measured on it, so a test can run them ``speed`` times faster, or
    jump over them with :meth:`advance`.
    """

    __slots__ = ("_offset_ns", "_origin_mono_ns", "_speed", "_start_ns")

    def __init__(self, start_ns: int | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self._start_ns = time.time_ns() if start_ns is None else start_ns
        self._origin_mono_ns = time.monotonic_ns()
        self._speed = speed
        self._offset_ns = 0

    @property
    def speed(self) -> float:
        """How many simulator seconds pass per wall-clock second."""
        return self._speed

    def now_ns(self) -> int:
        """Current simulator time in nanoseconds since the epoch, UTC."""
        elapsed = time.monotonic_ns() - self._origin_mono_ns
        return self._start_ns + self._offset_ns + int(elapsed * self._speed)

    def now_s(self) -> float:
        """Current simulator time in (fractional) Unix seconds."""
        return self.now_ns() / NS_PER_SECOND

    def advance(self, seconds: float) -> None:
        """Jump ``seconds`` (>= 0) of simulator time forward at once."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward, got advance({seconds})")
        self._offset_ns += int(seconds * NS_PER_SECOND)

    def wall_seconds(self, sim_seconds: float) -> float:
        """Wall-clock seconds it takes for ``sim_seconds`` of simulator time to pass."""
        return sim_seconds / self._speed
