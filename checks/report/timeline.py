"""A check's long view from its recorded results: uptime day by day, incidents, and response-time percentiles over time.

Pure functions over rows ordered by time (anything with `at`, `status`, `summary` and `perfdata`, as
`cronchecks.alerting.store.ResultRow`), like `cronchecks.report.figures`: each result holds until the next, and the
last result before a span sets the state in force at its start. Days are calendar days in the report's time zone
(the machine's, unless told), so that a bar reads as the date an operator remembers.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from operator import attrgetter
from typing import Any, NamedTuple

from cronchecks.core.result import Status, worst
from cronchecks.report.figures import (
    Window,
    perf_values,
    quantile,
    time_in_downtime,
    time_in_states,
    uptime_percent,
)

_at = attrgetter("at")
_STATUSES = tuple(Status)


class Day(NamedTuple):
    """One calendar day: the worst state in force or recorded, the share of its covered time OK, its incidents."""

    day: date
    start: float
    end: float  # the next midnight, or the report's end for today
    status: Status | None  # None: no result in force at any time of the day
    uptime: float | None
    incidents: int  # problems that began this day
    results: int
    in_downtime: float = 0.0  # seconds held by results recorded in a downtime (outside the uptime)


class Incident(NamedTuple):
    """A run of non-OK results: from the first to the first OK after it (None while it lasts)."""

    start: float
    end: float | None
    status: Status  # the worst state it reached
    summary: str  # the first failing result's summary
    in_downtime: float = 0.0  # seconds of it held by results recorded in a downtime

    def duration(self, now: float) -> float:
        return (self.end if self.end is not None else now) - self.start


class Point(NamedTuple):
    """Median and 95th percentile of a perfdata value over one bucket of time (None: no value in it)."""

    start: float
    end: float
    median: float | None
    p95: float | None
    # Shadows tuple.count on purpose, as figures.Spread does: _asdict() makes it the JSON's "count" key.
    count: int  # type: ignore[assignment]


def day_bounds(end: float, days: int, zone: tzinfo | None = None) -> list[tuple[date, float, float]]:
    """The `days` calendar days up to `end` (today last, cut at `end`), as (date, start, end) epochs."""
    local = datetime.fromtimestamp(end, zone) if zone is not None else datetime.fromtimestamp(end).astimezone()
    zone = local.tzinfo
    bounds = []
    for back in range(days - 1, -1, -1):
        day = local.date() - timedelta(days=back)
        # Midnight of a date in the zone: aware datetimes from zoneinfo handle DST days of 23 and 25 hours.
        start = datetime.combine(day, time(0), zone).timestamp()
        finish = datetime.combine(day + timedelta(days=1), time(0), zone).timestamp()
        bounds.append((day, start, min(finish, end)))
    return bounds


def daily(rows: Sequence[Any], end: float, days: int, zone: tzinfo | None = None) -> list[Day]:
    """Each day's worst state, uptime and incidents; a day before the first result has no data, not green."""
    starts = _problem_starts(rows)
    found = []
    for day, start, finish in day_bounds(end, days, zone):
        spent = time_in_states(rows, Window(start, finish))
        first = bisect.bisect_left(rows, start, key=_at)
        # A result at midnight opens the next day; one at the report's end still belongs to today.
        last = (bisect.bisect_right if finish >= end else bisect.bisect_left)(rows, finish, key=_at)
        recorded = {_STATUSES[row.status] for row in rows[first:last]}
        present = {status for status, seconds in spent.items() if seconds > 0} | recorded
        status = worst(present) if present else None
        began = (bisect.bisect_right if finish >= end else bisect.bisect_left)(starts, finish) \
            - bisect.bisect_left(starts, start)
        found.append(Day(day, start, finish, status, uptime_percent(spent), began, last - first,
                         time_in_downtime(rows, Window(start, finish))))
    return found


def _problem_starts(rows: Sequence[Any]) -> list[float]:
    """When each problem began: a non-OK result after an OK one (or the first result, non-OK)."""
    starts = []
    previous_ok = True
    for row in rows:
        ok = row.status == Status.OK
        if not ok and previous_ok:
            starts.append(row.at)
        previous_ok = ok
    return starts


def incidents(rows: Sequence[Any], window: Window) -> list[Incident]:
    """The problems that overlap the window, oldest first; one in force at the start keeps its real start."""
    found: list[Incident] = []
    current: list[Any] = []
    for row in rows:
        if row.at > window.end:
            break
        if row.status != Status.OK:
            current.append(row)
            continue
        if current:
            if row.at >= window.start:
                found.append(_incident(current, row.at, window.end))
            current = []
    if current:
        found.append(_incident(current, None, window.end))
    return found


def _incident(run: list[Any], end: float | None, now: float) -> Incident:
    times = [row.at for row in run[1:]] + [end if end is not None else max(now, run[-1].at)]
    held = sum(later - row.at for row, later in zip(run, times, strict=True) if getattr(row, "in_downtime", False))
    return Incident(run[0].at, end, worst(_STATUSES[row.status] for row in run), run[0].summary, held)


def perf_series(rows: Sequence[Any], label: str, bounds: Sequence[tuple[float, float]]) -> tuple[list[Point], str]:
    """p50 and p95 of one perfdata value in each (start, end) bucket, and the unit (times in seconds)."""
    first = bisect.bisect_left(rows, bounds[0][0], key=_at) if bounds else 0
    inside = rows[first:]
    _, unit = perf_values(inside, label)
    points = []
    for start, end in bounds:
        low = bisect.bisect_left(inside, start, key=_at)
        high = bisect.bisect_left(inside, end, key=_at)
        values, uom = perf_values(inside[low:high], label)
        if uom != unit:
            values = []  # written in another unit than the latest run's: left out, as perf_values does
        points.append(Point(start, end, quantile(values, 0.5), quantile(values, 0.95), len(values)))
    return points, unit


def hourly_bounds(end: float, hours: int = 24) -> list[tuple[float, float]]:
    """`hours` buckets of an hour each, the last ending at `end`."""
    return [(end - (hours - i) * 3600.0, end - (hours - i - 1) * 3600.0) for i in range(hours)]
