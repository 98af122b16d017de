"""check-service's processes: selection by name, command line and user, and their memory and CPU use."""

from __future__ import annotations

import os
import re
import time
from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, format_size, judge
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
    return " ".join(parts)


def process_findings(options: ServiceOptions, runtime: Runtime, inspected: list[Any]) -> list[Finding]:
    """One count per --process name (or one for the whole selection), judged by -w/-c; the
    matching processes are added to `inspected` for the resource limits."""
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
    excluded = _not_counted()
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
    """Resident memory now and CPU over --cpu-interval, per process, against the limits."""
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
    text = (f"{what} of PID {worst_one.pid} ({worst_one.name}) is {show(worst_one.value)} "
            f"({status.name.lower()} > {show(limit)})")
    if len(over) > 1:
        text += f", {len(over) - 1} more over the limit"
    return Finding(status, text, perf, details)
