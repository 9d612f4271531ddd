"""Validation errors point at file:line:column, say what is wrong and suggest the key meant."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from botkit.core.config_problems import MAX_PROBLEMS, config_error_from, format_key_path, looks_secret
from botkit.core.errors import ConfigError
from botkit.core.yaml_document import parse_yaml_document

_STRICT = ConfigDict(extra="forbid")


class Fees(BaseModel):
    model_config = _STRICT
    maker_bps: float = Field(0.0, ge=0)
    taker_bps: float = Field(0.0, ge=0, le=1000)


class Spec(BaseModel):
    model_config = _STRICT
    strategy: str
    capital: float = Field(1.0, gt=0)
    mode: str = Field("paper", pattern="^(paper|live)$")
    fees: Fees = Field(default_factory=Fees)
    symbols: list[str] = Field(default_factory=list)
    start: datetime | date | None = None
    venue_api_key: str = Field("", max_length=3)


def error_for(text: str, **kwargs) -> ConfigError:
    document = parse_yaml_document(text, "x.yaml")
    with pytest.raises(ValidationError) as info:
        Spec.model_validate(document.data)
    return config_error_from(info.value, source="x.yaml", model=Spec, what="spec", document=document, **kwargs)


def test_a_bound_names_file_line_column_key_limit_and_value():
    assert str(error_for("strategy: s\ncapital: -1\n")) == "x.yaml:2:10: capital: must be > 0, got -1"
    assert str(error_for("strategy: s\nfees:\n  taker_bps: 2000.5\n")) == (
        "x.yaml:3:14: fees.taker_bps: must be <= 1000, got 2000.5")


def test_unknown_keys_suggest_the_closest_valid_key():
    assert str(error_for("strategy: s\ncapitol: 5\n")) == "x.yaml:2:1: unknown key 'capitol'; did you mean 'capital'?"
    assert str(error_for("strategy: s\nfees: {taker: 5}\n")) == (
        "x.yaml:2:8: unknown key 'fees.taker'; did you mean 'fees.taker_bps'?")
    assert "(valid keys: maker_bps, taker_bps)" in str(error_for("strategy: s\nfees: {zzz: 5}\n"))


def test_several_problems_are_listed_in_file_order_under_a_heading():
    message = str(error_for("modee: live\ncapital: 0\n"))
    lines = message.splitlines()
    assert lines[0] == "x.yaml: 3 problems in the spec:"
    assert lines[1].startswith("  x.yaml:1:1: unknown key 'modee'; did you mean 'mode'?")
    assert lines[2] == "  x.yaml:2:10: capital: must be > 0, got 0"
    assert lines[3] == "  x.yaml: strategy is required"


def test_union_members_are_one_problem_at_the_field():
    message = str(error_for("strategy: s\nstart: soon\n"))
    assert message.startswith("x.yaml:2:8: start: Input should be a valid datetime") and "\n" not in message


def test_list_items_and_collections_point_at_the_right_place():
    assert str(error_for("strategy: s\nsymbols: [A, 5]\n")).startswith("x.yaml:2:14: symbols[1]: Input should be")
    assert str(error_for("strategy: s\nfees: [1]\n")).startswith("x.yaml:2:1: fees: Input should be")


def test_a_value_the_file_does_not_hold_gets_no_line_and_the_origin_says_where():
    document = parse_yaml_document("strategy: s\ncapital: 5\n", "x.yaml")
    with pytest.raises(ValidationError) as info:
        Spec.model_validate({**document.data, "capital": -2})  # e.g. a command-line override
    error = config_error_from(info.value, source="x.yaml", model=Spec, what="spec", document=document)
    assert str(error) == "x.yaml: capital: must be > 0, got -2"
    error = config_error_from(info.value, source="x.yaml", model=Spec, what="spec", document=document,
                              origin=lambda path: "environment CAPITAL" if path == ("capital",) else None)
    assert str(error) == "environment CAPITAL: capital: must be > 0, got -2"


def test_without_a_document_the_source_is_named_and_a_prefix_is_applied():
    with pytest.raises(ValidationError) as info:
        Fees.model_validate({"maker_bps": -1})
    error = config_error_from(info.value, source="spec", model=Fees, what="fees", prefix=("paper", "fees"))
    assert str(error) == "spec: paper.fees.maker_bps: must be >= 0, got -1"


def test_values_of_secret_looking_keys_are_never_echoed():
    message = str(error_for("strategy: s\nvenue_api_key: hunter2\n"))
    assert "venue_api_key" in message and "hunter2" not in message


def test_key_paths_and_secret_names():
    assert format_key_path(("data", "symbols", 1, "x")) == "data.symbols[1].x"
    assert looks_secret("api_secret") and looks_secret("API-KEY") and not looks_secret("max_position")


@pytest.mark.parametrize("key", ["api_key", "API-KEY", "apiKey", "APIKEY", "api_secret", "client_secret", "arm_token",
                                 "password", "passphrase", "private_key", "credentials", "accessToken",
                                 "SYNCRON__API_KEY"])
def test_keys_that_end_in_a_secret_are_secrets(key):
    assert looks_secret(key)


@pytest.mark.parametrize("key", ["token_count", "max_tokens", "sort_key", "key", "secret_sauce", "password_file",
                                 "max_position", "tokens_per_bar"])
def test_keys_that_only_mention_a_secret_word_are_not(key):
    assert not looks_secret(key)


def test_a_nan_written_in_the_file_is_located():
    document = parse_yaml_document("a: .nan\n", "c.yaml")

    class M(BaseModel):
        model_config = ConfigDict(allow_inf_nan=False)
        a: float

    with pytest.raises(ValidationError) as info:
        M.model_validate(document.data)
    error = config_error_from(info.value, source="c.yaml", model=M, what="config", document=document)
    assert str(error) == "c.yaml:1:4: a: Input should be a finite number, got nan"


def test_problems_beyond_the_limit_are_counted_not_listed():
    message = str(error_for("strategy: s\n" + "".join(f"k{i}: 1\n" for i in range(MAX_PROBLEMS + 30))))
    lines = message.splitlines()
    assert lines[0] == f"x.yaml: {MAX_PROBLEMS + 30} problems in the spec:"
    assert len(lines) == MAX_PROBLEMS + 2 and lines[-1] == "  ... and 30 more"


def test_a_huge_unknown_key_and_a_huge_number_are_echoed_short():
    message = str(error_for("strategy: s\n? " + "k" * 100_000 + "\n: 1\n"))  # an explicit key: no length limit
    assert len(message) < 400 and "more characters)" in message
    assert str(error_for("strategy: s\nfees: {taker_bps: 1.0e+300}\n")).endswith("must be <= 1000, got 1e+300")
