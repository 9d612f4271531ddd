"""One bot per state store: a second bot on the same state is refused, naming the holder."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from botkit.core.errors import ConfigError
from botkit.live.lock import StateLock, StateLocked

from .helpers import ScriptParams
from .test_engine_paper import engine_for


async def test_a_second_bot_on_the_same_state_store_is_refused_and_the_first_keeps_its_orders(tmp_path):
    first, paper = engine_for(tmp_path, ScriptParams(buy_at=2, limit_price=90.0))
    running = asyncio.create_task(first.run(duration_s=1.0))
    await asyncio.sleep(0.3)
    second, _ = engine_for(tmp_path, ScriptParams(buy_at=1000))
    with pytest.raises(StateLocked, match=f'"pid": {os.getpid()}') as refused:
        await second.run(duration_s=0.1)
    assert "one bot per state store" in str(refused.value)
    assert len(await paper.open_orders()) == 1, "the refused bot canceled nothing"
    await running
    again, _ = engine_for(tmp_path, ScriptParams(buy_at=1000))
    await again.run(duration_s=0.05)  # released at the first bot's stop


def test_the_lock_is_released_when_its_holder_lets_go(tmp_path):
    path = tmp_path / "bot.state.json"
    with StateLock(path), pytest.raises(StateLocked):
        StateLock(path).acquire()
    with StateLock(path):
        pass


@pytest.mark.parametrize("folder", ["/proc/botkit-state", "/dev/null/state"])
def test_a_state_dir_the_system_refuses_is_a_config_error_at_start(folder):
    with pytest.raises(ConfigError, match=f"^state_dir '{folder}': cannot keep the bot's state there"):
        StateLock(Path(folder) / "bot.state.json").acquire()
