"""What the Syncron market-data and execution clients share: one REST client, their streams, closing."""

from __future__ import annotations

import asyncio
import random
from types import TracebackType
from typing import Protocol, Self

from botkit.venues._ratelimit import Sleep
from botkit.venues._ws import WsOptions
from botkit.venues.syncron.config import SyncronSettings
from botkit.venues.syncron.rest import SyncronRestClient
from botkit.venues.syncron.stream import ws_options_for


class _Closable(Protocol):
    async def close(self) -> None: ...


class SyncronClientBase:
    """Holds a REST client (made from ``settings`` and owned, or shared via ``rest``) and open streams.

    Closing closes the streams and, when this client made it, the REST client; safe to call twice.
    """

    def __init__(
        self,
        settings: SyncronSettings | None = None,
        *,
        rest: SyncronRestClient | None = None,
        ws_options: WsOptions | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._owns_rest = rest is None
        self.rest = rest if rest is not None else SyncronRestClient(settings, sleep=sleep, rng=rng)
        self._ws_options = ws_options or ws_options_for(self.rest.settings)
        self._sleep = sleep
        self._rng = rng
        self._streams: list[_Closable] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rest={self.rest!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def rate_limit_wait_s(self) -> float:
        """Seconds the venue's 429s still forbid sending (shared by every client of this budget)."""
        return self.rest.budget.blocked_for_s()

    async def clock_offset_s(self) -> float:
        """Measure the venue's clock minus ours, in seconds."""
        return await self.rest.sync_clock()

    async def close(self) -> None:
        """Close open streams, and the REST client if this client made it; safe to call twice."""
        for stream in self._streams:
            await stream.close()
        self._streams.clear()
        if self._owns_rest:
            await self.rest.close()
