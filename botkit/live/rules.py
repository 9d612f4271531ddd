"""The risk rules a bot config asks for: rules on each order, and market rules judged again at send time."""

from __future__ import annotations

from collections.abc import Callable

from botkit.core.clock import Clock
from botkit.live.market import MarketState
from botkit.risk.collar import book_sync_guard, clock_skew_guard, price_collar, stale_data_guard
from botkit.risk.rates import max_orders_per_s
from botkit.risk.rules import RiskRule, rules_from_limits
from botkit.settings import BotConfig


def reference_max_age_s(config: BotConfig) -> float:
    """How old the collar's reference may be: ``risk.max_reference_age_ms``, else the feed's, else 60 s."""
    if config.risk.max_reference_age_ms is not None:
        return config.risk.max_reference_age_ms / 1000.0
    return config.reference.max_age_s if config.reference else 60.0


def order_rules(config: BotConfig, clock: Clock) -> list[RiskRule]:
    """The rules of ``config.risk`` on each order, the order-rate limit last (it counts the orders it lets through)."""
    rules = rules_from_limits(config.risk)
    if config.risk.max_orders_per_s is not None:
        rules.append(max_orders_per_s(config.risk.max_orders_per_s, clock.now_ns))
    return rules


def market_rules(config: BotConfig, market: MarketState, clock_offset_s: Callable[[], float | None]) -> list[RiskRule]:
    """The rules on the market's state: book resync (always), stale data, clock skew and the price collar."""
    risk = config.risk
    rules = [book_sync_guard(market.resyncing)]
    if risk.max_data_age_ms is not None:
        rules.append(stale_data_guard(risk.max_data_age_ms, market.data_age_s))
    if risk.max_clock_skew_ms is not None:
        rules.append(clock_skew_guard(risk.max_clock_skew_ms, clock_offset_s))
    if risk.price_collar_bps is not None:
        rules.append(price_collar(risk.price_collar_bps, market.reference))
    return rules
