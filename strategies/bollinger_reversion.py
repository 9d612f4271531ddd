"""Bollinger-band mean reversion, long only.

Per symbol, on bar closes, once ``window`` closes exist: mid = mean of the last ``window`` closes,
sd = their population standard deviation, lower = mid − k·sd (sums run oldest first). When flat,
cancel working orders and rest a limit buy of ``size`` at ``lower`` (if positive); when long and
the close is above mid, sell the whole position at market.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.enums import Side
from botkit.model.events import Bar
from botkit.model.records import FIRST_USER_SLOT, SLOT_POSITION
from botkit.strategy.compiled import BUY, SELL, CompiledStep, cancel_all, market, no_order, replace_limit
from botkit.strategy.indicators import RollingWindow


class BollingerParams(StrategyParams):
    """Window of the bands, their width in standard deviations, and the order size."""

    window: int = Field(20, ge=2)
    k: float = Field(2.0, gt=0)
    size: float | None = Field(1.0, gt=0)


class BollingerReversion(Strategy[BollingerParams]):
    """Buys stretches below the lower band with a resting limit order; exits at the mean."""

    Params = BollingerParams

    def on_start(self) -> None:
        """One window of closes per symbol."""
        self._closes = {s: RollingWindow(self.params.window) for s in self.ctx.symbols}

    def on_bar(self, bar: Bar) -> None:
        """Re-quote the entry or take the exit."""
        window = self._closes[bar.symbol]
        window.update(bar.close)
        if not window.ready:
            return
        mid, sd = window.mean_std()
        position = self.ctx.position(bar.symbol)
        if position == 0:
            self.ctx.cancel_all(bar.symbol)
            lower = mid - self.params.k * sd
            if lower > 0:
                self.ctx.limit(Side.BUY, self.params.size, lower, bar.symbol)
        elif position > 0 and bar.close > mid:
            self.ctx.sell(position, bar.symbol)

    @classmethod
    def compiled_step(cls, params: BollingerParams) -> CompiledStep:
        """The same strategy as a numba step."""
        size = math.nan if params.size is None else params.size
        return CompiledStep(
            step=bollinger_step,
            params=np.array([params.window, params.k, size], dtype=np.float64),
            state_size=2 + params.window,
        )


@nb.njit(cache=True)
def bollinger_step(state, bar, params):  # noqa: ANN001, ANN201 - numba signature
    """Compiled Bollinger reversion; user slots: count, ring head, ring of closes."""
    window = int(params[0])
    u = FIRST_USER_SLOT
    ring = u + 2
    n = int(state[u])
    head = int(state[u + 1])
    state[ring + head] = bar.close
    state[u + 1] = head + 1 if head + 1 < window else 0
    state[u] = n + 1
    if n + 1 < window:
        return no_order()
    start = int(state[u + 1])
    total = 0.0
    for j in range(window):
        total += state[ring + (start + j) % window]
    mid = total / window
    squares = 0.0
    for j in range(window):
        d = state[ring + (start + j) % window] - mid
        squares += d * d
    sd = math.sqrt(squares / window)
    position = state[SLOT_POSITION]
    if position == 0.0:
        lower = mid - params[1] * sd
        if lower > 0.0:
            return replace_limit(BUY, params[2], lower)
        return cancel_all()
    if position > 0.0 and bar.close > mid:
        return market(SELL, position)
    return no_order()
