"""Positions and balances as snapshots: what portfolio views and venues report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """Signed quantity held in ``symbol`` (negative is short) and its average entry price."""

    symbol: str
    qty: float
    avg_price: float
    realized_pnl: float = 0.0

    @property
    def is_flat(self) -> bool:
        """Whether nothing is held."""
        return self.qty == 0.0


@dataclass(frozen=True, slots=True)
class Balance:
    """Funds in one currency: ``free`` can be spent, ``locked`` backs working orders."""

    asset: str
    free: float
    locked: float = 0.0

    @property
    def total(self) -> float:
        """Free plus locked."""
        return self.free + self.locked
