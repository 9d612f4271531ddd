"""The Protocols a venue implements; the rest of botkit programs against these, never a venue.

A venue offers any of three roles: market data (``MarketDataClient``), the list of what it trades
(``InstrumentProvider``) and order handling (``ExecutionClient``). Timestamps are integer
nanoseconds UTC and every value is a ``botkit.model`` object: wire formats stop at the venue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from botkit.core.clock import Clock
from botkit.core.errors import TransientError
from botkit.model.events import MarketEvent
from botkit.model.instruments import Instrument
from botkit.model.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from botkit.model.orders import Order, OrderIntent
from botkit.model.positions import Balance

OrderEvent = OrderAccepted | OrderFilled | OrderRejected | OrderCanceled | OrderExpired
"""What an execution client reports about orders, in the past tense."""


@runtime_checkable
class MarketDataClient(Protocol):
    """A venue's live market data as one stream of normalized events.

    ``stream`` connects on first iteration and reconnects by itself; it ends only when the client
    is closed, and raises a core error when reconnecting is hopeless (``VenueUnavailable``) or
    needs a person (``AuthError``, ``ConfigError``).
    """

    @property
    def venue(self) -> str:
        """The venue's name, as used in archive paths and logs (e.g. ``"sintra"``)."""
        ...

    def stream(self, symbols: Collection[str] | None = None) -> AsyncIterator[MarketEvent]:
        """Market events for ``symbols`` (None: everything the venue sends), until closed."""
        ...

    async def close(self) -> None:
        """Close connections and end open streams; safe to call twice."""
        ...


@runtime_checkable
class InstrumentProvider(Protocol):
    """The instruments a venue lists, with their trading rules."""

    async def instruments(self) -> Sequence[Instrument]:
        """Every instrument the venue offers now."""
        ...


@runtime_checkable
class ExecutionClient(Protocol):
    """Order handling at one venue, used only by ``botkit.execution``.

    ``submit`` and ``cancel`` are idempotent for a given ``client_order_id`` so the executor can
    retry them; rejections by the venue raise ``OrderRejected`` (or ``InsufficientFunds``).
    """

    @property
    def venue(self) -> str:
        """The venue's name."""
        ...

    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        """Send an order; returns it as the venue accepted it.

        While ``SEND_DEADLINE`` is set (the executor sets it to the order's time-to-live), no
        byte of the order request may be written after it: a client that had to wait (for its
        rate budget, say) raises ``SendDeadlinePassed`` instead of sending late.
        """
        ...

    async def cancel(self, client_order_id: str) -> Order:
        """Cancel an open order; returns it in its final state."""
        ...

    async def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        """The venue's open orders (of ``symbol``, or all), for reconciliation."""
        ...

    async def balances(self) -> Sequence[Balance]:
        """The account's balances per asset."""
        ...

    def order_events(self) -> AsyncIterator[OrderEvent]:
        """Order events (fills, cancels, expiries) as the venue reports them, until closed."""
        ...

    async def close(self) -> None:
        """Close connections and end open streams; safe to call twice."""
        ...


@runtime_checkable
class RateLimitAware(Protocol):
    """A client whose venue can tell it to wait (HTTP 429 with Retry-After)."""

    def rate_limit_wait_s(self) -> float:
        """Seconds the venue still forbids sending; 0 when requests may go."""
        ...


@runtime_checkable
class VenueClock(Protocol):
    """A client that can measure the venue's clock against ours."""

    async def clock_offset_s(self) -> float:
        """The venue's clock minus ours, in seconds."""
        ...


@runtime_checkable
class SyncAware(Protocol):
    """A stream that knows whether it has caught up after a reconnect."""

    @property
    def in_sync(self) -> bool:
        """Connected and caught up on what was missed while disconnected."""
        ...


@dataclass(frozen=True, slots=True)
class SendDeadline:
    """The instant (``clock`` ns) after which an order request must not start going out."""

    not_after_ns: int
    clock: Clock

    def passed(self) -> bool:
        """Whether it is too late to start sending."""
        return self.clock.now_ns() > self.not_after_ns


SEND_DEADLINE: ContextVar[SendDeadline | None] = ContextVar("botkit_send_deadline", default=None)
"""The deadline of the order submission running in this context, if any.

Set by ``botkit.execution`` around each submit attempt (``ExecutionClient.submit`` has no such
parameter, so every client stays valid); a client checks it just before it writes the order
request, after any wait of its own, so that an order is never put on the wire after its
time-to-live.
"""


class SendDeadlinePassed(TransientError):
    """The order request was not written: its deadline passed first, so the venue never saw it."""
