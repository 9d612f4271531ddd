"""Donchian channel breakout, long only.

Per symbol, on bar closes, once ``max(entry, exit)`` bars exist: upper = highest high of the last
``entry`` bars (this one included). When flat, cancel working orders and place a stop buy of
``size`` at ``upper``. When long, sell the whole position at market if the close is below the
lowest low of the ``exit`` bars before this one.
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
from botkit.strategy.compiled import BUY, SELL, CompiledStep, market, no_order, replace_stop
from botkit.strategy.indicators import RollingWindow


class DonchianParams(StrategyParams):
    """Channel lengths for entries and exits, and the order size."""

    entry: int = Field(20, ge=1)
    exit: int = Field(10, ge=1)
    size: float | None = Field(1.0, gt=0)


class DonchianBreakout(Strategy[DonchianParams]):
    """Buys breakouts above the entry channel with a stop order; exits below the exit channel."""

    Params = DonchianParams

    def on_start(self) -> None:
        """Highs and lows per symbol; lows keep one extra bar (the exit channel excludes this bar)."""
        p = self.params
        self._highs = {s: RollingWindow(p.entry) for s in self.ctx.symbols}
        self._lows = {s: RollingWindow(p.exit + 1) for s in self.ctx.symbols}
        self._seen = dict.fromkeys(self.ctx.symbols, 0)

    def on_bar(self, bar: Bar) -> None:
        """Re-place the entry stop or take the exit."""
        p = self.params
        symbol = bar.symbol
        self._highs[symbol].update(bar.high)
        self._lows[symbol].update(bar.low)
        seen = self._seen[symbol] = self._seen[symbol] + 1
        if seen < max(p.entry, p.exit):
            return
        position = self.ctx.position(symbol)
        if position == 0:
            self.ctx.cancel_all(symbol)
            self.ctx.stop(Side.BUY, p.size, self._highs[symbol].max(), symbol)
        elif position > 0 and seen > p.exit:
            lows = self._lows[symbol].values()
            if bar.close < min(lows[-p.exit - 1 : -1]):
                self.ctx.sell(position, symbol)

    @classmethod
    def compiled_step(cls, params: DonchianParams) -> CompiledStep:
        """The same strategy as a numba step."""
        size = math.nan if params.size is None else params.size
        n = max(params.entry, params.exit + 1)
        return CompiledStep(
            step=donchian_step,
            params=np.array([params.entry, params.exit, size, n], dtype=np.float64),
            state_size=1 + 2 * n,
        )


@nb.njit(cache=True)
def donchian_step(state, bar, params):  # noqa: ANN001, ANN201 - numba signature
    """Compiled Donchian breakout; user slots: count, ring of highs, ring of lows."""
    entry = int(params[0])
    exit_ = int(params[1])
    n = int(params[3])
    u = FIRST_USER_SLOT
    highs = u + 1
    lows = highs + n
    seen = int(state[u]) + 1
    state[u] = seen
    slot = (seen - 1) % n
    state[highs + slot] = bar.high
    state[lows + slot] = bar.low
    if seen < max(entry, exit_):
        return no_order()
    position = state[SLOT_POSITION]
    if position == 0.0:
        upper = -np.inf
        for j in range(entry):
            upper = max(upper, state[highs + (seen - 1 - j) % n])
        return replace_stop(BUY, params[2], upper)
    if position > 0.0 and seen > exit_:
        lower = np.inf
        for j in range(1, exit_ + 1):
            lower = min(lower, state[lows + (seen - 1 - j) % n])
        if bar.close < lower:
            return market(SELL, position)
    return no_order()
