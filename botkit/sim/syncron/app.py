"""Build the simulator's aiohttp app, run it on a loopback port, or serve it for the CLI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import structlog
from aiohttp import web

from botkit.core.clock import Clock, LiveClock
from botkit.logging import key_hint
from botkit.sim.syncron.agents import SyntheticMarket
from botkit.sim.syncron.auth import Authenticator
from botkit.sim.syncron.config import DEFAULT_API_KEY, AgentConfig, SimConfig, default_config
from botkit.sim.syncron.context import CONTEXT_KEY, SimContext
from botkit.sim.syncron.exchange import Exchange
from botkit.sim.syncron.faults import FaultState
from botkit.sim.syncron.inputs import MAX_BODY_BYTES
from botkit.sim.syncron.middleware import (
    RATE_STATE_KEY,
    envelope_middleware,
    fault_middleware,
    rate_limit_middleware,
)
from botkit.sim.syncron.openapi import DOCS_ROUTES, OPENAPI_KEY, build_openapi
from botkit.sim.syncron.ratelimit import RateLimiter
from botkit.sim.syncron.routes_account import ACCOUNT_ROUTES
from botkit.sim.syncron.routes_admin import ADMIN_ROUTES
from botkit.sim.syncron.routes_market import MARKET_ROUTES
from botkit.sim.syncron.routes_trading import TRADING_ROUTES
from botkit.sim.syncron.routing import Call, Route, aiohttp_handler
from botkit.sim.syncron.ws import WsHub

log = structlog.get_logger("botkit.sim.syncron")

_AGENTS_KEY: web.AppKey[list[asyncio.Task[None]]] = web.AppKey("syncron_agents", list)


async def websocket(call: Call) -> object:
    """Upgrade to the WebSocket API (see the contract, section 7)."""
    state = call.request.get(RATE_STATE_KEY)
    headers = state.headers() if state is not None else {}
    return await call.ctx.hub.handle(call.request, headers)


WS_ROUTE = Route(
    "GET", "/v5/ws", websocket, "WebSocket API (upgrade)", "public", "websocket", raw=True
)

ROUTES: tuple[Route, ...] = (
    *MARKET_ROUTES,
    *ACCOUNT_ROUTES,
    *TRADING_ROUTES,
    WS_ROUTE,
    *ADMIN_ROUTES,
    *DOCS_ROUTES,
)
"""Every route the simulator serves; the OpenAPI document is built from this same table."""


def create_app(config: SimConfig | None = None, *, clock: Clock | None = None) -> web.Application:
    """The simulator as an aiohttp app: REST, WebSocket, admin and docs on one port.

    ``config`` defaults to ``default_config()`` (BTCUSD, ETHUSD, the demo account); ``clock``
    defaults to the wall clock. Synthetic agents start with the app when enabled.
    """
    config = config or default_config()
    clock = clock or LiveClock()
    exchange = Exchange(config, clock)
    auth = Authenticator(exchange.accounts, config.auth, clock)
    faults = FaultState(config.faults)
    hub = WsHub(exchange, auth, faults, clock, config.ws_idle_timeout_s)
    exchange.subscribe(hub)
    market = (
        SyntheticMarket(exchange, config.symbols, config.agents) if config.agents.enabled else None
    )
    app = web.Application(
        middlewares=[rate_limit_middleware, fault_middleware, envelope_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[CONTEXT_KEY] = SimContext(
        config, clock, exchange, auth, RateLimiter(config.rate_limit, clock), faults, hub
    )
    app[OPENAPI_KEY] = build_openapi(ROUTES)
    app[_AGENTS_KEY] = []
    for route in ROUTES:
        app.router.add_route(route.method, route.path, aiohttp_handler(route))

    async def start_agents(app: web.Application) -> None:
        if market is not None:
            market.prime()
            app[_AGENTS_KEY].append(asyncio.create_task(market.run(), name="syncron-agents"))

    async def shutdown(app: web.Application) -> None:
        ctx = app[CONTEXT_KEY]
        ctx.closing.set()
        await ctx.hub.close_all()

    async def stop_agents(app: web.Application) -> None:
        for task in app[_AGENTS_KEY]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.on_startup.append(start_agents)
    app.on_shutdown.append(shutdown)
    app.on_cleanup.append(stop_agents)
    return app


@dataclass(frozen=True, slots=True)
class RunningSim:
    """A simulator serving on a loopback port: its base URLs and its app."""

    url: str
    ws_url: str
    app: web.Application

    @property
    def context(self) -> SimContext:
        """The app's shared state (exchange, faults, hub...) for tests."""
        return self.app[CONTEXT_KEY]


@contextlib.asynccontextmanager
async def running_sim(
    config: SimConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Clock | None = None,
) -> AsyncIterator[RunningSim]:
    """Serve a simulator on ``host:port`` (0: an ephemeral port) until the block exits."""
    app = create_app(config, clock=clock)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        url = f"http://{bound_host}:{bound_port}"
        yield RunningSim(url, f"ws://{bound_host}:{bound_port}/v5/ws", app)
    finally:
        await runner.cleanup()


async def serve(
    host: str = "127.0.0.1",
    port: int = 8700,
    symbols: Sequence[str] = ("BTCUSD", "ETHUSD"),
    *,
    speed: float | None = None,
    seed: int | None = None,
    config: SimConfig | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[RunningSim], object] | None = None,
) -> None:
    """Run a simulator until cancelled or ``stop`` is set (``botkit sim syncron`` calls this).

    ``config`` overrides ``symbols``; ``speed`` and ``seed`` override the agents' settings;
    ``on_ready`` is called with the running simulator once it listens (e.g. to print its URL).
    """
    config = serve_config(symbols, speed=speed, seed=seed, config=config)
    async with running_sim(config, host=host, port=port) as sim:
        log_started(sim, config)
        if on_ready is not None:
            on_ready(sim)
        await (stop or asyncio.Event()).wait()


def serve_config(symbols: Sequence[str] = ("BTCUSD", "ETHUSD"), *, speed: float | None = None,
                 seed: int | None = None, config: SimConfig | None = None) -> SimConfig:
    """The config ``serve`` runs: ``config`` (default: ``symbols``) with the agents' ``speed`` and ``seed`` if given."""
    config = config or default_config(symbols)
    overrides = {k: v for k, v in (("speed", speed), ("seed", seed)) if v is not None}
    agents = AgentConfig.model_validate({**config.agents.model_dump(), **overrides})
    return config.model_copy(update={"agents": agents})


def log_started(sim: RunningSim, config: SimConfig) -> None:
    """Log where a served simulator listens (``sim.started``)."""
    log.info("sim.started", url=sim.url, ws_url=sim.ws_url, symbols=[s.symbol for s in config.symbols],
             demo_key=key_hint(DEFAULT_API_KEY))
