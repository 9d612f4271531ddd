"""Market-state guards: the price collar, the stale-data guard, the book-resync guard and the clock-skew guard.

These depend on the market at the moment an order goes out, so the live engine runs them twice:
when the strategy decides and again just before the order is sent.

A broken venue book, a fat-fingered limit price or a stale quote all show up as an order price
far from what the rest of the market says. The reference comes from a callable (the live engine
passes the latest Sintra price, or the last trade when there is no feed, each only while fresh).
"""

from __future__ import annotations

from collections.abc import Callable

from botkit.portfolio.view import PortfolioView
from botkit.risk.rejection import RejectCode, Rejection
from botkit.risk.rules import RiskRule, SizedOrder

ReferencePrice = Callable[[str], "float | None"]
"""The reference price of a symbol now, or None when there is none (or it is too old)."""

DataAge = Callable[[str], "float | None"]
"""Seconds since the last market event of a symbol, or None when none has arrived."""

Resyncing = Callable[[str], bool]
"""Whether the symbol's order book is being rebuilt after a gap."""

ClockOffset = Callable[[], "float | None"]
"""The venue's clock minus ours, seconds, as last measured (None before the first measurement)."""


def price_collar(bps: float, reference: ReferencePrice) -> RiskRule:
    """Refuse orders whose price (``SizedOrder.ref_price``) is more than ``bps`` from the reference.

    Without a reference price the order is refused too: a collar that cannot check lets nothing by.
    """
    if not bps > 0:
        raise ValueError(f"risk.price_collar_bps must be > 0, got {bps!r}")

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        ref = reference(order.symbol)
        if ref is None or not ref > 0:
            return Rejection(RejectCode.NO_REFERENCE, "risk.price_collar_bps",
                             f"no fresh reference price for {order.symbol} to check risk.price_collar_bps against")
        deviation = abs(order.ref_price / ref - 1.0) * 10_000.0
        if deviation > bps:
            return Rejection(RejectCode.PRICE_COLLAR, "risk.price_collar_bps",
                             f"order price {order.ref_price:g} is {deviation:.1f} bps from the reference price "
                             f"{ref:g}, beyond risk.price_collar_bps {bps:g}", deviation, bps)
        return None

    return rule


def stale_data_guard(max_age_ms: float, age_of: DataAge) -> RiskRule:
    """Refuse new orders while the symbol's market data is older than ``max_age_ms`` (a frozen feed).

    A bot that keeps trading on a feed that stopped prices its orders from a market that has moved
    on; no data at all counts as stale.
    """
    if not max_age_ms > 0:
        raise ValueError(f"risk.max_data_age_ms must be > 0, got {max_age_ms!r}")

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        age = age_of(order.symbol)
        if age is None:
            return Rejection(RejectCode.STALE_DATA, "risk.max_data_age_ms",
                             f"no market data for {order.symbol} yet (risk.max_data_age_ms {max_age_ms:g})",
                             None, max_age_ms)
        if age * 1000.0 > max_age_ms:
            return Rejection(RejectCode.STALE_DATA, "risk.max_data_age_ms",
                             f"market data for {order.symbol} is {age * 1000.0:.0f} ms old, beyond "
                             f"risk.max_data_age_ms {max_age_ms:g}: the feed looks frozen", age * 1000.0, max_age_ms)
        return None

    return rule


def book_sync_guard(resyncing: Resyncing) -> RiskRule:
    """Refuse new orders while the symbol's book is resyncing: its prices are not the market's."""

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        if resyncing(order.symbol):
            return Rejection(RejectCode.BOOK_RESYNCING, "book",
                             f"the {order.symbol} order book is resyncing after a sequence gap")
        return None

    return rule


def clock_skew_guard(max_skew_ms: float, offset_s: ClockOffset) -> RiskRule:
    """Refuse new orders while the venue's clock and ours disagree by more than ``max_skew_ms``.

    Timestamps, data ages and time-to-live checks all assume the clocks agree; a skew that large
    means one of them is wrong.
    """
    if not max_skew_ms > 0:
        raise ValueError(f"risk.max_clock_skew_ms must be > 0, got {max_skew_ms!r}")

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        offset = offset_s()
        if offset is not None and abs(offset) * 1000.0 > max_skew_ms:
            return Rejection(RejectCode.CLOCK_SKEW, "risk.max_clock_skew_ms",
                             f"the venue's clock is {offset * 1000.0:+.0f} ms from ours, beyond "
                             f"risk.max_clock_skew_ms {max_skew_ms:g}", abs(offset) * 1000.0, max_skew_ms)
        return None

    return rule
