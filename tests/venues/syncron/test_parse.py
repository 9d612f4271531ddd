"""The parsers, on any JSON: a model object or a ProtocolError naming the field, nothing else."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botkit.core.errors import ProtocolError
from botkit.model.enums import BookSide, Side
from botkit.model.events import BookDelta, BookLevel
from botkit.model.orders import OrderStatus
from botkit.venues.syncron import frames, parse

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
DECIMAL_TEXT = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False).map(lambda d: format(d, "f"))
POSITIVE_TEXT = st.decimals(min_value="0.0001", max_value=10**7, places=4).map(lambda d: format(d, "f"))

ORDER = {
    "order_id": "7d1", "client_order_id": "c-1", "symbol": "BTCUSD", "side": "buy", "type": "limit",
    "time_in_force": "gtc", "price": "60000.5", "stop_price": None, "qty": "0.0100", "filled_qty": "0.004",
    "filled_quote": "240.002", "avg_fill_price": "60000.5", "status": "partially_filled", "cancel_reason": None,
    "post_only": False, "reduce_only": False, "created_at": 1_700_000_000_000, "updated_at": 1_700_000_000_500,
}
FILL = {
    "fill_id": "f1", "trade_id": "t1", "order_id": "7d1", "client_order_id": "c-1", "symbol": "BTCUSD",
    "side": "buy", "price": "60000.5", "qty": "0.004", "fee": "0.12", "fee_asset": "USD", "liquidity": "maker",
    "ts": 1_700_000_000_400,
}
PARSERS = [
    parse.parse_server_time, parse.parse_instruments, parse.parse_ticker, parse.parse_orderbook,
    parse.parse_trades, lambda d: parse.parse_klines(d, "BTCUSD"), parse.parse_token_pair, parse.parse_order,
    parse.parse_orders, parse.parse_fills, parse.parse_balances, parse.parse_positions,
    lambda d: parse.parse_envelope(d, "x"),
]


@pytest.mark.parametrize("parser", PARSERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=JSON)
def test_any_json_is_a_result_or_a_protocol_error(parser, data: object) -> None:
    try:
        parser(data)
    except ProtocolError as error:
        assert str(error).startswith("syncron ") and "field '" in str(error)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(ORDER)), value=JSON)
def test_a_wrong_order_field_is_named(field: str, value: object) -> None:
    body = {**ORDER, field: value}
    try:
        report = parse.parse_order(body)
    except ProtocolError as error:
        assert f"'data.{field}'" in str(error)
    else:
        assert report.order.order_id  # the value happened to be acceptable for that field


@settings(max_examples=200, deadline=None)
@given(frame=st.one_of(JSON.map(json.dumps), st.text(max_size=30), st.binary(max_size=30)))
def test_any_frame_is_a_message_or_a_protocol_error(frame: str | bytes) -> None:
    try:
        message = frames.parse_frame(frame)
    except ProtocolError as error:
        assert str(error).startswith("syncron websocket")
        return
    if isinstance(message, frames.Push):
        for reader in (frames.trade_ticks, frames.ticker, frames.order_reports, frames.executions,
                       lambda p: frames.book_snapshot(p, "BTCUSD"), lambda p: frames.book_deltas(p, "BTCUSD")):
            with contextlib.suppress(ProtocolError):
                reader(message)


LEVELS = st.lists(st.tuples(POSITIVE_TEXT, DECIMAL_TEXT).map(list), max_size=6)


@settings(max_examples=200, deadline=None)
@given(bids=LEVELS, asks=LEVELS, seq=st.integers(0, 2**40), ts=st.integers(0, 2**42))
def test_the_delta_fast_path_agrees_with_the_checked_reader(bids, asks, seq: int, ts: int) -> None:
    text = json.dumps({"topic": "book.BTCUSD", "type": "delta", "ts": ts,
                       "data": {"symbol": "BTCUSD", "seq": seq, "bids": bids, "asks": asks}})
    push = frames.parse_frame(text)
    assert isinstance(push, frames.Push) and push.ts == ts * 1_000_000
    fast = frames.book_deltas(push, "BTCUSD")
    assert fast == frames._checked_deltas(push, "BTCUSD")
    assert [d.side for d in fast] == [BookSide.BID] * len(bids) + [BookSide.ASK] * len(asks)
    assert all(d.sequence == seq and d.symbol == "BTCUSD" for d in fast)


@pytest.mark.parametrize(("data", "field"), [
    ({"symbol": "BTCUSD", "seq": 1, "bids": [["1", "2", "3"]], "asks": []}, "data.bids[0]"),
    ({"symbol": "BTCUSD", "seq": 1, "bids": [], "asks": [["x", "2"]]}, "data.asks[0][0]"),
    ({"symbol": "BTCUSD", "seq": "1", "bids": [], "asks": []}, "data.seq"),
    ({"symbol": "ETHUSD", "seq": 1, "bids": [], "asks": []}, "data.symbol"),
    ({"symbol": "BTCUSD", "seq": 1, "bids": [[True, "1"]], "asks": []}, "data.bids[0][0]"),
    ({"symbol": "BTCUSD", "seq": 1, "asks": []}, "data.bids"),
    ([], "data"),
])
def test_bad_deltas_name_the_field(data: object, field: str) -> None:
    push = frames.Push("book.BTCUSD", "delta", 0, data)
    with pytest.raises(ProtocolError, match=re.escape(f"syncron book.BTCUSD: field '{field}'")):
        frames.book_deltas(push, "BTCUSD")


def test_numbers_are_accepted_where_the_contract_says_strings() -> None:
    push = frames.Push("book.BTCUSD", "delta", 5, {"symbol": "BTCUSD", "seq": 3, "bids": [[100, 1.5]], "asks": []})
    assert frames.book_deltas(push, "BTCUSD") == [BookDelta(5, "BTCUSD", 3, BookSide.BID, 100.0, 1.5)]


def test_documented_objects_parse_to_model_objects() -> None:
    report = parse.parse_order(ORDER)
    order = report.order
    assert (order.status, order.filled_qty, order.avg_fill_price, order.ts_created) == (
        OrderStatus.PARTIALLY_FILLED, 0.004, 60000.5, 1_700_000_000_000_000_000)
    assert (report.wire_status, report.updated_at, report.filled_quote) == (
        "partially_filled", 1_700_000_000_500_000_000, 240.002)
    (execution,) = parse.parse_fills([FILL])
    assert execution.fill_id == "f1" and execution.fill.side is Side.BUY and execution.fill.qty == 0.004
    snapshot = parse.parse_orderbook({"symbol": "BTCUSD", "seq": 9, "ts": 1, "bids": [["10", "1"]], "asks": []})
    assert snapshot.bids == (BookLevel(10.0, 1.0),) and snapshot.sequence == 9 and snapshot.ts == 1_000_000
    envelope = parse.parse_envelope({"success": False, "error": {"code": 40001, "message": "m", "details": {}},
                                     "timestamp": 1}, "x")
    assert envelope.error == parse.WireError(40001, "m", {})


@pytest.mark.parametrize(("value", "problem"), [
    ("nan", "must be a finite decimal"), ("-1", "must be a finite decimal"), ("1e400", "must be a finite decimal"),
    (True, "must be a decimal string"), ([1], "must be a decimal string"),
])
def test_decimals_must_be_finite_numbers(value: object, problem: str) -> None:
    with pytest.raises(ProtocolError, match=f"'data.bid' {problem}"):
        parse.parse_ticker({"symbol": "X", "bid": value, "bid_qty": "1", "ask": None, "ask_qty": None,
                            "last": None, "open_24h": None, "high_24h": None, "low_24h": None,
                            "volume_24h": "0", "ts": 0})


def test_operation_replies() -> None:
    ok = frames.parse_frame('{"op":"subscribe","req_id":"1","success":true,"args":["book.BTCUSD"]}')
    assert ok == frames.OpReply("subscribe", "1", True, None, ["book.BTCUSD"])
    pong = frames.parse_frame('{"op":"pong","req_id":"4","timestamp":1}')
    assert isinstance(pong, frames.OpReply) and pong.op == "pong"
    failed = frames.parse_frame('{"op":"auth","req_id":"3","success":false,'
                                '"error":{"code":40103,"message":"invalid signature","details":{}}}')
    assert isinstance(failed, frames.OpReply) and failed.error == parse.WireError(40103, "invalid signature", {})
    with pytest.raises(ProtocolError, match=r"'frame\.success'"):
        frames.parse_frame('{"op":"auth","success":"yes"}')
