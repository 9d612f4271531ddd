"""Seeded BTC/USD prices: a pure function of ``(seed, timestamp)`` at one-second resolution.

The process is a geometric Brownian motion (drift ``annual_drift``) whose volatility clusters:

* **days** — log returns ``r_d = mu - var_d / 2 + sqrt(var_d) * z_d`` with ``var_d`` following
  GARCH(1,1) from the start of history; day-open log prices are the running sum, shifted so that
  the price at ``anchor_time_s`` is ``anchor_price_usd``;
* **minutes** — inside each day, a Brownian bridge from one day open to the next whose minute
  volatilities follow a log-AR(1) process (clusters within the day) and a mild intraday cycle;
* **seconds** — inside each minute, a Brownian bridge between the two minute prices.

Every random number comes from a generator seeded with ``(seed, stream, index)``, so any
minute, hour or day of any year can be computed on its own and always has the same value.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from botkit.sim.sintra.config import PriceModelConfig

SECONDS_PER_DAY = 86_400
MINUTES_PER_DAY = 1_440
_BLOCK_DAYS = 512
_CACHED_DAYS = 96

_STREAM_DAILY = 1
_STREAM_INTRADAY = 2
_STREAM_SECONDS = 3


class DayPath(NamedTuple):
    """One UTC day at minute resolution."""

    log_prices: np.ndarray
    """1441 log prices at each minute boundary; the last one is the next day's open."""
    minute_sigma: np.ndarray
    """1440 standard deviations of each minute's log return."""
    volumes: np.ndarray
    """1440 BTC volumes, one per minute."""


class BtcPriceProcess:
    """The simulator's BTC/USD price, defined for every second from ``history_start_s`` on."""

    def __init__(self, config: PriceModelConfig, seed: int) -> None:
        self._cfg = config
        self._seed = seed
        self._origin_day = config.history_start_s // SECONDS_PER_DAY
        self._target_var = config.annual_vol**2 / 365.0
        self._drift = config.annual_drift / 365.0
        self._omega = self._target_var * (1.0 - config.garch_alpha - config.garch_beta)
        self._levels: list[float] = [0.0]
        self._vars: list[float] = []
        self._returns: list[float] = []
        self._noise_blocks: dict[int, np.ndarray] = {}
        self._days: OrderedDict[int, DayPath] = OrderedDict()
        anchor_index = config.anchor_time_s // SECONDS_PER_DAY - self._origin_day
        self._ensure_days(anchor_index + 1)
        self._offset = math.log(config.anchor_price_usd) - self._levels[anchor_index]

    @property
    def history_start_s(self) -> int:
        """The first second with a price."""
        return self._cfg.history_start_s

    def usd_at(self, ts_s: int) -> float:
        """BTC/USD at Unix second ``ts_s`` (>= ``history_start_s``)."""
        return math.exp(self.log_usd_at(ts_s))

    def log_usd_at(self, ts_s: int) -> float:
        """Natural log of BTC/USD at Unix second ``ts_s``."""
        day, second_of_day = divmod(self._check(ts_s), SECONDS_PER_DAY)
        if second_of_day == 0:  # a day open needs no intraday path
            index = day - self._origin_day
            self._ensure_days(index + 1)
            return self._levels[index] + self._offset
        minute, second = divmod(second_of_day, 60)
        path = self.day_path(day)
        start = float(path.log_prices[minute])
        if second == 0:
            return start
        end = float(path.log_prices[minute + 1])
        sigma = float(path.minute_sigma[minute])
        return start + float(self._second_bridge(ts_s // 60, sigma, end - start)[second])

    def day_path(self, day: int) -> DayPath:
        """The minute path of UTC day ``day`` (days since the epoch), cached."""
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached
        index = day - self._origin_day
        if index < 0:
            raise ValueError(f"day {day} is before the start of history")
        self._ensure_days(index + 1)
        built = self._build_day(day, self._levels[index] + self._offset, index)
        self._days[day] = built
        if len(self._days) > _CACHED_DAYS:
            self._days.popitem(last=False)
        return built

    def volume_between(self, start_s: int, end_s: int) -> float:
        """BTC volume of the minutes starting in ``[start_s, end_s)``."""
        total = 0.0
        first_minute = -(-self._check(start_s) // 60)
        last_minute = -(-end_s // 60)
        for day in range(first_minute // MINUTES_PER_DAY, (last_minute - 1) // MINUTES_PER_DAY + 1):
            lo = max(first_minute - day * MINUTES_PER_DAY, 0)
            hi = min(last_minute - day * MINUTES_PER_DAY, MINUTES_PER_DAY)
            if hi > lo:
                total += float(self.day_path(day).volumes[lo:hi].sum())
        return total

    def _check(self, ts_s: int) -> int:
        if ts_s < self._cfg.history_start_s:
            raise ValueError(f"no price before {self._cfg.history_start_s}, asked for {ts_s}")
        return ts_s

    def _daily_noise(self, index: int) -> float:
        block, within = divmod(index, _BLOCK_DAYS)
        noise = self._noise_blocks.get(block)
        if noise is None:
            rng = np.random.default_rng([self._seed, _STREAM_DAILY, block])
            noise = rng.standard_normal(_BLOCK_DAYS)
            self._noise_blocks[block] = noise
        return float(noise[within])

    def _ensure_days(self, count: int) -> None:
        """Extend the GARCH(1,1) day series so that ``count`` days have returns."""
        alpha, beta = self._cfg.garch_alpha, self._cfg.garch_beta
        while len(self._returns) < count:
            if self._vars:
                var = self._omega + alpha * self._returns[-1] ** 2 + beta * self._vars[-1]
            else:
                var = self._target_var
            ret = self._drift - 0.5 * var + math.sqrt(var) * self._daily_noise(len(self._returns))
            self._vars.append(var)
            self._returns.append(ret)
            self._levels.append(self._levels[-1] + ret)

    def _build_day(self, day: int, log_open: float, index: int) -> DayPath:
        cfg = self._cfg
        rng = np.random.default_rng([self._seed, _STREAM_INTRADAY, day])
        vol_shocks = rng.standard_normal(MINUTES_PER_DAY)
        return_shocks = rng.standard_normal(MINUTES_PER_DAY)
        volume_shocks = rng.standard_normal(MINUTES_PER_DAY)

        phi, eta = cfg.minute_vol_persistence, cfg.minute_vol_of_vol
        log_vol = np.empty(MINUTES_PER_DAY)
        level = eta / math.sqrt(1.0 - phi * phi) * float(vol_shocks[0])
        for j in range(MINUTES_PER_DAY):
            if j:
                level = phi * level + eta * float(vol_shocks[j])
            log_vol[j] = level
        minute_of_day = np.arange(MINUTES_PER_DAY)
        cycle = 1.0 + 0.3 * np.cos(2.0 * np.pi * (minute_of_day / MINUTES_PER_DAY - 0.6))
        weights = (np.exp(log_vol) * cycle) ** 2
        weights /= weights.sum()

        day_var = self._vars[index]
        sigma = np.sqrt(day_var * weights)
        walk = np.concatenate(([0.0], np.cumsum(sigma * return_shocks)))
        spent = np.concatenate(([0.0], np.cumsum(sigma * sigma))) / day_var
        log_prices = log_open + walk - spent * (walk[-1] - self._returns[index])
        log_prices[-1] = self._levels[index + 1] + self._offset  # exactly the next day's open

        level_volume = cfg.btc_volume_per_day * math.sqrt(day_var / self._target_var)
        volumes = level_volume * weights * np.exp(0.4 * volume_shocks - 0.08)
        return DayPath(log_prices=log_prices, minute_sigma=sigma, volumes=volumes)

    def _second_bridge(self, minute_index: int, sigma: float, change: float) -> np.ndarray:
        """61 log offsets from a minute's start: a bridge from 0 to ``change``."""
        rng = np.random.default_rng([self._seed, _STREAM_SECONDS, minute_index])
        steps = rng.standard_normal(60) * (sigma / math.sqrt(60.0))
        walk = np.concatenate(([0.0], np.cumsum(steps)))
        bridge: np.ndarray = walk - np.linspace(0.0, 1.0, 61) * (walk[-1] - change)
        return bridge
