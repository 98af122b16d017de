"""check-service: is it running? systemd units, processes, pidfiles, TCP ports, Windows services."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from cronchecks.core.errors import CheckError, DeadlinePassed, UsageError
from cronchecks.core.result import Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.service.findings import Finding, combine
from cronchecks.service.options import ServiceOptions, has_process_selection, has_resource_limits, validate
from cronchecks.service.ports import parse_endpoint, port_finding
from cronchecks.service.processes import process_findings, resource_findings


def check_service(options: ServiceOptions, runtime: Runtime) -> Result:
    """Look at every source asked for; the worst state wins and the summary names each failure."""
    validate(options)
    findings: list[Finding] = []
    # Each source's module is imported by its branch: a --process check loads no timer, pidfile or Windows code.
    if options.systemd:
        from cronchecks.service.systemd import systemd_findings

        findings.extend(_guard(lambda: systemd_findings(options.systemd, options.restarts_warning, runtime,
                                                        options.expect_state, options.user_units),
                               f"systemd {', '.join(options.systemd)}"))
    if options.timers:
        from cronchecks.service.timers import timer_findings

        findings.extend(_guard(lambda: timer_findings(options.timers, options.warning, options.critical, runtime,
                                                      options.user_units),
                               f"timer {', '.join(options.timers)}"))
    if options.failed_units:
        from cronchecks.service.failed import failed_units_finding

        findings.extend(_guard(lambda: [failed_units_finding(options.unit_excludes, runtime, options.user_units)],
                               "failed units"))
    processes: list[Any] = []  # every process found, for the memory and CPU limits
    if has_process_selection(options):
        findings.extend(_guard(lambda: process_findings(options, runtime, processes), "processes"))
    for pidfile in options.pidfiles:
        from cronchecks.service.pidfile import pidfile_finding

        findings.extend(_guard(partial(_listed, pidfile_finding, pidfile, processes), f"pidfile {pidfile}"))
    if processes and has_resource_limits(options):
        findings.extend(_guard(lambda: resource_findings(options, runtime, processes), "process resources"))
    findings.extend(port_finding(parse_endpoint(port), runtime, several=len(options.ports) > 1, probe=options.probe)
                    for port in options.ports)
    for name in options.windows_services:
        from cronchecks.service.windows import windows_service_finding

        findings.extend(_guard(partial(_listed, windows_service_finding, name), f"Windows service {name}"))
    return combine(findings)


def _listed(acquire: Callable[..., Finding], *args: Any) -> list[Finding]:
    # For the guard, with the loop's value bound now (a closure would read it late).
    return [acquire(*args)]


def _guard(acquire: Callable[[], Iterable[Finding]], what: str) -> list[Finding]:
    # One source that cannot be read must not hide what the others found: it becomes
    # an UNKNOWN finding of its own, and the worst state still wins. Usage errors stop,
    # and so does the deadline: the whole check then takes the timeout state.
    try:
        return list(acquire())
    except (UsageError, DeadlinePassed):
        raise
    except CheckError as error:
        return [Finding(Status.UNKNOWN, f"{what}: {error.message}")]
