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
    expect_state: Annotated[str | None, typer.Option(
        "--expect-state", metavar="UNITSTATE",
        help="What the --systemd units must be: active (default), or inactive for oneshot jobs: finished with "
             "Result=success OK, running now OK, a failed last run CRITICAL with its Result.",
        rich_help_panel=SYSTEMD)] = None,
    timer: Annotated[list[str] | None, typer.Option(
        "--timer", metavar="UNIT",
        help="systemd timer (repeatable; 'backup' means backup.timer): its last trigger and next elapse. A dead "
             "timer (stopped, elapsed for good, next elapse in the past) is CRITICAL; -w/-c are ranges on the age "
             "of its last trigger (-w 25h -c 49h).",
        rich_help_panel=SYSTEMD)] = None,
    failed_units: Annotated[bool, typer.Option(
        "--failed-units",
        help="CRITICAL naming every failed unit on the host (systemctl list-units --state=failed), with their "
             "count in perfdata.",
        rich_help_panel=SYSTEMD)] = False,
    unit_exclude: Annotated[list[str] | None, typer.Option(
        "--unit-exclude", metavar="REGEX",
        help="Leave failed units whose name this regex finds out of --failed-units (repeatable; "
             "'^user@' leaves out every user manager).",
        rich_help_panel=SYSTEMD)] = None,
    user_units: Annotated[bool, typer.Option(
        "--user-units",
        help="Ask the calling user's systemd (systemctl --user) for --systemd, --timer and --failed-units.",
        rich_help_panel=SYSTEMD)] = False,
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
    state: Annotated[list[str] | None, typer.Option(
        "--state", metavar="PROCSTATE",
        help="Only processes in this state (repeatable): zombie, stopped, running, sleeping, disk-sleep, idle "
             "(or check_procs' letters Z, T, R, S, D, I). Needs -w/-c: '--state zombie -w 0 -c 5'.",
        rich_help_panel=PROCESSES)] = None,
    ppid: Annotated[str | None, typer.Option(
        "--ppid", metavar="PID", help="Only processes whose parent is this PID (check_procs -p).",
        rich_help_panel=PROCESSES)] = None,
    elapsed: Annotated[str | None, typer.Option(
        "--elapsed", metavar="RANGE",
        help="Only processes whose run time is in this range of durations: '1h:' an hour or more, '5m' at most "
             "five minutes, '@10m:1h' outside 10m..1h.",
        rich_help_panel=PROCESSES)] = None,
    exclude_cmdline: Annotated[list[str] | None, typer.Option(
        "--exclude-cmdline", metavar="REGEX",
        help="Leave out processes whose full command line this regex finds (repeatable).",
        rich_help_panel=PROCESSES)] = None,
    pidfile: Annotated[list[str] | None, typer.Option(
        "--pidfile", metavar="PATH", help="The process whose PID is in this file must be running (repeatable).",
        rich_help_panel=PROCESSES)] = None,
    rss_warning: Annotated[str | None, typer.Option(
        "--rss-warning", metavar="RANGE",
        help="WARNING when a process's resident memory is outside this range (512M: above 512 MiB).",
        rich_help_panel=RESOURCES)] = None,
    rss_critical: Annotated[str | None, typer.Option(
        "--rss-critical", metavar="RANGE", help="CRITICAL when a process's resident memory is outside this range.",
        rich_help_panel=RESOURCES)] = None,
    memory_warning: Annotated[str | None, typer.Option(
        "--memory-warning", metavar="RANGE", help="The older name of --rss-warning (the same range).",
        rich_help_panel=RESOURCES)] = None,
    memory_critical: Annotated[str | None, typer.Option(
        "--memory-critical", metavar="RANGE", help="The older name of --rss-critical (the same range).",
        rich_help_panel=RESOURCES)] = None,
    vsz_warning: Annotated[str | None, typer.Option(
        "--vsz-warning", metavar="RANGE", help="WARNING when a process's virtual memory size is outside this range.",
        rich_help_panel=RESOURCES)] = None,
    vsz_critical: Annotated[str | None, typer.Option(
        "--vsz-critical", metavar="RANGE", help="CRITICAL when a process's virtual memory size is outside this range.",
        rich_help_panel=RESOURCES)] = None,
    cpu_warning: Annotated[str | None, typer.Option(
        "--cpu-warning", metavar="RANGE",
        help="WARNING when a process's CPU use over --cpu-interval is outside this range of percents "
             "(80: above 80%; 100 = one full core).",
        rich_help_panel=RESOURCES)] = None,
    cpu_critical: Annotated[str | None, typer.Option(
        "--cpu-critical", metavar="RANGE", help="CRITICAL when a process's CPU use is outside this range.",
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
