"""Command line of `cronchecks report`: options in; a table, JSON, a status page or a daily summary out."""

from __future__ import annotations

import sys
from typing import Annotated, Optional, Sequence

import typer

from cronchecks.core.values import option_value
from cronchecks.core.errors import CheckError, UsageError

WHAT = "What to report"
OUTPUT = "Output"
SUMMARY = "Daily summary (through the channels of cronchecks run)"



def _moment(flag: str, text: str) -> float:
    from cronchecks.support.timestamps import TimestampError, parse_timestamp, resolve_timezone

    try:
        return parse_timestamp(text, resolve_timezone(None)).timestamp()
    except TimestampError as error:
        raise UsageError(f"invalid {flag}: {error}") from None


def select_checks(known: Sequence[str], wanted: Sequence[str], where: str) -> list[str]:
    """The names asked for with --check (exact names, or shell-style patterns like `web-*`), in the store's order."""
    if not wanted:
        return list(known)
    from fnmatch import fnmatchcase

    chosen: set[str] = set()
    for pattern in wanted:
        found = [name for name in known if fnmatchcase(name, pattern)] if any(c in pattern for c in "*?[") \
            else [name for name in known if name == pattern]
        if not found:
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "") if known else "none yet"
            raise UsageError(f"no check named {pattern!r} in the store {where} (known: {shown})")
        chosen.update(found)
    return [name for name in known if name in chosen]


def _emit(text: str) -> None:
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass  # the reader went away (`| head`)


def _status_style(name: str) -> str:
    return {"OK": "green", "WARNING": "yellow", "CRITICAL": "bold red", "UNKNOWN": "magenta"}.get(name, "dim")


def print_rich_table(reports, window, perf_label: str, host: str, console=None) -> None:
    """The report as a rich table (a terminal's path only: rich costs ~30 ms to import)."""
    import os

    from rich.console import Console
    from rich.table import Table

    from cronchecks.report.text import cells, full_moment, headings, title

    console = console or Console(highlight=False, no_color=bool(os.environ.get("NO_COLOR")))
    table = Table(title=title(reports, window, host), caption=f"{full_moment(window.start)} to "
                  f"{full_moment(window.end)}", title_justify="left", caption_justify="left")
    for index, heading in enumerate(headings(perf_label)):
        table.add_column(heading, no_wrap=index in (1, 3, 4), overflow="fold")
    for report in reports:
        row = list(cells(report, window.end))
        row[1] = f"[{_status_style(row[1])}]{row[1]}[/]"
        if report.incident is not None:
            row[7] = f"[{_status_style(report.incident.status.name)}]{row[7]}[/]"
        table.add_row(*row)
    if reports:
        console.print(table)
    else:
        console.print(title(reports, window, host))
        console.print("No checks recorded yet: `cronchecks run --name NAME -- COMMAND` records them.", markup=False)


def report(
    since: Annotated[str, typer.Option(
        "--since", metavar="DURATION", help="The window: this long before --until (e.g. 24h, 7d).",
        rich_help_panel=WHAT)] = "24h",
    until: Annotated[Optional[str], typer.Option(
        "--until", metavar="TIME", help="End of the window: ISO 8601 (local time unless it has an offset) or epoch seconds; default now.",
        rich_help_panel=WHAT)] = None,
    check: Annotated[Optional[list[str]], typer.Option(
        "--check", metavar="NAME", help="Only this check (repeatable; shell-style patterns such as 'web-*' too).",
        rich_help_panel=WHAT)] = None,
    perf: Annotated[str, typer.Option(
        "--perf", metavar="LABEL", help="The perfdata value to give median and p95 of (time: check-http's response time).",
        rich_help_panel=WHAT)] = "time",
    state_dir: Annotated[Optional[str], typer.Option(
        "--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
        help="Where cronchecks run keeps its SQLite store (env CRONCHECKS_STATE_DIR; default: the user state folder).",
        rich_help_panel=WHAT)] = None,
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="table (rich on a terminal, plain text otherwise) or json.",
        rich_help_panel=OUTPUT)] = "table",
    html: Annotated[Optional[str], typer.Option(
        "--html", metavar="FILE", help="Also write a static HTML status page (replaced atomically).",
        rich_help_panel=OUTPUT)] = None,
    title: Annotated[Optional[str], typer.Option(
        "--title", metavar="TEXT", help="The status page's heading (default: 'Status of HOST').",
        rich_help_panel=OUTPUT)] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print nothing on stdout (for cron lines that only write --html or send the summary).",
        rich_help_panel=OUTPUT)] = False,
    host: Annotated[Optional[str], typer.Option(
        "--host", metavar="NAME", help="Host name in the title and the summary (default: this machine's name).",
        rich_help_panel=OUTPUT)] = None,
    mail: Annotated[Optional[list[str]], typer.Option(
        "--mail", metavar="ADDR", help="Mail the report to this address (repeatable; SMTP settings from CRONCHECKS_SMTP_*).",
        rich_help_panel=SUMMARY)] = None,
    webhook: Annotated[Optional[list[str]], typer.Option(
        "--webhook", metavar="URL", help="POST the report to this URL (repeatable; the format is detected from the URL).",
        rich_help_panel=SUMMARY)] = None,
    webhook_format: Annotated[Optional[str], typer.Option(
        "--webhook-format", metavar="FORMAT", help="json, slack, teams or discord, for every --webhook.",
        rich_help_panel=SUMMARY)] = None,
    notify_timeout: Annotated[str, typer.Option(
        "--notify-timeout", metavar="DURATION", help="Time for the deliveries, retries included; what is left waits in the outbox.",
        rich_help_panel=SUMMARY)] = "10s",
    outbox_expiry: Annotated[str, typer.Option(
        "--outbox-expiry", metavar="DURATION", help="Drop undelivered messages older than this (with a line on stderr).",
        rich_help_panel=SUMMARY)] = "24h",
) -> int:
    """Uptime, failures, durations and incidents per check, from what cronchecks run recorded.

    Exit code 0 whatever the checks' states (a report is not a check); 3 for a usage error, a
    store that cannot be read, or an --html file that cannot be written.
    """
    import os
    import socket
    import time
    from pathlib import Path

    window_length = option_value("--since", since, positive=True)
    budget = option_value("--notify-timeout", notify_timeout, positive=True)
    expiry = option_value("--outbox-expiry", outbox_expiry, positive=True)
    fmt = output_format.lower()
    if fmt not in ("table", "json"):
        raise UsageError(f"invalid --format {output_format!r} (table or json)")
    if not perf.strip():
        raise UsageError("invalid --perf: give a perfdata label, e.g. time")
    generated = time.time()
    end = _moment("--until", until) if until else generated
    host_name = host or socket.gethostname()

    from cronchecks.alerting.run import state_folder
    from cronchecks.report.figures import Window, check_report, order
    from cronchecks.report.history import History

    channels = []
    if mail or webhook:
        from cronchecks.alerting.channels.options import ChannelOptions
        from cronchecks.report.summary import summary_channels

        channels = summary_channels(ChannelOptions(mail=tuple(mail or ()), webhooks=tuple(webhook or ()),
                                                   webhook_format=webhook_format), os.environ, host_name)
    elif webhook_format:
        raise UsageError("--webhook-format goes with --webhook")

    window = Window(end - window_length, end)
    folder = state_folder(state_dir, os.environ)
    with History(folder) as history:
        names = select_checks(history.names(), check or [], str(history.path))
        reports = []
        for name in names:
            rows = history.rows(name, min(window.start, window.end - 86400.0), window.end, perf)
            reports.append(check_report(name, rows, history.streak(name, window.end), window, perf))
    reports = order(reports)

    if html:
        from cronchecks.report.html import status_page, write_page

        page = status_page(reports, window, host=host_name, generated=generated, title=title)
        target = Path(html).expanduser()
        try:
            write_page(target, page)
        except OSError as error:
            raise CheckError(f"cannot write --html {target}: {error.strerror or error}") from None

    if not quiet:
        if fmt == "json":
            import json

            from cronchecks.report.figures import report_dict

            _emit(json.dumps(report_dict(reports, window, host=host_name, perf_label=perf, generated=generated),
                             indent=2))
        elif sys.stdout.isatty():
            print_rich_table(reports, window, perf, host_name)
        else:
            from cronchecks.report.text import plain_report

            _emit(plain_report(reports, window, perf, host_name))

    if channels:
        from cronchecks.report.summary import send_summary, summary_event

        event = summary_event(reports, window, host=host_name, perf_label=perf, generated=generated)

        def say(message: str) -> None:
            print(f"cronchecks report: {message}", file=sys.stderr, flush=True)

        send_summary(folder, channels, event, budget=budget, expiry=expiry, say=say)
    return 0
