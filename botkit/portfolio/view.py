"""The read-only view of the account that strategies and risk rules see."""

from __future__ import annotations

from typing import Protocol


class PortfolioView(Protocol):
    """Positions, cash, equity and working orders, read-only."""

    def position(self, symbol: str) -> float:
        """Signed position in ``symbol``."""
        ...

    def working_qty(self, symbol: str) -> float:
        """Signed quantity still to fill on working orders of ``symbol`` (buys +, sells −)."""
        ...

    def cash(self) -> float:
        """Cash in the quote currency."""
        ...

    def equity(self) -> float:
        """Cash plus positions at their last prices."""
        ...
