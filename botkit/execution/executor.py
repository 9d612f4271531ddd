"""From sized intent to venue order: idempotent client order ids, retries, and no forgotten orders.

Every order gets its client order id before anything is sent and is tracked in the OMS as
``PENDING``. Submission is retried with ``core.retry`` and **always with the same client order
id**, so an answer lost after the venue accepted the order (a timeout, a 504) makes the venue
return the original order on the retry instead of placing a second one. If retries run out the
outcome is unknown: the order stays ``PENDING`` and its id goes to ``unresolved`` for the
reconciler; it is never dropped.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from botkit.core.clock import Clock, LiveClock
from botkit.core.errors import NeedsHumanError, NotFoundError, OrderRejected, TransientError, is_retryable
from botkit.core.retry import RetryPolicy, retry
from botkit.execution.oms import OrderManager
from botkit.execution.snapshot import intent_of, snapshot_events
from botkit.model.order_events import OrderEvent
from botkit.model.order_events import OrderRejected as OrderRejectedEvent
from botkit.model.orders import Order, OrderIntent, OrderStatus
from botkit.venues.base import ExecutionClient

log = structlog.get_logger("botkit.execution.executor")

T = TypeVar("T")

DEFAULT_SUBMIT_RETRY = RetryPolicy(base=0.2, factor=2.0, cap=5.0, max_attempts=5)
"""Retries of submit and cancel: about 6 s of patience before an outcome is declared unknown."""

MAX_CLIENT_ORDER_ID = 36
_PREFIX_CHARS = re.compile(r"[^A-Za-z0-9_]")
_ID_HEX = 24


class TimeToLivePassed(TransientError):
    """An order's retries stopped at its time-to-live; whether an earlier attempt got through is unknown."""


def client_order_id_prefix(bot_name: str) -> str:
    """The bot's prefix of client order ids: its name reduced to ``[A-Za-z0-9_]``, at most 10 chars."""
    prefix = _PREFIX_CHARS.sub("_", bot_name)[:10].strip("_")
    return prefix or "bot"


class OrderExecutor:
    """Sends the bot's orders through an ``ExecutionClient`` and keeps the OMS in step.

    Methods return the events they caused, already applied to the OMS, for the engine to pass to
    the strategy and the portfolio.
    """

    def __init__(
        self,
        client: ExecutionClient,
        oms: OrderManager,
        *,
        bot_name: str = "bot",
        clock: Clock | None = None,
        policy: RetryPolicy = DEFAULT_SUBMIT_RETRY,
        attempt_timeout_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.oms = oms
        self.prefix = client_order_id_prefix(bot_name)
        self.clock = clock or LiveClock()
        self.policy = policy
        self.attempt_timeout_s = attempt_timeout_s
        self._sleep = sleep
        self.unresolved: set[str] = set()
        self._sending: dict[str, asyncio.Event] = {}
        self._unsent: set[str] = set()
        self.submitted = 0

    def new_client_order_id(self) -> str:
        """A fresh id ``<prefix>-<24 hex of a uuid4>``: unique, at most 36 chars of ``[A-Za-z0-9_-]``."""
        return f"{self.prefix}-{uuid.uuid4().hex[:_ID_HEX]}"

    def owns(self, client_order_id: str) -> bool:
        """Whether ``client_order_id`` looks like one of this bot's ids."""
        return client_order_id.startswith(self.prefix + "-")

    def is_sending(self, client_order_id: str) -> bool:
        """Whether ``client_order_id`` is prepared but not sent yet, or its submission is in flight."""
        return client_order_id in self._sending or client_order_id in self._unsent

    def is_on_wire(self, client_order_id: str) -> bool:
        """Whether the submission of ``client_order_id`` is in flight right now."""
        return client_order_id in self._sending

    def send_abandoned(self, client_order_id: str) -> None:
        """A prepared order will not be sent (the caller rejects it locally)."""
        self._unsent.discard(client_order_id)

    def prepare(self, intent: OrderIntent) -> Order:
        """Give ``intent`` (already sized: ``qty`` set) a client order id and track it as PENDING."""
        if intent.qty is None:
            raise ValueError("size the intent before preparing it: qty is None")
        coid = intent.client_order_id or self.new_client_order_id()
        order = Order(
            order_id="", client_order_id=coid, symbol=intent.symbol, side=intent.side, qty=intent.qty,
            order_type=intent.order_type, status=OrderStatus.PENDING, ts_created=self.clock.now_ns(),
            limit_price=intent.limit_price, stop_price=intent.stop_price, time_in_force=intent.time_in_force,
            post_only=intent.post_only, reduce_only=intent.reduce_only, tag=intent.tag,
        )
        self.oms.track(order)
        self._unsent.add(coid)
        return order

    async def submit(self, intent: OrderIntent) -> tuple[Order, list[OrderEvent]]:
        """Prepare and send ``intent``; returns the order as the OMS knows it and the events caused."""
        order = self.prepare(intent)
        events = await self.send(order.client_order_id)
        current = self.oms.get(order.client_order_id)
        return (current if current is not None else order), events

    async def send(self, client_order_id: str, *, deadline_ns: int | None = None) -> list[OrderEvent]:
        """Send a prepared (PENDING) order, retrying with the same client order id.

        An ``OrderRejected`` from the venue rejects the order. If the outcome stays unknown (retries
        ran out, or an error that leaves it open) the order stays PENDING in ``unresolved``; errors
        that need a person (``AuthError``…) are re-raised after that. No attempt starts after
        ``deadline_ns`` (the order's time-to-live): an order is never sent late.
        """
        self._unsent.discard(client_order_id)
        order = self.oms.get(client_order_id)
        if order is None or order.status is not OrderStatus.PENDING:
            log.warning("order.send_skipped", client_order_id=client_order_id,
                        status=order.status.value if order is not None else "unknown")
            return []
        intent = intent_of(order)
        done = self._sending[client_order_id] = asyncio.Event()
        self.submitted += 1
        log.info("order.submitting", client_order_id=client_order_id, symbol=order.symbol,
                 side=order.side.name.lower(), qty=order.qty, type=order.order_type.name.lower(),
                 price=order.limit_price)
        try:
            venue = await self._retry(lambda: self.client.submit(intent, client_order_id), deadline_ns)
        except OrderRejected as error:
            self.unresolved.discard(client_order_id)
            log.info("order.rejected", client_order_id=client_order_id, reason=error.reason, source="venue")
            event = OrderRejectedEvent(self.clock.now_ns(), intent, error.reason, source="venue")
            return _applied(self.oms, [event])
        except NeedsHumanError:
            self.unresolved.add(client_order_id)
            log.error("order.submit_failed", client_order_id=client_order_id, outcome="unknown")
            raise
        except Exception as error:  # transient errors after the last retry: outcome unknown
            self.unresolved.add(client_order_id)
            log.warning("order.submit_unknown", client_order_id=client_order_id,
                        error=f"{type(error).__name__}: {error}")
            return []
        finally:
            done.set()
            self._sending.pop(client_order_id, None)
        self.unresolved.discard(client_order_id)
        local = self.oms.get(client_order_id) or order
        events = _applied(self.oms, snapshot_events(local, venue, self.clock.now_ns()))
        log.info("order.submitted", client_order_id=client_order_id, order_id=venue.order_id,
                 status=venue.status.value)
        return events

    async def cancel(self, client_order_id: str) -> list[OrderEvent]:
        """Cancel one open order (waits for its submission to finish first); returns the events."""
        sending = self._sending.get(client_order_id)
        if sending is not None:
            await sending.wait()
        local = self.oms.get(client_order_id)
        if local is None or not local.status.is_open:
            return []
        if local.status is OrderStatus.PENDING and client_order_id in self.unresolved:
            log.info("order.cancel_deferred", client_order_id=client_order_id, reason="submit outcome unknown")
            return []
        try:
            venue = await self._retry(lambda: self.client.cancel(client_order_id))
        except (NotFoundError, OrderRejected) as error:
            # The venue says it is not open (finished meanwhile) or unknown: ask the reconciler.
            self.unresolved.add(client_order_id)
            log.info("order.cancel_refused", client_order_id=client_order_id, error=str(error))
            return []
        except NeedsHumanError:
            raise
        except Exception as error:  # transient errors after the last retry
            self.unresolved.add(client_order_id)
            log.warning("order.cancel_unknown", client_order_id=client_order_id,
                        error=f"{type(error).__name__}: {error}")
            return []
        current = self.oms.get(client_order_id) or local
        events = _applied(self.oms, snapshot_events(current, venue, self.clock.now_ns()))
        log.info("order.canceled", client_order_id=client_order_id, status=venue.status.value)
        return events

    async def cancel_all(self, symbol: str | None = None) -> list[OrderEvent]:
        """Cancel every open order of this bot (of ``symbol``); returns the events."""
        events: list[OrderEvent] = []
        for order in self.oms.open_orders(symbol):
            events.extend(await self.cancel(order.client_order_id))
        return events

    async def _retry(self, call: Callable[[], Awaitable[T]], deadline_ns: int | None = None) -> T:
        """The one retry layer of order calls: the REST client below makes one attempt per call."""
        first = True

        async def attempt() -> T:
            nonlocal first
            if not first and deadline_ns is not None and self.clock.now_ns() >= deadline_ns:
                raise TimeToLivePassed("the order's time-to-live passed before it could be retried")
            first = False
            return await asyncio.wait_for(call(), self.attempt_timeout_s)

        def worth_retrying(error: BaseException) -> bool:
            return is_retryable(error) and not isinstance(error, TimeToLivePassed)

        return await retry(attempt, self.policy, worth_retrying, sleep=self._sleep)


def _applied(oms: OrderManager, events: list[OrderEvent]) -> list[OrderEvent]:
    """Apply ``events`` to ``oms``; the ones that changed something, as the OMS returned them."""
    out = []
    for event in events:
        result = oms.apply(event)
        if result is not None:
            out.append(result)
    return out
