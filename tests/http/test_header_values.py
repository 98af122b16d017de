"""Header values that HTTP cannot carry (beyond Latin-1, line breaks) are one UNKNOWN line naming the option."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.support.httpclient import header_value_problem
from tests.conftest import run_console_script


@pytest.mark.parametrize("argv,words", [
    (["--user-agent", "\u0100"], "invalid --user-agent: header values go out as Latin-1"),
    (["--user-agent", "a\nb"], "invalid --user-agent: the value has a line break"),
    (["--header", "X-Team: \u00e9quipe \u2013 ops"], "invalid --header 'X-Team': header values go out as Latin-1"),
])
def test_values_http_cannot_carry_are_usage_mistakes(argv, words):
    # The fuzzer found `--user-agent 'Ā'` ending in "internal error: UnicodeEncodeError".
    done = run_console_script("check-http", "http://127.0.0.1:9/", *argv)
    assert done.code == 3 and done.first_line.startswith(f"HTTP UNKNOWN - {words}"), done.stdout


def test_latin_1_values_are_sent():
    assert header_value_problem("caf\u00e9") is None  # é is Latin-1: sent as one byte


@given(st.text(max_size=40))
def test_a_value_is_refused_exactly_when_it_cannot_be_sent(value):
    sendable = not any(ch in value for ch in "\r\n\0")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        sendable = False
    assert (header_value_problem(value) is None) == sendable
