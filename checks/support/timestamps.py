"""Timestamps as heartbeats leave them: ISO 8601, epoch numbers, naive times in a zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

from cronchecks.core.errors import UsageError

_EPOCH = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


class TimestampError(ValueError):
    """Text or a value that is not a timestamp; the message quotes it."""


def resolve_timezone(name: str | None) -> tzinfo:
    """`--tz NAME` as a zone (IANA name, UTC); None means the machine's local zone."""
    if not name or name.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    if name.upper() in ("UTC", "Z"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin, or UTC)") from None


def from_epoch(number: float) -> datetime:
    """Epoch seconds; values too large for seconds are read as ms, us or ns.

    Seconds above 1e11 would be past the year 5000, so such a number is a finer unit:
    JavaScript's Date.now() writes milliseconds, and some loggers write micro/nanoseconds.
    """
    value = float(number)
    for scale in (1, 1e3, 1e6, 1e9):
        if abs(value / scale) < 1e11:
            try:
                return datetime.fromtimestamp(value / scale, tz=UTC)
            except (OverflowError, OSError, ValueError):
                break
    raise TimestampError(f"epoch value out of range: {number!r}")


def attach_zone(moment: datetime, zone: tzinfo) -> datetime:
    """An aware datetime: a naive one is read as wall time in `zone`."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        return moment.replace(tzinfo=zone)
    return moment


def parse_timestamp(text: str, zone: tzinfo) -> datetime:
    """An aware datetime from ISO 8601 (`Z` and offsets too), epoch seconds, or RFC 2822."""
    stripped = text.strip().strip('"').strip()
    if not stripped:
        raise TimestampError("empty text is not a timestamp")
    if _EPOCH.fullmatch(stripped):
        return from_epoch(float(stripped))
    iso = stripped[:-1] + "+00:00" if stripped[-1:] in "zZ" else stripped
    try:
        return attach_zone(datetime.fromisoformat(iso), zone)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return attach_zone(parsedate_to_datetime(stripped), zone)
    except (TypeError, ValueError, IndexError):
        pass
    shown = stripped if len(stripped) <= 60 else stripped[:57] + "..."
    raise TimestampError(f"not a timestamp: {shown!r} (ISO 8601 or epoch seconds expected)")


def to_timestamp(value: object, zone: tzinfo) -> datetime:
    """A value from JSON or SQL as an aware datetime (datetime, date, text or number)."""
    if isinstance(value, bool):
        raise TimestampError(f"not a timestamp: {value!r}")
    if isinstance(value, datetime):
        return attach_zone(value, zone)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    if isinstance(value, (int, float)):
        return from_epoch(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return parse_timestamp(value, zone)
    from decimal import Decimal

    if isinstance(value, Decimal):
        return from_epoch(float(value))
    raise TimestampError(f"not a timestamp: {type(value).__name__} {value!r}")
