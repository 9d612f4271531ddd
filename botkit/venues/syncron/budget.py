"""A rate budget shared by every process on one machine: the same sliding log, in a locked file.

``MachineRateBudget`` is a ``RateBudget`` (the HttpClient cannot tell them apart) whose slots live
in a small memory-mapped file guarded by ``fcntl.flock``, so N bot processes using one API key
never send more than the key's limit together. Like ``RateBudget``, a request holds a slot from
the moment it is sent until one window after its response arrived, so any window the venue counts
holds at most ``limit`` of the machine's requests.

A slot being used is written with a provisional expiry of ``window + max_hold_s`` after it was
taken; the response moves it to ``window`` after the response. So a process that dies mid-request
frees its slot by itself, and nothing needs cleaning up. What the venue's headers say (a lower
limit, nothing left until the reset, a 429's wait) is written to the file for every process.

The file holds no secret: its name is a hash of endpoint and key (``SyncronSettings.budget_file``).
Nothing here is Syncron-specific; processes sharing a file must use the same limit and window.
"""

from __future__ import annotations

import asyncio
import fcntl
import mmap
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import structlog

from botkit.core.clock import NS_PER_SECOND, Clock
from botkit.core.errors import ConfigError
from botkit.venues._ratelimit import RateBudget, RateLimitInfo, Sleep
from botkit.venues.syncron import wire
from botkit.venues.syncron.config import BudgetScope, SyncronSettings

log = structlog.get_logger("botkit.venues")

_MAGIC = 0x42_4B_52_42_01  # "BKRB" v1
_HEADER = 8  # int64 words: magic, capacity, limit, blocked_until_ns, 4 spare
_WORDS = 3  # per slot: expires_ns, owner token, state
_FREE, _SENDING, _DONE = 0, 1, 2
_H_MAGIC, _H_CAPACITY, _H_LIMIT, _H_BLOCKED = 0, 1, 2, 3


class MachineRateBudget(RateBudget):
    """At most ``limit`` requests in any ``window_s``, counted over every process using ``path``.

    ``max_hold_s`` bounds how long one request may hold its slot before the slot is presumed lost
    (its process died): make it longer than the request timeout.
    """

    def __init__(
        self,
        path: Path,
        limit: int,
        window_s: float,
        *,
        name: str,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        margin_s: float = 0.0,
        max_hold_s: float = 60.0,
    ) -> None:
        super().__init__(limit, window_s, name=name, clock=clock, sleep=sleep, margin_s=margin_s)
        self._path = Path(path)
        self._hold_ns = int(max_hold_s * NS_PER_SECOND)
        self._mine: list[tuple[int, int]] = []  # (slot, owner token) of this process's requests
        self._rng = random.Random()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"{name} rate budget file {str(self._path)!r} cannot be opened: {exc}; "
                              "set rate_budget_dir to a writable directory") from None
        with self._flock():
            capacity = self._prepare(limit)
        self._map = mmap.mmap(self._fd, (_HEADER + _WORDS * capacity) * 8)
        self._words = memoryview(self._map).cast("q")
        slots = np.frombuffer(self._map, dtype=np.int64)[_HEADER:].reshape(capacity, _WORDS)
        self._expires, self._states = slots[:, 0], slots[:, 2]  # views: scans run in numpy, not per slot
        self._capacity = capacity
        if capacity < limit:
            log.warning(f"{name}.budget_capacity", path=str(self._path), capacity=capacity, limit=limit)
            self._limit = capacity

    @property
    def path(self) -> Path:
        """The file the budget lives in."""
        return self._path

    @property
    def limit(self) -> int:
        """Requests allowed per window now, as every process sharing the file sees it."""
        return min(self._limit, int(self._words[_H_LIMIT]))

    def close(self) -> None:
        """Unmap and close the file (it stays for the other processes); safe to call twice."""
        if self._fd < 0:
            return
        self._words.release()
        del self._expires, self._states  # they export the map's buffer
        self._map.close()
        os.close(self._fd)
        self._fd = -1

    # --- RateBudget interface -------------------------------------------------------------------

    def available(self) -> int:
        """Requests that may start now without waiting, machine-wide."""
        with self._flock():
            now = self._clock.now_ns()
            if now < self._words[_H_BLOCKED]:
                return 0
            live = int(np.count_nonzero(self._expires > now))
            return max(0, self.limit - live)

    async def acquire(self) -> None:
        """Wait until a request may be sent machine-wide, then take a slot; pair with release."""
        async with self._lock:  # this process's waiters are served in order
            while True:
                with self._flock():
                    delay_ns = self._take(self._clock.now_ns())
                if delay_ns is None:
                    return
                log.info(f"{self._name}.rate_wait", seconds=round(delay_ns / NS_PER_SECOND, 3), shared=True)
                await self._sleep(delay_ns / NS_PER_SECOND)

    def release(self) -> None:
        """The response arrived (or the request failed): the slot expires one window from now."""
        if not self._mine:
            return
        slot, token = self._mine.pop(0)
        base = _HEADER + _WORDS * slot
        with self._flock():
            if self._words[base + 1] == token:
                self._words[base] = self._clock.now_ns() + self._window_ns
                self._words[base + 2] = _DONE

    def observe(self, info: RateLimitInfo) -> None:
        """Tighten the shared budget with a response's headers (lower limit, nothing left)."""
        with self._flock():
            if info.limit is not None and 1 <= info.limit < self._words[_H_LIMIT]:
                log.info(f"{self._name}.rate_limit_lowered", limit=info.limit, was=int(self._words[_H_LIMIT]))
                self._words[_H_LIMIT] = info.limit
            if info.remaining == 0 and info.reset_at_s is not None:
                now = self._clock.now_ns()
                self._block(min(int(info.reset_at_s * NS_PER_SECOND), now + self._window_ns))

    def block_for(self, seconds: float) -> None:
        """No process sends anything for ``seconds`` (the venue said so)."""
        seconds = min(max(seconds, 0.0), self.window_s)
        with self._flock():
            self._block(self._clock.now_ns() + int(seconds * NS_PER_SECOND))

    def blocked_for_s(self) -> float:
        """Seconds any process was told to send nothing for that are still to run."""
        with self._flock():
            return max(0, self._words[_H_BLOCKED] - self._clock.now_ns()) / NS_PER_SECOND

    def eta_s(self, requests: int) -> float:
        """Rough seconds until ``requests`` more requests can all have started."""
        if requests <= 0:
            return 0.0
        spare = self.available()
        if requests <= spare:
            return 0.0
        windows = -(-(requests - spare) // self.limit)
        return windows * self.window_s

    # --- the file -----------------------------------------------------------------------------

    @contextmanager
    def _flock(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _prepare(self, limit: int) -> int:
        """Create or check the file (under the lock); returns its slot capacity."""
        size = os.fstat(self._fd).st_size
        header = os.pread(self._fd, _HEADER * 8, 0) if size >= _HEADER * 8 else b""
        if len(header) == _HEADER * 8:
            magic, capacity = int.from_bytes(header[:8], "little"), int.from_bytes(header[8:16], "little")
            if magic == _MAGIC and capacity >= 1 and size >= (_HEADER + _WORDS * capacity) * 8:
                return capacity
        words = [0] * (_HEADER + _WORDS * limit)
        words[_H_MAGIC], words[_H_CAPACITY], words[_H_LIMIT] = _MAGIC, limit, limit
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, b"".join(w.to_bytes(8, "little", signed=True) for w in words), 0)
        return limit

    def _take(self, now: int) -> int | None:
        """Take a free slot (None) or say how many ns to wait before trying again."""
        words = self._words
        blocked = words[_H_BLOCKED]
        if now < blocked:
            return blocked - now
        used = self._expires > now
        live = int(np.count_nonzero(used))
        if live < self.limit and live < self._capacity:
            free = int(np.argmin(used))  # the first slot not in use
            token = self._rng.getrandbits(62) + 1
            base = _HEADER + _WORDS * free
            words[base] = now + self._window_ns + self._hold_ns
            words[base + 1] = token
            words[base + 2] = _SENDING
            self._mine.append((free, token))
            return None
        done = self._expires[used & (self._states == _DONE)]  # a slot being used frees no sooner than a window
        earliest_done = min(int(done.min()), now + self._window_ns) if done.size else now + self._window_ns
        return max(earliest_done - now, 1)

    def _block(self, until_ns: int) -> None:
        if until_ns > self._words[_H_BLOCKED]:
            self._words[_H_BLOCKED] = until_ns


def make_budget(settings: SyncronSettings, *, clock: Clock | None = None, sleep: Sleep = asyncio.sleep) -> RateBudget:
    """The budget ``settings`` ask for: in this process, or shared machine-wide through a file."""
    if settings.rate_budget is BudgetScope.MACHINE:
        return MachineRateBudget(
            settings.budget_file(),
            settings.rate_limit,
            settings.rate_window_s,
            name=wire.VENUE,
            clock=clock,
            sleep=sleep,
            margin_s=settings.rate_margin_s,
            max_hold_s=settings.timeout_s + 5.0,
        )
    return RateBudget(settings.rate_limit, settings.rate_window_s, name=wire.VENUE, clock=clock, sleep=sleep,
                      margin_s=settings.rate_margin_s)
