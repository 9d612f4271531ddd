"""The executor's work queue: cancels jump ahead of new orders, and the stop mark comes last."""

from __future__ import annotations

from collections import deque
from typing import Literal

Command = tuple[Literal["submit", "cancel"], str]
"""Work for the executor: submit or cancel the order with this client order id."""


class CommandQueue:
    """Cancels first (they reduce risk, so never wait behind new orders), then submits in order.

    ``put_nowait(None)`` marks the end (``closed``); ``take`` returns None while nothing is queued.
    """

    def __init__(self) -> None:
        self._cancels: deque[str] = deque()
        self._submits: deque[str] = deque()
        self._canceling: set[str] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the end mark was put."""
        return self._closed

    def cancel_queued(self, client_order_id: str) -> bool:
        """Whether a cancel of ``client_order_id`` waits in the queue."""
        return client_order_id in self._canceling

    def __len__(self) -> int:
        return len(self._cancels) + len(self._submits)

    def put_nowait(self, command: Command | None) -> None:
        """Queue ``command`` (or the end mark)."""
        if command is None:
            self._closed = True
        elif command[0] == "cancel":
            self._cancels.append(command[1])
            self._canceling.add(command[1])
        else:
            self._submits.append(command[1])

    def take(self) -> Command | None:
        """The next command: a cancel if any, else the oldest submit; None when none is queued."""
        if self._cancels:
            coid = self._cancels.popleft()
            self._canceling.discard(coid)
            return "cancel", coid
        if self._submits:
            return "submit", self._submits.popleft()
        return None
