"""``venue_settings``: a bad ``BOTKIT_SYNCRON__*`` variable is named in the house form, not as pydantic's dump."""

from __future__ import annotations

import pytest

from botkit.core.errors import ConfigError
from botkit.live.build import venue_settings


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("BOTKIT_SYNCRON__RECV_WINDOW_MS", "99999999999",
         "environment BOTKIT_SYNCRON__RECV_WINDOW_MS: recv_window_ms: must be <= 60000, got '99999999999'"),
        ("BOTKIT_SYNCRON__WS_URL", "ws://127.0.0.1:99999/v5/ws",
         "environment BOTKIT_SYNCRON__WS_URL: ws_url: must be a ws(s) URL: invalid port number"),
    ],
)
def test_a_bad_syncron_variable_is_named_with_its_value(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        venue_settings("local", needs_credentials=False)
    assert str(info.value).startswith(message)
    assert "errors.pydantic.dev" not in str(info.value) and "validation error for" not in str(info.value)
