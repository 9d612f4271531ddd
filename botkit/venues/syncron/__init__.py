"""The Syncron exchange: REST client, market-data and execution clients, WebSocket streams.

Written from ``docs/venues/syncron.md`` (the wire contract); that page's "Client" section shows
how to configure and use it. Everything public is listed in ``__all__``.
"""

from botkit.venues.syncron.auth import SyncronCredentials, TokenKeeper
from botkit.venues.syncron.budget import MachineRateBudget, make_budget
from botkit.venues.syncron.config import AuthMode, BudgetScope, SyncronSettings
from botkit.venues.syncron.data import SyncronDataClient
from botkit.venues.syncron.errors import (
    SyncronApiError,
    SyncronAuthError,
    SyncronBadRequest,
    SyncronInsufficientFunds,
    SyncronInvalidParameter,
    SyncronNotFound,
    SyncronOrderNotOpen,
    SyncronOrderRejected,
    SyncronRateLimited,
    SyncronUnavailable,
)
from botkit.venues.syncron.execution import SyncronExecutionClient
from botkit.venues.syncron.market_stream import SyncronMarketStream
from botkit.venues.syncron.order_stream import SyncronOrderStream
from botkit.venues.syncron.rest import SyncronRestClient
from botkit.venues.syncron.results import Execution, OrderReport, Ticker, TokenPair, TradeTick
from botkit.venues.syncron.stream import FeedStats

__all__ = [
    "AuthMode",
    "BudgetScope",
    "Execution",
    "FeedStats",
    "MachineRateBudget",
    "OrderReport",
    "SyncronApiError",
    "SyncronAuthError",
    "SyncronBadRequest",
    "SyncronCredentials",
    "SyncronDataClient",
    "SyncronExecutionClient",
    "SyncronInsufficientFunds",
    "SyncronInvalidParameter",
    "SyncronMarketStream",
    "SyncronNotFound",
    "SyncronOrderNotOpen",
    "SyncronOrderRejected",
    "SyncronOrderStream",
    "SyncronRateLimited",
    "SyncronRestClient",
    "SyncronSettings",
    "SyncronUnavailable",
    "Ticker",
    "TokenKeeper",
    "TokenPair",
    "TradeTick",
    "make_budget",
]
