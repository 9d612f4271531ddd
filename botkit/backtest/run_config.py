"""The resolved settings of one backtest run, shared by the compiled and the Python path."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from botkit.backtest._enums import (
    SIZING_FIXED_NOTIONAL,
    SIZING_FIXED_QUANTITY,
    SIZING_FRACTION_OF_EQUITY,
    KernelConfig,
)
from botkit.model.instruments import Instrument
from botkit.risk.killswitch import KillSwitch, KillSwitchMemory

NO_ORDER_LIMIT = np.iinfo(np.int64).max
"""``max_open_orders`` as the kernels read it when there is no limit."""

SIZING_MODES = {
    "fixed_quantity": SIZING_FIXED_QUANTITY,
    "fixed_notional": SIZING_FIXED_NOTIONAL,
    "fraction_of_equity": SIZING_FRACTION_OF_EQUITY,
}


@dataclass(frozen=True)
class RunConfig:
    """Everything the replay loops need besides data and strategy; limits use inf for "none"."""

    kind: str
    instruments: tuple[Instrument, ...]
    capital: float
    bar_interval_ns: int = 0
    latency_ns: int = 0
    equity_resolution_ns: int = 0
    maker_bps: float = 0.0
    taker_bps: float = 0.0
    slippage_bps: float = 0.0
    slippage_ticks: float = 0.0
    sizing: str = "fixed_quantity"
    sizing_value: float = 1.0
    max_order_qty: float = math.inf
    max_order_notional: float = math.inf
    max_position: float = math.inf
    allow_short: bool = True
    max_working: int = 1024
    max_gross_exposure: float = math.inf
    max_net_exposure: float = math.inf
    max_open_orders: int | None = None
    reduce_only: bool = False
    max_daily_loss: float = math.inf
    max_drawdown_pct: float = math.inf
    flatten_on_kill: bool = False

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols in replay order; an event's instrument index points into this."""
        return tuple(i.symbol for i in self.instruments)

    @property
    def kill_switch_enabled(self) -> bool:
        """Whether ``max_daily_loss`` or ``max_drawdown_pct`` is set."""
        return self.max_daily_loss < math.inf or self.max_drawdown_pct < math.inf

    def kill_switch(self, memory: KillSwitchMemory | None = None) -> KillSwitch:
        """The run's kill switch (both paths judge equity with the same limits)."""
        return KillSwitch(_none_if_inf(self.max_daily_loss), _none_if_inf(self.max_drawdown_pct), memory)

    @property
    def sizing_mode(self) -> int:
        """The kernels' integer code of the sizing rule."""
        return SIZING_MODES[self.sizing]

    def kernel_config(self) -> KernelConfig:
        """The settings as the record the kernels read."""
        return KernelConfig(
            latency_ns=self.latency_ns,
            bar_interval_ns=self.bar_interval_ns,
            equity_resolution_ns=self.equity_resolution_ns,
            maker_bps=self.maker_bps,
            taker_bps=self.taker_bps,
            slippage_bps=self.slippage_bps,
            slippage_ticks=self.slippage_ticks,
            sizing_mode=self.sizing_mode,
            sizing_value=self.sizing_value,
            max_order_qty=self.max_order_qty,
            max_order_notional=self.max_order_notional,
            max_position=self.max_position,
            allow_short=self.allow_short,
            max_working=self.max_working,
            max_gross_exposure=self.max_gross_exposure,
            max_net_exposure=self.max_net_exposure,
            max_open_orders=NO_ORDER_LIMIT if self.max_open_orders is None else self.max_open_orders,
            reduce_only=self.reduce_only,
            kill_switch=self.kill_switch_enabled,
            max_daily_loss=self.max_daily_loss,
            max_drawdown_pct=self.max_drawdown_pct,
            flatten_on_kill=self.flatten_on_kill,
        )

    def tick_sizes(self) -> np.ndarray:
        """Tick size per instrument."""
        return np.array([i.tick_size for i in self.instruments], dtype=np.float64)

    def lot_sizes(self) -> np.ndarray:
        """Lot size per instrument."""
        return np.array([i.lot_size for i in self.instruments], dtype=np.float64)


def _none_if_inf(value: float) -> float | None:
    return None if value == math.inf else value
