"""YAML documents keep where each key and value is written, and refuse alias bombs at once."""

from __future__ import annotations

import pytest

from botkit.core.errors import ConfigError
from botkit.core.yaml_document import MAX_NODES, Position, load_yaml_document, parse_yaml_document

TEXT = """\
name: t          # a comment
risk:
  max_position: -1
symbols: [BTCUSD, ETHUSD]
base: &base {maker_bps: 1, taker_bps: 5}
fees:
  <<: *base
  taker_bps: 7
"""


def test_values_and_positions_by_key_path():
    document = parse_yaml_document(TEXT, "bot.yaml")
    assert document.data["risk"] == {"max_position": -1}
    assert document.position(("risk", "max_position")) == Position(3, 17)
    assert document.position(("risk", "max_position"), of_key=True) == Position(3, 3)
    assert document.position(("symbols", 1)) == Position(4, 19)
    assert document.where(document.position(("name",))) == "bot.yaml:1:7"
    assert document.where(None) == "bot.yaml"
    assert document.value_at(("symbols", 0)) == "BTCUSD" and not document.has(("nope",))


def test_merged_keys_point_at_the_anchor_and_overrides_at_themselves():
    document = parse_yaml_document(TEXT, "bot.yaml")
    assert document.data["fees"] == {"maker_bps": 1, "taker_bps": 7}
    assert document.position(("fees", "maker_bps")) == Position(5, 25)
    assert document.position(("fees", "taker_bps")) == Position(8, 14)


def test_empty_text_is_none():
    assert parse_yaml_document("# nothing\n", "e.yaml").data is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1\n", "u.yaml:2:1: not valid YAML"),
        ("a: 1\n---\nb: 2\n", "expected a single document"),
        ("a: 1\nb: 2\na: 3\n", "u.yaml:3:1: duplicate key 'a' (first given on line 1)"),
        ("a: &a [*a]\n", "nests deeper than"),
        ("a: 1\nb: " + "9" * 5000 + "\n", "u.yaml:2:4: an integer of 5,000 characters"),  # int() would raise
        ("a: [-" + "1" * 4400 + "]\n", "u.yaml:1:5: an integer of 4,401 characters"),
        ("a: 0x" + "f" * 4000 + "\n", "an integer of 4,002 characters"),
    ],
)
def test_bad_yaml_is_a_config_error_with_the_line(text, message):
    with pytest.raises(ConfigError) as info:
        parse_yaml_document(text, "u.yaml")
    assert message in str(info.value)


def _alias_bomb(levels: int, fan_out: int = 10) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * fan_out) + "]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * fan_out) + "]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_fails_fast_with_a_typed_error():
    with pytest.raises(ConfigError, match="more than 100,000 values"):
        parse_yaml_document(_alias_bomb(levels=9), "bomb.yaml")  # 10**9 values if expanded


def test_a_merge_key_bomb_fails_too():
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: {i}" for i in range(10)) + "}"]
    for level in range(1, 9):
        lines.append(f"m{level}: &m{level} {{<<: [" + ", ".join([f"*m{level - 1}"] * 10) + "]}")
    with pytest.raises(ConfigError, match="alias bomb"):
        parse_yaml_document("\n".join(lines) + "\n", "merge.yaml")


def test_modest_aliases_are_fine():
    document = parse_yaml_document(_alias_bomb(levels=3), "ok.yaml")  # 1,000 values
    assert len(document.data["l2"]) == 10 and MAX_NODES > 1_110


def test_files_are_read_as_utf8(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: café\n", encoding="utf-8")
    assert load_yaml_document(path).data == {"name": "café"}
    path.write_bytes(b"name: \xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_yaml_document(path)


def test_integers_up_to_the_digit_limit_are_read_for_validation_to_judge():
    assert parse_yaml_document("a: " + "9" * 100 + "\n", "ok.yaml").data == {"a": int("9" * 100)}
