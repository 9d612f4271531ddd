"""The OMS state machine: legal moves only, every event applied at most once, fills never lost."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from botkit.execution.oms import OrderManager
from botkit.model.enums import OrderType, Side
from botkit.model.order_events import OrderAccepted, OrderCanceled, OrderExpired, OrderFilled, OrderRejected
from botkit.model.orders import LEGAL_TRANSITIONS, Fill, Liquidity, Order, OrderIntent, OrderStatus


def pending(coid: str = "b-1", qty: float = 2.0) -> Order:
    return Order("", coid, "BTCUSD", Side.BUY, qty, OrderType.LIMIT, OrderStatus.PENDING, 0, limit_price=100.0)


def filled(order: Order, qty: float, price: float = 100.0, ts: int = 1) -> OrderFilled:
    fill = Fill(ts, "v1", order.client_order_id, order.symbol, order.side, qty, price, 0.01, Liquidity.MAKER)
    return OrderFilled(ts, replace(order, order_id="v1"), fill)


def test_accept_fill_fill_reaches_filled_with_average_price():
    oms = OrderManager()
    order = pending()
    oms.track(order)
    assert oms.apply(OrderAccepted(1, replace(order, order_id="v1", status=OrderStatus.ACCEPTED)))
    first = oms.apply(filled(order, 1.0, 100.0, ts=2))
    assert isinstance(first, OrderFilled) and first.order.status is OrderStatus.PARTIALLY_FILLED
    oms.apply(filled(order, 1.0, 102.0, ts=3))
    final = oms.get("b-1")
    assert final is not None and final.status is OrderStatus.FILLED
    assert final.avg_fill_price == pytest.approx(101.0) and final.order_id == "v1"
    assert oms.open_orders() == []


def test_duplicate_fill_and_duplicate_status_are_ignored():
    oms = OrderManager()
    order = pending()
    oms.track(order)
    event = filled(order, 1.0)
    assert oms.apply(event) is not None
    assert oms.apply(event) is None
    canceled = OrderCanceled(5, replace(order, order_id="v1", status=OrderStatus.CANCELED))
    assert oms.apply(canceled) is not None
    assert oms.apply(canceled) is None
    assert oms.duplicates == 2
    assert oms.get("b-1").filled_qty == 1.0  # type: ignore[union-attr]


def test_stale_accept_after_fill_does_not_move_backwards():
    oms = OrderManager()
    order = pending()
    oms.track(order)
    oms.apply(filled(order, 1.0))
    assert oms.apply(OrderAccepted(9, replace(order, order_id="v1", status=OrderStatus.ACCEPTED))) is None
    assert oms.get("b-1").status is OrderStatus.PARTIALLY_FILLED  # type: ignore[union-attr]


def test_fill_after_cancel_still_counts():
    oms = OrderManager()
    order = pending()
    oms.track(order)
    oms.apply(OrderCanceled(3, replace(order, status=OrderStatus.CANCELED)))
    result = oms.apply(filled(order, 0.5))
    assert isinstance(result, OrderFilled)
    final = oms.get("b-1")
    assert final.status is OrderStatus.CANCELED and final.filled_qty == 0.5  # type: ignore[union-attr]


def test_unknown_order_event_is_recorded_not_applied():
    oms = OrderManager()
    stranger = pending("other-1")
    assert oms.apply(filled(stranger, 1.0)) is None
    assert oms.apply(OrderRejected(1, OrderIntent("BTCUSD", Side.BUY, 1.0), "no id")) is None
    assert len(oms.unknown_events) == 2 and len(oms) == 0


def test_expired_from_pending_is_not_legal_and_ignored():
    oms = OrderManager()
    order = pending()
    oms.track(order)
    assert oms.apply(OrderExpired(1, order)) is None
    assert oms.get("b-1").status is OrderStatus.PENDING  # type: ignore[union-attr]


def test_tracking_the_same_id_twice_is_an_error():
    oms = OrderManager()
    oms.track(pending())
    with pytest.raises(ValueError, match="already tracked"):
        oms.track(pending())


class OmsMachine(RuleBasedStateMachine):
    """Random venue event streams, with duplicates and reorderings, against a simple model."""

    def __init__(self) -> None:
        super().__init__()
        self.oms = OrderManager()
        self.delivered: list[object] = []
        self.fills: dict[str, list[float]] = {}
        self.n = 0
        self.ts = 0

    def _coids(self) -> list[str]:
        return [o.client_order_id for o in self.oms.orders()]

    @rule(qty=st.sampled_from([1.0, 2.0, 3.0]))
    def new_order(self, qty: float) -> None:
        self.n += 1
        coid = f"b-{self.n}"
        self.oms.track(pending(coid, qty))
        self.fills[coid] = []

    @precondition(lambda self: self.n > 0)
    @rule(data=st.data(), kind=st.sampled_from(["accept", "fill", "cancel", "expire", "reject"]))
    def venue_event(self, data: st.DataObject, kind: str) -> None:
        coid = data.draw(st.sampled_from(self._coids()))
        order = self.oms.get(coid)
        assert order is not None
        self.ts += 1
        venue = replace(order, order_id=f"v-{coid}")
        event: object
        if kind == "accept":
            event = OrderAccepted(self.ts, replace(venue, status=OrderStatus.ACCEPTED))
        elif kind == "fill":
            qty = data.draw(st.sampled_from([0.5, 1.0]))
            fill = Fill(self.ts, venue.order_id, coid, "BTCUSD", Side.BUY, qty, 100.0 + self.ts, 0.0, Liquidity.TAKER)
            event = OrderFilled(self.ts, venue, fill)
        elif kind == "cancel":
            event = OrderCanceled(self.ts, replace(venue, status=OrderStatus.CANCELED))
        elif kind == "expire":
            event = OrderExpired(self.ts, replace(venue, status=OrderStatus.EXPIRED))
        else:
            event = OrderRejected(self.ts, OrderIntent("BTCUSD", Side.BUY, 1.0, client_order_id=coid), "no")
        self._deliver(event, order)

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        event = data.draw(st.sampled_from(self.delivered))
        coid = event.intent.client_order_id if isinstance(event, OrderRejected) else event.order.client_order_id  # type: ignore[attr-defined]
        before = self.oms.get(coid)
        result = self.oms.apply(event)  # type: ignore[arg-type]
        if isinstance(event, OrderFilled):
            assert result is None, "a fill was applied twice"
        assert before is not None
        after = self.oms.get(coid)
        assert after is not None and after.filled_qty == before.filled_qty

    def _deliver(self, event: object, before: Order) -> None:
        result = self.oms.apply(event)  # type: ignore[arg-type]
        after = self.oms.get(before.client_order_id)
        assert after is not None
        if isinstance(event, OrderFilled):
            assert result is not None, "a new fill must never be dropped"
            self.fills[before.client_order_id].append(event.fill.qty)
        if after.status is not before.status:
            assert after.status in LEGAL_TRANSITIONS[before.status]
        self.delivered.append(event)

    @invariant()
    def filled_qty_is_the_sum_of_unique_fills(self) -> None:
        for order in self.oms.orders():
            assert order.filled_qty == pytest.approx(sum(self.fills[order.client_order_id]))

    @invariant()
    def open_orders_are_exactly_the_open_statuses(self) -> None:
        open_ids = {o.client_order_id for o in self.oms.open_orders()}
        assert open_ids == {o.client_order_id for o in self.oms.orders() if o.status.is_open}


TestOmsStateMachine = OmsMachine.TestCase
TestOmsStateMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def test_two_fills_alike_in_time_quantity_and_price_count_twice_when_their_fill_ids_differ():
    oms = OrderManager()
    order = pending(qty=2.0)
    oms.track(order)
    for fill_id in ("f-1", "f-2"):
        event = filled(order, 1.0, 100.0, ts=5)
        assert oms.apply(replace(event, fill=replace(event.fill, fill_id=fill_id))) is not None
    again = filled(order, 1.0, 100.0, ts=5)
    assert oms.apply(replace(again, fill=replace(again.fill, fill_id="f-2"))) is None  # a redelivery
    final = oms.get(order.client_order_id)
    assert final is not None and final.filled_qty == 2.0 and final.status is OrderStatus.FILLED
    assert oms.duplicates == 1


def test_open_orders_are_indexed_and_finished_ones_can_be_forgotten():
    oms = OrderManager()
    for i in range(5):
        oms.track(Order("", f"c{i}", "BTCUSD" if i % 2 == 0 else "ETHUSD", Side.BUY, 1.0, OrderType.LIMIT,
                        OrderStatus.PENDING, ts_created=i, limit_price=1.0))
    oms.apply(OrderCanceled(9, oms.get("c0")))  # type: ignore[arg-type]
    oms.apply(OrderAccepted(9, replace(oms.get("c1"), order_id="v1")))  # type: ignore[arg-type]
    assert [o.client_order_id for o in oms.open_orders()] == ["c1", "c2", "c3", "c4"]
    assert [o.client_order_id for o in oms.open_orders("BTCUSD")] == ["c2", "c4"]
    assert oms.open_count() == 4 and oms.working_qty("BTCUSD", Side.BUY) == 2.0
    assert [o.client_order_id for o in oms.pending()] == ["c2", "c3", "c4"]
    oms.forget_finished(keep=0)
    assert "c0" not in oms and len(oms) == 4
