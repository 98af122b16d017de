"""What check-service is asked to look at, and the combinations refused before looking."""

from __future__ import annotations

from dataclasses import dataclass

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import Range
from cronchecks.service.ports import parse_endpoint
from cronchecks.service.tcpoptions import NO_PROBE, TcpProbe, validate_probe


@dataclass(frozen=True, kw_only=True)
class ServiceOptions:
    """What must be running; -w/-c are ranges on the number of matching processes."""

    systemd: tuple[str, ...] = ()
    restarts_warning: int | None = None
    expect_state: str = "active"
    timers: tuple[str, ...] = ()
    failed_units: bool = False
    unit_excludes: tuple[str, ...] = ()
    user_units: bool = False
    processes: tuple[str, ...] = ()
    cmdline: str | None = None
    user: str | None = None
    states: tuple[str, ...] = ()
    ppid: int | None = None
    elapsed: Range | None = None
    exclude_cmdlines: tuple[str, ...] = ()
    pidfiles: tuple[str, ...] = ()
    rss_warning: Range | None = None
    rss_critical: Range | None = None
    vsz_warning: Range | None = None
    vsz_critical: Range | None = None
    cpu_warning: Range | None = None
    cpu_critical: Range | None = None
    cpu_interval: float = 0.5
    ports: tuple[str, ...] = ()
    probe: TcpProbe = NO_PROBE  # what each --port is sent, expected to say, and judged on
    windows_services: tuple[str, ...] = ()
    warning: Range | None = None
    critical: Range | None = None


def has_process_selection(options: ServiceOptions) -> bool:
    return bool(options.processes or options.cmdline or options.user or options.states
                or options.ppid is not None or options.elapsed is not None)


def resource_limits(options: ServiceOptions) -> tuple[Range | None, ...]:
    return (options.rss_warning, options.rss_critical, options.vsz_warning, options.vsz_critical,
            options.cpu_warning, options.cpu_critical)


def has_resource_limits(options: ServiceOptions) -> bool:
    return any(limit is not None for limit in resource_limits(options))


def has_systemd(options: ServiceOptions) -> bool:
    return bool(options.systemd or options.timers or options.failed_units)


def validate(options: ServiceOptions) -> None:
    """Reject combinations that cannot mean anything, before looking at the machine."""
    if not (has_systemd(options) or has_process_selection(options) or options.pidfiles or options.ports
            or options.windows_services):
        raise UsageError("nothing to check: give --systemd, --timer, --failed-units, --process, --cmdline, --user, "
                         "--state, --ppid, --elapsed, --pidfile, --port or --windows-service")
    thresholds = options.warning is not None or options.critical is not None
    if thresholds and options.timers and has_process_selection(options):
        raise UsageError("-w/-c are ranges on the age of the timers' last trigger with --timer, on the number of "
                         "processes otherwise: check timers and processes in two calls")
    if thresholds and not (has_process_selection(options) or options.timers):
        raise UsageError("-w/-c are ranges on the number of processes (give --process, --cmdline, --user, --state, "
                         "--ppid or --elapsed) or on the age of a --timer's last trigger")
    if options.states and not thresholds:
        raise UsageError("--state counts processes in those states: give -w/-c (e.g. -w 0 -c 5 for zombies)")
    if options.exclude_cmdlines and not has_process_selection(options):
        raise UsageError("--exclude-cmdline narrows a selection: give --process, --cmdline, --user, --state, --ppid "
                         "or --elapsed")
    if options.restarts_warning is not None and not options.systemd:
        raise UsageError("--restarts-warning goes with --systemd")
    if options.restarts_warning is not None and options.restarts_warning < 0:
        raise UsageError("--restarts-warning cannot be negative")
    if options.expect_state != "active" and not options.systemd:
        raise UsageError("--expect-state goes with --systemd")
    if options.unit_excludes and not options.failed_units:
        raise UsageError("--unit-exclude goes with --failed-units")
    if options.user_units and not has_systemd(options):
        raise UsageError("--user-units goes with --systemd, --timer or --failed-units")
    if has_resource_limits(options) and not (has_process_selection(options) or options.pidfiles):
        raise UsageError("--rss-*/--vsz-*/--cpu-* ranges apply to processes: give --process, --cmdline, --user, "
                         "--state, --ppid, --elapsed or --pidfile")
    if options.cpu_interval <= 0:
        raise UsageError("--cpu-interval must be above zero")
    for name in options.processes:
        if not name.strip():
            raise UsageError("--process needs a name")
    for port in options.ports:
        parse_endpoint(port)
    validate_probe(options.probe, options.ports)
