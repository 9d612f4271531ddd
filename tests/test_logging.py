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
