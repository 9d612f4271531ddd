"""Example strategies that ship with botkit; each has a backtest spec in ``backtests/``.

This folder installs as ``botkit.examples`` (see pyproject's package-dir), so a wheel never adds a top-level
package named ``strategies`` beside a user's own folder of that name.
"""
