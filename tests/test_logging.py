import json

import structlog

from botkit.logging import REDACTED, configure_logging, redact_secrets, register_secret


def test_secret_named_fields_are_replaced():
    event = redact_secrets(None, "info", {"event": "x", "api_key": "k-123456", "headers": {"Authorization": "B"}})
    assert event["api_key"] == REDACTED
    assert event["headers"]["Authorization"] == REDACTED


def test_registered_values_are_masked_anywhere():
    register_secret("s3cr3t-token-value")
    event = redact_secrets(None, "info", {"event": "failed", "error": "bad url ?t=s3cr3t-token-value", "n": 3})
    assert "s3cr3t" not in event["error"] and event["n"] == 3


def test_configured_output_never_holds_a_secret(capsys):
    register_secret("another-secret-xyz")
    configure_logging("info", json=True)
    try:
        structlog.get_logger("t").info("request.failed", url="https://x/?k=another-secret-xyz", signature="abc")
    finally:
        structlog.reset_defaults()
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert "another-secret-xyz" not in line
    assert record["signature"] == REDACTED and record["event"] == "request.failed"


def test_namedtuple_values_are_masked_not_raised():
    from typing import NamedTuple

    class Creds(NamedTuple):
        name: str
        value: str

    register_secret("tuple-secret-987")
    event = redact_secrets(None, "info", {"event": "x", "creds": Creds("a", "k=tuple-secret-987")})
    assert isinstance(event["creds"], Creds)
    assert event["creds"].name == "a" and "tuple-secret-987" not in event["creds"].value


def test_unrebuildable_values_fall_back_to_masked_repr():
    class Odd(tuple):
        def __new__(cls, *parts):
            return super().__new__(cls, parts)

        def __init__(self, *parts):
            if len(parts) == 1 and not isinstance(parts[0], str):
                raise TypeError("no")

    register_secret("odd-secret-4242")
    event = redact_secrets(None, "info", {"event": "x", "v": Odd("odd-secret-4242", "b")})
    assert "odd-secret-4242" not in str(event["v"])


def test_bearer_tokens_and_jwts_are_masked_in_strings():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrIn0.c2lnbmF0dXJlLXZhbHVl"
    event = redact_secrets(None, "info", {"event": "x", "h": "Bearer abc.def-ghi", "e": f"bad token {jwt} here"})
    assert event["h"] == f"Bearer {REDACTED}"
    assert jwt not in event["e"] and "eyJ" not in event["e"] and event["e"].startswith("bad token ")


def test_stdlib_records_are_redacted_and_rendered_as_json(capsys):
    import logging

    register_secret("stdlib-secret-55555")
    configure_logging(level="debug", json=True)
    try:
        logging.getLogger("websockets.client").debug("> GET /ws?key=%s", "stdlib-secret-55555")
        logging.getLogger("aiohttp.client").warning("Authorization: Bearer tok-123456789")
    finally:
        structlog.reset_defaults()
    lines = [ln for ln in capsys.readouterr().err.strip().splitlines() if ln]
    assert "stdlib-secret-55555" not in "\n".join(lines) and "tok-123456789" not in "\n".join(lines)
    first, second = (json.loads(ln) for ln in lines[-2:])
    assert first["event"] == f"> GET /ws?key={REDACTED}" and first["logger"] == "websockets.client"
    assert first["level"] == "debug" and second["level"] == "warning"
