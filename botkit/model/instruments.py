"""Tradable instruments and the trading rules that come with them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Instrument:
    """A symbol on a venue with its tick size, lot size and minimum notional (0 means no rule)."""

    symbol: str
    venue: str = "sim"
    base: str = ""
    quote: str = ""
    tick_size: float = 0.0
    lot_size: float = 0.0
    min_notional: float = 0.0

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size", "min_notional"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"Instrument.{name} must be >= 0, got {value!r}")

    def round_qty(self, qty: float) -> float:
        """``qty`` rounded down to a whole number of lots."""
        if self.lot_size <= 0:
            return qty
        return math.floor(qty / self.lot_size + 1e-9) * self.lot_size

    def round_price(self, price: float) -> float:
        """``price`` rounded to the nearest tick."""
        if self.tick_size <= 0:
            return price
        return round(price / self.tick_size) * self.tick_size
