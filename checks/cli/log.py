"""Command line of check-log: its options declared for typer (read by cronchecks.log.arguments)."""

from typing import Annotated

import typer

from cronchecks.cli.standard import check_command

PATTERNS = "Patterns"
BOUNDS = "Which part of the logs"
OUTPUT = "Records and output"


@check_command("log")
def log(
    files: Annotated[list[str], typer.Argument(
        metavar="FILE_OR_GLOB...", help="Log files; quoted globs ('/var/log/app/*.log') are expanded, sorted.",
        show_default=False)],
    pattern: Annotated[list[str] | None, typer.Option(
        "--pattern", "-e", metavar="REGEX",
        help="Count lines matching this (repeatable: a line matching several counts once in the total and once "
             "for each).", rich_help_panel=PATTERNS)] = None,
    critical_pattern: Annotated[list[str] | None, typer.Option(
        "--critical-pattern", metavar="REGEX", help="Any line matching this makes the result CRITICAL (repeatable).",
        rich_help_panel=PATTERNS)] = None,
    warning_pattern: Annotated[list[str] | None, typer.Option(
        "--warning-pattern", metavar="REGEX", help="Any line matching this makes the result at least WARNING "
        "(repeatable).", rich_help_panel=PATTERNS)] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="REGEX", help="Ignore lines (records) matching this (repeatable).",
        rich_help_panel=PATTERNS)] = None,
    ignore_case: Annotated[bool, typer.Option(
        "--ignore-case", "-i", help="Match letters in either case (ASCII).", rich_help_panel=PATTERNS)] = False,
    fixed_strings: Annotated[bool, typer.Option(
        "--fixed-strings", "-F", help="Patterns are plain text, not regexes (as grep -F).",
        rich_help_panel=PATTERNS)] = False,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DURATION", help="Only lines whose timestamp is within this window (15m, 1h, 1d); "
        "the start is found by binary search.", rich_help_panel=BOUNDS)] = None,
    time_format: Annotated[str | None, typer.Option(
        "--time-format", metavar="STRFTIME", help="Timestamp layout when it is not ISO 8601, Python logging, "
        "syslog, Apache/nginx or epoch, e.g. '%d.%m.%Y %H:%M:%S'.", rich_help_panel=BOUNDS)] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", metavar="ZONE", help="Time zone of timestamps without an offset (IANA name, UTC; default: local).",
        rich_help_panel=BOUNDS)] = None,
    state: Annotated[str | None, typer.Option(
        "--state", metavar="FILE", help="Count only what was appended since the last run, across rotation; "
        "where each log was read up to is kept in FILE.", rich_help_panel=BOUNDS)] = None,
    from_start: Annotated[bool, typer.Option(
        "--from-start", help="With --state, the first run reads the logs from their start (default: from "
        "their end).", rich_help_panel=BOUNDS)] = False,
    missing: Annotated[str, typer.Option(
        "--missing", metavar="STATE", help="State when a log does not exist: ok, warning, critical, unknown.",
        rich_help_panel=BOUNDS)] = "critical",
    record_start: Annotated[str | None, typer.Option(
        "--record-start", metavar="REGEX", help="A record starts at a line matching this and takes the lines "
        "after it that do not (stack traces): records are counted and excluded whole.",
        rich_help_panel=OUTPUT)] = None,
    show: Annotated[int, typer.Option(
        "--show", metavar="N", help="With -v, list up to N of the newest matching lines as long output.",
        rich_help_panel=OUTPUT)] = 10,
    engine: Annotated[str, typer.Option(
        "--engine", metavar="ENGINE", help="Regex scanning engine: auto (Hyperscan when installed), hyperscan, "
        "re.", rich_help_panel=OUTPUT)] = "auto",
) -> None:
    """Count lines matching patterns in log files: the whole file, a time window (--since), or what is new (--state).

    -w/-c are ranges on the count; with neither, any match is CRITICAL (-c 0).
    """
