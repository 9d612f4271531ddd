"""Request authentication of the contract: HMAC-signed headers, JWT bearer tokens, WS auth.

The recipe (docs/venues/syncron.md §3): ``hex(HMAC_SHA256(secret, timestamp + METHOD + path +
payload))`` where payload is the raw query string (GET, DELETE) or the raw body (POST). Tokens
are HS256 JWTs signed with a server-side secret that never leaves the simulator. A signed POST or
DELETE is accepted once per signature (``40107`` on a replay, see ``replay``). Header values are
checked as bounded ASCII before anything converts or compares them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from botkit.core.clock import Clock
from botkit.sim.syncron.accounts import Account, AccountRegistry
from botkit.sim.syncron.config import AuthConfig, Permission
from botkit.sim.syncron.errors import ApiError, ErrorCode, invalid_parameter
from botkit.sim.syncron.inputs import ascii_int
from botkit.sim.syncron.replay import ReplayGuard

H_APIKEY = "X-SYNCRON-APIKEY"
H_TIMESTAMP = "X-SYNCRON-TIMESTAMP"
H_RECV_WINDOW = "X-SYNCRON-RECV-WINDOW"
H_SIGNATURE = "X-SYNCRON-SIGNATURE"
WS_PATH = "/v5/ws"
WS_RECV_WINDOW_MS = 5000
MAX_TIMESTAMP_DIGITS = 16
"""A ms timestamp has 13 digits today; more than 16 is refused before it is converted."""
MAX_RECV_WINDOW_DIGITS = 6
MAX_TOKEN_CHARS = 4096
STATE_CHANGING = frozenset({"POST", "DELETE"})
"""Methods whose signed requests are accepted once per signature (``ReplayGuard``)."""
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")

TokenKind = Literal["access", "refresh"]


def sign(secret: str, timestamp: str, method: str, path: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``timestamp + METHOD + path + payload`` keyed by ``secret``."""
    prehash = f"{timestamp}{method.upper()}{path}{payload}"
    return hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class TokenPair:
    """An access token and its single-use refresh token, with expiries in ms."""

    token: str
    expires_at: int
    refresh_token: str
    refresh_expires_at: int


class Authenticator:
    """Checks signed headers, bearer tokens and WS auth against the registered accounts."""

    def __init__(self, accounts: AccountRegistry, config: AuthConfig, clock: Clock) -> None:
        self._accounts = accounts
        self._config = config
        self._clock = clock
        secret = config.jwt_secret.get_secret_value() if config.jwt_secret else None
        self._jwt_key = (secret or secrets.token_hex(32)).encode()
        self._spent_refresh: set[str] = set()
        self._replays = ReplayGuard()

    def _now_ms(self) -> int:
        return self._clock.now_ns() // 1_000_000

    @property
    def replays(self) -> ReplayGuard:
        """The signatures of accepted POSTs and DELETEs still inside their window (for tests)."""
        return self._replays

    # ---------------------------------------------------------------- JWT
    def _encode(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        mac = hmac.new(self._jwt_key, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64(mac)}"

    def _decode(self, token: str, kind: TokenKind, check_expiry: bool = True) -> dict[str, Any]:
        """The claims of a genuine token of ``kind``; ``40106`` if forged, ``40105`` if expired."""
        invalid = ApiError(ErrorCode.INVALID_TOKEN, "invalid token")
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise invalid
        parts = token.split(".")
        if len(parts) != 3:
            raise invalid
        header, body, mac = parts
        expected = hmac.new(self._jwt_key, f"{header}.{body}".encode(), hashlib.sha256).digest()
        try:
            genuine = hmac.compare_digest(_unb64(mac), expected)
            claims = json.loads(_unb64(body)) if genuine else None
        except (ValueError, UnicodeDecodeError):
            raise invalid from None
        if not isinstance(claims, dict) or claims.get("typ") != kind:
            raise invalid
        if check_expiry and int(claims.get("exp", 0)) * 1000 <= self._now_ms():
            raise ApiError(
                ErrorCode.TOKEN_EXPIRED,
                f"{kind} token expired",
                {"expired_at": int(claims.get("exp", 0)) * 1000},
            )
        return claims

    def issue_tokens(self, account: Account) -> TokenPair:
        """A fresh access/refresh pair for ``account``."""
        now_s = self._now_ms() // 1000
        access_exp = now_s + self._config.token_ttl_s
        refresh_exp = now_s + self._config.refresh_ttl_s
        common = {"sub": account.api_key, "iat": now_s}
        access = self._encode(
            {**common, "exp": access_exp, "jti": uuid.uuid4().hex, "typ": "access"}
        )
        refresh = self._encode(
            {**common, "exp": refresh_exp, "jti": uuid.uuid4().hex, "typ": "refresh"}
        )
        return TokenPair(access, access_exp * 1000, refresh, refresh_exp * 1000)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Spend ``refresh_token`` and issue a new pair; ``40106`` if it was spent before."""
        claims = self._decode(refresh_token, "refresh")
        jti = str(claims.get("jti"))
        if jti in self._spent_refresh:
            raise ApiError(ErrorCode.INVALID_TOKEN, "refresh token already used")
        account = self._accounts.by_key(str(claims.get("sub")))
        if account is None:
            raise ApiError(ErrorCode.INVALID_TOKEN, "invalid token")
        self._spent_refresh.add(jti)
        return self.issue_tokens(account)

    # ---------------------------------------------------------------- requests
    def identify(self, request: web.Request) -> str | None:
        """The known API key a request claims (for rate limiting), without verifying it."""
        try:
            bearer = _bearer(request)
            if bearer is not None:
                return str(self._decode(bearer, "access", check_expiry=False).get("sub"))
        except ApiError:
            return None
        key = request.headers.get(H_APIKEY)
        return key if key is not None and self._accounts.by_key(key) is not None else None

    async def authenticate(
        self, request: web.Request, permission: Permission, allow_bearer: bool = True
    ) -> Account:
        """The account behind a private request, checked for ``permission``, or a 401xx/403."""
        bearer = _bearer(request) if allow_bearer else None
        if bearer is not None:
            claims = self._decode(bearer, "access")
            account = self._accounts.by_key(str(claims.get("sub")))
            if account is None:
                raise ApiError(ErrorCode.INVALID_TOKEN, "invalid token")
        else:
            payload = (
                (await request.read()).decode(errors="replace")
                if request.method == "POST"
                else (request.rel_url.raw_query_string)
            )
            account = self._check_signed(request, payload)
        if permission not in account.permissions:
            raise ApiError(
                ErrorCode.PERMISSION_DENIED,
                f"api key lacks the {permission!r} permission",
                {"permission": permission},
            )
        return account

    def _check_signed(self, request: web.Request, payload: str) -> Account:
        headers = request.headers
        missing = [h for h in (H_APIKEY, H_TIMESTAMP, H_SIGNATURE) if not headers.get(h)]
        if missing:
            raise ApiError(
                ErrorCode.MISSING_CREDENTIALS, "missing credentials", {"missing": missing}
            )
        account = self._accounts.by_key(headers[H_APIKEY])
        if account is None:
            raise ApiError(ErrorCode.UNKNOWN_API_KEY, "unknown api key")
        window = self._recv_window(headers.get(H_RECV_WINDOW))
        timestamp = headers[H_TIMESTAMP]
        sent_at = self._check_timestamp(timestamp, window, H_TIMESTAMP)
        expected = sign(
            account.api_secret, timestamp, request.method, request.rel_url.raw_path, payload
        )
        signature = _check_signature(expected, headers[H_SIGNATURE])
        if request.method in STATE_CHANGING and not self._replays.admit(
            signature, sent_at + window, self._now_ms()
        ):
            raise ApiError(
                ErrorCode.SIGNATURE_REPLAYED,
                "signature already used: sign every request with a fresh timestamp",
            )
        return account

    def _recv_window(self, text: str | None) -> int:
        if text is None:
            return self._config.default_recv_window_ms
        window = ascii_int(text, MAX_RECV_WINDOW_DIGITS)
        if window is None or not 0 < window <= self._config.max_recv_window_ms:
            raise invalid_parameter(
                H_RECV_WINDOW, f"must be an integer in 1..{self._config.max_recv_window_ms}"
            )
        return window

    def _check_timestamp(self, text: str, window_ms: int, name: str) -> int:
        """The timestamp ``text`` names, checked against the window; ``40001`` / ``40104``."""
        sent_at = ascii_int(text, MAX_TIMESTAMP_DIGITS)
        if sent_at is None:
            raise invalid_parameter(
                name, f"must be an integer timestamp in ms (1..{MAX_TIMESTAMP_DIGITS} ASCII digits)"
            )
        skew = self._now_ms() - sent_at
        if skew > window_ms or -skew > self._config.future_tolerance_ms:
            raise ApiError(
                ErrorCode.TIMESTAMP_OUTSIDE_WINDOW,
                "timestamp outside the recv window",
                {"server_time": self._now_ms(), "recv_window": window_ms},
            )
        return sent_at

    def authenticate_ws(self, args: object) -> Account:
        """The account of a WebSocket ``auth`` op: a token, or key + timestamp + signature.

        Missing credentials are ``40101``; a field of the wrong type or size ``40001`` naming it
        (``args.timestamp``); then the REST codes (``40102``, ``40103``, ``40104``, ``40106``).
        """
        if not isinstance(args, dict):
            raise invalid_parameter("args", "must be an object")
        unknown = sorted(set(args) - {"token", "api_key", "timestamp", "signature"})
        if unknown:
            raise invalid_parameter(f"args.{unknown[0][:40]}", "unknown field")
        if "token" in args:
            token = args["token"]
            if not isinstance(token, str):
                raise invalid_parameter("args.token", "must be a string")
            claims = self._decode(token, "access")
            account = self._accounts.by_key(str(claims.get("sub")))
            if account is None:
                raise ApiError(ErrorCode.INVALID_TOKEN, "invalid token")
            return account
        key, timestamp, signature = (args.get(k) for k in ("api_key", "timestamp", "signature"))
        if key is None or timestamp is None or signature is None:
            raise ApiError(ErrorCode.MISSING_CREDENTIALS, "missing credentials")
        for name, value in (("api_key", key), ("signature", signature)):
            if not isinstance(value, str):
                raise invalid_parameter(f"args.{name}", "must be a string")
        stamp = _ws_timestamp_text(timestamp)
        account = self._accounts.by_key(key)
        if account is None:
            raise ApiError(ErrorCode.UNKNOWN_API_KEY, "unknown api key")
        self._check_timestamp(stamp, WS_RECV_WINDOW_MS, "args.timestamp")
        _check_signature(sign(account.api_secret, stamp, "GET", WS_PATH, ""), signature)
        return account


def _ws_timestamp_text(value: object) -> str:
    """The WS auth timestamp as the text that was signed: a JSON integer or a digit string."""
    if isinstance(value, str):
        return value  # checked as ASCII digits by _check_timestamp
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**MAX_TIMESTAMP_DIGITS:
        return str(value)
    raise invalid_parameter("args.timestamp", "must be an integer timestamp in ms")


def _check_signature(expected: str, given: str) -> str:
    """``given`` lower-cased if it is the expected hex signature, else ``40103``."""
    if _SIGNATURE.fullmatch(given) is None or not hmac.compare_digest(expected, given.lower()):
        raise ApiError(ErrorCode.INVALID_SIGNATURE, "invalid signature")
    return given.lower()


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(ErrorCode.INVALID_TOKEN, "Authorization must be 'Bearer <token>'")
    return token.strip()
