"""Syncron authentication: HMAC-SHA256 request signatures and JWT bearer tokens (contract §3).

``SyncronCredentials`` holds the API key and secret and signs; ``SyncronSigner`` is the
HttpClient's signing hook (signed headers, or the bearer token when one is in use);
``TokenKeeper`` obtains a JWT and renews it before it expires, one renewal at a time: requests
that need a token while a renewal runs wait for that one renewal, then proceed.

The secret and the tokens are never logged or shown: reprs show a shortened key, and ``redact``
scrubs the secret from any text that might reach a log or an exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog
from pydantic import SecretStr

from botkit.core.errors import AuthError
from botkit.venues._http import RequestToSign
from botkit.venues.syncron import wire
from botkit.venues.syncron.results import TokenPair

REDACTED = "***"
_NS_PER_MS = 1_000_000
_STATE_CHANGING = frozenset({"POST", "DELETE"})
_MAX_AHEAD_MS = 500

log = structlog.get_logger("botkit.venues.syncron")


class SyncronCredentials:
    """An API key and its secret, and the receive window the signed requests ask for."""

    __slots__ = ("_key", "_recv_window_ms", "_secret")

    def __init__(
        self, api_key: str, api_secret: SecretStr | str, recv_window_ms: int = wire.DEFAULT_RECV_WINDOW_MS
    ) -> None:
        self._key = api_key
        self._secret = api_secret if isinstance(api_secret, SecretStr) else SecretStr(api_secret)
        self._recv_window_ms = recv_window_ms

    @property
    def api_key(self) -> str:
        """The API key (sent in clear on every signed request)."""
        return self._key

    @property
    def key_hint(self) -> str:
        """A shortened key that is safe to log: its first 4 characters."""
        return self._key[:4] + "…"

    def __repr__(self) -> str:
        return f"SyncronCredentials(api_key={self.key_hint!r})"

    def sign(self, timestamp_ms: int, method: str, path: str, payload: str) -> str:
        """The hex signature of one request (§3.1); ``payload`` is the query or body as sent."""
        return wire.signature(self._secret.get_secret_value(), wire.prehash(str(timestamp_ms), method, path, payload))

    def signed_headers(self, method: str, path: str, payload: str, timestamp_ms: int) -> dict[str, str]:
        """The four ``X-SYNCRON-*`` headers of a signed request."""
        return {
            wire.H_APIKEY: self._key,
            wire.H_TIMESTAMP: str(timestamp_ms),
            wire.H_RECV_WINDOW: str(self._recv_window_ms),
            wire.H_SIGNATURE: self.sign(timestamp_ms, method, path, payload),
        }

    def ws_auth_args(self, timestamp_ms: int) -> dict[str, object]:
        """The ``args`` of a signed WebSocket ``auth`` operation (§7.1)."""
        return {
            wire.AUTH_API_KEY: self._key,
            wire.AUTH_TIMESTAMP: timestamp_ms,
            wire.AUTH_SIGNATURE: self.sign(timestamp_ms, "GET", wire.WS_PATH, ""),
        }

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the secret replaced."""
        secret = self._secret.get_secret_value()
        return text.replace(secret, REDACTED) if secret else text


class TokenKeeper:
    """A JWT access token kept fresh: renewed once ``refresh_at`` of its lifetime has passed.

    Renewal spends the refresh token (``POST /v5/auth/refresh``), or issues a new pair when there
    is none or it was refused. Only one renewal runs at a time; ``token()`` callers during it wait
    for it. Requests already sent with the old token are unaffected: it stays valid until expiry.
    """

    def __init__(
        self,
        issue: Callable[[], Awaitable[TokenPair]],
        refresh: Callable[[str], Awaitable[TokenPair]],
        now_ns: Callable[[], int],
        refresh_at: float = 0.8,
    ) -> None:
        self._issue = issue
        self._refresh = refresh
        self._now_ns = now_ns
        self._refresh_at = refresh_at
        self._pair: TokenPair | None = None
        self._due_ns = 0
        self._task: asyncio.Task[TokenPair] | None = None
        self.issued = 0
        """Pairs obtained with ``POST /v5/auth/token``."""
        self.refreshed = 0
        """Pairs obtained with ``POST /v5/auth/refresh``."""

    def __repr__(self) -> str:
        expires = self._pair.expires_at if self._pair is not None else None
        return f"TokenKeeper(expires_at={expires}, issued={self.issued}, refreshed={self.refreshed})"

    def current(self) -> str | None:
        """The access token if one is held and not expired (no renewal), else None."""
        pair = self._pair
        return pair.token if pair is not None and self._now_ns() < pair.expires_at else None

    async def token(self) -> str:
        """A fresh access token: the held one, or the result of the (single) renewal."""
        pair = self._pair
        if pair is not None and self._now_ns() < self._due_ns:
            return pair.token
        task = self._task
        if task is None or task.done():
            task = self._task = asyncio.get_running_loop().create_task(self._renew(), name="syncron-token")
            task.add_done_callback(_retrieve)
        return (await asyncio.shield(task)).token

    def invalidate(self, token: str | None = None) -> None:
        """Renew on the next ``token()`` call (the venue said the token expired)."""
        if self._pair is not None and (token is None or token == self._pair.token):
            self._due_ns = 0

    async def _renew(self) -> TokenPair:
        old = self._pair
        pair: TokenPair | None = None
        if old is not None and self._now_ns() < old.refresh_expires_at:
            try:
                pair = await self._refresh(old.refresh_token)
                self.refreshed += 1
            except AuthError as error:
                log.warning("syncron.token_refresh_refused", error=str(error))
        if pair is None:
            pair = await self._issue()
            self.issued += 1
        now = self._now_ns()
        self._pair = pair
        self._due_ns = now + int(max(0, pair.expires_at - now) * self._refresh_at)
        log.info("syncron.token_renewed", expires_at_ms=pair.expires_at // _NS_PER_MS,
                 issued=self.issued, refreshed=self.refreshed)
        return pair


def _retrieve(task: asyncio.Task[TokenPair]) -> None:
    """Mark a renewal's failure as seen (its waiters get it), so asyncio does not warn."""
    if not task.cancelled():
        task.exception()


class SyncronSigner:
    """The HttpClient signing hook: which headers authenticate each request.

    ``/v5/auth/refresh`` carries none; with a held JWT, other requests carry ``Authorization:
    Bearer``; otherwise (and always for ``/v5/auth/token``) private requests are signed with the
    secret. Public requests name the key (``X-SYNCRON-APIKEY``, no signature), so the venue counts
    them against the key's rate limit, the one the client's budget tracks.
    """

    __slots__ = ("_credentials", "_last_state_changing_ms", "_now_ms", "_prefix", "_tokens")

    def __init__(
        self,
        credentials: SyncronCredentials | None,
        now_ms: Callable[[], int],
        tokens: TokenKeeper | None = None,
        path_prefix: str = "",
    ) -> None:
        self._credentials = credentials
        self._now_ms = now_ms
        self._tokens = tokens
        self._prefix = path_prefix.rstrip("/")
        self._last_state_changing_ms = 0

    def __call__(self, request: RequestToSign) -> Mapping[str, str]:
        """The headers for ``request`` (signed at the moment it is sent)."""
        credentials = self._credentials
        path = request.path
        if credentials is None or path == wire.PATH_AUTH_REFRESH:
            return {}
        if self._tokens is not None and path != wire.PATH_AUTH_TOKEN:
            token = self._tokens.current()
            if token is not None:
                return {wire.H_AUTHORIZATION: f"{wire.BEARER} {token}"}
        if not path.startswith(wire.PRIVATE_PREFIXES):
            return {wire.H_APIKEY: credentials.api_key}
        payload = request.body.decode("utf-8") if request.body else request.query
        return credentials.signed_headers(request.method, self._prefix + path, payload, self._timestamp(request.method))

    def _timestamp(self, method: str) -> int:
        """Now in venue ms; a POST or DELETE never reuses the previous one's millisecond.

        The venue accepts a POST/DELETE signature once (contract §3.1), so two identical requests
        in one millisecond (two cancels of one order) must be signed with different timestamps.
        After the clock moved back by more than ``_MAX_AHEAD_MS`` (a resync) it is followed again.
        """
        now = self._now_ms()
        if method.upper() not in _STATE_CHANGING:
            return now
        last = self._last_state_changing_ms
        if last - _MAX_AHEAD_MS < now <= last:
            now = last + 1
        self._last_state_changing_ms = now
        return now
