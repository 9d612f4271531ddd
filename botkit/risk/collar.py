"""The price collar: refuse orders priced too far from an independent reference price.

A broken venue book, a fat-fingered limit price or a stale quote all show up as an order price
far from what the rest of the market says. The reference comes from a callable (the live engine
passes the latest Sintra price, or the venue mid when there is no feed).
"""

from __future__ import annotations

from collections.abc import Callable

from botkit.portfolio.view import PortfolioView
from botkit.risk.rules import RiskRule, SizedOrder

ReferencePrice = Callable[[str], "float | None"]
"""The reference price of a symbol now, or None when there is none (or it is too old)."""


def price_collar(bps: float, reference: ReferencePrice) -> RiskRule:
    """Refuse orders whose price (``SizedOrder.ref_price``) is more than ``bps`` from the reference.

    Without a reference price the order is refused too: a collar that cannot check lets nothing by.
    """
    if not bps > 0:
        raise ValueError(f"risk.price_collar_bps must be > 0, got {bps!r}")

    def rule(order: SizedOrder, view: PortfolioView) -> str | None:
        ref = reference(order.symbol)
        if ref is None or not ref > 0:
            return f"no reference price for {order.symbol} to check risk.price_collar_bps against"
        deviation = abs(order.ref_price / ref - 1.0) * 10_000.0
        if deviation > bps:
            return (
                f"order price {order.ref_price:g} is {deviation:.1f} bps from the reference price {ref:g}, "
                f"beyond risk.price_collar_bps {bps:g}"
            )
        return None

    return rule


DataAge = Callable[[str], "float | None"]
"""Seconds since the last market event of a symbol, or None when none has arrived."""


def stale_data_guard(max_age_ms: float, age_of: DataAge) -> RiskRule:
    """Refuse new orders while the symbol's market data is older than ``max_age_ms`` (a frozen feed).

    A bot that keeps trading on a feed that stopped prices its orders from a market that has moved
    on; no data at all counts as stale.
    """
    if not max_age_ms > 0:
        raise ValueError(f"risk.max_data_age_ms must be > 0, got {max_age_ms!r}")

    def rule(order: SizedOrder, view: PortfolioView) -> str | None:
        age = age_of(order.symbol)
        if age is None:
            return f"no market data for {order.symbol} yet (risk.max_data_age_ms {max_age_ms:g})"
        if age * 1000.0 > max_age_ms:
            return (f"market data for {order.symbol} is {age * 1000.0:.0f} ms old, beyond "
                    f"risk.max_data_age_ms {max_age_ms:g}: the feed looks frozen")
        return None

    return rule
