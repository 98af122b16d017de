"""User-given patterns: Python's regex meaning on RE2, refusals, and no pattern outlasting -t in any command."""

from __future__ import annotations

import re
import shlex
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.support.patterns import compile_pattern
from tests.conftest import LoopbackHTTP, Reply, run_console_script

# Each backtracks in Python's re for minutes or more over a long run of its repeated character
# (ended by a `!` below, so that `$` never follows it), and whether it matches that text.
PATHOLOGICAL = [
    ("(x+x+)+y", "x", False),
    ("(a|aa)+$", "a", False),
    ("(a|a?)+b", "a", False),
    ("(.*a){20}", "a", True),
    ("(a|b|ab|ba|aa|bb)*c", "a", False),
    ("^(([a-z])+.)+[A-Z]([a-z])+$", "a", False),
    ("(\\w+\\s?)+$", "a", False),
]
TIMEOUT = 2.0  # -t for every command below; each must end within a second of it


def test_a_backtracking_pattern_is_decided_at_once():
    started = time.monotonic()
    regex = compile_pattern("--expect-body", "(x+x+)+y")
    assert regex.search("x" * 100_000) is None
    assert regex.search("x" * 40 + "y") is not None
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("pattern,named", [
    ("(a)\\1", "backreferences"),
    ("(?P<n>a)(?P=n)", "backreferences"),
    ("a(?=b)", "lookahead"),
    ("(?<=a)b", "lookbehind"),
    ("a(?!b)", "negative lookahead"),
    ("(a)?(?(1)b|c)", "conditional"),
    ("(?>a+)b", "atomic"),
    ("a++b", "possessive"),
])
def test_what_re2_cannot_do_in_linear_time_is_refused_by_name(pattern, named):
    with pytest.raises(UsageError) as refused:
        compile_pattern("--expect-body", pattern)
    message = str(refused.value)
    assert message.startswith(f"invalid --expect-body {pattern!r}: ") and named in message
    assert "\n" not in message


@pytest.mark.parametrize("pattern,reason", [
    ("(unclosed", "missing )"),  # Python's parser refuses it
    ("a{2,1}", "min repeat greater than max"),
    ("\\p{L}", "bad escape"),  # RE2 has it, Python does not: Python's meaning wins
    ("x{1001}", "repetition"),  # Python has it, RE2 refuses counts above 1000
])
def test_invalid_patterns_are_usage_errors_naming_the_option(pattern, reason):
    with pytest.raises(UsageError) as refused:
        compile_pattern("--expect-regex", pattern)
    assert str(refused.value).startswith(f"invalid --expect-regex {pattern!r}: ") and reason in str(refused.value)


def test_nested_groups_compile_and_deep_nesting_is_a_usage_error_not_a_recursion_error():
    nested = "(" * 40 + "a" + ")" * 40
    assert compile_pattern("--expect-body", nested).search("xa") is not None
    assert compile_pattern("-e regex", "(?:" * 40 + "a" + ")+" * 40, binary=True).search(b"aaa") is not None
    with pytest.raises(UsageError, match="nested too deeply") as refused:
        compile_pattern("--expect-body", "(" * 2000 + ")" * 2000)
    assert len(str(refused.value)) < 120  # the pattern is cut in the message: one line


@pytest.mark.parametrize("pattern,text,expected", [
    ("OK$", "all OK\n", True),  # Python's $ also matches before a final newline
    ("OK$", "OK\nmore", False),
    ("a\\Z", "a\n", False),  # \Z is Python's end of text (RE2's \z)
    ("a\\Z", "a", True),
    ("x\\sy", "x\vy", True),  # Python's \s has \v; RE2's has not
    ("x\\sy", "x\u3000y", True),  # and Unicode spaces, for text
    ("\\d", "\u0663", True),  # ARABIC-INDIC DIGIT THREE: Python's \d is Unicode for text
    ("\\w+é", "café", True),
    ("[^\\W\\d]+", "42", False),  # letters and underscore, a class RE2 cannot write directly
    ("[^\\W\\d]", "é", True),
    ("a{,2}b", "ab", True),  # {,n} is {0,n} in Python, a literal in RE2
    ("[[:alpha:]]", "p]", True),  # Python reads a set of characters `[:alph` then `]`...
    ("[[:alpha:]]", "b]", False),  # ...not the POSIX class
    ("(?x) a  b  # comment", "ab", True),  # verbose mode, which RE2 lacks
    ("caf\\u00e9", "café", True),
    ("(?i)ÉTÉ", "été", True),
    ("(?a)\\w", "é", False),
])
@pytest.mark.filterwarnings("ignore:Possible nested set:FutureWarning")  # Python's own, for [[:alpha:]]
def test_python_meaning_is_kept(pattern, text, expected):
    assert (re.search(pattern, text) is not None) is expected  # the table itself is Python's answer
    assert (compile_pattern("--expect-body", pattern).search(text) is not None) is expected


def test_bytes_patterns_read_as_python_reads_them_with_pos_and_endpos():
    regex = compile_pattern("-e regex", "b$", multiline=True, binary=True)
    text = bytearray(b"xabc\nab")
    # endpos is the end of the text for Python (`$` matches there); RE2 alone would look past it
    found = regex.search(text, 0, 3)
    assert found is not None and found.start() == 2
    assert regex.search(text, 0, 4) is None
    start = compile_pattern("-e regex", "^a", multiline=True, binary=True)
    found = start.search(text, 1)
    assert found is not None and found.start() == 5  # ^ looks back before pos, in both engines
    folded = compile_pattern("-e regex", "É", ignore_case=True, binary=True)
    assert folded.search("é".encode()) is None  # a bytes pattern folds ASCII only, as Python's does
    assert compile_pattern("-e regex", "[\\W]", binary=True).search(b"\xe9") is not None


# --- the differential: the same decisions as Python's re ---------------------------------------

ORDINARY = [
    "ERROR", "error|warn", "^\\d{4}-\\d\\d-\\d\\d", "timeout after \\d+ ?s", "[A-Z]{3,}:", "\\bOK\\b",
    "status=(5\\d\\d|429)", "a.c", "a.*c$", "^$x|y", "(ab)+", "(?i)fatal", "\\s+$", "[^a-z ]", "x?y*z+",
    "\\W\\w", "(?s)a.b", "[\\d.]+%", "\\Bb", "(a|b)*?c", "[-\\]]", "\\.\\*", "\\A\\w", "^(?:GET|POST) /",
]
LINES = st.text(alphabet="abcxyzERO \t\n-:.%0159AÉé_]*", max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=st.sampled_from(ORDINARY), text=LINES, multiline=st.booleans(), ignore_case=st.booleans())
def test_decisions_equal_python_re_for_text(pattern, text, multiline, ignore_case):
    # The one known difference, documented in the README: RE2's word boundary is ASCII's, so
    # next to a non-ASCII letter (`Éb`) `\b` and `\B` decide otherwise than Python's.
    assume(text.isascii() or not ("\\b" in pattern or "\\B" in pattern))
    flags = (re.MULTILINE if multiline else 0) | (re.IGNORECASE if ignore_case else 0)
    expected = re.search(pattern, text, flags)
    got = compile_pattern("--expect-body", pattern, multiline=multiline, ignore_case=ignore_case).search(text)
    assert (got is None) is (expected is None)
    if expected is not None and got is not None:
        assert got.start() == expected.start()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=st.sampled_from(ORDINARY), text=LINES, ignore_case=st.booleans(), cut=st.integers(0, 50))
def test_decisions_equal_python_re_for_bytes_between_pos_and_endpos(pattern, text, ignore_case, cut):
    data = text.encode("utf-8") + b"\xff\x00tail"
    endpos, pos = min(cut, len(data)), min(cut // 3, len(data))
    python = re.compile(pattern.encode("utf-8"), re.MULTILINE | (re.IGNORECASE if ignore_case else 0))
    expected = python.search(data, pos, endpos)
    got = compile_pattern("-e regex", pattern, multiline=True, ignore_case=ignore_case, binary=True) \
        .search(bytearray(data), pos, endpos)
    assert (got is None) is (expected is None)
    if expected is not None and got is not None:
        assert (got.start(), got.group()) == (expected.start(), expected.group())


# --- no pattern outlasts -t, through the real commands ------------------------------------------

ADVERSARIAL = st.tuples(st.sampled_from(PATHOLOGICAL), st.integers(min_value=30, max_value=5000))
ONE_COMMAND = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _printing(char: str, length: int, then: str) -> str:
    # A command line that prints the adversarial run and a `!` (then does `then`), for a shell.
    program = f"print({char!r} * {length} + '!'){then}"
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(program)}"


def _within_the_timeout(*argv: str) -> tuple[int, str]:
    started = time.monotonic()
    done = run_console_script(*argv, "-t", f"{TIMEOUT}s", timeout=TIMEOUT + 30)
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT + 1, f"{elapsed:.2f} s for -t {TIMEOUT}s: {argv!r}"
    assert "Traceback" not in done.stderr
    return done.code, done.first_line


@ONE_COMMAND
@given(case=ADVERSARIAL)
def test_check_http_body_patterns_end_within_the_timeout(case):
    (pattern, char, matches), length = case
    with LoopbackHTTP() as server:
        server.routes["/"] = Reply(200, char * length + "!")
        code, line = _within_the_timeout("check-http", server.url + "/", "--expect-body", pattern)
        assert (code, line.startswith("HTTP OK - " if matches else "HTTP CRITICAL - ")) == (0 if matches else 2, True)
        code, line = _within_the_timeout("check-http", server.url + "/", "--reject-body", pattern)
        assert (code, line.startswith("HTTP CRITICAL - " if matches else "HTTP OK - ")) == (2 if matches else 0, True)


@ONE_COMMAND
@given(case=ADVERSARIAL)
def test_check_integrity_expect_regex_ends_within_the_timeout(case):
    (pattern, char, matches), length = case
    command = _printing(char, length, "")
    code, line = _within_the_timeout("check-integrity", "--command", command, "--expect-regex", pattern)
    if matches:
        assert code == 0 and line.startswith("INTEGRITY OK - "), line
    else:
        assert code == 2 and line.startswith("INTEGRITY CRITICAL - ") and "no match" in line


@ONE_COMMAND
@given(case=ADVERSARIAL)
def test_run_on_fail_when_ends_within_the_timeout(tmp_path_factory, case):
    (pattern, char, matches), length = case
    state = tmp_path_factory.mktemp("state")
    fixed = state / "remedied"
    job = _printing(char, length, "; exit(2)")
    code, _line = _within_the_timeout("cronchecks", "run", "--state-dir", str(state), "--on-fail",
                                      f"touch {fixed}", "--on-fail-when", pattern, "--", "sh", "-c", job)
    assert code == 2  # the job's own exit code, passed through
    assert fixed.exists() is matches  # remediation only where the output matched


@ONE_COMMAND
@given(case=ADVERSARIAL)
def test_check_log_re_engine_ends_within_the_timeout(tmp_path_factory, case):
    (pattern, char, matches), length = case
    log = Path(tmp_path_factory.mktemp("log")) / "app.log"
    log.write_text((char * length + "!\n") * 50 + "-- an ordinary line --\n")
    code, line = _within_the_timeout("check-log", str(log), "-e", pattern, "--engine", "re")
    if matches:
        assert code == 2 and line.startswith("LOG CRITICAL - 50 "), line
    else:
        assert code == 0 and line.startswith("LOG OK - "), line
