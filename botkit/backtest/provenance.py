"""What a backtest needs to be rerun exactly, as ``stats.json`` keeps it under ``run``.

The record holds botkit's version, the engine path that ran (``compiled`` or ``python``), the
strategy class, the effective spec (after the command line's overrides, with the strategy's full
parameters, defaults included, and absolute data paths) and a content hash of the data: the
SHA-256 of the bytes of every file the run read for its range (the day files of an archive or a
recording, or ``data.file``), or of the arrays given as ``data=`` in Python, column by column.
``botkit backtest --from-stats`` rebuilds the spec from it and checks the hash before it reruns.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from botkit.backtest.spec import BacktestSpec, validate_spec
from botkit.core.errors import ConfigError, DataError
from botkit.data.event_columns import Events
from botkit.data.layout import day_file_name, day_of, kind_dir, list_days

RUN_KEY = "run"
"""The key of ``stats.json`` that holds the run record."""

ARRAYS_SOURCE = "data="
"""``DataDigest.source`` of arrays given in Python: no file to read them back from."""

_SESSION_KINDS = ("arrivals", "quotes", "trades")
_BOOK_KINDS = ("book_snapshots", "book_deltas", "gaps")


@dataclass(frozen=True, slots=True)
class DataDigest:
    """The content hash of a run's data: one SHA-256 per file (or per symbol of ``data=``) and their digest."""

    source: str
    """``file``, ``archive``, ``recording`` or ``data=`` (arrays given in Python)."""
    root: str | None
    """The folder the ``parts`` are relative to (None for ``data=``)."""
    parts: dict[str, str] = field(default_factory=dict)
    """File path relative to ``root`` (or symbol, for ``data=``) -> SHA-256 of its bytes, in reading order."""
    bytes: int = 0

    @property
    def sha256(self) -> str:
        """One hash of all the parts, names included (what the report shows)."""
        text = "".join(f"{name}\0{digest}\n" for name, digest in self.parts.items())
        return hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The digest as ``stats.json`` keeps it."""
        return {"source": self.source, "root": self.root, "sha256": self.sha256, "bytes": self.bytes,
                "files" if self.source != ARRAYS_SOURCE else "symbols": dict(self.parts)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str) -> DataDigest:
        """The digest ``to_json`` wrote; ConfigError names ``where`` when it is not one."""
        try:
            parts = data["symbols"] if data["source"] == ARRAYS_SOURCE else data["files"]
            return cls(str(data["source"]), data["root"], {str(k): str(v) for k, v in parts.items()},
                       int(data["bytes"]))
        except (KeyError, TypeError, AttributeError) as error:
            raise ConfigError(f"{where}: run.data is not a data digest ({error!r} missing or malformed)") from None

    def differences(self, now: DataDigest) -> list[str]:
        """What differs from ``now`` (the same data read today), one line per file; empty if nothing."""
        if self.source != now.source or self.root != now.root:
            return [f"the data source was {self.source} {self.root}, it is now {now.source} {now.root}"]
        lines = []
        for name, digest in self.parts.items():
            current = now.parts.get(name)
            if current is None:
                lines.append(f"{self._path(name)} was read (sha256 {digest}) but is missing now")
            elif current != digest:
                lines.append(f"{self._path(name)} changed: sha256 {digest} when the run was made, {current} now")
        lines.extend(f"{self._path(name)} is new in the range (sha256 {digest})"
                     for name, digest in now.parts.items() if name not in self.parts)
        return lines

    def _path(self, name: str) -> str:
        return str(Path(self.root) / name) if self.root is not None else f"data[{name!r}]"


def digest_files(source: str, root: Path, paths: Sequence[Path]) -> DataDigest:
    """The SHA-256 of each file's bytes (streamed), named by its path relative to ``root``; missing files left out."""
    parts: dict[str, str] = {}
    size = 0
    for path in paths:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            continue
        with handle:
            parts[path.relative_to(root).as_posix()] = hashlib.file_digest(handle, "sha256").hexdigest()
            size += os.fstat(handle.fileno()).st_size
    return DataDigest(source, str(root.resolve()), parts, size)


def digest_arrays(arrays: Mapping[str, Events]) -> DataDigest:
    """The SHA-256 of each symbol's events, column by column (names and bytes), as replayed.

    A DataFrame and the record array of the same events hash alike: only the columns count.
    """
    parts: dict[str, str] = {}
    size = 0
    for symbol, events in arrays.items():
        digest = hashlib.sha256()
        for name in events.dtype.names or ():
            column = np.ascontiguousarray(events[name])
            digest.update(f"{name}:{column.dtype.str}:{len(column)}\0".encode())
            digest.update(memoryview(column).cast("B"))
            size += column.nbytes
        parts[symbol] = digest.hexdigest()
    return DataDigest(ARRAYS_SOURCE, None, parts, size)


def spec_data_files(spec: BacktestSpec, start_ns: int | None, end_ns: int | None) -> tuple[str, Path, list[Path]]:
    """(source, root, files) a run of ``spec`` reads for ``[start_ns, end_ns)``: what ``digest_files`` hashes."""
    ds = spec.data
    if ds.file is not None:
        return "file", ds.file.parent, [ds.file]
    root = ds.archive if ds.archive is not None else ds.recording
    if root is None:
        raise ConfigError(f"backtest {spec.name!r}: data needs an archive, a file or a recording "
                          "(or pass data= in Python)")
    if ds.kind == "book":
        kinds: tuple[str, ...] = _BOOK_KINDS
    elif ds.kind == "bars" and ds.recording is not None:
        kinds = (*_SESSION_KINDS, ds.archive_kind)
    else:
        kinds = (ds.archive_kind,)
    first = day_of(start_ns) if start_ns is not None else None
    last = day_of(end_ns - 1) if end_ns is not None else None
    files = [
        folder / day_file_name(day)
        for symbol in ds.symbols for kind in kinds
        for folder in [kind_dir(root, ds.venue, symbol, kind)] for day in list_days(root, ds.venue, symbol, kind)
        if (first is None or day >= first) and (last is None or day <= last)
    ]
    return "archive" if ds.archive is not None else "recording", root, files


def run_record(spec: BacktestSpec, strategy_class: type, params: Mapping[str, Any], engine: str,
               data: DataDigest) -> dict[str, Any]:
    """The ``run`` entry of ``stats.json``: everything ``--from-stats`` needs to run ``spec`` again."""
    return {
        "botkit_version": botkit_version(),
        "engine": engine,
        "strategy_class": f"{strategy_class.__module__}:{strategy_class.__qualname__}",
        "spec": effective_spec(spec, params),
        "data": data.to_json(),
    }


def botkit_version() -> str:
    """``botkit.__version__``.

    Read off the loaded package (always loaded before any of its modules): an ``import botkit``
    here would count, for the layer contracts, as importing every room its public API names.
    """
    return str(sys.modules["botkit"].__version__)


def effective_spec(spec: BacktestSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` as JSON with the full ``params`` and absolute data paths, so it reruns from any folder."""
    document = spec.model_dump(mode="json")
    document["params"] = json.loads(json.dumps(dict(params)))
    for key in ("archive", "file", "recording"):
        value = getattr(spec.data, key)
        if value is not None:
            document["data"][key] = str(Path(value).resolve())
    return document


@dataclass(frozen=True, slots=True)
class SavedRun:
    """A run read back from ``stats.json``: its spec, data digest, statistics and where they came from."""

    path: Path
    spec: BacktestSpec
    data: DataDigest
    stats: dict[str, Any]
    """The whole ``stats.json``, ``run`` included."""


def load_run(path: str | Path) -> SavedRun:
    """The run ``stats.json`` at ``path`` records; ConfigError names the file when it cannot be rerun."""
    where = Path(path)
    if not where.is_file():
        raise ConfigError(f"--from-stats {str(where)!r} does not exist")
    try:
        stats = json.loads(where.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{where}: not a stats.json ({error})") from None
    record = stats.get(RUN_KEY) if isinstance(stats, dict) else None
    if not isinstance(record, dict) or "spec" not in record or "data" not in record:
        raise ConfigError(f"{where}: has no {RUN_KEY!r} record (written by a botkit before 0.1.0, or not a "
                          "backtest's stats.json): rerun its spec instead")
    spec = validate_spec(record["spec"], f"{where} ({RUN_KEY}.spec)")
    return SavedRun(where, spec, DataDigest.from_json(record["data"], str(where)), stats)


def check_data(saved: SavedRun, now: DataDigest) -> list[str]:
    """The differences between the data ``saved`` ran on and ``now``; DataError if it cannot be told."""
    if saved.data.source == ARRAYS_SOURCE:
        raise DataError(f"{saved.path}: the run replayed arrays given in Python (data=), which no file holds: "
                        "rerun it in Python, botkit.backtest(load_run(path).spec, data=...)")
    return saved.data.differences(now)
