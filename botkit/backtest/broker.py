"""The simulated broker of the Python path: working orders, matching, fills and the account."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from botkit.backtest import _nb
from botkit.backtest._enums import F_INT_COLS, LIQUIDITY_MAKER, LIQUIDITY_TAKER, R_INT_COLS
from botkit.backtest.outcome import REJECT_INTS
from botkit.backtest.run_config import RunConfig
from botkit.model.enums import OrderType, Side
from botkit.model.orders import Order, OrderIntent, OrderStatus
from botkit.risk.engine import RiskEngine
from botkit.risk.rejection import RejectCode, Rejection
from botkit.risk.rules import SizedOrder


class Working:
    """A working order as the broker keeps it (mutable, private to the backtest)."""

    __slots__ = ("eligible", "inst", "order", "order_id", "order_type", "price", "qty", "side", "tick",
                 "triggered")

    def __init__(self, order: Order, order_id: int, inst: int, eligible: int, tick: float) -> None:
        self.order = order
        self.order_id = order_id
        self.inst = inst
        self.side = int(order.side)
        self.order_type = order.order_type
        self.qty = order.qty
        level = order.limit_price if order.order_type is OrderType.LIMIT else order.stop_price
        self.price = math.nan if level is None else level
        self.eligible = eligible
        self.triggered = False
        self.tick = tick


class SimulatedBroker:
    """Holds the account and working orders of one Python-path replay; a ``PortfolioView``."""

    def __init__(self, config: RunConfig, risk: RiskEngine) -> None:
        self.config = config
        self.risk = risk
        n = len(config.instruments)
        self.index = {symbol: k for k, symbol in enumerate(config.symbols)}
        self.balance = config.capital
        self.fees = 0.0
        self.positions = [0.0] * n
        self.last = [0.0] * n
        self.working: list[Working] = []
        self.new_fills: list[tuple[Working, float, float, float, bool, bool]] = []
        """The fills of the last match, for ``StrategyHost.deliver_fills``: (order, qty, price, fee, maker, done);
        the ``Order`` of one that completed its order is left to the delivery (``with_fill``)."""
        self._fill_ints: list[int] = []  # the fill log's rows, flat: no object per fill for the garbage collector
        self._fill_floats: list[float] = []
        self._rejects: list[tuple[int, int, int, int]] = []
        self.reject_texts: list[str] = []
        """The rejections' messages, in the order of the rejection log."""
        self.orders: list[Order] = []
        """Every order accepted (the strategy's and the kill switch's), in submission order, as submitted."""
        self._next_id = 1

    # --- PortfolioView -------------------------------------------------------------------------
    def position(self, symbol: str) -> float:
        """Signed position in ``symbol``."""
        return self.positions[self.index[symbol]]

    def working_qty(self, symbol: str, side: Side | None = None) -> float:
        """Signed remaining quantity of working orders of ``symbol`` (of ``side`` only), in submission order."""
        k = self.index[symbol]
        working = 0.0
        for w in self.working:
            if w.inst == k and (side is None or w.side == int(side)):
                working += w.side * w.qty
        return working

    def open_order_count(self) -> int:
        """Working orders, all instruments."""
        return len(self.working)

    def symbols_held(self) -> list[str]:
        """Symbols with a non-zero position."""
        return [s for s, k in self.index.items() if self.positions[k] != 0.0]

    def mark(self, symbol: str) -> float | None:
        """The last price of ``symbol``."""
        price = float(self.last[self.index[symbol]])
        return price if price > 0 else None

    def cash(self) -> float:
        """Cash."""
        return self.balance

    def equity(self) -> float:
        """Cash plus positions at their last prices."""
        equity = self.balance
        for j in range(len(self.positions)):
            equity += self.positions[j] * self.last[j]
        return equity

    # --- orders --------------------------------------------------------------------------------
    def submit(self, intent: OrderIntent, submit_ts: int, ref_price: float,
               equity: float) -> tuple[Order, Rejection | None]:
        """Size, risk-check and enqueue ``intent``; returns the order and why it was refused, if it was."""
        cfg = self.config
        k = self.index[intent.symbol]
        instrument = cfg.instruments[k]
        qty = _nb.sized_qty_nb(
            math.nan if intent.qty is None else intent.qty, ref_price, equity, cfg.sizing_mode,
            cfg.sizing_value, instrument.lot_size, int(intent.side), self.positions[k],
        )
        refused = self.risk.check(SizedOrder(intent.symbol, intent.side, qty, ref_price), self)
        if refused is None and len(self.working) >= cfg.max_working:
            refused = Rejection(RejectCode.TOO_MANY_ORDERS, "max_working_orders",
                                f"{len(self.working)} orders working, the backtest's max_working_orders is "
                                f"{cfg.max_working}", float(len(self.working) + 1), float(cfg.max_working))
        order_id = self._next_id
        order = Order(  # pending, then at once accepted or rejected: made in its final status
            order_id=str(order_id), client_order_id=intent.client_order_id or f"bt-{order_id}",
            symbol=intent.symbol, side=intent.side, qty=qty, order_type=intent.order_type,
            status=OrderStatus.ACCEPTED if refused is None else OrderStatus.REJECTED, ts_created=submit_ts,
            limit_price=intent.limit_price, stop_price=intent.stop_price, tag=intent.tag,
        )
        if refused is not None:
            self._rejects.append((submit_ts, k, REJECT_INTS[refused.code], int(intent.side)))
            self.reject_texts.append(refused.message)
            return order, refused
        self._enqueue(order, k, submit_ts)
        return order, None

    def flatten(self, submit_ts: int) -> list[Order]:
        """Market orders closing every position, past the risk rules and the halt (the kill switch's)."""
        orders = []
        for k, position in enumerate(self.positions):
            if position != 0.0:
                order_id = self._next_id
                order = Order(
                    order_id=str(order_id), client_order_id=f"bt-{order_id}", symbol=self.config.symbols[k],
                    side=Side.SELL if position > 0.0 else Side.BUY, qty=abs(position), order_type=OrderType.MARKET,
                    status=OrderStatus.ACCEPTED, ts_created=submit_ts, reduce_only=True, tag="kill_switch",
                )
                self._enqueue(order, k, submit_ts)
                orders.append(order)
        return orders

    def _enqueue(self, order: Order, k: int, submit_ts: int) -> None:
        self._next_id += 1
        self.orders.append(order)
        eligible = submit_ts + self.config.latency_ns
        self.working.append(Working(order, int(order.order_id), k, eligible, self.config.instruments[k].tick_size))

    def cancel(self, client_order_id: str) -> Working | None:
        """Remove the working order with ``client_order_id``; None if it is not working."""
        for position, w in enumerate(self.working):
            if w.order.client_order_id == client_order_id:
                del self.working[position]
                return w
        return None

    def cancel_all(self, k: int | None) -> list[Working]:
        """Remove every working order (of instrument ``k``); returns them."""
        canceled = [w for w in self.working if k is None or w.inst == k]
        self.working = [w for w in self.working if not (k is None or w.inst == k)]
        return canceled

    # --- matching ------------------------------------------------------------------------------
    def match(self, k: int, ts: int, price_of: Any) -> None:
        """Fill eligible orders of ``k`` completely at ``price_of(order)`` (NaN: no fill); bars."""
        kept: list[Working] = []
        for w in self.working:
            px = price_of(w) if w.inst == k and w.eligible <= ts else math.nan
            if math.isnan(px):
                kept.append(w)
            else:
                self._fill(ts, w, w.qty, px, w.order_type is OrderType.LIMIT, True)
        self.working = kept

    def match_tick(self, k: int, ts: int, buy_px: float, buy_avail: float, sell_px: float,
                   sell_avail: float, *, shared: bool) -> None:
        """Fill eligible orders of ``k`` against a trade or quote, bounded by the available size."""
        cfg = self.config
        kept: list[Working] = []
        for w in self.working:
            done = False
            if w.inst == k and w.eligible <= ts:
                side, level = w.side, w.price
                ref = buy_px if side > 0 else sell_px
                px = math.nan
                if w.order_type is OrderType.STOP and not w.triggered:
                    w.triggered = (side > 0 and ref >= level) or (side < 0 and ref <= level)
                if w.order_type is OrderType.MARKET or (w.order_type is OrderType.STOP and w.triggered):
                    px = _nb.slipped_price_nb(ref, side, cfg.slippage_bps, cfg.slippage_ticks, w.tick)
                elif w.order_type is OrderType.LIMIT and ((side > 0 and ref <= level) or (side < 0 and ref >= level)):
                    px = level
                avail = buy_avail if side > 0 else sell_avail
                if not math.isnan(px) and avail > 0.0:
                    remaining = w.qty
                    qty = remaining if remaining <= avail else avail
                    if side > 0 or shared:
                        buy_avail -= qty
                    if side < 0 or shared:
                        sell_avail -= qty
                    done = qty == remaining
                    self._fill(ts, w, qty, px, w.order_type is OrderType.LIMIT, done)
                    if not done:
                        w.qty = remaining - qty
            if not done:
                kept.append(w)
        self.working = kept

    def _fill(self, ts: int, w: Working, qty: float, price: float, maker: bool, done: bool) -> None:
        cfg = self.config
        fee = _nb.fee_nb(qty, price, cfg.maker_bps if maker else cfg.taker_bps)
        if w.side > 0:
            self.balance -= qty * price + fee
        else:
            self.balance += qty * price - fee
        self.fees += fee
        self.positions[w.inst] += w.side * qty
        liquidity = LIQUIDITY_MAKER if maker else LIQUIDITY_TAKER
        self._fill_ints += (ts, w.order_id, w.inst, w.side, liquidity)
        self._fill_floats += (qty, price, fee)
        if not done:  # still working: ``open_orders`` shows what it has filled
            w.order = w.order.with_fill(qty, price)
        self.new_fills.append((w, qty, price, fee, maker, done))

    # --- logs ----------------------------------------------------------------------------------
    def fill_ints(self) -> np.ndarray:
        """The fill log's integer columns, as the kernels write them."""
        return np.array(self._fill_ints, dtype=np.int64).reshape(-1, F_INT_COLS)

    def fill_floats(self) -> np.ndarray:
        """The fill log's float columns, as the kernels write them."""
        return np.array(self._fill_floats, dtype=np.float64).reshape(-1, 3)

    def reject_ints(self) -> np.ndarray:
        """The rejection log, as the kernels write it."""
        return np.array(self._rejects, dtype=np.int64).reshape(-1, R_INT_COLS)

