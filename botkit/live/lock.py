"""One bot per state store: an exclusive lock beside the state file, naming who holds it.

Two bots on one state file would each believe they own the other's orders (and cancel them when
they stop). The lock is an ``flock`` on ``<state file>.lock``: the kernel releases it when the
holder dies, even by ``kill -9``, so a crash never leaves a stale lock behind. The holder writes
its pid, host and start time into the file so the refusal can say who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from botkit.core.errors import ConfigError


class StateLocked(ConfigError):
    """Another bot holds the state store; ``holder`` is what it wrote about itself."""

    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


class StateLock:
    """The exclusive lock of one state store; use as a context manager or ``acquire``/``release``."""

    def __init__(self, state_path: Path) -> None:
        self.path = state_path.with_name(state_path.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``StateLocked`` naming the bot that holds it."""
        if self._handle is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's lifetime
        except OSError as error:  # /proc, /sys, a read-only mount: refused at start, not a traceback
            raise ConfigError(f"state_dir {str(self.path.parent)!r}: cannot keep the bot's state there "
                              f"({error.strerror or error}); choose a writable folder") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StateLocked(
                f"state store {str(self.path.with_suffix(''))!r} is in use by another bot ({holder}); "
                "one bot per state store: stop it, or give this bot another name or state_dir",
                holder,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Give the lock up; safe to call twice."""
        if self._handle is None:
            return
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
