"""Parameter validation over real HTTP: malformed input is the documented 400, never a 5xx."""

from __future__ import annotations

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from botkit.sim.sintra import SintraSimServer

from .helpers import PRO, assert_error, fetch

BAD_PARAMS = [
    ("superscript limit", "/fees/history?limit=%C2%B2", "INVALID_LIMIT"),
    ("Arabic-Indic limit", "/fees/history?limit=%D9%A1%D9%A2", "INVALID_LIMIT"),
    ("5000-digit limit", "/fees/history?limit=" + "1" * 5_000, "INVALID_LIMIT"),
    ("padded limit", "/fees/history?limit=+5", "INVALID_LIMIT"),
    ("5000-digit date", "/pairs/btcusd?date=" + "1" * 5_000, "INVALID_DATE"),
    ("Arabic-Indic date", "/prices/btcusd/history?date=%D9%A1%D9%A2", "INVALID_DATE"),
    ("superscript interval", "/prices/btcusd/history?interval=%C2%B2", "INVALID_INTERVAL"),
    ("Kelvin sign in a pair", "/prices/btcus%E2%84%AA", "INVALID_PAIR"),  # lowers to ASCII 'k'
    ("Kelvin sign in a pair stat", "/pairs/btcus%E2%84%AA", "INVALID_PAIR"),
]


@pytest.mark.parametrize(("path", "code"), [c[1:] for c in BAD_PARAMS], ids=[c[0] for c in BAD_PARAMS])
async def test_a_malformed_parameter_is_the_documented_400(
    sim: SintraSimServer, http: aiohttp.ClientSession, path: str, code: str
) -> None:
    status, body, _ = await fetch(http, URL(sim.base_url + path, encoded=True), PRO)
    assert_error(status, body, 400, code)
    assert len(body["message"]) < 200  # the refused value is quoted cut short


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(["/fees/history", "/prices/btcusd/history", "/pairs/btcusd", "/prices/{pair}"]),
    pair=st.text(max_size=8),
    params=st.dictionaries(
        st.sampled_from(["limit", "date", "sort", "interval"]) | st.text(max_size=5), st.text(max_size=12), max_size=4
    ),
)
async def test_fuzzed_parameters_never_get_a_5xx(
    sim: SintraSimServer, http: aiohttp.ClientSession, path: str, pair: str, params: dict[str, str]
) -> None:
    url = URL(sim.base_url).with_path(URL(sim.base_url).path + path.format(pair=pair or "x")).with_query(params)
    status, body, _ = await fetch(http, url, PRO)
    assert status < 500, body
    if status >= 400:
        assert body["status_code"] == status
