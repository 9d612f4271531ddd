"""``botkit record configs/record_btc.yaml [--duration 30]``: record a venue's public data, no strategy.

Subscribes to what the config's ``record.kinds`` need: Syncron's ``book`` channel (its quotes,
and with ``book`` the book's snapshots and deltas; gaps and resyncs always) and ``trades``
channel (trades; ``bars`` are built from them as the live engine builds them), and Sintra's
prices when the config has a ``prices`` feed. Everything goes through a ``SessionRecording``
into the archive. As with ``botkit run``, a ``local`` venue with nothing listening starts the
embedded simulator first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from botkit.core.clock import Clock, LiveClock
from botkit.core.errors import BotkitError, ConfigError
from botkit.data.kinds import interval_to_ns
from botkit.data.recorded import TableKey
from botkit.data.recorder import ArchiveRecorder, RecorderStats
from botkit.live.bars import BarBuilder
from botkit.live.build import venue_settings
from botkit.live.cli_run import maybe_simulator, stop_on_signals
from botkit.live.recording import SessionRecording
from botkit.logging import register_secret
from botkit.model.events import Bar, MarketEvent, Trade
from botkit.settings import RecorderConfig, load_recorder_config
from botkit.venues.sintra import SintraDataClient, SintraSettings
from botkit.venues.syncron import SyncronDataClient, SyncronSettings
from botkit.venues.syncron import wire as syncron_wire

log = structlog.get_logger("botkit.live.cli_record")

EXIT_OK = 0
EXIT_INCOMPLETE = 1
"""``botkit record`` exit code when some events could not be written or merged (see the log)."""

BAR_GRACE_NS = 250_000_000
"""A bar without a later trade closes this long after its end (the engine's default ``bar_grace_ms``)."""
_BAR_TICK_S = 0.25


@dataclass
class RecordSummary:
    """What a ``botkit record`` session received and archived."""

    root: Path
    received: Counter[str] = field(default_factory=Counter)
    stats: RecorderStats = field(default_factory=RecorderStats)

    def lines(self) -> list[str]:
        """The summary as printed lines."""
        stats = self.stats
        out = [f"recorded into {self.root}: {stats.events:,} events, {sum(stats.rows.values()):,} rows, "
               f"{stats.day_files_written} day file writes"]
        for key in sorted(stats.rows, key=_place):
            out.append(f"  {key.venue}/{key.symbol}/{key.kind}: {stats.rows[key]:,} rows")
        received = ", ".join(f"{name} {count:,}" for name, count in sorted(self.received.items()))
        out.append(f"received: {received or 'nothing'}")
        if stats.dropped or stats.discarded or stats.invalid or stats.write_failures or stats.compact_failures:
            out.append(f"NOT ALL RECORDED: dropped {stats.dropped + stats.discarded:,}, invalid {stats.invalid:,}, "
                       f"failed writes {stats.write_failures}, failed merges {stats.compact_failures} (see the log)")
        return out


def run_record_command(config_path: Path | str, duration_s: float | None = None, embedded_sim: bool = True) -> int:
    """Record what ``config_path`` names until Ctrl-C / SIGTERM or ``duration_s``; prints a summary.

    Returns 0, or 1 when some events could not be written or merged.
    """
    config = load_recorder_config(config_path)
    summary = asyncio.run(record(config, duration_s=duration_s, embedded_sim=embedded_sim))
    for line in summary.lines():
        print(line)
    stats = summary.stats
    incomplete = stats.write_failures or stats.compact_failures or stats.dropped or stats.discarded
    return EXIT_INCOMPLETE if incomplete else EXIT_OK


async def record(config: RecorderConfig, *, duration_s: float | None = None, embedded_sim: bool = True,
                 settings: SyncronSettings | None = None, clock: Clock | None = None) -> RecordSummary:
    """Record the config's venue (starting the embedded simulator if needed) until stopped or ``duration_s``."""
    settings = settings or _syncron_settings(config)
    clock = clock or LiveClock()
    kinds = config.record.kinds
    async with maybe_simulator(settings.rest_url, embedded_sim and settings.is_loopback, config.symbols):
        data = SyncronDataClient(settings)
        prices = _price_client(config)
        try:
            await _check_listed(data, config)
            sink = ArchiveRecorder(
                config.record, venue=data.venue, symbols=config.symbols,
                price_venue=config.prices.source if config.prices else "sintra",
                price_symbols=[config.prices.pair.upper()] if config.prices else [], clock=clock,
            )
            recording = SessionRecording(sink)
            summary = RecordSummary(config.record.root, stats=sink.stats)
            streams: list[AsyncIterator[MarketEvent]] = []
            channels = _channels(kinds)
            if channels:
                streams.append(aiter(data.stream(config.symbols, channels=channels, book_events="book" in kinds)))
            if prices is not None and config.prices is not None:
                streams.append(prices.stream([config.prices.pair]))
            bars = BarBuilder(interval_to_ns(config.record.bar_interval), grace_ns=BAR_GRACE_NS,
                              symbols=config.symbols) if "bars" in kinds else None
            await recording.start()
            try:
                record_bar = _counted_bars(recording.append, summary.received)
                await _pump_until_stopped(streams, _feed(recording.append, record_bar, summary.received, bars, clock),
                                          duration_s, bars=bars, record_bar=record_bar, clock=clock)
            finally:
                await recording.stop()
        finally:
            await data.close()
            if prices is not None:
                await prices.close()
    return summary


def _counted_bars(append: Callable[[object], None], received: Counter[str]) -> Callable[[Bar], None]:
    """Record a built bar and count it, whether a later trade or the clock closed it."""
    def record_bar(bar: Bar) -> None:
        received["Bar"] += 1
        append(bar)
    return record_bar


def _feed(append: Callable[[object], None], record_bar: Callable[[Bar], None], received: Counter[str],
          bars: BarBuilder | None, clock: Clock) -> Callable[[MarketEvent], None]:
    """What to do with each event: count it, record it, and build bars from trades."""
    def on_event(event: MarketEvent) -> None:
        received[type(event).__name__] += 1
        if bars is not None and isinstance(event, Trade):
            for bar in bars.on_trade(event, clock.now_ns()):
                record_bar(bar)
        append(event)
    return on_event


def _channels(kinds: Sequence[str]) -> list[str]:
    channels = []
    if "quotes" in kinds or "book" in kinds:
        channels.append(syncron_wire.CHANNEL_BOOK)
    if "trades" in kinds or "bars" in kinds:
        channels.append(syncron_wire.CHANNEL_TRADES)
    return channels


async def _pump_until_stopped(
    streams: list[AsyncIterator[MarketEvent]], on_event: Callable[[MarketEvent], None], duration_s: float | None,
    *, bars: BarBuilder | None, record_bar: Callable[[Bar], None], clock: Clock,
) -> None:
    """Feed every stream's events to ``on_event`` until a signal, ``duration_s``, or a stream fails for good."""
    stop = asyncio.Event()
    failure: list[BotkitError] = []

    async def pump(stream: AsyncIterator[MarketEvent]) -> None:
        try:
            async for event in stream:
                on_event(event)
        except BotkitError as error:  # reconnecting is hopeless, or needs a person: stop recording
            log.error("recording.stream_failed", error=f"{type(error).__name__}: {error}")
            failure.append(error)
            stop.set()

    async def close_bars(builder: BarBuilder) -> None:
        while True:  # bars whose end (plus grace) passed without a later trade
            await asyncio.sleep(_BAR_TICK_S)
            for bar in builder.on_clock(clock.now_ns()):
                record_bar(bar)

    tasks = [asyncio.create_task(pump(s)) for s in streams]
    if bars is not None:
        tasks.append(asyncio.create_task(close_bars(bars)))
    try:
        with stop_on_signals(stop.set), contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), duration_s)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if failure:
        raise failure[0]


async def _check_listed(data: SyncronDataClient, config: RecorderConfig) -> None:
    listed = {i.symbol for i in await data.instruments()}
    missing = [s for s in config.symbols if s not in listed]
    if missing:
        raise ConfigError(f"symbols {missing} are not listed on syncron ({config.venue.endpoint}); "
                          f"listed: {sorted(listed)}")


def _syncron_settings(config: RecorderConfig) -> SyncronSettings:
    """Public data needs no credentials; any in the environment are masked in the logs all the same."""
    return venue_settings(config.venue.endpoint, needs_credentials=False)


def _price_client(config: RecorderConfig) -> SintraDataClient | None:
    if config.prices is None or "prices" not in config.record.kinds:
        return None
    settings = SintraSettings(endpoint=config.prices.endpoint)
    if settings.api_key is not None:
        register_secret(settings.api_key.get_secret_value())
    return SintraDataClient(settings)


def _place(key: TableKey) -> tuple[str, str, str]:
    return key.venue, key.symbol, key.kind
