"""The state one simulator app shares between its handlers, feeds and agents."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from botkit.core.clock import Clock
from botkit.sim.syncron.auth import Authenticator
from botkit.sim.syncron.config import SimConfig
from botkit.sim.syncron.exchange import Exchange
from botkit.sim.syncron.faults import FaultState
from botkit.sim.syncron.ratelimit import RateLimiter

if TYPE_CHECKING:
    from botkit.sim.syncron.ws import WsHub


@dataclass(slots=True)
class SimContext:
    """Config, clock, venue, auth, limits, faults and the WebSocket hub of one app."""

    config: SimConfig
    clock: Clock
    exchange: Exchange
    auth: Authenticator
    limiter: RateLimiter
    faults: FaultState
    hub: WsHub
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def now_ms(self) -> int:
        """The simulator's time in ms."""
        return self.clock.now_ns() // 1_000_000


CONTEXT_KEY: web.AppKey[SimContext] = web.AppKey("syncron_sim", SimContext)
"""Where ``create_app`` keeps the app's ``SimContext``."""
