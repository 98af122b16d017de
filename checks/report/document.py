"""The report as a versioned JSON document (`--format json`): written by each host, read back to draw a fleet page.

`SCHEMA` below is the document's shape, field by field; `SCHEMA_VERSION` goes up whenever it changes (a test holds
the two together), and a reader refuses a document of another version rather than guess. Version 1 was the
unversioned JSON of earlier releases (the same fields without the long view); version 2 adds `schema_version`,
`days`, and per check the uptime over 24 hours, 7 days and the span, the days, the incidents and the response-time
series; version 3 adds `in_downtime`, the seconds held by results recorded in a downtime (outside every uptime),
per check, per day and per incident. Times are epoch seconds, durations seconds, uptimes percent, states their
names (None: no data).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from cronchecks.core.errors import CheckError
from cronchecks.report.figures import CheckReport, Window, as_dict, report_dict, time_in_states, uptime_percent
from cronchecks.report.timeline import daily, day_bounds, hourly_bounds, incidents, perf_series

SCHEMA_VERSION = 3
DOCUMENT_LIMIT = 256 * 1024 * 1024  # one host's 90 days: a few MB; a bigger file is not one of ours

NUMBER = "number"
OPTIONAL_NUMBER = "number?"
TEXT = "text"
STATE = "state?"  # a state's name or null
COUNT = "count"

_SERIES = {"uom": TEXT, "points": [{"start": NUMBER, "end": NUMBER, "median": OPTIONAL_NUMBER,
                                    "p95": OPTIONAL_NUMBER, "count": COUNT}]}
_SPREAD = {"median": OPTIONAL_NUMBER, "p95": OPTIONAL_NUMBER, "count": COUNT}
SCHEMA: dict[str, Any] = {
    "schema_version": COUNT,
    "host": TEXT, "generated": NUMBER, "since": NUMBER, "until": NUMBER, "window": NUMBER, "perf": TEXT,
    "days": COUNT, "status": TEXT, "counts": {"*": COUNT},
    "checks": [{
        "name": TEXT, "status": STATE, "since": OPTIONAL_NUMBER, "last_run": OPTIONAL_NUMBER, "last_summary": TEXT,
        "uptime": OPTIONAL_NUMBER, "covered": NUMBER, "in_downtime": NUMBER, "seconds": {"*": NUMBER},
        "results": COUNT, "failures": COUNT,
        "duration": _SPREAD, "perf": {"label": TEXT, "uom": TEXT, **_SPREAD},
        "incident": {"?": {"status": TEXT, "since": NUMBER, "downtime": NUMBER}},
        "last_change": {"?": {"at": NUMBER, "from": TEXT, "to": TEXT}},
        "strip": {"start": OPTIONAL_NUMBER, "bucket": OPTIONAL_NUMBER, "statuses": [STATE], "results": [COUNT]},
        "uptime_24h": OPTIONAL_NUMBER, "uptime_7d": OPTIONAL_NUMBER, "uptime_span": OPTIONAL_NUMBER,
        "daily": [{"date": TEXT, "start": NUMBER, "end": NUMBER, "status": STATE, "uptime": OPTIONAL_NUMBER,
                   "incidents": COUNT, "results": COUNT, "in_downtime": NUMBER}],
        "incidents": [{"start": NUMBER, "end": OPTIONAL_NUMBER, "status": TEXT, "summary": TEXT,
                       "duration": NUMBER, "in_downtime": NUMBER}],
        "perf_hourly": _SERIES, "perf_daily": _SERIES,
    }],
}
_STATE_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")


class DocumentError(CheckError):
    """A report document that is not one this version reads: broken, cut, or of another schema version."""


def long_view(report: CheckReport, rows: Sequence[Any], end: float, days: int,
              zone: tzinfo | None = None) -> dict[str, Any]:
    """The fields version 2 adds to a check: uptimes over 24 h, 7 days and the span, days, incidents, series."""
    bounds = day_bounds(end, days, zone)
    span = Window(bounds[0][1], end)

    def uptime(seconds: float) -> float | None:
        return uptime_percent(time_in_states(rows, Window(end - seconds, end)))

    hourly, hourly_uom = perf_series(rows, report.perf_label, hourly_bounds(end))
    per_day, daily_uom = perf_series(rows, report.perf_label, [(start, finish) for _, start, finish in bounds])
    return {
        "uptime_24h": uptime(86400.0),
        "uptime_7d": uptime(7 * 86400.0),
        "uptime_span": uptime_percent(time_in_states(rows, span)),
        "daily": [{"date": day.day.isoformat(), "start": day.start, "end": day.end,
                   "status": None if day.status is None else day.status.name, "uptime": day.uptime,
                   "incidents": day.incidents, "results": day.results, "in_downtime": day.in_downtime}
                  for day in daily(rows, end, days, zone)],
        "incidents": [{"start": incident.start, "end": incident.end, "status": incident.status.name,
                       "summary": incident.summary, "duration": incident.duration(end),
                       "in_downtime": incident.in_downtime}
                      for incident in incidents(rows, span)],
        "perf_hourly": {"uom": hourly_uom, "points": [point._asdict() for point in hourly]},
        "perf_daily": {"uom": daily_uom, "points": [point._asdict() for point in per_day]},
    }


def build_document(reports: Sequence[CheckReport], views: Mapping[str, dict[str, Any]], window: Window, *,
                   host: str, perf_label: str, generated: float, days: int) -> dict[str, Any]:
    """The whole document: the report's figures (version 1's fields) and each check's long view."""
    base = report_dict(reports, window, host=host, perf_label=perf_label, generated=generated)
    checks = [{**as_dict(report), **views[report.name]} for report in reports]
    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in base.items() if k != "checks"}, "days": days,
            "checks": checks}


def read_document(data: bytes, where: str) -> dict[str, Any]:
    """A document read back and checked against SCHEMA; anything else is a DocumentError naming `where`."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise DocumentError(f"{where} is not a report document: not JSON ({error})") from None
    if not isinstance(document, dict):
        raise DocumentError(f"{where} is not a report document: not a JSON object")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        made = "an earlier release (no schema_version)" if version is None else f"schema_version {version!r}"
        raise DocumentError(f"{where} is from {made}; this cronchecks reads schema_version {SCHEMA_VERSION}: "
                            f"write it again with this version's cronchecks report --format json")
    problem = _mismatch(document, SCHEMA, "")
    if problem:
        raise DocumentError(f"{where} is not a report document of schema_version {SCHEMA_VERSION}: {problem}")
    return document


def _mismatch(value: Any, shape: Any, path: str) -> str | None:
    """Where `value` departs from `shape` (None: it fits)."""
    here = path or "the document"
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{here} is not a list"
        return next((found for index, item in enumerate(value)
                     if (found := _mismatch(item, shape[0], f"{path}[{index}]"))), None)
    if isinstance(shape, dict):
        if "?" in shape:
            return None if value is None else _mismatch(value, shape["?"], path)
        if not isinstance(value, dict):
            return f"{here} is not an object"
        if "*" in shape:
            return next((found for key, item in value.items()
                         if (found := _mismatch(item, shape["*"], f"{path}.{key}"))), None)
        for key, inner in shape.items():
            if key not in value:
                return f"{path}.{key} is missing".lstrip(".")
            found = _mismatch(value[key], inner, f"{path}.{key}".lstrip("."))
            if found:
                return found
        return None
    return None if _fits(value, shape) else f"{here} is not {_described(shape)}"


def _fits(value: Any, kind: str) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == STATE:
        return value is None or value in _STATE_NAMES
    if kind == COUNT:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == OPTIONAL_NUMBER and value is None:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _described(kind: str) -> str:
    return {TEXT: "text", STATE: "a state name or null", COUNT: "a whole number", NUMBER: "a number",
            OPTIONAL_NUMBER: "a number or null"}[kind]
