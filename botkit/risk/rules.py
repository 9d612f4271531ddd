"""Pre-trade risk rules: pure callables ``(order, view) -> reason | None``.

The backtester's kernels apply the same rules with the same arithmetic (``backtest/_nb.py``);
the equivalence tests keep the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from botkit.model.enums import Side
from botkit.portfolio.view import PortfolioView


class SizedOrder(NamedTuple):
    """An intent after sizing: what the rules judge; ``ref_price`` is the price at decision time."""

    symbol: str
    side: Side
    qty: float
    ref_price: float


RiskRule = Callable[[SizedOrder, PortfolioView], "str | None"]


class RiskLimits(BaseModel):
    """Limits from a backtest spec or bot config; None means no limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_order_qty: float | None = Field(None, gt=0)
    max_order_notional: float | None = Field(None, gt=0)
    max_position: float | None = Field(None, gt=0)
    allow_short: bool = True


def positive_quantity(order: SizedOrder, view: PortfolioView) -> str | None:
    """Refuse an order whose quantity is zero after sizing and lot rounding."""
    return None if order.qty > 0 else "quantity is zero after sizing and lot rounding"


def max_order_qty(limit: float) -> RiskRule:
    """Refuse orders larger than ``limit`` units."""

    def rule(order: SizedOrder, view: PortfolioView) -> str | None:
        if order.qty > limit:
            return f"order quantity {order.qty:g} above risk.max_order_qty {limit:g}"
        return None

    return rule


def max_order_notional(limit: float) -> RiskRule:
    """Refuse orders worth more than ``limit`` at the reference price."""

    def rule(order: SizedOrder, view: PortfolioView) -> str | None:
        notional = order.qty * order.ref_price
        if notional > limit:
            return f"order notional {notional:g} above risk.max_order_notional {limit:g}"
        return None

    return rule


def _projected(order: SizedOrder, view: PortfolioView) -> float:
    return view.position(order.symbol) + view.working_qty(order.symbol) + int(order.side) * order.qty


def max_position(limit: float) -> RiskRule:
    """Refuse orders that could take |position + working orders| above ``limit``.

    An order that brings that exposure nearer to zero is always allowed, so a bot left outside
    its limit (an offsetting order canceled, a fill after a reconnect) can always trade back in.
    The limit is compared with a tolerance of one part in 1e9 so float noise cannot refuse an
    order that lands exactly on it.
    """

    def rule(order: SizedOrder, view: PortfolioView) -> str | None:
        exposed = view.position(order.symbol) + view.working_qty(order.symbol)
        projected = exposed + int(order.side) * order.qty
        if abs(projected) > limit * (1.0 + 1e-9) and abs(projected) > abs(exposed):
            return f"position would reach {projected:g}, above risk.max_position {limit:g}"
        return None

    return rule


def no_short(order: SizedOrder, view: PortfolioView) -> str | None:
    """Refuse orders that could leave a short position."""
    projected = _projected(order, view)
    if projected < -1e-12 * max(1.0, order.qty):
        return f"order would leave position {projected:g} and risk.allow_short is false"
    return None


def rules_from_limits(limits: RiskLimits) -> list[RiskRule]:
    """The rule chain for ``limits``, in the order the kernels check them."""
    rules: list[RiskRule] = [positive_quantity]
    if limits.max_order_qty is not None:
        rules.append(max_order_qty(limits.max_order_qty))
    if limits.max_order_notional is not None:
        rules.append(max_order_notional(limits.max_order_notional))
    if limits.max_position is not None:
        rules.append(max_position(limits.max_position))
    if not limits.allow_short:
        rules.append(no_short)
    return rules


def limit_or_inf(value: float | None) -> float:
    """A limit for the kernels: the value, or inf for none."""
    return math.inf if value is None else value
