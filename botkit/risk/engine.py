"""The risk engine: runs the rule chain on every order and holds the trading state."""

from __future__ import annotations

from enum import StrEnum

from botkit.portfolio.view import PortfolioView
from botkit.risk.rules import RiskRule, SizedOrder


class TradingState(StrEnum):
    """Whether new orders may open risk: ACTIVE, REDUCING (only reduce positions) or HALTED."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RiskEngine:
    """Checks sized orders against the rules in order; the first objection rejects the order."""

    def __init__(self, rules: list[RiskRule], state: TradingState = TradingState.ACTIVE) -> None:
        self.rules = list(rules)
        self.state = state

    def check(self, order: SizedOrder, view: PortfolioView) -> str | None:
        """None if the order may go out, else why not."""
        if self.state is TradingState.HALTED:
            return "trading is halted"
        for rule in self.rules:
            reason = rule(order, view)
            if reason is not None:
                return reason
        if self.state is TradingState.REDUCING:
            position = view.position(order.symbol)
            if position * int(order.side) >= 0 or order.qty > abs(position):
                return "trading is reducing-only and the order does not reduce the position"
        return None
