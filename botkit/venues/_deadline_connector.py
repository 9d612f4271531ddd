"""A TCP connector that keeps the send deadline while a request waits for its connection.

The deadline is checked before a request starts, but aiohttp may then still wait: for a pooled
connection to come free, or for a new one to open (a round trip, and the event loop's turns under
load). An order whose time-to-live ran out in that wait must not go out, so the deadline is checked
again once the connection is in hand; after that only the event loop's next turn stands between the
check and the first byte written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import aiohttp

from botkit.venues.base import SendDeadline, SendDeadlinePassed

_REQUEST_DEADLINE: ContextVar[SendDeadline | None] = ContextVar("botkit_request_deadline", default=None)


@contextmanager
def request_deadline(deadline: SendDeadline | None) -> Iterator[None]:
    """Make ``deadline`` the one the connector keeps for requests started in this block."""
    token = _REQUEST_DEADLINE.set(deadline)
    try:
        yield
    finally:
        _REQUEST_DEADLINE.reset(token)


class DeadlineConnector(aiohttp.TCPConnector):
    """``aiohttp.TCPConnector`` that refuses a connection got after the request's deadline."""

    async def connect(self, req: aiohttp.ClientRequest, traces: Any, timeout: aiohttp.ClientTimeout) -> Any:
        """A connection for ``req``, or ``SendDeadlinePassed`` (nothing written) if it came too late."""
        connection = await super().connect(req, traces, timeout)
        deadline = _REQUEST_DEADLINE.get()
        if deadline is not None and deadline.passed():
            connection.release()
            raise SendDeadlinePassed(f"{req.method} {req.url.path}: not sent, its deadline passed "
                                     "while it waited for a connection")
        return connection
