"""check-log's fast paths: a large file cut into pieces scanned side by side, and the progress bar on a terminal."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import DeadlinePassed
from cronchecks.log import scan
from cronchecks.log.match import Pattern
from cronchecks.log.scan import LogScanner, scan_split
from tests.log_fixtures import CheckLogfiles, grep_count, perf, run_log
from tests.pty_fixtures import run_in_pty

VENV_BIN = Path(sys.executable).parent
LEVELS = ["INFO"] * 40 + ["DEBUG"] * 10 + ["WARNING"] * 4 + ["ERROR"] * 3 + ["CRITICAL:"] * 2


def write_log(path: Path, lines: int, seed: int = 3, tail: str = "") -> Path:
    rng = random.Random(seed)
    body = "".join(f"2026-11-24 10:{i % 60:02d}:00 {rng.choice(LEVELS)} app: {'w' * rng.randrange(0, 300)} id={i}\n"
                   for i in range(lines))
    path.write_bytes((body + tail).encode())
    return path


@pytest.fixture
def split_small(monkeypatch):
    """Files from 64 KiB on are cut into pieces, on three "cores": the split path on a test-sized log."""
    monkeypatch.setattr(scan, "SPLIT_MIN", 64 * 1024)
    monkeypatch.setattr(scan, "cores", lambda: 3)


def outcome(result) -> tuple:
    return (result.status, result.summary, [(p.label, p.value) for p in result.perfdata], result.details)


@pytest.mark.parametrize("engine", ["re", "hyperscan"])
@pytest.mark.parametrize("pattern, flags", [("CRITICAL:", ["-F"]), ("ERROR|CRITICAL:", ["-E"]),
                                            ("w{250}", ["-E"]), ("critical", ["-i"])])
def test_a_split_scan_counts_as_grep_and_as_one_piece(tmp_path, monkeypatch, capsys, engine, pattern, flags):
    if engine == "hyperscan":
        pytest.importorskip("hyperscan")
    log = write_log(tmp_path / "big.log", 6000, tail="last line CRITICAL: without a newline")
    extra: dict[str, Any] = {"ignore_case": True} if "-i" in flags else {}
    whole = run_log(log, patterns=pattern, engine=engine, verbosity=1, show=5, **extra)
    assert "pieces" not in capsys.readouterr().err
    monkeypatch.setattr(scan, "SPLIT_MIN", 64 * 1024)
    monkeypatch.setattr(scan, "cores", lambda: 3)
    split = run_log(log, patterns=pattern, engine=engine, verbosity=1, show=5, **extra)
    assert "scanned in 3 pieces side by side" in capsys.readouterr().err
    assert outcome(split) == outcome(whole)  # the same counts, newest line and recent lines
    assert perf(split, "matches") == grep_count(log, pattern, *flags)
    assert perf(split, "lines") == grep_count(log, "", "-E")
    assert perf(split, "bytes") == log.stat().st_size


def test_critical_and_warning_patterns_agree_with_check_logfiles_when_split(tmp_path, split_small):
    log = write_log(tmp_path / "app.log", 5000)
    peer = CheckLogfiles(tmp_path, log, "--criticalpattern", "CRITICAL:", "--warningpattern", "WARNING",
                         "--allyoucaneat", "--noprotocol")
    state, criticals, warnings = peer.run()
    result = run_log(log, critical_patterns=("CRITICAL:",), warning_patterns=("WARNING",), verbosity=1)
    assert (result.status.name, perf(result, "critical_pattern"), perf(result, "warning_pattern")) == \
        (state, criticals, warnings)
    assert criticals > 0 and warnings > 0


def test_scans_that_tie_a_line_to_those_before_stay_in_one_piece(tmp_path, split_small, capsys):
    log = write_log(tmp_path / "app.log", 3000)
    cases: list[dict[str, Any]] = [{"record_start": "^2026-"}, {"ok_patterns": ("id=2999$",)},
                                   {"critical_threshold": 3}]
    for options in cases:
        patterns: dict[str, Any] = {"critical_patterns": ("CRITICAL:",)} if "critical_threshold" in options else {}
        run_log(log, patterns=("ERROR",), verbosity=1, **patterns, **options)
        assert "pieces" not in capsys.readouterr().err, options


def test_past_the_deadline_the_split_scan_stops_and_leaves_no_worker_behind(tmp_path):
    import psutil

    log = write_log(tmp_path / "app.log", 3000)
    scanner = LogScanner([Pattern("ERROR", "-e", fixed=False, ignore_case=False)], [], [], [])
    before = {child.pid for child in psutil.Process().children()}
    with pytest.raises(DeadlinePassed, match="did not finish in time"), open(log, "rb") as handle:
        scan_split(scanner, handle.fileno(), 0, log.stat().st_size, str(log), deadline=time.monotonic() - 1,
                   pieces=3)
    assert {child.pid for child in psutil.Process().children()} == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.lists(st.sampled_from([b"ERROR x", b"", b"CRITICAL:", b"\r", b"ERRO", b"R\x00\xff", b"\n",
                                         b"\n\n", b"w" * 700]), max_size=60).map(b"".join),
       pieces=st.integers(min_value=2, max_value=5))
def test_pieces_add_up_to_the_whole_scan_wherever_the_cuts_fall(tmp_path, content, pieces):
    # The property at the cut points: every line counted once, in whichever piece holds its start.
    log = tmp_path / "any.log"
    log.write_bytes(content)
    patterns = [Pattern("ERROR", "-e", fixed=False, ignore_case=False),
                Pattern("CRITICAL:|x$", "-e", fixed=False, ignore_case=False)]
    scanner = LogScanner(patterns, [], [], [], keep=3)
    with open(log, "rb") as handle:
        whole, _ = scanner.scan(handle, None, "any")
        split = scan_split(scanner, handle.fileno(), 0, len(content), "any", deadline=None, pieces=pieces)
    assert (split.lines, split.bytes, split.total, split.per_pattern, split.newest_line, list(split.recent_lines)) == \
        (whole.lines, whole.bytes, whole.total, whole.per_pattern, whole.newest_line, list(whole.recent_lines))


# --- the progress bar -----------------------------------------------------------------------


def run_on_terminal(*args: str, timeout: float = 60) -> tuple[int, str]:
    """check-log with stdout and stderr on a real pseudo-terminal; what the terminal showed."""
    done = run_in_pty("check-log", *args, timeout=timeout, on="both", columns=160)
    return done.code, done.stdout


@pytest.fixture(scope="module")
def slow_log(tmp_path_factory) -> Path:
    """A log whose every line matches a regex that must be checked line by line: a scan of some seconds
    (the bar waits a second before it draws)."""
    path = tmp_path_factory.mktemp("slow") / "every-line.log"
    path.write_bytes(b"".join(b"ERROR %07d request failed\n" % i for i in range(200_000)))
    return path


SLOW = ["-t", "60", "-e", "ERROR [0-9]+ request", "--engine", "re", "--exclude", "[0-9]{7} never",
        "-w", "100000000", "-c", "100000000"]


def test_the_progress_bar_draws_on_a_terminal_and_leaves_the_status_line(slow_log):
    code, shown = run_on_terminal(str(slow_log), *SLOW)
    assert code == 0, shown
    assert str(slow_log) in shown.split("LOG OK")[0]  # the bar's label, drawn before the result
    assert "MB" in shown and "\x1b[" in shown  # rich's transfer column, and the terminal's control codes
    assert "LOG OK - 200000 lines matching" in shown


def test_no_progress_bar_when_stderr_is_not_a_terminal(slow_log):
    done = subprocess.run([str(VENV_BIN / "check-log"), str(slow_log), *SLOW], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("LOG OK - 200000 lines matching")


WORDS = st.text(alphabet="abcE:R -_=/x\u00e9", min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(WORDS, min_size=2, max_size=4), line=st.text(alphabet="abcER:xX -_=/\u00e9\u00c9", max_size=40),
       ignore_case=st.booleans())
def test_an_alternation_of_literals_is_decided_as_its_regex_decides(words, line, ignore_case):
    # `a|b` lines are decided by bytes.find on the alternatives: the same verdict as the regex's, caseless too.
    text = "|".join(words)
    pattern = Pattern(text, "-e", fixed=False, ignore_case=ignore_case)
    raw = line.encode()
    folded = raw.lower() if ignore_case else None
    assert pattern.matches(raw, folded, 0, len(raw)) == (pattern.regex.search(raw) is not None), (text, line)
    if not ignore_case or all(word.isascii() for word in words):
        assert pattern.alternatives is not None


def test_the_pieces_are_read_from_the_file_opened_even_once_the_path_is_rotated(tmp_path):
    log = write_log(tmp_path / "app.log", 3000)
    expected = grep_count(log, "CRITICAL:", "-F")
    scanner = LogScanner([Pattern("CRITICAL:", "-e", fixed=False, ignore_case=False)], [], [], [])
    with open(log, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        log.rename(tmp_path / "app.log.1")  # logrotate's create: a new, empty file at the path
        log.write_bytes(b"")
        tally = scan_split(scanner, handle.fileno(), 0, size, str(log), deadline=None, pieces=3)
    assert (tally.total, tally.lines, tally.bytes) == (expected, 3000, size)


def test_a_timeout_during_a_split_scan_is_the_timeout_line_and_leaves_no_worker(tmp_path):
    import psutil

    from tests.conftest import run_console_script

    log = tmp_path / "large.log"
    line = b"2026-11-24 10:00:00 ERROR 12345 app: " + b"w" * 80 + b"\n"  # every line a hit: a scan of seconds
    with open(log, "wb") as handle:
        block = line * 8192
        while handle.tell() < 80 * 1024 * 1024:  # above SPLIT_MIN: cut in pieces on two cores or more
            handle.write(block)
    done = run_console_script("check-log", str(log), "-e", "ERROR [0-9]+", "--engine", "re", "-t", "0.5")
    assert (done.code, done.stdout.split(" - ")[1].strip()) == (2, "timed out after 500 ms"), done
    time.sleep(0.3)
    left = [p for p in psutil.process_iter(["cmdline"]) if str(log) in (p.info["cmdline"] or [])]
    assert left == []
