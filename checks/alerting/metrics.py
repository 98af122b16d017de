"""The Prometheus metrics of checks' runs: one model for the textfile collector and the Pushgateway."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata
from cronchecks.core.units import to_base

# The `unit` label of a base unit (core/units.to_base), in Prometheus' words (seconds, bytes); a unit
# cronchecks cannot scale is the label as the plugin wrote it (`req/s`), never dropped.
_UNIT_LABELS = {"s": "seconds", "B": "bytes", "B/s": "bytes_per_second", "%": "percent", "c": "total", "": ""}
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Labels cronchecks sets itself: a user label of the same name would make two series one.
OWN_LABELS = ("check", "label", "unit")

HELP = {
    "cronchecks_check_status": "State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    "cronchecks_check_duration_seconds": "How long the check took.",
    "cronchecks_check_last_run_timestamp_seconds": "When the check last ran (Unix time).",
    "cronchecks_check_last_success_timestamp_seconds": "When the check was last OK (Unix time), kept across runs.",
    "cronchecks_check_exit_code": "The exit code of a plain job (a command that does not speak the plugin contract).",
    "cronchecks_perfdata": "A check's performance data, in base units (seconds, bytes).",
}


class CheckMetrics(NamedTuple):
    """What one run of one check says to Prometheus."""

    check: str
    status: int
    duration: float
    last_run: float
    last_success: float | None  # None: never OK within the kept history
    exit_code: int | None  # plain jobs only: a plugin's exit code is its status
    perfdata: Sequence[Perfdata]


def parse_labels(option: str, pairs: Iterable[str], reserved: Sequence[str] = OWN_LABELS) -> dict[str, str]:
    """`K=V` pairs as Prometheus labels; a name Prometheus refuses, or one cronchecks sets, is a UsageError."""
    labels: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not _LABEL_NAME.fullmatch(name) or name.startswith("__"):
            raise UsageError(f"invalid {option} {pair[:60]!r} (NAME=VALUE, NAME of letters, digits and _, "
                             "not starting with a digit or __)")
        if name in reserved:
            raise UsageError(f"invalid {option} {name}=...: cronchecks sets the label {name} itself")
        if not value:
            raise UsageError(f"invalid {option} {pair[:60]!r}: the value is empty (Prometheus drops empty labels)")
        labels[name] = value
    return labels


def number(value: float) -> str:
    """A sample value as the exposition format writes it (`+Inf`, `NaN`, integers without `.0`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value == int(value) and abs(value) < 2 ** 53 else repr(float(value))


def families(runs: Iterable[CheckMetrics], labels: Mapping[str, str] | None = None) -> list[tuple[str, list]]:
    """(metric name, [(labels, value)]) for every metric, each series once, in a stable order.

    node_exporter drops a whole file for a repeated series, and the Pushgateway refuses a
    push with one: series are keyed, and the first value of a repeated perfdata label wins.
    """
    extra = dict(labels or {})
    found: dict[str, dict[tuple, tuple[dict[str, str], float]]] = {name: {} for name in HELP}

    def put(name: str, series: dict[str, str], value: float) -> None:
        found[name].setdefault(tuple(sorted(series.items())), (series, float(value)))

    for run in runs:
        own = {"check": run.check, **extra}
        put("cronchecks_check_status", own, run.status)
        put("cronchecks_check_duration_seconds", own, round(run.duration, 6))
        put("cronchecks_check_last_run_timestamp_seconds", own, round(run.last_run, 3))
        if run.last_success is not None:
            put("cronchecks_check_last_success_timestamp_seconds", own, round(run.last_success, 3))
        if run.exit_code is not None:
            put("cronchecks_check_exit_code", own, run.exit_code)
        for datum in run.perfdata:
            if datum.value is None:
                continue
            value, base = to_base(datum.value, datum.uom)
            put("cronchecks_perfdata", {**own, "label": datum.label, "unit": _UNIT_LABELS.get(base, base)}, value)
    return [(name, list(series.values())) for name, series in found.items() if series]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(runs: Iterable[CheckMetrics], labels: Mapping[str, str] | None = None) -> str:
    """The text exposition format: one HELP/TYPE per metric, its series grouped under it, no timestamps."""
    lines: list[str] = []
    for name, series in families(runs, labels):
        lines += [f"# HELP {name} {HELP[name]}", f"# TYPE {name} gauge"]
        for labelled, value in series:
            inside = ",".join(f'{key}="{_escape(text)}"' for key, text in labelled.items())
            lines.append(f"{name}{{{inside}}} {number(value)}")
    return "\n".join(lines) + "\n"


def write_textfile(path: str | Path, text: str) -> None:
    """Write beside the target, then rename: node_exporter never reads a half-written file."""
    from cronchecks.support.atomicfile import write_atomically

    write_atomically(path, text.encode("utf-8"))


def textfile_refusal(path: str | Path, error: OSError) -> str:
    """Why a textfile could not be written, with what fixes the usual cause (the collector folder's owner)."""
    reason = error.strerror or str(error)
    text = f"--prometheus {path}: cannot write it: {reason}"
    if isinstance(error, PermissionError):
        folder = Path(path).parent
        text += f" (let this user write in {folder}: `setfacl -m u:{_user()}:rwx {folder}`)"
    return text


def _user() -> str:
    """The user this process runs as, for the fix a refusal names."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no name to be had (no pwd entry, no USER): the shell's variable says it
        return "$USER"


def registry(runs: Iterable[CheckMetrics], labels: Mapping[str, str] | None = None) -> Any:
    """The same metrics in a prometheus_client CollectorRegistry, for its push functions (the prometheus extra)."""
    from prometheus_client.core import CollectorRegistry, GaugeMetricFamily

    found = families(runs, labels)

    class Snapshot:
        """A collector that yields this run's metrics as they are: no state of its own."""

        def collect(self) -> Iterable[Any]:
            for name, series in found:
                names = sorted({key for labelled, _ in series for key in labelled})
                family = GaugeMetricFamily(name, HELP[name], labels=names)
                for labelled, value in series:
                    family.add_metric([labelled.get(key, "") for key in names], value)
                yield family

    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(Snapshot())
    return snapshot
