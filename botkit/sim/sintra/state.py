"""The simulator's shared state, one per aiohttp application."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from botkit.core.clock import NS_PER_SECOND
from botkit.sim.sintra.auth import KeyStore
from botkit.sim.sintra.clock import ScaledClock
from botkit.sim.sintra.config import SintraSimConfig
from botkit.sim.sintra.faults import FaultInjector
from botkit.sim.sintra.market import SintraMarket
from botkit.sim.sintra.ratelimit import FixedWindowLimiter
from botkit.sim.sintra.sessions import SessionStore


@dataclass
class SintraSimState:
    """Everything the handlers share: config, clock, market, keys, limits, sessions, faults."""

    config: SintraSimConfig
    clock: ScaledClock
    market: SintraMarket
    keys: KeyStore
    limiter: FixedWindowLimiter
    sessions: SessionStore
    faults: FaultInjector
    websockets: dict[web.WebSocketResponse, web.Request] = field(default_factory=dict)
    """Open WebSocket connections and the requests that opened them."""

    @classmethod
    def build(cls, config: SintraSimConfig, clock: ScaledClock | None = None) -> SintraSimState:
        """State for ``config``; the clock defaults to one running at ``config.speed``."""
        if clock is None:
            start_ns = None if config.start_time_s is None else config.start_time_s * NS_PER_SECOND
            clock = ScaledClock(start_ns=start_ns, speed=config.speed)
        return cls(
            config=config,
            clock=clock,
            market=SintraMarket(config),
            keys=KeyStore(config.keys),
            limiter=FixedWindowLimiter(clock, config.rate_window_s),
            sessions=SessionStore(clock, config.session_ttl_s),
            faults=FaultInjector(config.faults),
        )

    def now_s(self) -> int:
        """Current simulator time in whole Unix seconds."""
        return self.clock.now_ns() // NS_PER_SECOND


STATE_KEY = web.AppKey("sintra_sim_state", SintraSimState)
"""Where the application keeps its :class:`SintraSimState`."""
