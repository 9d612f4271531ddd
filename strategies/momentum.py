"""The simplest path: a plain Python strategy, no compiled step, reading one declared indicator.

Buys when the close is above the close ``lookback`` bars ago and sells the position when it is
below. ``Lag("close", "lookback")`` is that earlier close; botkit updates it before ``on_bar``, so
``self.indicators.then`` is ready once ``lookback`` earlier bars exist. Hooks act through
``self.ctx``; quantities left out are sized by the spec's ``sizing``. Written only as hooks, it runs
in every mode, at Python speed.
"""

from __future__ import annotations

from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.events import Bar
from botkit.strategy.indicators import Lag


class MomentumParams(StrategyParams):
    """How far back to compare."""

    lookback: int = Field(20, ge=1)


class Momentum(Strategy[MomentumParams]):
    """Long while price is above where it was ``lookback`` bars ago."""

    Params = MomentumParams
    indicators = {"then": Lag("close", "lookback")}

    def on_bar(self, bar: Bar) -> None:
        """Compare with the close ``lookback`` bars ago and trade."""
        then = self.indicators.then
        if not then.ready:
            return
        position = self.ctx.position(bar.symbol)
        if bar.close > then.value and position == 0:
            self.ctx.buy(symbol=bar.symbol)
        elif bar.close < then.value and position > 0:
            self.ctx.close(bar.symbol)
