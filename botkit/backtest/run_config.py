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

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols in replay order; an event's instrument index points into this."""
        return tuple(i.symbol for i in self.instruments)

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
        )

    def tick_sizes(self) -> np.ndarray:
        """Tick size per instrument."""
        return np.array([i.tick_size for i in self.instruments], dtype=np.float64)

    def lot_sizes(self) -> np.ndarray:
        """Lot size per instrument."""
        return np.array([i.lot_size for i in self.instruments], dtype=np.float64)
