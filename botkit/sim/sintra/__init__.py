"""A local simulator of the Sintra BTC price API, written from ``docs/venues/sintra.md``.

``async with run_sintra_sim(config) as sim`` runs it on a free loopback port for tests;
``serve(host, port, config=...)`` runs it for the CLI. The demo Pro key is ``DEMO_API_KEY``.
"""

from botkit.sim.sintra.app import SintraSimServer, create_app, run_sintra_sim, serve
from botkit.sim.sintra.clock import ScaledClock
from botkit.sim.sintra.config import (
    DEMO_API_KEY,
    ApiKeyConfig,
    FaultConfig,
    Plan,
    PlanConfig,
    PriceModelConfig,
    SintraSimConfig,
)

__all__ = [
    "DEMO_API_KEY",
    "ApiKeyConfig",
    "FaultConfig",
    "Plan",
    "PlanConfig",
    "PriceModelConfig",
    "ScaledClock",
    "SintraSimConfig",
    "SintraSimServer",
    "create_app",
    "run_sintra_sim",
    "serve",
]
