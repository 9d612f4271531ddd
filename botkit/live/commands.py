"""The executor's work queue: cancels jump ahead of new orders, and the stop mark comes last."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Literal

Command = tuple[Literal["submit", "cancel"], str]
"""Work for the executor: submit or cancel the order with this client order id."""


class CommandQueue:
    """Cancels first (they reduce risk, so never wait behind new orders), then submits in order.

    ``put_nowait(None)`` marks the end: ``get`` returns None once everything before it is taken.
    """

    def __init__(self) -> None:
        self._cancels: deque[str] = deque()
        self._submits: deque[str] = deque()
        self._closed = False
        self._ready = asyncio.Event()

    def put_nowait(self, command: Command | None) -> None:
        """Queue ``command`` (or the end mark)."""
        if command is None:
            self._closed = True
        elif command[0] == "cancel":
            self._cancels.append(command[1])
        else:
            self._submits.append(command[1])
        self._ready.set()

    async def get(self) -> Command | None:
        """The next command: a cancel if any, else the oldest submit; None after the end mark."""
        while True:
            if self._cancels:
                return "cancel", self._cancels.popleft()
            if self._submits:
                return "submit", self._submits.popleft()
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
