"""The Python path's replay: what hooks see of declared indicators and of fills, across slices and symbols.

The replay reads a slice's indicators ahead in one kernel call; a hook must still see, at every
event, exactly the readings a per-event update gives (``IndicatorBoard.update``, as live).
"""

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

import botkit
from botkit.backtest.replay import _SLICE
from botkit.model.events import Bar
from botkit.model.orders import OrderStatus
from botkit.strategy.declared import IndicatorBoard
from botkit.strategy.indicators import ATR, SMA, Bollinger, Reading

MIN = 60_000_000_000
T0 = 1_704_067_200_000_000_000


class RecorderParams(botkit.StrategyParams):
    n: int = Field(7, ge=1)


class Recorder(botkit.Strategy[RecorderParams]):
    """Keeps every bar with the readings its hook saw; buys and sells now and then (fills between)."""

    Params = RecorderParams
    indicators: ClassVar = {"fast": SMA("close", "n"), "bands": Bollinger("close", 20, 2.0), "atr": ATR(5)}
    runs: ClassVar[list[list[tuple[Bar, Any]]]] = []

    def on_start(self) -> None:
        self.seen: list[tuple[Bar, Any]] = []

    def on_bar(self, bar: Bar) -> None:
        self.seen.append((bar, self.indicators))
        if len(self.seen) % 50 == 0:
            self.ctx.buy(1.0, bar.symbol) if self.ctx.position(bar.symbol) == 0 else self.ctx.close(bar.symbol)

    def on_stop(self) -> None:
        Recorder.runs.append(self.seen)


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = np.round(100 + np.cumsum(rng.normal(0, 0.5, n)), 2)
    o = np.r_[c[0], c[:-1]]
    return pd.DataFrame({"ts": T0 + np.arange(n) * MIN, "open": o, "high": np.maximum(o, c) + 0.25,
                         "low": np.minimum(o, c) - 0.25, "close": c, "volume": 1.0 + np.arange(n) % 4})


def values(readings: Any) -> list[float]:
    out: list[float] = []
    for reading in readings:
        for one in [reading] if isinstance(reading, Reading) else reading:
            out += [one.value, one.prev, float(one.ready)]
    return out


@pytest.mark.parametrize("symbols", [["AAA"], ["AAA", "BBB"]])
def test_hooks_see_the_readings_of_a_per_event_update_across_slices(symbols):
    n = _SLICE + 500 if len(symbols) == 1 else _SLICE // 2 + 400  # more events than one slice either way
    data = {symbol: frame(n, seed) for seed, symbol in enumerate(symbols)}
    spec = {"strategy": f"{__name__}:Recorder", "engine": "python", "data": {"symbols": symbols}}
    result = botkit.backtest(spec, data=data)
    seen = Recorder.runs.pop()
    assert len(seen) == n * len(symbols) == result.stats["events"] and len(result.fills) > 10
    board = IndicatorBoard(Recorder, RecorderParams())
    for i, (bar, readings) in enumerate(seen):
        expected = board.update(bar)
        assert type(readings) is Recorder.Indicators
        assert np.array_equal(values(readings), values(expected), equal_nan=True), f"event {i} {bar}"


class Partial(botkit.Strategy):
    """One order for 2 that fills in parts; records what each fill says about its order."""

    log: ClassVar[list[tuple[Any, ...]]] = []

    def on_trade(self, trade: Any) -> None:
        if trade.ts == T0:
            self.ctx.buy(2.0)

    def on_order_filled(self, event: Any) -> None:
        working = [order.filled_qty for order in self.ctx.open_orders()]
        Partial.log.append((event.fill.qty, event.order.status, event.order.filled_qty, working))


def test_each_fill_reaches_the_hook_with_its_order_as_filled_so_far():
    ticks = pd.DataFrame({"ts": T0 + np.arange(5) * 1000, "price": [10.0, 10.0, 10.5, 10.2, 10.1],
                          "size": [1.0, 0.4, 0.5, 5.0, 1.0], "side": [1, 1, -1, 1, 1]})
    spec = {"strategy": f"{__name__}:Partial", "engine": "python", "data": {"kind": "trades", "symbols": ["X"]}}
    botkit.backtest(spec, data={"X": ticks})
    assert [status for _, status, _, _ in Partial.log] == [
        OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED]
    assert [x for qty, _, filled, _ in Partial.log for x in (qty, filled)] == pytest.approx(  # pytest 9.2: flat
        [0.4, 0.4, 0.5, 0.9, 1.1, 2.0])
    assert [[round(qty, 9) for qty in working] for *_, working in Partial.log] == [[0.4], [0.9], []]


@pytest.mark.parametrize("kind", ["trades", "quotes"])
@pytest.mark.parametrize("symbols", [["AAA"], ["AAA", "BBB"]])
def test_ticks_read_their_indicators_ahead_and_trade_as_the_compiled_step(kind, symbols):
    from botkit.data.synthetic import synthetic_quotes, synthetic_trades

    make = synthetic_trades if kind == "trades" else synthetic_quotes
    data = {symbol: make(_SLICE // len(symbols) + 300, start_ns=T0, seed=seed) for seed, symbol in enumerate(symbols)}
    spec = {"strategy": "sma_cross", "params": {"fast": 5, "slow": 20, "size": 0.01}, "fees": {"taker_bps": 2},
            "data": {"kind": kind, "symbols": symbols}}
    python = botkit.backtest({**spec, "engine": "python"}, data=data)
    compiled = botkit.backtest({**spec, "engine": "compiled"}, data=data)
    assert len(python.fills) > 20
    pd.testing.assert_frame_equal(python.fills, compiled.fills)
    pd.testing.assert_series_equal(python.equity, compiled.equity)
