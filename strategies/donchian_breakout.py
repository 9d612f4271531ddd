"""Donchian channel breakout, long only, written once as a compiled step.

Per symbol, once ``max(entry, exit)`` bars exist: when flat, cancel working orders and place a stop
buy of ``size`` at the highest high of the last ``entry`` bars (this one included). When long, sell
the whole position at market if the close is below the lowest low of the ``exit`` bars before this
one: the previous value of ``Lowest("low", "exit")``, which every reading carries.

There is no Python form: the compiled step runs in every mode (see ``bollinger_reversion``).
"""

from __future__ import annotations

import numba as nb
from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.records import SLOT_POSITION
from botkit.strategy.compiled import BUY, SELL, market, no_order, price_of, replace_stop
from botkit.strategy.indicators import Highest, Lowest


class DonchianParams(StrategyParams):
    """Channel lengths for entries and exits, and the order size."""

    entry: int = Field(20, ge=1)
    exit: int = Field(10, ge=1)
    size: float | None = Field(1.0, gt=0)


@nb.njit(cache=True)
def donchian_step(state, event, params, ind):  # noqa: ANN001, ANN201 - numba signature
    """Re-place the entry stop at the channel's top while flat; exit below the previous channel's bottom."""
    if not (ind.upper.ready and ind.lower.ready):
        return no_order()
    position = state[SLOT_POSITION]
    if position == 0.0:
        return replace_stop(BUY, params.size, ind.upper.value)
    if position > 0.0 and price_of(event) < ind.lower.prev:  # NaN (no earlier channel yet) is never below
        return market(SELL, position)
    return no_order()


class DonchianBreakout(Strategy[DonchianParams]):
    """Buys breakouts above the entry channel with a stop order; exits below the exit channel."""

    Params = DonchianParams
    indicators = {"upper": Highest("high", "entry"), "lower": Lowest("low", "exit")}
    step = donchian_step
