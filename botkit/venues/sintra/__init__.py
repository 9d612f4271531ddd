"""The Sintra BTC reference-price API: REST client, WebSocket price feed, history downloader.

Written from ``docs/venues/sintra.md`` (the wire contract); that page's "Client" section shows
how to use it. Everything public is listed in ``__all__``.
"""

from botkit.venues.sintra.auth import SintraCredentials
from botkit.venues.sintra.config import AuthForm, SintraPlan, SintraSettings
from botkit.venues.sintra.data import SintraDataClient
from botkit.venues.sintra.download import (
    DownloadProgress,
    DownloadSummary,
    Gap,
    ProgressCallback,
    download_history,
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
from botkit.venues.sintra.stream import SintraPriceStream, StreamStats, WsEventError

__all__ = [
    "AuthForm",
    "DownloadProgress",
    "DownloadSummary",
    "Exchange",
    "FeeLevel",
    "FeeSnapshot",
    "Gap",
    "Pair",
    "PairStats",
    "PriceBoard",
    "ProgressCallback",
    "Session",
    "SintraCredentials",
    "SintraDataClient",
    "SintraPlan",
    "SintraPriceStream",
    "SintraSettings",
    "StreamStats",
    "WsEventError",
    "download_history",
]
