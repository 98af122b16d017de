"""Perfdata units: those the guidelines name, the binary ones plugins emit, and the base units they scale to.

A plugin's unit is kept as it wrote it wherever the text goes on (the Nagios line, the store);
sinks that want base units (Prometheus, CloudWatch) ask `to_base` for seconds and bytes.
A unit this module does not know is not dropped: it stays verbatim, unscaled.
"""

from __future__ import annotations

import re

# The Monitoring Plugins Development Guidelines: s ms us % B KB MB TB c (GB is meant too:
# check_disk -u GB writes it), and the IEC units that check_disk 2.3+ and others write.
GUIDELINE_UNITS = ("s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c")
BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")

# unit -> (base unit, factor). KB, MB... are decimal (SI), as this project reads sizes everywhere
# (core/thresholds.parse_size, GNU coreutils); KiB, MiB... binary.
_BASE: dict[str, tuple[str, float]] = {
    "": ("", 1.0), "s": ("s", 1.0), "ms": ("s", 1e-3), "us": ("s", 1e-6),
    "%": ("%", 1.0), "c": ("c", 1.0), "B": ("B", 1.0),
    "KB": ("B", 1e3), "MB": ("B", 1e6), "GB": ("B", 1e9), "TB": ("B", 1e12), "PB": ("B", 1e15),
    "KiB": ("B", 2.0**10), "MiB": ("B", 2.0**20), "GiB": ("B", 2.0**30), "TiB": ("B", 2.0**40),
    "PiB": ("B", 2.0**50),
}
# Spellings plugins use for the same units: SI's lower-case kilo, check_disk's `kiB`, a micro sign.
_ALIASES = {"kB": "KB", "kiB": "KiB", "KIB": "KiB", "MIB": "MiB", "GIB": "GiB", "TIB": "TiB", "µs": "us", "μs": "us"}

# A unit must read back as a unit after a number: no digit, '.' or exponent at its start
# (`3` + `e5` would read as 300000), nothing perfdata uses as a separator, nothing invisible.
MAX_UNIT_LENGTH = 32
_AMBIGUOUS_START = re.compile(r"[\d.]|[eE][-+]?\d")
_SEPARATORS = frozenset(";='\"|")


def canonical_unit(text: str) -> str:
    """The usual spelling of a unit (`kB` -> `KB`, `µs` -> `us`); any other text as it is."""
    return _ALIASES.get(text, text)


def is_valid_unit(text: str) -> bool:
    """Whether `text` can follow a value in perfdata and be read back as the same unit."""
    if text == "":
        return True
    return (len(text) <= MAX_UNIT_LENGTH and text.isprintable() and not any(ch.isspace() for ch in text)
            and not _SEPARATORS.intersection(text) and _AMBIGUOUS_START.match(text) is None)


def is_known_unit(text: str) -> bool:
    """A unit this module can scale (the guidelines', the binary ones, and byte rates such as `MiB/s`)."""
    unit = canonical_unit(text)
    return unit in _BASE or _byte_rate(unit) is not None


def _byte_rate(unit: str) -> float | None:
    numerator, slash, denominator = unit.partition("/")
    if slash and denominator == "s":
        base = _BASE.get(canonical_unit(numerator))
        if base is not None and base[0] == "B":
            return base[1]
    return None


def to_base(value: float, unit: str) -> tuple[float, str]:
    """`value` in base units and the base unit: seconds `s`, bytes `B`, bytes a second `B/s`, or `%`, `c`, ``.

    An unknown unit comes back unchanged, with the value unscaled.
    """
    unit = canonical_unit(unit)
    if unit in _BASE:
        base, factor = _BASE[unit]
        return value * factor, base
    rate = _byte_rate(unit)
    if rate is not None:
        return value * rate, "B/s"
    return value, unit
