"""botkit: algorithmic trading bots with one strategy class for backtests, paper and live trading.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from botkit import backtest
from botkit.backtest.result import BacktestResult
from botkit.backtest.spec import BacktestSpec
from botkit.strategy.base import Strategy, StrategyParams
from botkit.strategy.context import StrategyContext

__all__ = ["BacktestResult", "BacktestSpec", "Strategy", "StrategyContext", "StrategyParams", "backtest"]
__version__ = "0.1.0"
