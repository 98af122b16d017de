"""Read another plugin's output: its status line's summary and its perfdata."""

from __future__ import annotations

import re
from typing import NamedTuple

from cronchecks.core.result import Perfdata
from cronchecks.core.units import is_valid_unit

# 'label'=value[UOM];warn;crit;min;max  (label quoted when it has spaces; '' is a quote). The unit is
# whatever follows the number up to ';' or a space: GB, MiB, req/s are kept, not dropped. A datum ends
# at white space; fields past max (some plugins add a trailing ';') are ignored.
_DATUM = re.compile(r"""\s*('(?:[^']|'')+'|[^'=\s]+)=(-?[\d.]+(?:[eE][-+]?\d+)?|U)([^;\s]*)((?:;[^\s;]*)*)(?=\s|$)""")

_SPACE = re.compile(r"\s")


class PluginOutput(NamedTuple):
    summary: str  # the first line without its perfdata
    perfdata: tuple[Perfdata, ...]
    long_output: str


def parse_plugin_output(text: str) -> PluginOutput:
    """Split Nagios plugin output into summary, perfdata (first line and long output) and long output.

    Data that does not parse is skipped, not fatal: a third-party plugin's odd perfdata
    must not stop its result from being recorded and alerted on.
    """
    lines = text.splitlines()
    first = lines[0] if lines else ""
    summary, _, perf_text = first.partition("|")
    long_lines: list[str] = []
    in_perf = False
    for line in lines[1:]:
        if in_perf:
            perf_text += " " + line
            continue
        before, bar, after = line.partition("|")
        long_lines.append(before)
        if bar:
            perf_text += " " + after
            in_perf = True
    return PluginOutput(summary.strip(), tuple(parse_perfdata(perf_text)), "\n".join(long_lines).strip("\n"))


def _number(text: str) -> float | None:
    import math

    try:
        number = float(text) if text else None
    except ValueError:
        return None
    # float() reads `inf` and `nan` too: neither is a bound a grapher can use, nor one we can print.
    return number if number is not None and math.isfinite(number) else None


def parse_perfdata(text: str) -> list[Perfdata]:
    """Every well-formed datum in a perfdata string, in order."""
    data: list[Perfdata] = []
    position = 0
    while position < len(text):
        match = _DATUM.match(text, position)
        if not match:
            gap = _SPACE.search(text, position + 1)
            if gap is None:
                break
            position = gap.start()
            continue
        position = match.end()
        label, raw, uom, rest = match.group(1), match.group(2), match.group(3), match.group(4)
        if label.startswith("'"):
            label = label[1:-1].replace("''", "'")
        label = label.replace("|", "/")  # as the renderer writes it: a '|' in our own output would start perfdata
        try:
            value = None if raw == "U" else float(raw)
        except ValueError:
            continue
        if not is_valid_unit(uom):
            continue  # `=` or a quote in it: not perfdata we could write back as it came
        if value is None:
            uom = ""  # `U` is no quantity, and we write it without a unit
        fields = (rest[1:].split(";") if rest else []) + ["", "", "", ""]
        warning, critical = fields[0] or None, fields[1] or None
        data.append(Perfdata(label, value, uom, warning, critical, _number(fields[2]), _number(fields[3])))
    return data
