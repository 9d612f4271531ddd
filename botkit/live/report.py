"""What a bot reports: the end-of-run summary and the live status document."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botkit.core.clock import ns_to_iso
from botkit.live.state import order_to_dict
from botkit.model.orders import Order, OrderStatus
from botkit.model.positions import Position
from botkit.portfolio.ledger import Ledger


@dataclass
class RunSummary:
    """The outcome of one run: orders by final status, fills, positions and PnL."""

    name: str
    mode: str
    venue: str
    state: str
    duration_s: float
    orders_placed: int
    orders_by_status: dict[str, int]
    risk_rejections: int
    fills: int
    fees: float
    realized_pnl: float
    unrealized_pnl: float
    equity: float
    positions: list[Position] = field(default_factory=list)
    client_order_ids: list[str] = field(default_factory=list)
    duplicate_events: int = 0
    halt_reason: str | None = None

    def count(self, status: OrderStatus) -> int:
        """How many of this run's orders ended in ``status``."""
        return self.orders_by_status.get(status.value, 0)

    @property
    def orders_open(self) -> int:
        """Orders still open at the end (pending, accepted or partially filled)."""
        return sum(self.count(s) for s in OrderStatus if s.is_open)

    def lines(self) -> list[str]:
        """The summary as lines of text for the terminal."""
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.orders_by_status.items())) or "none"
        out = [
            f"bot {self.name} ({self.venue if self.venue.startswith(self.mode) else f'{self.mode} on {self.venue}'}) "
            f"ran {self.duration_s:.1f} s, final state: {self.state}",
            f"orders placed: {self.orders_placed} ({statuses}); refused by risk: {self.risk_rejections}",
            f"fills: {self.fills}, fees: {self.fees:.4f}",
        ]
        for p in self.positions:
            out.append(f"position {p.symbol}: {p.qty:g} @ {p.avg_price:.2f}, realized {p.realized_pnl:.4f}")
        if not self.positions:
            out.append("position: flat, nothing traded")
        out.append(f"pnl: realized {self.realized_pnl:.4f}, unrealized {self.unrealized_pnl:.4f}, "
                   f"fees {self.fees:.4f}, net {self.realized_pnl + self.unrealized_pnl - self.fees:.4f}")
        if self.halt_reason:
            out.append(f"halted: {self.halt_reason}")
        return out


def summarize(
    *, name: str, mode: str, venue: str, state: str, duration_s: float, orders: list[Order], ledger: Ledger,
    risk_rejections: int, fills: int, duplicates: int, halt_reason: str | None,
) -> RunSummary:
    """The summary of a run whose orders are ``orders``."""
    counts = Counter(o.status.value for o in orders)
    return RunSummary(
        name=name, mode=mode, venue=venue, state=state, duration_s=duration_s, orders_placed=len(orders),
        orders_by_status=dict(counts), risk_rejections=risk_rejections, fills=fills, fees=ledger.fees,
        realized_pnl=ledger.realized_pnl(), unrealized_pnl=ledger.unrealized_pnl(), equity=ledger.equity(),
        positions=ledger.positions(), client_order_ids=[o.client_order_id for o in orders],
        duplicate_events=duplicates, halt_reason=halt_reason,
    )


def status_document(
    *, name: str, mode: str, venue: str, state: str, started_ns: int, now_ns: int, ledger: Ledger,
    open_orders: list[Order], last_events: dict[str, int], counters: dict[str, int], halt_reason: str | None,
    reference: dict[str, Any], halt_code: str | None = None, reducing: list[str] | None = None,
    kill_switch: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document ``/status`` serves."""
    return {
        "name": name, "mode": mode, "venue": venue, "state": state, "halt_reason": halt_reason,
        "halt_code": halt_code, "reducing": reducing or [], "kill_switch": kill_switch,
        "started_at": ns_to_iso(started_ns), "uptime_s": round((now_ns - started_ns) / 1e9, 3),
        "positions": [
            {"symbol": p.symbol, "qty": p.qty, "avg_price": p.avg_price, "realized_pnl": p.realized_pnl}
            for p in ledger.positions()
        ],
        "open_orders": [status_order(o) for o in open_orders],
        "pnl": {"realized": ledger.realized_pnl(), "unrealized": ledger.unrealized_pnl(), "fees": ledger.fees,
                "cash": ledger.cash(), "equity": ledger.equity()},
        "counters": dict(counters),
        "last_event_at": {kind: ns_to_iso(ts) for kind, ts in last_events.items()},
        "reference": reference,
    }


def status_order(order: Order) -> dict[str, Any]:
    """An open order as ``/status`` shows it: as saved, but ``side`` is "buy"/"sell" and ``created_at`` UTC ISO.

    The same conventions as a backtest's ``result.fills`` and ``result.trades``.
    """
    data = order_to_dict(order)
    data["side"] = "buy" if order.side > 0 else "sell"
    del data["ts_created"]
    data["created_at"] = ns_to_iso(order.ts_created)
    return data
