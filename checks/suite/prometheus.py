"""Suite results as a node_exporter textfile-collector file, written atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cronchecks.core.units import to_base

# The `unit` label of a base unit (core/units.to_base), in Prometheus' words (seconds, bytes); a unit
# cronchecks cannot scale is the label as the plugin wrote it (`req/s`), never dropped.
_UNIT_LABELS = {"s": "seconds", "B": "bytes", "B/s": "bytes_per_second", "%": "percent", "c": "total", "": ""}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def render(runs: Iterable) -> str:
    """The exposition text: one HELP/TYPE per metric, no timestamps, no duplicate series.

    node_exporter drops a whole file for a repeated series or a repeated HELP/TYPE
    block, so series are keyed and each metric's lines are grouped under one header.
    """
    status: dict[tuple, str] = {}
    duration: dict[tuple, str] = {}
    perf: dict[tuple, str] = {}
    for run in runs:
        check = _escape(run.entry.name)
        status[(check,)] = str(int(run.result.status))
        duration[(check,)] = _number(round(run.duration, 6))
        for datum in run.result.perfdata:
            if datum.value is None:
                continue
            value, base = to_base(datum.value, datum.uom)
            unit = _escape(_UNIT_LABELS.get(base, base))
            perf.setdefault((check, _escape(datum.label), unit), _number(value))
    lines = [
        "# HELP cronchecks_check_status State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        "# TYPE cronchecks_check_status gauge",
        *(f'cronchecks_check_status{{check="{c}"}} {v}' for (c,), v in status.items()),
        "# HELP cronchecks_check_duration_seconds How long the check took.",
        "# TYPE cronchecks_check_duration_seconds gauge",
        *(f'cronchecks_check_duration_seconds{{check="{c}"}} {v}' for (c,), v in duration.items()),
    ]
    if perf:
        lines += [
            "# HELP cronchecks_perfdata A check's performance data, in base units (seconds, bytes).",
            "# TYPE cronchecks_perfdata gauge",
            *(f'cronchecks_perfdata{{check="{c}",label="{label}",unit="{unit}"}} {v}'
              for (c, label, unit), v in perf.items()),
        ]
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> None:
    """Write beside the target, then rename: node_exporter never reads a half-written file."""
    from cronchecks.support.atomicfile import write_atomically

    write_atomically(path, text.encode("utf-8"))
