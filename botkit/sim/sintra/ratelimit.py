"""Per-IP fixed-window request limits, measured on the simulator clock."""

from __future__ import annotations

import math
from dataclasses import dataclass

from botkit.core.clock import NS_PER_SECOND, Clock


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of counting one request, with what the rate-limit headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_at_s: int
    retry_after_s: int

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers, plus ``Retry-After`` when the request was refused."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at_s),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


@dataclass(slots=True)
class _Window:
    started_ns: int
    count: int


class FixedWindowLimiter:
    """Counts requests per key (IP and plan) in windows that start with a window's first request."""

    def __init__(self, clock: Clock, window_s: float) -> None:
        self._clock = clock
        self._window_ns = int(window_s * NS_PER_SECOND)
        self._windows: dict[tuple[str, str], _Window] = {}

    def hit(self, ip: str, plan: str, limit: int) -> RateDecision:
        """Count one request from ``ip`` on ``plan``; refused once ``limit`` is used up."""
        now = self._clock.now_ns()
        window = self._windows.get((ip, plan))
        if window is None or now - window.started_ns >= self._window_ns:
            window = _Window(started_ns=now, count=0)
            self._windows[(ip, plan)] = window
            self._forget_expired(now)
        ends_ns = window.started_ns + self._window_ns
        allowed = window.count < limit
        if allowed:
            window.count += 1
        return RateDecision(
            allowed=allowed,
            limit=limit,
            remaining=limit - window.count,
            reset_at_s=math.ceil(ends_ns / NS_PER_SECOND),
            retry_after_s=max(1, math.ceil((ends_ns - now) / NS_PER_SECOND)),
        )

    def reset(self) -> None:
        """Forget every window, as if no request had been made."""
        self._windows.clear()

    def _forget_expired(self, now_ns: int) -> None:
        if len(self._windows) > 1024:
            horizon = now_ns - self._window_ns
            self._windows = {k: w for k, w in self._windows.items() if w.started_ns > horizon}
