"""Command line of check-service: its options declared for typer (read by cronchecks.service.arguments)."""

from typing import Annotated

import typer

from cronchecks.cli.standard import check_command

SYSTEMD = "systemd units"
PROCESSES = "Processes (-w/-c: ranges on the count; default -c 1:, at least one)"
RESOURCES = "Limits per process (each matching one and the --pidfile's)"
OTHER = "Ports and Windows services"
TCP = "TCP and UDP (on each --port, as check_tcp and check_udp)"



@check_command("service")
def service(
    systemd: Annotated[list[str] | None, typer.Option(
        "--systemd", metavar="UNIT",
        help="systemd unit that must be active (repeatable): active OK, activating/reloading WARNING, "
             "failed/inactive/not found CRITICAL. Read with 'systemctl show'.",
        rich_help_panel=SYSTEMD)] = None,
    restarts_warning: Annotated[int | None, typer.Option(
        "--restarts-warning", metavar="N",
        help="WARNING when a unit's NRestarts is above N (a crash loop that systemd keeps restarting).",
        rich_help_panel=SYSTEMD)] = None,
    process: Annotated[list[str] | None, typer.Option(
        "--process", "-p", metavar="NAME",
        help="Process name, exactly as ps -C and check_procs -C match it (repeatable: each name counted on its own).",
        rich_help_panel=PROCESSES)] = None,
    cmdline: Annotated[str | None, typer.Option(
        "--cmdline", metavar="REGEX", help="Regex searched in the full command line ('gunicorn .*myapp').",
        rich_help_panel=PROCESSES)] = None,
    user: Annotated[str | None, typer.Option(
        "--user", "-u", metavar="USER", help="Only processes running as this user (name or UID).",
        rich_help_panel=PROCESSES)] = None,
    pidfile: Annotated[list[str] | None, typer.Option(
        "--pidfile", metavar="PATH", help="The process whose PID is in this file must be running (repeatable).",
        rich_help_panel=PROCESSES)] = None,
    memory_warning: Annotated[str | None, typer.Option(
        "--memory-warning", metavar="SIZE", help="WARNING when a process's resident memory is above SIZE (512M, 2GiB).",
        rich_help_panel=RESOURCES)] = None,
    memory_critical: Annotated[str | None, typer.Option(
        "--memory-critical", metavar="SIZE", help="CRITICAL when a process's resident memory is above SIZE.",
        rich_help_panel=RESOURCES)] = None,
    cpu_warning: Annotated[str | None, typer.Option(
        "--cpu-warning", metavar="PERCENT",
        help="WARNING when a process uses more CPU than this, measured over --cpu-interval (100 = one full core).",
        rich_help_panel=RESOURCES)] = None,
    cpu_critical: Annotated[str | None, typer.Option(
        "--cpu-critical", metavar="PERCENT", help="CRITICAL when a process uses more CPU than this.",
        rich_help_panel=RESOURCES)] = None,
    cpu_interval: Annotated[str, typer.Option(
        "--cpu-interval", metavar="DURATION",
        help="How long CPU use is measured for (default 500ms; not the lifetime average that ps shows).",
        rich_help_panel=RESOURCES)] = "500ms",
    port: Annotated[list[str] | None, typer.Option(
        "--port", metavar="HOST:PORT",
        help="A TCP connection to HOST:PORT ([IPv6]:PORT; a bare PORT means 127.0.0.1) must be accepted within "
             "the timeout (repeatable).",
        rich_help_panel=OTHER)] = None,
    send: Annotated[str | None, typer.Option(
        "--send", metavar="TEXT",
        help="Sent once connected (after TLS), as written; \\r \\n \\t \\\\ \\0 \\xHH are those bytes "
             "('PING\\r\\n').",
        rich_help_panel=TCP)] = None,
    expect: Annotated[list[str] | None, typer.Option(
        "--expect", metavar="TEXT",
        help="The answer must contain this (repeatable: all of them, or one with --expect-any); else CRITICAL.",
        rich_help_panel=TCP)] = None,
    expect_any: Annotated[bool, typer.Option(
        "--expect-any", help="One of the --expect texts is enough.", rich_help_panel=TCP)] = False,
    quit_text: Annotated[str | None, typer.Option(
        "--quit", metavar="TEXT",
        help="Sent before closing, for a clean goodbye ('QUIT'; \\r\\n is added unless it ends in \\n).",
        rich_help_panel=TCP)] = None,
    tls: Annotated[bool, typer.Option(
        "--tls", help="TLS from the first byte (the certificate is read, not verified).", rich_help_panel=TCP)] = False,
    starttls: Annotated[str | None, typer.Option(
        "--starttls", metavar="PROTOCOL",
        help="Upgrade to TLS the protocol's way first: smtp, imap, pop3, ftp, ldap or postgres.",
        rich_help_panel=TCP)] = None,
    cert_warning: Annotated[str | None, typer.Option(
        "--cert-warning", metavar="DAYS",
        help="WARNING when the certificate expires within this (30d; a bare number is days).",
        rich_help_panel=TCP)] = None,
    cert_critical: Annotated[str | None, typer.Option(
        "--cert-critical", metavar="DAYS", help="CRITICAL when the certificate expires within this (7d).",
        rich_help_panel=TCP)] = None,
    port_warning: Annotated[str | None, typer.Option(
        "--port-warning", metavar="RANGE",
        help="Range on the time to connect and answer (500ms: WARNING above half a second).",
        rich_help_panel=TCP)] = None,
    port_critical: Annotated[str | None, typer.Option(
        "--port-critical", metavar="RANGE", help="CRITICAL range on the time to connect and answer (2s).",
        rich_help_panel=TCP)] = None,
    udp: Annotated[bool, typer.Option(
        "--udp", help="UDP instead of TCP: --send a datagram; an answer (containing --expect) must come back.",
        rich_help_panel=TCP)] = False,
    windows_service: Annotated[list[str] | None, typer.Option(
        "--windows-service", metavar="NAME", help="Windows service that must be running (repeatable; Windows only).",
        rich_help_panel=OTHER)] = None,
) -> None:
    """Check that a service is up: systemd units, processes, a pidfile, TCP ports, Windows services.

    Several sources in one call combine by the worst state; the summary names each failure.
    """
