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
        """Turn every switch off (the seed stays)."""
        self.config = FaultConfig(seed=self.config.seed)
        return self.config

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``."""
        return rate > 0 and self._rng.random() < rate
