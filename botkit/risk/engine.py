"""The risk engine: runs the rule chain on every order and holds the trading state."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from botkit.portfolio.view import PortfolioView
from botkit.risk.rejection import RejectCode, Rejection
from botkit.risk.rules import RiskRule, SizedOrder, reduces_position


class TradingState(StrEnum):
    """Whether new orders may open risk: ACTIVE, REDUCING (only reduce positions) or HALTED."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class RiskEngine:
    """Checks sized orders against the rules in order; the first objection rejects the order.

    ``rules`` are judged when the strategy decides; ``market_rules`` (collar, stale data, book
    and clock guards) then and again just before the order is sent, by ``recheck``.

    The state is HALTED once ``halt`` is called (until ``rearm``), else REDUCING while any reason
    to reduce is held (reduce-only mode, a rate-limit wait, reconciliation in progress), else ACTIVE.
    """

    def __init__(self, rules: list[RiskRule], market_rules: list[RiskRule] | None = None, *,
                 reduce_only: bool = False) -> None:
        self.rules = list(rules)
        self.market_rules = list(market_rules or [])
        self.halt_reason: str | None = None
        self._reducing: set[str] = {"risk.reduce_only"} if reduce_only else set()
        self._reducing_while: dict[str, Callable[[], bool]] = {}

    @property
    def state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        if self.halt_reason is not None:
            return TradingState.HALTED
        return TradingState.REDUCING if self.reducing_reasons else TradingState.ACTIVE

    @property
    def reducing_reasons(self) -> list[str]:
        """Why the engine is reducing-only now, sorted."""
        held = self._reducing | {reason for reason, holds in self._reducing_while.items() if holds()}
        return sorted(held)

    def halt(self, reason: str) -> None:
        """Stop all new orders until ``rearm``."""
        self.halt_reason = reason

    def rearm(self) -> None:
        """Lift a halt."""
        self.halt_reason = None

    def reduce(self, reason: str) -> None:
        """Allow only reducing orders while ``reason`` holds (call ``resume`` with it when it ends)."""
        self._reducing.add(reason)

    def resume(self, reason: str) -> None:
        """``reason`` to reduce no longer holds."""
        self._reducing.discard(reason)

    def reduce_while(self, reason: str, holds: Callable[[], bool]) -> None:
        """Allow only reducing orders whenever ``holds()`` is true (asked on every order)."""
        self._reducing_while[reason] = holds

    def check(self, order: SizedOrder, view: PortfolioView) -> Rejection | None:
        """None if the order may go out, else why not."""
        refused = self._state_check(order, view, 0.0)
        if refused is not None:
            return refused
        for rule in self.rules:
            refused = rule(order, view)
            if refused is not None:
                return refused
        return self._market_check(order, view)

    def recheck(self, order: SizedOrder, view: PortfolioView) -> Rejection | None:
        """At the moment of sending an order already counted as working: the state and the market rules."""
        return self._state_check(order, view, order.qty) or self._market_check(order, view)

    def _market_check(self, order: SizedOrder, view: PortfolioView) -> Rejection | None:
        for rule in self.market_rules:
            refused = rule(order, view)
            if refused is not None:
                return refused
        return None

    def _state_check(self, order: SizedOrder, view: PortfolioView, own_working: float) -> Rejection | None:
        if self.halt_reason is not None:
            return Rejection(RejectCode.HALTED, "engine", f"trading is halted: {self.halt_reason}")
        reasons = self.reducing_reasons
        if reasons and not reduces_position(order, view, own_working):
            return Rejection(RejectCode.REDUCE_ONLY, "engine",
                             f"trading is reducing-only ({', '.join(reasons)}) and the order does not reduce "
                             "the position")
        return None
