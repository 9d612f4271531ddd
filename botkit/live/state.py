"""The bot's state on disk: orders, recent fills' keys, the ledger, the trading state and the kill switch.

The truth is a SQLite database in WAL mode (``<name>.state.db``), written in one transaction on
every order and fill event (``record``), so a ``kill -9`` at any instant leaves every event that
was handled before it: a restart knows each order it had decided on (none is sent twice: the
client order id is reused and the venue deduplicates it) and each fill it had counted. An order
the bot has decided on but not sent yet is the one thing written on the send path, so it goes
to an append-only journal (``<name>.state.journal``, one JSON line, one ``write``: a few µs
where a SQLite transaction costs over a hundred when the caches are cold); loading merges the
journal's orders the database does not have, and ``save`` empties it. The
periodic ``save`` writes the whole state, prunes old finished orders and fill keys, and exports
it to ``<name>.state.json`` (atomically: write beside, fsync, rename), which people can read and
which earlier versions of botkit wrote; a store without a database is loaded from that file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import fields
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


_ORDER_FIELDS = tuple(f.name for f in fields(Order))


def order_to_dict(order: Order) -> dict[str, Any]:
    """An order as JSON-ready data."""
    data = {name: getattr(order, name) for name in _ORDER_FIELDS}  # asdict() deep-copies: 3x slower
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
    """Reads and writes one bot's state: the SQLite database beside ``path``, and ``path`` as its JSON export."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path.with_name(path.name.removesuffix(".json") + ".db") if path.suffix == ".json" \
            else path.with_name(path.name + ".db")
        self.journal_path = self.db_path.with_suffix(".journal")
        self._db: sqlite3.Connection | None = None
        self._journal: int | None = None
        self._first_save = True

    # --- the database -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of the process; see docs/live.md
                db.executescript(_SCHEMA)
                db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('version', ?)", (str(STATE_VERSION),))
            except sqlite3.Error as error:
                raise OSError(f"state database {str(self.db_path)!r}: {error}") from None
            self._db = db
        return self._db

    def close(self) -> None:
        """Close the database and the journal (the next call opens them again)."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None

    def record(self, orders: Iterable[Order], ledger: Ledger, fill_key: FillKey | None = None) -> None:
        """Persist one event at once, in one transaction: the orders it changed, its fill's key, the ledger after it."""
        db = self._connect()
        try:
            db.execute("BEGIN")
            _write_orders(db, orders)
            if fill_key is not None:
                db.execute("INSERT OR IGNORE INTO fills(key) VALUES (?)", (fill_key,))
            _put(db, "ledger", ledger.snapshot())
            db.execute("COMMIT")
        except sqlite3.Error as error:
            _rollback(db)
            raise OSError(f"state database {str(self.db_path)!r}: {error}") from None

    def record_decision(self, order: Order) -> None:
        """Persist an order the bot decided on and has not sent yet: one line appended to the journal.

        It survives a crash of the process (the kernel has the bytes once ``write`` returns), as a
        SQLite commit in WAL mode with ``synchronous=NORMAL`` does.
        """
        if self._journal is None:
            self._connect()  # the database exists before the journal: load() reads both
            self._journal = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        line = (json.dumps(order_to_dict(order)) + "\n").encode("utf-8")
        if os.write(self._journal, line) != len(line):
            raise OSError(f"state journal {str(self.journal_path)!r}: short write")

    def save(self, oms: OrderManager, ledger: Ledger, trading_state: str, now_ns: int,
             halt_reason: str | None = None, kill_switch: dict[str, Any] | None = None) -> None:
        """Write the whole state in one transaction, prune what is no longer needed, and export the JSON file.

        The database already holds every order event and fill key (``record``): after the first
        save of a process (which writes everything, e.g. for a state loaded from JSON) this writes
        only the open orders (the journal's decided ones among them), deletes finished orders and
        fill keys beyond what is kept, and writes the trading state. The export is compact JSON.
        """
        orders = oms.open_orders() + [o for o in oms.orders() if not o.status.is_open][-_FINISHED_KEPT:]
        keys = oms.seen_fills()[-_FILL_KEYS_KEPT:]
        state = {
            "version": STATE_VERSION, "saved_at_ns": now_ns, "trading_state": trading_state,
            "halt_reason": halt_reason, "kill_switch": kill_switch,
            "orders": [order_to_dict(o) for o in orders], "seen_fills": keys,
            "ledger": ledger.snapshot(),
        }
        db = self._connect()
        try:
            db.execute("BEGIN")
            # record() has written every order event and fill key; the journal's decided orders are open
            written = state["orders"] if self._first_save else state["orders"][:len(oms.open_orders())]
            db.executemany(_UPSERT_ORDER, [(o["client_order_id"], json.dumps(o)) for o in written])
            if self._first_save:  # e.g. a state loaded from a JSON-only store of an earlier version
                db.executemany("INSERT OR IGNORE INTO fills(key) VALUES (?)", [(k,) for k in keys])
            db.execute("CREATE TEMP TABLE IF NOT EXISTS kept(coid TEXT PRIMARY KEY)")
            db.execute("DELETE FROM kept")
            db.executemany("INSERT OR IGNORE INTO kept(coid) VALUES (?)", [(o.client_order_id,) for o in orders])
            db.execute("DELETE FROM orders WHERE coid NOT IN (SELECT coid FROM kept)")
            db.execute("DELETE FROM fills WHERE seq <= (SELECT seq FROM fills ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                       (_FILL_KEYS_KEPT,))
            for key in ("version", "saved_at_ns", "trading_state", "halt_reason", "kill_switch", "ledger"):
                _put(db, key, state[key])
            db.execute("COMMIT")
        except sqlite3.Error as error:
            _rollback(db)
            raise OSError(f"state database {str(self.db_path)!r}: {error}") from None
        self._first_save = False
        if self._journal is not None:
            os.ftruncate(self._journal, 0)  # every order in it is in the database now
        with atomic_write(self.path) as handle:
            handle.write(json.dumps(state, separators=(",", ":")).encode("utf-8"))  # the C encoder: no indent
        log.debug("state.saved", path=str(self.db_path), open_orders=len(oms.open_orders()))

    def load(self) -> SavedState | None:
        """The saved orders, fill keys, ledger and trading state; None when nothing was saved."""
        try:
            if self.db_path.is_file():
                state = self._read_db()
                source = self.db_path
            elif self.path.is_file():
                state = self._read_json()
                source = self.path
            else:
                return None
            if state is None:
                return None
            orders = [order_from_dict(o) for o in state["orders"]]
            keys: list[FillKey] = [_fill_key(k) for k in state["seen_fills"]]
            ledger = Ledger.from_snapshot(state["ledger"])
        except (ValueError, KeyError, TypeError, sqlite3.Error, OSError) as error:
            raise ConfigError(
                f"state {str(self.db_path)!r} is unreadable ({error}); move it (and {self.path.name}) away to "
                "start from a clean state"
            ) from None
        log.info("state.loaded", path=str(source), orders=len(orders), fills_seen=len(keys))
        reason = state.get("halt_reason")
        kill = state.get("kill_switch")
        return SavedState(orders, keys, ledger, str(state.get("trading_state", "active")),
                          str(reason) if reason is not None else None, kill if isinstance(kill, dict) else None)

    def arm(self) -> str | None:
        """Re-arm a halted bot (a person decided it may trade again); returns why it had halted.

        A halt (kill switch, strategy error, bad credentials) is persisted and latches: a restarted
        bot stays halted until this is called, e.g. by ``botkit arm CONFIG``.
        """
        saved = self.load()
        if saved is None:
            raise ConfigError(f"state {str(self.db_path)!r} does not exist: nothing to re-arm")
        if saved.trading_state != "halted":
            return None
        if not self.db_path.is_file():  # migrate a JSON-only store first
            self._write_state(saved)
        db = self._connect()
        try:
            db.execute("BEGIN")
            for key, value in (("trading_state", "active"), ("halt_reason", None), ("kill_switch", None)):
                _put(db, key, value)  # the kill switch's drawdown peak starts afresh
            db.execute("COMMIT")
        except sqlite3.Error as error:
            _rollback(db)
            raise ConfigError(f"state {str(self.db_path)!r} could not be re-armed ({error})") from None
        if self.path.is_file():
            exported = json.loads(self.path.read_text(encoding="utf-8"))
            exported.update(trading_state="active", halt_reason=None, kill_switch=None)
            with atomic_write(self.path) as handle:
                handle.write(json.dumps(exported, indent=1, sort_keys=True).encode("utf-8"))
        log.warning("state.rearmed", path=str(self.db_path), halt_reason=saved.halt_reason)
        return saved.halt_reason or "unknown"

    def _write_state(self, saved: SavedState) -> None:
        db = self._connect()
        db.execute("BEGIN")
        _write_orders(db, saved.orders)
        db.executemany("INSERT OR IGNORE INTO fills(key) VALUES (?)", [(k,) for k in saved.fill_keys])
        for key, value in (("version", STATE_VERSION), ("trading_state", saved.trading_state),
                           ("halt_reason", saved.halt_reason), ("kill_switch", saved.kill_switch),
                           ("ledger", saved.ledger.snapshot())):
            _put(db, key, value)
        db.execute("COMMIT")

    def _read_db(self) -> dict[str, Any] | None:
        db = self._connect()
        meta = {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM meta")}
        if "ledger" not in meta:
            return None  # created but nothing recorded yet
        version = meta.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ValueError(f"version {version!r}, expected {STATE_VERSION}")
        meta["orders"] = [json.loads(data) for (data,) in db.execute("SELECT data FROM orders ORDER BY seq")]
        known = {order["client_order_id"] for order in meta["orders"]}
        meta["orders"] += [order for order in self._read_journal() if order["client_order_id"] not in known]
        meta["seen_fills"] = [key for (key,) in db.execute("SELECT key FROM fills ORDER BY seq")]
        return meta

    def _read_journal(self) -> list[dict[str, Any]]:
        """The decided orders in the journal; a line cut short by a crash is left out (it was never sent)."""
        if not self.journal_path.is_file():
            return []
        orders = []
        for number, line in enumerate(self.journal_path.read_bytes().splitlines(), 1):
            try:
                order = json.loads(line)
            except ValueError:
                log.warning("state.journal_line_unreadable", path=str(self.journal_path), line=number)
                continue
            if isinstance(order, dict) and isinstance(order.get("client_order_id"), str):
                orders.append(order)
        return orders

    def _read_json(self) -> dict[str, Any]:
        state = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            version = state.get("version") if isinstance(state, dict) else None
            raise ValueError(f"version {version!r}, expected {STATE_VERSION}")
        return state


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, coid TEXT NOT NULL UNIQUE, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fills (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE);
"""


_UPSERT_ORDER = "INSERT INTO orders(coid, data) VALUES (?, ?) ON CONFLICT(coid) DO UPDATE SET data = excluded.data"


def _write_orders(db: sqlite3.Connection, orders: Iterable[Order]) -> None:
    db.executemany(_UPSERT_ORDER, [(o.client_order_id, json.dumps(order_to_dict(o))) for o in orders])


def _put(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               (key, json.dumps(value, sort_keys=True)))


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        db.execute("ROLLBACK")
