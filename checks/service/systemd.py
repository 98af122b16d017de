"""check-service's systemd units: `systemctl show` output parsed, and each unit's state judged."""

from __future__ import annotations

import os
import shutil
import subprocess

from cronchecks.core.errors import CheckError, DeadlinePassed
from cronchecks.core.result import Perfdata, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range
from cronchecks.service.findings import Finding, perf_label
from cronchecks.support.process import run_command

# What `systemctl show` is asked for: key=value output is stable across systemd
# versions, unlike the table of `systemctl status`/`list-units` (whose parsing broke
# check_systemd more than once), and it needs no D-Bus library.
SYSTEMD_PROPERTIES = ("ActiveState", "SubState", "LoadState", "NRestarts", "ActiveEnterTimestamp", "MainPID")

# Six short properties a unit: a megabyte is thousands of units, and a judgement from a cut
# list would be wrong, so more than that is refused rather than kept head-and-tail.
SHOW_BYTES = 1 << 20

_ACTIVE_STATES = {
    "active": Status.OK,
    "reloading": Status.WARNING,
    "activating": Status.WARNING,
    "deactivating": Status.WARNING,
    "inactive": Status.CRITICAL,
    "failed": Status.CRITICAL,
    "maintenance": Status.WARNING,
}


def parse_systemctl_show(text: str) -> list[dict[str, str]]:
    """The blocks of `systemctl show` output (one per unit, blank-line separated) as dicts.

    A value keeps everything after the first `=` (timestamps and command lines hold more).
    """
    blocks: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if not line.strip():
            current = None
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if current is None:
            current = {}
            blocks.append(current)
        current[key] = value
    return blocks


def judge_unit(unit: str, properties: dict[str, str], restarts_warning: int | None, several: bool) -> Finding:
    """A unit's state from its `systemctl show` properties."""
    load = properties.get("LoadState", "")
    active = properties.get("ActiveState", "")
    sub = properties.get("SubState", "")
    restarts = _int_or_none(properties.get("NRestarts"))
    perfdata: list[Perfdata] = []
    if restarts is not None:
        perfdata.append(Perfdata(perf_label("restarts", unit, several), restarts, "c",
                                 warning=Range(0, float(restarts_warning)) if restarts_warning is not None else None,
                                 minimum=0))
    details = []
    since = properties.get("ActiveEnterTimestamp", "")
    pid = _int_or_none(properties.get("MainPID"))
    if since or pid:
        facts = [f"{active} since {since}" if since and active == "active" else ""]
        facts.append(f"main PID {pid}" if pid else "")
        facts.append(f"{restarts} restart{'s' if restarts != 1 else ''}" if restarts is not None else "")
        details.append(f"{unit}: " + ", ".join(fact for fact in facts if fact))
    if load == "not-found":
        return Finding(Status.CRITICAL, f"{unit} not found (no such unit)", tuple(perfdata), tuple(details))
    if load == "masked":
        return Finding(Status.CRITICAL, f"{unit} is masked", tuple(perfdata), tuple(details))
    if load and load != "loaded":
        return Finding(Status.CRITICAL, f"{unit} did not load ({load})", tuple(perfdata), tuple(details))
    if active not in _ACTIVE_STATES:
        raise CheckError(f"systemctl reported no known ActiveState for {unit} ({active or 'none'})")
    status = _ACTIVE_STATES[active]
    text = f"{unit} {active}" + (f" ({sub})" if sub and sub != active else "")
    if restarts:
        text += f", {restarts} restart{'s' if restarts != 1 else ''}"
    if restarts_warning is not None and restarts is not None and restarts > restarts_warning:
        status = worst([status, Status.WARNING])
        text += f" (warning > {restarts_warning}: crash loop?)"
    return Finding(status, text, tuple(perfdata), tuple(details))


def _int_or_none(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


def systemd_findings(units: tuple[str, ...], restarts_warning: int | None, runtime: Runtime) -> list[Finding]:
    """One finding per unit, from one `systemctl show` call for all of them."""
    systemctl = shutil.which("systemctl", path=runtime.env.get("PATH", os.defpath))
    if systemctl is None:
        raise CheckError("systemctl not found (no systemd on this machine)")
    argv = [systemctl, "show", "--property=" + ",".join(SYSTEMD_PROPERTIES), "--", *units]
    runtime.log(2, "running: " + " ".join(argv))
    done = run_command(argv, runtime.remaining(), passthrough=False, env={**runtime.env, "LC_ALL": "C"},
                       stdin=subprocess.DEVNULL, head_bytes=SHOW_BYTES, tail_bytes=0, grace=0.5)
    if done.start_error:
        raise CheckError(f"cannot run systemctl: {done.start_error}")
    if done.timed_out:
        raise DeadlinePassed("systemctl did not answer in time")
    if done.exit_code != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or f"exit {done.exit_code}").splitlines()[0]
        raise CheckError(f"systemctl failed: {reason}")
    if done.elided:
        raise CheckError(f"systemctl show printed more than {SHOW_BYTES >> 20} MiB: ask for fewer units at once")
    blocks = parse_systemctl_show(done.stdout)
    if len(blocks) != len(units):
        raise CheckError(f"systemctl show gave {len(blocks)} blocks of properties for {len(units)} units")
    several = len(units) > 1
    return [judge_unit(unit, block, restarts_warning, several) for unit, block in zip(units, blocks, strict=True)]
