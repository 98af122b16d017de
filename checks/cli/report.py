"""Command line of `cronchecks report`: options in; the report as a table or JSON out.

checks.report.build does the rest.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cronchecks.core.errors import UsageError
from cronchecks.core.values import option_value

WHAT = "What to report"
OUTPUT = "Output"
SUMMARY = "Daily summary (through the channels of cronchecks run)"


def _moment(flag: str, text: str) -> float:
    from cronchecks.support.timestamps import TimestampError, parse_timestamp, resolve_timezone

    try:
        return parse_timestamp(text, resolve_timezone(None)).timestamp()
    except TimestampError as error:
        raise UsageError(f"invalid {flag}: {error}") from None


def _emit(text: str) -> None:
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass  # the reader went away (`| head`)


def _status_style(name: str) -> str:
    return {"OK": "green", "WARNING": "yellow", "CRITICAL": "bold red", "UNKNOWN": "magenta"}.get(name, "dim")


# The 24-hour strip as one character per hour, its height telling the state as its colour does (the worst of the
# hour's two half-hours): OK low, UNKNOWN, WARNING, CRITICAL higher; no data a dot.
_SPARK = {"OK": "\u2581", "UNKNOWN": "\u2584", "WARNING": "\u2586", "CRITICAL": "\u2588"}


def sparkline(report):
    """The last 24 hours of a check as a rich Text sparkline."""
    from rich.text import Text

    from cronchecks.core.result import worst

    line = Text()
    strip = list(report.strip)
    for first, second in zip(strip[0::2], strip[1::2], strict=False):
        present = [bucket.status for bucket in (first, second) if bucket.status is not None]
        if not present:
            line.append("\u00b7", style="dim")
            continue
        status = worst(present)
        line.append(_SPARK[status.name], style=_status_style(status.name))
    return line


def print_rich_table(reports, window, perf_label: str, host: str, console=None) -> None:
    """The report as a rich table (a terminal's path only: rich costs ~30 ms to import).

    Every cell is a Text, never a string: rich would read a check's name or the host as
    markup (`[/x]` ends the command with a MarkupError, `[bold]` restyles it) or emoji.
    """
    import os

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cronchecks.report.text import cells, full_moment, headings, title

    console = console or Console(highlight=False, emoji=False, markup=False,
                                 no_color=bool(os.environ.get("NO_COLOR")))
    table = Table(title=Text(title(reports, window, host), style="table.title"),
                  caption=Text(f"{full_moment(window.start)} to {full_moment(window.end)}", style="table.caption"),
                  title_justify="left", caption_justify="left")
    for index, heading in enumerate(headings(perf_label)):
        table.add_column(Text(heading), no_wrap=index in (1, 3, 4), overflow="fold")
    table.add_column(Text("LAST 24H"), no_wrap=True)
    for report in reports:
        row = [Text(cell) for cell in cells(report, window.end)]
        row[1].stylize(_status_style(row[1].plain))
        if report.incident is not None:
            row[7].stylize(_status_style(report.incident.status.name))
        table.add_row(*row, sparkline(report))
    if reports:
        console.print(table)
    else:
        console.print(Text(title(reports, window, host)))
        console.print(Text("No checks recorded yet: `cronchecks run --name NAME -- COMMAND` records them."))


def report(
    files: Annotated[list[str] | None, typer.Argument(
        metavar="[FILE]...", help="With --merge: the hosts' report documents (cronchecks report --format json).",
        show_default=False)] = None,
    since: Annotated[str, typer.Option(
        "--since", metavar="DURATION", help="The window: this long before --until (e.g. 24h, 7d).",
        rich_help_panel=WHAT)] = "24h",
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME",
        help="End of the window: ISO 8601 (local time unless it has an offset) or epoch seconds; default now.",
        rich_help_panel=WHAT)] = None,
    check: Annotated[list[str] | None, typer.Option(
        "--check", metavar="NAME", help="Only this check (repeatable; shell-style patterns such as 'web-*' too).",
        rich_help_panel=WHAT)] = None,
    perf: Annotated[str, typer.Option(
        "--perf", metavar="LABEL",
        help="The perfdata value to give median and p95 of (time: check-http's response time).",
        rich_help_panel=WHAT)] = "time",
    state_dir: Annotated[str | None, typer.Option(
        "--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
        help="Where cronchecks run keeps its SQLite store (env CRONCHECKS_STATE_DIR; default: the user state folder).",
        rich_help_panel=WHAT)] = None,
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="table (rich on a terminal, plain text otherwise) or json.",
        rich_help_panel=OUTPUT)] = "table",
    html: Annotated[str | None, typer.Option(
        "--html", metavar="FILE", help="Also write a static HTML status page (replaced atomically).",
        rich_help_panel=OUTPUT)] = None,
    title: Annotated[str | None, typer.Option(
        "--title", metavar="TEXT", help="The status page's heading (default: 'Status of HOST').",
        rich_help_panel=OUTPUT)] = None,
    days: Annotated[int, typer.Option(
        "--days", metavar="N", help="Days of history on the page, in the badges and in the JSON document: daily "
        "bars, incidents, response times per day.",
        rich_help_panel=OUTPUT)] = 90,
    badges: Annotated[str | None, typer.Option(
        "--badges", metavar="DIR", help="Also write one SVG badge per check into DIR (state and 7-day uptime).",
        rich_help_panel=OUTPUT)] = None,
    merge: Annotated[bool, typer.Option(
        "--merge", help="Draw a fleet page from the FILEs other hosts wrote with --format json (with --html "
        "and/or --badges); a file that cannot be read is named, the others drawn.",
        rich_help_panel=OUTPUT)] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Print nothing on stdout (for cron lines that only write --html or send the summary).",
        rich_help_panel=OUTPUT)] = False,
    host: Annotated[str | None, typer.Option(
        "--host", metavar="NAME", help="Host name in the title and the summary (default: this machine's name).",
        rich_help_panel=OUTPUT)] = None,
    mail: Annotated[list[str] | None, typer.Option(
        "--mail", metavar="ADDR",
        help="Mail the report to this address (repeatable; SMTP settings from CRONCHECKS_SMTP_*).",
        rich_help_panel=SUMMARY)] = None,
    webhook: Annotated[list[str] | None, typer.Option(
        "--webhook", metavar="URL",
        help="POST the report to this URL (repeatable; the format is detected from the URL).",
        rich_help_panel=SUMMARY)] = None,
    webhook_env: Annotated[list[str] | None, typer.Option(
        "--webhook-env", metavar="VAR", help="A --webhook URL from this environment variable (repeatable; keeps its "
        "token out of ps and the crontab).", rich_help_panel=SUMMARY)] = None,
    webhook_file: Annotated[list[str] | None, typer.Option(
        "--webhook-file", metavar="FILE", help="A --webhook URL from this file (repeatable; its first 64 KiB, "
        "without the final newline).", rich_help_panel=SUMMARY)] = None,
    webhook_format: Annotated[str | None, typer.Option(
        "--webhook-format", metavar="FORMAT", help="json, slack, teams or discord, for every --webhook.",
        rich_help_panel=SUMMARY)] = None,
    notify_timeout: Annotated[str, typer.Option(
        "--notify-timeout", metavar="DURATION",
        help="Time for the deliveries, retries included; what is left waits in the outbox.",
        rich_help_panel=SUMMARY)] = "10s",
    outbox_expiry: Annotated[str, typer.Option(
        "--outbox-expiry", metavar="DURATION",
        help="Drop undelivered messages older than this (with a line on stderr).",
        rich_help_panel=SUMMARY)] = "24h",
) -> int:
    """Uptime, failures, durations and incidents per check, from what cronchecks run recorded.

    Exit code 0 whatever the checks' states (a report is not a check); 3 for a usage error, a
    store that cannot be read, or an --html file that cannot be written.
    """
    import os

    from cronchecks.report.build import ReportRequest, make_report

    window_length = option_value("--since", since, positive=True)
    budget = option_value("--notify-timeout", notify_timeout, positive=True)
    expiry = option_value("--outbox-expiry", outbox_expiry, positive=True)
    fmt = output_format.lower()
    if fmt not in ("table", "json"):
        raise UsageError(f"invalid --format {output_format!r} (table or json)")
    if not perf.strip():
        raise UsageError("invalid --perf: give a perfdata label, e.g. time")
    if not 1 <= days <= 3660:
        raise UsageError(f"invalid --days {days} (1 to 3660)")
    if files and not merge:
        raise UsageError("FILE arguments go with --merge (cronchecks report --merge A.json B.json --html fleet.html)")
    if merge:
        if not files:
            raise UsageError("--merge needs the hosts' report documents (cronchecks report --format json > HOST.json)")
        from cronchecks.report.build import merge_documents

        _, problems = merge_documents(files, html=html, badges=badges, title=title)
        for problem in problems:
            print(f"cronchecks report: {problem}", file=sys.stderr, flush=True)
        return 0
    channels = None
    if mail or webhook or webhook_env or webhook_file:
        from cronchecks.alerting.settings import read_alert_settings
        from cronchecks.core.values import OptionValues

        # Read as `cronchecks run` and a suite file read them: --webhook-env VAR and
        # --webhook-file FILE stand for --webhook URL, keeping its token out of ps.
        channels = read_alert_settings(OptionValues(
            {"mail": mail, "webhook": webhook, "webhook-env": webhook_env, "webhook-file": webhook_file,
             "webhook-format": webhook_format}, "cronchecks report", os.environ)).channels
    elif webhook_format:
        raise UsageError("--webhook-format goes with --webhook")
    request = ReportRequest(
        window_length=window_length, until=_moment("--until", until) if until else None, checks=tuple(check or ()),
        perf=perf, state_dir=state_dir, html=html, title=title, host=host, channels=channels,
        notify_timeout=budget, outbox_expiry=expiry, days=days, badges=badges, document=fmt == "json")
    outcome = make_report(request, os.environ)

    if not quiet:
        if fmt == "json":
            import json

            _emit(json.dumps(outcome.document, indent=2))
        elif sys.stdout.isatty():
            print_rich_table(outcome.reports, outcome.window, outcome.perf, outcome.host)
        else:
            from cronchecks.report.text import plain_report

            _emit(plain_report(outcome.reports, outcome.window, outcome.perf, outcome.host))
    for problem in outcome.problems:
        print(f"cronchecks report: {problem}", file=sys.stderr, flush=True)
    return 0
