"""Command line of `cronchecks suite`: many checks from one TOML file, in one process; options in, lines out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from cronchecks.core.errors import UsageError

if TYPE_CHECKING:
    from cronchecks.suite.command import SuiteOutcome

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
    prometheus: Annotated[str | None, typer.Option(
        "--prometheus", metavar="FILE", help="Write node_exporter textfile metrics here (atomically; name it *.prom).",
        rich_help_panel=SCALE)] = None,
    prometheus_label: Annotated[list[str] | None, typer.Option(
        "--prometheus-label", metavar="K=V", help="Extra label on every --prometheus series (repeatable; "
        "suite=NAME replaces the file's stem).", rich_help_panel=SCALE)] = None,
    pushgateway: Annotated[str | None, typer.Option(
        "--pushgateway", metavar="URL", help="PUT every check's metrics to a Pushgateway as job <suite file's stem>, "
        "instance <host> (the prometheus extra).", rich_help_panel=SCALE)] = None,
    pushgateway_label: Annotated[list[str] | None, typer.Option(
        "--pushgateway-label", metavar="K=V", help="Extra grouping label of the push (repeatable).",
        rich_help_panel=SCALE)] = None,
    icinga2: Annotated[str | None, typer.Option(
        "--icinga2", metavar="URL", help="Submit every result as a passive check result to this Icinga 2 API "
        "(credentials from CRONCHECKS_ICINGA2_USER/_PASSWORD/_PASSWORD_FILE, CA from CRONCHECKS_ICINGA2_CAFILE).",
        rich_help_panel=SCALE)] = None,
    nagios_cmd: Annotated[str | None, typer.Option(
        "--nagios-cmd", metavar="FILE",
        help="Write PROCESS_SERVICE_CHECK_RESULT lines to Nagios' external command file.",
        rich_help_panel=SCALE)] = None,
    nsca: Annotated[str | None, typer.Option(
        "--nsca", metavar="HOST:PORT", help="Send every result to Nagios' nsca daemon (password from "
        "CRONCHECKS_NSCA_PASSWORD or CRONCHECKS_NSCA_PASSWORD_FILE); a check's own nsca key wins.",
        rich_help_panel=SCALE)] = None,
    nsca_encryption: Annotated[str | None, typer.Option(
        "--nsca-encryption", metavar="ENCRYPTION", help="none or xor (default: xor given a password, else none).",
        rich_help_panel=SCALE)] = None,
    nrdp: Annotated[str | None, typer.Option(
        "--nrdp", metavar="URL", help="Post every result to this NRDP URL (token from CRONCHECKS_NRDP_TOKEN or "
        "CRONCHECKS_NRDP_TOKEN_FILE); a check's own nrdp key wins.", rich_help_panel=SCALE)] = None,
    host: Annotated[str | None, typer.Option(
        "--host", metavar="NAME",
        help="Host of the passive results and alerts (default: this machine's name, as `hostname` prints it).",
        rich_help_panel=SCALE)] = None,
    ttl: Annotated[str, typer.Option(
        "--ttl", metavar="DURATION", help="How long Icinga 2 keeps a passive result fresh before it turns stale.",
        rich_help_panel=SCALE)] = "15m",
    state_dir: Annotated[str | None, typer.Option(
        "--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
        help="The store shared with `cronchecks run` (env CRONCHECKS_STATE_DIR).", rich_help_panel=STORE)] = None,
    no_record: Annotated[bool, typer.Option(
        "--no-record", help="Do not record results or send alerts: just run and print.",
        rich_help_panel=STORE)] = False,
    keep: Annotated[str, typer.Option(
        "--keep", metavar="DURATION", help="Keep results this long.", rich_help_panel=STORE)] = "90d",
    notify_timeout: Annotated[str, typer.Option(
        "--notify-timeout", metavar="DURATION", help="Time for all deliveries of this run.",
        rich_help_panel=STORE)] = "10s",
    outbox_expiry: Annotated[str, typer.Option(
        "--outbox-expiry", metavar="DURATION", help="Drop undelivered messages older than this.",
        rich_help_panel=STORE)] = "24h",
    # the channel configuration file
    config_file: Annotated[str | None, typer.Option(
        "--config", metavar="FILE", help="The channel configuration (env CRONCHECKS_CONFIG): checks name its "
        "channels with channels = [...], or get its default ones.", rich_help_panel=STORE)] = None,
    group: Annotated[bool, typer.Option(
        "--group/--no-group", help="Send what a run owes a chat or mail channel as one message (default; "
        "PagerDuty, Alertmanager and the metric channels keep one event per check).",
        rich_help_panel=STORE)] = True,
) -> int:
    """Run many checks from one TOML file in one process, in parallel; exit with the worst state."""
    import os
    import sys
    from pathlib import Path

    from cronchecks.core.values import option_value
    from cronchecks.suite.command import SuiteOptions, run_suite_command

    if jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    output_format = output_format.lower()
    if output_format not in ("auto", "nagios", "table", "json"):
        raise UsageError(f"invalid --format {output_format!r} (nagios, table or json)")
    options = SuiteOptions(
        path=Path(file), validate_only=check, jobs=jobs, prometheus=prometheus,
        icinga2=icinga2, nagios_cmd=nagios_cmd, nsca=nsca, nsca_encryption=nsca_encryption, nrdp=nrdp,
        host=host, ttl=option_value("--ttl", ttl, positive=True),
        state_dir=state_dir, record=not no_record, keep=option_value("--keep", keep, positive=True),
        notify_timeout=option_value("--notify-timeout", notify_timeout, positive=True),
        outbox_expiry=option_value("--outbox-expiry", outbox_expiry, positive=True),
        prometheus_labels=tuple(prometheus_label or ()), pushgateway=pushgateway,
        pushgateway_labels=tuple(pushgateway_label or ()), config=config_file, group=group)
    outcome = run_suite_command(options, os.environ)
    code = show_outcome(outcome, output_format, check, sys.stdout, sys.stderr)
    if outcome.timed_out:
        # A hung check's thread cannot be interrupted; end what it started and leave
        # without waiting for it (everything was recorded and printed already).
        from cronchecks.core.execute import end_child_processes

        end_child_processes()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def show_outcome(outcome: SuiteOutcome, output_format: str, validated_only: bool, out: TextIO, err: TextIO) -> int:
    """Print what the suite did (nagios lines, a table or JSON), then its problems on `err`; the exit code."""
    if validated_only:
        _write(out, f"SUITE OK - {outcome.suite.path}: {len(outcome.suite.checks)} checks, valid")
        return 0
    if output_format == "auto":
        isatty = getattr(out, "isatty", None)
        output_format = "table" if isatty and isatty() else "nagios"
    if output_format == "json":
        import json

        from cronchecks.suite.runner import as_json

        _write(out, json.dumps(as_json(outcome.runs, outcome.elapsed, outcome.failures), ensure_ascii=False))
    elif output_format == "table":
        _print_table(outcome, out)
    else:
        from cronchecks.suite.runner import nagios_text

        _write(out, nagios_text(outcome.runs, outcome.failures))
    for problem in (*outcome.failures, *outcome.problems):
        _write(err, f"cronchecks suite: {problem}")
    return int(outcome.status)


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text + "\n")
        stream.flush()
    except (BrokenPipeError, OSError):
        pass  # the reader went away (`| head`); the exit code still tells the state


def _print_table(outcome: SuiteOutcome, out: TextIO) -> None:
    # rich costs ~30 ms to import: only a terminal (or --format table) pays it.
    import os

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cronchecks.core.result import Status
    from cronchecks.suite.runner import summary_counts

    colours = {Status.OK: "green", Status.WARNING: "yellow", Status.CRITICAL: "red", Status.UNKNOWN: "magenta"}
    # Every cell is a Text, never a string: rich reads a string as markup (and `:name:` as an
    # emoji), so a check's summary with `[/x]` in it would stop the suite with a MarkupError
    # and `[bold]` would restyle what a check said.
    title = f"SUITE {outcome.status.name} - {summary_counts(outcome.runs, outcome.failures)}"
    table = Table(title=Text(title, style="table.title"))
    for column in ("check", "type", "state", "summary", "time"):
        table.add_column(column)
    for run in outcome.runs:
        state = run.result.status
        table.add_row(Text(run.entry.name), Text(run.entry.type), Text(state.name, style=colours[state]),
                      Text(run.result.summary), Text(f"{run.duration:.3f} s"))
    Console(file=out, no_color="NO_COLOR" in os.environ, highlight=False, emoji=False, markup=False).print(table)
