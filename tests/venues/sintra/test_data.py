"""Every REST endpoint of the Sintra client, against a real simulator on loopback."""

from __future__ import annotations

import itertools

import pytest

from botkit.core.clock import NS_PER_SECOND
from botkit.core.errors import ConfigError, NotFoundError
from botkit.model.events import Price
from botkit.model.instruments import Instrument
from botkit.sim.sintra import FaultConfig, SintraSimServer, run_sintra_sim
from botkit.venues.base import InstrumentProvider, MarketDataClient
from botkit.venues.errors import VenueApiError
from botkit.venues.sintra import (
    Exchange,
    FeeLevel,
    PriceBoard,
    SintraDataClient,
)

from .helpers import SUPPORTED, T0_NS, T0_S, client_for, clock_at, roomy_config

DAY_NS = 86_400 * NS_PER_SECOND


async def test_list_exchanges(starter: SintraDataClient) -> None:
    exchanges = await starter.list_exchanges()
    assert all(isinstance(e, Exchange) for e in exchanges)
    assert {e.id for e in exchanges} >= {"coinbase", "kraken"}
    assert next(e for e in exchanges if e.id == "coinbase").url.startswith("https://")


async def test_list_fees_lowest_first(starter: SintraDataClient) -> None:
    fees = await starter.list_fees()
    assert all(isinstance(f, FeeLevel) for f in fees)
    assert [f.priority for f in fees] == ["low", "medium", "high"]
    assert [f.fee for f in fees] == sorted(f.fee for f in fees)


async def test_list_fee_history(pro: SintraDataClient) -> None:
    date = T0_NS - 3 * 3_600 * NS_PER_SECOND
    history = await pro.list_fee_history(date=date, sort="desc", limit=5)
    stamps = [h.ts for h in history]
    assert len(stamps) == 5 and all(ts < date for ts in stamps)
    assert [a - b for a, b in itertools.pairwise(stamps)] == [3_600 * NS_PER_SECOND] * 4
    assert all([f.priority for f in h.fees] == ["low", "medium", "high"] for h in history)


async def test_retrieve_pair_for_today_and_for_a_past_day(starter: SintraDataClient) -> None:
    today = await starter.retrieve_pair("BTCUSD")
    assert (today.pair, today.base, today.quote) == ("btcusd", "btc", "usd")
    assert today.start == T0_NS // DAY_NS * DAY_NS and today.end >= T0_NS
    assert today.low <= min(today.open, today.close) <= max(today.open, today.close) <= today.high
    past = await starter.retrieve_pair("btceur", date="2024-05-01T00:00:00Z")
    assert past.end - past.start == DAY_NS and past.quote == "eur" and past.volume > 0


async def test_list_pairs_and_instruments(starter: SintraDataClient) -> None:
    pairs = await starter.list_pairs()
    assert {p.quote for p in pairs} == SUPPORTED
    instruments = await starter.instruments()
    assert Instrument("BTCUSD", "sintra", "btc", "usd", tick_size=0.01) in instruments
    assert isinstance(starter, InstrumentProvider) and isinstance(starter, MarketDataClient)


async def test_retrieve_price_of_a_supported_pair(starter: SintraDataClient) -> None:
    price = await starter.retrieve_price("btcgbp")
    assert isinstance(price, Price)
    assert (price.base, price.quote, price.source) == ("btc", "gbp", "sintra")
    assert price.price > 0 and abs(price.ts - T0_NS) < 60 * NS_PER_SECOND


async def test_an_unsupported_quote_falls_back_to_coinbase(starter: SintraDataClient) -> None:
    price = await starter.retrieve_price("btcnzd")
    assert price.source == "coinbase" and price.quote == "nzd" and price.price > 0
    with pytest.raises(NotFoundError) as caught:
        await starter.retrieve_price("btcxyz")
    assert isinstance(caught.value, VenueApiError) and caught.value.code == "PAIR_NOT_FOUND"


async def test_list_prices_tolerates_missing_currencies() -> None:
    config = roomy_config(faults=FaultConfig(missing_currencies=("gbp", "jpy")))
    async with run_sintra_sim(config, clock=clock_at()) as sim, client_for(sim, key=None) as client:
        board = await client.list_prices()
    assert isinstance(board, PriceBoard)
    assert board.quotes == SUPPORTED - {"gbp", "jpy"}
    assert board.get("gbp") is None and "gbp" not in board
    usd = board.get("USD")
    assert usd is not None and usd.source == "sintra" and "usd" in board
    assert len(board) == len(list(board)) == 5


@pytest.mark.parametrize(("interval", "step_s"), [("minute", 60), ("hour", 3_600), ("day", 86_400)])
async def test_price_history_pages_backwards_without_overlap(pro: SintraDataClient, interval: str, step_s: int) -> None:
    step = step_s * NS_PER_SECOND
    first = await pro.list_price_history("btcusd", interval=interval, limit=25, sort="desc")
    assert len(first) == 25 and all(p.ts % step == 0 and p.ts < T0_NS + step for p in first)
    assert [a.ts - b.ts for a, b in itertools.pairwise(first)] == [step] * 24
    second = await pro.list_price_history("btcusd", interval=interval, date=first[-1].ts, limit=3)
    assert [p.ts for p in second] == [first[-1].ts - k * step for k in (3, 2, 1)]
    assert all((p.base, p.quote, p.source) == ("btc", "usd", "sintra") for p in second)


async def test_price_history_sorts_the_same_entries(pro: SintraDataClient) -> None:
    asc = await pro.list_price_history("btceur", interval="hour", date=T0_NS, limit=4)
    desc = await pro.list_price_history("btceur", interval="hour", date=T0_NS, sort="desc", limit=4)
    assert asc == tuple(reversed(desc))


async def test_create_session(pro: SintraDataClient) -> None:
    session = await pro.create_session()
    assert len(session.session_id) >= 16
    assert abs(session.expires_at - (T0_NS + 600 * NS_PER_SECOND)) <= 2 * NS_PER_SECOND
    assert session.session_id not in repr(session)


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda c: c.list_price_history("btcusd", limit=0), "limit must be 1..25, got 0"),
        (lambda c: c.list_price_history("btcusd", limit=26), "limit must be 1..25, got 26"),
        (lambda c: c.list_fee_history(limit=True), "limit must be an integer 1..25, got True"),
        (lambda c: c.list_fee_history(limit="5"), "limit must be an integer 1..25, got '5'"),
        (lambda c: c.list_fee_history(sort="up"), "sort must be one of asc, desc, got 'up'"),
        (lambda c: c.list_price_history("btcusd", interval="week"), "interval must be one of"),
        (lambda c: c.retrieve_price("ethusd"), "pair must be 'btc' and a 3-4 letter"),
        (lambda c: c.retrieve_pair("btcusd", date=T0_S), "date 1717243200 is before 2009"),
        (lambda c: c.list_fee_history(date="yesterday"), "date must be a time"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(call, named: str) -> None:
    # nothing listens on this port: a request would fail with VenueUnavailable, not ConfigError
    async with run_sintra_sim(roomy_config(), clock=clock_at()) as sim:
        client = client_for(sim)
    async with client:
        with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
            await call(client)


async def test_a_date_is_sent_as_whole_seconds_rounded_up(pro: SintraDataClient) -> None:
    date = T0_NS - 3_600 * NS_PER_SECOND + 1  # 1 ns after a grid time: that grid time is included
    (page,) = await pro.list_price_history("btcusd", date=date, limit=1)
    assert page.ts == T0_NS - 3_600 * NS_PER_SECOND


async def test_the_client_is_a_context_manager_and_closes_twice(sim: SintraSimServer) -> None:
    client = client_for(sim, key=None)
    async with client:
        await client.list_fees()
    await client.close()
    assert repr(client).startswith("SintraDataClient(") and "starter" in repr(client)
