"""Replay parity: whether a live (paper) session agrees with the backtest of its recording.

``compare_session`` lines up the session's orders with the backtest's accepted orders, in the order
they were decided, and its fills with the backtest's, in the order they happened, and reports the
first difference. Under the convention of docs/backtesting.md ("Replay parity") both must match:

- orders: the same sequence of symbol, side, quantity, type, limit and stop price;
- fills: the same order (by position in that sequence), side, quantity, price and fee, at the same
  venue timestamp (the quote or trade that filled it).

Order timestamps are compared but not judged: the backtest stamps an order with the venue time of
the event it was decided on, live with the local time of the decision, so they differ by the feed's
latency (and any clock skew); ``max_order_ts_delta_ns`` reports by how much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from botkit.backtest.result import BacktestResult
from botkit.core.errors import ConfigError
from botkit.model.orders import Fill, Order

QTY_REL_TOL = 1e-9
"""Quantities (and fees) agree within this relative tolerance (lot rounding may differ in the last bit)."""
PRICE_REL_TOL = 1e-12
"""Prices agree within this relative tolerance: the same arithmetic on the same numbers."""

Row = dict[str, Any]
_TOLERANCE = {"qty": QTY_REL_TOL, "fee": QTY_REL_TOL, "price": PRICE_REL_TOL, "limit": PRICE_REL_TOL,
              "stop": PRICE_REL_TOL}


@dataclass(frozen=True, slots=True)
class ParityReport:
    """How a live session compares with the backtest of its recording."""

    live_orders: int
    backtest_orders: int
    live_fills: int
    backtest_fills: int
    first_difference: str | None
    """What differs first (None: identical)."""
    max_fill_ts_delta_ns: int
    """The largest |live − backtest| fill timestamp among the fills compared (0 when they agree)."""
    max_order_ts_delta_ns: int | None
    """The largest |live − backtest| order timestamp (decision time vs the deciding event's venue time)."""

    @property
    def identical(self) -> bool:
        """Whether orders and fills are the same on both sides."""
        return self.first_difference is None

    def summary(self) -> str:
        """One line: ``7 orders, 7 fills — identical to the backtest of the recording``, or the first difference."""
        if self.identical:
            return (f"{self.live_orders} orders, {self.live_fills} fills — identical to the backtest of the "
                    "recording")
        return (f"DIFFERENT from the backtest of the recording: {self.first_difference} (live {self.live_orders} "
                f"orders, {self.live_fills} fills; backtest {self.backtest_orders} orders, "
                f"{self.backtest_fills} fills)")


def compare_session(live_orders: Sequence[Order], live_fills: Sequence[Fill], result: BacktestResult) -> ParityReport:
    """Compare a session's orders and fills (in the order they happened) with ``result`` (see the module).

    ``result`` must come from an event-driven backtest (``result.orders`` is not None), as a
    backtest of a recording (``data.recording``) is by default.
    """
    if result.orders is None:
        raise ConfigError(f"backtest {result.spec.name!r} ran on the {result.engine} path, which logs no orders: "
                          "run it with engine: python (or auto) to compare orders")
    orders: list[Row] = result.orders.to_dict("records")
    fills: list[Row] = result.fills.to_dict("records")
    order_difference = _first_order_difference(live_orders, orders)
    order_delta = max((abs(o.ts_created - _ns(b["ts"])) for o, b in zip(live_orders, orders, strict=False)),
                      default=None)
    fill_difference, fill_delta = _compare_fills(live_orders, live_fills, orders, fills)
    found = [d for d in (order_difference, fill_difference) if d is not None]
    return ParityReport(
        live_orders=len(live_orders), backtest_orders=len(orders), live_fills=len(live_fills),
        backtest_fills=len(fills), first_difference=min(found)[1] if found else None,
        max_fill_ts_delta_ns=fill_delta, max_order_ts_delta_ns=order_delta,
    )


Difference = tuple[int, str]
"""When a difference shows (venue time, ns) and what it is: the earliest one is reported."""


def _first_order_difference(live: Sequence[Order], backtest: list[Row]) -> Difference | None:
    for index, (order, row) in enumerate(zip(live, backtest, strict=False), start=1):
        fields = _order_fields(order)
        expected = _order_row_fields(row)
        differ = [name for name in fields if not _same(fields[name], expected[name], _TOLERANCE.get(name, 0.0))]
        if differ:
            return _ns(row["ts"]), (f"order {index}: live {_describe(fields)} ({order.status.value}), backtest "
                                    f"{_describe(expected)} ({_differ(differ)})")
    if len(live) != len(backtest):
        index = min(len(live), len(backtest)) + 1
        if len(live) > len(backtest):
            extra, order, ts = "live", _order_fields(live[index - 1]), live[index - 1].ts_created
        else:
            extra, order, ts = "backtest", _order_row_fields(backtest[index - 1]), _ns(backtest[index - 1]["ts"])
        return ts, f"order {index}: only the {extra} side placed it: {_describe(order)}"
    return None


def _compare_fills(live_orders: Sequence[Order], live: Sequence[Fill], backtest_orders: list[Row],
                   backtest: list[Row]) -> tuple[Difference | None, int]:
    live_index = {o.client_order_id: n for n, o in enumerate(live_orders, start=1)}
    backtest_index = {int(row["order_id"]): n for n, row in enumerate(backtest_orders, start=1)}
    delta = 0
    for index, (fill, row) in enumerate(zip(live, backtest, strict=False), start=1):
        mine: Row = {"order": live_index.get(fill.client_order_id, 0), "symbol": fill.symbol,
                     "side": int(fill.side), "ts": fill.ts, "qty": fill.qty, "price": fill.price, "fee": fill.fee}
        theirs: Row = {"order": backtest_index.get(int(row["order_id"]), 0), "symbol": str(row["symbol"]),
                       "side": _sign(row["side"]), "ts": _ns(row["ts"]),
                       "qty": float(row["qty"]),
                       "price": float(row["price"]), "fee": float(row["fee"])}
        delta = max(delta, abs(mine["ts"] - theirs["ts"]))
        differ = [name for name in mine if not _same(mine[name], theirs[name], _TOLERANCE.get(name, 0.0))]
        if differ:
            return (min(mine["ts"], theirs["ts"]), f"fill {index}: live {_describe_fill(mine)}, backtest "
                    f"{_describe_fill(theirs)} ({_differ(differ)})"), delta
    if len(live) != len(backtest):
        index = min(len(live), len(backtest)) + 1
        if len(live) > len(backtest):
            extra, ts = "live", live[index - 1].ts
        else:
            extra, ts = "backtest", _ns(backtest[index - 1]["ts"])
        return (ts, f"fill {index}: only the {extra} side has it"), delta
    return None, delta


def _order_fields(order: Order) -> Row:
    return {"symbol": order.symbol, "side": int(order.side), "qty": order.qty, "type": order.order_type.name.lower(),
            "limit": _price(order.limit_price), "stop": _price(order.stop_price)}


def _order_row_fields(row: Row) -> Row:
    return {"symbol": str(row["symbol"]), "side": _sign(row["side"]), "qty": float(row["qty"]),
            "type": str(row["order_type"]), "limit": _price(row["limit_price"]), "stop": _price(row["stop_price"])}


def _ns(ts: pd.Timestamp) -> int:
    """A result frame's UTC time as the integer ns of the live side's records."""
    return int(pd.Timestamp(ts).value)


def _sign(side: str) -> int:
    """A result frame's ``"buy"``/``"sell"`` as the live side's +1/-1."""
    return 1 if side == "buy" else -1


def _differ(names: list[str]) -> str:
    """``price differs``, ``ts, price and fee differ``."""
    return f"{names[0]} differs" if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]} differ"


def _price(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _same(a: Any, b: Any, rel_tol: float) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=0.0)
    return bool(a == b)


def _describe(fields: Row) -> str:
    side = "buy" if fields["side"] == 1 else "sell"
    text = f"{fields['type']} {side} {fields['qty']:g} {fields['symbol']}"
    if fields["limit"] is not None:
        text += f" at {fields['limit']:g}"
    if fields["stop"] is not None:
        text += f" stop {fields['stop']:g}"
    return text


def _describe_fill(fields: Row) -> str:
    side = "buy" if fields["side"] == 1 else "sell"
    time = pd.Timestamp(int(fields["ts"]), unit="ns", tz="UTC").isoformat()
    return (f"{side} {fields['qty']:g} {fields['symbol']} at {fields['price']!r} fee {fields['fee']:.6g} "
            f"(order {fields['order']}) at {time}")
