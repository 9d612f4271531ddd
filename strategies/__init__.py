"""Example strategies that ship with botkit; each has a backtest spec in ``backtests/``."""
