"""The vocabulary every check shares: Status, Perfdata and Result."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from typing import Any, NamedTuple

from cronchecks.core.units import BINARY_UNITS, GUIDELINE_UNITS, canonical_unit, is_valid_unit


class Status(enum.IntEnum):
    """Nagios plugin states; the int value is the exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3

    @classmethod
    def parse(cls, text: str) -> Status:
        """Read a state name as an operator writes it (`crit`, `Warning`, `ok`)."""
        key = text.strip().upper()
        aliases = {"WARN": "WARNING", "CRIT": "CRITICAL", "UNKN": "UNKNOWN"}
        key = aliases.get(key, key)
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"not a state: {text!r} (ok, warning, critical, unknown)") from None


# CRITICAL > WARNING > UNKNOWN > OK: the Monitoring Plugins' max_state_alt. A broken
# check must not hide a real CRITICAL elsewhere, and a real problem outranks "unsure".
_SEVERITY = {Status.OK: 0, Status.UNKNOWN: 1, Status.WARNING: 2, Status.CRITICAL: 3}


def severity(status: Status) -> int:
    """Where a state stands in the one order of the project (OK 0, UNKNOWN 1, WARNING 2, CRITICAL 3)."""
    return _SEVERITY[status]


def worst(statuses: Iterable[Status]) -> Status:
    """The state that matters most among several (OK when there are none)."""
    return max(statuses, key=_SEVERITY.__getitem__, default=Status.OK)


# The units the guidelines name and the binary ones plugins write; any other valid unit is kept
# verbatim too (core/units.py), since a unit dropped turns `3.2GB` into a bare 3.2.
PERFDATA_UNITS = frozenset({"", *GUIDELINE_UNITS, *BINARY_UNITS})


# NamedTuples rather than dataclasses: every check starts a process, and building a
# dataclass costs ~1.5 ms of start-up each; these are plain immutable records.
class _PerfdataFields(NamedTuple):
    label: str
    value: float | None  # None is rendered as 'U' (value could not be determined)
    uom: str = ""
    warning: Any = None  # a thresholds.Range (or a number), rendered by output
    critical: Any = None
    minimum: float | None = None
    maximum: float | None = None


class Perfdata(_PerfdataFields):
    """One performance datum: this package's own in base units (seconds, bytes) or a plain count; another
    plugin's in the unit it wrote (`GB`, `MiB`, `req/s`), which core/units.py scales where a sink wants base units."""

    __slots__ = ()

    def __new__(cls, label: str, value: float | None, uom: str = "", warning: Any = None, critical: Any = None,
                minimum: float | None = None, maximum: float | None = None) -> Perfdata:
        uom = canonical_unit(uom)
        if not is_valid_unit(uom):
            raise ValueError(f"perfdata unit {uom!r} cannot be written after a value (no spaces, ';', '=', quotes "
                             "or a leading digit)")
        if value is not None and not math.isfinite(value):
            value = None
        return super().__new__(cls, label, value, uom, warning, critical, minimum, maximum)


class _ResultFields(NamedTuple):
    status: Status
    summary: str
    perfdata: tuple[Perfdata, ...] = ()
    details: tuple[str, ...] = ()


class Result(_ResultFields):
    """What a check decided: a state, one summary line, perfdata and detail lines."""

    __slots__ = ()

    def __new__(cls, status: Status, summary: str, perfdata: Iterable[Perfdata] = (),
                details: Iterable[str] = ()) -> Result:
        return super().__new__(cls, status, summary, tuple(perfdata), tuple(details))
