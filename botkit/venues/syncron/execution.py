"""The Syncron execution client: botkit's ``ExecutionClient`` for Syncron.

Submitting an intent sends it with the executor's client order id, rounded to the instrument's
lot and tick; the venue treats a repeated client order id as the same order, so the REST retries
after a timeout (and the executor's own retries) never place a second order. If the venue stays
unreachable, the order is looked up by its client order id before the error is raised: a request
that timed out after the venue accepted it still returns the order.

Cancels are idempotent too: canceling an order that already finished returns its final state.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from botkit.core.errors import NotFoundError, VenueUnavailable
from botkit.model.orders import Fill, Order, OrderIntent
from botkit.model.positions import Balance, Position
from botkit.venues.base import SEND_DEADLINE
from botkit.venues.syncron import parse, wire
from botkit.venues.syncron._client_base import SyncronClientBase
from botkit.venues.syncron.errors import SyncronOrderNotOpen
from botkit.venues.syncron.order_stream import SyncronOrderStream
from botkit.venues.syncron.orders import check_client_order_id, intent_body
from botkit.venues.syncron.results import OrderReport

log = structlog.get_logger("botkit.venues.syncron")


class SyncronExecutionClient(SyncronClientBase):
    """Orders at Syncron: submit, cancel, cancel all, open orders, fills, balances, order events.

    Pass ``rest`` to share one REST client (session, budget, credentials) with a
    ``SyncronDataClient``; otherwise one is made from ``settings`` and closed with this client.
    """

    venue = wire.VENUE

    # --- ExecutionClient ----------------------------------------------------------------------

    async def submit(self, intent: OrderIntent, client_order_id: str) -> Order:
        """Send ``intent`` as an order with ``client_order_id``; returns it after matching.

        Raises ``OrderRejected`` / ``InsufficientFunds`` when the venue refuses it and
        ``ConfigError`` (``SyncronInvalidParameter``) for a request the venue calls invalid. The
        request is never written after ``SEND_DEADLINE`` (``SendDeadlinePassed``: not sent).
        """
        check_client_order_id(client_order_id)
        instrument = await self.rest.instrument(intent.symbol)
        body = intent_body(intent, client_order_id, instrument)
        try:
            data = await self.rest.place_order_body(body, deadline=SEND_DEADLINE.get())
        except VenueUnavailable:
            found = await self._find(client_order_id)
            if found is None:
                raise
            log.warning("syncron.order.found_after_failure", client_order_id=client_order_id)
            report = found
        else:
            report = parse.parse_order(data, "place_order")
        log.info("syncron.order.submitted", client_order_id=client_order_id, symbol=intent.symbol,
                 side=body[wire.F_SIDE], type=body[wire.F_TYPE], qty=body[wire.F_QTY])
        self._track(report)
        return report.order

    async def cancel(self, client_order_id: str) -> Order:
        """Cancel an open order; an order that already finished is returned in its final state."""
        try:
            report = await self.rest.cancel_order(client_order_id=client_order_id)
        except SyncronOrderNotOpen:
            report = await self.rest.get_order(client_order_id=client_order_id)
        log.info("syncron.order.canceled", client_order_id=client_order_id, status=report.order.status.value)
        self._track(report)
        return report.order

    async def cancel_all(self, symbol: str | None = None) -> tuple[Order, ...]:
        """Cancel every open order (of ``symbol``, or all); returns the canceled orders."""
        reports = await self.rest.cancel_all(symbol)
        log.info("syncron.order.canceled_all", symbol=symbol, count=len(reports))
        return tuple(r.order for r in reports)

    async def open_orders(self, symbol: str | None = None) -> tuple[Order, ...]:
        """The venue's open orders (of ``symbol``, or all), oldest first, for reconciliation."""
        return tuple(r.order for r in await self.rest.open_orders(symbol))

    async def order(self, client_order_id: str) -> Order | None:
        """One order by client order id, open or finished; None if the venue does not know it."""
        found = await self._find(client_order_id)
        return found.order if found is not None else None

    async def fills(self, symbol: str | None = None, *, since_ns: int | None = None,
                    limit: int = 100) -> tuple[Fill, ...]:
        """Own fills, oldest first: the latest ``limit`` (1..1000), or with ``since_ns`` every fill since then.

        With ``since_ns`` the history is read backwards page by page (1000 a page) until it reaches
        ``since_ns``, however long the bot was away; a fill is never listed twice.
        """
        if since_ns is None:
            return tuple(e.fill for e in reversed(await self.rest.fills(symbol, limit=limit)))
        seen: dict[str, Fill] = {}
        end: int | None = None
        while True:
            page = await self.rest.fills(symbol, limit=wire.MAX_LIST_LIMIT, start=since_ns, end=end)
            fresh = [e for e in page if e.fill_id not in seen]
            seen.update((e.fill_id, e.fill) for e in fresh)
            if len(page) < wire.MAX_LIST_LIMIT or not fresh:
                break
            end = min(e.fill.ts for e in page)  # inclusive: fills sharing that ms are deduplicated by id
        log.info("syncron.fills.backfilled", symbol=symbol, since_ns=since_ns, fills=len(seen))
        return tuple(sorted(seen.values(), key=lambda f: f.ts))

    async def balances(self) -> Sequence[Balance]:
        """The account's balances per asset."""
        return await self.rest.balances()

    async def positions(self, symbol: str | None = None) -> Sequence[Position]:
        """The account's net position per symbol."""
        return await self.rest.positions(symbol)

    def order_events(self) -> SyncronOrderStream:
        """Order events (accepted, fills, cancels, expiries) as the venue reports them, until closed."""
        stream = SyncronOrderStream(self.rest, options=self._ws_options, sleep=self._sleep, rng=self._rng)
        self._streams.append(stream)
        return stream

    # --- internals ----------------------------------------------------------------------------

    async def _find(self, client_order_id: str) -> OrderReport | None:
        try:
            return await self.rest.get_order(client_order_id=client_order_id)
        except NotFoundError:
            return None

    def _track(self, report: OrderReport) -> None:
        for stream in self._streams:
            stream.track(report)
