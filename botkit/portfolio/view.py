"""The read-only view of the account that strategies and risk rules see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from botkit.model.enums import Side


class PortfolioView(Protocol):
    """Positions, cash, equity and working orders, read-only."""

    def position(self, symbol: str) -> float:
        """Signed position in ``symbol``."""
        ...

    def working_qty(self, symbol: str, side: Side | None = None) -> float:
        """Signed quantity still to fill on working orders of ``symbol`` (buys +, sells −), of ``side`` if given."""
        ...

    def open_order_count(self) -> int:
        """Working orders, all symbols."""
        ...

    def symbols_held(self) -> Sequence[str]:
        """Symbols with a non-zero position."""
        ...

    def mark(self, symbol: str) -> float | None:
        """The last price ``symbol`` was marked at, None before the first."""
        ...

    def cash(self) -> float:
        """Cash in the quote currency."""
        ...

    def equity(self) -> float:
        """Cash plus positions at their last prices."""
        ...
