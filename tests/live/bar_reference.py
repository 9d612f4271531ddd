"""Reference bars for the live bar builder's tests: the archive's trades aggregated with pandas."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from botkit.data.frames import to_frame
from botkit.model.events import Bar, Trade
from botkit.model.records import BAR_DTYPE, TRADE_DTYPE


def trade_records(trades: Sequence[Trade]) -> np.ndarray:
    """Trades as the archive stores them (TRADE_DTYPE), in the given order."""
    return np.array([(t.ts, t.price, t.size, int(t.side)) for t in trades], dtype=TRADE_DTYPE)


def aggregate(records: np.ndarray, interval_ns: int, symbol: str = "BTCUSD") -> list[Bar]:
    """OHLCV per interval on the UTC epoch grid (``ts`` = open time), intervals without trades left out."""
    if len(records) == 0:
        return []
    frame = to_frame(records)
    grouped = frame.resample(pd.Timedelta(interval_ns, unit="ns"), origin="epoch", closed="left", label="left")
    ohlc = grouped["price"].ohlc()
    volume = grouped["size"].sum()
    count = grouped["price"].count()
    keep = count > 0
    ts = ohlc.index[keep].as_unit("ns").asi8
    rows = ohlc[keep]
    return [Bar(int(t), symbol, float(r.open), float(r.high), float(r.low), float(r.close), float(v))
            for t, r, v in zip(ts, rows.itertuples(), volume[keep].to_numpy(), strict=True)]


def complete_bars(trades: Sequence[Trade], interval_ns: int, symbol: str = "BTCUSD") -> list[Bar]:
    """``aggregate`` without the first bar when it may be partial (its first trade is after its open time)."""
    bars = aggregate(trade_records(sorted(trades, key=lambda t: t.ts)), interval_ns, symbol)
    first = min(t.ts for t in trades) if trades else 0
    if bars and first % interval_ns != 0:
        bars = bars[1:]
    return bars


def bar_records(bars: Sequence[Bar]) -> np.ndarray:
    """Bars as BAR_DTYPE records, for a backtest's ``data=``."""
    return np.array([(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in bars], dtype=BAR_DTYPE)


def assert_same_bars(got: Sequence[Bar], expected: Sequence[Bar]) -> None:
    """Equal bars: exact times and prices, volumes to rounding."""
    assert [b.ts for b in got] == [b.ts for b in expected]
    for g, e in zip(got, expected, strict=True):
        assert (g.symbol, g.open, g.high, g.low, g.close) == (e.symbol, e.open, e.high, e.low, e.close), (g, e)
        assert abs(g.volume - e.volume) <= 1e-9 * max(1.0, abs(e.volume)), (g, e)
