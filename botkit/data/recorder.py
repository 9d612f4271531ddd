"""The recorder's sink: live model events in, archive day files out, in batches, atomically.

``ArchiveRecorder`` has two sides. The **event side** (the event loop's thread) calls ``append``
for every event: a type check and a list append, no I/O and no conversion, so recording costs the
event path next to nothing. ``take`` hands the buffered events over as one batch. The **writer
side** (a worker thread, one call at a time) converts a batch into tables
(``botkit.data.recorded``), writes them as part files and merges part files into day files
(``botkit.data.parts``): after every write the days already over (UTC) are merged, today's every
``compact_interval_s`` or ``compact_rows`` rows, and everything on ``compact(everything=True)``.

Memory is bounded: at most ``max_buffer_rows`` events wait in the buffer (plus one batch being
written, plus tables whose write failed, also at most ``max_buffer_rows`` rows). Events beyond
that are not kept; each symbol's ``gaps`` then gets a ``recorder_dropped`` row with the time of the
first one left out and how many were. A failed write loses nothing that was archived: part files
get fresh names, day files are replaced by rename, and the tables of a failed write are tried
again with the next batch. ``recover`` merges part files an earlier session left behind, so a
restarted recorder continues today's file without duplicates.

One recorder per venue and symbol at a time (``botkit.live.recording`` takes a lock per symbol).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa
import structlog
from pydantic import Field, field_validator, model_validator

from botkit.core.clock import Clock, LiveClock
from botkit.core.config_model import ConfigModel, FolderPath
from botkit.core.errors import DataError
from botkit.data.kinds import checked_interval
from botkit.data.layout import check_name, day_of
from botkit.data.parts import DayParts, PartStore, new_session_id, split_by_day
from botkit.data.recorded import (
    MARK_DROPPED,
    OrderEventTypes,
    RecordingMark,
    TableKey,
    arrival_tables,
    place_of,
    tables_of,
)
from botkit.model.events import Bar, BookDelta, BookGap, BookResynced, BookSnapshot, Price, Quote, Trade

log = structlog.get_logger("botkit.data.recorder")

RecordKind = Literal["trades", "quotes", "book", "bars", "prices", "orders"]
"""What a ``record:`` section may list: ``book`` is book deltas and snapshots, ``orders`` the bot's
order events and fills. Gaps (book gaps and resyncs, the recorder's own notes) are always recorded."""

RECORD_KINDS: tuple[RecordKind, ...] = ("trades", "quotes", "book", "bars", "prices", "orders")

_TYPES: dict[RecordKind, tuple[type, ...]] = {
    "trades": (Trade,), "quotes": (Quote,), "book": (BookDelta, BookSnapshot), "bars": (Bar,), "prices": (Price,),
    "orders": OrderEventTypes,
}
_ALWAYS = (BookGap, BookResynced, RecordingMark)


class RecordSpec(ConfigModel):
    """The ``record:`` section of a bot or recorder config: what to record, where, how often to write."""

    root: FolderPath = Field(Path("data"), description="archive root: <root>/<venue>/<symbol>/<kind>/<day>.parquet")
    kinds: list[RecordKind] = Field(default_factory=lambda: list(RECORD_KINDS), min_length=1)
    bar_interval: str = Field("1m", description="bars are archived as bars_<bar_interval>")
    flush_rows: int = Field(10_000, ge=1, le=10_000_000, description="write when this many events wait")
    flush_interval_s: float = Field(5.0, gt=0, le=3_600, description="write at least this often")
    max_buffer_rows: int = Field(1_000_000, ge=1, le=100_000_000,
                                 description="events kept waiting at most; beyond, dropped")
    compact_interval_s: float = Field(300.0, gt=0, le=86_400,
                                      description="merge today's parts into its day file this often")
    compact_rows: int = Field(1_000_000, ge=1, le=100_000_000, description="or when a day's parts hold this many rows")
    arrivals: bool = Field(False, description="also note how quotes, trades and bars interleaved as they arrived "
                                              "(arrivals): a replay of bars needs it; on for bots on market_data bars")

    @field_validator("kinds")
    @classmethod
    def _unique(cls, value: list[RecordKind]) -> list[RecordKind]:
        if len(set(value)) != len(value):
            raise ValueError(f"kinds must be unique, got {value}")
        return value

    @field_validator("bar_interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        return checked_interval(value)

    @model_validator(mode="after")
    def _buffer_holds_a_batch(self) -> RecordSpec:
        if self.max_buffer_rows < self.flush_rows:
            raise ValueError(f"max_buffer_rows ({self.max_buffer_rows}) must be >= flush_rows ({self.flush_rows})")
        return self

    @property
    def bar_kind(self) -> str:
        """The archive kind bars are written as: ``bars_1m``."""
        return f"bars_{self.bar_interval}"


@dataclass
class RecorderStats:
    """What a recorder did: events taken, rows archived per place, what it left out or failed at."""

    events: int = 0
    dropped: int = 0
    """Events not buffered because the buffer was full (counted on the event side)."""
    discarded: int = 0
    """Rows of failed writes given up to keep memory bounded (counted on the writer side)."""
    invalid: int = 0
    rows: Counter[TableKey] = field(default_factory=Counter)
    parts_written: int = 0
    day_files_written: int = 0
    write_failures: int = 0
    compact_failures: int = 0


class ArchiveRecorder:
    """The sink of live events into the archive (see the module): ``append`` on the loop, ``write`` in a thread.

    ``venue`` names where market and order events go; ``price_venue`` where ``Price`` events go.
    ``wake`` is called (on the event side) when ``flush_rows`` events wait, to ask for a flush.
    """

    def __init__(
        self,
        spec: RecordSpec,
        *,
        venue: str,
        symbols: Sequence[str],
        price_venue: str = "sintra",
        price_symbols: Sequence[str] = (),
        bot: str = "",
        clock: Clock | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.spec = spec
        self.venue = check_name("venue", venue)
        self.price_venue = check_name("venue", price_venue)
        self.bot = bot
        self.clock = clock or LiveClock()
        self.places = [(self.venue, check_name("symbol", s)) for s in symbols]
        if "prices" in spec.kinds:
            self.places += [(self.price_venue, check_name("symbol", s)) for s in price_symbols]
        self.stats = RecorderStats()
        self.store = PartStore(spec.root, new_session_id(self.clock.now_ns()))
        self._accepted = frozenset(t for kind in spec.kinds for t in _TYPES[kind]) | frozenset(_ALWAYS)
        self._buffer: list[object] = []
        self._capacity = spec.max_buffer_rows
        self._flush_rows = spec.flush_rows
        self.wake = wake
        self._dropped: dict[tuple[str, str], list[int]] = {}
        self._retry: list[tuple[TableKey, pa.Table]] = []
        self._lost: list[RecordingMark] = []
        self._latest_arrival: dict[tuple[str, str], int] = {}
        self._last_compaction_ns = self.clock.now_ns()

    # --- event side (the event loop's thread) -------------------------------------------------------

    def append(self, event: object) -> None:
        """Buffer one model event if its kind is recorded: O(1), no I/O (the hot path)."""
        if type(event) not in self._accepted:
            return
        buffer = self._buffer
        if len(buffer) >= self._capacity:
            self._drop(event)
            return
        buffer.append(event)
        if len(buffer) == self._flush_rows and self.wake is not None:
            self.wake()

    def mark(self, event: str, ts: int | None = None) -> None:
        """Note ``event`` (``recording_started``/``_stopped``) in every recorded symbol's ``gaps``."""
        ts = self.clock.now_ns() if ts is None else ts
        self._buffer.extend(RecordingMark(ts, venue, symbol, event) for venue, symbol in self.places)

    @property
    def buffered(self) -> int:
        """Events waiting for the next ``take``."""
        return len(self._buffer)

    def take(self) -> list[object]:
        """The buffered events as one batch (the buffer starts afresh), with notes of what was dropped."""
        batch, self._buffer = self._buffer, []
        self.stats.events += len(batch)
        for (venue, symbol), (first_ts, count) in self._dropped.items():
            batch.append(RecordingMark(first_ts, venue, symbol, MARK_DROPPED, count))
        self._dropped.clear()
        return batch

    def _drop(self, event: object) -> None:
        key = place_of(event, venue=self.venue, price_venue=self.price_venue, bar_kind=self.spec.bar_kind)
        if key is None:
            return
        self.stats.dropped += 1
        noted = self._dropped.get((key.venue, key.symbol))
        if noted is None:
            self._dropped[(key.venue, key.symbol)] = [int(getattr(event, "ts", 0)), 1]
            log.warning("recorder.buffer_full", venue=key.venue, symbol=key.symbol, capacity=self._capacity)
        else:
            noted[1] += 1

    # --- writer side (one call at a time, off the event loop) ---------------------------------------

    def write(self, batch: Iterable[object]) -> list[Path]:
        """Write a batch from ``take`` as part files (after any that failed before); returns the parts written.

        A part that cannot be written (OSError, Arrow error) is logged and kept to be tried with
        the next batch; nothing is raised for it.
        """
        batch = list(batch)
        converted = tables_of(batch + self._lost, venue=self.venue, price_venue=self.price_venue,
                              bot=self.bot, bar_kind=self.spec.bar_kind)
        if self.spec.arrivals:
            converted.tables.update(arrival_tables(batch, venue=self.venue, bar_kind=self.spec.bar_kind,
                                                   latest=self._latest_arrival))
        self._lost = []
        if converted.invalid_rows:
            self.stats.invalid += converted.invalid_rows
            log.warning("recorder.invalid_rows", rows=converted.invalid_rows, first=converted.problems[0])
        work = self._retry + [(key, rows) for key, table in converted.tables.items() for _, rows in split_by_day(table)]
        self._retry = []
        written = []
        for index, (key, rows) in enumerate(work):
            day = day_of(_first_ts(rows))
            try:
                written.append(self.store.write(key.venue, key.symbol, key.kind, day, rows))
            except (OSError, pa.ArrowException) as error:
                self.stats.write_failures += 1
                log.error("recorder.write_failed", venue=key.venue, symbol=key.symbol, kind=key.kind,
                          rows=rows.num_rows, error=f"{type(error).__name__}: {error}")
                self._keep_for_retry(work[index:])
                break
            self.stats.rows[key] += rows.num_rows
            self.stats.parts_written += 1
        return written

    def compact(self, *, everything: bool = False) -> list[Path]:
        """Merge due part files into day files (all of them with ``everything``); returns the day files written.

        Due: days already over (UTC, by the clock), today's every ``compact_interval_s`` or once
        it has ``compact_rows`` rows in parts. A merge that fails is logged and left for later.
        """
        now = self.clock.now_ns()
        today = day_of(now)
        interval_due = everything or now - self._last_compaction_ns >= self.spec.compact_interval_s * 1e9
        written = []
        for parts in self.store.pending():
            if parts.day < today or interval_due or parts.rows >= self.spec.compact_rows:
                path = self._compact_one(parts)
                if path is not None:
                    written.append(path)
        if interval_due:
            self._last_compaction_ns = now
        return written

    def recover(self) -> list[Path]:
        """Merge the part files earlier sessions left under the recorded symbols; returns the day files written."""
        written = []
        by_venue: dict[str, list[str]] = {}
        for venue, symbol in self.places:
            by_venue.setdefault(venue, []).append(symbol)
        for venue, symbols in by_venue.items():
            for parts in self.store.leftovers(venue, symbols):
                path = self._compact_one(parts)
                if path is not None:
                    log.info("recorder.recovered", path=str(path))
                    written.append(path)
        return written

    def flush(self, *, everything: bool = False) -> list[Path]:
        """``take``, ``write`` and ``compact`` in one call, for callers without an event loop (and tests)."""
        self.write(self.take())
        return self.compact(everything=everything)

    def _compact_one(self, parts: DayParts) -> Path | None:
        try:
            path = self.store.compact(parts)
        except (OSError, DataError, pa.ArrowException) as error:
            self.stats.compact_failures += 1
            log.error("recorder.compact_failed", directory=str(parts.directory), day=str(parts.day),
                      error=f"{type(error).__name__}: {error}")
            return None
        if path is not None:
            self.stats.day_files_written += 1
        return path

    def _keep_for_retry(self, work: list[tuple[TableKey, pa.Table]]) -> None:
        """Keep failed tables for the next write, at most ``max_buffer_rows`` rows: the oldest go first."""
        total = sum(rows.num_rows for _, rows in work)
        while work and total > self._capacity:
            key, rows = work.pop(0)
            total -= rows.num_rows
            self.stats.discarded += rows.num_rows
            self._lost.append(RecordingMark(_first_ts(rows), key.venue, key.symbol, MARK_DROPPED, rows.num_rows))
        self._retry = work


def _first_ts(rows: pa.Table) -> int:
    return int(rows.column("ts").cast(pa.int64())[0].as_py())
