"""check-service's processes: selection by name, command line and user, and their memory and CPU use."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, format_duration, format_size, judge
from cronchecks.service.findings import Finding, perf_label
from cronchecks.service.options import ServiceOptions

# check_procs with no thresholds is always OK: a missing daemon must not be.
AT_LEAST_ONE = Range(start=1.0, text="1:")


# Our own wrapper's verbs: a `cronchecks run` or `cronchecks suite` that started the check
# is part of the check's own machinery, as check_procs' parent is part of its.
WRAPPER_VERBS = frozenset({"run", "suite"})

# Interpreter options that take a separate argument (`python -X dev -m cronchecks run`).
_INTERPRETER_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "-Q"})


def _command_stem(arg: str) -> str:
    base = arg.replace("\\", "/").rpartition("/")[2].lower()
    for suffix in (".exe", ".py"):
        base = base.removesuffix(suffix)
    return base


def our_verb(argv: list[str]) -> str | None:
    """The cronchecks verb a command line runs (`run`, `suite`, `service`; `check-service` is
    `service`), or None when it is not one of our commands.

    The forms it takes: the console scripts (`python .../cronchecks run`, argv[0] the
    interpreter of their shebang), `python -m cronchecks run`, the checkout's
    `bin/cronchecks run` and `bin/check-service`, and on Windows `cronchecks.exe run`
    (the pip launcher).
    """
    args = list(argv)
    if args and _command_stem(args[0]).startswith("python"):
        args = args[1:]
        while args and args[0].startswith("-") and args[0] != "-m":
            option = args.pop(0)
            if option == "-c":
                return None  # code on the command line: whatever it says, not our command
            if option in _INTERPRETER_OPTIONS_WITH_VALUE and args:
                args.pop(0)
        if args[:1] == ["-m"]:
            args = args[1:]
    if not args:
        return None
    stem = _command_stem(args[0])
    if stem == "cronchecks":
        return args[1] if len(args) >= 2 else None
    return stem.removeprefix("check-") if stem.startswith("check-") else None


def is_wrapper_command(argv: list[str]) -> bool:
    """Whether a command line runs `cronchecks run` or `cronchecks suite`."""
    return our_verb(argv) in WRAPPER_VERBS


def _verb_of(proc: Any) -> str | None:
    import psutil

    try:
        return our_verb(proc.cmdline())
    except psutil.Error:
        return None  # gone, or not ours to read: then it is not our command either


def _is_wrapper(proc: Any) -> bool:
    return _verb_of(proc) in WRAPPER_VERBS


def _not_counted() -> set[int]:
    """What check_procs leaves out, plus what is ours: PIDs never counted.

    check_procs skips itself and its parent (the shell or daemon worker that ran it), and
    counts everything else: under Nagios it counts the other nagios processes, under cron
    the cron daemon. So do we: this process, its parent, its own children (in
    check-service's own process), and the `cronchecks run`/`suite` processes right above
    (the wrapper that started the check, directly or through its parent). Excluding every
    ancestor instead made a daemon that runs its own check never count itself.

    Excluded by PID, not by name: `--cmdline 'backup'` must not count the shell that
    runs `check-service --cmdline backup`, and a real `backup` must still count.
    """
    import psutil

    me = psutil.Process()
    excluded = {me.pid}
    try:
        # Children are the check's own only in its own process: hosting checks in-process
        # (a suite, the Datadog Agent, a test run), this process's children are not ours.
        if _verb_of(me) == "service":
            excluded.update(child.pid for child in me.children(recursive=True))
        ancestors = me.parents()
    except psutil.Error:
        return excluded
    # In a suite the check runs in-process: the suite is then the check's parent, and the
    # suite's own parent is what check_procs, run by that suite, would count.
    if ancestors and not _is_wrapper(me):
        excluded.add(ancestors.pop(0).pid)
    for ancestor in ancestors:
        if not _is_wrapper(ancestor):
            break
        excluded.add(ancestor.pid)
    return excluded


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
    if options.states:
        parts.append(f"in state {'/'.join(options.states)}")
    if options.ppid is not None:
        parts.append(f"with parent PID {options.ppid}")
    if options.elapsed is not None:
        parts.append(f"running for {_describe_elapsed(options.elapsed)}")
    if options.exclude_cmdlines:
        parts.append("not matching " + " or ".join(f"'{text}'" for text in options.exclude_cmdlines))
    return " ".join(parts)


def _describe_elapsed(window: Range) -> str:
    def show(seconds: float) -> str:
        return "ever" if math.isinf(seconds) else format_duration(seconds)

    low, high = show(window.start), show(window.end)
    if window.inside:
        return f"less than {low} or more than {high}"
    if window.end == math.inf:
        return f"{low} or more"
    if window.start <= 0:
        return f"at most {high}"
    return f"{low} to {high}"


# check_procs' -s letters (ps STAT) and psutil's words, as --state takes them.
PROCESS_STATES = {
    "running": "running", "r": "running",
    "sleeping": "sleeping", "s": "sleeping",
    "disk-sleep": "disk-sleep", "d": "disk-sleep",
    "stopped": "stopped", "t": "stopped",
    "tracing-stop": "tracing-stop",
    "zombie": "zombie", "z": "zombie",
    "idle": "idle", "i": "idle",
    "dead": "dead", "x": "dead",
}


def parse_states(texts: tuple[str, ...]) -> tuple[str, ...]:
    """--state values (repeatable, or comma-separated) as psutil's state words, each once."""
    states: list[str] = []
    for text in texts:
        for word in text.split(","):
            key = word.strip()
            # `T` (stopped) and `t` (tracing stop) differ only by case in ps; every other name is read as given.
            state = "tracing-stop" if key == "t" else PROCESS_STATES.get(key.lower())
            if state is None:
                raise UsageError(f"invalid --state {word.strip()!r} (zombie, stopped, running, sleeping, disk-sleep, "
                                 "idle, tracing-stop, dead; or ps letters Z, T, R, S, D, I)")
            if state not in states:
                states.append(state)
    return tuple(states)


def process_findings(options: ServiceOptions, runtime: Runtime, inspected: list[Any]) -> list[Finding]:
    """One count per --process name (or one for the whole selection), judged by -w/-c; the
    matching processes are added to `inspected` for the resource limits."""
    import psutil

    from cronchecks.support.patterns import compile_pattern

    pattern = compile_pattern("--cmdline", options.cmdline) if options.cmdline else None
    excludes = [compile_pattern("--exclude-cmdline", text) for text in options.exclude_cmdlines]
    uid, user = _resolve_user(options.user) if options.user else (None, "")
    attrs = ["name", "status"]
    if pattern is not None or excludes:
        attrs.append("cmdline")
    if options.user:
        attrs.append("uids" if uid is not None else "username")
    if options.ppid is not None:
        attrs.append("ppid")
    if options.elapsed is not None:
        attrs.append("create_time")
    states = set(options.states)
    excluded = _not_counted()
    names = options.processes or (None,)
    matched: dict[str | None, list[Any]] = {name: [] for name in names}
    now = time.time()
    for proc in psutil.process_iter(attrs):
        if proc.pid in excluded:
            continue
        info = proc.info
        if states:
            if info.get("status") not in states:
                continue
        elif info.get("status") == psutil.STATUS_ZOMBIE:
            continue  # a zombie has exited; only its exit status is left (counted only with --state zombie)
        if options.ppid is not None and info.get("ppid") != options.ppid:
            continue
        if options.user and not _user_matches(info, uid, user):
            continue
        if options.elapsed is not None:
            started = info.get("create_time")
            if started is None or options.elapsed.alerts(max(0.0, now - started)):
                continue
        if pattern is not None or excludes:
            command_line = " ".join(info.get("cmdline") or ())
            if pattern is not None and not pattern.search(command_line):
                continue
            if any(exclude.search(command_line) for exclude in excludes):
                continue
        for name in names:
            if name is None or _name_matches(name, info.get("name") or ""):
                matched[name].append(proc)
    # A state is counted to alert on it (zombies): there -w/-c alone decide, with no floor of one.
    critical = options.critical if options.critical is not None or options.states else AT_LEAST_ONE
    several = len(names) > 1
    findings = []
    for name, procs in matched.items():
        count = len(procs)
        text = _describe_selection(name, options, count)
        runtime.log(1, f"{text}: PIDs {' '.join(str(p.pid) for p in procs) or '-'}")
        status = judge(count, options.warning, critical)
        breached = critical if status is Status.CRITICAL else options.warning if status is Status.WARNING else None
        if breached is not None:
            text += f" ({status.name.lower()} {breached.describe()})"
        label = perf_label("procs", name or "", several)
        details = tuple(f"PID {p.pid} {p.info.get('name') or ''}".rstrip() for p in procs[:20])
        findings.append(Finding(status, text, (Perfdata(label, count, "", options.warning, critical, 0),), details))
        inspected.extend(procs)
    return findings


class Usage(NamedTuple):
    """What one process used: memory in bytes or CPU in percent of a core."""

    pid: int
    name: str
    value: float


def resource_findings(options: ServiceOptions, runtime: Runtime, processes: list[Any]) -> list[Finding]:
    """Resident and virtual memory now and CPU over --cpu-interval, per process, against their ranges."""
    import psutil

    findings = []
    memories = (("memory", "rss", options.rss_warning, options.rss_critical),
                ("virtual memory", "vsz", options.vsz_warning, options.vsz_critical))
    if any(warning is not None or critical is not None for _, _, warning, critical in memories):
        measured = []
        for proc in processes:
            try:
                measured.append((proc, proc.name(), proc.memory_info()))
            except psutil.Error:
                continue  # ended since it was counted, or not ours to read
        for what, field, warning, critical in memories:
            if warning is not None or critical is not None:
                usages = [Usage(proc.pid, name, float(getattr(info, "vms" if field == "vsz" else "rss")))
                          for proc, name, info in measured]
                findings.append(_judge_usage(what, usages, warning, critical, format_size, field, "B"))
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


def _judge_usage(what: str, usages: list[Usage], warning: Range | None, critical: Range | None,
                 show: Callable[[float], str], label: str, uom: str) -> Finding:
    judged = sorted(((judge(u.value, warning, critical), u) for u in usages), key=lambda pair: (-pair[1].value))
    top = max((u.value for u in usages), default=None)
    perf = (Perfdata(label, None if top is None else round(top, 3), uom, warning, critical, 0),)
    over = [(status, u) for status, u in judged if status is not Status.OK]
    details = tuple(f"{what} of PID {u.pid} ({u.name}): {show(u.value)} ({status.name})" for status, u in over)
    if top is None:
        return Finding(Status.OK, f"{what}: no process left to measure", perf)
    if not over:
        return Finding(Status.OK, f"{what} at most {show(top)} per process", perf)
    status = worst(s for s, _ in over)
    worst_one = next(u for s, u in over if s is status)
    breached = critical if status is Status.CRITICAL else warning
    assert breached is not None
    text = (f"{what} of PID {worst_one.pid} ({worst_one.name}) is {show(worst_one.value)} "
            f"({status.name.lower()} {breached.describe(show)})")
    if len(over) > 1:
        text += f", {len(over) - 1} more outside the range"
    return Finding(status, text, perf, details)
