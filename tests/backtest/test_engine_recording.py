"""Backtests of a recorded session (``data.recording``): the session's events only, on the event-driven path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import botkit
from botkit.backtest.parity import compare_session
from botkit.core.clock import NS_PER_SECOND, to_ns
from botkit.core.errors import ConfigError, DataError
from botkit.data.recorded import MARK_STARTED, MARK_STOPPED
from botkit.data.recorder import ArchiveRecorder, RecordSpec
from botkit.model.events import Quote

SYMBOL = "BTCUSD"
T0 = to_ns("2024-03-01T12:00:00Z")
S = NS_PER_SECOND


def record_session(root: Path, start: int, quotes: int, seed: int) -> None:
    """A session with its marks and ``quotes`` random-walk quotes, ten a second."""
    rng = np.random.default_rng(seed)
    mids = 100.0 + np.cumsum(rng.normal(0, 0.3, quotes))
    sink = ArchiveRecorder(RecordSpec(root=root), venue="syncron", symbols=[SYMBOL])
    sink.mark(MARK_STARTED, start)
    for i, mid in enumerate(mids):
        sink.append(Quote(start + S + i * S // 10, SYMBOL, float(mid) - 0.05, 5.0, float(mid) + 0.05, 5.0))
    sink.mark(MARK_STOPPED, start + S + quotes * S // 10)
    sink.flush(everything=True)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "recordings"
    record_session(root, T0, 300, seed=1)
    record_session(root, T0 + 3600 * S, 200, seed=2)
    return root


def spec(root: Path | str, **data: object) -> dict[str, object]:
    return {"strategy": "sma_cross", "params": {"fast": 3, "slow": 8, "size": 1.0},
            "data": {"recording": str(root), "venue": "syncron", "kind": "quotes", "symbols": [SYMBOL], **data},
            "fees": {"maker_bps": 1, "taker_bps": 5}}


def test_a_recorded_session_replays_its_own_events_only(archive):
    last = botkit.backtest(spec(archive))
    first = botkit.backtest(spec(archive, session=1))
    assert last.stats["events"] == 200 and first.stats["events"] == 300
    assert last.stats["recording"].startswith("session 2 (2024-03-01T13:00:00.000 to ")
    assert first.engine == "python" and first.orders is not None and len(first.orders) >= 4
    hour = pd.Timestamp(T0 + 3600 * S, unit="ns", tz="UTC")
    assert (first.fills["ts"] < hour).all() and (last.fills["ts"] > hour).all()
    orders, fills = first.orders, first.fills
    assert list(orders.columns) == ["ts", "order_id", "client_order_id", "symbol", "side", "qty", "order_type",
                                    "limit_price", "stop_price", "tag"]
    assert set(fills["order_id"]) <= set(orders["order_id"]) and (orders["order_type"] == "market").all()


def test_a_relative_recording_is_found_from_the_spec_files_folder(archive, tmp_path, monkeypatch):
    spec_file = tmp_path / "specs" / "replay.yaml"
    spec_file.parent.mkdir()
    spec_file.write_text(
        "strategy: sma_cross\nparams: {fast: 3, slow: 8, size: 1.0}\n"
        "data: {recording: ../recordings, session: first, venue: syncron, kind: quotes, symbols: [BTCUSD]}\n"
    )
    monkeypatch.chdir(Path("/"))
    result = botkit.backtest(spec_file)
    assert result.spec.data.recording == tmp_path / "recordings"  # resolved: messages show the whole path
    assert result.stats["events"] == 300


def test_the_compiled_path_replays_the_same_but_logs_no_orders_to_compare(archive):
    compiled = botkit.backtest({**spec(archive), "engine": "compiled"})
    python = botkit.backtest(spec(archive))
    assert compiled.engine == "compiled" and compiled.orders is None
    assert compiled.fills["price"].tolist() == python.fills["price"].tolist()
    with pytest.raises(ConfigError, match="logs no orders: run it with engine: python"):
        compare_session([], [], compiled)


def test_recording_settings_are_checked(archive):
    with pytest.raises(ConfigError, match=r"give one of data\.archive, data\.file and data\.recording, got archive "
                                          "and recording"):
        botkit.backtest(spec(archive, archive="data"))
    with pytest.raises(DataError, match="does not say in which order its quotes, trades and bars arrived"):
        botkit.backtest(spec(archive, kind="bars", bar_interval="1s"))  # recorded without arrivals


def test_a_session_needs_a_recording_and_must_exist(archive):
    with pytest.raises(ConfigError, match=r"data\.session 2 needs data\.recording"):
        botkit.backtest({"strategy": "sma_cross", "data": {"archive": str(archive), "session": 2}})
    with pytest.raises(ConfigError, match="no recording session 5 among 2"):
        botkit.backtest(spec(archive, session=5))
