"""What each source of check-service found, and how several findings make one Result."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from cronchecks.core.result import Perfdata, Result, Status, worst


class Finding(NamedTuple):
    """What one source said: its state, a phrase for the summary, perfdata, detail lines."""

    status: Status
    text: str
    perfdata: tuple[Perfdata, ...] = ()
    details: tuple[str, ...] = ()


def perf_label(base: str, name: str, several: bool) -> str:
    """`base` alone for one source; `base_name` when several would share the label.

    The name keeps letters, digits and `_.:-`; anything else (a space in `gunicorn: worker`, a
    `/` in a path) becomes `_`: readers of perfdata such as Datadog's Nagios integration split a
    label at spaces and read one with `/` as a device.
    """
    if not several:
        return base
    return f"{base}_" + "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_.:-") else "_" for ch in name)


def combine(findings: Iterable[Finding]) -> Result:
    """One Result from several findings: the worst state, failures first in the summary."""
    findings = list(findings)
    status = worst(f.status for f in findings)
    order = {Status.CRITICAL: 0, Status.WARNING: 1, Status.UNKNOWN: 2, Status.OK: 3}
    failed = sorted((f for f in findings if f.status is not Status.OK), key=lambda f: order[f.status])
    if failed:
        summary = "; ".join(f.text for f in failed)
        others = len(findings) - len(failed)
        if others:
            summary += f"; {others} other{'s' if others > 1 else ''} OK"
    else:
        summary = "; ".join(f.text for f in findings)
    details: list[str] = []
    for finding in findings:
        if len(findings) > 1:
            details.append(f"{finding.status.name}: {finding.text}")
        details.extend(finding.details)
    if len(findings) == 1 and status is Status.OK:
        details = list(findings[0].details)
    perfdata = [datum for finding in findings for datum in finding.perfdata]
    return Result(status, summary, perfdata, details)
