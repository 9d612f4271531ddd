"""A tiny status endpoint on loopback: ``/health``, ``/status`` (JSON), ``/metrics`` and ``POST /arm`` of the bot.

``/metrics`` serves the engine's Prometheus registry (``botkit.live.metrics``) in the text format,
or in OpenMetrics when the scraper asks for it (``Accept: application/openmetrics-text``).

``POST /arm`` lifts a halt (the kill switch, a strategy error) without a restart. It needs the
operator's token, ``Authorization: Bearer <BOTKIT_ARM_TOKEN>``; without that variable set the
endpoint refuses every request, so a bot can only be re-armed by ``botkit arm CONFIG`` after a stop.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from pydantic import SecretStr

from botkit.core.errors import ConfigError

log = structlog.get_logger("botkit.live.status")


class StatusServer:
    """Serves the engine's status on ``host:port`` (port 0: any free port) until stopped."""

    def __init__(self, status: Callable[[], dict[str, Any]], *, host: str = "127.0.0.1", port: int = 0,
                 rearm: Callable[[], str | None] | None = None, arm_token: SecretStr | None = None,
                 metrics: CollectorRegistry | None = None) -> None:
        self._status = status
        self._metrics = metrics
        self._rearm = rearm
        self._arm_token = arm_token
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    async def start(self) -> None:
        """Start listening; ``url`` tells where."""
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/status", self._status_route)
        if self._metrics is not None:
            app.router.add_get("/metrics", self._metrics_route)
        app.router.add_post("/arm", self._arm_route)
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

    async def _metrics_route(self, request: web.Request) -> web.Response:
        assert self._metrics is not None
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(self._metrics), headers={"Content-Type": content_type})

    async def _arm_route(self, request: web.Request) -> web.Response:
        if self._rearm is None or self._arm_token is None or not self._arm_token.get_secret_value():
            return web.json_response({"error": "re-arming over HTTP is off: set BOTKIT_ARM_TOKEN to enable it"},
                                     status=403)
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self._arm_token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("status.arm_refused", remote=request.remote)
            return web.json_response({"error": "missing or wrong operator token"}, status=401)
        previous = self._rearm()
        log.warning("status.armed", remote=request.remote, previous_reason=previous)
        return web.json_response({"armed": previous is not None, "previous_halt_reason": previous,
                                  "state": self._status().get("state")})
