"""SMA crossover: long when the fast moving average crosses above the slow one, flat when it crosses below.

Works on bar closes, trade prices or quote mids.

Signals (per symbol, on bar closes): once both averages exist for this bar and the previous one,
a cross above (fast was not above slow and now is) buys ``size`` when flat, and a cross below
(fast was not below slow and now is) cancels working orders (the rest of a partly filled entry)
and sells the whole position when long. "Above" means by more
than a relative 1e-9 (``indicators.above``), so rounding noise between equal averages (flat
prices) never makes a signal.
Averages are running sums (add the new close, then drop the oldest), the same in both forms.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from pydantic import Field, model_validator

from botkit import Strategy, StrategyParams
from botkit.model.events import Bar, Quote, Trade
from botkit.model.records import FIRST_USER_SLOT, SLOT_POSITION
from botkit.strategy import indicators
from botkit.strategy.compiled import (
    BUY,
    SELL,
    CompiledStep,
    crossed_above,
    crossed_below,
    market,
    no_order,
    price_of,
    replace_market,
)
from botkit.strategy.indicators import SMA


class SmaCrossParams(StrategyParams):
    """Windows of the two averages and the order size (None: the spec's sizing rule)."""

    fast: int = Field(10, ge=1)
    slow: int = Field(50, ge=2)
    size: float | None = Field(1.0, gt=0)

    @model_validator(mode="after")
    def _fast_below_slow(self) -> SmaCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast must be < slow, got fast={self.fast}, slow={self.slow}")
        return self


class SmaCross(Strategy[SmaCrossParams]):
    """Long-only SMA crossover; runs at Python speed and, through ``compiled_step``, compiled."""

    Params = SmaCrossParams

    def on_start(self) -> None:
        """Create the averages of each symbol: [fast SMA, slow SMA, previous fast, previous slow, bars seen]."""
        p = self.params
        self._state = {s: [SMA(p.fast), SMA(p.slow), math.nan, math.nan, 0] for s in self.ctx.symbols}

    def on_bar(self, bar: Bar) -> None:
        """Update the averages with the close and trade on a cross."""
        self._on_price(bar.symbol, bar.close)

    def on_trade(self, trade: Trade) -> None:
        """The same rule on trade prices (tick data)."""
        self._on_price(trade.symbol, trade.price)

    def on_quote(self, quote: Quote) -> None:
        """The same rule on quote mids."""
        self._on_price(quote.symbol, quote.mid)

    def _on_price(self, symbol: str, price: float) -> None:
        state = self._state[symbol]
        fast = state[0].update(price)
        slow = state[1].update(price)
        prev_fast, prev_slow, seen = state[2], state[3], state[4]
        state[2], state[3], state[4] = fast, slow, seen + 1
        if seen < self.params.slow:
            return
        position = self.ctx.position(symbol)
        if position == 0 and indicators.crossed_above(prev_fast, prev_slow, fast, slow):
            self.ctx.buy(self.params.size, symbol)
        elif position > 0 and indicators.crossed_below(prev_fast, prev_slow, fast, slow):
            self.ctx.cancel_all(symbol)  # an entry's unfilled rest or an earlier exit: one exit, for the whole position
            self.ctx.sell(position, symbol)

    @classmethod
    def compiled_step(cls, params: SmaCrossParams) -> CompiledStep:
        """The same strategy as a numba step."""
        size = math.nan if params.size is None else params.size
        return CompiledStep(
            step=sma_cross_step,
            params=np.array([params.fast, params.slow, size], dtype=np.float64),
            state_size=6 + params.slow,
        )


@nb.njit(cache=True)
def sma_cross_step(state, bar, params):  # noqa: ANN001, ANN201 - numba signature
    """Compiled SMA crossover; user slots: count, two running sums, previous averages, ring head, ring."""
    fast = params[0]
    slow = params[1]
    u = FIRST_USER_SLOT
    n = state[u]
    head = int(state[u + 5])
    ring = u + 6
    n_slow = int(slow)
    close = price_of(bar)
    fast_sum = state[u + 1] + close
    if n >= fast:
        oldest_fast = head + n_slow - int(fast)
        if oldest_fast >= n_slow:
            oldest_fast -= n_slow
        fast_sum -= state[ring + oldest_fast]
    slow_sum = state[u + 2] + close
    if n >= slow:
        slow_sum -= state[ring + head]
    state[ring + head] = close
    state[u + 5] = head + 1 if head + 1 < n_slow else 0
    state[u] = n + 1.0
    state[u + 1] = fast_sum
    state[u + 2] = slow_sum
    f = fast_sum / fast
    s = slow_sum / slow
    prev_f = state[u + 3]
    prev_s = state[u + 4]
    state[u + 3] = f
    state[u + 4] = s
    if n < slow:
        return no_order()
    position = state[SLOT_POSITION]
    if position == 0.0 and crossed_above(prev_f, prev_s, f, s):
        return market(BUY, params[2])
    if position > 0.0 and crossed_below(prev_f, prev_s, f, s):
        return replace_market(SELL, position)
    return no_order()
