"""Order and cancel rate limits: at most N actions in any one-second window."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from botkit.portfolio.view import PortfolioView
from botkit.risk.rejection import RejectCode, Rejection
from botkit.risk.rules import RiskRule, SizedOrder

_NS_PER_S = 1_000_000_000


class RateWindow:
    """Counts actions in a sliding one-second window; ``take`` admits one if the window has room."""

    def __init__(self, per_second: int) -> None:
        if per_second < 1:
            raise ValueError(f"a rate must be at least 1 per second, got {per_second!r}")
        self.per_second = per_second
        self._times: deque[int] = deque()

    def take(self, now_ns: int) -> bool:
        """Admit one action at ``now_ns`` if fewer than ``per_second`` happened in the last second."""
        times = self._times
        while times and times[0] <= now_ns - _NS_PER_S:
            times.popleft()
        if len(times) >= self.per_second:
            return False
        times.append(now_ns)
        return True


def cancel_rate_rejection(limit: int) -> Rejection:
    """The refusal of a cancel beyond ``risk.max_cancels_per_s``."""
    return Rejection(RejectCode.CANCEL_RATE, "risk.max_cancels_per_s",
                     f"more than risk.max_cancels_per_s {limit} cancels in one second", float(limit + 1), float(limit))


def max_orders_per_s(limit: int, now_ns: Callable[[], int]) -> RiskRule:
    """Refuse new orders beyond ``limit`` in any one second (put it last: it counts what it admits)."""
    window = RateWindow(limit)

    def rule(order: SizedOrder, view: PortfolioView) -> Rejection | None:
        if window.take(now_ns()):
            return None
        return Rejection(RejectCode.ORDER_RATE, "risk.max_orders_per_s",
                         f"more than risk.max_orders_per_s {limit} orders in one second", float(limit + 1),
                         float(limit))

    return rule
