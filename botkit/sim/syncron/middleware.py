"""aiohttp middlewares: rate-limit headers and 429s, injected HTTP faults, error envelopes."""

from __future__ import annotations

import math
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from botkit.sim.syncron.context import CONTEXT_KEY
from botkit.sim.syncron.errors import ApiError, ErrorCode, error_response, invalid_parameter
from botkit.sim.syncron.inputs import MAX_BODY_BYTES
from botkit.sim.syncron.ratelimit import RateState

log = structlog.get_logger("botkit.sim.syncron")

RATE_STATE_KEY: web.RequestKey[RateState] = web.RequestKey("syncron_rate_state", RateState)
"""Request key holding the ``RateState``, for handlers that must set headers themselves (WS)."""


def _limited(path: str) -> bool:
    return path.startswith("/v5")


@web.middleware
async def rate_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count the request against its API key or IP; add the three headers; 429 when spent."""
    if not _limited(request.path):
        return await handler(request)
    ctx = request.app[CONTEXT_KEY]
    key = ctx.auth.identify(request)
    state = ctx.limiter.hit(f"key:{key}" if key else f"ip:{request.remote}")
    request[RATE_STATE_KEY] = state
    if state.allowed:
        response = await handler(request)
    else:
        log.info("sim.http.rate_limited", bucket="key" if key else "ip", path=request.path)
        response = _too_many(state, ctx.now_ms())
    if not response.prepared:
        response.headers.update(state.headers())
    return response


def _too_many(state: RateState, now_ms: int) -> web.Response:
    return _too_many_for(max(0, state.reset_ms - now_ms), now_ms)


def _too_many_for(wait_ms: int, now_ms: int) -> web.Response:
    error = ApiError(ErrorCode.RATE_LIMITED, "rate limit exceeded", {"retry_after_ms": wait_ms})
    response = error_response(error, now_ms)
    response.headers["Retry-After"] = str(math.ceil(wait_ms / 1000))
    return response


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a configured fraction of ``/v5`` requests with 503 or 429 without running them.

    A 429 starts a burst of ``http_429_burst`` in a row; it asks to wait ``http_429_retry_after_ms``
    (default: until the caller's rate window resets, as a real limit would).
    """
    if not _limited(request.path):
        return await handler(request)
    ctx = request.app[CONTEXT_KEY]
    faults = ctx.faults
    if faults.roll(faults.config.http_error_rate):
        log.info("sim.fault.http_error", path=request.path)
        return error_response(
            ApiError(ErrorCode.SERVICE_UNAVAILABLE, "service unavailable"), ctx.now_ms()
        )
    if faults.roll_429():
        log.info("sim.fault.http_429", path=request.path)
        wait_ms = faults.config.http_429_retry_after_ms
        state = request.get(RATE_STATE_KEY)
        if wait_ms is None and state is not None:
            return _too_many(state, ctx.now_ms())
        return _too_many_for(1000 if wait_ms is None else wait_ms, ctx.now_ms())
    return await handler(request)


@web.middleware
async def envelope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ApiErrors, aiohttp's own 4xx and unexpected failures into error envelopes; log the call.

    Client mistakes are always 4xx (the input boundary, ``inputs``, makes them ``ApiError``s);
    ``50001`` is left for the simulator's own bugs, and logged with the traceback.
    """
    ctx = request.app[CONTEXT_KEY]
    started = time.perf_counter()
    try:
        response = await handler(request)
    except ApiError as error:
        response = error_response(error, ctx.now_ms())
    except web.HTTPClientError as error:  # raised by aiohttp itself: no route, body too large...
        response = error_response(_client_error(request, error), ctx.now_ms())
    except Exception:
        # The server boundary: whatever broke, the client gets the contract's 50001 envelope.
        log.exception("sim.http.internal_error", method=request.method, path=request.path)
        response = error_response(
            ApiError(ErrorCode.INTERNAL_ERROR, "internal error"), ctx.now_ms()
        )
    log.debug(
        "sim.http.request",
        method=request.method,
        path=request.path,
        status=response.status,
        ms=round((time.perf_counter() - started) * 1000, 2),
    )
    return response


def _client_error(request: web.Request, error: web.HTTPClientError) -> ApiError:
    """The contract's error for a 4xx aiohttp raised before or while the handler ran."""
    if isinstance(error, web.HTTPNotFound):
        return ApiError(ErrorCode.NOT_FOUND, f"no route {request.path}")
    if isinstance(error, web.HTTPMethodNotAllowed):
        return ApiError(
            ErrorCode.METHOD_NOT_ALLOWED, f"{request.method} not allowed on {request.path}"
        )
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return ApiError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"request body larger than {MAX_BODY_BYTES} bytes",
            {"max_bytes": MAX_BODY_BYTES},
        )
    return invalid_parameter("request", error.reason or f"HTTP {error.status}")
