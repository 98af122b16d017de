"""Command line of check-log: its options declared for typer (read by cronchecks.log.arguments)."""

from typing import Annotated

import typer

from cronchecks.cli.standard import check_command

PATTERNS = "Patterns"
BOUNDS = "Which part of the logs"
OUTPUT = "Records and output"
JOURNAL = "The systemd journal"


@check_command("log")
def log(
    files: Annotated[list[str] | None, typer.Argument(
        metavar="[FILE_OR_GLOB]...", help="Log files; quoted globs ('/var/log/app/*.log') are expanded, sorted "
        "(none with --journal).", show_default=False)] = None,
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
    ok_pattern: Annotated[list[str] | None, typer.Option(
        "--ok-pattern", metavar="REGEX", help="A line matching this clears what came before it: only problems "
        "after the newest such line count (repeatable; check_logfiles' okpatterns).", rich_help_panel=PATTERNS)] = None,
    critical_exception: Annotated[list[str] | None, typer.Option(
        "--critical-exception", metavar="REGEX", help="A --critical-pattern line also matching this does not count "
        "as critical (repeatable).", rich_help_panel=PATTERNS)] = None,
    warning_exception: Annotated[list[str] | None, typer.Option(
        "--warning-exception", metavar="REGEX", help="A --warning-pattern line also matching this does not count "
        "as warning (repeatable).", rich_help_panel=PATTERNS)] = None,
    critical_threshold: Annotated[int | None, typer.Option(
        "--critical-threshold", metavar="N", help="Of every N --critical-pattern hits, the Nth counts (with --state, "
        "hits short of N carry to the next run).", rich_help_panel=PATTERNS)] = None,
    warning_threshold: Annotated[int | None, typer.Option(
        "--warning-threshold", metavar="N", help="Of every N --warning-pattern hits, the Nth counts.",
        rich_help_panel=PATTERNS)] = None,
    encoding: Annotated[str, typer.Option(
        "--encoding", metavar="ENCODING", help="The logs' encoding: auto (a byte-order mark, else the bytes as "
        "they are), utf-8, utf-16, utf-16le, utf-16be, latin-1, cp1252 or any codec Python knows.",
        rich_help_panel=PATTERNS)] = "auto",
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
    sticky: Annotated[str | None, typer.Option(
        "--sticky", metavar="DURATION", help="With --state, a warning or critical hit keeps its state for DURATION "
        "after it, across runs, unless an --ok-pattern line comes.", rich_help_panel=BOUNDS)] = None,
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
    journal: Annotated[bool, typer.Option(
        "--journal", help="Read the systemd journal (through journalctl), each entry's MESSAGE a line; with "
        "--state, from the cursor where the last run stopped.", rich_help_panel=JOURNAL)] = False,
    unit: Annotated[list[str] | None, typer.Option(
        "--unit", metavar="NAME", help="Only this systemd unit's entries (repeatable), as journalctl -u.",
        rich_help_panel=JOURNAL)] = None,
    priority: Annotated[str | None, typer.Option(
        "--priority", metavar="LEVEL", help="Only entries of this priority or more severe (emerg..debug or 0-7), "
        "or a range FROM..TO, as journalctl -p.", rich_help_panel=JOURNAL)] = None,
    journal_dir: Annotated[str | None, typer.Option(
        "--journal-dir", metavar="DIR", help="A journal directory (e.g. copied from another host) instead of the "
        "system journal.", rich_help_panel=JOURNAL)] = None,
    journal_file: Annotated[str | None, typer.Option(
        "--journal-file", metavar="FILE", help="One journal file instead of the system journal.",
        rich_help_panel=JOURNAL)] = None,
) -> None:
    """Count lines matching patterns in log files: the whole file, a time window (--since), or what is new (--state).

    -w/-c are ranges on the count; with neither, any match is CRITICAL (-c 0).
    """
