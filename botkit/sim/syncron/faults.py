"""Fault injection switches of the simulator and the seeded dice that apply them."""

from __future__ import annotations

import random
from typing import Any

from pydantic import ValidationError

from botkit.sim.syncron.config import FaultConfig
from botkit.sim.syncron.errors import invalid_parameter


class FaultState:
    """The current fault switches, changeable at run time through the admin endpoint."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._429_left = 0

    def update(self, patch: dict[str, Any]) -> FaultConfig:
        """Apply a partial update; ``40001`` names the first invalid switch."""
        try:
            config = FaultConfig.model_validate({**self.config.model_dump(), **patch})
        except ValidationError as error:
            first = error.errors()[0]
            raise invalid_parameter(
                ".".join(str(p) for p in first["loc"]) or "body", first["msg"]
            ) from None
        if config.seed != self.config.seed:
            self._rng = random.Random(config.seed)
        self.config = config
        return config

    def reset(self) -> FaultConfig:
        """Turn every switch off and end a running 429 burst (the seed stays)."""
        self.config = FaultConfig(seed=self.config.seed)
        self._429_left = 0
        return self.config

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``."""
        return rate > 0 and self._rng.random() < rate

    def roll_429(self) -> bool:
        """Whether to answer this request 429: a new burst starts with ``http_429_rate``.

        A burst is ``http_429_burst`` requests in a row (the one that started it included); it runs
        to its end even if the rate is lowered meanwhile, and ``reset`` ends it.
        """
        if self._429_left > 0:
            self._429_left -= 1
            return True
        if self.roll(self.config.http_429_rate):
            self._429_left = self.config.http_429_burst - 1
            return True
        return False
