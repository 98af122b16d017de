"""check-heartbeat beside check_file_age: a missing heartbeat's state, size ranges, and a late run's state."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_range
from cronchecks.heartbeat.check import HeartbeatOptions, check_heartbeat
from tests.conftest import run_console_script

CHECK_FILE_AGE = "/usr/lib/nagios/plugins/check_file_age"  # Debian's monitoring-plugins-basic
NOW = datetime(2026, 11, 24, 6, 10, tzinfo=UTC)


def runtime(now: datetime = NOW) -> Runtime:
    return Runtime(now=lambda: now, env={}, deadline=time.monotonic() + 10)


def beat(path, age: float, size: int = 0, now: datetime = NOW):
    path.write_bytes(b"x" * size)
    stamp = now.timestamp() - age
    os.utime(path, (stamp, stamp))
    return path


# --- --missing-result -------------------------------------------------------------------


@pytest.mark.parametrize("state", list(Status))
def test_missing_file_takes_the_missing_result(tmp_path, state):
    options = HeartbeatOptions(file=str(tmp_path / "absent"), warning=parse_range("5m", "duration"),
                               missing_result=state)
    result = check_heartbeat(options, runtime())
    assert result.status is state
    assert "does not exist" in result.summary


def test_an_unusable_heartbeat_is_not_a_missing_one(tmp_path):
    # There but too small: a broken job, not one that has not run yet.
    path = beat(tmp_path / "backup", 10, size=3)
    options = HeartbeatOptions(file=str(path), min_size=100, warning=parse_range("5m", "duration"),
                               missing_result=Status.OK)
    assert check_heartbeat(options, runtime()).status is Status.CRITICAL


def test_glob_without_match_takes_the_missing_result(tmp_path):
    options = HeartbeatOptions(file=str(tmp_path / "*.tar.gz"), warning=parse_range("5m", "duration"),
                               missing_result=Status.WARNING)
    assert check_heartbeat(options, runtime()).status is Status.WARNING


# --- --size-warning / --size-critical ---------------------------------------------------


@pytest.mark.parametrize("size,status", [(5, Status.CRITICAL), (50, Status.WARNING), (500, Status.OK)])
def test_size_ranges(tmp_path, size, status):
    path = beat(tmp_path / "dump.sql", 10, size=size)
    options = HeartbeatOptions(file=str(path), warning=parse_range("5m", "duration"),
                               size_warning=parse_range("100:", "size"), size_critical=parse_range("10:", "size"))
    result = check_heartbeat(options, runtime())
    assert result.status is status, result.summary
    assert any(p.label == "size" and p.value == size for p in result.perfdata)
    if status is not Status.OK:
        assert f"size {size} B" in result.summary


def test_size_worse_than_age_wins_and_age_worse_than_size_wins(tmp_path):
    path = beat(tmp_path / "f", 400, size=50)  # age WARNING (5m), size CRITICAL
    options = HeartbeatOptions(file=str(path), warning=parse_range("5m", "duration"),
                               size_critical=parse_range("100:", "size"))
    assert check_heartbeat(options, runtime()).status is Status.CRITICAL
    old = beat(tmp_path / "g", 1000, size=50)  # age CRITICAL, size WARNING
    options = HeartbeatOptions(file=str(old), critical=parse_range("15m", "duration"),
                               size_warning=parse_range("100:", "size"))
    assert check_heartbeat(options, runtime()).status is Status.CRITICAL


def test_size_ranges_need_a_file():
    options = HeartbeatOptions(url="http://127.0.0.1:9/", json_path="$.at", warning=parse_range("5m", "duration"),
                               size_warning=parse_range("1:", "size"))
    with pytest.raises(UsageError, match="--size-warning"):
        check_heartbeat(options, runtime())


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 5000), low=st.integers(0, 5000), high=st.integers(0, 5000))
def test_size_range_property(tmp_path_factory, size, low, high):
    low, high = min(low, high), max(low, high)
    path = beat(tmp_path_factory.mktemp("size") / "f", 1, size=size)
    options = HeartbeatOptions(file=str(path), warning=parse_range("5m", "duration"),
                               size_critical=parse_range(f"{low}:{high}", "size"))
    expected = Status.OK if low <= size <= high else Status.CRITICAL
    assert check_heartbeat(options, runtime()).status is expected


# --- --late-result ------------------------------------------------------------------------


@pytest.mark.parametrize("now,status", [
    (datetime(2026, 11, 24, 5, 59, tzinfo=UTC), Status.OK),  # before today's 06:00 run: yesterday's beat counts
    (datetime(2026, 11, 24, 6, 10, tzinfo=UTC), Status.WARNING),  # missed 06:00, grace (15m) still runs: late
    (datetime(2026, 11, 24, 6, 20, tzinfo=UTC), Status.CRITICAL),  # grace over: failed
])
def test_late_result_while_the_grace_runs(tmp_path, now, status):
    path = beat(tmp_path / "beat", 3600 * 23, now=now.replace(hour=6, minute=0))  # yesterday 07:00
    options = HeartbeatOptions(file=str(path), schedule="0 6 * * *", grace=900, tz="UTC",
                               late_result=Status.WARNING)
    result = check_heartbeat(options, runtime(now))
    assert result.status is status, result.summary
    if status is Status.WARNING:
        assert "late" in result.summary and "grace ends 2026-11-24T06:15" in result.summary


def test_late_is_ok_by_default(tmp_path):
    now = datetime(2026, 11, 24, 6, 10, tzinfo=UTC)
    path = beat(tmp_path / "beat", 3600 * 23, now=now)
    options = HeartbeatOptions(file=str(path), schedule="0 6 * * *", grace=900, tz="UTC")
    assert check_heartbeat(options, runtime(now)).status is Status.OK


def test_late_result_needs_a_schedule(tmp_path):
    done = run_console_script("check-heartbeat", "-f", str(tmp_path / "x"), "-w", "5m", "--late-result", "warning")
    assert done.code == 3
    assert done.first_line == "HEARTBEAT UNKNOWN - --late-result goes with --schedule"


# --- the same verdicts as check_file_age ------------------------------------------------


def _check_file_age() -> str:
    if not os.access(CHECK_FILE_AGE, os.X_OK):
        pytest.fail(f"{CHECK_FILE_AGE} missing: apt-get install monitoring-plugins-basic (.ci/run installs it)")
    return CHECK_FILE_AGE


@pytest.mark.parametrize("age,size", [(10, 500), (10, 50), (10, 5), (400, 500), (400, 5), (700, 500), (700, 50)])
def test_agrees_with_check_file_age(tmp_path, age, size):
    import subprocess

    path = tmp_path / "heartbeat"
    path.write_bytes(b"x" * size)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    # check_file_age's bare numbers: -w/-c the largest age in seconds, -W/-C the smallest size in bytes.
    theirs = subprocess.run([_check_file_age(), "-f", str(path), "-w", "300", "-c", "600", "-W", "100", "-C", "10"],
                            capture_output=True, text=True, timeout=30)
    ours = run_console_script("check-heartbeat", "-f", str(path), "-w", "300s", "-c", "600s",
                              "--size-warning", "100:", "--size-critical", "10:")
    assert ours.code == theirs.returncode, (ours.first_line, theirs.stdout)


@pytest.mark.parametrize("state_args,code", [(["--missing-result", "ok"], 0), ([], 2)])
def test_missing_agrees_with_check_file_age_ignore_missing(tmp_path, state_args, code):
    import subprocess

    absent = str(tmp_path / "absent")
    theirs = subprocess.run([_check_file_age(), "-f", absent, *(["-i"] if state_args else [])],
                            capture_output=True, text=True, timeout=30)
    ours = run_console_script("check-heartbeat", "-f", absent, "-w", "240s", "-c", "600s", *state_args)
    assert ours.code == theirs.returncode == code, (ours.first_line, theirs.stdout)
