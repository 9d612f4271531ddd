"""The event-driven Python path: plain strategy classes, same fill model and rules as the kernels.

Per-event work is plain Python over lists (``ndarray.tolist``); fill prices, fees, sizing use the
same numba scalar functions as the kernels so both paths compute bit-identical numbers. Declared
indicators depend on market data only, so a slice's are computed in one kernel call before its
hooks run (``IndicatorBoard.ahead``), and each hook is handed its event's readings; live updates
them per event, with the same kernel.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from botkit.backtest import _nb
from botkit.backtest.broker import SimulatedBroker, Working
from botkit.backtest.outcome import ReplayOutcome
from botkit.backtest.run_config import RunConfig
from botkit.backtest.strategy_host import StrategyHost
from botkit.core.errors import StrategyError
from botkit.model.events import Bar, Quote, Trade
from botkit.model.orders import OrderType
from botkit.risk.killswitch import KillSwitch
from botkit.strategy.declared import IndicatorBoard
from botkit.strategy.indicator_layout import record_inputs

Chunk = tuple[np.ndarray, np.ndarray]
_SLICE = 4_096  # events per slice: 16k took 7 % longer (cache misses, young lists the GC walks)
_BAR_FIELDS = ("ts", "open", "high", "low", "close", "volume")
_NO_INSTRUMENTS = np.zeros(0, dtype=np.int16)


class PythonReplay:
    """Replays chunks of events through a plain ``Strategy`` instance, one hook call per event.

    The kill switch observes each event's equity after marking, at the time the strategy sees the
    event; when it fires, working orders are canceled, positions flattened if configured, the risk
    engine halted, and the strategy is not called again (except ``on_stop``).
    """

    def __init__(self, config: RunConfig, host: StrategyHost, broker: SimulatedBroker) -> None:
        self.config = config
        self.host = host
        self.broker = broker
        self.kill_switch = config.kill_switch()
        self._watching: KillSwitch | None = self.kill_switch if self.kill_switch.enabled else None
        self._eq_ts: list[int] = []
        self._eq_val: list[float] = []
        self._eq_arrays: list[tuple[np.ndarray, np.ndarray]] = []  # (times, equity) of whole slices, then the lists
        self._bucket: int | None = None
        self._exposed = 0
        self._events = 0

    def run(self, chunks: Iterable[Chunk], progress: Callable[[int], None] | None = None) -> ReplayOutcome:
        """Replay every chunk in order and return the outcome."""
        self.host.run_start()
        loop = {"bars": self._run_bars, "trades": self._run_trades, "quotes": self._run_quotes}
        for inst, records in chunks:
            # Python objects for a slice at a time: a small working set keeps the loop in cache
            for lo in range(0, len(records), _SLICE):
                loop[self.config.kind](inst[lo : lo + _SLICE] if len(inst) else inst, records[lo : lo + _SLICE])
            self._events += len(records)
            if progress is not None:
                progress(len(records))
        self.host.run_stop()
        return self._outcome()

    def _outcome(self) -> ReplayOutcome:
        """What the replay produced, once every event was replayed and ``on_stop`` ran."""
        broker = self.broker
        return ReplayOutcome(
            symbols=self.config.symbols,
            fill_ints=broker.fill_ints(),
            fill_floats=broker.fill_floats(),
            reject_ints=broker.reject_ints(),
            equity_ts=np.concatenate([ts for ts, _ in self._eq_arrays] + [np.array(self._eq_ts, dtype=np.int64)]),
            equity=np.concatenate([eq for _, eq in self._eq_arrays] + [np.array(self._eq_val, dtype=np.float64)]),
            cash=broker.balance,
            fees=broker.fees,
            positions=np.array(broker.positions, dtype=np.float64),
            last_prices=np.array(broker.last, dtype=np.float64),
            events=self._events,
            exposed_events=self._exposed,
            reject_texts=broker.reject_texts,
            kill_switch=self.kill_switch.tripped,
            kill_switch_ts=self.kill_switch.tripped_ns,
            orders=list(broker.orders),
        )

    def _observe(self, now: int, equity: float) -> None:
        """Feed the kill switch one event's equity; when it trips, stop trading."""
        assert self._watching is not None
        trip = self._watching.observe(now, equity)
        if trip is None:
            return
        self._watching = None
        broker = self.broker
        broker.risk.halt(trip.message)
        broker.cancel_all(None)
        self.host.halt()
        if self.config.flatten_on_kill:
            broker.flatten(now)

    def _record(self, ts: int, k: int, price: float) -> float:
        broker = self.broker
        broker.last[k] = price
        positions = broker.positions
        equity = broker.balance
        exposed = False
        for j in range(len(positions)):
            equity += positions[j] * broker.last[j]
            exposed = exposed or positions[j] != 0.0
        if exposed:
            self._exposed += 1
        res = self.config.equity_resolution_ns
        if res <= 0 or not self._eq_ts or ts // res != self._bucket:
            self._eq_ts.append(ts)
            self._eq_val.append(equity)
            if res > 0:
                self._bucket = ts // res
        else:
            self._eq_ts[-1] = ts
            self._eq_val[-1] = equity
        return equity

    def _instruments(self, inst: np.ndarray, n: int) -> list[int]:
        return inst.tolist() if len(self.config.instruments) > 1 else [0] * n

    def _readings(self, board: IndicatorBoard | None, inst: np.ndarray, records: np.ndarray) -> Iterator[Any] | None:
        """The hook's readings of each event of the slice (``IndicatorBoard.ahead``), None if it reads none."""
        if board is None or self.host.halted:
            return None
        several = len(self.config.instruments) > 1
        return board.ahead(self.config.symbols, inst if several else None, record_inputs(records))

    def _run_bars(self, inst: np.ndarray, records: np.ndarray) -> None:
        symbols = self.config.symbols
        if len(symbols) == 1 and self.config.equity_resolution_ns <= 0 and self._watching is None:
            self._run_bars_one_symbol(records)
            return
        interval = self.config.bar_interval_ns
        host, broker = self.host, self.broker
        on_bar, board = host.market_hook("on_bar")
        instruments = self._instruments(inst, len(records))
        columns = [records[name].tolist() for name in _BAR_FIELDS]
        bars = _made(Bar, columns, map(symbols.__getitem__, instruments))
        readings, state = self._readings(board, inst, records), host.strategy.__dict__
        for k, ts, bar in zip(instruments, columns[0], bars, strict=True):
            if host.timers and host.timers[0][0] <= ts:
                host.fire_timers(ts)
            if broker.working:
                broker.match(k, ts, lambda w, bar=bar: self._bar_price(w, bar[2], bar[3], bar[4]))
                host.deliver_fills(ts)
            equity = self._record(ts, k, bar[5])
            if self._watching is not None:
                self._observe(ts + interval, equity)
            if not host.halted:
                if readings is not None:
                    state["indicators"] = next(readings)
                host.handle(on_bar, bar, ts + interval, k, bar[5], equity)

    def _run_bars_one_symbol(self, records: np.ndarray) -> None:
        """``_run_bars`` for one symbol, one equity point per bar and no kill switch: the hot spot.

        Bars and readings are made as the loop takes them (made ahead, they would outlive the
        garbage collector's youngest generation and cost it full collections). Cash and position
        change only when orders fill, so the equity of every bar is computed after the slice, from
        the points where they changed; the host sizes orders with the broker's equity, the same.
        """
        interval = self.config.bar_interval_ns
        host, broker = self.host, self.broker
        on_bar, board = host.market_hook("on_bar")
        timers, positions, last = host.timers, broker.positions, broker.last
        columns = [records[name].tolist() for name in _BAR_FIELDS]
        times, bars = iter(columns[0]), _made(Bar, columns, itertools.repeat(self.config.symbols[0]))
        readings = self._readings(board, _NO_INSTRUMENTS, records)
        state, reading = host.strategy.__dict__, readings is not None
        n = len(records)
        changed = [(0, broker.balance, positions[0])]  # (first bar, cash, position) while they hold
        host.fixed_equity = None
        for ts, bar, view in zip(times, bars, readings or itertools.repeat(None), strict=False):
            if timers and timers[0][0] <= ts:
                host.fire_timers(ts)
                host.fixed_equity = None
            if broker.working:
                broker.match(0, ts, lambda w, bar=bar: self._bar_price(w, bar[2], bar[3], bar[4]))
                host.deliver_fills(ts)
                host.fixed_equity = None
                changed.append((n - operator.length_hint(times) - 1, broker.balance, positions[0]))
            c = bar[5]
            last[0] = c
            host.now_ns, host.ref_price = ts + interval, c
            if reading:
                state["indicators"] = view
            try:
                returned = on_bar(bar)
            except StrategyError:
                raise
            except Exception as error:  # user code: any exception becomes a StrategyError
                raise StrategyError(host.name, "on_bar", bar, error) from error
            if returned is not None or host.deferred:
                host.after_hook(returned, "on_bar", bar)
                host.fixed_equity = None
        self._record_slice(records, changed)

    def _record_slice(self, records: np.ndarray, changed: list[tuple[int, float, float]]) -> None:
        """One equity point per bar of a one-symbol slice: the cash plus the position at the close.

        ``changed`` holds, in order, from which bar on each (cash, position) held.
        """
        first, cash, position = (np.array(column) for column in zip(*changed, strict=True))
        bars = np.diff(np.append(first, len(records)))
        held = np.repeat(position, bars)
        equity = np.repeat(cash, bars) + held * records["close"].astype(np.float64, copy=False)
        if self._eq_ts:  # points recorded one by one before this slice come first
            self._eq_arrays.append((np.array(self._eq_ts, dtype=np.int64), np.array(self._eq_val, dtype=np.float64)))
            self._eq_ts.clear()
            self._eq_val.clear()
        self._eq_arrays.append((records["ts"].astype(np.int64), equity))
        self._exposed += int(np.count_nonzero(held))

    def _bar_price(self, w: Working, o: float, h: float, lo: float) -> float:
        cfg = self.config
        level = w.price
        if w.order_type is OrderType.MARKET:
            return _nb.slipped_price_nb(o, w.side, cfg.slippage_bps, cfg.slippage_ticks, w.tick)
        if w.order_type is OrderType.LIMIT:
            if w.side > 0 and lo <= level:
                return min(o, level)
            if w.side < 0 and h >= level:
                return max(o, level)
            return math.nan
        if w.side > 0 and h >= level:
            return _nb.slipped_price_nb(max(o, level), w.side, cfg.slippage_bps, cfg.slippage_ticks, w.tick)
        if w.side < 0 and lo <= level:
            return _nb.slipped_price_nb(min(o, level), w.side, cfg.slippage_bps, cfg.slippage_ticks, w.tick)
        return math.nan

    def _run_trades(self, inst: np.ndarray, records: np.ndarray) -> None:
        symbols = self.config.symbols
        host, broker = self.host, self.broker
        on_trade, board = host.market_hook("on_trade")
        instruments = self._instruments(inst, len(records))
        columns = [records[name].tolist() for name in ("ts", "price", "size", "side")]
        trades = _made(Trade, columns, map(symbols.__getitem__, instruments))
        readings, state = self._readings(board, inst, records), host.strategy.__dict__
        for k, ts, price, size, trade in zip(instruments, columns[0], columns[1], columns[2], trades, strict=True):
            if host.timers and host.timers[0][0] <= ts:
                host.fire_timers(ts)
            if broker.working:
                broker.match_tick(k, ts, price, size, price, size, shared=True)
                host.deliver_fills(ts)
            equity = self._record(ts, k, price)
            if self._watching is not None:
                self._observe(ts, equity)
            if not host.halted:
                if readings is not None:
                    state["indicators"] = next(readings)
                host.handle(on_trade, trade, ts, k, price, equity)

    def _run_quotes(self, inst: np.ndarray, records: np.ndarray) -> None:
        symbols = self.config.symbols
        host, broker = self.host, self.broker
        on_quote, board = host.market_hook("on_quote")
        instruments = self._instruments(inst, len(records))
        columns = [records[name].tolist() for name in ("ts", "bid", "bid_size", "ask", "ask_size")]
        quotes = _made(Quote, columns, map(symbols.__getitem__, instruments))
        readings, state = self._readings(board, inst, records), host.strategy.__dict__
        for k, ts, bid, bid_size, ask, ask_size, quote in zip(instruments, *columns, quotes, strict=True):
            if host.timers and host.timers[0][0] <= ts:
                host.fire_timers(ts)
            if broker.working:
                broker.match_tick(k, ts, ask, ask_size, bid, bid_size, shared=False)
                host.deliver_fills(ts)
            mid = (bid + ask) / 2.0
            equity = self._record(ts, k, mid)
            if self._watching is not None:
                self._observe(ts, equity)
            if not host.halted:
                if readings is not None:
                    state["indicators"] = next(readings)
                host.handle(on_quote, quote, ts, k, mid, equity)


def _made(kind: type, columns: list[list[Any]], symbols: Iterable[str]) -> Iterator[Any]:
    """``kind`` events (the named tuples Bar, Trade, Quote) of the columns, each made as it is taken."""
    fields = zip(columns[0], symbols, *columns[1:], strict=False)  # ``symbols`` may be an endless repeat
    return map(tuple.__new__, itertools.repeat(kind), fields)  # no Python-level __new__
