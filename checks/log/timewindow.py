"""Timestamps in log lines: the common formats recognised, and the start of a time window found by binary search."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import BinaryIO, NamedTuple

from cronchecks.core.errors import UsageError

# How far into a line a timestamp may start: a level name, a host or an IP address may
# come first (`ERROR 2026-11-24 10:00:00,123 app`, `10.0.0.1 - - [24/Nov/2026:...]`).
HEAD = 200

MONTHS = {name: number for number, name in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"), start=1)}
_MONTH = rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"


class TimeFormat(NamedTuple):
    """A timestamp layout: how to find it in a line, and how to read what was found."""

    name: str
    regex: re.Pattern
    at_line_start: bool
    read: Callable[[re.Match, tzinfo, datetime], float | None]


def _offset(text: bytes | None, zone: tzinfo) -> tzinfo:
    if not text:
        return zone
    if text in (b"Z", b"z"):
        return UTC
    sign = -1 if text[:1] == b"-" else 1
    digits = text[1:].replace(b":", b"")
    hours, minutes = int(digits[:2]), int(digits[2:4] or b"0")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _fraction(text: bytes | None) -> int:
    return int((text or b"0")[:6].ljust(6, b"0"))


def _read_iso(match: re.Match, zone: tzinfo, now: datetime) -> float | None:
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), _fraction(fraction),
                        tzinfo=_offset(offset, zone)).timestamp()
    except (ValueError, OverflowError):
        return None


def _read_apache(match: re.Match, zone: tzinfo, now: datetime) -> float | None:
    day, month, year, hour, minute, second, offset = match.groups()
    try:
        return datetime(int(year), MONTHS[month], int(day), int(hour), int(minute), int(second),
                        tzinfo=_offset(offset, zone)).timestamp()
    except (ValueError, OverflowError):
        return None


def _read_syslog(match: re.Match, zone: tzinfo, now: datetime) -> float | None:
    # Classic syslog has no year: the current one, unless that puts the line more than a
    # day in the future (December's lines read in January belong to last year).
    month, day, hour, minute, second, fraction = match.groups()
    local_now = now.astimezone(zone)
    try:
        moment = datetime(local_now.year, MONTHS[month], int(day), int(hour), int(minute), int(second),
                          _fraction(fraction), tzinfo=zone)
        if moment - local_now > timedelta(days=1):
            moment = moment.replace(year=local_now.year - 1)
        return moment.timestamp()
    except (ValueError, OverflowError):
        return None


def _read_epoch(match: re.Match, zone: tzinfo, now: datetime) -> float | None:
    return float(match.group(1) + b"." + (match.group(2) or b"0"))


FORMATS = (
    TimeFormat("ISO 8601", re.compile(
        rb"(?<!\d)(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?"
        rb"(?: ?(Z|[+-]\d\d(?::?\d\d)?)(?![\d:]))?"),
        False, _read_iso),
    TimeFormat("Apache/nginx", re.compile(
        rb"\[(\d\d)/" + _MONTH + rb"/(\d{4}):(\d\d):(\d\d):(\d\d)(?: ([+-]\d{4}))?\]"), False, _read_apache),
    TimeFormat("syslog", re.compile(
        rb"(?<![\w/])" + _MONTH + rb" ([ \d]?\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?![\d:])"), False, _read_syslog),
    TimeFormat("epoch", re.compile(rb"\[?(\d{10})(?:\.(\d{1,9}))?(?![\d:])"), True, _read_epoch),
)

# strftime directives as regexes, for --time-format; the match is then read by strptime.
_DIRECTIVES = {
    "Y": r"\d{4}", "y": r"\d\d", "m": r"\d{1,2}", "d": r"\d{1,2}", "e": r" ?\d{1,2}", "H": r"\d{1,2}",
    "I": r"\d{1,2}", "M": r"\d\d", "S": r"\d\d", "f": r"\d{1,6}", "j": r"\d{1,3}", "p": r"[AaPp][Mm]",
    "b": r"[A-Za-z]{3}", "h": r"[A-Za-z]{3}", "B": r"[A-Za-z]+", "a": r"[A-Za-z]{3}", "A": r"[A-Za-z]+",
    "z": r"(?:Z|[+-]\d\d:?\d\d)", "Z": r"[A-Z]{2,5}", "%": "%", "s": r"\d{9,11}",
}


def custom_format(spec: str) -> TimeFormat:
    """A TimeFormat from a strftime pattern (`%d.%m.%Y %H:%M:%S`); `%s` is epoch seconds."""
    parts = []
    index = 0
    while index < len(spec):
        char = spec[index]
        if char == "%":
            if index + 1 >= len(spec) or spec[index + 1] not in _DIRECTIVES:
                shown = spec[index:index + 2]
                raise UsageError(f"invalid --time-format {spec!r}: unsupported directive {shown!r}")
            parts.append(_DIRECTIVES[spec[index + 1]])
            index += 2
        else:
            parts.append(re.escape(char))
            index += 1
    regex = re.compile(("(" + "".join(parts) + ")").encode())
    parse_spec = spec.replace("%e", "%d")
    with_year = any(d in spec for d in ("%Y", "%y", "%s"))

    def read(match: re.Match, zone: tzinfo, now: datetime) -> float | None:
        text = match.group(1).decode("ascii", "replace")
        if parse_spec == "%s":
            return float(text)
        try:
            # Naive unless the format has %z: the zone of --tz is put on just below.
            moment = datetime.strptime(text.replace("  ", " ") if "%e" in spec else text,  # noqa: DTZ007
                                       parse_spec)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        if not with_year:
            local_now = now.astimezone(zone)
            moment = moment.replace(year=local_now.year)
            if moment - local_now > timedelta(days=1):
                moment = moment.replace(year=local_now.year - 1)
        return moment.timestamp()

    return TimeFormat(f"--time-format {spec}", regex, False, read)


class TimeReader:
    """Reads the timestamp of one line of a buffer in a fixed format (or says it has none)."""

    __slots__ = ("format", "now", "zone")

    def __init__(self, time_format: TimeFormat, zone: tzinfo, now: datetime) -> None:
        self.format = time_format
        self.zone = zone
        self.now = now

    def stamp(self, buf: bytes | bytearray, start: int, end: int) -> float | None:
        """Epoch seconds of the line buf[start:end], or None when it carries no timestamp."""
        fmt = self.format
        if fmt.at_line_start:
            match = fmt.regex.match(buf, start, min(end, start + 40))
        else:
            match = fmt.regex.search(buf, start, min(end, start + HEAD))
        return None if match is None else fmt.read(match, self.zone, self.now)


def line_stamp(buf: bytes, start: int, end: int, fmt: TimeFormat, zone: tzinfo, now: datetime) -> float | None:
    """The timestamp of one line in one format (used by detection and by tests)."""
    return TimeReader(fmt, zone, now).stamp(buf, start, end)


def detect_format(sample: bytes, zone: tzinfo, now: datetime) -> TimeFormat | None:
    """The format that reads the most lines of a sample (ties: the order of FORMATS), or None."""
    lines = sample.split(b"\n")
    best, best_count = None, 0
    for fmt in FORMATS:
        reader = TimeReader(fmt, zone, now)
        count = sum(1 for line in lines if line and reader.stamp(line, 0, len(line)) is not None)
        if count > best_count:
            best, best_count = fmt, count
    return best


# --- binary search for the start of a window -------------------------------------------------

_PROBE = 16 * 1024
_PROBE_LIMIT = 1024 * 1024


def first_stamped_line(handle: BinaryIO, position: int, limit: int, reader: TimeReader) -> tuple[int, float | None]:
    """The start and timestamp of the first stamped line that starts at or after `position`.

    Reads a little at a time (16 KiB, growing to 1 MiB), so a probe costs one small read.
    """
    block = _PROBE
    while True:
        handle.seek(position)
        data = handle.read(min(block, max(limit - position, 0)))
        if position > 0:
            first = data.find(b"\n")  # the line under `position` began before it
            if first < 0:
                if len(data) < block or block >= _PROBE_LIMIT:
                    return limit, None
                block *= 4
                continue
            start = first + 1
        else:
            start = 0
        while start < len(data):
            end = data.find(b"\n", start)
            if end < 0:
                if len(data) < block:
                    end = len(data)  # the last line of the range
                else:
                    break
            stamp = reader.stamp(data, start, end)
            if stamp is not None:
                return position + start, stamp
            start = end + 1
        if len(data) < block or block >= _PROBE_LIMIT:
            return limit, None
        block *= 4


def window_start(handle: BinaryIO, size: int, reader: TimeReader, cutoff: float, margin: int) -> int:
    """An offset at a line start before which no line of the window begins (the file being in time order).

    A binary search on the lines' timestamps: O(log n) small reads. `margin` bytes more
    are taken in front, so that lines a little out of order are still seen; the scan then
    judges every matching line by its own timestamp.
    """
    low, high = 0, size
    while high - low > _PROBE:
        middle = (low + high) // 2
        start, stamp = first_stamped_line(handle, middle, high, reader)
        if stamp is None or stamp >= cutoff:
            high = middle
        else:
            low = start
    begin = max(0, low - margin)
    if begin == 0:
        return 0
    handle.seek(begin)
    data = handle.read(_PROBE_LIMIT)
    newline = data.find(b"\n")
    return begin + newline + 1 if newline >= 0 else low
