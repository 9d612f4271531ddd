"""After a connect or reconnect: compare the venue's truth with the OMS and emit the differences.

What the venue says wins. Its open orders update ours; our open orders it no longer lists are
looked up one by one (if the client can) to learn how they ended; fills we missed while
disconnected are replayed from the venue's fill history (if the client has one) or, failing that,
made up from the filled quantity the venue reports. Open orders with this bot's id prefix that
the OMS does not know (state lost) are adopted; other open orders are left alone and reported.

Each event is handed to ``on_event`` the moment the OMS takes it, not when the whole comparison
is over: a reconciliation cut short by a venue error or a cancellation (a stop) has already
changed the OMS, and the fills it replayed must reach the ledger all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import structlog

from botkit.core.clock import Clock
from botkit.core.errors import NotFoundError
from botkit.execution.executor import OrderExecutor
from botkit.execution.oms import OrderManager
from botkit.execution.snapshot import intent_of, snapshot_events
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderEvent, OrderFilled, OrderRejected
from botkit.model.orders import Fill, Order, OrderStatus
from botkit.model.positions import Position

log = structlog.get_logger("botkit.execution.reconcile")

_CLOCK_MARGIN_NS = 60 * 1_000_000_000
"""Fill history is read from this long before the oldest open order: our clock and the venue's may differ."""


@runtime_checkable
class OrderLookup(Protocol):
    """An execution client that can report one order, open or finished, by client order id."""

    async def order(self, client_order_id: str) -> Order | None:
        """The order; None (or ``NotFoundError``) if the venue never saw it."""
        ...


@runtime_checkable
class FillHistory(Protocol):
    """An execution client that can list the account's recent fills."""

    async def fills(self, symbol: str | None = None, *, since_ns: int | None = None) -> Sequence[Fill]:
        """Fills (of ``symbol``), any order, oldest first: recent ones, or every one since ``since_ns``."""
        ...


@runtime_checkable
class PositionSource(Protocol):
    """An execution client that can report the account's net position per symbol."""

    async def positions(self, symbol: str | None = None) -> Sequence[Position]:
        """Net positions (of ``symbol``)."""
        ...


@dataclass(frozen=True, slots=True)
class PositionDifference:
    """A symbol whose position the bot and the venue disagree on; the venue is right."""

    symbol: str
    local: float
    venue: float
    venue_avg_price: float


def position_differences(local: Callable[[str], float], venue: Sequence[Position], symbols: Collection[str],
                         tolerance: Callable[[str], float]) -> list[PositionDifference]:
    """The symbols of ``symbols`` whose local position differs from the venue's by more than ``tolerance``.

    A symbol the venue does not list counts as flat there.
    """
    reported = {p.symbol: p for p in venue}
    out = []
    for symbol in sorted(symbols):
        theirs = reported.get(symbol)
        qty = theirs.qty if theirs is not None else 0.0
        ours = local(symbol)
        if abs(ours - qty) > tolerance(symbol):
            out.append(PositionDifference(symbol, ours, qty, theirs.avg_price if theirs is not None else 0.0))
    return out


@dataclass
class ReconcileReport:
    """What a reconciliation found and did."""

    events: list[OrderEvent] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    replayed_fills: int = 0

    @property
    def changed(self) -> bool:
        """Whether the local state had to change."""
        return bool(self.events or self.adopted or self.lost)


class Reconciler:
    """Brings the OMS in line with the venue; call ``reconcile`` after every (re)connect."""

    def __init__(
        self,
        executor: OrderExecutor,
        *,
        lookup: OrderLookup | None = None,
        history: FillHistory | None = None,
        clock: Clock | None = None,
        on_event: Callable[[OrderEvent], None] | None = None,
    ) -> None:
        self.executor = executor
        self.on_event = on_event
        self.oms: OrderManager = executor.oms
        client = executor.client
        self.lookup = lookup if lookup is not None else (client if isinstance(client, OrderLookup) else None)
        self.history = history if history is not None else (client if isinstance(client, FillHistory) else None)
        self.clock = clock or executor.clock

    async def reconcile(self, symbols: Collection[str] = ()) -> ReconcileReport:
        """Compare venue open orders (and fills) with the OMS; apply and return the differences.

        Every event it applies has gone to ``on_event`` before this returns or raises.
        """
        report = ReconcileReport()
        venue_open = {o.client_order_id: o for o in await self.executor.client.open_orders()}
        if self.history is not None:
            await self._replay_fills(report, set(symbols) | {o.symbol for o in self.oms.open_orders()})
        synthesize = self.history is None
        for local in self.oms.open_orders():
            coid = local.client_order_id
            if self.executor.is_sending(coid):
                continue
            venue = venue_open.get(coid)
            if venue is None:
                venue = await self._look_up(coid)
            ts = self.clock.now_ns()
            if venue is not None:
                self._apply(report, snapshot_events(local, venue, ts, synthesize_fills=synthesize))
            elif local.status is OrderStatus.PENDING:
                report.lost.append(coid)
                reason = "the venue does not know this order: it was never placed"
                self._apply(report, [OrderRejected(ts, intent_of(local), reason, source="reconcile")])
            elif self.lookup is None:
                report.lost.append(coid)
                log.warning("reconcile.order_vanished", client_order_id=coid, assumed="canceled")
                self._apply(report, [OrderCanceled(ts, local)])
            self.executor.mark_resolved(coid)
        for coid in list(self.executor.unresolved):  # finished here: the fills the venue reported were replayed above
            order = self.oms.get(coid)
            if order is None or not order.status.is_open:
                self.executor.mark_resolved(coid)
        for coid, venue in venue_open.items():
            if coid in self.oms:
                continue
            if self.executor.owns(coid):
                self.oms.restore([venue], ())
                report.adopted.append(coid)
                self._emit(report, OrderAccepted(self.clock.now_ns(), venue))
                log.warning("reconcile.order_adopted", client_order_id=coid, symbol=venue.symbol)
            else:
                report.foreign.append(coid)
        log.info("reconcile.done", venue_open=len(venue_open), events=len(report.events),
                 adopted=len(report.adopted), lost=len(report.lost), foreign=len(report.foreign),
                 replayed_fills=report.replayed_fills)
        return report

    async def _look_up(self, client_order_id: str) -> Order | None:
        if self.lookup is None:
            return None
        try:
            return await self.lookup.order(client_order_id)
        except NotFoundError:
            return None

    async def _replay_fills(self, report: ReconcileReport, symbols: Collection[str]) -> None:
        assert self.history is not None
        fills: list[Fill] = []
        targets: list[str | None] = [*sorted(symbols)] or [None]
        # every fill since the oldest order that is still open here or unclear, however long the bot was away
        unclear = (self.oms.get(c) for c in self.executor.unresolved)
        oldest = min((o.ts_created for o in (*self.oms.open_orders(), *unclear) if o is not None), default=None)
        since = None if oldest is None else max(0, oldest - _CLOCK_MARGIN_NS)
        for symbol in targets:
            fills.extend(await self.history.fills(symbol, since_ns=since))
        for fill in sorted(fills, key=lambda f: f.ts):
            local = self.oms.get(fill.client_order_id)
            if local is None or self.oms.has_seen(fill):
                continue
            before = len(report.events)
            self._apply(report, [OrderFilled(fill.ts, local, fill)])
            report.replayed_fills += len(report.events) - before

    def _apply(self, report: ReconcileReport, events: list[OrderEvent]) -> None:
        for event in events:
            result = self.oms.apply(event)
            if result is not None:
                self._emit(report, result)

    def _emit(self, report: ReconcileReport, event: OrderEvent) -> None:
        report.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
