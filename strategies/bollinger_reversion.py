"""Bollinger-band mean reversion, long only, written once as a compiled step.

Per symbol, once ``window`` prices exist: mid = their mean (exact), sd = their population standard
deviation, lower = mid − k·sd (botkit's declared ``Bollinger`` bands). When flat, cancel working
orders and rest a limit buy of ``size`` at ``lower`` (if positive); when long and the price is
above mid, sell the whole position at market. Prices are bar closes, trade prices or quote mids.

There is no Python form: the compiled step runs in the backtester's kernel, in its Python path and
live through botkit's step adapter, with the bands updated by botkit for each event.
"""

from __future__ import annotations

import numba as nb
from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.records import SLOT_POSITION
from botkit.strategy.compiled import BUY, SELL, cancel_all, market, no_order, price_of, replace_limit
from botkit.strategy.indicators import Bollinger


class BollingerParams(StrategyParams):
    """Window of the bands, their width in standard deviations, and the order size."""

    window: int = Field(20, ge=2)
    k: float = Field(2.0, gt=0)
    size: float | None = Field(1.0, gt=0)


@nb.njit(cache=True)
def bollinger_step(state, event, params, ind):  # noqa: ANN001, ANN201 - numba signature
    """Re-quote the entry at the lower band while flat; exit above the middle band."""
    bands = ind.bands
    if not bands.mid.ready:
        return no_order()
    position = state[SLOT_POSITION]
    if position == 0.0:
        if bands.lower.value > 0.0:
            return replace_limit(BUY, params.size, bands.lower.value)
        return cancel_all()
    if position > 0.0 and price_of(event) > bands.mid.value:
        return market(SELL, position)
    return no_order()


class BollingerReversion(Strategy[BollingerParams]):
    """Buys stretches below the lower band with a resting limit order; exits at the mean."""

    Params = BollingerParams
    indicators = {"bands": Bollinger("price", "window", k="k")}
    step = bollinger_step
