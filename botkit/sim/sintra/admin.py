"""Simulator-only control routes under ``/_sim``: faults, dropping connections, moving time."""

from __future__ import annotations

import math

import pydantic
import structlog
from aiohttp import web

from botkit.sim.json_input import JsonInputError, loads_bounded
from botkit.sim.sintra.errors import bad_request
from botkit.sim.sintra.state import STATE_KEY
from botkit.sim.sintra.ws import drop_all

ADMIN_PREFIX = "/_sim"
MAX_BODY_BYTES = 1 << 20
"""Largest admin body read (the app's ``client_max_size``; more is a 413)."""
MAX_ADVANCE_S = 100 * 366 * 86_400
"""Farthest one ``/_sim/clock/advance`` may move time: a century."""

log = structlog.get_logger("botkit.sim.sintra")


async def _json_object(request: web.Request) -> dict[str, object]:
    """The body as a bounded JSON object (``json_input``), else 400 ``INVALID_BODY``."""
    raw = await request.read() if request.can_read_body else b""
    try:
        body = loads_bounded(raw, max_bytes=MAX_BODY_BYTES) if raw.strip() else {}
    except JsonInputError as exc:
        raise bad_request(f"body must be JSON: {exc.reason}", "INVALID_BODY") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object", "INVALID_BODY")
    return body


async def get_faults(request: web.Request) -> web.Response:
    """``GET /_sim/faults``: the faults in force."""
    return web.json_response(request.app[STATE_KEY].faults.config.model_dump(mode="json"))


async def update_faults(request: web.Request) -> web.Response:
    """``POST /_sim/faults``: merge the body's fields into the faults in force."""
    state = request.app[STATE_KEY]
    changes = await _json_object(request)
    try:
        faults = state.faults.update(changes)
    except pydantic.ValidationError as exc:
        problems = exc.errors(include_url=False)
        raise bad_request(f"invalid faults: {problems}", "INVALID_BODY") from exc
    log.info("sintra_sim.faults_changed", **faults.model_dump(mode="json"))
    return web.json_response(faults.model_dump(mode="json"))


async def reset_faults(request: web.Request) -> web.Response:
    """``DELETE /_sim/faults``: back to the faults the simulator started with."""
    faults = request.app[STATE_KEY].faults.reset()
    log.info("sintra_sim.faults_reset")
    return web.json_response(faults.model_dump(mode="json"))


async def drop_websockets(request: web.Request) -> web.Response:
    """``POST /_sim/ws/drop``: cut every open WebSocket without a close frame."""
    return web.json_response({"dropped": drop_all(request.app[STATE_KEY])})


async def advance_clock(request: web.Request) -> web.Response:
    """``POST /_sim/clock/advance`` with ``{"seconds": N}``: move simulator time forward."""
    state = request.app[STATE_KEY]
    seconds = (await _json_object(request)).get("seconds")
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not math.isfinite(seconds)
        or not 0 <= seconds <= MAX_ADVANCE_S
    ):
        raise bad_request(
            f"seconds must be a number from 0 to {MAX_ADVANCE_S}, got {seconds!r}", "INVALID_BODY"
        )
    state.clock.advance(seconds)
    log.info("sintra_sim.clock_advanced", seconds=seconds)
    return web.json_response({"now": state.now_s()})


def add_admin_routes(app: web.Application) -> None:
    """Register the ``/_sim`` control routes."""
    router = app.router
    router.add_get(f"{ADMIN_PREFIX}/faults", get_faults)
    router.add_post(f"{ADMIN_PREFIX}/faults", update_faults)
    router.add_delete(f"{ADMIN_PREFIX}/faults", reset_faults)
    router.add_post(f"{ADMIN_PREFIX}/ws/drop", drop_websockets)
    router.add_post(f"{ADMIN_PREFIX}/clock/advance", advance_clock)
