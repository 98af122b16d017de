"""Command line of check-service: options in, ServiceOptions out."""

from typing import Annotated, Optional

import typer

from cronchecks.cli.standard import check_command
from cronchecks.core.values import option_value
from cronchecks.service.options import ServiceOptions
from cronchecks.core.thresholds import parse_duration, parse_percent, parse_size

SYSTEMD = "systemd units"
PROCESSES = "Processes (-w/-c: ranges on the count; default -c 1:, at least one)"
RESOURCES = "Limits per process (each matching one and the --pidfile's)"
OTHER = "Ports and Windows services"



@check_command("service")
def service(
    systemd: Annotated[Optional[list[str]], typer.Option(
        "--systemd", metavar="UNIT",
        help="systemd unit that must be active (repeatable): active OK, activating/reloading WARNING, "
             "failed/inactive/not found CRITICAL. Read with 'systemctl show'.",
        rich_help_panel=SYSTEMD)] = None,
    restarts_warning: Annotated[Optional[int], typer.Option(
        "--restarts-warning", metavar="N",
        help="WARNING when a unit's NRestarts is above N (a crash loop that systemd keeps restarting).",
        rich_help_panel=SYSTEMD)] = None,
    process: Annotated[Optional[list[str]], typer.Option(
        "--process", "-p", metavar="NAME",
        help="Process name, exactly as ps -C and check_procs -C match it (repeatable: each name counted on its own).",
        rich_help_panel=PROCESSES)] = None,
    cmdline: Annotated[Optional[str], typer.Option(
        "--cmdline", metavar="REGEX", help="Regex searched in the full command line ('gunicorn .*myapp').",
        rich_help_panel=PROCESSES)] = None,
    user: Annotated[Optional[str], typer.Option(
        "--user", "-u", metavar="USER", help="Only processes running as this user (name or UID).",
        rich_help_panel=PROCESSES)] = None,
    pidfile: Annotated[Optional[list[str]], typer.Option(
        "--pidfile", metavar="PATH", help="The process whose PID is in this file must be running (repeatable).",
        rich_help_panel=PROCESSES)] = None,
    memory_warning: Annotated[Optional[str], typer.Option(
        "--memory-warning", metavar="SIZE", help="WARNING when a process's resident memory is above SIZE (512M, 2GiB).",
        rich_help_panel=RESOURCES)] = None,
    memory_critical: Annotated[Optional[str], typer.Option(
        "--memory-critical", metavar="SIZE", help="CRITICAL when a process's resident memory is above SIZE.",
        rich_help_panel=RESOURCES)] = None,
    cpu_warning: Annotated[Optional[str], typer.Option(
        "--cpu-warning", metavar="PERCENT",
        help="WARNING when a process uses more CPU than this, measured over --cpu-interval (100 = one full core).",
        rich_help_panel=RESOURCES)] = None,
    cpu_critical: Annotated[Optional[str], typer.Option(
        "--cpu-critical", metavar="PERCENT", help="CRITICAL when a process uses more CPU than this.",
        rich_help_panel=RESOURCES)] = None,
    cpu_interval: Annotated[str, typer.Option(
        "--cpu-interval", metavar="DURATION",
        help="How long CPU use is measured for (default 500ms; not the lifetime average that ps shows).",
        rich_help_panel=RESOURCES)] = "500ms",
    port: Annotated[Optional[list[str]], typer.Option(
        "--port", metavar="HOST:PORT",
        help="A TCP connection to HOST:PORT ([IPv6]:PORT; a bare PORT means 127.0.0.1) must be accepted within "
             "the timeout (repeatable).",
        rich_help_panel=OTHER)] = None,
    windows_service: Annotated[Optional[list[str]], typer.Option(
        "--windows-service", metavar="NAME", help="Windows service that must be running (repeatable; Windows only).",
        rich_help_panel=OTHER)] = None,
) -> ServiceOptions:
    """Check that a service is up: systemd units, processes, a pidfile, TCP ports, Windows services.

    Several sources in one call combine by the worst state; the summary names each failure.
    """
    return ServiceOptions(
        systemd=tuple(systemd or ()),
        restarts_warning=restarts_warning,
        processes=tuple(process or ()),
        cmdline=cmdline,
        user=user,
        pidfiles=tuple(pidfile or ()),
        memory_warning=option_value("--memory-warning", memory_warning, parse_size),
        memory_critical=option_value("--memory-critical", memory_critical, parse_size),
        cpu_warning=option_value("--cpu-warning", cpu_warning, parse_percent),
        cpu_critical=option_value("--cpu-critical", cpu_critical, parse_percent),
        cpu_interval=option_value("--cpu-interval", cpu_interval, parse_duration) or 0.0,
        ports=tuple(port or ()),
        windows_services=tuple(windows_service or ()),
    )
