"""check-log on UTF-16 and UTF-32 logs with a byte-order mark: the same counts as the UTF-8 log, and grep's."""

from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Status
from tests.conftest import run_console_script
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


# --- --encoding ------------------------------------------------------------------------------------

# name -> (codec for the text, the mark written first, --encoding given)
NAMED = {
    "UTF-16LE with its mark": ("utf-16-le", codecs.BOM_UTF16_LE, "auto"),
    "UTF-16LE, no mark, --encoding utf-16le": ("utf-16-le", b"", "utf-16le"),
    "UTF-16BE, no mark, --encoding utf-16be": ("utf-16-be", b"", "UTF-16BE"),
    "UTF-16BE with its mark, --encoding utf-16": ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
    "UTF-8 with its mark": ("utf-8", codecs.BOM_UTF8, "auto"),
    "UTF-8 with its mark, --encoding utf-8": ("utf-8", codecs.BOM_UTF8, "utf-8"),
    "Latin-1, --encoding latin-1": ("latin-1", b"", "latin-1"),
    "Windows-1252, --encoding cp1252": ("cp1252", b"", "cp1252"),
}
LATIN = [  # text every encoding above can write
    "2024-05-01T10:00:00 INFO started",
    "2024-05-01T10:00:01 ERROR Größe überschritten",
    "2024-05-01T10:00:02 WARN café crème",
    "2024-05-01T10:00:03 ERROR disk full",
]


def write_named(path: Path, lines: list[str], name: str, mode: str = "wb") -> None:
    codec, mark, _ = NAMED[name]
    with open(path, mode) as handle:
        if mode == "wb":
            handle.write(mark)
        handle.write("".join(line + "\n" for line in lines).encode(codec))


@pytest.mark.parametrize("name", sorted(NAMED))
@pytest.mark.parametrize("pattern", ["ERROR", "Größe", "^2024-05-01T10:00:0[03]", "café|crème$"])
def test_each_encoding_counts_as_the_same_text_in_utf8(tmp_path, name, pattern):
    utf8, encoded = tmp_path / "u.log", tmp_path / "e.log"
    write(utf8, LATIN, None)
    write_named(encoded, LATIN, name)
    expected = grep_count(utf8, pattern, "-E")
    assert expected > 0
    result = run_log(encoded, patterns=pattern, encoding=NAMED[name][2])
    assert (perf(result, "matches"), perf(result, "lines")) == (expected, len(LATIN))
    assert perf(result, "bytes") == encoded.stat().st_size - len(NAMED[name][1])  # the file's bytes, not UTF-8's


def test_latin1_without_encoding_misses_a_non_ascii_pattern_and_with_it_matches(tmp_path):
    log = tmp_path / "app.log"
    write_named(log, LATIN, "Latin-1, --encoding latin-1")
    assert perf(run_log(log, patterns="Größe"), "matches") == 0  # bytes as they are: not the UTF-8 of the pattern
    result = run_log(log, patterns="Größe", encoding="latin-1")
    assert perf(result, "matches") == 1 and result.summary.endswith("ERROR Größe überschritten")


@pytest.mark.parametrize("name", ["UTF-16BE, no mark, --encoding utf-16be", "Latin-1, --encoding latin-1",
                                  "UTF-8 with its mark"])
def test_state_offsets_stay_the_files_own_bytes(tmp_path, name):
    log, state = tmp_path / "e.log", tmp_path / "st"
    write_named(log, LATIN, name)
    encoding = NAMED[name][2]
    assert "initialized" in run_log(log, patterns="ERROR", state=str(state), encoding=encoding).summary
    kept = json.loads(state.read_text())["files"][str(log)]
    assert kept["offset"] == log.stat().st_size
    write_named(log, ["2024-05-01T10:01:00 ERROR née", "2024-05-01T10:01:01 INFO ok"], name, "ab")
    second = run_log(log, patterns="née", state=str(state), encoding=encoding)
    assert (perf(second, "matches"), perf(second, "lines")) == (1, 2)
    assert json.loads(state.read_text())["files"][str(log)]["offset"] == log.stat().st_size


def test_undecodable_bytes_keep_their_place(tmp_path):
    # 0x81 is no character in Windows-1252: the line still counts, and --state still lands on line ends.
    log, state = tmp_path / "e.log", tmp_path / "st"
    log.write_bytes(b"ERROR \x81 odd\nINFO fine\n")
    run_log(log, patterns="ERROR", state=str(state), encoding="cp1252", from_start=True)
    with open(log, "ab") as handle:
        handle.write(b"ERROR \x81\x8d twice \x80\n")
    again = run_log(log, patterns="twice €", state=str(state), encoding="cp1252")
    assert (perf(again, "matches"), perf(again, "lines")) == (1, 1)


def test_since_reads_a_latin1_log_but_not_a_utf16_one(tmp_path):
    log = tmp_path / "app.log"
    write_named(log, LATIN, "Latin-1, --encoding latin-1")
    now = datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)
    result = run_log(log, patterns="Größe|ERROR", encoding="latin-1", since=60.0, tz="UTC", now=now)
    assert perf(result, "matches") == 2
    write_named(log, LATIN, "UTF-16BE, no mark, --encoding utf-16be")
    with pytest.raises(CheckError, match="--since"):
        run_log(log, patterns="ERROR", encoding="utf-16be", since=60.0, tz="UTC", now=now)


@pytest.mark.parametrize("name", ["klingon", "rot13", "base64", "", "idna", "punycode", "utf-7"])
def test_an_unknown_or_non_text_encoding_is_one_unknown_line(tmp_path, name):
    log = tmp_path / "app.log"
    log.write_text("ERROR\n")
    done = run_console_script("check-log", str(log), "-e", "ERROR", "--encoding", name)
    assert done.code == 3 and done.stdout.startswith("LOG UNKNOWN - ") and done.stdout.count("\n") == 1


CODECS = st.sampled_from(sorted(NAMED))
LATIN_LINE = st.text(st.sampled_from("abcERO éüß€-:0123 "), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(LATIN_LINE, LATIN_LINE.map(lambda s: s + "ERROR ß" + s)), max_size=25),
       name=CODECS, pattern=st.sampled_from(["ERROR", "ß", "é+", "^a", "€$"]), split=st.integers(0, 25))
def test_generated_lines_count_as_in_utf8_whole_and_in_two_runs(tmp_path, lines, name, pattern, split):
    utf8, encoded, state = tmp_path / "u.log", tmp_path / "e.log", tmp_path / "st"
    for path in (utf8, encoded, state):
        path.unlink(missing_ok=True)
    codec, _, encoding = NAMED[name]
    if codec == "latin-1":
        lines = [line.replace("€", "e") for line in lines]  # not a Latin-1 character
    write(utf8, lines, None)
    expected = perf(run_log(utf8, patterns=pattern), "matches")
    write_named(encoded, lines, name)
    assert perf(run_log(encoded, patterns=pattern, encoding=encoding), "matches") == expected
    encoded.unlink()
    write_named(encoded, lines[:split], name)
    first = run_log(encoded, patterns=pattern, encoding=encoding, state=str(state), from_start=True)
    write_named(encoded, lines[split:], name, "ab")
    second = run_log(encoded, patterns=pattern, encoding=encoding, state=str(state))
    assert perf(first, "matches") + perf(second, "matches") == expected
    assert perf(first, "lines") + perf(second, "lines") == len(lines)
