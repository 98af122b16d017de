"""check-log --journal on real journal files made by systemd-journal-remote, compared with journalctl -g."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.result import Status
from cronchecks.log.journal import PRIORITIES, parse_priority
from tests.conftest import run_console_script
from tests.log_fixtures import JournalEntry, journalctl_grep, perf, run_log, write_journal

NOW = time.time()
MESSAGES = ["request served", "ERROR disk full on /var", "WARN slow query", "ERROR timeout talking to db",
            "started worker", "CRITICAL: out of memory"]


def batch(count: int, start: float, seed: int = 0) -> list[JournalEntry]:
    """Entries one second apart from `start`, of two units and every priority."""
    return [JournalEntry(start + i, f"{MESSAGES[(i * 7 + seed) % len(MESSAGES)]} #{seed}-{i}", priority=(i + seed) % 8,
                         unit="app.service" if i % 3 else "db.service") for i in range(count)]


def journal(tmp_path: Path, name: str, entries: list[JournalEntry], first: int = 1) -> Path:
    folder = tmp_path / "journal"
    folder.mkdir(exist_ok=True)
    return write_journal(folder / name, entries, first)


def test_the_whole_journal_file_counts_as_journalctl_grep(tmp_path):
    path = journal(tmp_path, "a.journal", batch(60, NOW - 600))
    result = run_log(journal=True, journal_file=str(path), patterns=("ERROR",))
    expected = journalctl_grep("--file", str(path), "-g", "ERROR")
    assert expected > 0
    assert perf(result, "matches") == expected and perf(result, "lines") == 60
    assert result.status is Status.CRITICAL and "ERROR" in result.summary


@pytest.mark.parametrize("units,priority", [(("app",), None), (("db.service",), "err"),
                                                  (("app", "db"), "warning..err"), ((), "3"), ((), "crit..debug")])
def test_unit_and_priority_filter_as_journalctl_does(tmp_path, units, priority):
    path = journal(tmp_path, "a.journal", batch(80, NOW - 600))
    options: dict = {"journal": True, "journal_file": str(path), "patterns": ("ERROR|CRITICAL",), "units": units}
    args = ["--file", str(path), "-g", "ERROR|CRITICAL"]
    for unit in units:
        args += ["-u", unit]
    if priority:
        options["priority"] = parse_priority(priority)
        args += ["-p", priority]
    assert perf(run_log(**options), "matches") == journalctl_grep(*args)


def test_with_state_the_cursor_reads_each_entry_once_across_files(tmp_path):
    state = tmp_path / "log.state"
    first = journal(tmp_path, "a.journal", batch(30, NOW - 900, seed=1))
    options: dict = {"journal": True, "journal_dir": str(first.parent), "patterns": ("ERROR",), "state": str(state)}
    result = run_log(**options)
    assert result.status is Status.OK and "initialized" in result.summary  # positioned after the newest entry
    assert json.loads(state.read_text())["journal"]["cursor"]
    assert perf(run_log(**options), "lines") == 0
    second_batch = batch(40, NOW - 300, seed=2)
    journal(tmp_path, "b.journal", second_batch, first=31)
    result = run_log(**options)
    assert perf(result, "lines") == 40
    assert perf(result, "matches") == sum("ERROR" in e.message for e in second_batch)
    assert perf(run_log(**options), "lines") == 0  # nothing read twice
    third_batch = batch(5, NOW - 100, seed=3)
    journal(tmp_path, "c.journal", third_batch, first=71)
    assert perf(run_log(**options), "lines") == 5


def test_from_start_reads_everything_then_only_what_is_new(tmp_path):
    state = tmp_path / "log.state"
    path = journal(tmp_path, "a.journal", batch(20, NOW - 900))
    options: dict = {"journal": True, "journal_dir": str(path.parent), "patterns": ("ERROR",), "state": str(state),
                     "from_start": True}
    assert perf(run_log(**options), "lines") == 20
    assert perf(run_log(**options), "lines") == 0


def test_since_takes_the_entries_of_the_window(tmp_path):
    old, new = batch(20, NOW - 7200, seed=1), batch(12, NOW - 600, seed=2)
    path = journal(tmp_path, "a.journal", old + new)
    now = datetime.fromtimestamp(NOW, UTC)
    result = run_log(journal=True, journal_file=str(path), patterns=("ERROR",), since=3600.0, now=now)
    assert perf(result, "lines") == 12
    assert perf(result, "matches") == sum("ERROR" in e.message for e in new)
    # With --state, the window applies to what comes after the cursor.
    state = str(tmp_path / "st")
    kept = run_log(journal=True, journal_file=str(path), patterns=("ERROR",), since=3600.0, now=now, state=state,
                   from_start=True)
    assert perf(kept, "lines") == 12


def test_a_multi_line_or_binary_message_is_one_line(tmp_path):
    path = journal(tmp_path, "a.journal", [JournalEntry(NOW - 10, "ERROR first\nsecond line"),
                                           JournalEntry(NOW - 5, b"ERROR caf\xe9 latin-1 bytes")])
    result = run_log(journal=True, journal_file=str(path), patterns=("ERROR",))
    assert perf(result, "matches") == 2 and perf(result, "lines") == 2
    assert "caf" in result.summary


def test_ok_pattern_and_thresholds_work_on_the_journal(tmp_path):
    entries = [JournalEntry(NOW - 50 + i, text) for i, text in
               enumerate(["ERROR a", "ERROR b", "service RECOVERED", "ERROR c", "ERROR d", "ERROR e"])]
    path = journal(tmp_path, "a.journal", entries)
    result = run_log(journal=True, journal_file=str(path), critical_patterns=("ERROR",), ok_patterns=("RECOVERED",),
                     critical_threshold=2)
    assert perf(result, "critical_pattern") == 1  # c, d, e after the ok line: the 2nd hit counts


def test_a_missing_journal_file_is_judged_as_missing(tmp_path):
    result = run_log(journal=True, journal_file=str(tmp_path / "none.journal"), patterns=("x",), missing=Status.WARNING)
    assert result.status is Status.WARNING and "missing" in result.summary


def test_a_journal_file_journalctl_cannot_read_is_unknown(tmp_path):
    bad = tmp_path / "bad.journal"
    bad.write_bytes(b"not a journal at all\n" * 10)
    result = run_console_script("check-log", "--journal", "--journal-file", str(bad), "-e", "x")
    assert result.code == 3 and result.stdout.startswith("LOG UNKNOWN - journalctl failed")


def test_without_journalctl_the_check_is_unknown_naming_it(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = run_console_script("check-log", "--journal", "-e", "ERROR", env={"PATH": str(empty)})
    assert done.code == 3
    assert done.stdout.startswith("LOG UNKNOWN - journalctl not found") and "Traceback" not in done.stderr


@pytest.mark.parametrize("argv", [["--unit", "x", "f.log", "-e", "x"], ["--journal", "--journal-dir", "d",
                                  "--journal-file", "f", "-e", "x"], ["--journal", "--priority", "loud", "-e", "x"],
                                  ["-e", "x"]])
def test_journal_usage_mistakes_are_one_unknown_line(argv):
    done = run_console_script("check-log", *argv)
    assert done.code == 3 and done.stdout.startswith("LOG UNKNOWN - ") and done.stdout.count("\n") == 1


LEVEL = st.one_of(st.sampled_from(PRIORITIES), st.integers(0, 7).map(str))


@given(low=LEVEL, high=st.one_of(st.none(), LEVEL))
def test_priorities_read_as_journalctl_reads_them(low, high):
    def number(text: str) -> int:
        return int(text) if text.isdigit() else PRIORITIES.index(text)

    text = low if high is None else f"{low}..{high}"
    first, last = parse_priority(text.upper() if len(text) % 2 else text)
    if high is None:
        assert (first, last) == (0, number(low))
    else:
        assert (first, last) == tuple(sorted((number(low), number(high))))


@given(st.text(max_size=12))
def test_any_other_priority_text_is_a_value_error(text):
    try:
        first, last = parse_priority(text)
    except ValueError:
        return
    assert 0 <= first <= last <= 7


@pytest.mark.skipif(shutil.which("journalctl") is None, reason="journalctl is not installed")
@pytest.mark.parametrize("text", ["err", "0..3", "warning..emerg", "7", "notice"])
def test_journalctl_accepts_the_priority_argument_made(tmp_path, text):
    from cronchecks.log.journal import priority_argument

    path = journal(tmp_path, "a.journal", batch(16, NOW - 100))
    expected = journalctl_grep("--file", str(path), "-p", text)
    assert journalctl_grep("--file", str(path), "-p", priority_argument(parse_priority(text))) == expected


def test_more_output_than_a_run_reads_waits_for_the_next_run_with_state(tmp_path, monkeypatch):
    from cronchecks.log import journal as journal_module

    monkeypatch.setattr(journal_module, "OUTPUT_LIMIT", 4000)  # ~12 entries of journalctl's JSON per run
    entries = batch(50, NOW - 900, seed=4)
    path = journal(tmp_path, "a.journal", entries)
    plain = run_log(journal=True, journal_file=str(path), patterns=("ERROR",))
    # Without --state, what was read is judged, and the summary says the rest was not (UNKNOWN at least).
    assert plain.status in (Status.UNKNOWN, Status.CRITICAL) and "narrow it with --since" in plain.summary
    options: dict = {"journal": True, "journal_file": str(path), "patterns": ("ERROR",),
                     "state": str(tmp_path / "st"), "from_start": True}
    lines = matches = runs = 0
    while runs < 20:
        result = run_log(**options)
        runs += 1
        lines += int(perf(result, "lines"))
        matches += int(perf(result, "matches"))
        options["from_start"] = False
        if perf(result, "lines") == 0:
            break
    assert 2 < runs < 20
    assert lines == 50 and matches == sum("ERROR" in str(e.message) for e in entries)
