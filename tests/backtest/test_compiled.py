"""The compiled replay's buffers and the declared step's carried state (``botkit/backtest/compiled.py``)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from botkit.backtest import compiled
from botkit.backtest.compiled import CompiledReplay
from botkit.backtest.run_config import RunConfig
from botkit.data.synthetic import synthetic_bars
from botkit.model.instruments import Instrument
from botkit.model.records import FIRST_USER_SLOT
from botkit.strategy import _indicators_nb as nbi
from botkit.strategy.loader import load_strategy_class

HERE = os.path.dirname(__file__)
ZOO = f"{os.path.join(HERE, 'indicator_zoo.py')}:IndicatorZoo"
MINUTE = 60_000_000_000
NO_INSTRUMENTS = np.zeros(0, np.int16)


@pytest.fixture(scope="module")
def zoo():
    """The strategy declaring every indicator kind, its compiled form and a fill-heavy bar set."""
    cls = load_strategy_class(ZOO)
    params = cls.Params(fast=3, slow=7, rsi_n=4, atr_n=3, size=1.0)
    return cls.compiled_step(params), synthetic_bars(6_000, interval_ns=MINUTE, seed=11)


def config() -> RunConfig:
    return RunConfig(kind="bars", instruments=(Instrument("BTCUSD"),), capital=1e6, bar_interval_ns=MINUTE)


def counted_calls(monkeypatch) -> list[int]:
    """How many times the replay enters its kernel (each re-entry follows a suspension)."""
    calls: list[int] = []
    call = CompiledReplay._call

    def counted(self, *args):
        calls.append(1)
        return call(self, *args)

    monkeypatch.setattr(CompiledReplay, "_call", counted)
    return calls


def replay(step, bars, chunks: int = 1):
    rep = CompiledReplay(config(), step, "IndicatorZoo")
    outcome = rep.run([(NO_INSTRUMENTS, part) for part in np.array_split(bars, chunks)])
    return rep, outcome


def test_a_chunk_reserves_room_for_its_fills_so_the_kernel_runs_once(zoo, monkeypatch):
    step, bars = zoo
    monkeypatch.setattr(compiled, "INITIAL_FILLS", 4)
    calls = counted_calls(monkeypatch)
    _, outcome = replay(step, bars)
    assert len(outcome.fill_ints) > 4  # more fills than the buffer it started with
    assert len(calls) == 1


def test_suspending_for_room_keeps_the_carried_indicators(zoo, monkeypatch):
    """A kernel that returns for room stores its carried state and loads it again: same replay."""
    step, bars = zoo
    _, whole = replay(step, bars)
    monkeypatch.setattr(compiled, "INITIAL_FILLS", 2)
    monkeypatch.setattr(compiled, "RESERVED_FILLS", 2)
    calls = counted_calls(monkeypatch)
    _, cut = replay(step, bars, chunks=3)
    assert len(calls) > 3 + 3  # three chunks, and it suspended for room more than three times
    assert len(whole.fill_ints) > 50
    np.testing.assert_array_equal(cut.fill_ints, whole.fill_ints)
    np.testing.assert_array_equal(cut.fill_floats, whole.fill_floats)
    np.testing.assert_array_equal(cut.equity, whole.equity)


def test_the_row_holds_the_indicator_state_after_a_run(zoo):
    """The carried state is written back: the row equals the row-only update over the same bars."""
    step, bars = zoo
    rep, _ = replay(step, bars, chunks=2)
    expected = step.new_state(1)[0]
    spec = step.params
    at = len(spec) - len(step.indicators.spec)
    n_rows = len(step.indicators.spec) // nbi.SPEC_COLS
    for bar in bars:
        nbi.update_indicators_nb(expected, spec, at, n_rows, bar["open"], bar["high"], bar["low"], bar["close"],
                                 bar["volume"])
    first = FIRST_USER_SLOT + step.state_size - step.indicators.size
    np.testing.assert_array_equal(rep._state[0][first:], expected[first:])
    assert step.step.botkit_carried is not None  # the one-symbol kernel took the carried form
