"""The bot's state on disk: open orders, recent fills' keys, the ledger and the trading state.

Saved atomically (write beside, fsync, rename) so a crash leaves the previous complete file;
loaded on start, before reconciling with the venue. JSON, versioned, human-readable.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import structlog

from botkit.core.errors import ConfigError
from botkit.data.atomic import atomic_write
from botkit.execution.oms import FillKey, OrderManager
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.orders import Order, OrderStatus
from botkit.portfolio.ledger import Ledger

log = structlog.get_logger("botkit.live.state")

STATE_VERSION = 1
_FILL_KEYS_KEPT = 5000
_FINISHED_KEPT = 200


def order_to_dict(order: Order) -> dict[str, Any]:
    """An order as JSON-ready data."""
    data = asdict(order)
    data.update(side=int(order.side), order_type=order.order_type.name.lower(), status=order.status.value,
                time_in_force=order.time_in_force.name.lower())
    return data


def order_from_dict(data: dict[str, Any]) -> Order:
    """The order saved by ``order_to_dict``."""
    return Order(**{
        **data, "side": Side(int(data["side"])), "order_type": OrderType[str(data["order_type"]).upper()],
        "status": OrderStatus(data["status"]), "time_in_force": TimeInForce[str(data["time_in_force"]).upper()],
    })


def _fill_key(saved: Any) -> FillKey:
    """A saved fill key; files of earlier versions hold ``[coid, ts, qty, price]`` lists."""
    if isinstance(saved, str):
        return saved
    coid, ts, qty, price = saved
    return f"{coid}|{int(ts)}|{float(qty)!r}|{float(price)!r}"


class StateStore:
    """Reads and writes one bot's state file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, oms: OrderManager, ledger: Ledger, trading_state: str, now_ns: int) -> None:
        """Write the state atomically."""
        orders = oms.open_orders() + [o for o in oms.orders() if not o.status.is_open][-_FINISHED_KEPT:]
        keys = oms.seen_fills()[-_FILL_KEYS_KEPT:]
        state = {
            "version": STATE_VERSION, "saved_at_ns": now_ns, "trading_state": trading_state,
            "orders": [order_to_dict(o) for o in orders], "seen_fills": keys,
            "ledger": ledger.snapshot(),
        }
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
        log.debug("state.saved", path=str(self.path), open_orders=len(oms.open_orders()))

    def load(self) -> tuple[list[Order], list[FillKey], Ledger, str] | None:
        """The saved orders, fill keys, ledger and trading state; None when there is no file."""
        if not self.path.is_file():
            return None
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            if state.get("version") != STATE_VERSION:
                raise ValueError(f"version {state.get('version')!r}, expected {STATE_VERSION}")
            orders = [order_from_dict(o) for o in state["orders"]]
            keys: list[FillKey] = [_fill_key(k) for k in state["seen_fills"]]
            ledger = Ledger.from_snapshot(state["ledger"])
        except (ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"state file {str(self.path)!r} is unreadable ({error}); move it away to start from a clean state"
            ) from None
        log.info("state.loaded", path=str(self.path), orders=len(orders), fills_seen=len(keys))
        return orders, keys, ledger, str(state.get("trading_state", "active"))
