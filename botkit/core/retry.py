"""Exponential backoff with full jitter, and one async retry loop used by every venue client."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from botkit.core.errors import RateLimited, is_retryable

T = TypeVar("T")

DEFAULT_MAX_RETRY_AFTER_S = 60.0
"""The longest wait a venue's Retry-After (or rate-limit reset) can impose on one retry."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry: delays grow from ``base`` by ``factor`` up to ``cap``."""

    base: float = 0.25
    factor: float = 2.0
    cap: float = 30.0
    max_attempts: int = 6

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap <= 0 or self.factor < 1 or self.max_attempts < 1:
            raise ValueError(f"invalid RetryPolicy {self!r}: base, cap > 0, factor >= 1, attempts >= 1")


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): uniform in [0, min(cap, base*factor**attempt)]."""
    ceiling = min(policy.cap, policy.base * policy.factor ** max(attempt, 0))
    return (rng or random).uniform(0.0, ceiling)


async def retry(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    is_retryable: Callable[[BaseException], bool] = is_retryable,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
) -> T:
    """Await ``fn()`` until it succeeds, retrying retryable errors with backoff.

    A ``RateLimited`` error that carries ``retry_after`` waits that long instead of the jittered
    delay, but never longer than ``max_retry_after_s``: a hostile or broken venue cannot park the
    caller for hours with one header. The last error is re-raised when attempts run out or the
    error is not retryable.
    """
    if not max_retry_after_s > 0:
        raise ValueError(f"max_retry_after_s must be > 0 seconds, got {max_retry_after_s!r}")
    attempt = 0
    while True:
        try:
            return await fn()
        except Exception as error:
            attempt += 1
            if attempt >= policy.max_attempts or not is_retryable(error):
                raise
            if isinstance(error, RateLimited) and error.retry_after is not None:
                delay = min(max(0.0, error.retry_after), max_retry_after_s)
            else:
                delay = backoff_delay(attempt - 1, policy, rng)
            await sleep(delay)
