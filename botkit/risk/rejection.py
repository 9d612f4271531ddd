"""Why an order was refused: a stable code, the rule (its setting) and the numbers that broke it.

Codes are part of the public API: strategies, logs, reports and monitoring match on them, so a
code never changes meaning once released. The backtester's integer reasons map onto the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botkit.model.order_events import OrderRejected
from botkit.model.orders import OrderIntent


class RejectCode(StrEnum):
    """Stable codes of risk rejections and kill-switch trips."""

    QTY_ZERO = "qty_zero"
    MAX_ORDER_QTY = "max_order_qty"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_POSITION = "max_position"
    NO_SHORT = "no_short"
    MAX_GROSS_EXPOSURE = "max_gross_exposure"
    MAX_NET_EXPOSURE = "max_net_exposure"
    MAX_OPEN_ORDERS = "max_open_orders"
    ORDER_RATE = "order_rate"
    CANCEL_RATE = "cancel_rate"
    PRICE_COLLAR = "price_collar"
    NO_REFERENCE = "no_reference"
    STALE_DATA = "stale_data"
    BOOK_RESYNCING = "book_resyncing"
    CLOCK_SKEW = "clock_skew"
    REDUCE_ONLY = "reduce_only"
    HALTED = "halted"
    DAILY_LOSS = "daily_loss"
    MAX_DRAWDOWN = "max_drawdown"
    MIN_NOTIONAL = "min_notional"
    NO_PRICE = "no_price"
    NOT_ACCEPTING = "not_accepting"
    TIME_TO_LIVE = "time_to_live"
    TOO_MANY_ORDERS = "too_many_orders"


@dataclass(frozen=True, slots=True)
class Rejection:
    """One refusal: ``code`` to match on, ``rule`` the setting that refused, ``message`` for people.

    ``value`` is what the order would have reached and ``limit`` the bound it broke, where the
    rule has numbers.
    """

    code: RejectCode
    rule: str
    message: str
    value: float | None = None
    limit: float | None = None

    def __str__(self) -> str:
        return self.message

    def fields(self) -> dict[str, object]:
        """The rejection as log or report fields."""
        return {"code": self.code.value, "rule": self.rule, "reason": self.message, "value": self.value,
                "limit": self.limit}


def rejected_event(ts: int, intent: OrderIntent, rejection: Rejection, source: str = "risk") -> OrderRejected:
    """The ``OrderRejected`` event that tells a strategy about ``rejection``."""
    return OrderRejected(ts, intent, rejection.message, source=source, code=rejection.code.value, rule=rejection.rule,
                         value=rejection.value, limit=rejection.limit)
