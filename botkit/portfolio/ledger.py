"""The live and paper account: fills in, positions, cash, fees and PnL out.

Accounting follows docs/backtesting.md: a buy of ``q`` at ``p`` with fee ``f`` takes ``q·p + f``
from cash and adds ``q`` to the position; a sell adds ``q·p − f`` and subtracts ``q``. Realized
PnL uses the average entry price and excludes fees (reported apart); positions are marked to the
last price seen. A ``Ledger`` is a ``PortfolioView`` except for ``working_qty``, which belongs to
whoever holds the orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botkit.model.enums import Side
from botkit.model.orders import Fill, Liquidity
from botkit.model.positions import Position

_EPS = 1e-12


@dataclass
class _Holding:
    qty: float = 0.0
    avg_price: float = 0.0
    realized: float = 0.0


class Ledger:
    """Positions per symbol, cash, fees and PnL, updated by fills and marked by prices."""

    def __init__(self, cash: float) -> None:
        self._cash = float(cash)
        self.initial_cash = float(cash)
        self.fees = 0.0
        self.fill_count = 0
        self._holdings: dict[str, _Holding] = {}
        self._last: dict[str, float] = {}

    def apply_fill(self, fill: Fill) -> None:
        """Book one fill: cash, fees, position, average entry price and realized PnL."""
        sign = int(fill.side)
        self._cash -= sign * fill.qty * fill.price + fill.fee
        self.fees += fill.fee
        self.fill_count += 1
        holding = self._holdings.setdefault(fill.symbol, _Holding())
        signed = sign * fill.qty
        if holding.qty * signed >= 0:  # opening or adding
            total = holding.qty + signed
            if abs(total) > _EPS:
                holding.avg_price = (holding.avg_price * abs(holding.qty) + fill.price * fill.qty) / abs(total)
            holding.qty = total
        else:  # reducing, closing or flipping
            closed = min(abs(signed), abs(holding.qty))
            direction = 1.0 if holding.qty > 0 else -1.0
            holding.realized += (fill.price - holding.avg_price) * closed * direction
            holding.qty += signed
            if abs(holding.qty) <= _EPS * max(1.0, fill.qty):
                holding.qty, holding.avg_price = 0.0, 0.0
            elif holding.qty * direction < 0:  # flipped: the remainder opened at this price
                holding.avg_price = fill.price
        self._last.setdefault(fill.symbol, fill.price)

    def correct_position(self, symbol: str, qty: float, price: float) -> float:
        """Set the position in ``symbol`` to ``qty`` (the venue's truth), booked at ``price``; returns the change.

        The difference is booked like a fill without fee, so cash, average price and realized PnL
        stay consistent with the corrected position; it is not counted in ``fill_count``.
        """
        change = qty - self.position(symbol)
        if change == 0.0:
            return 0.0
        side = Side.BUY if change > 0 else Side.SELL
        self.apply_fill(Fill(0, "", "", symbol, side, abs(change), price, 0.0, Liquidity.TAKER, "reconcile"))
        self.fill_count -= 1
        return change

    def mark(self, symbol: str, price: float) -> None:
        """Record the last price of ``symbol`` (trade price or quote mid)."""
        if price > 0:
            self._last[symbol] = price

    def last_price(self, symbol: str) -> float | None:
        """The last price seen for ``symbol``."""
        return self._last.get(symbol)

    # --- PortfolioView (without working_qty) ---------------------------------------------------
    def position(self, symbol: str) -> float:
        """Signed position in ``symbol``."""
        holding = self._holdings.get(symbol)
        return holding.qty if holding is not None else 0.0

    def cash(self) -> float:
        """Cash in the quote currency."""
        return self._cash

    def equity(self) -> float:
        """Cash plus positions at their last prices."""
        return self._cash + sum(h.qty * self._last.get(s, h.avg_price) for s, h in self._holdings.items())

    # --- reports -------------------------------------------------------------------------------
    def positions(self) -> list[Position]:
        """Every symbol ever traded, with its position, entry price and realized PnL."""
        return [Position(s, h.qty, h.avg_price, h.realized) for s, h in sorted(self._holdings.items())]

    def realized_pnl(self) -> float:
        """Realized PnL of closed quantity, before fees."""
        return sum(h.realized for h in self._holdings.values())

    def unrealized_pnl(self) -> float:
        """PnL of open positions at their last prices."""
        return sum(h.qty * (self._last.get(s, h.avg_price) - h.avg_price) for s, h in self._holdings.items())

    def snapshot(self) -> dict[str, Any]:
        """The ledger as plain data, for the state file."""
        return {
            "cash": self._cash, "initial_cash": self.initial_cash, "fees": self.fees, "fill_count": self.fill_count,
            "holdings": {s: [h.qty, h.avg_price, h.realized] for s, h in self._holdings.items()},
            "last": dict(self._last),
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Ledger:
        """A ledger restored from ``snapshot()``."""
        ledger = cls(float(data["cash"]))
        ledger.initial_cash = float(data.get("initial_cash", data["cash"]))
        ledger.fees = float(data.get("fees", 0.0))
        ledger.fill_count = int(data.get("fill_count", 0))
        for symbol, (qty, avg, realized) in data.get("holdings", {}).items():
            ledger._holdings[symbol] = _Holding(float(qty), float(avg), float(realized))
        ledger._last = {str(k): float(v) for k, v in data.get("last", {}).items()}
        return ledger
