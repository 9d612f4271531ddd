"""Synthetic market participants that keep the simulated books and tapes alive.

Per symbol: a mid price following geometric Brownian motion whose variance follows GARCH(1,1)
(quiet and busy spells), a market maker quoting several levels around that mid, and random
takers sending market orders at Poisson times. Everything is drawn from one seeded generator.
Replaying a recorded archive instead is not built yet.
"""

from __future__ import annotations

import asyncio
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import structlog

from botkit.model.enums import OrderType, Side
from botkit.sim.syncron.config import AgentConfig, SymbolConfig
from botkit.sim.syncron.errors import ApiError
from botkit.sim.syncron.exchange import Exchange
from botkit.sim.syncron.order_rules import OrderRequest

log = structlog.get_logger("botkit.sim.syncron")

SECONDS_PER_YEAR = 365.0 * 86_400.0
AGENT_FUNDS = Decimal(10) ** 12


class MidPath:
    """A GBM log price whose per-second variance follows GARCH(1,1) on its own returns."""

    def __init__(
        self, price: float, annual_vol: float, alpha: float, beta: float, rng: np.random.Generator
    ) -> None:
        self._log_price = math.log(price)
        self._base_var = annual_vol**2 / SECONDS_PER_YEAR
        self._omega = self._base_var * (1.0 - alpha - beta)
        self._alpha = alpha
        self._beta = beta
        self._var = self._base_var
        self._rng = rng

    @property
    def price(self) -> float:
        """The current mid."""
        return math.exp(self._log_price)

    def step(self, dt_s: float) -> float:
        """Advance ``dt_s`` simulated seconds; returns the new mid."""
        var_dt = self._var * dt_s
        ret = math.sqrt(var_dt) * float(self._rng.standard_normal()) - 0.5 * var_dt
        self._log_price += ret
        self._var = self._omega + self._alpha * ret * ret / dt_s + self._beta * self._var
        return self.price


def _to_tick(value: float, tick: Decimal, rounding: str) -> Decimal:
    return (Decimal(repr(value)) / tick).to_integral_value(rounding=rounding) * tick


def _to_lot(value: float, lot: Decimal) -> Decimal:
    return max(lot, (Decimal(repr(value)) / lot).to_integral_value(rounding=ROUND_FLOOR) * lot)


class MarketMaker:
    """Quotes ``mm_levels`` levels a side around the mid, replacing only levels that moved."""

    def __init__(
        self, exchange: Exchange, spec: SymbolConfig, config: AgentConfig, rng: np.random.Generator
    ) -> None:
        self._exchange = exchange
        self._spec = spec
        self._config = config
        self._rng = rng
        self._account = exchange.add_internal_account(
            f"mm-{spec.symbol}", {spec.base: AGENT_FUNDS, spec.quote: AGENT_FUNDS}
        )
        self._quotes: dict[tuple[Side, Decimal], str] = {}

    def _wanted(self, mid: float) -> list[tuple[Side, Decimal]]:
        c = self._config
        out: list[tuple[Side, Decimal]] = []
        for i in range(c.mm_levels):
            offset = (c.mm_half_spread_bps + i * c.mm_level_step_bps) / 10_000
            out.append((Side.BUY, _to_tick(mid * (1 - offset), self._spec.tick_size, ROUND_FLOOR)))
            out.append(
                (Side.SELL, _to_tick(mid * (1 + offset), self._spec.tick_size, ROUND_CEILING))
            )
        return out

    def requote(self, mid: float) -> None:
        """Cancel quotes that left the ladder or filled, and add the missing levels."""
        exchange = self._exchange
        wanted = set(self._wanted(mid))
        for key, order_id in list(self._quotes.items()):
            if key not in wanted or not exchange.orders.is_open(order_id):
                if exchange.orders.is_open(order_id):
                    exchange.cancel(self._account.account_id, order_id=order_id)
                del self._quotes[key]
        for side, price in sorted(wanted - set(self._quotes), key=lambda k: (k[0], k[1])):
            notional = self._config.mm_level_notional * float(self._rng.uniform(0.5, 1.5))
            qty = _to_lot(notional / mid, self._spec.lot_size)
            try:
                order = exchange.place(
                    self._account.account_id,
                    OrderRequest(self._spec.symbol, side, OrderType.LIMIT, qty, price=price),
                )
            except ApiError as error:
                log.debug("sim.agent.quote_refused", symbol=self._spec.symbol, code=int(error.code))
                continue
            if exchange.orders.is_open(order.order_id):
                self._quotes[(side, price)] = order.order_id


class RandomTaker:
    """Sends market orders of random side and size at Poisson times."""

    def __init__(
        self, exchange: Exchange, spec: SymbolConfig, config: AgentConfig, rng: np.random.Generator
    ) -> None:
        self._exchange = exchange
        self._spec = spec
        self._config = config
        self._rng = rng
        self._account = exchange.add_internal_account(
            f"taker-{spec.symbol}", {spec.base: AGENT_FUNDS, spec.quote: AGENT_FUNDS}
        )

    def act(self, mid: float, dt_s: float) -> None:
        """Send the market orders that arrive during ``dt_s`` simulated seconds."""
        for _ in range(int(self._rng.poisson(self._config.taker_rate_per_s * dt_s))):
            side = Side.BUY if self._rng.random() < 0.5 else Side.SELL
            notional = self._config.taker_notional * float(self._rng.lognormal(0.0, 0.75))
            qty = _to_lot(notional / mid, self._spec.lot_size)
            try:
                self._exchange.place(
                    self._account.account_id,
                    OrderRequest(self._spec.symbol, side, OrderType.MARKET, qty),
                )
            except ApiError as error:
                log.debug("sim.agent.take_refused", symbol=self._spec.symbol, code=int(error.code))


class SyntheticMarket:
    """The agents of every symbol, stepped together by one asyncio task."""

    def __init__(
        self, exchange: Exchange, symbols: tuple[SymbolConfig, ...], config: AgentConfig
    ) -> None:
        self._exchange = exchange
        self._config = config
        rngs = np.random.default_rng(config.seed).spawn(len(symbols))
        self._agents = [
            (
                MidPath(
                    float(s.initial_price), s.volatility, config.garch_alpha, config.garch_beta, rng
                ),
                MarketMaker(exchange, s, config, rng),
                RandomTaker(exchange, s, config, rng),
            )
            for s, rng in zip(symbols, rngs, strict=True)
        ]

    def prime(self) -> None:
        """Put the first quotes on every book, so it is not empty when clients connect."""
        for path, maker, _ in self._agents:
            with self._exchange.batch():
                maker.requote(path.price)

    def step(self) -> None:
        """One step: move each mid, requote, let takers trade."""
        dt = self._config.step_s * self._config.speed
        for path, maker, taker in self._agents:
            mid = path.step(dt)
            with self._exchange.batch():
                maker.requote(mid)
            taker.act(mid, dt)

    async def run(self) -> None:
        """Step forever at ``step_s`` real seconds (cancel the task to stop)."""
        log.info("sim.agents.started", symbols=len(self._agents), speed=self._config.speed)
        while True:
            await asyncio.sleep(self._config.step_s)
            self.step()
