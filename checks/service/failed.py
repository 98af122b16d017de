"""check-service --failed-units: every unit systemd holds as failed, less the ones left out."""

from __future__ import annotations

from typing import NamedTuple

from cronchecks.core.result import Perfdata, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range
from cronchecks.service.findings import Finding
from cronchecks.service.systemd import run_systemctl

# The failed units in systemctl's plain table: no legend, no bullet, names never cut. A unit
# name holds no blank (systemd escapes it as \x20), so the first column is the whole name;
# this form reads the same on every systemd since 2014, which `--output=json` does not.
LIST_FAILED = ["list-units", "--state=failed", "--no-legend", "--plain", "--full", "--all", "--no-pager"]

# Named in the summary up to this many; all of them are in the long output.
SHOWN = 5


class FailedUnit(NamedTuple):
    unit: str
    load: str
    active: str
    sub: str
    description: str


def parse_list_units(text: str) -> list[FailedUnit]:
    """The rows of `systemctl list-units --no-legend --plain`; a leading bullet (older systemd) is skipped."""
    rows = []
    for raw in text.splitlines():
        line = raw.strip()
        if line[:1] in ("●", "*"):
            line = line[1:]
        fields = line.split(None, 4)
        if not fields:
            continue
        unit, load, active, sub, description = [*fields, "", "", "", ""][:5]
        rows.append(FailedUnit(unit, load, active, sub, description.strip()))
    return rows


def failed_units_finding(excludes: tuple[str, ...], runtime: Runtime, user_units: bool) -> Finding:
    """CRITICAL naming every failed unit not matched by an --unit-exclude pattern."""
    from cronchecks.support.patterns import compile_pattern

    patterns = [compile_pattern("--unit-exclude", pattern) for pattern in excludes]
    rows = parse_list_units(run_systemctl(LIST_FAILED, runtime, user_units))
    left_out = [row for row in rows if any(p.search(row.unit) for p in patterns)]
    failed = [row for row in rows if row not in left_out]
    scope = "user units" if user_units else "units"
    perfdata = (Perfdata("failed_units", len(failed), "", critical=Range(0, 0), minimum=0),)
    details = tuple(f"failed: {row.unit} ({row.description})" if row.description else f"failed: {row.unit}"
                    for row in failed)
    details += tuple(f"left out: {row.unit}" for row in left_out)
    excluded = f" ({len(left_out)} left out)" if left_out else ""
    if not failed:
        return Finding(Status.OK, f"no failed {scope}{excluded}", perfdata, details)
    names = ", ".join(row.unit for row in failed[:SHOWN])
    if len(failed) > SHOWN:
        names += f" and {len(failed) - SHOWN} more"
    count = f"{len(failed)} failed {scope if len(failed) > 1 else scope[:-1]}"
    return Finding(Status.CRITICAL, f"{count}: {names}{excluded}", perfdata, details)
