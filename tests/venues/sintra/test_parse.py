"""Wire JSON → typed results: every malformed body is a ProtocolError naming endpoint and field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.core.errors import ProtocolError
from botkit.model.events import Price
from botkit.venues.sintra import parse
from botkit.venues.sintra.results import WsConnected, WsError, WsPrices

S = 1_000_000_000

GOOD_PRICE = {
    "pair": "btcnzd",
    "base": "btc",
    "quote": "nzd",
    "price": 107543.12,
    "timestamp": 1717171717,
    "source": "coinbase",
}


def test_the_contract_examples_parse() -> None:
    assert parse.parse_price(GOOD_PRICE) == Price(1717171717 * S, "btc", "nzd", 107543.12, "coinbase")
    fees = parse.parse_fees([{"priority": "low", "fee": 6}, {"priority": "high", "fee": 21}])
    assert [(f.priority, f.fee) for f in fees] == [("low", 6), ("high", 21)]
    board = parse.parse_price_board({"usd": {"price": 67012.55, "timestamp": 1717171717}})
    assert board.get("usd") == Price(1717171717 * S, "btc", "usd", 67012.55, "sintra")
    assert board.get("eur") is None
    session = parse.parse_session({"sessionId": "abc", "expires_at": 10})
    assert session.session_id == "abc" and session.expires_at == 10 * S


@pytest.mark.parametrize(
    ("function", "body", "message"),
    [
        (parse.parse_price, [], "retrieve_price: field 'body' must be an object, got []"),
        (parse.parse_price, {**GOOD_PRICE, "price": "NaN"}, "field 'body.price' must be a number, got 'NaN'"),
        (parse.parse_price, {**GOOD_PRICE, "price": float("nan")}, "field 'body.price' must be a number"),
        (parse.parse_price, {**GOOD_PRICE, "price": -1}, "field 'body.price' must be > 0, got -1"),
        (parse.parse_price, {**GOOD_PRICE, "price": True}, "field 'body.price' must be a number, got True"),
        (parse.parse_price, {**GOOD_PRICE, "timestamp": 1.5}, "field 'body.timestamp' must be an integer >= 0"),
        (parse.parse_price, {k: v for k, v in GOOD_PRICE.items() if k != "quote"}, "'body.quote' is missing"),
        (parse.parse_price_board, {"usd": {"price": 1, "timestamp": None}}, "list_prices: field 'body.usd.timestamp'"),
        (parse.parse_price_board, {"usd": 5}, "field 'body.usd' must be an object"),
        (parse.parse_price_board, {"US$": {"price": 1, "timestamp": 1}}, "'body.US$' is not a lower-case"),
        (parse.parse_fees, {"low": 1}, "list_fees: field 'body' must be an array"),
        (parse.parse_fees, [{"priority": "low", "fee": "6"}], "field 'body[0].fee' must be an integer"),
        (parse.parse_fee_history, [{"timestamp": 1, "fees": {}}], "field 'body[0].fees' must be an array"),
        (parse.parse_exchanges, [{"id": "x", "name": ""}], "field 'body[0].name' must be a non-empty string"),
        (parse.parse_pairs, [{"pair": "btcusd", "base": "btc"}], "list_pairs: field 'body[0].quote' is missing"),
        (parse.parse_pair_stats, {"pair": "btcusd"}, "retrieve_pair: field 'body.base' is missing"),
        (parse.parse_session, {"sessionId": 5}, "create_session: field 'body.sessionId' must be a non-empty string"),
    ],
)
def test_malformed_bodies_name_the_endpoint_and_the_field(function, body, message: str) -> None:
    with pytest.raises(ProtocolError, match=r"^sintra ") as caught:
        function(body)
    assert message in str(caught.value)


def test_price_history_takes_the_pair_from_the_request() -> None:
    (price,) = parse.parse_price_history([{"timestamp": 60, "price": 5}], "eur")
    assert price == Price(60 * S, "btc", "eur", 5.0, "sintra")
    with pytest.raises(ProtocolError, match=r"list_price_history: field 'body\[1\].price' is missing"):
        parse.parse_price_history([{"timestamp": 60, "price": 5}, {"timestamp": 120}], "eur")


def test_websocket_events() -> None:
    hello = {"event": "connection", "data": {"message": "hi", "plan": "pro", "interval": 1}}
    assert parse.parse_ws_event(json.dumps(hello)) == WsConnected("pro", 1, "hi")
    data = {"event": "data", "data": {"usd": {"price": 2.5, "timestamp": 10}}}
    assert parse.parse_ws_event(json.dumps(data)) == WsPrices((Price(10 * S, "btc", "usd", 2.5, "sintra"),))
    error = {"event": "error", "data": {"message": "gone", "type": "ConnectionError"}}
    assert parse.parse_ws_event(json.dumps(error)) == WsError("gone", "ConnectionError", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [  # the simulator's malformed messages, and a few more
        ('{"event": "data", "data": {"usd": {"price": 6', "message is not JSON"),
        ("not json at all", "message is not JSON"),
        ('{"data": {"usd": {"price": 1.0, "timestamp": 0}}}', "field 'message.event' is missing"),
        ('{"event": "data", "data": [1, 2, 3]}', "field 'message.data' must be an object"),
        (
            '{"event": "data", "data": {"usd": {"price": "NaN", "timestamp": null}}}',
            "field 'message.data.usd.timestamp' must be an integer >= 0, got None",
        ),
        ('{"event": "mystery", "data": {}}', "field 'message.event' is not a known event: 'mystery'"),
        ('{"event": "error", "data": {"message": "m", "type": "T", "code": 5}}', "'message.data.code'"),
        ('{"event": "connection", "data": {"message": "m", "plan": "pro", "interval": 0}}', "interval"),
        ("[]", "field 'message' must be an object"),
    ],
)
def test_malformed_websocket_messages(text: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=r"^sintra websocket: ") as caught:
        parse.parse_ws_event(text)
    assert message in str(caught.value)


def test_error_bodies() -> None:
    documented = {"status_code": 401, "message": "m", "type": "UnauthorizedError", "code": "API_KEY_MISSING"}
    assert parse.parse_error_body(documented) == ("m", "UnauthorizedError", "API_KEY_MISSING")
    assert parse.parse_error_body({"message": "m", "type": "T", "code": 3}) == ("m", "T", None)
    assert parse.parse_error_body({"message": "m"}) is None
    assert parse.parse_error_body("boom") is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
ALL = [
    parse.parse_exchanges,
    parse.parse_fees,
    parse.parse_fee_history,
    parse.parse_pairs,
    parse.parse_pair_stats,
    parse.parse_price,
    parse.parse_price_board,
    parse.parse_session,
    lambda body: parse.parse_price_history(body, "usd"),
]


@settings(max_examples=300, deadline=None)
@given(body=JSON, which=st.integers(0, len(ALL) - 1))
def test_any_json_gives_a_result_or_a_protocol_error(body: object, which: int) -> None:
    try:
        ALL[which](body)
    except ProtocolError as error:
        assert str(error).startswith("sintra ")


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        JSON,
        st.fixed_dictionaries({"event": st.sampled_from(["data", "connection", "error", "x"]), "data": JSON}),
    )
)
def test_any_websocket_message_gives_an_event_or_a_protocol_error(body: object) -> None:
    try:
        parse.parse_ws_event(json.dumps(body))
    except ProtocolError as error:
        assert str(error).startswith("sintra websocket: ")
