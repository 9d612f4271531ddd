"""The Sintra client: every REST endpoint as a typed async method, and the price feed.

One ``SintraDataClient`` per process and plan: it holds the aiohttp session and the rate budget
(10 requests a minute on Starter, 250 on Pro, per IP), so share it, or pass one ``budget`` to
several clients. Arguments are checked before sending (``botkit.venues.sintra.params``); error
responses become core errors (``botkit.venues.sintra.errors``); bodies are read by
``botkit.venues.sintra.parse``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Collection, Mapping
from types import TracebackType
from typing import Self

import aiohttp

from botkit.core.clock import Clock, LiveClock
from botkit.core.retry import RetryPolicy
from botkit.model.events import MarketEvent, Price
from botkit.model.instruments import Instrument
from botkit.venues._http import DEFAULT_HTTP_RETRY, HttpClient, HttpResponse, RateLimitHeaders
from botkit.venues._ratelimit import RateBudget, Sleep
from botkit.venues._ws import WsOptions
from botkit.venues.errors import VenueApiError
from botkit.venues.sintra import parse, wire
from botkit.venues.sintra.auth import SintraCredentials
from botkit.venues.sintra.config import SintraPlan, SintraSettings
from botkit.venues.sintra.errors import map_error
from botkit.venues.sintra.params import (
    TimeLike,
    date_arg,
    interval_arg,
    limit_arg,
    pair_arg,
    quote_of,
    sort_arg,
)
from botkit.venues.sintra.results import (
    Exchange,
    FeeLevel,
    FeeSnapshot,
    Pair,
    PairStats,
    PriceBoard,
    Session,
)
from botkit.venues.sintra.stream import SintraPriceStream

BUDGET_MARGIN_S = 0.5
"""Added to Sintra's 60-second window, for clock differences between us and the venue."""

_RATE_HEADERS = RateLimitHeaders(
    limit=wire.H_RATE_LIMIT,
    remaining=wire.H_RATE_REMAINING,
    reset=wire.H_RATE_RESET,
    retry_after=wire.H_RETRY_AFTER,
)


class SintraDataClient:
    """Sintra's BTC reference prices, fees and sessions over REST, and prices over WebSocket.

    ``clock`` and ``sleep`` are the rate budget's and the retries' time: pass a simulated clock
    and a sleep that advances it to test a minute of rate limiting in no time.
    """

    venue = wire.VENUE

    def __init__(
        self,
        settings: SintraSettings | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        budget: RateBudget | None = None,
        retry_policy: RetryPolicy = DEFAULT_HTTP_RETRY,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings if settings is not None else SintraSettings()
        self.plan: SintraPlan = self.settings.effective_plan
        key = self.settings.api_key
        self.credentials = SintraCredentials(key, self.settings.auth_form) if key is not None else None
        self.clock: Clock = clock if clock is not None else LiveClock()
        self._sleep = sleep
        self._rng = rng
        self.budget = budget or RateBudget(
            wire.PLAN_LIMITS[self.plan.value],
            wire.RATE_WINDOW_S,
            name=wire.VENUE,
            clock=self.clock,
            sleep=sleep,
            margin_s=BUDGET_MARGIN_S,
        )
        self._http = HttpClient(
            venue=wire.VENUE,
            base_url=self.settings.rest_url,
            budget=self.budget,
            map_error=self._map_error,
            rate_headers=_RATE_HEADERS,
            sign=self.credentials.headers if self.credentials is not None else None,
            retry_policy=retry_policy,
            timeout_s=self.settings.timeout_s,
            sleep=sleep,
            rng=rng,
            session=session,
        )
        self._streams: list[SintraPriceStream] = []

    def __repr__(self) -> str:
        key_id = self.credentials.key_id if self.credentials is not None else None
        return f"SintraDataClient(rest_url={self.rest_url!r}, plan={self.plan.value!r}, key_id={key_id!r})"

    @property
    def rest_url(self) -> str:
        """The REST base URL in use."""
        return self._http.base_url

    @property
    def ws_url(self) -> str:
        """The WebSocket URL in use (without a session)."""
        return self.settings.websocket_url

    @property
    def has_credentials(self) -> bool:
        """Whether an API key is configured (needed for history endpoints and sessions)."""
        return self.credentials is not None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close open price streams and the HTTP session; safe to call twice."""
        for stream in self._streams:
            await stream.close()
        self._streams.clear()
        await self._http.close()

    # --- REST endpoints ----------------------------------------------------------------------

    async def list_exchanges(self) -> tuple[Exchange, ...]:
        """The crypto exchanges Sintra receives trade data from."""
        return parse.parse_exchanges(await self._get(wire.PATH_EXCHANGES, "list_exchanges"))

    async def list_fees(self) -> tuple[FeeLevel, ...]:
        """The latest Bitcoin fees (sat/vB), lowest priority first."""
        return parse.parse_fees(await self._get(wire.PATH_FEES, "list_fees"))

    async def list_fee_history(
        self, *, date: TimeLike | None = None, sort: str = "asc", limit: int = wire.DEFAULT_LIMIT
    ) -> tuple[FeeSnapshot, ...]:
        """Hourly fees: the ``limit`` (1..25) latest hours before ``date`` (default now). Pro."""
        params = self._history_params(date, sort, limit)
        body = await self._get(wire.PATH_FEE_HISTORY, "list_fee_history", params)
        return parse.parse_fee_history(body)

    async def retrieve_pair(self, pair: str, *, date: TimeLike | None = None) -> PairStats:
        """Statistics of ``pair`` over ``[date, date + 24 h)``, or the current UTC day so far."""
        path = wire.PATH_PAIR.format(pair=pair_arg(pair))
        params = {} if date is None else {wire.Q_DATE: date_arg("date", date)}
        return parse.parse_pair_stats(await self._get(path, "retrieve_pair", params))

    async def list_pairs(self) -> tuple[Pair, ...]:
        """The supported pairs."""
        return parse.parse_pairs(await self._get(wire.PATH_PAIRS, "list_pairs"))

    async def retrieve_price(self, pair: str) -> Price:
        """The current price of ``pair``; ``source == "coinbase"`` marks Coinbase's fallback."""
        path = wire.PATH_PRICE.format(pair=pair_arg(pair))
        return parse.parse_price(await self._get(path, "retrieve_price"))

    async def list_prices(self) -> PriceBoard:
        """The current price of every supported currency present (some may be missing)."""
        return parse.parse_price_board(await self._get(wire.PATH_PRICES, "list_prices"))

    async def list_price_history(
        self,
        pair: str,
        *,
        interval: str = "minute",
        date: TimeLike | None = None,
        sort: str = "asc",
        limit: int = wire.DEFAULT_LIMIT,
    ) -> tuple[Price, ...]:
        """The ``limit`` (1..25) latest grid prices before ``date`` (default now). Pro.

        To walk backwards, pass the earliest ``ts`` of a page as the next ``date``.
        """
        pair = pair_arg(pair)
        params = {
            wire.Q_INTERVAL: interval_arg(interval),
            **self._history_params(date, sort, limit),
        }
        path = wire.PATH_PRICE_HISTORY.format(pair=pair)
        body = await self._get(path, "list_price_history", params)
        return parse.parse_price_history(body, quote_of(pair))

    async def create_session(self) -> Session:
        """A new WebSocket session (valid 10 minutes) for 1-second updates. Pro."""
        response = await self._http.request("POST", wire.PATH_SESSIONS, endpoint="create_session")
        return parse.parse_session(response.json())

    # --- Roles (botkit.venues.base) ----------------------------------------------------------

    async def instruments(self) -> tuple[Instrument, ...]:
        """The supported pairs as instruments (symbol ``BTCUSD``; prices have 2 decimals)."""
        return tuple(
            Instrument(symbol=p.pair.upper(), venue=wire.VENUE, base=p.base, quote=p.quote, tick_size=0.01)
            for p in await self.list_pairs()
        )

    def stream_prices(
        self,
        quotes: Collection[str] | None = None,
        *,
        use_session: bool | None = None,
        options: WsOptions | None = None,
    ) -> SintraPriceStream:
        """The WebSocket price feed (``async for price in stream``), reconnecting by itself.

        With a key (or ``use_session=True``) every connection first creates a fresh session for
        1-second updates; without, updates come every 10 seconds. ``quotes`` keeps only those
        currencies (e.g. ``{"usd"}``).
        """
        with_session = self.has_credentials if use_session is None else use_session
        stream = SintraPriceStream(
            self.ws_url,
            self.create_session if with_session else None,
            quotes=quotes,
            options=options,
            sleep=self._sleep,
            rng=self._rng,
        )
        self._streams.append(stream)
        return stream

    def stream(self, symbols: Collection[str] | None = None) -> AsyncIterator[MarketEvent]:
        """``MarketDataClient.stream``: prices of ``symbols`` (pairs such as ``BTCUSD``)."""
        quotes = None if symbols is None else {pair_arg(s)[len(wire.BASE_CURRENCY) :] for s in symbols}
        return aiter(self.stream_prices(quotes))

    # --- internals ---------------------------------------------------------------------------

    async def _get(self, path: str, endpoint: str, params: Mapping[str, str] | None = None) -> object:
        response = await self._http.request("GET", path, endpoint=endpoint, params=params)
        return response.json()

    def _map_error(self, response: HttpResponse) -> VenueApiError:
        redact = self.credentials.redact if self.credentials is not None else str
        return map_error(response, redact)

    @staticmethod
    def _history_params(date: TimeLike | None, sort: str, limit: int) -> dict[str, str]:
        params = {wire.Q_SORT: sort_arg(sort), wire.Q_LIMIT: limit_arg(limit)}
        if date is not None:
            params[wire.Q_DATE] = date_arg("date", date)
        return params
