"""Handlers of the documented REST endpoints under ``/v1``."""

from __future__ import annotations

import structlog
from aiohttp import web

from botkit.core.clock import NS_PER_SECOND
from botkit.sim.sintra.middleware import principal_of
from botkit.sim.sintra.params import parse_date, parse_history, parse_interval, parse_pair
from botkit.sim.sintra.state import STATE_KEY

log = structlog.get_logger("botkit.sim.sintra")


def _before(date_s: int | None, now_s: int) -> int:
    """The exclusive upper bound of a history page: ``date``, or now, never after now."""
    return now_s if date_s is None else min(date_s, now_s)


async def list_exchanges(request: web.Request) -> web.Response:
    """``GET /v1/exchanges``."""
    return web.json_response(request.app[STATE_KEY].market.exchanges())


async def list_fees(request: web.Request) -> web.Response:
    """``GET /v1/fees``."""
    state = request.app[STATE_KEY]
    return web.json_response(state.market.fees(state.now_s()))


async def fee_history(request: web.Request) -> web.Response:
    """``GET /v1/fees/history`` (Pro)."""
    state = request.app[STATE_KEY]
    query = parse_history(request.query)
    before = _before(query.date, state.now_s())
    return web.json_response(state.market.fee_history(before, query.limit, query.sort))


async def list_pairs(request: web.Request) -> web.Response:
    """``GET /v1/pairs``."""
    return web.json_response(request.app[STATE_KEY].market.pairs())


async def retrieve_pair(request: web.Request) -> web.Response:
    """``GET /v1/pairs/{pair}``, with an optional ``date`` for the 24-hour window."""
    state = request.app[STATE_KEY]
    quote = parse_pair(request.match_info["pair"])
    date_s = parse_date(request.query)
    return web.json_response(state.market.pair_stats(quote, date_s, state.now_s()))


async def list_prices(request: web.Request) -> web.Response:
    """``GET /v1/prices``; currencies named in the ``missing_currencies`` fault are left out."""
    state = request.app[STATE_KEY]
    missing = state.faults.config.missing_currencies
    return web.json_response(state.market.all_prices(state.now_s(), missing))


async def retrieve_price(request: web.Request) -> web.Response:
    """``GET /v1/prices/{pair}``; unsupported quotes fall back to Coinbase's spot price."""
    state = request.app[STATE_KEY]
    quote = parse_pair(request.match_info["pair"])
    return web.json_response(state.market.current_price(quote, state.now_s()))


async def price_history(request: web.Request) -> web.Response:
    """``GET /v1/prices/{pair}/history`` (Pro)."""
    state = request.app[STATE_KEY]
    quote = parse_pair(request.match_info["pair"])
    interval = parse_interval(request.query)
    query = parse_history(request.query)
    before = _before(query.date, state.now_s())
    page = state.market.price_history(quote, interval, before, query.limit, query.sort)
    return web.json_response(page)


async def create_session(request: web.Request) -> web.Response:
    """``POST /v1/sessions`` (Pro): a ``sessionId`` valid for the session lifetime."""
    state = request.app[STATE_KEY]
    principal = principal_of(request)
    if principal is None:  # the gate refuses this earlier; kept for type narrowing
        raise web.HTTPUnauthorized()
    session = state.sessions.create(principal)
    log.info("sintra_sim.session_created", key_id=principal.key_id)
    return web.json_response(
        {"sessionId": session.session_id, "expires_at": session.expires_at_ns // NS_PER_SECOND},
        status=201,
    )


def add_routes(app: web.Application, prefix: str = "/v1") -> None:
    """Register the REST endpoints; route names are what the gate's auth table refers to."""
    router = app.router
    router.add_get(f"{prefix}/exchanges", list_exchanges, name="list_exchanges")
    router.add_get(f"{prefix}/fees", list_fees, name="list_fees")
    router.add_get(f"{prefix}/fees/history", fee_history, name="fee_history")
    router.add_get(f"{prefix}/pairs", list_pairs, name="list_pairs")
    router.add_get(f"{prefix}/pairs/{{pair}}", retrieve_pair, name="retrieve_pair")
    router.add_get(f"{prefix}/prices", list_prices, name="list_prices")
    router.add_get(f"{prefix}/prices/{{pair}}", retrieve_price, name="retrieve_price")
    router.add_get(f"{prefix}/prices/{{pair}}/history", price_history, name="price_history")
    router.add_post(f"{prefix}/sessions", create_session, name="create_session")
