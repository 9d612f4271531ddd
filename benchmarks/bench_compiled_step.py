"""The compiled step live vs the Python hooks: what each costs per event in the live engine.

The SMA crossover (10/50, ``strategies/sma_cross.py``) and the Bollinger reversion (20 bars, 2 sd,
``strategies/bollinger_reversion.py``) on a paper ``LiveEngine``, once with
``engine.strategy_path: python`` and once with ``compiled``, on the same seeded synthetic events:

* **hook**: ``engine.host.call`` of the market hook in a whole run (the strategy's share of the event
  path: the Python hook, or the adapter writing the engine slots from the context, building the
  record, calling the step's compiled entry point and decoding its result), timed call by call: the
  median (an event that places no order) and the mean (orders included: sizing, risk, the state
  store's record of each decision), best of ``REPEATS`` runs;
* **adapter**: ``StepAdapter.on_event`` alone (no context calls), for reference;
* **engine**: a whole run through ``engine.run`` on ``ScriptedData`` (market pump, paper fills, marks,
  metrics, the hook, orders through risk to the paper client), wall time per event including the
  event loop, best of ``REPEATS`` runs.

Bars with ``market_data: bars`` (each bar preceded by a quote at its close, which prices and fills
the paper orders; the engine figure is per bar and its quote) and quotes with ``market_data: quotes``.
``run()`` returns table rows; ``python benchmarks/bench_compiled_step.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog
from botkit.examples.bollinger_reversion import BollingerParams, BollingerReversion
from botkit.examples.sma_cross import SmaCross, SmaCrossParams

from botkit.backtest.step_adapter import StepAdapter
from botkit.data.synthetic import synthetic_bars, synthetic_quotes
from botkit.live.engine import LiveEngine
from botkit.live.paper import PaperExecutionClient
from botkit.model.events import Bar, MarketEvent, Quote
from botkit.model.instruments import Instrument
from botkit.settings import validate_bot_config
from botkit.strategy.base import Strategy, StrategyParams

Row = dict[str, Any]
SYMBOL = "BTCUSD"
REPEATS = 3
CASES: list[tuple[str, type[Strategy[Any]], StrategyParams, tuple[str, ...]]] = [
    ("SmaCross 10/50", SmaCross, SmaCrossParams(fast=10, slow=50, size=0.01), ("bars", "quotes")),
    ("BollingerReversion 20/2", BollingerReversion, BollingerParams(window=20, k=2.0, size=0.01), ("bars",)),
]


class _Feed:
    """Plays pre-built events as fast as the loop allows, then waits until closed (a MarketDataClient)."""

    venue = "bench"

    def __init__(self, events: list[MarketEvent]) -> None:
        self.events = events
        self.closed = asyncio.Event()

    async def stream(self, symbols: Any = None) -> Any:
        for event in self.events:
            await asyncio.sleep(0)
            yield event
        await self.closed.wait()

    async def close(self) -> None:
        self.closed.set()


def events_of(kind: str, n: int) -> list[MarketEvent]:
    """``n`` seeded synthetic bars (each after a quote at its close) or quotes, as model events."""
    if kind == "bars":
        events: list[MarketEvent] = []
        for ts, o, h, lo, c, v in synthetic_bars(n, seed=7).tolist():
            events += [Quote(int(ts), SYMBOL, c - 0.01, 50.0, c + 0.01, 50.0), Bar(int(ts), SYMBOL, o, h, lo, c, v)]
        return events
    quotes = synthetic_quotes(n, seed=7).tolist()
    return [Quote(int(ts), SYMBOL, bid, bid_size, ask, ask_size) for ts, bid, bid_size, ask, ask_size in quotes]


def engine_for(cls: type[Strategy[Any]], params: StrategyParams, path: str, kind: str, state_dir: Path,
               events: list[MarketEvent]) -> LiveEngine:
    market_data = "bars" if kind == "bars" else "quotes"
    state_dir.mkdir(parents=True, exist_ok=True)
    config = validate_bot_config({
        "name": f"bench-{path}-{kind}", "strategy": "sma_cross", "symbols": [SYMBOL], "mode": "paper",
        "state_dir": str(state_dir), "risk": {"max_clock_skew_ms": None},
        "engine": {"market_data": market_data, "strategy_path": path, "state_save_interval_s": 3600},
    }, "bench")
    paper = PaperExecutionClient(taker_bps=5, match_on="quotes", cash=config.capital, queue_fills=False)
    return LiveEngine(config, strategy_cls=cls, params=params, data=_Feed(events), execution=paper,
                      instruments={SYMBOL: Instrument(SYMBOL, tick_size=0.01, lot_size=0.001)})


async def hook_ns(cls: type[Strategy[Any]], params: StrategyParams, path: str, kind: str, events: list[MarketEvent],
                  state_dir: Path) -> tuple[float, float]:
    """Best median and mean ns of the market hook's ``engine.host.call`` in a whole run, over REPEATS runs."""
    hook = "on_bar" if kind == "bars" else "on_quote"
    best = (float("inf"), float("inf"))
    for repeat in range(REPEATS):
        engine = engine_for(cls, params, path, kind, state_dir / f"hook{repeat}", events)
        timer = _HookTimer(engine.host.call, hook)
        engine.host.call = timer  # type: ignore[method-assign]
        await _play(engine, kind, events)
        spent = timer.spent
        best = min(best[0], statistics.median(spent)), min(best[1], statistics.fmean(spent))
    return best


class _HookTimer:
    """Stands in for ``host.call``: times the calls of one hook."""

    def __init__(self, call: Any, hook: str) -> None:
        self.call = call
        self.hook = hook
        self.spent: list[int] = []

    def __call__(self, name: str, event: Any = None, symbol: str | None = None) -> None:
        if name != self.hook:
            self.call(name, event, symbol)
            return
        started = time.perf_counter_ns()
        self.call(name, event, symbol)
        self.spent.append(time.perf_counter_ns() - started)


def adapter_ns(cls: type[Strategy[Any]], params: StrategyParams, kind: str, events: list[MarketEvent]) -> float:
    """Best per-event ns of ``StepAdapter.on_event`` alone (engine slots given as constants)."""
    wanted = Bar if kind == "bars" else Quote
    steps = [e for e in events if type(e) is wanted]
    compiled = cls.compiled_step(params)
    assert compiled is not None
    best = float("inf")
    for _ in range(REPEATS):
        on_event = StepAdapter(compiled, [SYMBOL], [kind], cls.__name__).on_event
        started = time.perf_counter_ns()
        for event in steps:
            on_event(event, 0, 0.0, 100_000.0, 100_000.0, 0)  # type: ignore[arg-type]
        best = min(best, (time.perf_counter_ns() - started) / len(steps))
    return best


async def engine_ns(cls: type[Strategy[Any]], params: StrategyParams, path: str, kind: str, events: list[MarketEvent],
                    state_dir: Path) -> tuple[float, int]:
    """Best wall ns per event of a whole engine run over the events, and the orders it placed."""
    best, placed = float("inf"), 0
    for repeat in range(REPEATS):
        engine = engine_for(cls, params, path, kind, state_dir / f"run{repeat}", events)
        best = min(best, await _play(engine, kind, events))
        placed = len(engine.run_orders())
    return best, placed


async def _play(engine: LiveEngine, kind: str, events: list[MarketEvent]) -> float:
    """Run ``engine`` over ``events``, stop it; wall ns per bar (and its quote) or per quote, first one excluded."""
    running = asyncio.create_task(engine.run())
    counter = "bar" if kind == "bars" else "quote"
    total = sum(1 for e in events if type(e) is (Bar if kind == "bars" else Quote))
    while engine.counters[counter] == 0:
        await asyncio.sleep(0)
    started = time.perf_counter_ns()
    while engine.counters[counter] < total:
        await asyncio.sleep(0)
    elapsed = (time.perf_counter_ns() - started) / (total - 1)
    engine.request_stop()
    await running
    return elapsed


async def measure(n: int) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for case, (name, cls, params, kinds) in enumerate(CASES):
            for kind in kinds:
                rows.append(await _row(name, cls, params, kind, n, Path(tmp) / f"{case}-{kind}"))
    return rows


async def _row(name: str, cls: type[Strategy[Any]], params: StrategyParams, kind: str, n: int, tmp: Path) -> Row:
    events = events_of(kind, n)
    hooks = {path: await hook_ns(cls, params, path, kind, events, tmp / path) for path in ("python", "compiled")}
    runs = {path: await engine_ns(cls, params, path, kind, events, tmp / path) for path in ("python", "compiled")}
    return {"case": name, "kind": kind, "events": n,
            "hook_python_us": hooks["python"][0] / 1000, "hook_compiled_us": hooks["compiled"][0] / 1000,
            "hook_mean_python_us": hooks["python"][1] / 1000, "hook_mean_compiled_us": hooks["compiled"][1] / 1000,
            "adapter_us": adapter_ns(cls, params, kind, events) / 1000,
            "engine_python_us": runs["python"][0] / 1000, "engine_compiled_us": runs["compiled"][0] / 1000,
            "orders_python": runs["python"][1], "orders_compiled": runs["compiled"][1]}


def run(quick: bool = False) -> list[Row]:
    """Measure both paths; rows per event kind (µs per event)."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    return asyncio.run(measure(5_000 if quick else 20_000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 events per kind instead of 20,000")
    args = parser.parse_args()
    for row in run(args.quick):
        print(f"{row['case']} on {row['kind']} ({row['events']:,} events): hook median python "
              f"{row['hook_python_us']:.2f} µs, compiled {row['hook_compiled_us']:.2f} µs (adapter alone "
              f"{row['adapter_us']:.2f} µs), mean {row['hook_mean_python_us']:.2f} / "
              f"{row['hook_mean_compiled_us']:.2f} µs; "
              f"whole engine python {row['engine_python_us']:.1f} µs, compiled {row['engine_compiled_us']:.1f} µs "
              f"per event; orders {row['orders_python']} / {row['orders_compiled']}")


if __name__ == "__main__":
    main()
