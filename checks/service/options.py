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
    probe: TcpProbe = NO_PROBE  # what each --port is sent, expected to say, and judged on
    windows_services: tuple[str, ...] = ()
    warning: Range | None = None
    critical: Range | None = None


def has_process_selection(options: ServiceOptions) -> bool:
    return bool(options.processes or options.cmdline or options.user)


def has_resource_limits(options: ServiceOptions) -> bool:
    return any(limit is not None for limit in (options.memory_warning, options.memory_critical,
                                               options.cpu_warning, options.cpu_critical))


def validate(options: ServiceOptions) -> None:
    """Reject combinations that cannot mean anything, before looking at the machine."""
    if not (options.systemd or has_process_selection(options) or options.pidfiles or options.ports
            or options.windows_services):
        raise UsageError("nothing to check: give --systemd, --process, --cmdline, --user, --pidfile, --port "
                         "or --windows-service")
    if (options.warning or options.critical) and not has_process_selection(options):
        raise UsageError("-w/-c are ranges on the number of processes: give --process, --cmdline or --user")
    if options.restarts_warning is not None and not options.systemd:
        raise UsageError("--restarts-warning goes with --systemd")
    if options.restarts_warning is not None and options.restarts_warning < 0:
        raise UsageError("--restarts-warning cannot be negative")
    limits = (options.memory_warning, options.memory_critical, options.cpu_warning, options.cpu_critical)
    if any(limit is not None for limit in limits) and not (has_process_selection(options) or options.pidfiles):
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
    validate_probe(options.probe, options.ports)
