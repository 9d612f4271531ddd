"""On-disk caching for kernels built around a strategy's compiled step.

Numba keys a cached closure on a pickle of its closure variables; a dispatcher pickles with a
per-process id, so a kernel closing over a step would recompile in every process. This cache keys
on the step's source instead: its module file, qualified name and bytecode, plus the botkit helper
modules steps call. (Like numba's own cache, it cannot see other modules a user's step imports.)
A declared strategy's step is botkit's wrapper around the user's (``botkit_source``): its digest
covers both, and the layout of the named tuples the wrapper builds.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

from numba.core.caching import FunctionCache

from botkit.model import records
from botkit.strategy import compiled, declared


def step_digest(step: Any) -> str | None:
    """A stable fingerprint of a compiled step's source, or None if it has no source file."""
    wrapped = getattr(step, "botkit_source", None)
    if wrapped is not None:
        inner, layout = wrapped
        parts = (_source_digest(step), step_digest(inner))
        if None in parts:
            return None
        return hashlib.sha256(f"{parts[0]}:{parts[1]}:{layout}".encode()).hexdigest()
    return _source_digest(step)


def _source_digest(step: Any) -> str | None:
    py_func = getattr(step, "py_func", None)
    if py_func is None:
        return None
    try:
        path = inspect.getsourcefile(py_func)
    except TypeError:
        return None
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            source = handle.read()
    except OSError:
        return None
    hasher = hashlib.sha256(source)
    hasher.update(f"{py_func.__module__}:{py_func.__qualname__}".encode())
    hasher.update(py_func.__code__.co_code)
    hasher.update(_HELPERS_DIGEST)
    return hasher.hexdigest()


def _helpers_digest() -> bytes:
    """Fingerprint of the botkit modules whose functions steps call (numba inlines them into the kernel)."""
    hasher = hashlib.sha256()
    paths = [inspect.getsourcefile(module) or "" for module in (compiled, records)] + list(declared.SOURCE_FILES)
    for path in paths:
        with open(path, "rb") as handle:
            hasher.update(handle.read())
    return hasher.digest()


_HELPERS_DIGEST = _helpers_digest()


class StepKernelCache(FunctionCache):
    """A numba function cache whose key includes the step's digest instead of a closure pickle."""

    def __init__(self, py_func: Any, digest: str) -> None:
        super().__init__(py_func)
        self._digest = digest

    def _index_key(self, sig: Any, codegen: Any) -> tuple[Any, ...]:
        code = hashlib.sha256(self._py_func.__code__.co_code).hexdigest()
        return (sig, codegen.magic_tuple(), (code, self._digest))


def enable_step_cache(kernel: Any, step: Any, variant: str) -> bool:
    """Attach a StepKernelCache to ``kernel``; False (no caching) when the step has no source file.

    ``variant`` names the other closure constants the kernel was built with.
    """
    digest = step_digest(step)
    if digest is None:
        return False
    kernel._cache = StepKernelCache(kernel.py_func, f"{digest}:{variant}")
    return True
