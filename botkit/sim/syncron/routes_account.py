"""Private account routes and the JWT token routes."""

from __future__ import annotations

from botkit.sim.syncron.auth import TokenPair
from botkit.sim.syncron.params import EmptyBody, OptionalSymbolQuery, RefreshBody
from botkit.sim.syncron.routing import Call, Route
from botkit.sim.syncron.schemas import BalanceOut, PositionOut, TokenOut
from botkit.sim.syncron.views import balances_view, positions_view


def _token_out(pair: TokenPair) -> object:
    return TokenOut(
        token=pair.token,
        expires_at=pair.expires_at,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    ).wire()


async def issue_token(call: Call) -> object:
    """Issue a JWT pair to a signed request."""
    return _token_out(call.ctx.auth.issue_tokens(call.account))


async def refresh_token(call: Call) -> object:
    """Spend a refresh token for a new JWT pair."""
    return _token_out(call.ctx.auth.refresh(call.body(RefreshBody).refresh_token))


async def balances(call: Call) -> object:
    """Balances per asset."""
    return [b.wire() for b in balances_view(call.account)]


async def positions(call: Call) -> object:
    """Positions per symbol, marked to the mid price."""
    q = call.query(OptionalSymbolQuery)
    return [p.wire() for p in positions_view(call.ctx.exchange, call.account, q.symbol)]


ACCOUNT_ROUTES = (
    Route(
        "POST",
        "/v5/auth/token",
        issue_token,
        "Issue a JWT (signed request)",
        "signed",
        "auth",
        body=EmptyBody,
        response=TokenOut,
    ),
    Route(
        "POST",
        "/v5/auth/refresh",
        refresh_token,
        "Rotate a JWT with its refresh token",
        "public",
        "auth",
        body=RefreshBody,
        response=TokenOut,
    ),
    Route(
        "GET",
        "/v5/account/balances",
        balances,
        "Balances",
        "read",
        "account",
        response=BalanceOut,
        many=True,
    ),
    Route(
        "GET",
        "/v5/account/positions",
        positions,
        "Positions",
        "read",
        "account",
        query=OptionalSymbolQuery,
        response=PositionOut,
        many=True,
    ),
)
"""Auth and account routes, in the order the contract lists them."""
