"""The REST machinery every venue client shares.

``HttpClient`` owns one aiohttp session with timeouts, adds the venue's signing headers to each
request, spends the client-side ``RateBudget``, retries transient failures with
``botkit.core.retry`` (a 429 waits exactly as long as the venue said, anything else backs off
exponentially with full jitter), and turns library failures into core errors at this boundary:
network failures and timeouts become ``VenueUnavailable``, a bad URL ``ConfigError``, an error
response whatever the venue's ``ErrorMapper`` says. Nothing it logs or raises holds a header value.

Venue payloads are treated as hostile: a body is read in chunks and abandoned (``ProtocolError``)
once it exceeds ``max_body_bytes``, JSON nested too deeply or holding an integer too long to parse
is a ``ProtocolError``, and no Retry-After makes a request wait longer than ``max_retry_after_s``.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote, urlencode

import aiohttp
import structlog
from yarl import URL

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import (
    BotkitError,
    ConfigError,
    ProtocolError,
    RateLimited,
    VenueUnavailable,
    is_retryable,
)
from botkit.core.retry import DEFAULT_MAX_RETRY_AFTER_S, RetryPolicy, retry
from botkit.venues._deadline_connector import DeadlineConnector, request_deadline
from botkit.venues._ratelimit import RateBudget, RateLimitInfo, Sleep
from botkit.venues.base import SendDeadline, SendDeadlinePassed

DEFAULT_HTTP_RETRY = RetryPolicy(base=0.5, factor=2.0, cap=30.0, max_attempts=6)
"""Retries of one REST call: up to 6 attempts, backoff from 0.5 s up to 30 s."""

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest response body read (8 MiB); a longer one is a ``ProtocolError``."""

_CHUNK_BYTES = 64 * 1024
"""How much of a body is read at a time."""

log = structlog.get_logger("botkit.venues")


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    """The names of a venue's rate-limit response headers (written in its ``wire.py``)."""

    limit: str | None = None
    remaining: str | None = None
    reset: str | None = None
    retry_after: str | None = "Retry-After"

    def read(self, headers: Mapping[str, str]) -> RateLimitInfo:
        """What ``headers`` say about the limit; unreadable values count as absent."""
        return RateLimitInfo(
            limit=_int_header(headers, self.limit),
            remaining=_int_header(headers, self.remaining),
            reset_at_s=_float_header(headers, self.reset),
            retry_after_s=_float_header(headers, self.retry_after),
        )


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response read in full: status, headers, body and what its rate-limit headers said.

    ``retry_after_s`` (429 only) is how long the venue asks us to wait: its Retry-After header,
    else the time until its window resets, else None.
    """

    venue: str
    endpoint: str
    status: int
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    rate: RateLimitInfo
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def json(self) -> object:
        """The body decoded as JSON; ProtocolError naming the endpoint if it cannot be decoded.

        Besides malformed JSON that covers hostile JSON: nesting deep enough to exhaust the
        interpreter's recursion limit, and integers longer than ``sys.get_int_max_str_digits()``.
        """
        try:
            return json.loads(self.body)
        except RecursionError:
            raise ProtocolError(
                f"{self.venue} {self.endpoint}: body is not JSON we can decode (nested too deeply, "
                f"{len(self.body)} bytes): {self._snippet()!r}"
            ) from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an over-long integer
            raise ProtocolError(
                f"{self.venue} {self.endpoint}: body is not JSON ({exc.__class__.__name__} "
                f"at {getattr(exc, 'pos', '?')}): {self._snippet()!r}"
            ) from None

    def _snippet(self) -> str:
        """The start of the body, fit for an error message."""
        return self.body[:60].decode("utf-8", errors="replace")


class RequestToSign(NamedTuple):
    """What a signer sees of a request: method, path below the base URL, query parameters, body.

    ``query`` and ``body`` are exactly the bytes sent, so a signature can cover them.
    """

    method: str
    path: str
    params: Mapping[str, str]
    body: bytes = b""

    @property
    def query(self) -> str:
        """The query string exactly as sent, without the leading ``?`` (empty if none)."""
        return encode_query(self.params)


def encode_query(params: Mapping[str, str]) -> str:
    """The one encoding of query parameters: ``k=v`` pairs in order, percent-encoded, joined by ``&``."""
    if not params:
        return ""
    if all(_PLAIN.fullmatch(k) and _PLAIN.fullmatch(v) for k, v in params.items()):
        return "&".join(f"{k}={v}" for k, v in params.items())  # nothing to escape: the common case
    return urlencode(list(params.items()), quote_via=quote)


_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9_.~/-]*)?")
"""A base URL with nothing to escape: requests to it are built without re-parsing it."""
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


Signer = Callable[[RequestToSign], Mapping[str, str]]
"""Returns the headers that authenticate one request (empty when there are no credentials)."""

ErrorMapper = Callable[[HttpResponse], BotkitError]
"""Turns a non-2xx response into the core error to raise (see ``botkit.venues.errors``)."""


class HttpClient:
    """One venue's REST API over one aiohttp session: signing, rate budget, retries, errors."""

    def __init__(
        self,
        *,
        venue: str,
        base_url: str,
        budget: RateBudget,
        map_error: ErrorMapper,
        rate_headers: RateLimitHeaders | None = None,
        sign: Signer | None = None,
        retry_policy: RetryPolicy = DEFAULT_HTTP_RETRY,
        timeout_s: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        session: aiohttp.ClientSession | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_retry_after_s: float = DEFAULT_MAX_RETRY_AFTER_S,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        """Set up the client; no connection is made until the first request.

        ``max_body_bytes`` caps every response body (decompressed); ``max_retry_after_s`` caps how
        long a 429's Retry-After (or window reset) makes a retry wait and blocks the budget.
        ``trace_configs`` are given to the session this client opens (aiohttp request tracing, for
        measurements such as when an order's first byte is written; none by default, at no cost).
        """
        if not timeout_s > 0:
            raise ConfigError(f"{venue} timeout must be > 0 seconds, got {timeout_s!r}")
        if not max_body_bytes > 0:
            raise ConfigError(f"{venue} max_body_bytes must be > 0, got {max_body_bytes!r}")
        if not max_retry_after_s > 0:
            raise ConfigError(f"{venue} max_retry_after_s must be > 0 seconds, got {max_retry_after_s!r}")
        self.venue = venue
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self._map_error = map_error
        self._rate_headers = rate_headers or RateLimitHeaders()
        self._sign = sign
        self._policy = retry_policy
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._sleep = sleep
        self._rng = rng
        self._session = session
        self._owns_session = session is None
        self._plain_base = _PLAIN_URL.fullmatch(self.base_url) is not None
        self.max_body_bytes = max_body_bytes
        self.max_retry_after_s = max_retry_after_s
        self._trace_configs = list(trace_configs)

    def __repr__(self) -> str:
        return f"HttpClient(venue={self.venue!r}, base_url={self.base_url!r})"

    async def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry_here: bool = True,
        deadline: SendDeadline | None = None,
    ) -> HttpResponse:
        """Send one request (retrying transient failures) and return its 2xx response.

        ``endpoint`` names the call in logs and errors. ``body`` is sent as is (each retry sends
        the same bytes); ``headers`` are added to every attempt, under the signer's. Raises the
        mapped core error otherwise. ``retry_here`` False makes one attempt and reports its
        failure: for calls whose caller is the one retry layer (order placement and cancels are
        retried by the executor, which knows their time-to-live). With a ``deadline`` no attempt
        starts writing after it, however long the rate budget made it wait: ``SendDeadlinePassed``
        (never retried) says nothing was sent.
        """
        to_sign = RequestToSign(method, path, dict(params or {}), body or b"")
        extra = dict(headers or {})
        if not retry_here:
            return await self._send(to_sign, endpoint, extra, deadline)
        try:  # the first attempt directly: most requests need no retry machinery
            return await self._send(to_sign, endpoint, extra, deadline)
        except Exception as error:  # handed to retry(), which decides whether to try again or re-raise
            first: Exception | None = error

        async def again() -> HttpResponse:
            nonlocal first
            if first is not None:  # retry() sees the first failure as its own first attempt
                failure, first = first, None
                raise failure
            return await self._send(to_sign, endpoint, extra, deadline)

        return await retry(
            again,
            self._policy,
            self._should_retry,
            sleep=self._sleep,
            rng=self._rng,
            max_retry_after_s=self.max_retry_after_s,
        )

    async def close(self) -> None:
        """Close the session if this client opened it; safe to call twice."""
        if self._session is not None and self._owns_session and not self._session.closed:
            await self._session.close()

    def _should_retry(self, error: BaseException) -> bool:
        retryable = is_retryable(error) and not isinstance(error, SendDeadlinePassed)
        if retryable:
            log.warning(f"{self.venue}.retrying", error=str(error))
        return retryable

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if self._session is not None and not self._owns_session:
                raise ConfigError(f"{self.venue}: the aiohttp session passed in was closed")
            self._session = aiohttp.ClientSession(timeout=self._timeout, connector=DeadlineConnector(),
                                                  trace_configs=self._trace_configs or None)
            self._owns_session = True
        return self._session

    async def _send(
        self,
        request: RequestToSign,
        endpoint: str,
        extra: Mapping[str, str] | None = None,
        deadline: SendDeadline | None = None,
    ) -> HttpResponse:
        budget = self.budget
        await budget.acquire()  # what budget.slot() does, without a generator per request
        try:
            if deadline is not None and deadline.passed():  # the wait for the budget took too long
                log.warning(f"{self.venue}.send_deadline_passed", path=request.path, endpoint=endpoint)
                raise SendDeadlinePassed(f"{self.venue} {endpoint}: not sent, its deadline passed while waiting")
            headers = dict(extra) if extra else {}
            if self._sign is not None:
                headers.update(self._sign(request))  # signed when sent
            target = self._target(request)
            with request_deadline(deadline):  # kept again once the connection is in hand
                async with self._http().request(
                    request.method, target, data=request.body or None, headers=headers, timeout=self._timeout
                ) as raw:
                    body = await self._read_body(raw, endpoint)
                    status, raw_headers = raw.status, raw.headers  # an immutable proxy, kept as is
        except aiohttp.InvalidURL as exc:
            raise ConfigError(f"{self.venue} {endpoint}: invalid URL {exc}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning(f"{self.venue}.request_failed", path=request.path, error=_describe(exc))
            raise VenueUnavailable(
                f"{self.venue} {endpoint}: no response from {self.base_url}: {_describe(exc)}"
            ) from None
        finally:
            budget.release()
        rate = self._rate_headers.read(raw_headers)
        response = HttpResponse(
            venue=self.venue,
            endpoint=endpoint,
            status=status,
            headers=raw_headers,
            body=body,
            rate=rate,
            retry_after_s=self._retry_after_s(rate) if status == 429 else None,
        )
        self.budget.observe(rate)
        log.info(
            f"{self.venue}.request",
            method=request.method,
            path=request.path,
            status=status,
            remaining=response.rate.remaining,
        )
        if response.ok:
            return response
        error = self._map_error(response)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            self.budget.block_for(min(error.retry_after, self.max_retry_after_s))
        raise error

    async def _read_body(self, raw: aiohttp.ClientResponse, endpoint: str) -> bytes:
        """The body of ``raw``, read in chunks; ProtocolError as soon as it exceeds the cap.

        A declared Content-Length over the cap fails before anything is read. The cap applies to
        the decoded bytes, so a small compressed body that inflates past it fails too.
        """
        cap = self.max_body_bytes
        declared = raw.content_length
        if declared is not None and declared > cap:
            raw.close()  # drop the connection: the unread rest of the body must not be reused
            raise self._too_large(endpoint, f"declares {declared} bytes")
        content = raw.content
        chunks: list[bytes] = []
        size = 0
        while chunk := await content.read(_CHUNK_BYTES):
            size += len(chunk)
            if size > cap:
                raw.close()
                raise self._too_large(endpoint, f"exceeded it after {size} bytes")
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _too_large(self, endpoint: str, detail: str) -> ProtocolError:
        log.warning(f"{self.venue}.body_too_large", endpoint=endpoint, max_body_bytes=self.max_body_bytes)
        return ProtocolError(
            f"{self.venue} {endpoint}: response body over the {self.max_body_bytes} byte cap ({detail}); "
            "raise max_body_bytes if the venue really sends that much"
        )

    def _target(self, request: RequestToSign) -> URL | str:
        """The URL to send, its query string appended verbatim (the bytes a signer signed)."""
        query = request.query
        url = self.base_url + request.path
        if self._plain_base and "%" not in query and _PLAIN_PATH.fullmatch(request.path) is not None:
            return f"{url}?{query}" if query else url  # nothing escaped: aiohttp's parse keeps it as is
        return _with_query(url, query)

    def _retry_after_s(self, rate: RateLimitInfo) -> float | None:
        """How long a 429 asks us to wait: Retry-After, else until the window resets."""
        if rate.retry_after_s is not None:
            return rate.retry_after_s
        if rate.reset_at_s is None:
            return None
        now_s = self.budget.clock.now_ns() / NS_PER_SECOND
        return min(max(rate.reset_at_s - now_s, 0.0), self.budget.window_s)


def _with_query(url: str, query: str) -> URL:
    """``url`` with ``query`` appended verbatim: the bytes a signer signed are the bytes sent."""
    base = URL(url)
    return URL(f"{base}?{query}", encoded=True) if query else base


def _describe(exc: BaseException) -> str:
    """A failure's type and text; never a response error's repr, which holds request headers."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{type(exc).__name__} {exc.status}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _int_header(headers: Mapping[str, str], name: str | None) -> int | None:
    value = _float_header(headers, name)
    return int(value) if value is not None and value == int(value) else None


def _float_header(headers: Mapping[str, str], name: str | None) -> float | None:
    if name is None or (text := headers.get(name)) is None:
        return None
    try:
        value = float(text)  # float() ignores surrounding whitespace
    except ValueError:
        return None
    return value if 0.0 <= value < math.inf else None  # NaN fails both comparisons
