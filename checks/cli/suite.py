"""Command line of `cronchecks suite`: many checks from one TOML file, in one process."""

from typing import Annotated, Optional

import typer

from cronchecks.core.errors import UsageError

OUTPUT = "Output"
SCALE = "Feeding other systems"
STORE = "Store and delivery"


def suite(
    file: Annotated[str, typer.Argument(metavar="FILE.toml", help="The suite file.")],
    check: Annotated[bool, typer.Option(
        "--check", help="Only validate the file (exit 0 when it is valid, 3 with the mistake otherwise).")] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", metavar="N", help="Checks run at the same time (they mostly wait on I/O).")] = 16,
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="nagios (a summary line, then one line per check), table or json; "
        "default: a table on a terminal, nagios otherwise.", rich_help_panel=OUTPUT)] = "auto",
    prometheus: Annotated[Optional[str], typer.Option(
        "--prometheus", metavar="FILE", help="Write node_exporter textfile metrics here (atomically; name it *.prom).",
        rich_help_panel=SCALE)] = None,
    icinga2: Annotated[Optional[str], typer.Option(
        "--icinga2", metavar="URL", help="Submit every result as a passive check result to this Icinga 2 API "
        "(credentials from CRONCHECKS_ICINGA2_USER/_PASSWORD/_PASSWORD_FILE, CA from CRONCHECKS_ICINGA2_CAFILE).",
        rich_help_panel=SCALE)] = None,
    nagios_cmd: Annotated[Optional[str], typer.Option(
        "--nagios-cmd", metavar="FILE", help="Write PROCESS_SERVICE_CHECK_RESULT lines to Nagios' external command file.",
        rich_help_panel=SCALE)] = None,
    host: Annotated[Optional[str], typer.Option(
        "--host", metavar="NAME", help="Host of the passive results and alerts (default: this machine's fully qualified name).",
        rich_help_panel=SCALE)] = None,
    ttl: Annotated[str, typer.Option(
        "--ttl", metavar="DURATION", help="How long Icinga 2 keeps a passive result fresh before it turns stale.",
        rich_help_panel=SCALE)] = "15m",
    state_dir: Annotated[Optional[str], typer.Option(
        "--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
        help="The store shared with `cronchecks run` (env CRONCHECKS_STATE_DIR).", rich_help_panel=STORE)] = None,
    no_record: Annotated[bool, typer.Option(
        "--no-record", help="Do not record results or send alerts: just run and print.", rich_help_panel=STORE)] = False,
    keep: Annotated[str, typer.Option(
        "--keep", metavar="DURATION", help="Keep results this long.", rich_help_panel=STORE)] = "90d",
    notify_timeout: Annotated[str, typer.Option(
        "--notify-timeout", metavar="DURATION", help="Time for all deliveries of this run.", rich_help_panel=STORE)] = "10s",
    outbox_expiry: Annotated[str, typer.Option(
        "--outbox-expiry", metavar="DURATION", help="Drop undelivered messages older than this.",
        rich_help_panel=STORE)] = "24h",
) -> int:
    """Run many checks from one TOML file in one process, in parallel; exit with the worst state."""
    import os
    from pathlib import Path

    from cronchecks.core.values import option_value
    from cronchecks.suite.command import SuiteOptions, run_suite_command

    if jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    output_format = output_format.lower()
    if output_format not in ("auto", "nagios", "table", "json"):
        raise UsageError(f"invalid --format {output_format!r} (nagios, table or json)")
    options = SuiteOptions(
        path=Path(file), validate_only=check, jobs=jobs, output_format=output_format, prometheus=prometheus,
        icinga2=icinga2, nagios_cmd=nagios_cmd, host=host, ttl=option_value("--ttl", ttl, positive=True), state_dir=state_dir,
        record=not no_record, keep=option_value("--keep", keep, positive=True), notify_timeout=option_value("--notify-timeout", notify_timeout, positive=True),
        outbox_expiry=option_value("--outbox-expiry", outbox_expiry, positive=True))
    return run_suite_command(options, os.environ)
