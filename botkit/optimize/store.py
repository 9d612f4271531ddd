"""A sweep's results on disk as they come, so an interrupted sweep resumes without redoing finished chunks.

The folder holds ``sweep.json`` (what the sweep is: a digest of the spec and of the combinations,
the chunk size) and one Parquet file per finished chunk (``chunks/00042.parquet``), each written
atomically. Reopening the folder for the same sweep finds the finished chunks; for a different
sweep it refuses, rather than mixing two sweeps' rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from botkit.core.errors import ConfigError
from botkit.data.atomic import atomic_write

MANIFEST = "sweep.json"
CHUNKS = "chunks"


def sweep_digest(spec_json: str, combos: Sequence[Mapping[str, Any]], chunk_layout: str,
                 records: Mapping[str, np.ndarray] | None = None) -> str:
    """A fingerprint of a sweep: the spec, every combination in order, how they are chunked, and the data.

    ``chunk_layout`` says which combinations each chunk holds (its size, and whether they were dealt in turn).
    """
    hasher = hashlib.sha256(spec_json.encode())
    hasher.update(json.dumps([dict(c) for c in combos], sort_keys=True, default=str).encode())
    hasher.update(chunk_layout.encode())
    # the events themselves: data= in memory, or an archive rewritten since, is not in the spec
    for symbol, events in sorted((records or {}).items()):
        hasher.update(symbol.encode())
        hasher.update(np.ascontiguousarray(events).data)
    return hasher.hexdigest()


class ResultStore:
    """The results folder of one sweep (see the module docstring)."""

    def __init__(self, root: Path, digest: str, *, resume: bool) -> None:
        self.root = Path(root)
        self.digest = digest
        manifest = self.root / MANIFEST
        if manifest.is_file():
            try:
                found = json.loads(manifest.read_text()).get("digest")
            except (OSError, ValueError) as error:
                raise ConfigError(f"{manifest}: unreadable sweep manifest ({error}); remove the folder") from None
            if found != digest and resume:
                raise ConfigError(f"{self.root} holds the results of another sweep (a different spec, grid, "
                                  "chunk size or data); pass --no-resume to replace them or choose another --out")
            if found != digest or not resume:
                self._clear()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / CHUNKS).mkdir(exist_ok=True)
        with atomic_write(manifest) as handle:
            handle.write(json.dumps({"digest": digest}).encode())

    def finished(self) -> set[int]:
        """The chunks already on disk."""
        return {int(path.stem) for path in (self.root / CHUNKS).glob("*.parquet") if path.stem.isdigit()}

    def write(self, chunk: int, frame: pd.DataFrame) -> None:
        """Keep one finished chunk (atomically: a crash leaves the chunk absent, never half written)."""
        with atomic_write(self.root / CHUNKS / f"{chunk:05d}.parquet", sync_dir=False) as handle:
            frame.to_parquet(handle, index=False)

    def read(self, chunks: Iterable[int]) -> list[pd.DataFrame]:
        """The frames of finished ``chunks``."""
        return [pd.read_parquet(self.root / CHUNKS / f"{chunk:05d}.parquet") for chunk in sorted(chunks)]

    def _clear(self) -> None:
        for path in (self.root / CHUNKS).glob("*.parquet"):
            path.unlink()


def chunk_frame(names: Sequence[str], combos: Sequence[Mapping[str, Any]], numbers: np.ndarray,
                columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One chunk's rows: the combination's number (its place in the sweep), its parameters, then its statistics."""
    data: dict[str, Any] = {"combination": np.asarray(numbers, dtype=np.int64)}
    data.update({name: [combo[name] for combo in combos] for name in names})
    data.update(columns)
    return pd.DataFrame(data)
