"""Everything the Sintra wire contract names, written down once (``docs/venues/sintra.md``).

URLs, paths, query parameters, header names, body field names, enumerations and limits. The other
modules of the client use these names and never spell a wire detail themselves.
"""

from __future__ import annotations

from typing import Final

VENUE: Final = "sintra"

# --- Endpoints -------------------------------------------------------------------------------
LOCAL_REST_URL: Final = "http://127.0.0.1:8701/v1"
LOCAL_WS_URL: Final = "ws://127.0.0.1:8701/ws"
PRODUCTION_REST_URL: Final = "https://api.sintra.fi/v1"
PRODUCTION_WS_URL: Final = "wss://api.sintra.fi/ws"
REST_PREFIX: Final = "/v1"
WS_PATH: Final = "/ws"

# --- Paths below the REST base URL (``{pair}`` is a lower-case pair such as ``btcusd``) --------
PATH_EXCHANGES: Final = "/exchanges"
PATH_FEES: Final = "/fees"
PATH_FEE_HISTORY: Final = "/fees/history"
PATH_PAIRS: Final = "/pairs"
PATH_PAIR: Final = "/pairs/{pair}"
PATH_PRICES: Final = "/prices"
PATH_PRICE: Final = "/prices/{pair}"
PATH_PRICE_HISTORY: Final = "/prices/{pair}/history"
PATH_SESSIONS: Final = "/sessions"

# --- Query parameters and their values -------------------------------------------------------
Q_DATE: Final = "date"
Q_SORT: Final = "sort"
Q_LIMIT: Final = "limit"
Q_INTERVAL: Final = "interval"
WS_Q_SESSION: Final = "sessionId"

SORTS: Final = ("asc", "desc")
INTERVAL_SECONDS: Final = {"minute": 60, "hour": 3_600, "day": 86_400}
MIN_LIMIT: Final = 1
MAX_LIMIT: Final = 25
DEFAULT_LIMIT: Final = 10

# --- Pairs -----------------------------------------------------------------------------------
BASE_CURRENCY: Final = "btc"
PAIR_PATTERN: Final = r"btc[a-z]{3,4}"
"""A pair in lower case: ``btc`` and a 3-4 letter quote currency."""

# --- Headers ---------------------------------------------------------------------------------
H_AUTHORIZATION: Final = "Authorization"
H_RATE_LIMIT: Final = "X-RateLimit-Limit"
H_RATE_REMAINING: Final = "X-RateLimit-Remaining"
H_RATE_RESET: Final = "X-RateLimit-Reset"
H_RETRY_AFTER: Final = "Retry-After"

# --- Plans and limits ------------------------------------------------------------------------
PLAN_STARTER: Final = "starter"
PLAN_PRO: Final = "pro"
PLAN_LIMITS: Final = {PLAN_STARTER: 10, PLAN_PRO: 250}
"""Requests per rate window, per client IP address and plan."""
RATE_WINDOW_S: Final = 60.0
SESSION_TTL_S: Final = 600
PLAN_WS_INTERVAL_S: Final = {PLAN_STARTER: 10, PLAN_PRO: 1}

# --- Error body ------------------------------------------------------------------------------
F_STATUS_CODE: Final = "status_code"
F_MESSAGE: Final = "message"
F_TYPE: Final = "type"
F_CODE: Final = "code"

# --- Response fields -------------------------------------------------------------------------
F_ID: Final = "id"
F_NAME: Final = "name"
F_URL: Final = "url"
F_PRIORITY: Final = "priority"
F_FEE: Final = "fee"
F_FEES: Final = "fees"
F_TIMESTAMP: Final = "timestamp"
F_PAIR: Final = "pair"
F_BASE: Final = "base"
F_QUOTE: Final = "quote"
F_FROM: Final = "from"
F_TO: Final = "to"
F_OPEN: Final = "open"
F_HIGH: Final = "high"
F_LOW: Final = "low"
F_CLOSE: Final = "close"
F_CHANGE: Final = "change"
F_CHANGE_PERCENT: Final = "change_percent"
F_VOLUME: Final = "volume"
F_PRICE: Final = "price"
F_SOURCE: Final = "source"
F_SESSION_ID: Final = "sessionId"
F_EXPIRES_AT: Final = "expires_at"

SOURCE_SINTRA: Final = "sintra"
SOURCE_COINBASE: Final = "coinbase"

# --- WebSocket events ------------------------------------------------------------------------
F_EVENT: Final = "event"
F_DATA: Final = "data"
F_PLAN: Final = "plan"
F_INTERVAL: Final = "interval"
EVENT_CONNECTION: Final = "connection"
EVENT_DATA: Final = "data"
EVENT_ERROR: Final = "error"
WS_SESSION_ERROR_CODES: Final = frozenset({"SESSION_INVALID", "SESSION_EXPIRED"})
WS_SHUTDOWN_CODE: Final = "SERVER_SHUTDOWN"
