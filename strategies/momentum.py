"""The simplest path: a plain Python strategy with no compiled step.

Buys when the close is above the close ``lookback`` bars ago and sells the position when it is
below. Hooks act through ``self.ctx``; quantities left out are sized by the spec's ``sizing``.
"""

from __future__ import annotations

from collections import deque

from pydantic import Field

from botkit import Strategy, StrategyParams
from botkit.model.events import Bar


class MomentumParams(StrategyParams):
    """How far back to compare."""

    lookback: int = Field(20, ge=1)


class Momentum(Strategy[MomentumParams]):
    """Long while price is above where it was ``lookback`` bars ago."""

    Params = MomentumParams

    def on_start(self) -> None:
        """Keep the last closes of each symbol."""
        self.closes = {s: deque(maxlen=self.params.lookback + 1) for s in self.ctx.symbols}

    def on_bar(self, bar: Bar) -> None:
        """Compare with the close ``lookback`` bars ago and trade."""
        closes = self.closes[bar.symbol]
        closes.append(bar.close)
        if len(closes) <= self.params.lookback:
            return
        position = self.ctx.position(bar.symbol)
        if bar.close > closes[0] and position == 0:
            self.ctx.buy(symbol=bar.symbol)
        elif bar.close < closes[0] and position > 0:
            self.ctx.close(bar.symbol)
