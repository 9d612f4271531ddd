"""A strategy for the equivalence tests that decides on every kind of declared indicator.

Both forms: the compiled step and the Python hooks make the same decision from the same readings;
tests/backtest/reference/strategies.py::IndicatorZoo makes it from the definitions. Long only, on bars:
flat, buy at market when the EMA crosses above the SMA while the RSI is below 70, else rest a limit
buy half an ATR under the close when the close is more than a standard deviation below the close
``fast`` bars ago; long, sell everything when the RSI crosses below 45, the close falls below the
previous Donchian low or rises above the upper Bollinger band.
"""

from __future__ import annotations

from typing import ClassVar

import numba as nb
from pydantic import Field

from botkit.model.enums import Side
from botkit.model.events import Bar
from botkit.model.records import SLOT_POSITION
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.compiled import BUY, SELL, market, no_order, replace_limit, replace_market
from botkit.strategy.indicators import ATR, EMA, RSI, SMA, STD, Bollinger, Donchian, Lag, crossed_above, crossed_below


class ZooParams(StrategyParams):
    """Windows and the order size (None: the sizing rule)."""

    fast: int = Field(5, ge=1)
    slow: int = Field(12, ge=1)
    rsi_n: int = Field(6, ge=1)
    atr_n: int = Field(4, ge=1)
    size: float | None = Field(None, gt=0)


@nb.njit(cache=True)
def zoo_step(state, bar, params, ind):
    """The decision of the module docstring."""
    if not (ind.ema.ready and ind.trend.ready and ind.rsi.ready and ind.atr.ready and ind.sd.ready
            and ind.channel.lower.ready and ind.ago.ready and ind.bands.upper.ready):
        return no_order()
    position = state[SLOT_POSITION]
    close = bar.close
    if position == 0.0:
        if crossed_above(ind.ema, ind.trend) and ind.rsi.value < 70.0:
            return market(BUY, params.size)
        limit = close - 0.5 * ind.atr.value
        if close < ind.ago.value - ind.sd.value and limit > 0.0:
            return replace_limit(BUY, params.size, limit)
        return no_order()
    if position > 0.0 and (crossed_below(ind.rsi, 45.0) or close < ind.channel.lower.prev
                           or close > ind.bands.upper.value):
        return replace_market(SELL, position)
    return no_order()


class IndicatorZoo(Strategy[ZooParams]):
    """Every kind of indicator in one decision, compiled and in Python."""

    Params = ZooParams
    indicators: ClassVar = {
        "ema": EMA("close", "fast"), "trend": SMA("close", "slow"), "rsi": RSI("close", "rsi_n"), "atr": ATR("atr_n"),
        "sd": STD("close", "fast"), "channel": Donchian("slow"), "ago": Lag("close", "fast"),
        "bands": Bollinger("close", "slow", 1.0),
    }
    step = zoo_step

    def on_bar(self, bar: Bar) -> None:
        """The same decision through the context."""
        ind = self.indicators
        if not (ind.ema.ready and ind.trend.ready and ind.rsi.ready and ind.atr.ready and ind.sd.ready
                and ind.channel.lower.ready and ind.ago.ready and ind.bands.upper.ready):
            return
        ctx, symbol, size = self.ctx, bar.symbol, self.params.size
        position = ctx.position(symbol)
        if position == 0.0:
            limit = bar.close - 0.5 * ind.atr.value
            if crossed_above(ind.ema, ind.trend) and ind.rsi.value < 70.0:
                ctx.buy(size, symbol)
            elif bar.close < ind.ago.value - ind.sd.value and limit > 0.0:
                ctx.cancel_all(symbol)
                ctx.limit(Side.BUY, size, limit, symbol)
        elif position > 0.0 and (crossed_below(ind.rsi, 45.0) or bar.close < ind.channel.lower.prev
                                 or bar.close > ind.bands.upper.value):
            ctx.cancel_all(symbol)
            ctx.sell(position, symbol)
