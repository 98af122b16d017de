"""Durations too long for datetime arithmetic are a ParseError naming the option, not an OverflowError."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from cronchecks.core.thresholds import MAX_DURATION, ParseError, parse_duration
from tests.conftest import run_console_script


@pytest.mark.parametrize("text", ["99999999999999999999w", "-99999999999999999999w", "1" + "0" * 400,
                                  f"{timedelta.max.days + 1}d"])
def test_durations_beyond_timedelta_are_out_of_range(text):
    with pytest.raises(ParseError, match="out of range"):
        parse_duration(text)


def test_the_longest_duration_is_what_datetime_can_take():
    longest = parse_duration(f"{timedelta.max.days}d")
    assert longest <= MAX_DURATION
    assert timedelta(seconds=longest).days == timedelta.max.days


@pytest.mark.parametrize("option, named", [("--since", "--since"), ("--timeout", "-t/--timeout")])
def test_check_log_names_the_option_with_an_endless_duration(tmp_path: Path, option, named):
    log = tmp_path / "app.log"
    log.write_text("2024-01-01T00:00:00 ERROR disk full\n")
    done = run_console_script("check-log", "-e", "ERROR", option, "99999999999999999999w", str(log))
    assert done.code == 3, done.stdout
    assert done.first_line.startswith(f"LOG UNKNOWN - invalid {named}:"), done.first_line
    assert "out of range" in done.first_line and "Overflow" not in done.stdout
