"""check-log against generated logs, the real grep, and real logrotate runs."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Status
from cronchecks.core.thresholds import parse_range
from cronchecks.log.match import Pattern, required_literals
from cronchecks.log.scan import CHUNK
from cronchecks.log.timewindow import FORMATS, TimeReader, custom_format, detect_format
from tests.conftest import run_console_script
from tests.log_fixtures import LAYOUTS, NOW, Rotator, generate_log, grep_count, perf, run_log

ENGINES = ["re", "hyperscan"]


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "hyperscan":
        pytest.importorskip("hyperscan")
    return request.param


# --- counts equal grep's ---------------------------------------------------------------------

# (pattern, grep flags, check options): the same question asked of both
GREP_CASES = [
    ("CRITICAL:", ["-F"], {}),
    ("ERROR|CRITICAL:", ["-E"], {}),
    ("query (failed|took)", ["-E"], {}),
    ("[0-9]{4} ms", ["-E"], {}),
    ("^[0-9]{4}-", ["-E"], {}),
    ("timeout$", ["-E"], {}),
    ("critical", ["-i"], {"ignore_case": True}),
    ("error|crit", ["-i", "-E"], {"ignore_case": True}),
    ("a.b*c", ["-F"], {"fixed_strings": True}),
]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("pattern, flags, extra", GREP_CASES, ids=[c[0] for c in GREP_CASES])
def test_counts_equal_grep_on_every_layout(tmp_path, layout, pattern, flags, extra, engine):
    log = tmp_path / f"{layout}.log"
    generate_log(log, layout, NOW - timedelta(hours=3), 1500, step=5, continuation_every=7)
    result = run_log(log, patterns=pattern, engine=engine, **extra)
    expected = grep_count(log, pattern, *flags)
    assert perf(result, "matches") == expected
    assert perf(result, "lines") == grep_count(log, "", "-E")
    assert perf(result, "bytes") == log.stat().st_size
    assert result.status is (Status.CRITICAL if expected else Status.OK)


def test_counts_equal_grep_on_hostile_bytes(tmp_path, engine):
    # NUL bytes, invalid UTF-8, CR LF endings, a line far longer than a read chunk, and no
    # newline at the very end: grep -c counts every line, and so must we.
    log = tmp_path / "binary.log"
    long_line = b"x" * (CHUNK * 3 + 17) + b" CRITICAL: buried " + b"y" * CHUNK
    content = (b"\x00\xff\xfe CRITICAL: in binary\n" + b"plain\r\n" + b"CRITICAL:\r\n" + long_line + b"\n"
               + bytes(range(256)) * 40 + b"\n" + b"\xc3\x28 ERROR\n" * 1000 + b"last CRITICAL: no newline")
    log.write_bytes(content)
    for pattern, flags in (("CRITICAL:", ["-F"]), ("ERROR|CRITICAL:", ["-E"]), ("buried y+$", ["-E"])):
        result = run_log(log, patterns=pattern, engine=engine)
        assert perf(result, "matches") == grep_count(log, pattern, *flags), pattern
        assert perf(result, "lines") == grep_count(log, "", "-E")


def test_a_chunk_boundary_never_splits_or_doubles_a_line(tmp_path, engine):
    lines = [f"{i:07d} {'CRITICAL: ' if i % 3 == 0 else ''}{'z' * (i % 200)}" for i in range(20000)]
    log = tmp_path / "many.log"
    log.write_text("\n".join(lines) + "\n")
    assert log.stat().st_size > 10 * CHUNK
    result = run_log(log, patterns="CRITICAL:", engine=engine)
    assert perf(result, "matches") == sum(1 for line in lines if "CRITICAL: " in line)
    result = run_log(log, patterns="^[0-9]+5 CRIT", engine=engine)
    assert perf(result, "matches") == grep_count(log, "^[0-9]+5 CRIT", "-E")


def test_empty_file_counts_nothing(tmp_path, engine):
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    result = run_log(log, patterns="ERROR|CRITICAL", engine=engine)
    assert result.status is Status.OK
    assert perf(result, "matches") == 0 and perf(result, "lines") == 0 and perf(result, "bytes") == 0


# --- patterns, thresholds, summary ------------------------------------------------------------

SAMPLE = """\
2026-11-24 11:00:00,000 INFO started
2026-11-24 11:00:01,000 ERROR db timeout
2026-11-24 11:00:02,000 ERROR CRITICAL: db down
2026-11-24 11:00:03,000 CRITICAL: disk full
2026-11-24 11:00:04,000 ERROR harmless retry
2026-11-24 11:00:05,000 OOM killer woke up
"""


@pytest.fixture
def sample(tmp_path) -> Path:
    path = tmp_path / "app.log"
    path.write_text(SAMPLE)
    return path


def test_a_line_matching_several_patterns_counts_once_in_the_total(sample, engine):
    result = run_log(sample, patterns=("ERROR", "CRITICAL:"), engine=engine, warning=parse_range("2"),
                     critical=parse_range("10"))
    assert perf(result, "matches") == 4
    assert perf(result, "pattern_1") == 3 and perf(result, "pattern_2") == 2
    assert "pattern_1: ERROR" in result.details and "pattern_2: CRITICAL:" in result.details
    assert result.status is Status.WARNING
    assert "4 matching lines ('ERROR' 3, 'CRITICAL:' 2)" in result.summary
    assert "(warning > 2)" in result.summary


def test_default_threshold_is_critical_on_any_match(sample):
    assert run_log(sample, patterns="CRITICAL:").status is Status.CRITICAL
    assert run_log(sample, patterns="PANIC").status is Status.OK
    assert run_log(sample, patterns="CRITICAL:", warning=parse_range("5")).status is Status.OK


def test_summary_has_the_count_the_pattern_and_the_newest_line_trimmed(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("CRITICAL: first\n" + "CRITICAL: newest " + "x" * 300 + "\nINFO after\n")
    result = run_log(log, patterns="CRITICAL:")
    assert result.summary.startswith("2 lines matching 'CRITICAL:' (critical > 0); newest: CRITICAL: newest xxx")
    newest = result.summary.split("newest: ", 1)[1]
    assert len(newest) <= 120 and newest.endswith("...")


def test_critical_and_warning_patterns_set_the_state_and_are_not_added_to_the_total(sample, engine):
    result = run_log(sample, patterns="ERROR", critical_patterns="OOM", warning_patterns="retry", engine=engine,
                     critical=parse_range("10"))
    assert result.status is Status.CRITICAL
    assert perf(result, "matches") == 3
    assert perf(result, "critical_pattern") == 1 and perf(result, "warning_pattern") == 1
    only_warning = run_log(sample, warning_patterns="retry", engine=engine)
    assert only_warning.status is Status.WARNING and "1 warning-pattern lines" in only_warning.summary


def test_exclude_ignores_lines(sample, engine):
    result = run_log(sample, patterns="ERROR", excludes=("harmless", "CRITICAL"), engine=engine)
    assert perf(result, "matches") == 1
    assert "db timeout" in result.summary


def test_verbose_lists_the_newest_matching_lines(sample):
    quiet = run_log(sample, patterns="ERROR")
    assert quiet.details == ()
    loud = run_log(sample, patterns="ERROR", verbosity=1, show=2)
    assert [d.split(" ", 3)[3] for d in loud.details] == ["CRITICAL: db down", "harmless retry"]


def test_globs_add_up_and_missing_files_follow_missing(tmp_path, sample):
    other = tmp_path / "other.log"
    other.write_text("CRITICAL: elsewhere\n")
    result = run_log(tmp_path / "*.log", patterns="CRITICAL:")
    assert perf(result, "matches") == 3
    missing = tmp_path / "gone.log"
    assert run_log(missing, patterns="x").status is Status.CRITICAL
    assert "gone.log: missing" in run_log(missing, patterns="x").summary
    for name, status in (("ok", Status.OK), ("warning", Status.WARNING), ("unknown", Status.UNKNOWN)):
        assert run_log(missing, patterns="x", missing=Status.parse(name)).status is status
    assert run_log(tmp_path / "*.nothing", patterns="x").status is Status.CRITICAL
    assert run_log(tmp_path, patterns="x").status is Status.UNKNOWN  # a folder is not a log


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_unknown(sample):
    sample.chmod(0)
    try:
        assert run_log(sample, patterns="x").status is Status.UNKNOWN
    finally:
        sample.chmod(0o644)


@pytest.mark.parametrize("options, words", [
    ({"patterns": ("(unclosed",)}, "invalid -e/--pattern regex '(unclosed'"),
    ({"excludes": ("[z-a]",), "patterns": ("x",)}, "invalid --exclude regex"),
    ({"patterns": ("x*",)}, "matches an empty line"),
    ({}, "give at least one pattern"),
    ({"patterns": ("x",), "from_start": True}, "--from-start goes with --state"),
    ({"patterns": ("x",), "time_format": "%H"}, "--time-format goes with --since"),
    ({"patterns": ("x",), "since": 60, "time_format": "%Q"}, "unsupported directive"),
])
def test_bad_options_are_usage_errors_naming_the_option(sample, options, words):
    with pytest.raises(UsageError, match=None) as caught:
        run_log(sample, **options)
    assert words in str(caught.value)


# --- records -------------------------------------------------------------------------------------

TRACEBACKS = """\
2026-11-24 11:00:00,000 INFO ok
2026-11-24 11:00:01,000 ERROR job failed
Traceback (most recent call last):
  File "job.py", line 3, in run
ValueError: ERROR in value
2026-11-24 11:00:02,000 ERROR request failed
Traceback (most recent call last):
  File "web.py", line 9, in handle
ConnectionResetError: peer went away (expected)
2026-11-24 11:00:03,000 INFO done
"""


def test_record_start_counts_a_stack_trace_once_and_excludes_it_whole(tmp_path, engine):
    log = tmp_path / "tb.log"
    log.write_text(TRACEBACKS * 50)
    assert perf(run_log(log, patterns="ERROR", engine=engine), "matches") == 150
    records = run_log(log, patterns="ERROR", record_start=r"^\d{4}-", engine=engine)
    assert perf(records, "matches") == 100 and "records" in records.summary
    excluded = run_log(log, patterns="ERROR", excludes=r"\(expected\)", record_start=r"^\d{4}-", engine=engine)
    assert perf(excluded, "matches") == 50
    assert perf(excluded, "lines") == 500


def test_records_across_buffer_boundaries(tmp_path, engine):
    frame = "  at com.example.Deep.frame(Deep.java:1)\n"
    record = "2026-11-24 11:00:00 ERROR boom\n" + frame * 4000 + "Caused by: OutOfMemoryError\n"
    log = tmp_path / "java.log"
    log.write_text(("2026-11-24 11:00:00 INFO quiet\n" + record) * 3)
    assert log.stat().st_size > 3 * CHUNK
    result = run_log(log, patterns="OutOfMemoryError", excludes="nothing", record_start=r"^\d{4}-", engine=engine)
    assert perf(result, "matches") == 3
    assert result.summary.endswith("newest: 2026-11-24 11:00:00 ERROR boom")


# --- --since -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("where", ["start", "middle", "end", "none", "all"])
def test_since_counts_the_window_in_every_layout(tmp_path, layout, where):
    # 4000 lines 10 s apart (~11 h); the window's start falls where asked.
    count, step = 4000, 10
    offsets = {"start": 3600 * 11 + 600, "middle": 3600 * 5, "end": 300, "none": 5, "all": 3600 * 24}
    start = NOW - timedelta(seconds=count * step)
    log = tmp_path / "app.log"
    entries = generate_log(log, layout, start, count, step=step, continuation_every=9)
    since = offsets[where]
    cutoff = NOW - timedelta(seconds=since)
    time_format = LAYOUTS[layout][1]
    result = run_log(log, patterns="CRITICAL:", since=since, time_format=time_format, tz="UTC")
    expected = 0
    for index, (moment, line) in enumerate(entries):
        # the layouts round away what they do not write (syslog and custom: milliseconds)
        shown = moment.replace(microsecond=0) if layout in ("syslog", "custom", "apache") else moment
        if shown >= cutoff:
            expected += "CRITICAL:" in line
            expected += index % 9 == 8  # its continuation line belongs to it
    assert perf(result, "matches") == expected
    if where in ("end", "none"):
        assert perf(result, "bytes") < log.stat().st_size / 2  # the binary search skipped the rest


def test_since_with_lines_out_of_order(tmp_path):
    count, step = 6000, 5
    log = tmp_path / "threads.log"
    entries = generate_log(log, "python", NOW - timedelta(seconds=count * step), count, step=step, shuffle_within=6)
    for since in (60, 3600, 4 * 3600, 9 * 3600):
        cutoff = NOW - timedelta(seconds=since)
        expected = sum("ERROR" in line for moment, line in entries if moment >= cutoff)
        result = run_log(log, patterns="ERROR", since=since, tz="UTC")
        assert perf(result, "matches") == expected, since


def test_since_reads_naive_timestamps_in_the_given_zone(tmp_path):
    log = tmp_path / "berlin.log"
    log.write_text("2026-11-24 12:20:00 ERROR old\n2026-11-24 12:45:00 ERROR recent\n")  # Berlin = UTC+1
    assert perf(run_log(log, patterns="ERROR", since=1800, tz="Europe/Berlin"), "matches") == 1
    assert perf(run_log(log, patterns="ERROR", since=1800, tz="UTC"), "matches") == 2  # read as UTC: both recent


def test_since_without_timestamps_is_unknown(tmp_path):
    log = tmp_path / "plain.log"
    log.write_text("no time here ERROR\n" * 10)
    with pytest.raises(CheckError, match="no timestamp recognised"):
        run_log(log, patterns="ERROR", since=3600)


# --- --state across real logrotate -----------------------------------------------------------------


class Writer:
    """Appends numbered lines to the live log; knows how many matching ones it wrote."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.number = 0

    def append(self, count: int, every: int = 3) -> int:
        matching = 0
        with open(self.path, "ab") as handle:
            for _ in range(count):
                self.number += 1
                hit = self.number % every == 0
                matching += hit
                handle.write(f"2026-11-24 11:00:00,{self.number % 1000:03d} line {self.number}"
                             f"{' CRITICAL: boom' if hit else ''}\n".encode())
        return matching


ROTATIONS = {
    "copytruncate": "copytruncate\n    nocompress",
    "copytruncate+compress": "copytruncate\n    compress",
    "create": "create\n    nocompress",
    "create+compress": "create\n    compress",
    "create+delaycompress": "create\n    compress\n    delaycompress",
    "copytruncate+delaycompress": "copytruncate\n    compress\n    delaycompress",
    "dateext+compress": "create\n    compress\n    dateext\n    dateformat -%Y%m%d-%s",
}


@pytest.mark.parametrize("rotation", sorted(ROTATIONS))
def test_state_across_logrotate_never_loses_or_doubles_a_line(tmp_path, rotation):
    log = tmp_path / "app.log"
    state = tmp_path / "check.state"
    writer = Writer(log)
    rotator = Rotator(tmp_path, log, ROTATIONS[rotation])

    def check() -> int:
        result = run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("1000"))
        assert result.status is Status.OK, result.summary
        return int(perf(result, "matches"))

    writer.append(30)
    first = run_log(log, patterns="CRITICAL:", state=str(state))
    assert first.summary.startswith("initialized:") and first.status is Status.OK
    assert check() == 0
    written = counted = 0
    steps = ["append", "rotate", "append", "check", "append", "rotate", "rotate", "append", "check", "rotate",
             "check", "append", "rotate", "append", "rotate", "append", "check", "check"]
    for step in steps:
        if step == "append":
            written += writer.append(12)
        elif step == "rotate":
            if "dateext" in rotation:
                time.sleep(1.05)  # dateext names the file by the second; logrotate skips a clash
            rotator.rotate()
            if not log.exists():  # `create` made none because nothing was there to rotate
                log.touch()
        else:
            counted += check()
            assert counted == written, (step, rotation)
    assert counted == written > 0


def test_state_first_run_from_start_reads_everything(tmp_path):
    log = tmp_path / "app.log"
    state = tmp_path / "s.json"
    written = Writer(log).append(30)
    result = run_log(log, patterns="CRITICAL:", state=str(state), from_start=True)
    assert perf(result, "matches") == written
    assert perf(run_log(log, patterns="CRITICAL:", state=str(state)), "matches") == 0
    saved = json.loads(state.read_text())
    assert saved["version"] == 1 and saved["files"][str(log)]["offset"] == log.stat().st_size


def test_state_keeps_a_partial_last_line_for_the_next_run(tmp_path):
    log = tmp_path / "app.log"
    state = tmp_path / "s.json"
    log.write_bytes(b"")
    run_log(log, patterns="CRITICAL:", state=str(state))
    log.write_bytes(b"one CRITICAL: done\nhalf a CRIT")
    assert perf(run_log(log, patterns="CRITICAL:", state=str(state)), "matches") == 1
    with open(log, "ab") as handle:
        handle.write(b"ICAL: line\n")
    assert perf(run_log(log, patterns="CRITICAL:", state=str(state)), "matches") == 1


def test_state_file_that_shrinks_is_read_from_its_start(tmp_path):
    log = tmp_path / "app.log"
    state = tmp_path / "s.json"
    writer = Writer(log)
    writer.append(30)
    run_log(log, patterns="CRITICAL:", state=str(state))
    log.write_bytes(b"")  # truncated in place, no copy anywhere
    written = writer.append(6)
    result = run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("100"))
    assert perf(result, "matches") == written


def test_state_survives_a_new_inode_with_the_same_content(tmp_path):
    # A reboot (new device number) or a rewrite in place (sed -i, an editor) gives a new
    # inode; the content decides: neither a re-count nor a miss.
    log = tmp_path / "app.log"
    state = tmp_path / "s.json"
    writer = Writer(log)
    writer.append(30)
    run_log(log, patterns="CRITICAL:", state=str(state))
    copy = tmp_path / "copy"
    shutil.copy(log, copy)
    os.replace(copy, log)
    written = writer.append(9)
    assert perf(run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("99")), "matches") == written
    saved = json.loads(state.read_text())
    saved["files"][str(log)]["inode"] += 1  # as a restored backup or another device would
    state.write_text(json.dumps(saved))
    written = writer.append(9)
    assert perf(run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("99")), "matches") == written


def test_state_reads_the_rest_of_a_rotated_log_when_no_new_one_exists_yet(tmp_path):
    log = tmp_path / "app.log"
    state = tmp_path / "s.json"
    writer = Writer(log)
    writer.append(30)
    run_log(log, patterns="CRITICAL:", state=str(state))
    written = writer.append(9)
    os.rename(log, tmp_path / "app.log.1")
    result = run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("99"))
    assert perf(result, "matches") == written and result.status is Status.CRITICAL  # missing: CRITICAL
    written = writer.append(6)
    assert perf(run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("99")), "matches") == written


def test_state_compressed_rotation_found_by_content(tmp_path):
    log = tmp_path / "app.log"
    state = tmp_path / "s.json"
    writer = Writer(log)
    writer.append(30)
    run_log(log, patterns="CRITICAL:", state=str(state))
    written = writer.append(12)
    with open(log, "rb") as source, gzip.open(tmp_path / "app.log.1.gz", "wb") as target:
        shutil.copyfileobj(source, target)
    log.unlink()
    written += writer.append(3)
    result = run_log(log, patterns="CRITICAL:", state=str(state), critical=parse_range("99"), verbosity=1)
    assert perf(result, "matches") == written
    assert any("rotated (compressed to app.log.1.gz)" in d for d in result.details)


def test_corrupt_state_is_unknown(tmp_path, sample):
    state = tmp_path / "s.json"
    state.write_text("{not json")
    with pytest.raises(CheckError, match="cannot read --state"):
        run_log(sample, patterns="x", state=str(state))


# --- timestamp detection and parsers: properties ------------------------------------------------

# hypothesis takes naive bounds only; the zone is put on each moment drawn.
moments = st.datetimes(min_value=datetime(2002, 1, 1), max_value=datetime(2037, 12, 31)).map(  # noqa: DTZ001
    lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000, tzinfo=UTC))
prefixes = st.sampled_from(["", "ERROR ", "host1 ", "[worker-3] "])
words = st.text(alphabet="abcdefgh ijk:;,-_", max_size=40)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(moment=moments, layout=st.sampled_from(["iso8601", "python", "django", "apache", "epoch", "syslog"]),
       rest=words)
def test_detection_reads_back_what_each_layout_wrote(moment, layout, rest):
    write, _ = LAYOUTS[layout]
    lines = "\n".join(write(moment + timedelta(seconds=i), f"INFO {rest}") for i in range(5)).encode()
    now = moment + timedelta(hours=1)
    fmt = detect_format(lines, UTC, now)
    assert fmt is not None
    first = lines.split(b"\n")[0]
    stamp = TimeReader(fmt, UTC, now).stamp(first, 0, len(first))
    precise = layout in ("iso8601", "python", "django", "epoch")
    expected = moment if precise else moment.replace(microsecond=0)
    assert stamp == pytest.approx(expected.timestamp(), abs=1e-3)


@settings(max_examples=100)
@given(moment=moments, prefix=prefixes)
def test_custom_time_format_reads_back_what_strftime_wrote(moment, prefix):
    fmt = custom_format("%d/%m/%Y %H.%M.%S")
    line = f"{prefix}{moment.strftime('%d/%m/%Y %H.%M.%S')} message".encode()
    stamp = TimeReader(fmt, UTC, NOW).stamp(line, 0, len(line))
    assert stamp == moment.replace(microsecond=0).timestamp()


@settings(max_examples=100)
@given(text=st.binary(max_size=120))
def test_detection_never_fails_on_garbage(text):
    for fmt in FORMATS:
        TimeReader(fmt, UTC, NOW).stamp(text, 0, len(text))
    detect_format(text, UTC, NOW)


REGEXES = ["ERROR|CRITICAL:", "time(out|d out) after [0-9]+", "(?:disk|memory) (full|low)", "x?abc+def",
           "warn(ing)?: [a-z]{2,}", "(alpha|beta)(gamma|delta)"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), regex=st.sampled_from(REGEXES))
def test_every_match_contains_a_required_literal(data, regex):
    pattern = Pattern(regex, "-e", fixed=False, ignore_case=False)
    literals = required_literals(pattern)
    assert literals
    text = data.draw(st.from_regex(regex.encode(), fullmatch=True))
    assert any(literal in text for literal in literals)


lines_strategy = st.lists(st.sampled_from([b"ERROR x", b"CRITICAL: y", b"", b"plain", b"\x00\xff",
                                           b"ERRORCRITICAL:", b"error", b"x" * 300]), max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=lines_strategy, final_newline=st.booleans(), engine_name=st.sampled_from(["re", "auto"]))
def test_scanner_counts_like_a_line_by_line_reference(tmp_path, lines, final_newline, engine_name):
    log = tmp_path / "prop.log"
    content = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    log.write_bytes(content)
    result = run_log(log, patterns=("ERROR", "CRITICAL:"), engine=engine_name, ignore_case=True)
    pieces = content.split(b"\n")
    if content.endswith(b"\n"):
        pieces = pieces[:-1]
    pieces = list(pieces) if content else []
    assert perf(result, "matches") == sum(1 for p in pieces if b"error" in p.lower() or b"critical:" in p.lower())
    assert perf(result, "lines") == len(pieces)


# --- the real command --------------------------------------------------------------------------


def test_console_script_end_to_end(tmp_path, sample):
    done = run_console_script("check-log", str(sample), "-e", "CRITICAL:", "-e", "ERROR", "-w", "2", "-c", "10")
    assert done.code == 1
    assert done.first_line.startswith("LOG WARNING - 4 matching lines ('CRITICAL:' 2, 'ERROR' 3) (warning > 2)")
    # Gauges, not counters (`c`): a count per run or window, which graphers must not turn into a rate.
    assert "matches=4;2;10;0" in done.first_line and "lines=6;;;0" in done.first_line
    json_done = run_console_script("check-log", str(sample), "--critical-pattern", "OOM", "--format", "json")
    data = json.loads(json_done.stdout)
    assert json_done.code == 2 and data["status"] == "CRITICAL"
    bad = run_console_script("check-log", str(sample), "-e", "(")
    assert bad.code == 3 and bad.stdout.startswith("LOG UNKNOWN - invalid -e/--pattern regex '('")
    state = tmp_path / "st"
    init = run_console_script("check-log", str(sample), "-e", "ERROR", "--state", str(state))
    assert init.code == 0 and "initialized" in init.stdout
    since = run_console_script("check-log", str(sample), "-e", "ERROR", "--since", "1h", "--tz", "UTC")
    assert since.code in {0, 2}
    assert "Traceback" not in since.stdout + since.stderr


def test_a_file_that_only_starts_like_the_log_is_not_taken_for_a_rotated_one(tmp_path):
    # The state file beside the log (`st` beside `s.log`, `app.state` beside `app.log`) is no generation of it.
    for log_name, other in (("s.log", "st"), ("app.log", "app.state"), ("app.log", "app.log.old")):
        folder = tmp_path / log_name / other
        folder.mkdir(parents=True)
        log, state = folder / log_name, folder / other
        log.write_text("")
        run_log(log, patterns="ERROR", state=str(state))
        with open(log, "a") as handle:
            handle.write("ERROR one\n")
        result = run_log(log, patterns="ERROR", state=str(state))
        assert (perf(result, "matches"), perf(result, "lines")) == (1, 1), (log_name, other)
