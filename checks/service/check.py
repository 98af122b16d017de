"""check-service: is it running? systemd units, processes, pidfiles, TCP ports, Windows services."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, format_size, judge

# What `systemctl show` is asked for: key=value output is stable across systemd
# versions, unlike the table of `systemctl status`/`list-units` (whose parsing broke
# check_systemd more than once), and it needs no D-Bus library.
SYSTEMD_PROPERTIES = ("ActiveState", "SubState", "LoadState", "NRestarts", "ActiveEnterTimestamp", "MainPID")

_ACTIVE_STATES = {
    "active": Status.OK,
    "reloading": Status.WARNING,
    "activating": Status.WARNING,
    "deactivating": Status.WARNING,
    "inactive": Status.CRITICAL,
    "failed": Status.CRITICAL,
    "maintenance": Status.WARNING,
}

# check_procs with no thresholds is always OK: a missing daemon must not be.
AT_LEAST_ONE = Range(start=1.0, text="1:")

_WINDOWS_STATES = {
    "running": Status.OK,
    "start_pending": Status.WARNING,
    "continue_pending": Status.WARNING,
    "pause_pending": Status.WARNING,
    "stop_pending": Status.CRITICAL,
    "paused": Status.CRITICAL,
    "stopped": Status.CRITICAL,
}


@dataclass(frozen=True, kw_only=True)
class ServiceOptions:
    """What must be running; -w/-c are ranges on the number of matching processes."""

    systemd: tuple[str, ...] = ()
    restarts_warning: int | None = None
    processes: tuple[str, ...] = ()
    cmdline: str | None = None
    user: str | None = None
    pidfiles: tuple[str, ...] = ()
    memory_warning: float | None = None
    memory_critical: float | None = None
    cpu_warning: float | None = None
    cpu_critical: float | None = None
    cpu_interval: float = 0.5
    ports: tuple[str, ...] = ()
    windows_services: tuple[str, ...] = ()
    warning: Range | None = None
    critical: Range | None = None


class Finding(NamedTuple):
    """What one source said: its state, a phrase for the summary, perfdata, detail lines."""

    status: Status
    text: str
    perfdata: tuple[Perfdata, ...] = ()
    details: tuple[str, ...] = ()


class Endpoint(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _has_process_selection(options: ServiceOptions) -> bool:
    return bool(options.processes or options.cmdline or options.user)


def validate(options: ServiceOptions) -> None:
    """Reject combinations that cannot mean anything, before looking at the machine."""
    if not (options.systemd or _has_process_selection(options) or options.pidfiles or options.ports
            or options.windows_services):
        raise UsageError("nothing to check: give --systemd, --process, --cmdline, --user, --pidfile, --port "
                         "or --windows-service")
    if (options.warning or options.critical) and not _has_process_selection(options):
        raise UsageError("-w/-c are ranges on the number of processes: give --process, --cmdline or --user")
    if options.restarts_warning is not None and not options.systemd:
        raise UsageError("--restarts-warning goes with --systemd")
    if options.restarts_warning is not None and options.restarts_warning < 0:
        raise UsageError("--restarts-warning cannot be negative")
    limits = (options.memory_warning, options.memory_critical, options.cpu_warning, options.cpu_critical)
    if any(limit is not None for limit in limits) and not (_has_process_selection(options) or options.pidfiles):
        raise UsageError("--memory-*/--cpu-* limits apply to processes: give --process, --cmdline, --user or --pidfile")
    if any(limit is not None and limit < 0 for limit in limits):
        raise UsageError("memory and CPU limits cannot be negative")
    if options.cpu_interval <= 0:
        raise UsageError("--cpu-interval must be above zero")
    for name in options.processes:
        if not name.strip():
            raise UsageError("--process needs a name")
    for port in options.ports:
        parse_endpoint(port)


def check_service(options: ServiceOptions, runtime: Runtime) -> Result:
    """Look at every source asked for; the worst state wins and the summary names each failure."""
    validate(options)
    findings: list[Finding] = []
    if options.systemd:
        findings.extend(_guard(lambda: _systemd_findings(options, runtime), f"systemd {', '.join(options.systemd)}"))
    processes: list[Any] = []
    if _has_process_selection(options):
        findings.extend(_guard(lambda: _process_findings(options, runtime, processes), "processes"))
    for pidfile in options.pidfiles:
        findings.extend(_guard(lambda: [_pidfile_finding(pidfile, options, processes)], f"pidfile {pidfile}"))
    if processes and _has_resource_limits(options):
        findings.extend(_guard(lambda: _resource_findings(options, runtime, processes), "process resources"))
    for port in options.ports:
        findings.append(_port_finding(parse_endpoint(port), runtime, several=len(options.ports) > 1))
    for name in options.windows_services:
        findings.append(_guard(lambda: [_windows_service_finding(name)], f"Windows service {name}")[0])
    return combine(findings)


def _guard(acquire, what: str) -> list[Finding]:
    # One source that cannot be read must not hide what the others found: it becomes
    # an UNKNOWN finding of its own, and the worst state still wins. Usage errors stop.
    try:
        return list(acquire())
    except UsageError:
        raise
    except CheckError as error:
        return [Finding(Status.UNKNOWN, f"{what}: {error.message}")]


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


def _label(base: str, name: str, several: bool) -> str:
    return f"{base}_{name}" if several else base


# --- systemd ----------------------------------------------------------------------------


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
        perfdata.append(Perfdata(_label("restarts", unit, several), restarts, "c",
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


def _systemd_findings(options: ServiceOptions, runtime: Runtime) -> list[Finding]:
    systemctl = shutil.which("systemctl", path=runtime.env.get("PATH", os.defpath))
    if systemctl is None:
        raise CheckError("systemctl not found (no systemd on this machine)")
    argv = [systemctl, "show", "--property=" + ",".join(SYSTEMD_PROPERTIES), "--", *options.systemd]
    runtime.log(2, "running: " + " ".join(argv))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=runtime.remaining(),
                              env={**runtime.env, "LC_ALL": "C"}, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CheckError("systemctl did not answer in time") from None
    except OSError as error:
        raise CheckError(f"cannot run systemctl: {error.strerror or error}") from None
    if done.returncode != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[0]
        raise CheckError(f"systemctl failed: {reason}")
    blocks = parse_systemctl_show(done.stdout)
    if len(blocks) != len(options.systemd):
        raise CheckError(f"systemctl show gave {len(blocks)} blocks of properties for {len(options.systemd)} units")
    several = len(options.systemd) > 1
    return [judge_unit(unit, block, options.restarts_warning, several) for unit, block in zip(options.systemd, blocks)]


# --- processes ----------------------------------------------------------------------


def _own_lineage() -> set[int]:
    """This process and its ancestors (the `sh -c` of cron or NRPE, a `cronchecks run`).

    Excluded by PID, not by name: `--cmdline 'backup'` must not count the shell that
    runs `check-service --cmdline backup`, and a real `backup` must still count.
    """
    import psutil

    me = psutil.Process()
    try:
        return {me.pid, *(parent.pid for parent in me.parents())}
    except psutil.Error:
        return {me.pid}


def _resolve_user(user: str) -> tuple[int | None, str]:
    """The user's effective UID on POSIX (names or numbers), or the name on Windows."""
    if os.name == "nt":
        return None, user
    if user.isdigit():
        return int(user), user
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid, user
    except KeyError:
        raise UsageError(f"invalid --user: no such user {user!r}") from None


def _name_matches(wanted: str, name: str) -> bool:
    if name == wanted:
        return True
    if os.name == "nt":
        name, wanted = name.lower(), wanted.lower()
        return name == wanted or name == wanted + ".exe"
    return False


def _user_matches(info: dict, uid: int | None, user: str) -> bool:
    if uid is not None:
        uids = info.get("uids")
        return uids is not None and uids.effective == uid
    owner = (info.get("username") or "").lower()
    return owner == user.lower() or owner.rpartition("\\")[2] == user.lower()


def _describe_selection(name: str | None, options: ServiceOptions, count: int) -> str:
    parts = ["no process" if count == 0 else "1 process" if count == 1 else f"{count} processes"]
    if name:
        parts.append(f"named {name}")
    if options.cmdline:
        parts.append(f"matching '{options.cmdline}'")
    if options.user:
        parts.append(f"of user {options.user}")
    return " ".join(parts)


def _process_findings(options: ServiceOptions, runtime: Runtime, inspected: list[Any]) -> list[Finding]:
    import psutil

    pattern = None
    if options.cmdline:
        try:
            pattern = re.compile(options.cmdline)
        except re.error as error:
            raise UsageError(f"invalid --cmdline regex {options.cmdline!r}: {error}") from None
    uid, user = _resolve_user(options.user) if options.user else (None, "")
    attrs = ["name", "status"]
    if pattern is not None:
        attrs.append("cmdline")
    if options.user:
        attrs.append("uids" if uid is not None else "username")
    excluded = _own_lineage()
    names = options.processes or (None,)
    matched: dict[str | None, list[Any]] = {name: [] for name in names}
    for proc in psutil.process_iter(attrs):
        if proc.pid in excluded:
            continue
        info = proc.info
        if info.get("status") == psutil.STATUS_ZOMBIE:
            continue  # a zombie has exited; only its exit status is left
        if options.user and not _user_matches(info, uid, user):
            continue
        if pattern is not None and not pattern.search(" ".join(info.get("cmdline") or ())):
            continue
        for name in names:
            if name is None or _name_matches(name, info.get("name") or ""):
                matched[name].append(proc)
    critical = options.critical if options.critical is not None else AT_LEAST_ONE
    several = len(names) > 1
    findings = []
    for name, procs in matched.items():
        count = len(procs)
        runtime.log(1, f"{_describe_selection(name, options, count)}: PIDs {' '.join(str(p.pid) for p in procs) or '-'}")
        status = judge(count, options.warning, critical)
        text = _describe_selection(name, options, count)
        breached = critical if status is Status.CRITICAL else options.warning if status is Status.WARNING else None
        if breached is not None:
            text += f" ({status.name.lower()} {breached.describe()})"
        label = _label("procs", name or "", several)
        details = tuple(f"PID {p.pid} {p.info.get('name') or ''}".rstrip() for p in procs[:20])
        findings.append(Finding(status, text, (Perfdata(label, count, "", options.warning, critical, 0),), details))
        inspected.extend(procs)
    return findings


def _pidfile_finding(path: str, options: ServiceOptions, inspected: list[Any]) -> Finding:
    import psutil

    try:
        with open(path, "rb") as handle:
            text = handle.read(64).decode("ascii", "replace").strip()
    except FileNotFoundError:
        return Finding(Status.CRITICAL, f"pidfile {path} does not exist")
    except OSError as error:
        raise CheckError(f"cannot read it: {error.strerror or error}") from None
    first = text.split()[0] if text.split() else ""
    if not first.isdigit() or int(first) <= 0:
        return Finding(Status.CRITICAL, f"pidfile {path} holds no PID ({text[:20]!r})")
    pid = int(first)
    try:
        proc = psutil.Process(pid)
        name, status = proc.name(), proc.status()
    except psutil.NoSuchProcess:
        return Finding(Status.CRITICAL, f"pidfile {path}: PID {pid} is not running (stale pidfile)")
    except psutil.AccessDenied:
        return Finding(Status.OK, f"pidfile {path}: PID {pid} running")
    if status == psutil.STATUS_ZOMBIE:
        return Finding(Status.CRITICAL, f"pidfile {path}: PID {pid} ({name}) has exited (zombie)")
    if all(p.pid != pid for p in inspected):
        inspected.append(proc)
    return Finding(Status.OK, f"pidfile {path}: PID {pid} ({name}) running")


def _has_resource_limits(options: ServiceOptions) -> bool:
    return any(limit is not None for limit in (options.memory_warning, options.memory_critical,
                                               options.cpu_warning, options.cpu_critical))


class Usage(NamedTuple):
    pid: int
    name: str
    value: float


def _resource_findings(options: ServiceOptions, runtime: Runtime, processes: list[Any]) -> list[Finding]:
    import psutil

    findings = []
    if options.memory_warning is not None or options.memory_critical is not None:
        usages = []
        for proc in processes:
            try:
                usages.append(Usage(proc.pid, proc.name(), float(proc.memory_info().rss)))
            except psutil.Error:
                continue  # ended since it was counted, or not ours to read
        findings.append(_judge_usage("memory", usages, options.memory_warning, options.memory_critical,
                                     format_size, "rss", "B"))
    if options.cpu_warning is not None or options.cpu_critical is not None:
        alive = []
        for proc in processes:
            try:
                proc.cpu_percent(None)  # starts the measurement interval
                alive.append(proc)
            except psutil.Error:
                continue
        remaining = runtime.remaining()
        time.sleep(options.cpu_interval if remaining is None else min(options.cpu_interval, remaining / 2))
        usages = []
        for proc in alive:
            try:
                usages.append(Usage(proc.pid, proc.name(), proc.cpu_percent(None)))
            except psutil.Error:
                continue
        findings.append(_judge_usage("CPU", usages, options.cpu_warning, options.cpu_critical,
                                     lambda v: f"{v:.0f}%", "cpu", "%"))
    return findings


def _judge_usage(what: str, usages: list[Usage], warning: float | None, critical: float | None,
                 show, label: str, uom: str) -> Finding:
    warn_range = Range(0, warning) if warning is not None else None
    crit_range = Range(0, critical) if critical is not None else None
    judged = sorted(((judge(u.value, warn_range, crit_range), u) for u in usages),
                    key=lambda pair: (-pair[1].value))
    top = max((u.value for u in usages), default=None)
    perf = (Perfdata(label, None if top is None else round(top, 3), uom, warn_range, crit_range, 0),)
    over = [(status, u) for status, u in judged if status is not Status.OK]
    details = tuple(f"{what} of PID {u.pid} ({u.name}): {show(u.value)} ({status.name})" for status, u in over)
    if not usages:
        return Finding(Status.OK, f"{what}: no process left to measure", perf)
    if not over:
        return Finding(Status.OK, f"{what} at most {show(top)} per process", perf)
    status = worst(s for s, _ in over)
    worst_one = next(u for s, u in over if s is status)
    limit = critical if status is Status.CRITICAL else warning
    text = f"{what} of PID {worst_one.pid} ({worst_one.name}) is {show(worst_one.value)} ({status.name.lower()} > {show(limit)})"
    if len(over) > 1:
        text += f", {len(over) - 1} more over the limit"
    return Finding(status, text, perf, details)


# --- TCP ports ----------------------------------------------------------------------


def parse_endpoint(text: str) -> Endpoint:
    """`HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` on 127.0.0.1."""
    raw = text.strip()
    if raw.isdigit():
        host, port_text = "127.0.0.1", raw
    elif raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        if not rest.startswith(":"):
            raise UsageError(f"invalid --port {text!r} (use HOST:PORT, [IPv6]:PORT or PORT)")
        port_text = rest[1:]
    else:
        host, sep, port_text = raw.rpartition(":")
        if not sep or not host or ":" in host:
            raise UsageError(f"invalid --port {text!r} (use HOST:PORT, [IPv6]:PORT or PORT)")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"invalid --port {text!r}: the port must be 1..65535")
    return Endpoint(host, int(port_text))


def _port_finding(endpoint: Endpoint, runtime: Runtime, several: bool) -> Finding:
    import socket

    label = _label("time", str(endpoint), several)
    started = time.perf_counter()
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=runtime.remaining()):
            elapsed = time.perf_counter() - started
    except ConnectionRefusedError:
        return Finding(Status.CRITICAL, f"{endpoint} refused the connection", (Perfdata(label, None, "s"),))
    except socket.gaierror:
        return Finding(Status.CRITICAL, f"{endpoint}: host not found", (Perfdata(label, None, "s"),))
    except TimeoutError:
        return Finding(Status.CRITICAL, f"{endpoint} did not accept the connection in time", (Perfdata(label, None, "s"),))
    except OSError as error:
        return Finding(Status.CRITICAL, f"{endpoint}: {error.strerror or error}", (Perfdata(label, None, "s"),))
    runtime.log(1, f"connected to {endpoint} in {elapsed:.6f} s")
    return Finding(Status.OK, f"{endpoint} accepts connections ({elapsed * 1000:.1f} ms)",
                   (Perfdata(label, round(elapsed, 6), "s", minimum=0),))


# --- Windows services -----------------------------------------------------------------


def _windows_service_finding(name: str) -> Finding:
    if sys.platform != "win32":
        raise CheckError("Windows services exist only on Windows")
    import psutil

    try:
        state = psutil.win_service_get(name).status()
    except psutil.NoSuchProcess:
        return Finding(Status.CRITICAL, f"Windows service {name} not found")
    except psutil.Error as error:
        raise CheckError(f"cannot query it: {error}") from None
    status = _WINDOWS_STATES.get(state, Status.UNKNOWN)
    return Finding(status, f"Windows service {name} {state.replace('_', ' ')}")

