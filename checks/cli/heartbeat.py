"""Command line of check-heartbeat: its options declared for typer (read by cronchecks.heartbeat.arguments)."""

from typing import Annotated

import typer

from cronchecks.cli.standard import check_command

SOURCE = "Heartbeat source (give one)"
JUDGE = "Judging the age"



@check_command("heartbeat")
def heartbeat(
    file: Annotated[str | None, typer.Option(
        "--file", "-f", metavar="PATH",
        help="Heartbeat file: its modification time is the heartbeat. A glob ('/backups/*.tar.gz') means the newest "
        "match.",
        rich_help_panel=SOURCE)] = None,
    content: Annotated[bool, typer.Option(
        "--content", help="Read the timestamp inside the file (last line: ISO 8601 or epoch) instead of its mtime.",
        rich_help_panel=SOURCE)] = False,
    min_size: Annotated[str | None, typer.Option(
        "--min-size", metavar="SIZE",
        help="The newest file must be at least this big (1, 10MB, 1GiB): catches empty or truncated backups.",
        rich_help_panel=SOURCE)] = None,
    size_warning: Annotated[str | None, typer.Option(
        "--size-warning", metavar="RANGE",
        help="WARNING when the heartbeat file's size is outside this range (1KB:, 10MB:1GB; check_file_age -W).",
        rich_help_panel=SOURCE)] = None,
    size_critical: Annotated[str | None, typer.Option(
        "--size-critical", metavar="RANGE", help="CRITICAL when the heartbeat file's size is outside this range.",
        rich_help_panel=SOURCE)] = None,
    url: Annotated[str | None, typer.Option(
        "--url", metavar="URL", help="HTTP(S) endpoint answering JSON that holds the timestamp.",
        rich_help_panel=SOURCE)] = None,
    json_path: Annotated[str | None, typer.Option(
        "--json-path", metavar="JSONPATH",
        help="RFC 9535 JSONPath of the timestamp in the body, e.g. '$.lastHeartbeatAt'.",
        rich_help_panel=SOURCE)] = None,
    header: Annotated[list[str] | None, typer.Option(
        "--header", metavar="'NAME: VALUE'", help="Extra request header for --url (repeatable).",
        rich_help_panel=SOURCE)] = None,
    cacert: Annotated[str | None, typer.Option(
        "--cacert", metavar="PATH", help="CA bundle to verify the --url server with.", rich_help_panel=SOURCE)] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Do not verify the --url server's TLS certificate.", rich_help_panel=SOURCE)] = False,
    max_body: Annotated[str | None, typer.Option(
        "--max-body", metavar="SIZE", help="Read at most this much of the --url answer (default 10MiB); a longer "
                                           "answer is a cut JSON: CRITICAL, saying so.",
                                           rich_help_panel=SOURCE)] = None,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="URL",
        help="SQLAlchemy database URL (visible in ps: prefer --db-env or --db-file when it has a password).",
        rich_help_panel=SOURCE)] = None,
    db_env: Annotated[str | None, typer.Option(
        "--db-env", metavar="VAR", help="Environment variable holding the database URL.",
        rich_help_panel=SOURCE)] = None,
    db_file: Annotated[str | None, typer.Option(
        "--db-file", metavar="PATH", help="File holding the database URL.", rich_help_panel=SOURCE)] = None,
    query: Annotated[str | None, typer.Option(
        "--query", metavar="SQL",
        help="Query whose first value is the newest heartbeat (timestamp, date, text or epoch).",
        rich_help_panel=SOURCE)] = None,
    schedule: Annotated[str | None, typer.Option(
        "--schedule", metavar="CRON", help="Cron expression of the job: CRITICAL when no heartbeat came after the "
        "latest scheduled run once --grace has passed.",
        rich_help_panel=JUDGE)] = None,
    grace: Annotated[str | None, typer.Option(
        "--grace", metavar="DURATION",
        help="How long after a scheduled time the heartbeat may arrive (with --schedule; default 0).",
        rich_help_panel=JUDGE)] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", metavar="ZONE",
        help="Time zone for naive timestamps and the schedule (IANA name, UTC; default: local).",
        rich_help_panel=JUDGE)] = None,
    max_skew: Annotated[str, typer.Option(
        "--max-skew", metavar="DURATION", help="A heartbeat further than this in the future is WARNING (clock skew).",
        rich_help_panel=JUDGE)] = "1m",
    missing_result: Annotated[str, typer.Option(
        "--missing-result", metavar="STATE",
        help="State when there is no heartbeat at all (no file, no row, a null field): e.g. ok for a job that has "
        "not run yet on a new host.",
        rich_help_panel=JUDGE)] = "critical",
    late_result: Annotated[str, typer.Option(
        "--late-result", metavar="STATE",
        help="With --schedule: the state while a missed run's --grace still runs (late, not yet failed).",
        rich_help_panel=JUDGE)] = "ok",
) -> None:
    """Check that a heartbeat is fresh: a file's age, a timestamp in a file, a JSON field, or an SQL value.

    -w/-c are ranges on the age (-w 5m -c 15m); or use --schedule with --grace.
    """
