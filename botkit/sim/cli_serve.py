"""``botkit sim``: the local simulators on their ports, started together and stopped together.

Each simulator binds its port before the next one starts. A port that cannot be bound (another
``botkit sim`` on it, say) is a ConfigError naming the venue, the address and the option that
moves it, and the simulators already started are stopped first: nothing is left listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Literal, TypeVar

import structlog

from botkit.core.errors import ConfigError
from botkit.sim.sintra.app import log_started as log_sintra_started
from botkit.sim.sintra.app import run_sintra_sim
from botkit.sim.sintra.config import SintraSimConfig
from botkit.sim.syncron.app import log_started as log_syncron_started
from botkit.sim.syncron.app import running_sim, serve_config

SYNCRON_PORT = 8700
SINTRA_PORT = 8701

SimVenue = Literal["syncron", "sintra", "all"]
T = TypeVar("T")

log = structlog.get_logger("botkit.sim")


def sim_ports(venue: SimVenue, *, port: int | None, syncron_port: int | None,
              sintra_port: int | None) -> tuple[int | None, int | None]:
    """The (syncron, sintra) ports ``botkit sim VENUE`` listens on; None for a simulator not started.

    ``--port`` names the port of a single venue; ``--syncron-port`` and ``--sintra-port`` work with
    ``all`` too. Each defaults to 8700 and 8701; 0 picks a free port.
    """
    if venue == "all" and port is not None:
        raise ConfigError(f"--port names one port; with 'all' use --syncron-port and --sintra-port "
                          f"(default {SYNCRON_PORT} and {SINTRA_PORT}), got --port {port}")
    for flag, value, wanted in (("--syncron-port", syncron_port, "syncron"), ("--sintra-port", sintra_port, "sintra")):
        if value is not None and venue not in (wanted, "all"):
            raise ConfigError(f"{flag} {value} is for 'botkit sim {wanted}' or 'botkit sim all', not '{venue}'")
        if value is not None and port is not None:
            raise ConfigError(f"--port {port} and {flag} {value} both name the {wanted} port: give one")
    syncron, sintra = (syncron_port, sintra_port) if port is None else (port, port)
    ports = (
        (SYNCRON_PORT if syncron is None else syncron) if venue in ("syncron", "all") else None,
        (SINTRA_PORT if sintra is None else sintra) if venue in ("sintra", "all") else None,
    )
    for flag, value in zip(("--syncron-port", "--sintra-port"), ports, strict=True):
        if value is not None and not 0 <= value <= 65_535:
            raise ConfigError(f"{flag if port is None else '--port'} must be 0..65535, got {value}")
    if ports[0] is not None and ports[0] == ports[1] and ports[0] != 0:
        raise ConfigError(f"--syncron-port and --sintra-port are both {ports[0]}: the simulators need a port each")
    return ports


async def serve_simulators(host: str, *, syncron_port: int | None, sintra_port: int | None,
                           symbols: Sequence[str], seed: int | None = None, speed: float | None = None,
                           stop: asyncio.Event | None = None) -> None:
    """Run the simulators given a port (None: not started) until cancelled or ``stop`` is set."""
    async with contextlib.AsyncExitStack() as stack:
        if syncron_port is not None:
            config = serve_config(symbols, speed=speed, seed=seed)
            sim = await _listen(stack, running_sim(config, host=host, port=syncron_port), "syncron", host,
                                syncron_port)
            log_syncron_started(sim, config)
        if sintra_port is not None:
            sintra_config = SintraSimConfig() if seed is None else SintraSimConfig(seed=seed)
            server = await _listen(stack, run_sintra_sim(sintra_config, host=host, port=sintra_port), "sintra",
                                   host, sintra_port)
            log_sintra_started(server, sintra_config)
        try:
            await (stop or asyncio.Event()).wait()
        finally:
            log.info("sim.stopping")


async def _listen(stack: contextlib.AsyncExitStack, server: AbstractAsyncContextManager[T], venue: str, host: str,
                  port: int) -> T:
    """Enter ``server`` (which binds ``host:port``) on ``stack``; a bind failure is a ConfigError."""
    try:
        return await stack.enter_async_context(server)
    except OSError as error:
        why = "the port is already in use" if error.errno == errno.EADDRINUSE else (error.strerror or str(error))
        hint = "is another `botkit sim` running? " if error.errno == errno.EADDRINUSE else ""
        raise ConfigError(f"the {venue} simulator cannot listen on {host}:{port}: {why}; {hint}"
                          f"choose another with --{venue}-port") from None


def run_sim_command(venue: SimVenue, *, host: str, port: int | None, syncron_port: int | None,
                    sintra_port: int | None, symbols: Sequence[str], seed: int | None, speed: float | None) -> int:
    """Run ``botkit sim VENUE`` until Ctrl-C; returns the exit code."""
    syncron, sintra = sim_ports(venue, port=port, syncron_port=syncron_port, sintra_port=sintra_port)
    asyncio.run(serve_simulators(host, syncron_port=syncron, sintra_port=sintra, symbols=symbols, seed=seed,
                                 speed=speed))
    return 0
