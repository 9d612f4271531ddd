"""A tiny status endpoint on loopback: ``/health`` and ``/status`` (JSON) of the running bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import web

from botkit.core.errors import ConfigError

log = structlog.get_logger("botkit.live.status")


class StatusServer:
    """Serves the engine's status on ``host:port`` (port 0: any free port) until stopped."""

    def __init__(self, status: Callable[[], dict[str, Any]], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._status = status
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    async def start(self) -> None:
        """Start listening; ``url`` tells where."""
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/status", self._status_route)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            self._runner = None
            raise ConfigError(
                f"status_port {self.port}: cannot listen on {self.host} ({error.strerror}); "
                "choose another port, 0 for any free one, or remove status_port"
            ) from None
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        log.info("status.listening", url=self.url)

    async def stop(self) -> None:
        """Stop listening; safe to call twice."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        status = self._status()
        return web.json_response({"status": "ok", "state": status.get("state"), "name": status.get("name")})

    async def _status_route(self, request: web.Request) -> web.Response:
        return web.json_response(self._status())
