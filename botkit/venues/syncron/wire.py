"""Everything the Syncron wire contract names, written down once (``docs/venues/syncron.md``).

Base URLs, paths, header names, query and body field names, enumerations, error codes, WebSocket
operations and channels, and the signature recipe. The other modules of the client use these
names and never spell a wire detail themselves.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

VENUE: Final = "syncron"

# --- Base URLs (contract §1) -----------------------------------------------------------------
LOCAL_REST_URL: Final = "http://127.0.0.1:8700"
LOCAL_WS_URL: Final = "ws://127.0.0.1:8700/v5/ws"
TESTNET_REST_URL: Final = "https://testnet-api.syncron.finance"
TESTNET_WS_URL: Final = "wss://testnet-stream.syncron.finance/v5/ws"
PRODUCTION_REST_URL: Final = "https://api.syncron.finance"
PRODUCTION_WS_URL: Final = "wss://stream.syncron.finance/v5/ws"
REST_PREFIX: Final = "/v5"
WS_PATH: Final = "/v5/ws"

# --- REST paths (contract §5) ----------------------------------------------------------------
PATH_TIME: Final = "/v5/time"
PATH_INSTRUMENTS: Final = "/v5/market/instruments"
PATH_TICKER: Final = "/v5/market/ticker"
PATH_ORDERBOOK: Final = "/v5/market/orderbook"
PATH_TRADES: Final = "/v5/market/trades"
PATH_KLINES: Final = "/v5/market/klines"
PATH_AUTH_TOKEN: Final = "/v5/auth/token"
PATH_AUTH_REFRESH: Final = "/v5/auth/refresh"
PATH_ORDER: Final = "/v5/order"
PATH_OPEN_ORDERS: Final = "/v5/orders/open"
PATH_FILLS: Final = "/v5/fills"
PATH_BALANCES: Final = "/v5/account/balances"
PATH_POSITIONS: Final = "/v5/account/positions"
PRIVATE_PREFIXES: Final = ("/v5/order", "/v5/fills", "/v5/account/", PATH_AUTH_TOKEN)
"""Paths that need authentication (``/v5/order`` also covers ``/v5/orders/open``)."""

# --- Headers (contract §3, §4) ---------------------------------------------------------------
H_APIKEY: Final = "X-SYNCRON-APIKEY"
H_TIMESTAMP: Final = "X-SYNCRON-TIMESTAMP"
H_RECV_WINDOW: Final = "X-SYNCRON-RECV-WINDOW"
H_SIGNATURE: Final = "X-SYNCRON-SIGNATURE"
H_AUTHORIZATION: Final = "Authorization"
H_CONTENT_TYPE: Final = "Content-Type"
H_RATE_LIMIT: Final = "X-SYNCRON-RATELIMIT-LIMIT"
H_RATE_REMAINING: Final = "X-SYNCRON-RATELIMIT-REMAINING"
H_RATE_RESET: Final = "X-SYNCRON-RATELIMIT-RESET"
H_RETRY_AFTER: Final = "Retry-After"
BEARER: Final = "Bearer"
JSON_CONTENT: Final = "application/json"

DEFAULT_RECV_WINDOW_MS: Final = 5000
MAX_RECV_WINDOW_MS: Final = 60_000
WS_AUTH_WINDOW_MS: Final = 5000
DEFAULT_RATE_LIMIT: Final = 1200
DEFAULT_RATE_WINDOW_S: Final = 60.0

# --- Envelope (contract §2) ------------------------------------------------------------------
F_SUCCESS: Final = "success"
F_DATA: Final = "data"
F_ERROR: Final = "error"
F_TIMESTAMP: Final = "timestamp"
F_CODE: Final = "code"
F_MESSAGE: Final = "message"
F_DETAILS: Final = "details"
D_PARAMETER: Final = "parameter"
D_REASON: Final = "reason"
D_RETRY_AFTER_MS: Final = "retry_after_ms"
D_ASSET: Final = "asset"
D_REQUIRED: Final = "required"
D_AVAILABLE: Final = "available"

# --- Query and body fields -------------------------------------------------------------------
Q_SYMBOL: Final = "symbol"
Q_DEPTH: Final = "depth"
Q_LIMIT: Final = "limit"
Q_INTERVAL: Final = "interval"
Q_START: Final = "start"
Q_END: Final = "end"
Q_ORDER_ID: Final = "order_id"
Q_CLIENT_ORDER_ID: Final = "client_order_id"
B_REFRESH_TOKEN: Final = "refresh_token"

# --- Response fields -------------------------------------------------------------------------
F_SERVER_TIME: Final = "server_time"
F_SYMBOL: Final = "symbol"
F_BASE: Final = "base"
F_QUOTE: Final = "quote"
F_TICK_SIZE: Final = "tick_size"
F_LOT_SIZE: Final = "lot_size"
F_MIN_QTY: Final = "min_qty"
F_MIN_NOTIONAL: Final = "min_notional"
F_STATUS: Final = "status"
F_BID: Final = "bid"
F_BID_QTY: Final = "bid_qty"
F_ASK: Final = "ask"
F_ASK_QTY: Final = "ask_qty"
F_LAST: Final = "last"
F_OPEN_24H: Final = "open_24h"
F_HIGH_24H: Final = "high_24h"
F_LOW_24H: Final = "low_24h"
F_VOLUME_24H: Final = "volume_24h"
F_TS: Final = "ts"
F_SEQ: Final = "seq"
F_BIDS: Final = "bids"
F_ASKS: Final = "asks"
F_TRADE_ID: Final = "trade_id"
F_PRICE: Final = "price"
F_QTY: Final = "qty"
F_SIDE: Final = "side"
F_OPEN_TIME: Final = "open_time"
F_CLOSE_TIME: Final = "close_time"
F_OPEN: Final = "open"
F_HIGH: Final = "high"
F_LOW: Final = "low"
F_CLOSE: Final = "close"
F_VOLUME: Final = "volume"
F_TOKEN: Final = "token"
F_TOKEN_TYPE: Final = "token_type"
F_EXPIRES_AT: Final = "expires_at"
F_REFRESH_TOKEN: Final = "refresh_token"
F_REFRESH_EXPIRES_AT: Final = "refresh_expires_at"
F_ORDER_ID: Final = "order_id"
F_CLIENT_ORDER_ID: Final = "client_order_id"
F_TYPE: Final = "type"
F_TIME_IN_FORCE: Final = "time_in_force"
F_STOP_PRICE: Final = "stop_price"
F_FILLED_QTY: Final = "filled_qty"
F_FILLED_QUOTE: Final = "filled_quote"
F_AVG_FILL_PRICE: Final = "avg_fill_price"
F_CANCEL_REASON: Final = "cancel_reason"
F_POST_ONLY: Final = "post_only"
F_REDUCE_ONLY: Final = "reduce_only"
F_CREATED_AT: Final = "created_at"
F_UPDATED_AT: Final = "updated_at"
F_FILL_ID: Final = "fill_id"
F_FEE: Final = "fee"
F_FEE_ASSET: Final = "fee_asset"
F_LIQUIDITY: Final = "liquidity"
F_ASSET: Final = "asset"
F_FREE: Final = "free"
F_LOCKED: Final = "locked"
F_TOTAL: Final = "total"
F_AVG_PRICE: Final = "avg_price"
F_REALIZED_PNL: Final = "realized_pnl"
F_UNREALIZED_PNL: Final = "unrealized_pnl"
F_MARK_PRICE: Final = "mark_price"

# --- Enumerations (lower case on the wire) ---------------------------------------------------
SIDE_BUY: Final = "buy"
SIDE_SELL: Final = "sell"
TYPE_MARKET: Final = "market"
TYPE_LIMIT: Final = "limit"
TYPE_STOP: Final = "stop"
TIF_GTC: Final = "gtc"
TIF_IOC: Final = "ioc"
TIF_FOK: Final = "fok"
STATUS_UNTRIGGERED: Final = "untriggered"
STATUS_NEW: Final = "new"
STATUS_PARTIALLY_FILLED: Final = "partially_filled"
STATUS_FILLED: Final = "filled"
STATUS_CANCELED: Final = "canceled"
STATUS_EXPIRED: Final = "expired"
LIQUIDITY_MAKER: Final = "maker"
LIQUIDITY_TAKER: Final = "taker"
KLINE_INTERVALS: Final = ("1m", "5m", "15m", "1h", "4h", "1d")
CLIENT_ORDER_ID_PATTERN: Final = r"[A-Za-z0-9_-]{1,36}"
MAX_DEPTH: Final = 200
MAX_LIST_LIMIT: Final = 1000

# --- Error codes (contract §6) ---------------------------------------------------------------
E_INVALID_PARAMETER: Final = 40001
E_INSUFFICIENT_BALANCE: Final = 40002
E_POST_ONLY_WOULD_TAKE: Final = 40003
E_REDUCE_ONLY_REJECTED: Final = 40004
E_ORDER_NOT_OPEN: Final = 40005
E_MISSING_CREDENTIALS: Final = 40101
E_UNKNOWN_API_KEY: Final = 40102
E_INVALID_SIGNATURE: Final = 40103
E_TIMESTAMP_OUTSIDE_WINDOW: Final = 40104
E_TOKEN_EXPIRED: Final = 40105
E_INVALID_TOKEN: Final = 40106
E_PERMISSION_DENIED: Final = 40301
E_NOT_FOUND: Final = 40401
E_METHOD_NOT_ALLOWED: Final = 40501
E_RATE_LIMITED: Final = 42901
E_INTERNAL: Final = 50001
E_UNAVAILABLE: Final = 50301
E_GATEWAY_TIMEOUT: Final = 50401

# --- WebSocket (contract §7) -----------------------------------------------------------------
WS_OP: Final = "op"
WS_REQ_ID: Final = "req_id"
WS_ARGS: Final = "args"
WS_SUCCESS: Final = "success"
WS_ERROR: Final = "error"
WS_TOPIC: Final = "topic"
WS_TYPE: Final = "type"
WS_TS: Final = "ts"
WS_DATA: Final = "data"
OP_SUBSCRIBE: Final = "subscribe"
OP_UNSUBSCRIBE: Final = "unsubscribe"
OP_AUTH: Final = "auth"
OP_PING: Final = "ping"
OP_PONG: Final = "pong"
AUTH_API_KEY: Final = "api_key"
AUTH_TIMESTAMP: Final = "timestamp"
AUTH_SIGNATURE: Final = "signature"
AUTH_TOKEN: Final = "token"
CHANNEL_BOOK: Final = "book"
CHANNEL_TRADES: Final = "trades"
CHANNEL_TICKER: Final = "ticker"
CHANNEL_ORDERS: Final = "orders"
CHANNEL_FILLS: Final = "fills"
PUBLIC_CHANNELS: Final = (CHANNEL_BOOK, CHANNEL_TRADES, CHANNEL_TICKER)
PUSH_SNAPSHOT: Final = "snapshot"
PUSH_DELTA: Final = "delta"
PUSH_UPDATE: Final = "update"
WS_HEARTBEAT_S: Final = 20.0
WS_SERVER_IDLE_S: Final = 60.0
CLOSE_IDLE: Final = 4000
CLOSE_SLOW_CONSUMER: Final = 4001


def topic(channel: str, symbol: str | None = None) -> str:
    """A channel name on the wire: ``book.BTCUSD`` for public channels, ``orders`` for private."""
    return f"{channel}.{symbol}" if symbol else channel


def prehash(timestamp: str, method: str, path: str, payload: str) -> str:
    """The signed text (§3.1): ``timestamp + METHOD + path + payload``, payload as sent."""
    return f"{timestamp}{method.upper()}{path}{payload}"


def signature(secret: str, text: str) -> str:
    """Lower-case hex ``HMAC_SHA256(key=secret, msg=text)``."""
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()
