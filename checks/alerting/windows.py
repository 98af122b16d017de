"""Recurring maintenance windows (`[[maintenance]]` in the config file): which checks, when (cron), how long, where.

A window is a cron schedule of starts, each opening a span of `duration`; a check named by one of `checks`
(names or shell-style globs) is in downtime while a span runs. Parsed here from a config table so that the
config reader and the policy agree on one meaning; `occurrence` answers "is it open now, and until when".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import ParseError, parse_duration

WINDOW_KEYS = ("checks", "schedule", "duration", "timezone", "comment")


class MaintenanceWindow(NamedTuple):
    checks: tuple[str, ...]  # names or globs
    schedule: str  # cron expression of the starts
    duration: float  # seconds each start opens
    timezone: str | None = None  # IANA name; None: the machine's zone
    comment: str = ""

    def names(self, check: str) -> bool:
        return any(fnmatchcase(check, pattern) for pattern in self.checks)


def parse_maintenance(table: Mapping[str, Any], where: str) -> MaintenanceWindow:
    """One `[[maintenance]]` table; a mistake is a UsageError naming `where` (file and line) and the key."""
    for key in table:
        if key not in WINDOW_KEYS:
            raise UsageError(f"{where}: unknown key {key!r} in [[maintenance]] ({', '.join(WINDOW_KEYS)})")
    checks = table.get("checks")
    if isinstance(checks, str):
        checks = [checks]
    if not isinstance(checks, list) or not checks or not all(isinstance(c, str) and c.strip() for c in checks):
        raise UsageError(f"{where}: [[maintenance]] needs checks = [\"name or glob\", ...]")
    schedule = table.get("schedule")
    if not isinstance(schedule, str) or not schedule.strip():
        raise UsageError(f"{where}: [[maintenance]] needs schedule = \"cron expression\" (e.g. \"0 2 * * *\")")
    from cronsim import CronSim, CronSimError

    try:
        CronSim(schedule, datetime(2000, 1, 1))  # noqa: DTZ001 - a syntax check only
    except CronSimError as error:
        raise UsageError(f"{where}: invalid schedule {schedule!r}: {error}") from None
    duration_text = table.get("duration")
    try:
        duration = parse_duration(str(duration_text)) if isinstance(duration_text, (str, int)) else -1.0
    except ParseError as error:
        raise UsageError(f"{where}: invalid duration {duration_text!r}: {error}") from None
    if duration <= 0:
        raise UsageError(f"{where}: [[maintenance]] needs duration = \"1h\" (longer than 0)")
    zone = table.get("timezone")
    if zone is not None:
        from cronchecks.support.timestamps import resolve_timezone

        try:
            resolve_timezone(str(zone))
        except (UsageError, ValueError) as error:
            raise UsageError(f"{where}: invalid timezone {zone!r}: {error}") from None
    comment = table.get("comment", "")
    return MaintenanceWindow(tuple(c.strip() for c in checks), schedule.strip(), duration,
                             str(zone) if zone is not None else None, str(comment))


def occurrence(window: MaintenanceWindow, now: float) -> tuple[float, float] | None:
    """The span of the window open at `now` (start, end), or None when none is."""
    from cronsim import CronSim

    from cronchecks.support.timestamps import resolve_timezone

    zone = resolve_timezone(window.timezone)
    moment = datetime.fromtimestamp(now, zone)
    # The latest start at or before now (cronsim's reverse iteration is strictly before its start).
    for start in CronSim(window.schedule, moment.replace(microsecond=0) + timedelta(seconds=1), reverse=True):
        begins = start.timestamp()
        if begins + window.duration > now >= begins:
            return begins, begins + window.duration
        if begins + window.duration <= now:
            return None
    return None
