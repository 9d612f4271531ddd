"""Recording live sessions into the archive: the asyncio side of ``botkit.data.recorder``.

``SessionRecording`` runs an ``ArchiveRecorder`` beside an event loop. ``start`` locks every
recorded venue/symbol (one recorder each, across processes), merges the part files an earlier
session left behind, notes ``recording_started`` in each symbol's ``gaps`` and starts the flush
task. The event path calls ``append`` (the sink's own method: O(1), no I/O). The flush task wakes
every ``flush_interval_s``, or as soon as ``flush_rows`` events wait, takes the buffer (a list
swap on the loop) and writes it in a worker thread (``asyncio.to_thread``), so the loop never
waits for the disk. ``stop`` notes ``recording_stopped``, writes what is left and merges every
part into the day files.

The live engine makes one when its config has a ``record:`` section; ``botkit record CONFIG``
(``botkit.live.cli_record``) makes one for a venue's public streams, with no strategy.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import structlog

from botkit.core.clock import Clock
from botkit.core.errors import ConfigError
from botkit.data.recorded import MARK_STARTED, MARK_STOPPED
from botkit.data.recorder import ArchiveRecorder, RecorderStats
from botkit.live.lock import StateLock, StateLocked
from botkit.settings import BotConfig

log = structlog.get_logger("botkit.live.recording")


class SessionRecording:
    """An ArchiveRecorder with its flush task and locks; ``start``, ``append`` per event, ``stop``."""

    def __init__(self, sink: ArchiveRecorder) -> None:
        self.sink = sink
        self.append: Callable[[object], None] = sink.append
        """Record one event (the sink's ``append``, bound once: the engine calls it per event)."""
        self._wake = asyncio.Event()
        sink.wake = self._wake.set
        self._write_lock = asyncio.Lock()
        self._locks: list[StateLock] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @classmethod
    def for_bot(cls, config: BotConfig, *, venue: str, price_venue: str | None = None,
                clock: Clock | None = None) -> SessionRecording | None:
        """The recording of a bot whose config has a ``record:`` section (else None).

        Bars built live (``engine.market_data: bars``) are archived with the engine's interval, and
        with them the order in which quotes, trades and bars arrived (``arrivals``), which a replay
        of the session needs.
        """
        spec = config.record
        if spec is None:
            return None
        if config.engine.market_data == "bars":
            spec = spec.model_copy(update={"bar_interval": config.engine.bar_interval or "1m", "arrivals": True})
        sink = ArchiveRecorder(
            spec, venue=venue, symbols=config.symbols, price_venue=price_venue or "sintra",
            price_symbols=[config.reference.pair.upper()] if config.reference is not None else [],
            bot=config.name, clock=clock,
        )
        return cls(sink)

    @property
    def stats(self) -> RecorderStats:
        """What the sink did so far."""
        return self.sink.stats

    async def start(self) -> None:
        """Lock the recorded symbols, merge what earlier sessions left, note the start, start flushing."""
        self._lock_places()
        await asyncio.to_thread(self.sink.recover)
        self.sink.mark(MARK_STARTED)
        self._task = asyncio.create_task(self._flush_loop(), name="recording-flush")
        self._task.add_done_callback(_report_failure)
        spec = self.sink.spec
        log.info("recording.started", root=str(spec.root), kinds=spec.kinds, places=len(self.sink.places),
                 flush_rows=spec.flush_rows, flush_interval_s=spec.flush_interval_s)

    async def flush(self, *, everything: bool = False) -> None:
        """Write what waits now (in a worker thread) and merge what is due (``everything``: all)."""
        async with self._write_lock:
            batch = self.sink.take()
            await asyncio.to_thread(self._write, batch, everything)

    async def stop(self) -> None:
        """Note the stop, write everything, merge every part into its day file and release the locks."""
        try:
            if self._task is not None:
                self._closing = True
                self._wake.set()
                await asyncio.gather(self._task, return_exceptions=True)  # a failure was logged as it happened
                self.sink.mark(MARK_STOPPED)
                await self.flush(everything=True)
                stats = self.sink.stats
                log.info("recording.stopped", events=stats.events, rows=sum(stats.rows.values()),
                         day_files=stats.day_files_written, dropped=stats.dropped + stats.discarded,
                         invalid=stats.invalid, write_failures=stats.write_failures,
                         compact_failures=stats.compact_failures)
        finally:
            self._task = None
            for lock in self._locks:
                lock.release()
            self._locks.clear()

    def _write(self, batch: list[object], everything: bool) -> None:
        self.sink.write(batch)
        self.sink.compact(everything=everything)

    async def _flush_loop(self) -> None:
        interval = self.sink.spec.flush_interval_s
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            self._wake.clear()
            if not self._closing:
                await self.flush()

    def _lock_places(self) -> None:
        root = Path(self.sink.spec.root)
        for venue, symbol in self.sink.places:
            lock = StateLock(root / venue / symbol / ".recorder")
            try:
                lock.acquire()
            except StateLocked as locked:
                for held in self._locks:
                    held.release()
                self._locks.clear()
                raise ConfigError(
                    f"{venue}/{symbol} in archive {str(root)!r} is being recorded by another process "
                    f"({locked.holder}); one recorder per venue and symbol: stop it or record elsewhere"
                ) from None
            self._locks.append(lock)


def _report_failure(task: asyncio.Task[None]) -> None:
    """Log at once when the flush task dies of a bug (``stop`` then still writes what is left)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("recording.flush_task_failed", error=repr(task.exception()))
