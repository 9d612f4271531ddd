"""Input quoted in error messages stays bounded, however large the input."""

from __future__ import annotations

from botkit.core.echo import ECHO_LIMIT, LINE_LIMIT, MAX_LINES, bounded_message, cut, echo


def test_short_values_are_quoted_whole():
    assert echo("BTCUSD") == "'BTCUSD'"
    assert cut("abc") == "abc"


def test_a_long_value_is_cut_and_says_how_much_was_left_out():
    text = echo("x" * 100_000)
    assert text.startswith("'xxx") and text.endswith("... (99,802 more characters)")
    assert len(text) < ECHO_LIMIT + 40


def test_a_printed_message_is_bounded_in_line_length_and_lines():
    long_line = bounded_message("name: got '" + "n" * 100_000 + "'")
    assert len(long_line) < LINE_LIMIT + 40 and long_line.startswith("name: got 'nnn")
    many = bounded_message("\n".join(f"  problem {i}" for i in range(5_000)))
    lines = many.split("\n")
    assert len(lines) == MAX_LINES + 1 and lines[-1] == f"... ({5_000 - MAX_LINES:,} more lines)"
    assert bounded_message("one\ntwo") == "one\ntwo"
