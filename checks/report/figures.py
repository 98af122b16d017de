"""A report's figures, computed from recorded results: uptime, failures, percentiles, incidents, strips.

Pure functions over rows (anything with `at`, `status`, `duration` and `perfdata`, as
`cronchecks.alerting.store.ResultRow`): no store, no clock, no printing. The caller reads the
rows and says where the window ends.

Time-weighted: each result holds from its own time until the next result (the last one
until the window's end), and the window's start takes the state in force then, from the
last result before it. Time before a check's first result is not counted at all, and time held by a
result recorded in a downtime (`in_downtime`) is counted apart: uptime is over the time outside
downtimes, as Icinga 2's availability is.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from cronchecks.core.result import Status, severity, worst

# Time perfdata is reported in seconds, whatever unit each run wrote it in.
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}

_STATUSES = tuple(Status)
_at = attrgetter("at")

STRIP_SPAN = 86400.0
STRIP_BUCKETS = 48


class Window(NamedTuple):
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class Streak(NamedTuple):
    """Where a check stands at the window's end, as the store's history tells it."""

    status: Status | None  # the latest result at or before the end; None: no result yet
    since: float | None  # the first result of the current status's run
    previous: Status | None  # the status before that run (None: it never changed)
    problem_since: float | None  # first result of the current non-OK run (None while OK)
    last_run: float | None = None
    last_summary: str = ""


class Spread(NamedTuple):
    """Median and 95th percentile of some values (linear interpolation; see `quantile`)."""

    median: float | None
    p95: float | None
    # Shadows tuple.count on purpose: _asdict() makes the field the JSON's "count" key (report_dict), and
    # nothing calls Spread.count(x).
    count: int  # type: ignore[assignment]


class Incident(NamedTuple):
    status: Status
    since: float
    downtime: float  # seconds from its first non-OK result to the window's end


class Change(NamedTuple):
    at: float
    before: Status
    after: Status


class Bucket(NamedTuple):
    start: float
    end: float
    status: Status | None  # the worst state in force (or recorded) in it; None: no data yet
    results: int


class CheckReport(NamedTuple):
    name: str
    status: Status | None
    since: float | None
    last_run: float | None
    last_summary: str
    seconds: dict[Status, float]  # time in each state within the window
    uptime: float | None  # percent of the covered time spent OK; None when nothing is covered
    results: int
    failures: int
    duration: Spread
    perf_label: str
    perf_uom: str
    perf: Spread
    incident: Incident | None
    last_change: Change | None
    strip: tuple[Bucket, ...]
    in_downtime: float = 0.0  # seconds of the window held by results recorded in a downtime (not in `seconds`)

    @property
    def covered(self) -> float:
        return sum(self.seconds.values())


# --- the figures ---------------------------------------------------------------------------


def time_in_states(rows: Sequence[Any], window: Window) -> dict[Status, float]:
    """Seconds each state was in force within the window outside downtimes: each result holds until the next.

    `rows` are ordered by time; any before the window only set the state at its start. A result
    recorded in a downtime holds its time as downtime (time_in_downtime), in no state.
    """
    spent = dict.fromkeys(Status, 0.0)
    for row, seconds in _spans(rows, window):
        if not getattr(row, "in_downtime", False):
            spent[row.status] += seconds  # a Status, or its int: the same key
    return spent


def time_in_downtime(rows: Sequence[Any], window: Window) -> float:
    """Seconds of the window held by results recorded in a downtime."""
    return sum(seconds for row, seconds in _spans(rows, window) if getattr(row, "in_downtime", False))


def _spans(rows: Sequence[Any], window: Window) -> Iterable[tuple[Any, float]]:
    first = max(0, bisect.bisect_right(rows, window.start, key=_at) - 1)  # earlier rows are overtaken
    for index in range(first, len(rows)):
        row = rows[index]
        if row.at >= window.end:
            break
        begin = max(row.at, window.start)
        finish = min(rows[index + 1].at if index + 1 < len(rows) else window.end, window.end)
        if finish > begin:
            yield row, finish - begin


def uptime_percent(spent: dict[Status, float]) -> float | None:
    """The share of the covered time spent OK, in percent; None when no time is covered."""
    covered = sum(spent.values())
    if covered <= 0:
        return None
    return 100.0 * spent[Status.OK] / covered


def quantile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between closest ranks (numpy's default, Excel's PERCENTILE.INC).

    Sorted values x[0..n-1]: position p = (n - 1) * q, result x[floor p] + (p - floor p) *
    (x[floor p + 1] - x[floor p]). q = 0.5 is the usual median (the mean of the two middle
    values when n is even); q = 0.95 over 1..20 is 19.05.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> Spread:
    return Spread(quantile(values, 0.5), quantile(values, 0.95), len(values))


def perf_values(rows: Iterable[Any], label: str) -> tuple[list[float], str]:
    """The values of one perfdata label, and their unit; times are converted to seconds.

    Where runs wrote the label in different units, the latest run's unit wins and values
    in other units are left out (times excepted: s, ms and us are all converted).
    """
    found: list[tuple[float, str]] = []
    for row in rows:
        for datum in row.perfdata or ():
            value = datum.get("value")
            if datum.get("label") == label and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and math.isfinite(value):
                found.append((float(value), str(datum.get("uom") or "")))
    if not found:
        return [], ""
    unit = found[-1][1]
    if unit in _TIME_UNITS:
        return [value * _TIME_UNITS[uom] for value, uom in found if uom in _TIME_UNITS], "s"
    return [value for value, uom in found if uom == unit], unit


def status_strip(rows: Sequence[Any], end: float, span: float = STRIP_SPAN,
                 buckets: int = STRIP_BUCKETS) -> tuple[Bucket, ...]:
    """`span` seconds up to `end` in equal buckets, each with the worst state in force in it.

    A result colours the bucket it was recorded in even when the next one came at the same
    instant, so no failure disappears from the strip.
    """
    start = end - span
    width = span / buckets
    seen: list[set[Status]] = [set() for _ in range(buckets)]
    counts = [0] * buckets

    def index(moment: float) -> int:
        return min(buckets - 1, max(0, int((moment - start) // width)))

    for position in range(max(0, bisect.bisect_right(rows, start, key=_at) - 1), len(rows)):
        row = rows[position]
        status = _STATUSES[row.status]
        if row.at > end:
            break
        first = index(row.at)
        if start <= row.at:
            counts[first] += 1
            seen[first].add(status)
        finish = min(rows[position + 1].at if position + 1 < len(rows) else end, end)
        if finish > max(row.at, start):
            last = min(buckets - 1, math.ceil((finish - start) / width) - 1)
            for bucket in range(first + 1 if start <= row.at else 0, last + 1):
                seen[bucket].add(status)
    return tuple(Bucket(start + i * width, start + (i + 1) * width,
                        worst(seen[i]) if seen[i] else None, counts[i])
                 for i in range(buckets))


def check_report(name: str, rows: Sequence[Any], streak: Streak, window: Window,
                 perf_label: str = "time") -> CheckReport:
    """Every figure of one check over the window, and its strip of the 24 hours up to the window's end.

    `rows`: the check's results, ordered by time, from the earlier of the window's start and
    24 hours before its end, after the last result before that (if any). Earlier rows
    than needed do no harm: they only set the state in force at the start.
    """
    inside = [row for row in rows if window.start <= row.at <= window.end]
    spent = time_in_states(rows, window)
    values, uom = perf_values(inside, perf_label)
    incident = None
    if streak.status is not None and streak.status is not Status.OK and streak.problem_since is not None:
        incident = Incident(streak.status, streak.problem_since, max(0.0, window.end - streak.problem_since))
    change = None
    if streak.status is not None and streak.previous is not None and streak.since is not None:
        change = Change(streak.since, streak.previous, streak.status)
    return CheckReport(
        name=name, status=streak.status, since=streak.since, last_run=streak.last_run,
        last_summary=streak.last_summary, seconds=spent, uptime=uptime_percent(spent),
        results=len(inside), failures=sum(1 for row in inside if row.status != Status.OK),
        duration=spread([row.duration for row in inside]), perf_label=perf_label, perf_uom=uom,
        perf=spread(values), incident=incident, last_change=change,
        strip=status_strip(rows, window.end), in_downtime=time_in_downtime(rows, window),
    )


def order(reports: Iterable[CheckReport]) -> list[CheckReport]:
    """Worst first (CRITICAL, WARNING, UNKNOWN, OK, then checks without data), then by name."""
    return sorted(reports, key=lambda r: (-severity(r.status) if r.status is not None else 1, r.name))


def counts(reports: Iterable[CheckReport]) -> dict[str, int]:
    """How many checks are in each state now (and without data), worst first, zeros left out."""
    found: dict[str, int] = {}
    statuses = [r.status for r in reports]
    for status in sorted(Status, key=severity, reverse=True):
        if statuses.count(status):
            found[status.name] = statuses.count(status)
    if statuses.count(None):
        found["NO DATA"] = statuses.count(None)
    return found


def worst_status(reports: Iterable[CheckReport]) -> Status:
    return worst(r.status for r in reports if r.status is not None)


# --- as data ---------------------------------------------------------------------------------


def as_dict(report: CheckReport) -> dict[str, Any]:
    """One check's figures as JSON-able data (times as epoch seconds, durations in seconds)."""
    def name_of(status: Status | None) -> str | None:
        return None if status is None else status.name

    return {
        "name": report.name,
        "status": name_of(report.status),
        "since": report.since,
        "last_run": report.last_run,
        "last_summary": report.last_summary,
        "uptime": report.uptime,
        "covered": report.covered,
        "in_downtime": report.in_downtime,
        "seconds": {status.name: spent for status, spent in report.seconds.items()},
        "results": report.results,
        "failures": report.failures,
        "duration": report.duration._asdict(),
        "perf": {"label": report.perf_label, "uom": report.perf_uom, **report.perf._asdict()},
        "incident": None if report.incident is None else {
            "status": report.incident.status.name, "since": report.incident.since,
            "downtime": report.incident.downtime},
        "last_change": None if report.last_change is None else {
            "at": report.last_change.at, "from": report.last_change.before.name, "to": report.last_change.after.name},
        "strip": {"start": report.strip[0].start if report.strip else None,
                  "bucket": (report.strip[0].end - report.strip[0].start) if report.strip else None,
                  "statuses": [name_of(bucket.status) for bucket in report.strip],
                  "results": [bucket.results for bucket in report.strip]},
    }


def report_dict(reports: Sequence[CheckReport], window: Window, *, host: str, perf_label: str,
                generated: float) -> dict[str, Any]:
    """The whole report as JSON-able data: what `--format json` prints and a JSON webhook receives."""
    return {
        "host": host,
        "generated": generated,
        "since": window.start,
        "until": window.end,
        "window": window.seconds,
        "perf": perf_label,
        "status": worst_status(reports).name,
        "counts": counts(reports),
        "checks": [as_dict(report) for report in reports],
    }
