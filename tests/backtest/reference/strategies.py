"""Reference strategies: the exact semantics of strategies/ written as plain loops.

All of them work per symbol on bars. ``size`` None means "no quantity": the spec's sizing rule
sizes the order. Averages are exact: the correctly rounded sum of the window (``math.fsum``)
divided by n, as botkit's declared indicators promise; the standard deviation is a plain loop over
the window, oldest first, around that mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import indicators as ind
from .engine import Bar, Context, Rejection

CROSS_TOLERANCE = 1e-12  # docs/strategies-fast.md: "above" is above by more than one part in 1e12


def _above(a: float, b: float) -> bool:
    return a - b > CROSS_TOLERANCE * max(abs(a), abs(b))


def mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def pstdev(xs: list[float]) -> float:
    """Population standard deviation (ddof=0)."""
    m = mean(xs)
    total = 0.0
    for x in xs:
        total += (x - m) * (x - m)
    return math.sqrt(total / len(xs))


class _History:
    def __init__(self) -> None:
        self.opens: dict[str, list[float]] = {}
        self.highs: dict[str, list[float]] = {}
        self.lows: dict[str, list[float]] = {}
        self.closes: dict[str, list[float]] = {}
        self.rejections: list[Rejection] = []

    def _append(self, symbol: str, bar: Bar) -> int:
        """Record the bar; return its index i for the symbol."""
        self.opens.setdefault(symbol, []).append(bar.open)
        self.highs.setdefault(symbol, []).append(bar.high)
        self.lows.setdefault(symbol, []).append(bar.low)
        self.closes.setdefault(symbol, []).append(bar.close)
        return len(self.closes[symbol]) - 1

    def on_order_rejected(self, ctx: Context, rejection: Rejection) -> None:
        self.rejections.append(rejection)


class SmaCross(_History):
    """Long when the fast SMA crosses above the slow one, flat when it crosses below."""

    def __init__(self, fast: int, slow: int, size: float | None = None) -> None:
        super().__init__()
        if not 0 < fast < slow:
            raise ValueError("need 0 < fast < slow")
        self.fast, self.slow, self.size = fast, slow, size

    def on_bar(self, ctx: Context, symbol: str, bar: Bar) -> None:
        i = self._append(symbol, bar)
        if i < self.slow:  # the previous bar's SMAs need bars i-slow .. i-1
            return
        c = self.closes[symbol]
        fast = mean(c[i - self.fast + 1 : i + 1])
        slow = mean(c[i - self.slow + 1 : i + 1])
        prev_fast = mean(c[i - self.fast : i])
        prev_slow = mean(c[i - self.slow : i])
        position = ctx.position(symbol)
        # "above" means above by more than a relative 1e-12: equal averages never cross on rounding noise
        if not _above(prev_fast, prev_slow) and _above(fast, slow):
            if position == 0:
                ctx.buy(symbol, self.size)
        elif not _above(prev_slow, prev_fast) and _above(slow, fast) and position > 0:
            ctx.cancel_all(symbol)
            ctx.sell(symbol, position)


class BollingerReversion(_History):
    """Rest a limit buy at the lower band while flat; sell at market above the middle band."""

    def __init__(self, window: int, k: float, size: float | None = None) -> None:
        super().__init__()
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window, self.k, self.size = window, k, size

    def on_bar(self, ctx: Context, symbol: str, bar: Bar) -> None:
        i = self._append(symbol, bar)
        if i < self.window - 1:
            return
        w = self.closes[symbol][i - self.window + 1 : i + 1]
        mid = mean(w)
        sd = pstdev(w)
        lower = mid - self.k * sd
        position = ctx.position(symbol)
        if position == 0:
            ctx.cancel_all(symbol)
            if lower > 0:
                ctx.buy(symbol, self.size, limit=lower)
        elif position > 0 and bar.close > mid:
            ctx.sell(symbol, position)


class DonchianBreakout(_History):
    """Rest a stop buy at the highest high while flat; sell at market below the prior lowest low."""

    def __init__(self, entry: int, exit: int, size: float | None = None) -> None:
        super().__init__()
        if entry < 1 or exit < 1:
            raise ValueError("entry and exit must be >= 1")
        self.entry, self.exit, self.size = entry, exit, size

    def on_bar(self, ctx: Context, symbol: str, bar: Bar) -> None:
        i = self._append(symbol, bar)
        if i < max(self.entry, self.exit) - 1:
            return
        upper = max(self.highs[symbol][i - self.entry + 1 : i + 1])
        position = ctx.position(symbol)
        if position == 0:
            ctx.cancel_all(symbol)
            ctx.buy(symbol, self.size, stop=upper)
        elif position > 0 and i >= self.exit:
            lower = min(self.lows[symbol][i - self.exit : i])  # the previous `exit` bars
            if bar.close < lower:
                ctx.sell(symbol, position)


class Momentum(_History):
    """Long while the close is above the close ``lookback`` bars ago; flat when it is below."""

    def __init__(self, lookback: int) -> None:
        super().__init__()
        if lookback < 1:
            raise ValueError("lookback must be >= 1")
        self.lookback = lookback

    def on_bar(self, ctx: Context, symbol: str, bar: Bar) -> None:
        i = self._append(symbol, bar)
        if i < self.lookback:
            return
        then = self.closes[symbol][i - self.lookback]
        position = ctx.position(symbol)
        if bar.close > then and position == 0:
            ctx.buy(symbol, None)
        elif bar.close < then and position > 0:
            ctx.sell(symbol, position)


def _crossed_above(prev_a: float, prev_b: float, a: float, b: float) -> bool:
    """a is above b now and was not before; a missing (NaN) earlier value is no cross."""
    return _above(a, b) and prev_a - prev_b <= CROSS_TOLERANCE * max(abs(prev_a), abs(prev_b))


class IndicatorZoo(_History):
    """tests/backtest/indicator_zoo.py's decision, from the definitions of reference/indicators.py."""

    def __init__(self, fast: int = 5, slow: int = 12, rsi_n: int = 6, atr_n: int = 4, size: float | None = None):
        super().__init__()
        self.fast, self.slow, self.rsi_n, self.atr_n, self.size = fast, slow, rsi_n, atr_n, size

    def on_bar(self, ctx: Context, symbol: str, bar: Bar) -> None:
        self._append(symbol, bar)
        c, h, lo = self.closes[symbol], self.highs[symbol], self.lows[symbol]
        now = self._values(c, h, lo)
        if any(math.isnan(v) for v in now):
            return
        ema, trend, rsi, atr, sd, _, ago, upper = now
        prev = self._values(c[:-1], h[:-1], lo[:-1])
        low_before = prev[5]  # the Donchian low of the bars before this one (NaN before there are enough)
        position = ctx.position(symbol)
        if position == 0:
            limit = bar.close - 0.5 * atr
            if _crossed_above(prev[0], prev[1], ema, trend) and rsi < 70.0:
                ctx.buy(symbol, self.size)
            elif bar.close < ago - sd and limit > 0.0:
                ctx.cancel_all(symbol)
                ctx.buy(symbol, self.size, limit=limit)
        elif position > 0 and (_crossed_above(45.0, prev[2], 45.0, rsi) or bar.close < low_before
                               or bar.close > upper):
            ctx.cancel_all(symbol)
            ctx.sell(symbol, position)

    def _values(self, c: list[float], h: list[float], lo: list[float]) -> list[float]:
        """(ema, trend, rsi, atr, sd, Donchian low, close ``fast`` ago, upper band) after ``c[-1]``."""
        if not c:
            return [math.nan] * 8
        return [ind.ema(c, self.fast), ind.sma(c, self.slow), ind.rsi(c, self.rsi_n), ind.atr(h, lo, c, self.atr_n),
                ind.std(c, self.fast), ind.lowest(lo, self.slow), ind.lag(c, self.fast),
                ind.bollinger(c, self.slow, 1.0)[1]]


Action = Callable[[Context], Any]


class Scripted:
    """A strategy for hand-written tests: runs ``script[(symbol, i)](ctx)`` on the i-th event of
    ``symbol`` (0-based, per symbol). ``seen`` records (symbol, i, ctx.now(), equity) per event."""

    def __init__(self, script: dict[tuple[str, int], Action | list[Action]]) -> None:
        self.script = script
        self.counts: dict[str, int] = {}
        self.seen: list[tuple[str, int, int, float]] = []
        self.rejections: list[Rejection] = []

    def _on_event(self, ctx: Context, symbol: str, ev: Any) -> None:
        i = self.counts.get(symbol, 0)
        self.counts[symbol] = i + 1
        self.seen.append((symbol, i, ctx.now(), ctx.equity()))
        actions = self.script.get((symbol, i), [])
        if callable(actions):
            actions = [actions]
        for action in actions:
            action(ctx)

    on_bar = on_trade = on_quote = _on_event

    def on_order_rejected(self, ctx: Context, rejection: Rejection) -> None:
        self.rejections.append(rejection)


STRATEGIES = {
    "sma_cross": SmaCross,
    "bollinger_reversion": BollingerReversion,
    "donchian_breakout": DonchianBreakout,
    "momentum": Momentum,
    "zoo": IndicatorZoo,
}


def make_strategy(name: str, params: dict[str, Any]) -> Any:
    """The reference strategy for a botkit entry-point name and its params."""
    return STRATEGIES[name](**params)
