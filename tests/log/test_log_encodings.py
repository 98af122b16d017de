"""check-log on UTF-16 and UTF-32 logs with a byte-order mark: the same counts as the UTF-8 log, and grep's."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Status
from tests.log_fixtures import grep_count, perf, run_log

ENCODINGS = {
    "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE,
}

LINES = [
    "2024-05-01T10:00:00 INFO started",
    "2024-05-01T10:00:01 ERROR disk full on /var",
    "2024-05-01T10:00:02 WARN Größe überschritten",
    "2024-05-01T10:00:03 ERROR 接続できません 🚨",
    "2024-05-01T10:00:04 INFO ERRORS are fine here too",
    "2024-05-01T10:00:05 info error in lower case",
]


def write(path: Path, lines: list[str], encoding: str | None, mode: str = "wb") -> None:
    """Lines as a log in this encoding, the byte-order mark first (None: UTF-8, no mark)."""
    text = "".join(line + "\n" for line in lines)
    with open(path, mode) as handle:
        if encoding is None:
            handle.write(text.encode("utf-8"))
        else:
            if mode == "wb":
                handle.write(ENCODINGS[encoding])
            handle.write(text.encode(encoding))


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("pattern", ["ERROR", "Größe", "🚨", "^2024-05-01T10:00:0[13]"])
def test_encoded_logs_count_as_the_utf8_log_and_grep_do(tmp_path, encoding, pattern):
    utf8, encoded = tmp_path / "app.log", tmp_path / f"app.{encoding}.log"
    write(utf8, LINES, None)
    write(encoded, LINES, encoding)
    expected = grep_count(utf8, pattern, "-E")
    assert expected > 0
    result = run_log(encoded, patterns=pattern)
    assert perf(result, "matches") == expected == perf(run_log(utf8, patterns=pattern), "matches")
    assert perf(result, "lines") == len(LINES)
    assert result.status is Status.CRITICAL


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_the_newest_line_is_shown_decoded(tmp_path, encoding):
    log = tmp_path / "app.log"
    write(log, LINES, encoding)
    result = run_log(log, patterns="接続")
    assert result.summary.endswith("newest: 2024-05-01T10:00:03 ERROR 接続できません 🚨")


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_state_across_runs_counts_what_was_appended(tmp_path, encoding):
    utf8, encoded, state = tmp_path / "app.log", tmp_path / "app.enc.log", tmp_path / "state.json"
    write(encoded, LINES, encoding)
    first = run_log(encoded, patterns="ERROR", state=str(state))
    assert "initialized" in first.summary and perf(first, "matches") == 0
    appended = ["2024-05-01T10:01:00 ERROR Ünïcödé again", "2024-05-01T10:01:01 INFO fine",
                "2024-05-01T10:01:02 ERROR 🚨🚨"]
    write(utf8, appended, None)  # what the second run should count, for grep
    write(encoded, appended, encoding, "ab")
    # An unfinished line (a writer in the middle of it) waits for the next run.
    with open(encoded, "ab") as handle:
        handle.write("2024-05-01T10:01:03 ERROR half".encode(encoding))
    second = run_log(encoded, patterns="ERROR", state=str(state))
    assert perf(second, "matches") == grep_count(utf8, "ERROR") == 2
    assert perf(second, "lines") == 3
    with open(encoded, "ab") as handle:
        handle.write(" written\n".encode(encoding))
    third = run_log(encoded, patterns="ERROR", state=str(state))
    assert (perf(third, "matches"), perf(third, "lines")) == (1, 1)
    assert perf(run_log(encoded, patterns="ERROR", state=str(state)), "matches") == 0


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_since_on_an_encoded_log_is_a_clear_unknown(tmp_path, encoding):
    log = tmp_path / "app.log"
    write(log, LINES, encoding)
    with pytest.raises(CheckError, match=r"--since: .* is UTF-(16|32)[LB]E; --since reads"):
        run_log(log, patterns="ERROR", since=3600)


def test_a_newline_byte_inside_another_character_is_not_a_line_end(tmp_path):
    # U+0A0A is the bytes 0A 0A in UTF-16: a first --state run must not start inside it.
    log, state = tmp_path / "app.log", tmp_path / "state.json"
    write(log, ["ERROR one", "tail \u0a0a\u010a"], "utf-16-le")
    with open(log, "ab") as handle:
        handle.write("ERROR unfinished \u0a0a".encode("utf-16-le"))
    run_log(log, patterns="ERROR", state=str(state))
    with open(log, "ab") as handle:
        handle.write("\nERROR next\n".encode("utf-16-le"))
    later = run_log(log, patterns="ERROR", state=str(state))
    assert (perf(later, "matches"), perf(later, "lines")) == (2, 2)
    assert later.summary.endswith("newest: ERROR next")


# Lines without a newline of their own and without surrogates (not encodable alone).
LINE = st.text(st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(LINE, LINE.map(lambda s: s + " ERROR " + s), st.just("ERROR")), max_size=30),
       encoding=st.sampled_from(sorted(ENCODINGS)), split=st.integers(min_value=0, max_value=30))
def test_any_lines_in_any_marked_encoding_count_as_in_utf8(tmp_path, lines, encoding, split):
    utf8, encoded, state = tmp_path / "u.log", tmp_path / "e.log", tmp_path / "state.json"
    for path in (utf8, encoded, state):
        path.unlink(missing_ok=True)
    write(utf8, lines, None)
    write(encoded, lines, encoding)
    whole = run_log(encoded, patterns="ERROR")
    assert perf(whole, "matches") == perf(run_log(utf8, patterns="ERROR"), "matches")
    assert perf(whole, "lines") == len(lines)
    # The same lines again in two runs with --state, split anywhere: nothing lost or counted twice.
    before, after = lines[:split], lines[split:]
    encoded.unlink()
    write(encoded, before, encoding)
    first = run_log(encoded, patterns="ERROR", state=str(state), from_start=True)
    write(encoded, after, encoding, "ab")
    second = run_log(encoded, patterns="ERROR", state=str(state))
    assert perf(first, "matches") + perf(second, "matches") == perf(whole, "matches")
    assert perf(first, "lines") + perf(second, "lines") == len(lines)
