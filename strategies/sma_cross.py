"""SMA crossover: long when the fast moving average crosses above the slow one, flat when it crosses below.

Works on bar closes, trade prices or quote mids (the ``price`` input).

Signals (per symbol): once both averages exist for this event and the previous one, a cross above
(fast was not above slow and now is) buys ``size`` when flat, and a cross below cancels working
orders (the rest of a partly filled entry) and sells the whole position when long. The averages
are botkit's declared SMAs (exact: the correctly rounded mean of the window); "above" means by
more than a relative 1e-12 (``CROSS_TOLERANCE``), so equal averages never cross on rounding.

Both forms are here because they teach one thing: the Python hooks and the compiled step read the
same declared indicators and decide exactly alike. Either alone would run everywhere.
"""

from __future__ import annotations

import numba as nb
from pydantic import Field, model_validator

from botkit import Strategy, StrategyParams
from botkit.model.events import Bar, Quote, Trade
from botkit.model.records import SLOT_POSITION
from botkit.strategy.compiled import BUY, SELL, crossed_above, crossed_below, market, no_order, replace_market
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


@nb.njit(cache=True)
def sma_cross_step(state, event, params, ind):  # noqa: ANN001, ANN201 - numba signature
    """The compiled form: the decision alone, on the readings botkit updated for this event."""
    position = state[SLOT_POSITION]
    if position == 0.0 and crossed_above(ind.fast, ind.slow):
        return market(BUY, params.size)
    if position > 0.0 and crossed_below(ind.fast, ind.slow):
        return replace_market(SELL, position)
    return no_order()


class SmaCross(Strategy[SmaCrossParams]):
    """Long-only SMA crossover: Python hooks and a compiled step on the same declared averages."""

    Params = SmaCrossParams
    indicators = {"fast": SMA("price", "fast"), "slow": SMA("price", "slow")}
    step = sma_cross_step

    def on_bar(self, event: Bar | Trade | Quote) -> None:
        """Trade on a cross of the averages botkit has just updated with this event."""
        fast, slow = self.indicators.fast, self.indicators.slow
        position = self.ctx.position()  # the context's symbol is the event's
        if position == 0 and crossed_above(fast, slow):
            self.ctx.buy(self.params.size)
        elif position > 0 and crossed_below(fast, slow):
            self.ctx.cancel_all()  # an entry's unfilled rest or an earlier exit: one exit for all of it
            self.ctx.sell(position)

    on_trade = on_bar  # the same rule on trade prices (tick data)
    on_quote = on_bar  # and on quote mids
