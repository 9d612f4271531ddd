"""``botkit run configs/demo.yaml [--duration 30]``: run a bot, print its summary, return the exit code.

When the config's venue endpoint is ``local`` (or another loopback URL) and nothing listens on
its port, the Syncron simulator is started in this process first (see ``_embedded_simulator``), so a first run
needs no setup at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import structlog

from botkit.core.errors import ConfigError
from botkit.core.yaml_document import YamlDocument
from botkit.live.build import build_engine, syncron_settings
from botkit.live.report import RunSummary
from botkit.settings import BotConfig, load_bot_document, validate_bot_config

log = structlog.get_logger("botkit.live.cli")

EXIT_OK = 0
EXIT_HALTED = 3


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], object]) -> Iterator[None]:
    """SIGINT and SIGTERM call ``stop`` (a graceful stop) while the block runs, where the loop allows it."""
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
            handled.append(sig)
    try:
        yield
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def run_bot_command(config_path: Path | str, duration_s: float | None = None, embedded_sim: bool = True) -> int:
    """Run the bot of ``config_path`` until Ctrl-C / SIGTERM or ``duration_s``; prints a summary.

    Returns 0 after a normal stop, 3 when the engine ended halted (a strategy or venue error).
    """
    document = load_bot_document(config_path)
    config = validate_bot_config(document.data, document.source, document)
    summary = asyncio.run(run_bot(config, duration_s=duration_s, embedded_sim=embedded_sim, source=str(config_path),
                                  document=document))
    for line in summary.lines():
        print(line)
    return EXIT_HALTED if summary.state == "halted" else EXIT_OK


async def run_bot(config: BotConfig, *, duration_s: float | None = None, embedded_sim: bool = True,
                  source: str = "config", document: YamlDocument | None = None) -> RunSummary:
    """Build and run the engine for ``config`` (starting the embedded simulator if needed).

    ``document`` is the YAML the config was read from, so that parameter errors name its lines.
    """
    settings = syncron_settings(config)
    async with maybe_simulator(settings.rest_url, embedded_sim and settings.is_loopback, config.symbols) as embedded:
        # an embedded simulator is a brand-new venue: state saved against an earlier one does not apply
        engine = await build_engine(config, source=source, settings=settings, restore_state=not embedded,
                                    document=document)
        with stop_on_signals(engine.request_stop):
            return await engine.run(duration_s)


@contextlib.asynccontextmanager
async def maybe_simulator(rest_url: str, allowed: bool, symbols: Sequence[str]) -> AsyncIterator[bool]:
    """Start the embedded simulator (listing ``symbols``) if allowed and nothing listens; yields whether it did."""
    parts = urlsplit(rest_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not allowed or _listening(host, port):
        yield False
        return
    async with _embedded_simulator(symbols, host, port):
        yield True


def _listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


# ------------------------------------------------------------------------------------------------
# EMBEDDED SIMULATOR: the one place live code reaches ``botkit.sim``, through a lazy import, and
# only when the config's venue is on loopback (``local``) and nothing listens on its port yet.
# ------------------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def _embedded_simulator(symbols: Sequence[str], host: str, port: int) -> AsyncIterator[None]:
    """Serve the local Syncron simulator in this process for the duration of the block."""
    from botkit.sim import syncron as sim  # lazy on purpose: see the banner above

    for symbol in symbols:  # refused here, as a config error, rather than as the simulator's traceback
        try:
            sim.default_symbol(symbol)
        except ValueError as error:
            raise ConfigError(f"symbols: the local Syncron simulator cannot list {symbol!r}: {error} "
                              "(or point venue.endpoint at a venue that has it)") from None
    stop = asyncio.Event()
    ready = asyncio.Event()
    task = asyncio.create_task(
        sim.serve(host, port, tuple(symbols), stop=stop, on_ready=lambda _: ready.set()),
        name="embedded-syncron-sim",
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # re-raises why it could not start
    log.info("sim.embedded", url=f"http://{host}:{port}", note="local Syncron simulator started in-process")
    try:
        yield
    finally:
        stop.set()
        await task
