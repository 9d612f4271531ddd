"""The live status document: open orders in the conventions of a backtest's fills (UTC times, buy/sell)."""

from __future__ import annotations

import json

from botkit.core.clock import to_ns
from botkit.live.report import status_document
from botkit.model.enums import OrderType, Side
from botkit.model.orders import Order, OrderStatus
from botkit.portfolio.ledger import Ledger

T0 = to_ns("2024-03-01T12:00:00Z")


def test_open_orders_show_buy_or_sell_and_a_utc_time() -> None:
    orders = [Order("v1", "c1", "BTCUSD", Side.BUY, 1.5, OrderType.LIMIT, OrderStatus.ACCEPTED, T0, limit_price=99.0),
              Order("v2", "c2", "BTCUSD", Side.SELL, 2.0, OrderType.STOP, OrderStatus.ACCEPTED, T0 + 1_500_000,
                    stop_price=90.0)]
    document = status_document(name="b", mode="paper", venue="syncron", state="active", started_ns=T0, now_ns=T0,
                               ledger=Ledger(1_000.0), open_orders=orders, last_events={}, counters={},
                               halt_reason=None, reference={})
    shown = json.loads(json.dumps(document))["open_orders"]
    assert [o["side"] for o in shown] == ["buy", "sell"]
    assert [o["created_at"] for o in shown] == ["2024-03-01T12:00:00Z", "2024-03-01T12:00:00.001500Z"]
    assert "ts_created" not in shown[0] and shown[0]["limit_price"] == 99.0 and shown[1]["client_order_id"] == "c2"
