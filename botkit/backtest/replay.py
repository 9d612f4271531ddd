"""The event-driven Python path: plain strategy classes, same fill model and rules as the kernels.

Per-event work is plain Python over lists (``ndarray.tolist``); fill prices, fees, sizing use the
same numba scalar functions as the kernels so both paths compute bit-identical numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

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

Chunk = tuple[np.ndarray, np.ndarray]
_SLICE = 16_384


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
            equity_ts=np.array(self._eq_ts, dtype=np.int64),
            equity=np.array(self._eq_val, dtype=np.float64),
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

    def _run_bars(self, inst: np.ndarray, records: np.ndarray) -> None:
        symbols = self.config.symbols
        if len(symbols) == 1 and self.config.equity_resolution_ns <= 0:
            self._run_bars_one_symbol(records)
            return
        interval = self.config.bar_interval_ns
        host, broker = self.host, self.broker
        on_bar = host.hook("on_bar")
        columns = [records[name].tolist() for name in ("ts", "open", "high", "low", "close", "volume")]
        for k, ts, o, h, lo, c, v in zip(self._instruments(inst, len(records)), *columns, strict=True):
            if host.timers and host.timers[0][0] <= ts:
                host.fire_timers(ts)
            if broker.working:
                broker.match(k, ts, lambda w, o=o, h=h, lo=lo: self._bar_price(w, o, h, lo))
                host.deliver_fills(ts)
            equity = self._record(ts, k, c)
            if self._watching is not None:
                self._observe(ts + interval, equity)
            if not host.halted:
                host.handle(on_bar, Bar(ts, symbols[k], o, h, lo, c, v), ts + interval, k, c, equity)

    def _run_bars_one_symbol(self, records: np.ndarray) -> None:
        """``_run_bars`` for one symbol with ``_record`` and ``host.handle`` written out: the hot spot."""
        symbol = self.config.symbols[0]
        interval = self.config.bar_interval_ns
        host, broker = self.host, self.broker
        on_bar = host.hook("on_bar")
        timers, positions, last = host.timers, broker.positions, broker.last
        append_ts, append_equity = self._eq_ts.append, self._eq_val.append
        columns = [records[name].tolist() for name in ("ts", "open", "high", "low", "close", "volume")]
        exposed = 0
        watching = self._watching is not None
        for ts, o, h, lo, c, v in zip(*columns, strict=True):
            if timers and timers[0][0] <= ts:
                host.fire_timers(ts)
            if broker.working:
                broker.match(0, ts, lambda w, o=o, h=h, lo=lo: self._bar_price(w, o, h, lo))
                host.deliver_fills(ts)
            last[0] = c
            position = positions[0]
            equity = broker.balance + position * c
            if position != 0.0:
                exposed += 1
            append_ts(ts)
            append_equity(equity)
            if watching:
                self._observe(ts + interval, equity)
                watching = self._watching is not None
            if host.halted:
                continue
            host.now_ns, host.ref_price, host.event_equity = ts + interval, c, equity
            bar = Bar(ts, symbol, o, h, lo, c, v)
            try:
                returned = on_bar(bar)
            except StrategyError:
                raise
            except Exception as error:  # user code: any exception becomes a StrategyError
                raise StrategyError(host.name, "on_bar", bar, error) from error
            if returned is not None or host.deferred:
                host.after_hook(returned, "on_bar", bar)
        self._exposed += exposed

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
        on_trade = host.hook("on_trade")
        columns = [records[name].tolist() for name in ("ts", "price", "size", "side")]
        for k, ts, price, size, side in zip(self._instruments(inst, len(records)), *columns, strict=True):
            host.fire_timers(ts)
            if broker.working:
                broker.match_tick(k, ts, price, size, price, size, shared=True)
                host.deliver_fills(ts)
            equity = self._record(ts, k, price)
            if self._watching is not None:
                self._observe(ts, equity)
            if not host.halted:
                host.handle(on_trade, Trade(ts, symbols[k], price, size, side), ts, k, price, equity)

    def _run_quotes(self, inst: np.ndarray, records: np.ndarray) -> None:
        symbols = self.config.symbols
        host, broker = self.host, self.broker
        on_quote = host.hook("on_quote")
        names = ("ts", "bid", "bid_size", "ask", "ask_size")
        columns = [records[name].tolist() for name in names]
        for k, ts, bid, bid_size, ask, ask_size in zip(
            self._instruments(inst, len(records)), *columns, strict=True
        ):
            host.fire_timers(ts)
            if broker.working:
                broker.match_tick(k, ts, ask, ask_size, bid, bid_size, shared=False)
                host.deliver_fills(ts)
            mid = (bid + ask) / 2.0
            equity = self._record(ts, k, mid)
            if self._watching is not None:
                self._observe(ts, equity)
            if not host.halted:
                host.handle(on_quote, Quote(ts, symbols[k], bid, bid_size, ask, ask_size), ts, k, mid, equity)


