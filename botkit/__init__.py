"""botkit: algorithmic trading bots with one strategy class for backtests, paper and live trading."""
