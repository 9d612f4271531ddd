"""The simulator's ``/_sim`` control routes refuse malformed bodies with 400/413, never 5xx."""

from __future__ import annotations

import aiohttp
import pytest

from botkit.sim.sintra import SintraSimServer

from .helpers import assert_error, fetch

BAD_BODIES = [
    ("nested", b"[" * 100_000, 400, "INVALID_BODY"),
    ("5000-digit number", b'{"seconds": ' + b"1" * 5_000 + b"}", 400, "INVALID_BODY"),
    ("NaN", b'{"seconds": NaN}', 400, "INVALID_BODY"),
    ("repeated key", b'{"seconds": 1, "seconds": 2}', 400, "INVALID_BODY"),
    ("1e400", b'{"seconds": 1e400}', 400, "INVALID_BODY"),
    ("a thousand years", b'{"seconds": 31622400000}', 400, "INVALID_BODY"),
    ("not UTF-8", b'{"seconds": "\xff"}', 400, "INVALID_BODY"),
    ("over 1 MiB", b'{"x": "' + b"a" * (1 << 20) + b'"}', 413, "BODY_TOO_LARGE"),
]


@pytest.mark.parametrize(("raw", "status", "code"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES])
async def test_a_bad_clock_advance_body_is_refused(
    sim: SintraSimServer, http: aiohttp.ClientSession, raw: bytes, status: int, code: str
) -> None:
    before = sim.state.now_s()
    got, body, _ = await fetch(http, sim.admin_url + "/clock/advance", method="POST", data=raw)
    assert_error(got, body, status, code)
    assert sim.state.now_s() - before < 5


async def test_a_nested_faults_body_is_refused(sim: SintraSimServer, http: aiohttp.ClientSession) -> None:
    nested = b'{"a":' * 1000 + b"1" + b"}" * 1000
    got, body, _ = await fetch(http, sim.admin_url + "/faults", method="POST", data=nested)
    assert_error(got, body, 400, "INVALID_BODY")
