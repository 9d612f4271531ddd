"""The state store: every recorded event survives a crash; saves export JSON; old JSON-only stores load and re-arm."""

from __future__ import annotations

import json
import sqlite3

from botkit.execution.oms import OrderManager, fill_key
from botkit.live.state import StateStore
from botkit.model.enums import OrderType, Side
from botkit.model.orders import Fill, Liquidity, Order, OrderStatus
from botkit.portfolio.ledger import Ledger


def order(coid: str, status: OrderStatus = OrderStatus.PENDING, filled: float = 0.0) -> Order:
    return Order(order_id="", client_order_id=coid, symbol="BTCUSD", side=Side.BUY, qty=1.0,
                 order_type=OrderType.MARKET, status=status, filled_qty=filled, ts_created=1)


def test_each_recorded_event_is_on_disk_without_a_save(tmp_path):
    store = StateStore(tmp_path / "bot.state.json")
    ledger = Ledger(1_000.0)
    store.record([order("a")], ledger)
    fill = Fill(5, "v1", "a", "BTCUSD", Side.BUY, 1.0, 100.0, 0.1, Liquidity.TAKER, fill_id="f1")
    ledger.apply_fill(fill)
    store.record([order("a", OrderStatus.FILLED, 1.0)], ledger, fill_key(fill))
    # a crash here: no save, no close; another process opens the store
    loaded = StateStore(tmp_path / "bot.state.json").load()
    assert loaded is not None and [o.status for o in loaded.orders] == [OrderStatus.FILLED]
    assert loaded.fill_keys == [fill_key(fill)] and loaded.ledger.position("BTCUSD") == 1.0
    assert not (tmp_path / "bot.state.json").exists(), "the JSON export is written by save() only"
    mode = sqlite3.connect(tmp_path / "bot.state.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_save_prunes_and_exports_and_arm_clears_the_halt_and_the_kill_switch(tmp_path):
    store = StateStore(tmp_path / "bot.state.json")
    oms = OrderManager()
    oms.track(order("open"))
    store.save(oms, Ledger(10.0), "halted", 7, "kill switch: drawdown", {"day": 1, "peak_equity": 12.0})
    exported = json.loads((tmp_path / "bot.state.json").read_text())
    assert exported["trading_state"] == "halted" and exported["orders"][0]["client_order_id"] == "open"
    assert store.load().kill_switch == {"day": 1, "peak_equity": 12.0}  # type: ignore[union-attr]
    assert store.arm() == "kill switch: drawdown"
    again = StateStore(tmp_path / "bot.state.json").load()
    assert again is not None and again.trading_state == "active" and again.kill_switch is None
    assert json.loads((tmp_path / "bot.state.json").read_text())["trading_state"] == "active"
    assert store.arm() is None, "nothing to re-arm"


def test_a_json_only_store_of_an_earlier_version_loads_and_re_arms(tmp_path):
    path = tmp_path / "old.state.json"
    legacy = {"version": 1, "saved_at_ns": 1, "trading_state": "halted", "halt_reason": "boom", "orders": [],
              "seen_fills": [["c1", 5, 1.0, 100.0]], "ledger": Ledger(50.0).snapshot()}
    path.write_text(json.dumps(legacy))
    loaded = StateStore(path).load()
    assert loaded is not None and loaded.trading_state == "halted" and loaded.fill_keys == ["c1|5|1.0|100.0"]
    assert StateStore(path).arm() == "boom"
    assert StateStore(path).load().trading_state == "active"  # type: ignore[union-attr]


def test_a_decided_order_is_in_the_journal_until_a_save_puts_it_in_the_database(tmp_path):
    store = StateStore(tmp_path / "bot.state.json")
    store.record([order("filled", OrderStatus.FILLED, 1.0)], Ledger(1_000.0))
    store.record_decision(order("decided"))
    with open(store.journal_path, "ab") as journal:
        journal.write(b'{"client_order_id": "torn", "sym')  # a crash in the middle of a write
    # a crash here: another process opens the store
    loaded = StateStore(tmp_path / "bot.state.json").load()
    assert loaded is not None
    assert [(o.client_order_id, o.status) for o in loaded.orders] == [
        ("filled", OrderStatus.FILLED), ("decided", OrderStatus.PENDING)]
    oms = OrderManager()
    oms.restore(loaded.orders, loaded.fill_keys)
    store.save(oms, loaded.ledger, "active", 9)
    assert store.journal_path.stat().st_size == 0
    again = StateStore(tmp_path / "bot.state.json").load()
    assert again is not None and {o.client_order_id for o in again.orders} == {"filled", "decided"}


def test_save_keeps_the_newest_fill_keys_and_drops_finished_orders_beyond_the_kept_number(tmp_path, monkeypatch):
    from botkit.live import state

    monkeypatch.setattr(state, "_FILL_KEYS_KEPT", 3)
    monkeypatch.setattr(state, "_FINISHED_KEPT", 2)
    store = StateStore(tmp_path / "bot.state.json")
    oms = OrderManager()
    for i in range(5):
        done = order(f"f{i}", OrderStatus.FILLED, 1.0)
        oms.track(done)
        store.record([done], Ledger(1.0), f"key{i}")
    oms.track(order("open", OrderStatus.ACCEPTED))
    oms.restore([], [f"key{i}" for i in range(5)])
    store.save(oms, Ledger(1.0), "active", 1)
    loaded = store.load()
    assert loaded is not None
    assert {o.client_order_id for o in loaded.orders} == {"open", "f3", "f4"}
    assert loaded.fill_keys == ["key2", "key3", "key4"]


def test_later_saves_keep_what_record_wrote_between_them(tmp_path):
    store = StateStore(tmp_path / "bot.state.json")
    oms = OrderManager()
    store.save(oms, Ledger(1.0), "active", 1)  # the first save of the process writes everything
    done = order("done", OrderStatus.FILLED, 1.0)
    oms.track(done)
    store.record([done], Ledger(1.0), "key-done")
    oms.restore([], ["key-done"])
    oms.track(order("decided"))
    store.record_decision(oms.get("decided"))  # type: ignore[arg-type]
    store.save(oms, Ledger(1.0), "active", 2)
    loaded = StateStore(tmp_path / "bot.state.json").load()
    assert loaded is not None and {o.client_order_id for o in loaded.orders} == {"done", "decided"}
    assert loaded.fill_keys == ["key-done"] and store.journal_path.stat().st_size == 0
