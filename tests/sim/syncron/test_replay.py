"""Replay protection: a signed POST or DELETE is accepted once per signature within its window."""

from __future__ import annotations

import json

import aiohttp

from botkit.sim.syncron import running_sim
from botkit.sim.syncron.replay import ReplayGuard

from .conftest import Client, OffsetClock, quiet_config

ORDER = {"symbol": "BTCUSD", "side": "buy", "type": "limit", "qty": "0.01", "price": "59000"}


async def _send_twice(
    client: Client, method: str, path: str, *, query: str = "", body: str = ""
) -> list[tuple[int, dict]]:
    """The same signed request (same headers, same bytes) sent twice."""
    headers = client.signed_headers(method, path, body if method == "POST" else query)
    url = client.url + path + (f"?{query}" if query else "")
    answers = []
    for _ in range(2):
        async with client.session.request(method, url, data=body or None, headers=headers) as resp:
            answers.append((resp.status, await resp.json()))
    return answers


async def test_a_replayed_order_is_refused_and_places_nothing(client: Client) -> None:
    (first, placed), (second, replayed) = await _send_twice(
        client, "POST", "/v5/order", body=json.dumps(ORDER)
    )
    assert first == 200 and placed["data"]["status"] == "new"
    assert (second, replayed["error"]["code"]) == (401, 40107)
    assert len(await client.ok("GET", "/v5/orders/open")) == 1


async def test_a_replayed_cancel_all_is_refused(client: Client) -> None:
    (first, _), (second, replayed) = await _send_twice(client, "DELETE", "/v5/orders/open")
    assert first == 200 and (second, replayed["error"]["code"]) == (401, 40107)


async def test_reads_may_be_repeated(client: Client) -> None:
    answers = await _send_twice(client, "GET", "/v5/account/balances")
    assert [status for status, _ in answers] == [200, 200]


async def test_a_fresh_signature_of_the_same_order_is_a_new_order(client: Client) -> None:
    await client.place(**ORDER)
    await client.place(**ORDER)
    assert len(await client.ok("GET", "/v5/orders/open")) == 2


async def test_after_the_window_a_replay_is_a_stale_timestamp_and_forgotten() -> None:
    clock = OffsetClock()
    async with running_sim(quiet_config(), clock=clock) as sim, aiohttp.ClientSession() as session:
        client = Client(session, sim.url, clock=clock)
        headers = client.signed_headers("DELETE", "/v5/orders/open", "")
        url = sim.url + "/v5/orders/open"
        async with session.delete(url, headers=headers) as resp:
            assert resp.status == 200
        clock.advance(6)  # past the default 5000 ms recv window
        async with session.delete(url, headers=headers) as resp:
            assert (resp.status, (await resp.json())["error"]["code"]) == (401, 40104)
        await client.ok("DELETE", "/v5/orders/open")  # a fresh request prunes what expired
        assert len(sim.context.auth.replays) == 1


def test_the_guard_forgets_signatures_whose_window_has_passed() -> None:
    guard = ReplayGuard()
    for i in range(1000):
        assert guard.admit(f"sig-{i}", expires_at_ms=1_000 + i, now_ms=0)
    assert not guard.admit("sig-5", expires_at_ms=9_999, now_ms=500)
    assert len(guard) == 1000
    assert guard.admit("late", expires_at_ms=10_000, now_ms=1_500)  # sig-0..sig-499 expired
    assert len(guard) == 501
    assert guard.admit("sig-5", expires_at_ms=20_000, now_ms=5_000)  # forgotten: the window checks it
    assert len(guard) == 2
