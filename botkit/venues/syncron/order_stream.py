"""Syncron private channels (``orders``, ``fills``) as a stream of past-tense order events.

Each own order is tracked from its first report: ``OrderAccepted`` when it is first seen (as
accepted, nothing filled), ``OrderFilled`` for every fill (the order as it stands after that
fill), and ``OrderCanceled`` / ``OrderExpired`` when it ends, emitted only after the fills that
preceded the end (the venue pushes the order's final state before its fills). Fills are
deduplicated by fill id.

After a reconnect the stream authenticates and resubscribes, then catches up over REST: open
orders, the final state of tracked orders that are no longer open, and fills since the stream
started; so no event is lost or emitted twice across a dropped connection.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace

import structlog

from botkit.core.errors import ConfigError
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderExpired, OrderFilled
from botkit.model.orders import OrderStatus
from botkit.venues._ratelimit import Sleep
from botkit.venues._ws import WsOptions
from botkit.venues.base import OrderEvent
from botkit.venues.syncron import frames, wire
from botkit.venues.syncron.config import API_KEY_ENV, API_SECRET_ENV, AuthMode
from botkit.venues.syncron.rest import SyncronRestClient
from botkit.venues.syncron.results import Execution, OrderReport
from botkit.venues.syncron.stream import RecentIds, SyncronFeed

_EPS = 1e-9

log = structlog.get_logger("botkit.venues.syncron")


@dataclass(slots=True)
class _Tracked:
    report: OrderReport
    filled_qty: float = 0.0
    filled_quote: float = 0.0
    finished: bool = False
    pending_end: OrderReport | None = None


class SyncronOrderStream(SyncronFeed):
    """``async for event in stream``: OrderAccepted, OrderFilled, OrderCanceled, OrderExpired."""

    def __init__(
        self,
        rest: SyncronRestClient,
        *,
        options: WsOptions | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if rest.credentials is None:
            raise ConfigError(f"the orders stream is private: set {API_KEY_ENV} and {API_SECRET_ENV}")
        super().__init__(rest.settings.websocket_url, [wire.CHANNEL_ORDERS, wire.CHANNEL_FILLS],
                         auth=self._auth_args, options=options, sleep=sleep, rng=rng, name="orders")
        self._rest = rest
        self._orders: dict[str, _Tracked] = {}
        self._fill_ids = RecentIds()
        self._since_ns: int | None = None

    def __aiter__(self) -> SyncronOrderStream:
        return self

    async def __anext__(self) -> OrderEvent:
        """The next order event."""
        return await super().__anext__()  # type: ignore[return-value]

    def track(self, report: OrderReport) -> None:
        """Follow an order placed through REST (events for it are emitted as usual)."""
        self._on_report(report)

    # --- feed hooks -------------------------------------------------------------------------

    async def _auth_args(self) -> dict[str, object]:
        rest = self._rest
        if self._since_ns is None:
            self._since_ns = rest.venue_now_ns()
        if rest.credentials is None:  # pragma: no cover - checked in __init__
            raise ConfigError(f"the orders stream is private: set {API_KEY_ENV} and {API_SECRET_ENV}")
        if rest.tokens is not None and rest.settings.auth_mode is AuthMode.JWT:
            return {wire.AUTH_TOKEN: await rest.tokens.token()}
        return rest.credentials.ws_auth_args(rest.venue_now_ms())

    async def on_push(self, push: frames.Push) -> None:
        """Orders before fills, as the venue sends them."""
        if push.topic == wire.CHANNEL_ORDERS:
            for report in frames.order_reports(push):
                self._on_report(report)
        elif push.topic == wire.CHANNEL_FILLS:
            for execution in frames.executions(push):
                await self._on_execution(execution)
        else:
            log.debug("syncron.ws_unexpected_topic", topic=push.topic, type=push.kind)

    async def on_resubscribed(self) -> None:
        """Catch up over REST on what happened while disconnected."""
        rest = self._rest
        open_reports = await rest.open_orders()
        for report in open_reports:
            self._on_report(report)
        still_open = {r.order.order_id for r in open_reports}
        for order_id, tracked in list(self._orders.items()):
            if not tracked.finished and order_id not in still_open:
                self._on_report(await rest.get_order(order_id=order_id))
        executions = await rest.fills(limit=wire.MAX_LIST_LIMIT)  # newest first
        since = self._since_ns or 0
        missed = [e for e in reversed(executions) if e.fill.ts >= since and e.fill_id not in self._fill_ids]
        self.stats.backfilled += len(missed)
        for execution in missed:
            await self._on_execution(execution)

    # --- order state ----------------------------------------------------------------------------

    def _on_report(self, report: OrderReport) -> None:
        order = report.order
        tracked = self._orders.get(order.order_id)
        if tracked is None:
            tracked = self._orders[order.order_id] = _Tracked(report)
            accepted = replace(order, status=OrderStatus.ACCEPTED, filled_qty=0.0, avg_fill_price=0.0)
            self.emit(OrderAccepted(order.ts_created, accepted))
        elif report.updated_at >= tracked.report.updated_at:  # never step back to an older view
            tracked.report = report
        if tracked.finished or order.status not in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
            return
        if tracked.filled_qty >= order.filled_qty - _EPS:
            self._finish(tracked, report)
        else:
            tracked.pending_end = report  # its fills are still on their way

    async def _on_execution(self, execution: Execution) -> None:
        if not self._fill_ids.add(execution.fill_id):
            self.stats.duplicates += 1
            return
        fill = execution.fill
        tracked = self._orders.get(fill.order_id)
        if tracked is None:  # an order we never saw (placed elsewhere, or its push was lost)
            self._on_report(await self._rest.get_order(order_id=fill.order_id))
            tracked = self._orders[fill.order_id]
        tracked.filled_qty += fill.qty
        tracked.filled_quote += fill.qty * fill.price
        base = tracked.report.order
        done = tracked.filled_qty >= base.qty - _EPS
        after = replace(
            base,
            filled_qty=tracked.filled_qty,
            avg_fill_price=tracked.filled_quote / tracked.filled_qty,
            status=OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
        )
        self.emit(OrderFilled(fill.ts, after, fill))
        if done:
            tracked.finished = True
        pending = tracked.pending_end
        if pending is not None and tracked.filled_qty >= pending.order.filled_qty - _EPS:
            self._finish(tracked, pending)

    def _finish(self, tracked: _Tracked, report: OrderReport) -> None:
        tracked.finished = True
        tracked.pending_end = None
        order = report.order
        event = OrderCanceled(report.updated_at, order) if order.status is OrderStatus.CANCELED \
            else OrderExpired(report.updated_at, order)
        self.emit(event)

