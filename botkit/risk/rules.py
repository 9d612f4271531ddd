"""Pre-trade risk rules: pure callables ``(order, view) -> Rejection | None``.

The backtester's kernels apply the same rules with the same arithmetic (``backtest/_nb.py``);
the equivalence tests keep the two in step.

Working orders count only in the direction that increases exposure: a working sell never makes
room for a buy, because it may be canceled a moment later and leave the buy's exposure behind.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from pydantic import Field

from botkit.core.config_model import MAX_MONEY, MAX_QUANTITY, ConfigModel
from botkit.model.enums import Side
from botkit.portfolio.view import PortfolioView
from botkit.risk.rejection import RejectCode, Rejection

_TOLERANCE = 1e-9
"""Limits are compared with a relative tolerance of one part in 1e9, so float noise cannot refuse an
order that lands exactly on a limit."""


class SizedOrder(NamedTuple):
    """An intent after sizing: what the rules judge; ``ref_price`` is the price at decision time."""

    symbol: str
    side: Side
    qty: float
    ref_price: float


RiskRule = Callable[[SizedOrder, PortfolioView], "Rejection | None"]


class RiskLimits(ConfigModel):
    """Limits from a backtest spec or bot config, applied live and in backtests; None means no limit.

    ``max_daily_loss`` (quote currency, from the equity at the start of the UTC day) and
    ``max_drawdown_pct`` (from the highest equity seen) are the kill switch: when one is reached,
    working orders are canceled, the position is closed if ``flatten_on_kill``, and trading stops
    until a person re-arms the bot.
    """

    max_order_qty: float | None = Field(None, gt=0, le=MAX_QUANTITY)
    max_order_notional: float | None = Field(None, gt=0, le=MAX_MONEY)
    max_position: float | None = Field(None, gt=0, le=MAX_QUANTITY)
    allow_short: bool = True
    max_gross_exposure: float | None = Field(None, gt=0, le=MAX_MONEY,
                                             description="sum of |position| × price over symbols, quote currency")
    max_net_exposure: float | None = Field(None, gt=0, le=MAX_MONEY,
                                           description="|sum of position × price| over symbols, quote currency")
    max_open_orders: int | None = Field(None, ge=1, le=100_000, description="working orders at once, all symbols")
    max_daily_loss: float | None = Field(None, gt=0, le=MAX_MONEY,
                                         description="kill switch: loss since the start of the UTC day")
    max_drawdown_pct: float | None = Field(None, gt=0, le=100, description="kill switch: % below the equity peak")
    flatten_on_kill: bool = Field(False, description="close positions with market orders when the kill switch fires")
    reduce_only: bool = Field(False, description="only orders that reduce a position are allowed")


def _exposed(order: SizedOrder, view: PortfolioView) -> float:
    """Position plus working orders on the order's side: the exposure the order adds to."""
    return view.position(order.symbol) + view.working_qty(order.symbol, order.side)


def positive_quantity(order: SizedOrder, view: PortfolioView) -> Rejection | None:
    """Refuse an order whose quantity is zero after sizing and lot rounding."""
    if order.qty > 0:
        return None
    return Rejection(RejectCode.QTY_ZERO, "sizing", "quantity is zero after sizing and lot rounding", order.qty, 0.0)


def max_order_qty(limit: float) -> RiskRule:
    """Refuse orders larger than ``limit`` units."""

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        if order.qty > limit:
            return Rejection(RejectCode.MAX_ORDER_QTY, "risk.max_order_qty",
                             f"order quantity {order.qty:g} above risk.max_order_qty {limit:g}", order.qty, limit)
        return None

    return rule


def max_order_notional(limit: float) -> RiskRule:
    """Refuse orders worth more than ``limit`` at the reference price."""

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        notional = order.qty * order.ref_price
        if notional > limit:
            return Rejection(RejectCode.MAX_ORDER_NOTIONAL, "risk.max_order_notional",
                             f"order notional {notional:g} above risk.max_order_notional {limit:g}", notional, limit)
        return None

    return rule


def max_position(limit: float) -> RiskRule:
    """Refuse orders that could take |position + working orders on their side| above ``limit``.

    An order that brings that exposure nearer to zero is always allowed, so a bot left outside
    its limit (a fill after a reconnect, a position corrected to the venue's) can always trade back in.
    """

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        exposed = _exposed(order, view)
        projected = exposed + int(order.side) * order.qty
        if abs(projected) > limit * (1.0 + _TOLERANCE) and abs(projected) > abs(exposed):
            return Rejection(RejectCode.MAX_POSITION, "risk.max_position",
                             f"position would reach {projected:g}, above risk.max_position {limit:g}",
                             projected, limit)
        return None

    return rule


def no_short(order: SizedOrder, view: PortfolioView) -> Rejection | None:
    """Refuse orders that could leave a short position."""
    projected = _exposed(order, view) + int(order.side) * order.qty
    if projected < -1e-12 * max(1.0, order.qty):
        return Rejection(RejectCode.NO_SHORT, "risk.allow_short",
                         f"order would leave position {projected:g} and risk.allow_short is false", projected, 0.0)
    return None


def _exposures(order: SizedOrder, view: PortfolioView) -> tuple[float, float, float, float]:
    """Gross and net exposure (quote currency) before and after the order, at last prices.

    The order's symbol counts its position plus working orders on the order's side at the order's
    price; other symbols count their positions at their marks.
    """
    gross = net = 0.0
    for symbol in view.symbols_held():
        if symbol == order.symbol:
            continue
        value = view.position(symbol) * (view.mark(symbol) or 0.0)
        gross += abs(value)
        net += value
    exposed = _exposed(order, view)
    before = exposed * order.ref_price
    after = (exposed + int(order.side) * order.qty) * order.ref_price
    return gross + abs(before), gross + abs(after), net + before, net + after


def max_gross_exposure(limit: float) -> RiskRule:
    """Refuse orders that take the sum of |position| × price over all symbols above ``limit``."""
    return _exposure_limit(limit, gross=True)


def max_net_exposure(limit: float) -> RiskRule:
    """Refuse orders that take |sum of position × price| over all symbols above ``limit``."""
    return _exposure_limit(limit, gross=False)


def _exposure_limit(limit: float, *, gross: bool) -> RiskRule:
    kind = "gross" if gross else "net"
    code = RejectCode.MAX_GROSS_EXPOSURE if gross else RejectCode.MAX_NET_EXPOSURE

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        gross_before, gross_after, net_before, net_after = _exposures(order, view)
        before, after = (gross_before, gross_after) if gross else (net_before, net_after)
        if abs(after) > limit * (1.0 + _TOLERANCE) and abs(after) > abs(before):
            return Rejection(code, f"risk.max_{kind}_exposure",
                             f"{kind} exposure would reach {after:g}, beyond risk.max_{kind}_exposure {limit:g}",
                             after, limit)
        return None

    return rule


def max_open_orders(limit: int) -> RiskRule:
    """Refuse a new order while ``limit`` orders are working (all symbols)."""

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        working = view.open_order_count()
        if working >= limit:
            return Rejection(RejectCode.MAX_OPEN_ORDERS, "risk.max_open_orders",
                             f"{working} orders already working, risk.max_open_orders is {limit}",
                             float(working + 1), float(limit))
        return None

    return rule


def reduces_position(order: SizedOrder, view: PortfolioView, own_working: float = 0.0) -> bool:
    """Whether the order (with the working orders on its side) only brings the position nearer to zero.

    ``own_working``: the order's own remaining quantity when it is already counted as working.
    """
    position = view.position(order.symbol)
    if int(order.side) * position >= 0:
        return False
    pending = abs(view.working_qty(order.symbol, order.side)) - own_working
    return pending + order.qty <= abs(position) * (1.0 + _TOLERANCE)


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
    if limits.max_gross_exposure is not None:
        rules.append(max_gross_exposure(limits.max_gross_exposure))
    if limits.max_net_exposure is not None:
        rules.append(max_net_exposure(limits.max_net_exposure))
    if limits.max_open_orders is not None:
        rules.append(max_open_orders(limits.max_open_orders))
    return rules


def limit_or_inf(value: float | None) -> float:
    """A limit for the kernels: the value, or inf for none."""
    return math.inf if value is None else value
