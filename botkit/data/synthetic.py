"""Seeded synthetic market data: bars, trades and quotes for demos, tests and benchmarks.

Prices follow a geometric random walk whose volatility clusters: the log of the volatility is an
exponentially weighted average of noise, so calm and wild stretches alternate. Everything is
vectorised (a million bars take well under a second) and the same seed gives the same data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from botkit.core.clock import NS_PER_DAY, NS_PER_MINUTE, NS_PER_SECOND, to_ns
from botkit.core.errors import ConfigError
from botkit.data.kinds import base_kind, kind_interval_ns
from botkit.data.staged import final_paths, staged_kinds
from botkit.data.writer import write_records
from botkit.model.records import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE

DEFAULT_START_NS = to_ns("2024-01-01T00:00:00Z")
"""Where synthetic data starts unless told otherwise."""

_NS_PER_YEAR = 365 * NS_PER_DAY
_VOL_OF_VOL = 0.5
_VOL_HALFLIFE = 240.0  # events


def synthetic_bars(
    n: int,
    *,
    start_ns: int = DEFAULT_START_NS,
    interval_ns: int = NS_PER_MINUTE,
    seed: int = 0,
    start_price: float = 100.0,
    annual_volatility: float = 0.6,
) -> np.ndarray:
    """``n`` consistent OHLCV bars (BAR_DTYPE) ``interval_ns`` apart, opening at the last close.

    ``high >= max(open, close)``, ``low <= min(open, close)``, prices > 0 and volume > 0.
    """
    _check(n, interval_ns, start_price, annual_volatility)
    rng = np.random.default_rng(seed)
    multiplier = _vol_multiplier(rng, n)
    sigma = _sigma(annual_volatility, interval_ns) * multiplier
    returns = sigma * rng.standard_normal(n) - 0.5 * sigma * sigma
    close = start_price * np.exp(np.cumsum(returns))
    open_ = np.empty(n)
    open_[0] = start_price
    open_[1:] = close[:-1]
    wicks = np.abs(rng.standard_normal((2, n))) * (0.5 * sigma)
    bars = np.empty(n, dtype=BAR_DTYPE)
    bars["ts"] = start_ns + np.arange(n, dtype=np.int64) * interval_ns
    bars["open"] = open_
    bars["close"] = close
    bars["high"] = np.maximum(open_, close) * np.exp(wicks[0])
    bars["low"] = np.minimum(open_, close) * np.exp(-wicks[1])
    bars["volume"] = 10.0 * multiplier**1.5 * rng.lognormal(0.0, 0.5, n)
    return bars


def synthetic_trades(
    n: int,
    *,
    start_ns: int = DEFAULT_START_NS,
    interval_ns: int = NS_PER_SECOND,
    seed: int = 0,
    start_price: float = 100.0,
    annual_volatility: float = 0.6,
) -> np.ndarray:
    """``n`` trades (TRADE_DTYPE) about ``interval_ns`` apart (exponential gaps, ts non-decreasing).

    The aggressor side follows the tick rule: +1 when the price ticked up, -1 when it ticked down.
    """
    _check(n, interval_ns, start_price, annual_volatility)
    rng = np.random.default_rng(seed)
    ts = _arrival_times(rng, n, start_ns, interval_ns)
    sigma = _sigma(annual_volatility, interval_ns) * _vol_multiplier(rng, n)
    returns = sigma * rng.standard_normal(n)
    trades = np.empty(n, dtype=TRADE_DTYPE)
    trades["ts"] = ts
    trades["price"] = start_price * np.exp(np.cumsum(returns))
    trades["size"] = rng.lognormal(-3.0, 1.0, n)
    trades["side"] = np.where(returns >= 0, 1, -1).astype(np.int8)
    return trades


def synthetic_quotes(
    n: int,
    *,
    start_ns: int = DEFAULT_START_NS,
    interval_ns: int = NS_PER_SECOND,
    seed: int = 0,
    start_price: float = 100.0,
    annual_volatility: float = 0.6,
    spread_bps: float = 2.0,
) -> np.ndarray:
    """``n`` top-of-book quotes (QUOTE_DTYPE) about ``interval_ns`` apart, always ``bid < ask``."""
    _check(n, interval_ns, start_price, annual_volatility)
    if not spread_bps > 0:
        raise ConfigError(f"spread_bps must be > 0, got {spread_bps!r}")
    rng = np.random.default_rng(seed)
    ts = _arrival_times(rng, n, start_ns, interval_ns)
    sigma = _sigma(annual_volatility, interval_ns) * _vol_multiplier(rng, n)
    mid = start_price * np.exp(np.cumsum(sigma * rng.standard_normal(n)))
    half_spread = mid * (spread_bps / 2e4) * (1.0 + rng.exponential(0.5, n))
    quotes = np.empty(n, dtype=QUOTE_DTYPE)
    quotes["ts"] = ts
    quotes["bid"] = mid - half_spread
    quotes["ask"] = mid + half_spread
    quotes["bid_size"] = rng.lognormal(0.0, 1.0, n)
    quotes["ask_size"] = rng.lognormal(0.0, 1.0, n)
    return quotes


def generate_archive(
    root: str | Path,
    *,
    symbol: str,
    n: int,
    kind: str = "bars_1m",
    start_ns: int = DEFAULT_START_NS,
    interval_ns: int | None = None,
    seed: int = 0,
    venue: str = "synthetic",
) -> list[Path]:
    """Generate ``n`` rows of synthetic ``kind`` data and write them to the archive at ``root``.

    For bars, ``interval_ns`` defaults to the kind's interval (``bars_1h`` → 1 hour; plain
    ``bars`` → 1 minute) and must agree with it. For trades and quotes it is the mean gap between
    events (default 1 second). The archive's folder of ``kind`` for ``venue``/``symbol`` is replaced
    whole once every day is written (``botkit.data.staged``), so the archive never mixes two runs;
    a folder of downloaded or recorded data is refused. Returns the day files written. Use
    different seeds for different symbols.
    """
    base = base_kind(kind)
    kind_ns = kind_interval_ns(kind)
    if kind_ns is not None and interval_ns is not None and interval_ns != kind_ns:
        raise ConfigError(f"interval_ns {interval_ns} does not match kind {kind!r} ({kind_ns} ns)")
    if base == "bars":
        interval = interval_ns or kind_ns or NS_PER_MINUTE
        records = synthetic_bars(n, start_ns=start_ns, interval_ns=interval, seed=seed)
    elif base == "trades":
        interval = interval_ns or NS_PER_SECOND
        records = synthetic_trades(n, start_ns=start_ns, interval_ns=interval, seed=seed)
    else:
        interval = interval_ns or NS_PER_SECOND
        records = synthetic_quotes(n, start_ns=start_ns, interval_ns=interval, seed=seed)
    note = {"seed": seed, "rows": n, "kind": kind, "start_ns": start_ns, "interval_ns": interval}
    with staged_kinds(root, venue, symbol, note) as stage:
        written = write_records(stage, venue, symbol, kind, records, mode="overwrite")
    return final_paths(stage, root, written)


def _check(n: int, interval_ns: int, start_price: float, annual_volatility: float) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ConfigError(f"number of rows must be an int >= 1, got {n!r}")
    if interval_ns < 1:
        raise ConfigError(f"interval_ns must be >= 1, got {interval_ns!r}")
    if not start_price > 0:
        raise ConfigError(f"start_price must be > 0, got {start_price!r}")
    if not annual_volatility >= 0:
        raise ConfigError(f"annual_volatility must be >= 0, got {annual_volatility!r}")


def _sigma(annual_volatility: float, interval_ns: int) -> float:
    """Volatility of one interval's log return."""
    return annual_volatility * float(np.sqrt(interval_ns / _NS_PER_YEAR))


def _vol_multiplier(rng: np.random.Generator, n: int) -> np.ndarray:
    """A clustering volatility factor with mean about 1: exp of a stationary AR(1)-like process."""
    alpha = 1.0 - 0.5 ** (1.0 / _VOL_HALFLIFE)
    stationary_std = float(np.sqrt(alpha / (2.0 - alpha)))
    noise = rng.standard_normal(n)
    noise[0] *= stationary_std  # start the average in its stationary distribution
    smooth = pd.Series(noise).ewm(alpha=alpha, adjust=False).mean().to_numpy() / stationary_std
    return np.exp(_VOL_OF_VOL * smooth - 0.5 * _VOL_OF_VOL**2)


def _arrival_times(rng: np.random.Generator, n: int, start_ns: int, interval_ns: int) -> np.ndarray:
    """Event times starting at ``start_ns`` with exponential gaps of mean ``interval_ns``."""
    gaps = np.rint(rng.exponential(float(interval_ns), n)).astype(np.int64)
    gaps[0] = 0
    return start_ns + np.cumsum(gaps)
