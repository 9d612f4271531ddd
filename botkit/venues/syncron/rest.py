"""Every Syncron REST endpoint as a typed async method, over one session and one rate budget.

``SyncronRestClient`` owns the aiohttp session (through the shared ``HttpClient``), the rate
budget, the credentials and, in JWT mode, the token keeper. Each call has a timeout, spends the
budget, retries transient failures (429 waits as the venue says; 5xx, timeouts and network
failures back off exponentially with full jitter), and parses the envelope at the boundary.
A ``40104`` (clock outside the receive window) resyncs the clock with ``GET /v5/time`` and
retries once; a ``40105`` (token expired) renews the token and retries once.

Placing an order always sends a client order id (generated if not given), so a retry after a
timeout returns the original order instead of placing a second one.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from urllib.parse import urlsplit

import aiohttp
import structlog

from botkit.core.clock import Clock, LiveClock, to_ns
from botkit.core.errors import BotkitError, ConfigError, is_retryable
from botkit.core.retry import RetryPolicy, retry
from botkit.model.enums import OrderType, Side, TimeInForce
from botkit.model.events import Bar, BookSnapshot
from botkit.model.instruments import Instrument
from botkit.model.positions import Balance, Position
from botkit.venues._http import DEFAULT_HTTP_RETRY, HttpClient, HttpResponse, RateLimitHeaders
from botkit.venues._ratelimit import RateBudget, Sleep
from botkit.venues.base import SendDeadline
from botkit.venues.syncron import parse, wire
from botkit.venues.syncron.auth import SyncronCredentials, SyncronSigner, TokenKeeper
from botkit.venues.syncron.budget import MachineRateBudget, make_budget
from botkit.venues.syncron.config import API_KEY_ENV, API_SECRET_ENV, AuthMode, SyncronSettings
from botkit.venues.syncron.errors import SyncronAuthError, error_for, map_error
from botkit.venues.syncron.orders import DecimalLike, new_client_order_id, order_body
from botkit.venues.syncron.results import Execution, OrderReport, Ticker, TokenPair, TradeTick

TimeLike = int | str | date | datetime
"""A time argument: int nanoseconds UTC, ISO-8601 text, a date or a datetime."""

_NS_PER_MS = 1_000_000
_RATE_HEADERS = RateLimitHeaders(
    limit=wire.H_RATE_LIMIT, remaining=wire.H_RATE_REMAINING, reset=wire.H_RATE_RESET, retry_after=wire.H_RETRY_AFTER,
)
_JSON_HEADERS = {wire.H_CONTENT_TYPE: wire.JSON_CONTENT}

log = structlog.get_logger("botkit.venues.syncron")


class SyncronRestClient:
    """Syncron's REST API: market data, tokens, orders, fills, balances and positions.

    One per process and key; share it (or its ``budget``) between the data and execution
    clients. ``clock`` and ``sleep`` are the budget's and the retries' time; ``trace_configs``
    trace the requests of the session it opens (see ``HttpClient``).
    """

    venue = wire.VENUE

    def __init__(
        self,
        settings: SyncronSettings | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        budget: RateBudget | None = None,
        retry_policy: RetryPolicy = DEFAULT_HTTP_RETRY,
        session: aiohttp.ClientSession | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.settings = settings if settings is not None else SyncronSettings()
        try:
            creds = self.settings.credentials()
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        recv = self.settings.recv_window_ms
        self.credentials = SyncronCredentials(creds[0], creds[1], recv) if creds is not None else None
        self.clock: Clock = clock if clock is not None else LiveClock()
        self._offset_ns = 0
        self._owns_budget = budget is None
        self.budget = budget if budget is not None else make_budget(self.settings, clock=self.clock, sleep=sleep)
        self.tokens: TokenKeeper | None = None
        if self.settings.auth_mode is AuthMode.JWT and self.credentials is not None:
            self.tokens = TokenKeeper(self.issue_token, self.refresh_token, self.venue_now_ns,
                                      self.settings.token_refresh_at)
        signer = SyncronSigner(self.credentials, self.venue_now_ms, self.tokens,
                               path_prefix=urlsplit(self.settings.rest_url).path)
        self._http = HttpClient(
            venue=wire.VENUE,
            base_url=self.settings.rest_url,
            budget=self.budget,
            map_error=self._map_error,
            rate_headers=_RATE_HEADERS,
            sign=signer,
            retry_policy=retry_policy,
            timeout_s=self.settings.timeout_s,
            max_retry_after_s=self.settings.max_retry_after_s,
            sleep=sleep,
            rng=rng,
            session=session,
            trace_configs=trace_configs,
        )
        self._instruments: dict[str, Instrument] = {}
        self._retry_policy = retry_policy
        self._sleep = sleep
        self._rng = rng
        self.retry_orders = True
        """Whether order placement and cancels are retried here; the live engine's executor sets it
        False, being the one retry layer of orders (it knows their time-to-live)."""

    def __repr__(self) -> str:
        key = self.credentials.key_hint if self.credentials is not None else None
        return f"SyncronRestClient(rest_url={self.rest_url!r}, api_key={key!r}, auth={self.settings.auth_mode.value!r})"

    @property
    def rest_url(self) -> str:
        """The REST base URL in use (without ``/v5``)."""
        return self._http.base_url

    @property
    def has_credentials(self) -> bool:
        """Whether a key and secret are configured (needed for every private endpoint)."""
        return self.credentials is not None

    def venue_now_ns(self) -> int:
        """Our best estimate of the venue's clock: the local clock plus the measured offset."""
        return self.clock.now_ns() + self._offset_ns

    def venue_now_ms(self) -> int:
        """The venue's clock estimate in ms, as request timestamps carry it."""
        return self.venue_now_ns() // _NS_PER_MS

    def redact(self, text: str) -> str:
        """``text`` with the secret scrubbed (for messages that might echo it)."""
        return self.credentials.redact(text) if self.credentials is not None else text

    async def close(self) -> None:
        """Close the session (and a machine-wide budget this client opened); safe to call twice."""
        await self._http.close()
        if self._owns_budget and isinstance(self.budget, MachineRateBudget):
            self.budget.close()

    # --- market data ------------------------------------------------------------------------

    async def server_time(self) -> int:
        """The venue's clock, ns."""
        return parse.parse_server_time(await self._call("GET", wire.PATH_TIME, "server_time"))

    async def sync_clock(self) -> float:
        """Measure the offset between our clock and the venue's; returns it in seconds.

        Each attempt is timed on its own: the server's time is taken for the midpoint of the one
        round trip that answered, never of a span that includes retries and their backoff (which
        would put our estimate of the venue's clock ahead by half of it, and requests signed with
        it in the venue's future).
        """

        async def measured() -> tuple[int, int, int]:
            before = self.clock.now_ns()
            data = await self._call("GET", wire.PATH_TIME, "server_time", retry_here=False)
            return before, parse.parse_server_time(data), self.clock.now_ns()

        before, server, after = await retry(measured, self._retry_policy, is_retryable, sleep=self._sleep,
                                            rng=self._rng, max_retry_after_s=self.settings.max_retry_after_s)
        self._offset_ns = server - (before + after) // 2
        log.info("syncron.clock_synced", offset_ms=round(self._offset_ns / _NS_PER_MS, 1))
        return self._offset_ns / 1e9

    async def instruments(self, symbol: str | None = None) -> tuple[Instrument, ...]:
        """Tradable symbols with tick size, lot size and minimum notional."""
        params = {wire.Q_SYMBOL: symbol} if symbol is not None else None
        found = parse.parse_instruments(await self._call("GET", wire.PATH_INSTRUMENTS, "instruments", params=params))
        self._instruments.update((i.symbol, i) for i in found)
        return found

    async def instrument(self, symbol: str) -> Instrument:
        """One instrument's rules, fetched once and then cached."""
        if symbol not in self._instruments:
            await self.instruments()
        if symbol not in self._instruments:
            raise ConfigError(f"{wire.VENUE} does not list {symbol!r}; known: {sorted(self._instruments)}")
        return self._instruments[symbol]

    async def ticker(self, symbol: str) -> Ticker:
        """Best bid and ask, last price and 24-hour statistics."""
        data = await self._call("GET", wire.PATH_TICKER, "ticker", params={wire.Q_SYMBOL: symbol})
        return parse.parse_ticker(data)

    async def order_book(self, symbol: str, depth: int = 50) -> BookSnapshot:
        """An L2 snapshot (``depth`` 1..200 levels a side) at the venue's book sequence."""
        _check_range("depth", depth, 1, wire.MAX_DEPTH)
        params = {wire.Q_SYMBOL: symbol, wire.Q_DEPTH: str(depth)}
        return parse.parse_orderbook(await self._call("GET", wire.PATH_ORDERBOOK, "order_book", params=params))

    async def recent_trades(self, symbol: str, limit: int = 100) -> tuple[TradeTick, ...]:
        """Recent public trades (``limit`` 1..1000), newest first, with their trade ids."""
        _check_range("limit", limit, 1, wire.MAX_LIST_LIMIT)
        params = {wire.Q_SYMBOL: symbol, wire.Q_LIMIT: str(limit)}
        return parse.parse_trades(await self._call("GET", wire.PATH_TRADES, "recent_trades", params=params))

    async def klines(
        self, symbol: str, interval: str = "1m", *, start: TimeLike | None = None, end: TimeLike | None = None,
        limit: int = 200,
    ) -> tuple[Bar, ...]:
        """OHLCV bars oldest first; ``start``/``end`` bound the open time (inclusive)."""
        if interval not in wire.KLINE_INTERVALS:
            raise ConfigError(f"interval must be one of {list(wire.KLINE_INTERVALS)}, got {interval!r}")
        _check_range("limit", limit, 1, wire.MAX_LIST_LIMIT)
        params = {wire.Q_SYMBOL: symbol, wire.Q_INTERVAL: interval, wire.Q_LIMIT: str(limit)}
        for name, value in ((wire.Q_START, start), (wire.Q_END, end)):
            if value is not None:
                params[name] = str(to_ns(value) // _NS_PER_MS)
        return parse.parse_klines(await self._call("GET", wire.PATH_KLINES, "klines", params=params), symbol)

    # --- tokens -------------------------------------------------------------------------------

    async def issue_token(self) -> TokenPair:
        """A new JWT pair (a signed ``POST /v5/auth/token``)."""
        self._require_credentials("issue_token")
        data = await self._call("POST", wire.PATH_AUTH_TOKEN, "issue_token", body={})
        return parse.parse_token_pair(data, "issue_token")

    async def refresh_token(self, refresh_token: str) -> TokenPair:
        """A new JWT pair for a (single-use) refresh token."""
        data = await self._call("POST", wire.PATH_AUTH_REFRESH, "refresh_token",
                                body={wire.B_REFRESH_TOKEN: refresh_token})
        return parse.parse_token_pair(data, "refresh_token")

    # --- trading ------------------------------------------------------------------------------

    async def place_order(
        self,
        symbol: str,
        side: Side,
        qty: DecimalLike,
        *,
        order_type: OrderType = OrderType.LIMIT,
        price: DecimalLike | None = None,
        stop_price: DecimalLike | None = None,
        time_in_force: TimeInForce | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        client_order_id: str | None = None,
    ) -> OrderReport:
        """Place an order; returns it after matching (an IOC comes back filled or expired).

        Idempotent: a retry with the same ``client_order_id`` (generated when None) returns the
        original order, so timeouts are retried safely and never place a second order.
        """
        cid = client_order_id if client_order_id is not None else new_client_order_id()
        body = order_body(symbol, side, qty, order_type=order_type, price=price, stop_price=stop_price,
                          time_in_force=time_in_force, post_only=post_only, reduce_only=reduce_only,
                          client_order_id=cid)
        log.info("syncron.order.placing", client_order_id=cid, symbol=symbol, side=body[wire.F_SIDE],
                 type=body[wire.F_TYPE], qty=body[wire.F_QTY])
        return parse.parse_order(await self.place_order_body(body), "place_order")

    async def place_order_body(self, body: Mapping[str, object], *, deadline: SendDeadline | None = None) -> object:
        """Send a prepared ``POST /v5/order`` body (see ``orders.order_body``); the raw ``data``.

        With a ``deadline`` the request is never written after it (``SendDeadlinePassed``).
        """
        if not body.get(wire.F_CLIENT_ORDER_ID):
            raise ConfigError("an order body must carry a client_order_id, so retries cannot place it twice")
        return await self._call("POST", wire.PATH_ORDER, "place_order", body=body, private=True,
                                retry_here=self.retry_orders, deadline=deadline)

    async def get_order(self, *, order_id: str | None = None, client_order_id: str | None = None) -> OrderReport:
        """One own order, open or finished, by exactly one of its ids."""
        params = _order_ref(order_id, client_order_id)
        return parse.parse_order(await self._call("GET", wire.PATH_ORDER, "get_order", params=params, private=True),
                                 "get_order")

    async def cancel_order(self, *, order_id: str | None = None, client_order_id: str | None = None) -> OrderReport:
        """Cancel one open order; ``SyncronOrderNotOpen`` if it already finished."""
        params = _order_ref(order_id, client_order_id)
        data = await self._call("DELETE", wire.PATH_ORDER, "cancel_order", params=params, private=True,
                                retry_here=self.retry_orders)
        return parse.parse_order(data, "cancel_order")

    async def open_orders(self, symbol: str | None = None) -> tuple[OrderReport, ...]:
        """Open orders (of ``symbol``, or all), oldest first."""
        params = {wire.Q_SYMBOL: symbol} if symbol is not None else None
        data = await self._call("GET", wire.PATH_OPEN_ORDERS, "open_orders", params=params, private=True)
        return parse.parse_orders(data, "open_orders")

    async def cancel_all(self, symbol: str | None = None) -> tuple[OrderReport, ...]:
        """Cancel every open order (of ``symbol``, or all); returns the canceled orders."""
        params = {wire.Q_SYMBOL: symbol} if symbol is not None else None
        data = await self._call("DELETE", wire.PATH_OPEN_ORDERS, "cancel_all", params=params, private=True)
        return parse.parse_orders(data, "cancel_all")

    async def fills(self, symbol: str | None = None, *, order_id: str | None = None, limit: int = 100,
                    start: TimeLike | None = None, end: TimeLike | None = None) -> tuple[Execution, ...]:
        """Own fills (``limit`` 1..1000), newest first, with fill and trade ids; ``start``/``end`` inclusive."""
        _check_range("limit", limit, 1, wire.MAX_LIST_LIMIT)
        params = {wire.Q_LIMIT: str(limit)}
        for name, value in ((wire.Q_START, start), (wire.Q_END, end)):
            if value is not None:
                params[name] = str(to_ns(value) // _NS_PER_MS)
        if symbol is not None:
            params[wire.Q_SYMBOL] = symbol
        if order_id is not None:
            params[wire.Q_ORDER_ID] = order_id
        return parse.parse_fills(await self._call("GET", wire.PATH_FILLS, "fills", params=params, private=True))

    # --- account ------------------------------------------------------------------------------

    async def balances(self) -> tuple[Balance, ...]:
        """Free and locked funds per asset."""
        return parse.parse_balances(await self._call("GET", wire.PATH_BALANCES, "balances", private=True))

    async def positions(self, symbol: str | None = None) -> tuple[Position, ...]:
        """Net positions per symbol (signed quantity, average price, realized PnL)."""
        params = {wire.Q_SYMBOL: symbol} if symbol is not None else None
        return parse.parse_positions(await self._call("GET", wire.PATH_POSITIONS, "positions", params=params,
                                                      private=True))

    # --- internals ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        private: bool = False,
        retry_here: bool = True,
        deadline: SendDeadline | None = None,
    ) -> object:
        """One call: authenticate, send (with retries unless ``retry_here`` is False), unwrap the envelope."""
        if private:
            self._require_credentials(endpoint)
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        headers = _JSON_HEADERS if raw is not None else None
        for attempt in (1, 2):
            if private and self.tokens is not None:
                await self.tokens.token()
            try:
                response = await self._http.request(method, path, endpoint=endpoint, params=params, body=raw,
                                                    headers=headers, retry_here=retry_here, deadline=deadline)
            except SyncronAuthError as error:
                if attempt == 1 and error.wire_code == wire.E_TIMESTAMP_OUTSIDE_WINDOW:
                    await self.sync_clock()
                    continue
                if attempt == 1 and error.wire_code == wire.E_TOKEN_EXPIRED and self.tokens is not None:
                    await self.sync_clock()  # we thought it valid: our clock is probably off
                    self.tokens.invalidate()
                    continue
                raise
            return self._data(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _data(self, response: HttpResponse) -> object:
        envelope = parse.parse_envelope(response.json(), response.endpoint)
        if envelope.error is not None:
            raise error_for(envelope.error, response.endpoint, response.status, None, self.redact)
        return envelope.data

    def _map_error(self, response: HttpResponse) -> BotkitError:
        return map_error(response, self.redact)

    def _require_credentials(self, endpoint: str) -> None:
        if self.credentials is None:
            raise ConfigError(f"{wire.VENUE} {endpoint} is private: set {API_KEY_ENV} and {API_SECRET_ENV}")


def _order_ref(order_id: str | None, client_order_id: str | None) -> dict[str, str]:
    if (order_id is None) == (client_order_id is None):
        raise ConfigError("give exactly one of order_id and client_order_id")
    return {wire.Q_ORDER_ID: order_id} if order_id is not None else {wire.Q_CLIENT_ORDER_ID: str(client_order_id)}


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be an integer in {low}..{high}, got {value!r}")

