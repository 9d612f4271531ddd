"""botkit: algorithmic trading bots with one strategy class for backtests, paper and live trading.

The public API is what ``__all__`` lists; everything else is internal and may change. Each name is
imported on first use (PEP 562), so ``import botkit`` and ``botkit --help`` load neither numba nor
pandas (start-up time).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botkit import backtest, optimize
    from botkit.backtest.result import BacktestResult
    from botkit.backtest.spec import BacktestSpec
    from botkit.optimize.result import OptimizeResult
    from botkit.strategy.base import Strategy, StrategyParams
    from botkit.strategy.context import StrategyContext

__all__ = ["BacktestResult", "BacktestSpec", "OptimizeResult", "Strategy", "StrategyContext", "StrategyParams",
           "backtest", "optimize"]
__version__ = "0.1.0"

_HOMES = {
    "BacktestResult": "botkit.backtest.result",
    "BacktestSpec": "botkit.backtest.spec",
    "OptimizeResult": "botkit.optimize.result",
    "Strategy": "botkit.strategy.base",
    "StrategyContext": "botkit.strategy.context",
    "StrategyParams": "botkit.strategy.base",
}


def __getattr__(name: str) -> Any:
    """The public names, imported when first asked for."""
    if name in ("backtest", "optimize"):
        return importlib.import_module(f"botkit.{name}")
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'botkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
