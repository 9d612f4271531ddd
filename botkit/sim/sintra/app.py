"""Building and running the Sintra simulator: in tests, on a free port; from the CLI, forever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from aiohttp import web

from botkit.sim.sintra.admin import ADMIN_PREFIX, add_admin_routes
from botkit.sim.sintra.clock import ScaledClock
from botkit.sim.sintra.config import DEMO_KEY_ID, SintraSimConfig
from botkit.sim.sintra.middleware import API_PREFIX, sintra_middleware
from botkit.sim.sintra.routes import add_routes
from botkit.sim.sintra.state import STATE_KEY, SintraSimState
from botkit.sim.sintra.ws import close_all, websocket_handler

WS_PATH = "/ws"
_SHUTDOWN_TIMEOUT_S = 5.0

log = structlog.get_logger("botkit.sim.sintra")


def create_app(
    config: SintraSimConfig | None = None, *, clock: ScaledClock | None = None
) -> web.Application:
    """The simulator as an aiohttp application (REST under ``/v1``, WebSocket at ``/ws``).

    ``clock`` defaults to a :class:`ScaledClock` at ``config.speed``; pass one to control time.
    """
    config = config if config is not None else SintraSimConfig()
    state = SintraSimState.build(config, clock)
    app = web.Application(middlewares=[sintra_middleware])
    app[STATE_KEY] = state
    add_routes(app, API_PREFIX)
    app.router.add_get(WS_PATH, websocket_handler)
    if config.admin_enabled:
        add_admin_routes(app)
    app.on_shutdown.append(_close_websockets)
    return app


async def _close_websockets(app: web.Application) -> None:
    await close_all(app[STATE_KEY])


@dataclass(frozen=True, slots=True)
class SintraSimServer:
    """A running simulator: its URLs, and its state for tests that look inside."""

    root_url: str
    app: web.Application

    @property
    def base_url(self) -> str:
        """The REST base URL, e.g. ``http://127.0.0.1:8701/v1``."""
        return self.root_url + API_PREFIX

    @property
    def ws_url(self) -> str:
        """The WebSocket URL without a session, e.g. ``ws://127.0.0.1:8701/ws``."""
        return "ws" + self.root_url.removeprefix("http") + WS_PATH

    @property
    def admin_url(self) -> str:
        """The simulator control routes, e.g. ``http://127.0.0.1:8701/_sim``."""
        return self.root_url + ADMIN_PREFIX

    @property
    def state(self) -> SintraSimState:
        """The simulator's shared state (clock, faults, sessions...)."""
        return self.app[STATE_KEY]

    @property
    def clock(self) -> ScaledClock:
        """The simulator clock; ``clock.advance(seconds)`` moves time forward."""
        return self.state.clock


@asynccontextmanager
async def run_sintra_sim(
    config: SintraSimConfig | None = None,
    *,
    clock: ScaledClock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> AsyncIterator[SintraSimServer]:
    """Run the simulator on ``host:port`` (port 0: a free one) until the block exits.

    ``async with run_sintra_sim() as sim: sim.base_url`` gives ``http://127.0.0.1:<port>/v1``.
    """
    app = create_app(config, clock=clock)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield SintraSimServer(root_url=f"http://{url_host}:{bound_port}", app=app)
    finally:
        await runner.cleanup()


async def serve(
    host: str = "127.0.0.1",
    port: int = 8701,
    *,
    config: SintraSimConfig | None = None,
    clock: ScaledClock | None = None,
) -> None:
    """Run the simulator until cancelled; what ``botkit sim sintra --port 8701`` calls."""
    config = config if config is not None else SintraSimConfig()
    async with run_sintra_sim(config, clock=clock, host=host, port=port) as server:
        log_started(server, config)
        try:
            await asyncio.Event().wait()
        finally:
            log.info("sintra_sim.stopping")


def log_started(server: SintraSimServer, config: SintraSimConfig) -> None:
    """Log where a served simulator listens (``sintra_sim.started``)."""
    log.info("sintra_sim.started", base_url=server.base_url, ws_url=server.ws_url, demo_key_id=DEMO_KEY_ID,
             seed=config.seed, speed=config.speed)
