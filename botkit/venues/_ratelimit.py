"""A client-side request budget: never send more requests than a venue's rate limit allows.

The budget is a sliding log. A request holds a slot from the moment it is sent until one window
after its response arrived, so any window the venue counts (fixed or sliding, wherever it starts)
holds at most ``limit`` of our requests: the venue received each request before we saw its
response. What the venue's rate-limit headers say tightens the budget, never loosens it.

Time comes from an injectable ``Clock`` and waiting from an injectable ``sleep``, so tests can run
a minute of budget in no time (e.g. a sleep that advances a simulated clock).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog

from botkit.core.clock import NS_PER_SECOND, Clock, LiveClock
from botkit.core.errors import ConfigError

Sleep = Callable[[float], Awaitable[None]]
"""How to wait ``seconds``: ``asyncio.sleep``, or a test double that moves a fake clock."""

log = structlog.get_logger("botkit.venues")


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What one response's rate-limit headers said; None where a header was absent or unreadable."""

    limit: int | None = None
    remaining: int | None = None
    reset_at_s: float | None = None
    retry_after_s: float | None = None


class RateBudget:
    """At most ``limit`` requests in any ``window_s`` seconds, shared by every request through it.

    Share one budget between all clients that count against the same venue limit (e.g. one per
    IP address and plan). ``margin_s`` is added to the window to absorb clock differences.
    """

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        name: str,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        margin_s: float = 0.0,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"{name} rate limit must be an integer >= 1, got {limit!r}")
        if not window_s > 0 or not margin_s >= 0:
            raise ConfigError(f"{name} rate window must be > 0 and margin >= 0, got {window_s}")
        self._name = name
        self._limit = limit
        self._window_ns = int((window_s + margin_s) * NS_PER_SECOND)
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._sleep = sleep
        self._done: deque[int] = deque()  # completion times (ns) of requests still in the window
        self._in_flight = 0
        self._blocked_until_ns = 0
        self._lock = asyncio.Lock()
        self._released = asyncio.Event()

    @property
    def limit(self) -> int:
        """Requests allowed per window now (the configured limit, or lower if the venue said so)."""
        return self._limit

    @property
    def window_s(self) -> float:
        """The window, in seconds, including the margin."""
        return self._window_ns / NS_PER_SECOND

    @property
    def clock(self) -> Clock:
        """The clock the budget measures windows on."""
        return self._clock

    def available(self) -> int:
        """Requests that may start now without waiting."""
        now = self._clock.now_ns()
        self._forget_expired(now)
        if now < self._blocked_until_ns:
            return 0
        return max(0, self._limit - len(self._done) - self._in_flight)

    async def acquire(self) -> None:
        """Wait until a request may be sent, then take a slot; pair with :meth:`release`."""
        if not self._lock.locked():  # nobody is waiting: take a free slot at once (no await before)
            delay_ns = self._delay_ns(self._clock.now_ns())
            if delay_ns is not None and delay_ns <= 0:
                self._in_flight += 1
                return
        async with self._lock:  # waiters are served in order
            while True:
                now = self._clock.now_ns()
                delay_ns = self._delay_ns(now)
                if delay_ns is None:  # every slot is held by a request still running
                    self._released.clear()
                    await self._released.wait()
                    continue
                if delay_ns <= 0:
                    break
                log.info(f"{self._name}.rate_wait", seconds=round(delay_ns / NS_PER_SECOND, 3))
                await self._sleep(delay_ns / NS_PER_SECOND)
            self._in_flight += 1

    def release(self) -> None:
        """The request's response arrived (or it failed): its slot expires one window from now."""
        self._in_flight = max(0, self._in_flight - 1)
        self._done.append(self._clock.now_ns())
        self._released.set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """``async with budget.slot():`` around one request."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def observe(self, info: RateLimitInfo) -> None:
        """Tighten the budget with a response's headers: a lower limit, or none left until reset."""
        if info.limit is not None and 1 <= info.limit < self._limit:
            log.info(f"{self._name}.rate_limit_lowered", limit=info.limit, was=self._limit)
            self._limit = info.limit
        if info.remaining == 0 and info.reset_at_s is not None:
            now = self._clock.now_ns()
            reset_ns = int(info.reset_at_s * NS_PER_SECOND)
            self._block_until(min(reset_ns, now + self._window_ns))

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the venue said so, e.g. with a 429's Retry-After)."""
        seconds = min(max(seconds, 0.0), self.window_s)
        self._block_until(self._clock.now_ns() + int(seconds * NS_PER_SECOND))

    def blocked_for_s(self) -> float:
        """Seconds the venue told us to send nothing for (a 429's Retry-After) that are still to run."""
        return max(0, self._blocked_until_ns - self._clock.now_ns()) / NS_PER_SECOND

    def eta_s(self, requests: int) -> float:
        """Seconds until ``requests`` more requests can all have started, if each were instant."""
        if requests <= 0:
            return 0.0
        now = self._clock.now_ns()
        self._forget_expired(now)
        expiries = [t + self._window_ns for t in self._done]
        expiries += [now + self._window_ns] * self._in_flight
        used = len(expiries)
        available = max(0, self._limit - used)
        excess = max(0, used - self._limit)
        last = requests - 1
        base_index, rounds = last % self._limit, last // self._limit
        start_ns = now if base_index < available else expiries[base_index - available + excess]
        start_ns = max(start_ns, self._blocked_until_ns, now)
        return (start_ns - now + rounds * self._window_ns) / NS_PER_SECOND

    def _block_until(self, until_ns: int) -> None:
        if until_ns > self._blocked_until_ns:
            self._blocked_until_ns = until_ns

    def _forget_expired(self, now_ns: int) -> None:
        while self._done and self._done[0] + self._window_ns <= now_ns:
            self._done.popleft()

    def _delay_ns(self, now_ns: int) -> int | None:
        """Nanoseconds to wait before the next request; None if only a release can free a slot."""
        self._forget_expired(now_ns)
        delay = self._blocked_until_ns - now_ns
        used = len(self._done) + self._in_flight
        if used >= self._limit:
            index = used - self._limit  # this completion must leave the window first
            if index >= len(self._done):
                return None
            delay = max(delay, self._done[index] + self._window_ns - now_ns)
        return delay
