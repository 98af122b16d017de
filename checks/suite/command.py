"""`cronchecks suite` from options to exit code: load, run, record, print, export."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Mapping, NamedTuple

from cronchecks.core.result import Status
from cronchecks.core.runtime import host_name


class SuiteOptions(NamedTuple):
    path: Path
    validate_only: bool = False
    jobs: int = 16
    output_format: str = "auto"
    prometheus: str | None = None
    icinga2: str | None = None
    nagios_cmd: str | None = None
    host: str | None = None
    ttl: float = 900.0
    state_dir: str | None = None
    record: bool = True
    keep: float = 90 * 86400.0
    notify_timeout: float = 10.0
    outbox_expiry: float = 86400.0


def _fqdn() -> str:
    # The fully qualified name, as Icinga 2 and Nagios name hosts; it may take a DNS lookup.
    import socket

    return socket.getfqdn()


def _say(message: str) -> None:
    print(f"cronchecks suite: {message}", file=sys.stderr, flush=True)


def run_suite_command(options: SuiteOptions, env: Mapping[str, str]) -> int:
    from cronchecks.suite.runner import as_json, nagios_text, run_suite, suite_status
    from cronchecks.suite.file import load_suite

    suite = load_suite(options.path, env)
    host = options.host or (_fqdn() if (options.icinga2 or options.nagios_cmd) else host_name())
    channels_by_check = _channels(suite, env, host) if options.record else {}
    if options.validate_only:
        print(f"SUITE OK - {options.path}: {len(suite.checks)} checks, valid")
        return 0
    started = time.monotonic()
    runs = run_suite(suite, env, options.jobs)
    elapsed = time.monotonic() - started
    status = suite_status(runs)
    output_format = options.output_format
    if output_format == "auto":
        output_format = "table" if sys.stdout.isatty() else "nagios"
    if output_format == "json":
        import json

        print(json.dumps(as_json(runs, elapsed), ensure_ascii=False), flush=True)
    elif output_format == "table":
        _print_table(runs, status)
    else:
        print(nagios_text(runs), flush=True)
    if options.record:
        _record(runs, options, env, host, channels_by_check)
    if options.prometheus:
        from cronchecks.suite.prometheus import render, write_textfile

        try:
            write_textfile(Path(options.prometheus), render(runs))
        except OSError as error:
            _say(f"--prometheus {options.prometheus}: {error.strerror or error}")
    if options.icinga2:
        from cronchecks.suite.icinga2 import submit_icinga2

        for problem in submit_icinga2(options.icinga2, runs, host, options.ttl, env, options.notify_timeout):
            _say(problem)
    if options.nagios_cmd:
        from cronchecks.core.errors import UsageError
        from cronchecks.suite.nagios import nagios_command_lines, write_nagios_commands

        try:
            write_nagios_commands(options.nagios_cmd, nagios_command_lines(runs, host))
        except UsageError as error:
            _say(error.message)
    if any(run.timed_out for run in runs):
        # A hung check's thread cannot be interrupted; end what it started and leave.
        from cronchecks.core.execute import end_child_processes

        end_child_processes()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(status))
    return int(status)


def _channels(suite, env, host):
    from cronchecks.alerting.channels.options import build_channels

    built = {}
    for entry in suite.checks:
        try:
            built[entry.name] = build_channels(entry.channels, env, host)
        except Exception as error:
            from cronchecks.suite.file import SuiteError

            message = getattr(error, "message", str(error))
            raise SuiteError(f"{suite.path}:{entry.line}: check '{entry.name}': {message}") from None
    return built


def _record(runs, options: SuiteOptions, env, host, channels_by_check) -> None:
    from cronchecks.alerting.outbox import flush
    from cronchecks.alerting.recorder import record_result
    from cronchecks.alerting.run import state_folder
    from cronchecks.alerting.store import Store

    store = Store(state_folder(options.state_dir, env))
    try:
        for run in runs:
            output = "\n".join([run.result.summary, *run.result.details])[-4000:]
            record_result(store, check=run.entry.name, host=host, status=run.result.status, exit_code=run.exit_code,
                          duration=run.duration, summary=run.result.summary, perfdata=run.result.perfdata,
                          output=output, at=run.at, policy=run.entry.policy,
                          channels=channels_by_check.get(run.entry.name, []), keep=options.keep)
        unique = {c.fingerprint: c for channels in channels_by_check.values() for c in channels}
        try:
            flush(store, list(unique.values()), budget=options.notify_timeout, expiry=options.outbox_expiry, say=_say)
        except Exception as error:  # delivery trouble never changes the exit code
            _say(f"delivery failed: {type(error).__name__}: {error}")
    finally:
        store.close()


def _print_table(runs, status: Status) -> None:
    from rich.console import Console
    from rich.table import Table

    from cronchecks.suite.runner import summary_counts

    colours = {Status.OK: "green", Status.WARNING: "yellow", Status.CRITICAL: "red", Status.UNKNOWN: "magenta"}
    table = Table(title=f"SUITE {status.name} - {summary_counts(runs)}")
    for column in ("check", "type", "state", "summary", "time"):
        table.add_column(column)
    for run in runs:
        state = run.result.status
        table.add_row(run.entry.name, run.entry.type, f"[{colours[state]}]{state.name}[/]", run.result.summary,
                      f"{run.duration:.3f} s")
    Console(no_color="NO_COLOR" in os.environ).print(table)
