"""The request gate of every ``/v1`` call: credentials, rate limit, auth requirement, faults.

It also turns every error into the documented JSON body and puts the ``X-RateLimit-*``
headers on every ``/v1`` response, errors included.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from botkit.sim.sintra.auth import InvalidCredentialsError, Principal
from botkit.sim.sintra.config import Plan, SintraSimConfig
from botkit.sim.sintra.errors import SintraHttpError, from_http_exception
from botkit.sim.sintra.ratelimit import RateDecision
from botkit.sim.sintra.state import STATE_KEY, SintraSimState

API_PREFIX = "/v1"
PROTECTED_ROUTES = frozenset({"fee_history", "price_history", "create_session"})
"""Names of the routes that need a Pro key."""

_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Basic realm="sintra"'}

log = structlog.get_logger("botkit.sim.sintra")


def client_ip(request: web.Request, config: SintraSimConfig) -> str:
    """The address rate limits are counted for (``X-Forwarded-For`` only if trusted)."""
    if config.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.remote or "unknown"


def principal_of(request: web.Request) -> Principal | None:
    """Who the request authenticated as (the gate has already refused bad credentials)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    return request.app[STATE_KEY].keys.authenticate(header)


def _is_api(request: web.Request) -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


class _Admission(NamedTuple):
    """The request's rate decision and the outcome of its credentials."""

    decision: RateDecision
    principal: Principal | None
    invalid: InvalidCredentialsError | None
    ip: str


def _count(request: web.Request, state: SintraSimState) -> _Admission:
    """Check credentials and count the request against its IP's plan window."""
    principal: Principal | None = None
    invalid: InvalidCredentialsError | None = None
    header = request.headers.get("Authorization")
    if header is not None:
        try:
            principal = state.keys.authenticate(header)
        except InvalidCredentialsError as exc:
            invalid = exc
    plan = principal.plan if principal is not None else Plan.STARTER
    ip = client_ip(request, state.config)
    decision = state.limiter.hit(ip, plan.value, state.config.plans[plan].requests_per_window)
    return _Admission(decision, principal, invalid, ip)


async def _admit(request: web.Request, state: SintraSimState, admission: _Admission) -> None:
    """Raise the documented error if the request may not run; inject faults."""
    decision, principal, invalid, ip = admission
    if not decision.allowed:
        log.info("sintra_sim.rate_limited", ip=ip, limit=decision.limit)
        raise SintraHttpError(
            429,
            f"Rate limit of {decision.limit} requests per window reached; "
            f"retry after {decision.retry_after_s} s",
            "RATE_LIMIT_EXCEEDED",
        )
    if invalid is not None:
        log.info("sintra_sim.auth_failed", ip=ip, key_id=invalid.key_id, reason=invalid.reason)
        raise SintraHttpError(
            401, f"Invalid API key: {invalid.reason}", "API_KEY_INVALID", _WWW_AUTHENTICATE
        )
    if request.match_info.route.name in PROTECTED_ROUTES:
        if principal is None:
            raise SintraHttpError(
                401,
                "This endpoint requires an API key (Pro plan)",
                "API_KEY_MISSING",
                _WWW_AUTHENTICATE,
            )
        if principal.plan is not Plan.PRO:
            raise SintraHttpError(403, "This endpoint needs the Pro plan", "PLAN_UPGRADE_REQUIRED")
    faults = state.faults.config
    if faults.latency_s > 0:
        await asyncio.sleep(faults.latency_s)
    injected = state.faults.http_error_status()
    if injected is not None:
        log.info("sintra_sim.fault_injected", kind="http_error", status=injected)
        raise SintraHttpError(injected, "Injected server error (simulator fault)")


@web.middleware
async def sintra_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Gate ``/v1`` requests and render every error as the documented JSON body."""
    state = request.app[STATE_KEY]
    admission: _Admission | None = None
    try:
        if _is_api(request):
            admission = _count(request, state)
            await _admit(request, state, admission)
        response = await handler(request)
    except SintraHttpError as exc:
        response = exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = from_http_exception(exc).response()
    except Exception:  # the server boundary: a bug still answers with the documented body
        log.exception("sintra_sim.handler_failed", path=request.path)
        response = SintraHttpError(500, "Internal server error").response()
    if admission is not None:
        response.headers.update(admission.decision.headers())
        log.debug(
            "sintra_sim.request", method=request.method, path=request.path, status=response.status
        )
    return response
