"""A local Syncron venue: REST, WebSocket, matching, accounts, auth, rate limits and faults.

Written from the wire contract ``docs/venues/syncron.md`` and sharing no code with the client in
``botkit.venues.syncron``. Start one in a test with ``running_sim()`` (an ephemeral loopback
port), or from the CLI through ``serve()``.
"""

from botkit.sim.syncron.app import ROUTES, RunningSim, create_app, running_sim, serve
from botkit.sim.syncron.auth import sign
from botkit.sim.syncron.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountConfig,
    AgentConfig,
    AuthConfig,
    FaultConfig,
    RateLimitConfig,
    SimConfig,
    SymbolConfig,
    default_config,
    default_symbol,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "ROUTES",
    "AccountConfig",
    "AgentConfig",
    "AuthConfig",
    "FaultConfig",
    "RateLimitConfig",
    "RunningSim",
    "SimConfig",
    "SymbolConfig",
    "create_app",
    "default_config",
    "default_symbol",
    "running_sim",
    "serve",
    "sign",
]
