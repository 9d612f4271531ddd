"""Fixed-window request budgets, one per API key (or per IP for anonymous requests)."""

from __future__ import annotations

from dataclasses import dataclass

from botkit.core.clock import Clock
from botkit.sim.syncron.config import RateLimitConfig

H_LIMIT = "X-SYNCRON-RATELIMIT-LIMIT"
H_REMAINING = "X-SYNCRON-RATELIMIT-REMAINING"
H_RESET = "X-SYNCRON-RATELIMIT-RESET"


@dataclass(frozen=True, slots=True)
class RateState:
    """A bucket after one request: whether it was allowed and what the headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_ms: int

    def headers(self) -> dict[str, str]:
        """The three ``X-SYNCRON-RATELIMIT-*`` headers."""
        return {
            H_LIMIT: str(self.limit),
            H_REMAINING: str(self.remaining),
            H_RESET: str(self.reset_ms),
        }


class RateLimiter:
    """Counts requests per bucket in fixed windows that start at a bucket's first request."""

    def __init__(self, config: RateLimitConfig, clock: Clock) -> None:
        self._limit = config.limit
        self._window_ms = max(1, int(config.window_s * 1000))
        self._clock = clock
        self._windows: dict[str, tuple[int, int]] = {}  # bucket -> (window start ms, count)

    def hit(self, bucket: str) -> RateState:
        """Count one request against ``bucket``; refused when the window's budget is spent."""
        now = self._clock.now_ns() // 1_000_000
        start, count = self._windows.get(bucket, (now, 0))
        if now >= start + self._window_ms:
            start, count = now, 0
        allowed = count < self._limit
        if allowed:
            count += 1
        self._windows[bucket] = (start, count)
        if len(self._windows) > 4096:
            self._windows = {b: w for b, w in self._windows.items() if now < w[0] + self._window_ms}
        return RateState(allowed, self._limit, self._limit - count, start + self._window_ms)
