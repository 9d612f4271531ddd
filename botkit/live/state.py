"""The bot's state on disk: open orders, recent fills' keys, the ledger and the trading state.

Saved atomically (write beside, fsync, rename) so a crash leaves the previous complete file;
loaded on start, before reconciling with the venue. JSON, versioned, human-readable.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

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


class SavedState(NamedTuple):
    """What a previous run left: orders, fill keys, ledger, trading state and why it halted."""

    orders: list[Order]
    fill_keys: list[FillKey]
    ledger: Ledger
    trading_state: str
    halt_reason: str | None
    kill_switch: dict[str, Any] | None = None
    """The kill switch's memory (UTC day, its opening equity, the equity peak); None after a re-arm."""


class StateStore:
    """Reads and writes one bot's state file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, oms: OrderManager, ledger: Ledger, trading_state: str, now_ns: int,
             halt_reason: str | None = None, kill_switch: dict[str, Any] | None = None) -> None:
        """Write the state atomically."""
        orders = oms.open_orders() + [o for o in oms.orders() if not o.status.is_open][-_FINISHED_KEPT:]
        keys = oms.seen_fills()[-_FILL_KEYS_KEPT:]
        state = {
            "version": STATE_VERSION, "saved_at_ns": now_ns, "trading_state": trading_state,
            "halt_reason": halt_reason, "kill_switch": kill_switch,
            "orders": [order_to_dict(o) for o in orders], "seen_fills": keys,
            "ledger": ledger.snapshot(),
        }
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
        log.debug("state.saved", path=str(self.path), open_orders=len(oms.open_orders()))

    def load(self) -> SavedState | None:
        """The saved orders, fill keys, ledger and trading state; None when there is no file."""
        if not self.path.is_file():
            return None
        try:
            state = self._read()
            orders = [order_from_dict(o) for o in state["orders"]]
            keys: list[FillKey] = [_fill_key(k) for k in state["seen_fills"]]
            ledger = Ledger.from_snapshot(state["ledger"])
        except (ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"state file {str(self.path)!r} is unreadable ({error}); move it away to start from a clean state"
            ) from None
        log.info("state.loaded", path=str(self.path), orders=len(orders), fills_seen=len(keys))
        reason = state.get("halt_reason")
        kill = state.get("kill_switch")
        return SavedState(orders, keys, ledger, str(state.get("trading_state", "active")),
                          str(reason) if reason is not None else None, kill if isinstance(kill, dict) else None)

    def arm(self) -> str | None:
        """Re-arm a halted bot (a person decided it may trade again); returns why it had halted.

        A halt (kill switch, strategy error, bad credentials) is persisted and latches: a restarted
        bot stays halted until this is called, e.g. by ``botkit arm CONFIG``.
        """
        if not self.path.is_file():
            raise ConfigError(f"state file {str(self.path)!r} does not exist: nothing to re-arm")
        try:
            state = self._read()
        except ValueError as error:
            raise ConfigError(f"state file {str(self.path)!r} is unreadable ({error})") from None
        if state.get("trading_state") != "halted":
            return None
        reason = state.get("halt_reason")
        state.update(trading_state="active", halt_reason=None, kill_switch=None)  # the drawdown peak starts afresh
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(state, indent=1, sort_keys=True).encode("utf-8"))
        log.warning("state.rearmed", path=str(self.path), halt_reason=reason)
        return str(reason) if reason is not None else "unknown"

    def _read(self) -> dict[str, Any]:
        state = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            version = state.get("version") if isinstance(state, dict) else None
            raise ValueError(f"version {version!r}, expected {STATE_VERSION}")
        return state
