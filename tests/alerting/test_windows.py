"""Maintenance windows: parsed from a config table with every mistake named, open exactly over their spans."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.alerting.windows import MaintenanceWindow, occurrence, parse_maintenance
from cronchecks.core.errors import UsageError


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


NIGHTLY = MaintenanceWindow(("db-*", "backup"), "0 2 * * *", 3600.0, "UTC")


@pytest.mark.parametrize("moment,expected", [
    ("2026-12-01T01:59:59", None),
    ("2026-12-01T02:00:00", ("2026-12-01T02:00:00", "2026-12-01T03:00:00")),
    ("2026-12-01T02:59:59", ("2026-12-01T02:00:00", "2026-12-01T03:00:00")),
    ("2026-12-01T03:00:00", None),
])
def test_a_nightly_window_is_open_for_its_hour(moment, expected):
    found = occurrence(NIGHTLY, at(moment))
    assert found == (None if expected is None else (at(expected[0]), at(expected[1])))


def test_names_and_globs():
    assert NIGHTLY.names("db-main") and NIGHTLY.names("backup") and not NIGHTLY.names("web")


def test_a_window_in_a_time_zone():
    berlin = MaintenanceWindow(("x",), "0 2 * * *", 1800.0, "Europe/Berlin")
    assert occurrence(berlin, at("2026-12-01T01:10:00")) is not None  # 02:10 in Berlin (UTC+1 in winter)
    assert occurrence(berlin, at("2026-12-01T02:10:00")) is None


@given(minute=st.integers(0, 59), offset=st.integers(0, 7200))
def test_open_exactly_within_duration_after_a_start(minute, offset):
    window = MaintenanceWindow(("x",), f"{minute} 3 * * *", 600.0, "UTC")
    start = at(f"2026-12-01T03:{minute:02d}:00")
    found = occurrence(window, start + offset)
    assert (found is not None) == (offset < 600)


@pytest.mark.parametrize("table,words", [
    ({"schedule": "0 2 * * *", "duration": "1h"}, "needs checks"),
    ({"checks": ["db"], "duration": "1h"}, "needs schedule"),
    ({"checks": ["db"], "schedule": "0 25 * * *", "duration": "1h"}, "invalid schedule"),
    ({"checks": ["db"], "schedule": "0 2 * * *"}, "needs duration"),
    ({"checks": ["db"], "schedule": "0 2 * * *", "duration": "soon"}, "invalid duration"),
    ({"checks": ["db"], "schedule": "0 2 * * *", "duration": "1h", "timezone": "Mars/Base"}, "invalid timezone"),
    ({"checks": ["db"], "schedule": "0 2 * * *", "duration": "1h", "colour": "red"}, "unknown key 'colour'"),
])
def test_mistakes_name_the_place_and_the_key(table, words):
    with pytest.raises(UsageError, match=words) as raised:
        parse_maintenance(table, "/etc/cronchecks/config.toml line 12")
    assert str(raised.value).startswith("/etc/cronchecks/config.toml line 12: ")


def test_a_good_table():
    window = parse_maintenance({"checks": "db-*", "schedule": "30 1 * * 0", "duration": "2h", "timezone": "UTC"}, "f")
    assert window == MaintenanceWindow(("db-*",), "30 1 * * 0", 7200.0, "UTC", "")
