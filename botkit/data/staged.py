"""Writing one venue/symbol's kinds beside the archive, then swapping them in whole.

``botkit data generate`` writes a complete synthetic series. Written day file by day file over an
archive, an interrupted run (or a shorter run over a longer one) would leave days of two seeds
side by side: a silent price jump at the seam. ``staged_kinds`` gives a scratch archive root
inside the real one; only when everything is written does each kind folder written there replace
the archive's folder of that kind, whole, by rename. An interrupted run leaves the archive as it
was; its scratch folder (``.staged-<pid>-*.tmp``) is removed by the next run.

The symbol's folder keeps a ``.generated.json`` note of the kinds written this way. A kind folder
with files that the note does not list was downloaded or recorded: it is never replaced (except
under the ``synthetic`` venue, which only ``generate`` writes to, also before notes existed).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botkit.core.errors import ConfigError
from botkit.data.atomic import TEMP_SUFFIX, atomic_write
from botkit.data.layout import check_name

GENERATED_NOTE = ".generated.json"
"""The file in a symbol's folder that lists the kinds ``generate`` wrote there, and how (seed, rows...)."""
SYNTHETIC_VENUE = "synthetic"
_STAGE_PREFIX = ".staged-"


@contextmanager
def staged_kinds(root: str | Path, venue: str, symbol: str, note: Mapping[str, Any]) -> Iterator[Path]:
    """A scratch archive root to write ``venue``/``symbol`` into; on success its kinds replace the archive's.

    ``note`` (seed, start, rows...) is kept for each new kind in the symbol folder's ``.generated.json``.
    If the block raises, nothing in ``root`` changes but the scratch folder, which is removed.
    """
    root = Path(root)
    check_name("venue", venue)
    check_name("symbol", symbol)
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root)
    stage = Path(tempfile.mkdtemp(dir=root, prefix=f"{_STAGE_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX))
    try:
        yield stage
        _swap_in(stage, root, venue, symbol, note)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def final_paths(stage: Path, root: str | Path, paths: list[Path]) -> list[Path]:
    """Where files written under ``stage`` are once swapped into ``root``."""
    return [Path(root) / path.relative_to(stage) for path in paths]


def _swap_in(stage: Path, root: Path, venue: str, symbol: str, note: Mapping[str, Any]) -> None:
    written = stage / venue / symbol
    kinds = sorted(p.name for p in written.iterdir() if p.is_dir()) if written.is_dir() else []
    target_dir = root / venue / symbol
    notes = _read_notes(target_dir)
    for kind in kinds:  # refuse before replacing anything
        _check_replaceable(target_dir / kind, venue, kind in notes)
    target_dir.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        target = target_dir / kind
        if target.exists():
            target.rename(stage / f"replaced-{kind}")  # removed with the stage
        (written / kind).rename(target)
        notes[kind] = dict(note)
    with atomic_write(target_dir / GENERATED_NOTE) as handle:
        handle.write((json.dumps(notes, default=str, indent=1) + "\n").encode())


def _read_notes(folder: Path) -> dict[str, Any]:
    try:
        notes = json.loads((folder / GENERATED_NOTE).read_text())
    except (OSError, ValueError):
        return {}
    return notes if isinstance(notes, dict) else {}


def _check_replaceable(folder: Path, venue: str, generated: bool) -> None:
    if venue == SYNTHETIC_VENUE or generated or not folder.is_dir():
        return
    if any(folder.iterdir()):
        raise ConfigError(
            f"{folder} holds data that botkit data generate did not write (downloaded or recorded?); "
            "it is not replaced: generate into another --out or --venue, or remove that folder first"
        )


def _remove_abandoned(root: Path) -> None:
    """Scratch folders of runs that were killed (their process is gone)."""
    for entry in root.glob(f"{_STAGE_PREFIX}*{TEMP_SUFFIX}"):
        pid_text = entry.name.removeprefix(_STAGE_PREFIX).split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
