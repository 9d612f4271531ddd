"""The compiled-step protocol: a numba function that the backtester and live engine both call.

A compiled step is ``step(state, event, params) -> (action, side, qty, price)``:
``state`` is a float64 row the step owns from ``FIRST_USER_SLOT`` on (the engine writes position,
cash, equity, rejection count and working-order count into the first slots before each call),
``event`` is a ``BarRecord``/``TradeRecord``/``QuoteRecord``, ``params`` a float64 array. Each
instrument gets its own state row, so a step is written for one instrument.
A strategy that declares its indicators writes ``step(state, event, params, ind)`` instead, with
named params and readings (``botkit.strategy.declared`` wraps it in this protocol); either way the
helpers below build the returned tuple; use them inside ``@numba.njit`` code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
from numba.extending import overload

from botkit.model.records import (
    ACTION_CANCEL_ALL,
    ACTION_LIMIT,
    ACTION_MARKET,
    ACTION_NONE,
    ACTION_REPLACE_LIMIT,
    ACTION_REPLACE_MARKET,
    ACTION_REPLACE_STOP,
    ACTION_STOP,
    FIRST_USER_SLOT,
    BarRecord,
    QuoteRecord,
    TradeRecord,
)
from botkit.strategy import indicators
from botkit.strategy.indicator_layout import IndicatorLayout

BUY = 1
SELL = -1

# The indicators' cross tests, callable from compiled steps (one source for both forms).
above = indicators.above
crossed_above = indicators.crossed_above
crossed_below = indicators.crossed_below


@dataclass(frozen=True)
class CompiledStep:
    """A strategy's compiled form for one parameter set.

    ``step`` is a numba dispatcher; ``params`` its float64 parameters; ``state_size`` the number
    of user slots it needs; ``initial_state`` optional values for those slots. ``indicators``: where
    a declared strategy's indicators live in those slots and params (None for a hand-written step).
    """

    step: Any
    params: np.ndarray
    state_size: int
    initial_state: np.ndarray | None = None
    indicators: IndicatorLayout | None = None

    def __post_init__(self) -> None:
        if not hasattr(self.step, "py_func"):
            raise TypeError(f"CompiledStep.step must be a @numba.njit function, got {self.step!r}")
        if self.state_size < 0:
            raise ValueError(f"CompiledStep.state_size must be >= 0, got {self.state_size}")

    def new_state(self, n_instruments: int) -> np.ndarray:
        """A fresh state array: one row per instrument, engine slots first, then user slots."""
        state = np.zeros((n_instruments, FIRST_USER_SLOT + self.state_size), dtype=np.float64)
        if self.initial_state is not None:
            state[:, FIRST_USER_SLOT:] = self.initial_state
        return state


@nb.njit(cache=True)
def no_order() -> tuple[int, int, float, float]:
    """Do nothing on this event."""
    return ACTION_NONE, 0, 0.0, 0.0


@nb.njit(cache=True)
def market(side: int, qty: float) -> tuple[int, int, float, float]:
    """A market order; ``qty`` NaN means "size it for me"."""
    return ACTION_MARKET, side, qty, 0.0


@nb.njit(cache=True)
def limit(side: int, qty: float, price: float) -> tuple[int, int, float, float]:
    """A limit order at ``price``."""
    return ACTION_LIMIT, side, qty, price


@nb.njit(cache=True)
def stop(side: int, qty: float, price: float) -> tuple[int, int, float, float]:
    """A stop order triggered at ``price``."""
    return ACTION_STOP, side, qty, price


@nb.njit(cache=True)
def cancel_all() -> tuple[int, int, float, float]:
    """Cancel every working order of the event's instrument."""
    return ACTION_CANCEL_ALL, 0, 0.0, 0.0


@nb.njit(cache=True)
def replace_limit(side: int, qty: float, price: float) -> tuple[int, int, float, float]:
    """Cancel the instrument's working orders, then place a limit order."""
    return ACTION_REPLACE_LIMIT, side, qty, price


@nb.njit(cache=True)
def replace_market(side: int, qty: float) -> tuple[int, int, float, float]:
    """Cancel the instrument's working orders, then place a market order."""
    return ACTION_REPLACE_MARKET, side, qty, 0.0


@nb.njit(cache=True)
def replace_stop(side: int, qty: float, price: float) -> tuple[int, int, float, float]:
    """Cancel the instrument's working orders, then place a stop order."""
    return ACTION_REPLACE_STOP, side, qty, price


def price_of(event):  # noqa: ANN001, ANN201 - numba overload needs identical signatures
    """The event's price in compiled code: a bar's close, a trade's price, a quote's mid.

    Lets one compiled step run on bars, trades and quotes.
    """
    if isinstance(event, BarRecord):
        return event.close
    if isinstance(event, TradeRecord):
        return event.price
    return (event.bid + event.ask) / 2.0


@overload(price_of)
def _price_of_overload(event):  # noqa: ANN001, ANN202 - numba matches the signature of price_of
    kind = getattr(event, "instance_class", None)
    if kind is BarRecord:
        return lambda event: event.close
    if kind is TradeRecord:
        return lambda event: event.price
    if kind is QuoteRecord:
        return lambda event: (event.bid + event.ask) / 2.0
    return None
