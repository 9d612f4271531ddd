"""The route table type, and the adapter that gives each handler auth, params and an envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from botkit.sim.syncron.accounts import Account
from botkit.sim.syncron.context import CONTEXT_KEY, SimContext
from botkit.sim.syncron.errors import ApiError, ErrorCode, invalid_parameter, ok_response
from botkit.sim.syncron.inputs import query_params, read_json_object, shown_name

M = TypeVar("M", bound=BaseModel)
Auth = Literal["public", "read", "trade", "signed", "admin"]


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the request, the app context, the caller's account and its params."""

    request: web.Request
    ctx: SimContext
    account_or_none: Account | None
    query_or_none: BaseModel | None
    body_or_none: BaseModel | None

    @property
    def account(self) -> Account:
        """The authenticated account (private routes only)."""
        if self.account_or_none is None:
            raise ApiError(ErrorCode.MISSING_CREDENTIALS, "missing credentials")
        return self.account_or_none

    def query(self, model: type[M]) -> M:
        """The parsed query, as the route's query model."""
        assert isinstance(self.query_or_none, model)
        return self.query_or_none

    def body(self, model: type[M]) -> M:
        """The parsed JSON body, as the route's body model."""
        assert isinstance(self.body_or_none, model)
        return self.body_or_none


Handler = Callable[[Call], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Route:
    """One REST route: the single description the app, the OpenAPI document and tests share.

    ``response`` is the model of ``data`` (a list of it when ``many``); ``raw`` handlers return a
    finished ``web.Response`` without an envelope (docs pages).
    """

    method: str
    path: str
    handler: Handler
    summary: str
    auth: Auth
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    raw: bool = False


def _validation_error(error: ValidationError, where: str) -> ApiError:
    first = error.errors()[0]
    name = ".".join(str(p) for p in first["loc"]) or where
    return invalid_parameter(shown_name(name), first["msg"])


def _parse(model: type[BaseModel], data: object, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _validation_error(error, where) from None


async def _read_body(request: web.Request) -> object:
    """The JSON body as a bounded object (``inputs``); an empty body is ``{}``."""
    raw = await request.read()  # more than the app's client_max_size raises a 413
    if not raw.strip():
        return {}
    return read_json_object(raw, "body")


def aiohttp_handler(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap ``route.handler``: authenticate, parse query and body, put the result in an envelope."""

    async def handle(request: web.Request) -> web.StreamResponse:
        ctx = request.app[CONTEXT_KEY]
        account: Account | None = None
        if route.auth in ("read", "trade"):
            account = await ctx.auth.authenticate(
                request, "trade" if route.auth == "trade" else "read"
            )
        elif route.auth == "signed":
            account = await ctx.auth.authenticate(request, "read", allow_bearer=False)
        query = _parse(route.query, query_params(request), "query") if route.query else None
        body = _parse(route.body, await _read_body(request), "body") if route.body else None
        result = await route.handler(Call(request, ctx, account, query, body))
        if route.raw:
            assert isinstance(result, web.StreamResponse)
            return result
        return ok_response(result, ctx.now_ms())

    return handle
