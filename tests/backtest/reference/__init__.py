"""A deliberately simple, pure-Python reference backtester for the equivalence tests.

It implements docs/backtesting.md with plain loops and no numpy, so that it can be read and checked
by hand. It was written without looking at botkit's backtester: the point is to be independent.

Public API::

    from reference import (Bar, Trade, Quote, Config, run_backtest,
                           SmaCross, BollingerReversion, DonchianBreakout, Scripted)

    result = run_backtest({"AAA": [Bar(ts, o, h, l, c, v), ...]}, "bars", SmaCross(3, 7, 1.0),
                          Config(capital=10_000.0, bar_interval_ns=60 * 10**9, ...))
    result.fills          # list[Fill(ts, symbol, side, qty, price, fee, liquidity, order_id)]
    result.final_equity   # cash + sum(position * last price)
    result.trades         # closed round trips
    result.equity         # list[(ts, equity)], one per event
    result.rejections     # list[Rejection(ts, symbol, side, qty, reason)]
"""

from .engine import (
    Bar,
    Config,
    Context,
    Fill,
    Order,
    Quote,
    Rejection,
    Result,
    RoundTrip,
    Trade,
    config_from_spec,
    parse_interval,
    run_backtest,
)
from .strategies import BollingerReversion, DonchianBreakout, Momentum, Scripted, SmaCross, make_strategy

__all__ = [
    "Bar",
    "BollingerReversion",
    "Config",
    "Context",
    "DonchianBreakout",
    "Fill",
    "Momentum",
    "Order",
    "Quote",
    "Rejection",
    "Result",
    "RoundTrip",
    "Scripted",
    "SmaCross",
    "Trade",
    "config_from_spec",
    "make_strategy",
    "parse_interval",
    "run_backtest",
]
