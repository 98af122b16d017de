"""Nagios ranges, and durations and sizes written with units, read as plain numbers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from cronchecks.core.result import Status


class ParseError(ValueError):
    """Text that is not a valid range, duration or size; the message quotes it."""


# --- durations ---------------------------------------------------------------------

_DURATION_UNITS = {
    "us": 1e-6, "µs": 1e-6, "ms": 1e-3,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
}
# The longest duration there is: what datetime arithmetic takes (timedelta.max, about
# 2.7 million years). A longer one is finite as a float, yet `now - since` or a deadline
# made from it overflows deep inside a check instead of saying which option is wrong.
MAX_DURATION = timedelta.max.total_seconds()
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION_PART = re.compile(rf"({_NUMBER})\s*([a-zµ]*)", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds from `500ms`, `2s`, `5m`, `1h30m`, `1d` or a bare number of seconds.

    A sign is allowed in front (`-5m`), since range bounds may be negative.
    """
    raw = text
    text = text.strip()
    sign = 1.0
    if text[:1] in "+-" and text:
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:].lstrip()
    if not text:
        raise ParseError(f"not a duration: {raw!r}")
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if not match:
            raise ParseError(f"not a duration: {raw!r} (use e.g. 500ms, 30s, 5m, 1h, 1d)")
        unit = match.group(2).lower()
        if unit and unit not in _DURATION_UNITS:
            raise ParseError(f"unknown time unit {match.group(2)!r} in {raw!r} (us, ms, s, m, h, d, w)")
        if not unit and (pos > 0 or match.end() != len(text)):
            raise ParseError(f"not a duration: {raw!r} (each part of a compound duration needs a unit)")
        total += float(match.group(1)) * _DURATION_UNITS.get(unit, 1.0)
        pos = match.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
    if not math.isfinite(total) or total >= MAX_DURATION:  # the float rounds up to 1e9 days, past the max
        raise ParseError(f"duration out of range: {raw!r} (at most {timedelta.max.days}d)")
    return sign * total


def format_duration(seconds: float) -> str:
    """A short human reading of an age or delay: `850 ms`, `42 s`, `3m 05s`, `2h 10m`, `3d 4h`."""
    sign = "-" if seconds < 0 else ""
    value = abs(seconds)
    if value < 1:
        return f"{sign}{value * 1000:.0f} ms"
    if value < 60:
        return f"{sign}{value:.0f} s" if value >= 10 else f"{sign}{value:.1f} s"
    whole = int(value)
    if whole < 3600:
        return f"{sign}{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{sign}{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{sign}{whole // 86400}d {whole % 86400 // 3600}h"


# --- sizes -----------------------------------------------------------------------


def format_size(value: float) -> str:
    """Bytes for a person: `812 B`, `3.2 KiB`, `512.0 MiB`, `1.5 GiB`."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


# GNU coreutils' convention (head -c, du, sort -S): K/M/G are binary, KB/MB/GB decimal,
# KiB/MiB/GiB binary. It is what operators already type on these machines.
_SIZE_UNITS = {"": 1, "b": 1}
for _i, _p in enumerate("kmgtpe", start=1):
    _SIZE_UNITS[_p] = 1024**_i
    _SIZE_UNITS[_p + "b"] = 1000**_i
    _SIZE_UNITS[_p + "ib"] = 1024**_i
_SIZE = re.compile(rf"\s*([+-]?)\s*({_NUMBER})\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str) -> float:
    """Bytes from `512`, `10MB` (10^7), `10M` or `10MiB` (10 * 2^20), `1GiB`."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ParseError(f"not a size: {text!r} (use e.g. 512, 10KB, 1MiB, 2G)")
    unit = match.group(3).lower()
    if unit not in _SIZE_UNITS:
        raise ParseError(f"unknown size unit {match.group(3)!r} in {text!r} (B, KB, MB, GB, KiB, MiB, GiB, K, M, G)")
    value = float(match.group(2)) * _SIZE_UNITS[unit]
    if not math.isfinite(value):
        raise ParseError(f"size out of range: {text!r}")
    return -value if match.group(1) == "-" else value


def parse_number(text: str) -> float:
    """A plain number (a count, a percentage): no units."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ParseError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ParseError(f"not a finite number: {text!r}")
    return value


def parse_days(text: str) -> float:
    """Days of certificate validity as check_http's -C reads them: a bare number is days (`30`, `7.5`), else a
    duration (`30d`, `12h`)."""
    if text.strip().replace(".", "", 1).isdigit():
        return float(text)
    try:
        return parse_duration(text) / 86400.0
    except ParseError as error:
        raise ParseError(f"{error} (e.g. 30d, 7d, or 30 for days)") from None


def parse_percent(text: str) -> float:
    """A percentage, with or without the `%` sign."""
    stripped = text.strip()
    return parse_number(stripped[:-1] if stripped.endswith("%") else stripped)


UNIT_PARSERS: dict[str, Callable[[str], float]] = {
    "number": parse_number,
    "duration": parse_duration,
    "size": parse_size,
    "percent": parse_percent,
}


# --- ranges ----------------------------------------------------------------------


class Range(NamedTuple):
    """A Nagios threshold range: alert when the value is outside [start, end] (inside with @)."""

    start: float = 0.0
    end: float = math.inf
    inside: bool = False
    text: str = ""

    def alerts(self, value: float) -> bool:
        """True when this value should raise the alert the range stands for."""
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def render(self) -> str:
        """The range in base units, as perfdata's warn/crit fields carry it."""
        start = "~" if self.start == -math.inf else plain_number(self.start)
        end = "" if self.end == math.inf else plain_number(self.end)
        prefix = "@" if self.inside else ""
        if start == "0" and end and not self.inside:
            return f"{end}"
        return f"{prefix}{start}:{end}"

    def describe(self, show: Callable[[float], str] | None = None) -> str:
        """Words for a summary: `> 300`, `< 10`, `outside 10..20`, `inside 10..20`.

        `show` formats the bounds (format_duration for ages, say); plain numbers otherwise.
        """
        show = show or plain_number
        if self.inside:
            return f"inside {show(self.start)}..{show(self.end)}"
        if self.end == math.inf:
            return f"< {show(self.start)}"
        if self.start in (0, -math.inf):
            return f"> {show(self.end)}"
        return f"outside {show(self.start)}..{show(self.end)}"


def plain_number(value: float) -> str:
    """A number without exponent or needless decimals (perfdata must not carry `1e-05`)."""
    if value == int(value) and abs(value) < 1e18:
        return str(int(value))
    text = repr(float(value))
    if "e" not in text:
        return text
    # repr gives the shortest digits that round-trip; spell those digits out in fixed point by moving
    # the point. (Formatting the float again with `.Nf` rounds its exact binary value instead, and at a
    # tie such as 2**-24 gives digits that read back as the neighbouring float.)
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    whole, _, fraction = mantissa.lstrip("-").partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent)
    if point <= 0:
        fixed = "0." + "0" * -point + digits
    elif point >= len(digits):
        fixed = digits + "0" * (point - len(digits))
    else:
        fixed = digits[:point] + "." + digits[point:]
    if "." in fixed:
        fixed = fixed.rstrip("0").rstrip(".")
    return sign + fixed


def parse_range(text: str, unit: str = "number") -> Range:
    """Parse a range as the Monitoring Plugins guidelines define it.

    `10` -> 0..10, `10:` -> 10..inf, `~:10` -> -inf..10, `10:20`, `@10:20` (alert inside).
    Each bound may carry the quantity's units (`500ms:2s`, `10MB`). Empty text, an
    unknown unit or a start above the end raises ParseError naming the text.
    """
    if unit not in UNIT_PARSERS:
        raise ValueError(f"unknown unit kind {unit!r}")
    to_number = UNIT_PARSERS[unit]
    body = text.strip()
    inside = body.startswith("@")
    if inside:
        body = body[1:].strip()
    if not body:
        raise ParseError(f"empty range: {text!r}")
    if body.strip(": ") == "":
        raise ParseError(f"empty range: {text!r} (give at least one bound)")
    if ":" in body:
        start_text, _, end_text = body.partition(":")
        if ":" in end_text:
            raise ParseError(f"not a range: {text!r} (more than one ':')")
        start_text, end_text = start_text.strip(), end_text.strip()
        if start_text == "~":
            start = -math.inf
        elif start_text == "":
            start = 0.0
        else:
            start = _bound(to_number, start_text, text)
        end = math.inf if end_text == "" else _bound(to_number, end_text, text)
    else:
        start, end = 0.0, _bound(to_number, body, text)
    if start > end:
        raise ParseError(f"range start is above its end: {text!r}")
    return Range(start=start, end=end, inside=inside, text=text.strip())


def _bound(to_number: Callable[[str], float], part: str, whole: str) -> float:
    if part == "~":
        raise ParseError(f"'~' stands only at the start of a range: {whole!r}")
    try:
        return to_number(part)
    except ParseError as error:
        raise ParseError(f"not a range: {whole!r} ({error})") from None


def judge(value: float, warning: Range | None, critical: Range | None) -> Status:
    """Critical first, then warning, as the guidelines order them."""
    if critical is not None and critical.alerts(value):
        return Status.CRITICAL
    if warning is not None and warning.alerts(value):
        return Status.WARNING
    return Status.OK
