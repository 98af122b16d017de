"""check-service's systemd units: `systemctl show` output parsed, and each unit's state judged."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime

from cronchecks.core.errors import CheckError, DeadlinePassed
from cronchecks.core.result import Perfdata, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range
from cronchecks.service.findings import Finding, perf_label
from cronchecks.support.process import run_command

# What `systemctl show` is asked for: key=value output is stable across systemd
# versions, unlike the table of `systemctl status` (whose parsing broke check_systemd
# more than once), and it needs no D-Bus library. Result and the ExecMain* facts say how
# a oneshot's last run ended; a property a unit type lacks is simply not printed.
SYSTEMD_PROPERTIES = ("ActiveState", "SubState", "LoadState", "NRestarts", "ActiveEnterTimestamp", "MainPID",
                      "Type", "Result", "ExecMainStatus", "ExecMainStartTimestamp", "ExecMainExitTimestamp")

# Six short properties a unit: a megabyte is thousands of units, and a judgement from a cut
# list would be wrong, so more than that is refused rather than kept head-and-tail.
SHOW_BYTES = 1 << 20

# What --expect-state takes: a unit that must run, or one that must have finished well.
EXPECT_STATES = ("active", "inactive")

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


def parse_systemd_timestamp(text: str | None) -> datetime | None:
    """A timestamp as systemctl prints it under TZ=UTC (`Tue 2026-12-01 13:15:05 UTC`); None for
    none (systemd leaves the property out, or prints it empty or `n/a`)."""
    raw = (text or "").strip()
    if not raw or raw == "n/a":
        return None
    parts = raw.split()
    # The weekday is a courtesy; the zone is UTC because the check asks systemctl for it.
    if len(parts) == 4 and parts[3] == "UTC":
        parts = parts[1:3]
    elif len(parts) == 3 and parts[2] == "UTC":
        parts = parts[:2]
    if len(parts) != 2:
        raise CheckError(f"systemctl printed a timestamp this check cannot read: {raw!r}")
    try:
        return datetime.strptime(" ".join(parts), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise CheckError(f"systemctl printed a timestamp this check cannot read: {raw!r}") from None


def load_problem(unit: str, load: str, perfdata: tuple[Perfdata, ...], details: tuple[str, ...]) -> Finding | None:
    """A unit that did not load is CRITICAL whatever else it says."""
    if load == "not-found":
        return Finding(Status.CRITICAL, f"{unit} not found (no such unit)", perfdata, details)
    if load == "masked":
        return Finding(Status.CRITICAL, f"{unit} is masked", perfdata, details)
    if load and load != "loaded":
        return Finding(Status.CRITICAL, f"{unit} did not load ({load})", perfdata, details)
    return None


def judge_unit(unit: str, properties: dict[str, str], restarts_warning: int | None, several: bool,
               expect_state: str = "active") -> Finding:
    """A unit's state from its `systemctl show` properties.

    `expect_state` "inactive" is for oneshot jobs: finished with Result=success is OK,
    running now is OK, and a failed last run is CRITICAL with systemd's Result.
    """
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
    problem = load_problem(unit, load, tuple(perfdata), tuple(details))
    if problem is not None:
        return problem
    if active not in _ACTIVE_STATES:
        raise CheckError(f"systemctl reported no known ActiveState for {unit} ({active or 'none'})")
    text = f"{unit} {active}" + (f" ({sub})" if sub and sub != active else "")
    if expect_state == "inactive":
        status, text = _judge_finished(unit, properties, text, details)
    else:
        status = _ACTIVE_STATES[active]
    if restarts:
        text += f", {restarts} restart{'s' if restarts != 1 else ''}"
    if restarts_warning is not None and restarts is not None and restarts > restarts_warning:
        status = worst([status, Status.WARNING])
        text += f" (warning > {restarts_warning}: crash loop?)"
    return Finding(status, text, tuple(perfdata), tuple(details))


def _judge_finished(unit: str, properties: dict[str, str], text: str, details: list[str]) -> tuple[Status, str]:
    # A oneshot job between runs is inactive; what matters is how its last run ended.
    active = properties.get("ActiveState", "")
    result = properties.get("Result", "") or "success"
    started = properties.get("ExecMainStartTimestamp", "")
    ended = properties.get("ExecMainExitTimestamp", "")
    code = properties.get("ExecMainStatus", "")
    if started:
        details.append(f"{unit}: last run started {started}" + (f", exited {code} at {ended}" if ended else ""))
    if active == "failed" or result != "success":
        exit_code = f", exit status {code}" if code and code != "0" else ""
        return Status.CRITICAL, f"{text}: last run failed (result {result}{exit_code})"
    if active == "inactive":
        return Status.OK, text + (f", last run succeeded at {ended}" if ended else ", not run since boot")
    if active == "activating" or properties.get("Type") == "oneshot":
        return Status.OK, (text + ": running now") if active == "activating" else text
    return Status.CRITICAL, f"{text}, expected inactive"


def _int_or_none(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


def run_systemctl(args: list[str], runtime: Runtime, user_units: bool) -> str:
    """What `systemctl [--user] ARGS` prints, or a CheckError with systemctl's own reason.

    LC_ALL=C and TZ=UTC make its words and timestamps the same on every host. For --user,
    XDG_RUNTIME_DIR is filled in when missing (cron does not set it, and without it
    `systemctl --user` cannot find the user's manager).
    """
    systemctl = shutil.which("systemctl", path=runtime.env.get("PATH", os.defpath))
    if systemctl is None:
        raise CheckError("systemctl not found (no systemd on this machine)")
    env = {**runtime.env, "LC_ALL": "C", "TZ": "UTC"}
    if user_units and not env.get("XDG_RUNTIME_DIR") and hasattr(os, "getuid"):
        env["XDG_RUNTIME_DIR"] = f"/run/user/{os.getuid()}"
    argv = [systemctl, *(["--user"] if user_units else []), *args]
    runtime.log(2, "running: " + " ".join(argv))
    done = run_command(argv, runtime.remaining(), passthrough=False, env=env,
                       stdin=subprocess.DEVNULL, head_bytes=SHOW_BYTES, tail_bytes=0, grace=0.5)
    if done.start_error:
        raise CheckError(f"cannot run systemctl: {done.start_error}")
    if done.timed_out:
        raise DeadlinePassed("systemctl did not answer in time")
    if done.exit_code != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or f"exit {done.exit_code}").splitlines()[0]
        raise CheckError(f"systemctl failed: {reason}")
    if done.elided:
        raise CheckError(f"systemctl printed more than {SHOW_BYTES >> 20} MiB: ask for fewer units at once")
    return done.stdout


def show_units(units: tuple[str, ...], properties: tuple[str, ...], runtime: Runtime,
               user_units: bool) -> list[dict[str, str]]:
    """One `systemctl show` call for all the units: their properties, in the order asked."""
    text = run_systemctl(["show", "--property=" + ",".join(properties), "--", *units], runtime, user_units)
    blocks = parse_systemctl_show(text)
    if len(blocks) != len(units):
        raise CheckError(f"systemctl show gave {len(blocks)} blocks of properties for {len(units)} units")
    return blocks


def systemd_findings(units: tuple[str, ...], restarts_warning: int | None, runtime: Runtime,
                     expect_state: str = "active", user_units: bool = False) -> list[Finding]:
    """One finding per unit, from one `systemctl show` call for all of them."""
    blocks = show_units(units, SYSTEMD_PROPERTIES, runtime, user_units)
    several = len(units) > 1
    return [judge_unit(unit, block, restarts_warning, several, expect_state)
            for unit, block in zip(units, blocks, strict=True)]
