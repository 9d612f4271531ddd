"""Fault injection: server errors, extra latency, dropped and malformed WebSocket events."""

from __future__ import annotations

import random
from collections.abc import Mapping
from enum import Enum

from botkit.sim.sintra.config import FaultConfig

_MALFORMED_EVENTS = (
    '{"event": "data", "data": {"usd": {"price": 6',
    "not json at all",
    '{"data": {"usd": {"price": 1.0, "timestamp": 0}}}',
    '{"event": "data", "data": [1, 2, 3]}',
    '{"event": "data", "data": {"usd": {"price": "NaN", "timestamp": null}}}',
    '{"event": "mystery", "data": {}}',
)


class WsFault(Enum):
    """What to do instead of (or as) the next WebSocket data event."""

    NONE = "none"
    DROP = "drop"
    MALFORMED = "malformed"


class FaultInjector:
    """The faults in force, changeable at run time, drawn from a seeded generator."""

    def __init__(self, config: FaultConfig) -> None:
        self._initial = config
        self._config = config
        self._rng = random.Random(config.seed)
        self._malformed_sent = 0

    @property
    def config(self) -> FaultConfig:
        """The faults in force now."""
        return self._config

    def update(self, changes: Mapping[str, object]) -> FaultConfig:
        """Merge ``changes`` into the faults in force; raises pydantic's ValidationError."""
        merged = FaultConfig.model_validate({**self._config.model_dump(), **changes})
        if "seed" in changes:
            self._rng.seed(merged.seed)
        self._config = merged
        return merged

    def reset(self) -> FaultConfig:
        """Back to the faults the simulator was started with."""
        self._config = self._initial
        self._rng.seed(self._initial.seed)
        return self._config

    def http_error_status(self) -> int | None:
        """The status of an injected server error for this request, or None."""
        rate = self._config.http_error_rate
        if rate > 0 and self._rng.random() < rate:
            return self._config.http_error_status
        return None

    def ws_fault(self, data_events_sent: int) -> WsFault:
        """The fault for a connection's next data event, given how many it has sent."""
        cfg = self._config
        if cfg.ws_drop_after is not None and data_events_sent >= cfg.ws_drop_after:
            return WsFault.DROP
        if cfg.ws_drop_rate > 0 and self._rng.random() < cfg.ws_drop_rate:
            return WsFault.DROP
        if cfg.ws_malformed_rate > 0 and self._rng.random() < cfg.ws_malformed_rate:
            return WsFault.MALFORMED
        return WsFault.NONE

    def malformed_event(self) -> str:
        """The next malformed message, cycling through truncated, non-JSON and wrong shapes."""
        text = _MALFORMED_EVENTS[self._malformed_sent % len(_MALFORMED_EVENTS)]
        self._malformed_sent += 1
        return text
