"""From sized intent to venue order: idempotent client order ids, retries, and no forgotten orders.

Every order gets its client order id before anything is sent and is tracked in the OMS as
``PENDING``. Submission is retried with ``core.retry`` and **always with the same client order
id**, so an answer lost after the venue accepted the order (a timeout, a 504) makes the venue
return the original order on the retry instead of placing a second one. If retries run out the
outcome is unknown: the order stays ``PENDING`` and its id goes to ``unresolved`` for the
reconciler; it is never dropped.

A submit or cancel answer that shows more filled than the OMS has seen means fills are owed by
the order-event stream; they normally follow at once, but a lost push would leave the order
wrong for good. Such an order counts as ``unresolved`` until its fills arrive, so the engine's
reconciler replays them from the venue's fill history if they do not.
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
from botkit.execution.snapshot import QTY_EPS, intent_of, snapshot_events
from botkit.model.order_events import OrderEvent
from botkit.model.order_events import OrderRejected as OrderRejectedEvent
from botkit.model.orders import Order, OrderIntent, OrderStatus
from botkit.risk.rejection import RejectCode
from botkit.venues.base import SEND_DEADLINE, ExecutionClient, SendDeadline, SendDeadlinePassed

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
        self._unresolved: set[str] = set()
        self._owed: dict[str, float] = {}
        self._sending: dict[str, asyncio.Event] = {}
        self._unsent: set[str] = set()
        self.submitted = 0

    @property
    def unresolved(self) -> set[str]:
        """Client order ids whose state at the venue is unclear, for the reconciler to settle.

        Orders whose submission outcome is unknown, whose cancel was refused or failed, and orders
        the venue reported filled beyond what the OMS has seen (until those fills arrive).
        """
        owed = self._owed
        if not owed:
            return self._unresolved
        for coid, venue_filled in list(owed.items()):
            order = self.oms.get(coid)
            if order is None or order.filled_qty >= venue_filled - QTY_EPS * max(1.0, venue_filled):
                del owed[coid]
        return self._unresolved | owed.keys() if owed else self._unresolved

    def mark_resolved(self, client_order_id: str) -> None:
        """The reconciler settled ``client_order_id`` with the venue's view."""
        self._unresolved.discard(client_order_id)
        self._owed.pop(client_order_id, None)

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
        ``deadline_ns`` (the order's time-to-live), and the client writes no byte of one after it
        (``SEND_DEADLINE``): an order is never sent late. A first attempt stopped that way was
        never sent, so the order is rejected (``time_to_live``).
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
        try:  # nothing is logged before the request is written: logging is off the send path
            venue = await self._retry(lambda: self.client.submit(intent, client_order_id), deadline_ns)
        except OrderRejected as error:
            self._unresolved.discard(client_order_id)
            log.info("order.rejected", client_order_id=client_order_id, reason=error.reason, source="venue")
            event = OrderRejectedEvent(self.clock.now_ns(), intent, error.reason, source="venue")
            return _applied(self.oms, [event])
        except SendDeadlinePassed:  # the first attempt waited past the time-to-live: never sent
            self._unresolved.discard(client_order_id)
            reason = "not sent: its time-to-live passed while it waited for the venue's rate limit"
            log.info("order.rejected", client_order_id=client_order_id, reason=reason, source="engine")
            event = OrderRejectedEvent(self.clock.now_ns(), intent, reason, source="engine",
                                       code=RejectCode.TIME_TO_LIVE.value)
            return _applied(self.oms, [event])
        except NeedsHumanError:
            self._unresolved.add(client_order_id)
            log.error("order.submit_failed", client_order_id=client_order_id, outcome="unknown")
            raise
        except Exception as error:  # transient errors after the last retry: outcome unknown
            self._unresolved.add(client_order_id)
            log.warning("order.submit_unknown", client_order_id=client_order_id,
                        error=f"{type(error).__name__}: {error}")
            return []
        finally:
            done.set()
            self._sending.pop(client_order_id, None)
        self._unresolved.discard(client_order_id)
        local = self.oms.get(client_order_id) or order
        events = _applied(self.oms, snapshot_events(local, venue, self.clock.now_ns()))
        self._expect_fills(client_order_id, venue)
        log.info("order.submitted", client_order_id=client_order_id, order_id=venue.order_id,
                 symbol=order.symbol, side=order.side.name.lower(), qty=order.qty,
                 type=order.order_type.name.lower(), price=order.limit_price, status=venue.status.value)
        return events

    async def cancel(self, client_order_id: str) -> list[OrderEvent]:
        """Cancel one open order (waits for its submission to finish first); returns the events."""
        sending = self._sending.get(client_order_id)
        if sending is not None:
            await sending.wait()
        local = self.oms.get(client_order_id)
        if local is None or not local.status.is_open:
            return []
        if local.status is OrderStatus.PENDING and client_order_id in self._unresolved:
            log.info("order.cancel_deferred", client_order_id=client_order_id, reason="submit outcome unknown")
            return []
        try:
            venue = await self._retry(lambda: self.client.cancel(client_order_id))
        except (NotFoundError, OrderRejected) as error:
            # The venue says it is not open (finished meanwhile) or unknown: ask the reconciler.
            self._unresolved.add(client_order_id)
            log.info("order.cancel_refused", client_order_id=client_order_id, error=str(error))
            return []
        except NeedsHumanError:
            raise
        except Exception as error:  # transient errors after the last retry
            self._unresolved.add(client_order_id)
            log.warning("order.cancel_unknown", client_order_id=client_order_id,
                        error=f"{type(error).__name__}: {error}")
            return []
        current = self.oms.get(client_order_id) or local
        events = _applied(self.oms, snapshot_events(current, venue, self.clock.now_ns()))
        self._expect_fills(client_order_id, venue)
        log.info("order.canceled", client_order_id=client_order_id, status=venue.status.value)
        return events

    async def cancel_all(self, symbol: str | None = None) -> list[OrderEvent]:
        """Cancel every open order of this bot (of ``symbol``); returns the events."""
        events: list[OrderEvent] = []
        for order in self.oms.open_orders(symbol):
            events.extend(await self.cancel(order.client_order_id))
        return events

    def _expect_fills(self, client_order_id: str, venue: Order) -> None:
        """Remember fills the venue's answer shows that the OMS has not seen (yet)."""
        local = self.oms.get(client_order_id)
        if local is not None and venue.filled_qty > local.filled_qty + QTY_EPS * max(1.0, venue.filled_qty):
            self._owed[client_order_id] = max(venue.filled_qty, self._owed.get(client_order_id, 0.0))

    async def _retry(self, call: Callable[[], Awaitable[T]], deadline_ns: int | None = None) -> T:
        """The one retry layer of order calls: the REST client below makes one attempt per call."""
        first = True
        deadline = SendDeadline(deadline_ns, self.clock) if deadline_ns is not None else None

        async def attempt() -> T:
            nonlocal first
            if not first and deadline is not None and deadline.passed():
                raise TimeToLivePassed("the order's time-to-live passed before it could be retried")
            was_first, first = first, False
            token = SEND_DEADLINE.set(deadline)  # the client writes nothing after it (rate waits included)
            try:
                async with asyncio.timeout(self.attempt_timeout_s):  # inline: wait_for would start a task first
                    return await call()
            except SendDeadlinePassed:
                if was_first:
                    raise  # nothing was ever sent: the caller rejects the order
                raise TimeToLivePassed("the order's time-to-live passed before it could be retried") from None
            finally:
                SEND_DEADLINE.reset(token)

        def worth_retrying(error: BaseException) -> bool:
            return is_retryable(error) and not isinstance(error, TimeToLivePassed | SendDeadlinePassed)

        return await retry(attempt, self.policy, worth_retrying, sleep=self._sleep)


def _applied(oms: OrderManager, events: list[OrderEvent]) -> list[OrderEvent]:
    """Apply ``events`` to ``oms``; the ones that changed something, as the OMS returned them."""
    out = []
    for event in events:
        result = oms.apply(event)
        if result is not None:
            out.append(result)
    return out
