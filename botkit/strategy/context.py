"""What a strategy can see and do: the context protocol every engine implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from botkit.model.enums import Side
from botkit.model.orders import Order


class TimerFired(NamedTuple):
    """A timer set with ``ctx.set_timer`` fired at ``ts``."""

    ts: int
    name: str


class StrategyContext(Protocol):
    """The strategy's window on the engine: clock, portfolio, orders, timers.

    ``symbol`` defaults to the symbol of the event being handled. Quantities of None are sized by
    the run's position-sizing rule. Order methods return the client order id of the intent.
    """

    @property
    def symbols(self) -> Sequence[str]:
        """Symbols this strategy trades."""
        ...

    def now(self) -> int:
        """Current time in ns UTC (the close time of the bar being handled)."""
        ...

    def position(self, symbol: str | None = None) -> float:
        """Signed position in ``symbol`` (negative is short)."""
        ...

    def cash(self) -> float:
        """Cash in the account's quote currency."""
        ...

    def equity(self) -> float:
        """Cash plus positions marked to their last prices."""
        ...

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Working orders, optionally only those of ``symbol``."""
        ...

    def buy(self, qty: float | None = None, symbol: str | None = None, tag: str = "") -> str:
        """Submit a market buy."""
        ...

    def sell(self, qty: float | None = None, symbol: str | None = None, tag: str = "") -> str:
        """Submit a market sell."""
        ...

    def limit(
        self, side: Side, qty: float | None, price: float, symbol: str | None = None, tag: str = ""
    ) -> str:
        """Submit a limit order at ``price``."""
        ...

    def stop(
        self, side: Side, qty: float | None, price: float, symbol: str | None = None, tag: str = ""
    ) -> str:
        """Submit a stop (market when triggered) order at ``price``."""
        ...

    def close(self, symbol: str | None = None, tag: str = "") -> str | None:
        """Submit a market order that flattens the position; None if already flat."""
        ...

    def cancel(self, client_order_id: str) -> bool:
        """Cancel a working order; False if it is not working."""
        ...

    def cancel_all(self, symbol: str | None = None) -> int:
        """Cancel every working order (of ``symbol``); returns how many."""
        ...

    def set_timer(self, at_ns: int, name: str) -> None:
        """Call ``on_timer`` once the replay or wall clock reaches ``at_ns``."""
        ...
