"""Build a ready-to-run ``LiveEngine`` from a ``BotConfig``: strategy, venue clients, paper or live.

This is the composition root's wiring: the only place that knows which venue client classes
exist. Secrets come from the venue settings' environment variables and are registered for log
redaction before any client is made.
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import ValidationError

from botkit.core.clock import Clock
from botkit.core.config_problems import config_error_from
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import KeyPath, YamlDocument
from botkit.live.engine import LiveEngine
from botkit.live.paper import MatchOn, PaperExecutionClient
from botkit.logging import register_secret
from botkit.model.instruments import Instrument
from botkit.settings import BotConfig, environment_origin
from botkit.strategy.loader import build_params, load_strategy_class
from botkit.venues.base import ExecutionClient, MarketDataClient
from botkit.venues.sintra import SintraDataClient, SintraSettings
from botkit.venues.syncron import SyncronDataClient, SyncronExecutionClient, SyncronRestClient, SyncronSettings
from botkit.venues.syncron.config import ENV_PREFIX as SYNCRON_ENV_PREFIX

log = structlog.get_logger("botkit.live.build")


def syncron_settings(config: BotConfig) -> SyncronSettings:
    """The Syncron client settings for the bot: its endpoint, credentials from ``BOTKIT_SYNCRON__*``."""
    return venue_settings(config.venue.endpoint, needs_credentials=config.mode == "live")


def venue_settings(endpoint: str, *, needs_credentials: bool) -> SyncronSettings:
    """Syncron settings for ``endpoint``; credentials from the environment are masked in every log line.

    ConfigError when ``needs_credentials`` (trading live) and none are set.
    """
    try:
        settings = SyncronSettings(endpoint=endpoint)
        credentials = settings.credentials()
    except ValidationError as error:  # a BOTKIT_SYNCRON__* variable: named, in the house form
        raise config_error_from(error, source="environment", model=SyncronSettings, what="Syncron settings",
                                origin=_syncron_variable) from None
    except ValueError as error:
        raise ConfigError(f"syncron settings: {error}") from None
    if credentials is not None:
        register_secret(credentials[0])
        register_secret(credentials[1].get_secret_value())
    elif needs_credentials:
        raise ConfigError(
            f"mode live on {endpoint} needs credentials: set BOTKIT_SYNCRON__API_KEY and "
            "BOTKIT_SYNCRON__API_SECRET in the environment"
        )
    return settings


def _syncron_variable(path: KeyPath) -> str:
    """The environment variable a Syncron setting came from (``endpoint`` comes from the bot config)."""
    if path[:1] == ("endpoint",):
        return "venue.endpoint"
    return "environment " + SYNCRON_ENV_PREFIX + "__".join(str(part).upper() for part in path)


async def build_engine(
    config: BotConfig,
    *,
    source: str = "config",
    settings: SyncronSettings | None = None,
    clock: Clock | None = None,
    restore_state: bool = True,
    document: YamlDocument | None = None,
) -> LiveEngine:
    """Load the strategy, connect the venue clients and assemble the engine (not started).

    ``restore_state`` False ignores the saved state (the venue is new, e.g. an embedded simulator).
    ``document`` is the YAML the config was read from, so that parameter errors name its lines.
    """
    strategy_cls = load_strategy_class(config.strategy)
    params = build_params(strategy_cls, config.params, source, document, environment_origin)
    settings = settings or syncron_settings(config)
    rest = SyncronRestClient(settings)
    data = SyncronDataClient(rest=rest)
    rest.retry_orders = False  # the executor is the one retry layer of orders (it knows their time-to-live)
    live_client = SyncronExecutionClient(rest=rest) if config.mode == "live" else None
    try:
        instruments = await _instruments(data, config)
    except BaseException:
        await rest.close()
        raise
    execution: ExecutionClient
    if live_client is not None:
        execution = live_client
    else:
        fees, slippage = config.paper.fees, config.paper.slippage
        execution = PaperExecutionClient(
            maker_bps=fees.maker_bps, taker_bps=fees.taker_bps, slippage_bps=slippage.bps,
            slippage_ticks=slippage.ticks, tick_sizes={s: i.tick_size for s, i in instruments.items()},
            latency_ns=config.paper.latency_ns, match_on=_paper_match_on(config), cash=config.capital,
            clock=clock, queue_fills=False,
        )
    market: MarketDataClient = _ClosingData(data, rest, book_batches=config.engine.market_data == "book")  # type: ignore[assignment]
    reference = _reference_client(config)
    return LiveEngine(config, strategy_cls=strategy_cls, params=params, data=market, execution=execution,
                      instruments=instruments, reference=reference, clock=clock, restore_state=restore_state)


async def _instruments(data: SyncronDataClient, config: BotConfig) -> dict[str, Instrument]:
    listed = {i.symbol: i for i in await data.instruments()}
    missing = [s for s in config.symbols if s not in listed]
    if missing:
        raise ConfigError(f"symbols {missing} are not listed on syncron ({config.venue.endpoint}); "
                          f"listed: {sorted(listed)}")
    return {s: listed[s] for s in config.symbols}


def _paper_match_on(config: BotConfig) -> MatchOn:
    """What paper orders fill against: trades, the engine's book (``market_data: book``) or quotes."""
    wanted = config.engine.market_data
    return "trades" if wanted == "trades" else "book" if wanted == "book" else "quotes"


def _reference_client(config: BotConfig) -> MarketDataClient | None:
    if config.reference is None:
        return None
    settings = SintraSettings(endpoint=config.reference.endpoint)
    if settings.api_key is not None:
        register_secret(settings.api_key.get_secret_value())
    return SintraDataClient(settings)


class _ClosingData:
    """The market-data client; its ``close`` also closes the REST client it shares with execution.

    The engine closes market data after it canceled its orders, so the shared session is no
    longer needed by then; the execution client's own ``close`` only ends its streams.
    """

    def __init__(self, data: SyncronDataClient, rest: SyncronRestClient, *, book_batches: bool = False) -> None:
        self._data = data
        self._book_batches = book_batches  # market_data: book: the engine keeps its own book from the batches
        self.rest = rest  # its rate budget is reported by /metrics
        self.venue = data.venue

    def stream(self, symbols: Any = None) -> Any:
        """The venue's market events (with book snapshots and delta batches when the engine keeps a book)."""
        return self._data.stream(symbols, book_batches=self._book_batches)

    async def close(self) -> None:
        """Close the streams, then the shared REST session."""
        await self._data.close()
        await self.rest.close()
