"""The WebSocket endpoint: ``connection``, periodic ``data`` and ``error`` events."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiohttp import WSCloseCode, web

from botkit.core.clock import NS_PER_SECOND
from botkit.sim.sintra.config import Plan
from botkit.sim.sintra.faults import WsFault
from botkit.sim.sintra.sessions import SessionStatus
from botkit.sim.sintra.state import STATE_KEY, SintraSimState

CLOSE_TIMEOUT_S = 2.0

log = structlog.get_logger("botkit.sim.sintra")

_SESSION_PROBLEMS = {
    SessionStatus.UNKNOWN: (
        "SESSION_INVALID",
        "Unknown sessionId; sending Starter plan updates every {interval} s",
    ),
    SessionStatus.EXPIRED: (
        "SESSION_EXPIRED",
        "sessionId has expired; create a new session. Sending Starter plan updates every "
        "{interval} s",
    ),
}


def error_event(message: str, type_: str, code: str | None = None) -> dict[str, object]:
    """An ``error`` event: ``{"event": "error", "data": {message, type, code}}``."""
    data: dict[str, object] = {"message": message, "type": type_}
    if code is not None:
        data["code"] = code
    return {"event": "error", "data": data}


def _plan_for(session_id: str | None, state: SintraSimState) -> tuple[Plan, SessionStatus | None]:
    """The connection's plan, and the session problem to report, if any."""
    if session_id is None:
        return Plan.STARTER, None
    status, _session = state.sessions.check(session_id)
    if status is SessionStatus.VALID:
        return Plan.PRO, None
    return Plan.STARTER, status


async def websocket_handler(request: web.Request) -> web.WebSocketResponse:
    """``GET /ws[?sessionId=...]``: push prices at the plan's interval until the client leaves."""
    state = request.app[STATE_KEY]
    ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT_S)
    await ws.prepare(request)
    state.websockets[ws] = request
    plan, problem = _plan_for(request.query.get("sessionId"), state)
    interval = state.config.plans[plan].ws_interval_s
    log.info("sintra_sim.ws_connected", plan=plan.value, session_problem=problem)
    try:
        await ws.send_json(
            {
                "event": "connection",
                "data": {
                    "message": "Connected to Sintra websocket server",
                    "plan": plan.value,
                    "interval": interval,
                },
            }
        )
        if problem is not None:
            code, text = _SESSION_PROBLEMS[problem]
            await ws.send_json(
                error_event(text.format(interval=interval), "AuthenticationError", code)
            )
        await _serve_connection(request, ws, state, interval)
    except ConnectionError:
        log.info("sintra_sim.ws_lost")
    finally:
        state.websockets.pop(ws, None)
        log.info("sintra_sim.ws_closed", plan=plan.value)
    return ws


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read until the client closes; the server ignores what clients send."""
    async for _message in ws:
        pass


async def _serve_connection(
    request: web.Request, ws: web.WebSocketResponse, state: SintraSimState, interval_s: int
) -> None:
    """Send updates while reading the client, until either side stops."""
    sender = asyncio.create_task(_send_updates(request, ws, state, interval_s))
    reader = asyncio.create_task(_drain(ws))
    try:
        await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sender.cancel()
        reader.cancel()
        await asyncio.wait({sender, reader})
    failure = None if sender.cancelled() else sender.exception()
    if failure is not None:
        log.error("sintra_sim.ws_sender_failed", error=repr(failure))
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"simulator error")


async def _send_updates(
    request: web.Request, ws: web.WebSocketResponse, state: SintraSimState, interval_s: int
) -> None:
    """Send ``data`` events on the simulator-time grid of ``interval_s``, applying WS faults."""
    clock = state.clock
    interval_ns = interval_s * NS_PER_SECOND
    tick_ns = -(-clock.now_ns() // interval_ns) * interval_ns
    sent = 0
    try:
        while not ws.closed:
            while (wait_ns := tick_ns - clock.now_ns()) > 0:
                await asyncio.sleep(clock.wall_seconds(wait_ns / NS_PER_SECOND))
            now_ns = clock.now_ns()
            if now_ns - tick_ns >= interval_ns:  # the clock jumped: skip, do not flood
                tick_ns = now_ns // interval_ns * interval_ns
            fault = state.faults.ws_fault(sent)
            if fault is WsFault.DROP:
                log.info("sintra_sim.fault_injected", kind="ws_drop", after_events=sent)
                drop_connection(request)
                return
            if fault is WsFault.MALFORMED:
                log.info("sintra_sim.fault_injected", kind="ws_malformed")
                await ws.send_str(state.faults.malformed_event())
            else:
                prices = state.market.all_prices(
                    tick_ns // NS_PER_SECOND, state.faults.config.missing_currencies
                )
                await ws.send_json({"event": "data", "data": prices})
            sent += 1
            tick_ns += interval_ns
    except ConnectionError:
        log.info("sintra_sim.ws_send_failed", sent=sent)


def drop_connection(request: web.Request) -> None:
    """Cut a connection's TCP stream without a close frame, like a network failure."""
    transport = request.transport
    if transport is not None:
        transport.abort()


def drop_all(state: SintraSimState) -> int:
    """Cut every open connection at once; returns how many were cut."""
    requests = [request for ws, request in state.websockets.items() if not ws.closed]
    for request in requests:
        drop_connection(request)
    log.info("sintra_sim.fault_injected", kind="ws_drop_all", connections=len(requests))
    return len(requests)


async def close_all(state: SintraSimState) -> None:
    """On shutdown: tell every client, then close with 1001 (going away), all at once."""
    await asyncio.gather(*(_say_goodbye(ws) for ws in list(state.websockets) if not ws.closed))


async def _say_goodbye(ws: web.WebSocketResponse) -> None:
    with contextlib.suppress(ConnectionError):
        await ws.send_json(
            error_event("Server is shutting down", "ConnectionError", "SERVER_SHUTDOWN")
        )
    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
