"""`cronchecks suite` from options to what happened: load, run, record, export, submit; nothing printed."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cronchecks.core.hostname import host_name
from cronchecks.core.result import Status

if TYPE_CHECKING:
    from cronchecks.alerting.channels.base import Channel
    from cronchecks.alerting.store import Store
    from cronchecks.suite.file import Suite
    from cronchecks.suite.runner import CheckRun


class SuiteOptions(NamedTuple):
    path: Path
    validate_only: bool = False
    jobs: int = 16
    prometheus: str | None = None
    icinga2: str | None = None
    nagios_cmd: str | None = None
    # Nagios' passive channels, for every check that names none of its own
    nsca: str | None = None
    nsca_encryption: str | None = None
    nrdp: str | None = None
    host: str | None = None
    ttl: float = 900.0
    state_dir: str | None = None
    record: bool = True
    keep: float = 90 * 86400.0
    notify_timeout: float = 10.0
    outbox_expiry: float = 86400.0
    prometheus_labels: tuple[str, ...] = ()  # K=V; `suite` overrides the file's stem
    pushgateway: str | None = None
    pushgateway_labels: tuple[str, ...] = ()
    # the channel configuration file, and whether a run's messages go as one per channel
    config: str | None = None
    group: bool = True


class SuiteOutcome(NamedTuple):
    """What a suite did, for the command line to show; every side effect is already done."""

    suite: Suite
    runs: list[CheckRun]  # one per check, in the file's order; empty when only validated
    status: Status
    elapsed: float  # seconds the checks took, all of them
    host: str  # the name results were recorded and submitted under
    problems: list[str]  # one line each: what went wrong recording, exporting or submitting
    timed_out: bool  # a check hung: its thread may still run, so the process should not wait for it
    failures: tuple[str, ...] = ()  # what makes the suite UNKNOWN though its checks ran (a refused textfile)


def run_suite_command(options: SuiteOptions, env: Mapping[str, str]) -> SuiteOutcome:
    """Load and check the file, run every check, then record, export and submit, in that order.

    Everything goes out before the caller prints: a scheduler that kills the process once
    it has its output, or a reader that closes the pipe (`| head`), cannot lose a record or
    an alert. Trouble with one export is a line in `problems`, never a lost run.
    """
    from cronchecks.alerting.config import read_config
    from cronchecks.suite.file import load_suite
    from cronchecks.suite.runner import suite_status

    configured = read_config(options.config, env)  # its [defaults] come under the suite file's own
    suite = load_suite(options.path, env, configured.defaults)._replace(windows=configured.windows)
    # One name for this machine, the same as `cronchecks run` gives it: alerts of the same
    # check from run and from a suite then agree, and Icinga 2's host matches `hostname`.
    host = options.host or host_name()
    channels_by_check = _channels(suite, env, host, options, configured) if options.record else {}
    # Where results are submitted is checked before anything runs, as the channels are: a
    # target that cannot be used is a usage mistake (one UNKNOWN line, exit 3). A target that
    # can be used but fails now (down, refusing) is a line on stderr, and the suite's state
    # stays its checks' state, as a notifier's failure never changes `run`'s.
    icinga2 = None
    if options.icinga2 is not None:
        from cronchecks.suite.icinga2 import icinga2_target

        icinga2 = icinga2_target(options.icinga2, env)
    if not options.record and (options.nsca or options.nrdp):
        from cronchecks.core.errors import UsageError

        raise UsageError("--nsca and --nrdp deliver through the store's outbox: drop --no-record")
    if options.nagios_cmd is not None and not options.nagios_cmd.strip():
        from cronchecks.core.errors import UsageError

        raise UsageError("invalid --nagios-cmd '': give the path of Nagios' external command file")
    labels = pushgateway = None
    if options.prometheus is not None:
        from cronchecks.suite.prometheus import suite_labels

        labels = suite_labels(suite, options.prometheus, options.prometheus_labels)
    elif options.prometheus_labels:
        from cronchecks.core.errors import UsageError

        raise UsageError("--prometheus-label goes with --prometheus")
    if options.pushgateway is not None:
        from cronchecks.alerting.channels.pushgateway import pushgateway_target

        pushgateway = pushgateway_target(options.pushgateway, options.pushgateway_labels, env)
    elif options.pushgateway_labels:
        from cronchecks.core.errors import UsageError

        raise UsageError("--pushgateway-label goes with --pushgateway")
    if options.validate_only:
        return SuiteOutcome(suite, [], Status.OK, 0.0, host, [], False)
    # The store is opened before anything runs: a --state-dir that names a file, or a name
    # too long for the file system, is one UNKNOWN line now, not an internal error after the
    # checks ran (and their alerts were lost).
    store = _open_store(options, env) if options.record else None
    try:
        started = time.monotonic()
        runs = _run_with_progress(suite, env, options.jobs)
        elapsed = time.monotonic() - started
        problems: list[str] = []
        last_success: dict[str, float | None] = {}
        if store is not None:
            _record(suite, store, runs, options, host, channels_by_check, problems.append)
            if labels is not None or pushgateway is not None:
                last_success = _last_successes(store, runs, problems.append)
    finally:
        if store is not None:
            store.close()
    failures: list[str] = []
    if labels is not None or pushgateway is not None:
        from cronchecks.suite.prometheus import check_metrics

        metrics = check_metrics(runs, last_success)
        if labels is not None and options.prometheus is not None:
            from cronchecks.alerting.metrics import render, textfile_refusal, write_textfile

            try:
                write_textfile(Path(options.prometheus), render(metrics, labels))
            except OSError as error:  # node_exporter would serve the last file as if it were now: say so
                failures.append(textfile_refusal(options.prometheus, error))
        if pushgateway is not None:
            from cronchecks.alerting.channels.pushgateway import push

            problem = push(pushgateway, options.path.stem, host, metrics, env, options.notify_timeout)
            if problem:
                problems.append(problem)
    if icinga2 is not None:
        from cronchecks.suite.icinga2 import submit_icinga2

        problems.extend(submit_icinga2(icinga2, runs, host, options.ttl, env, options.notify_timeout))
    if options.nagios_cmd:
        from cronchecks.core.errors import UsageError
        from cronchecks.suite.nagios import nagios_command_lines, write_nagios_commands

        try:
            write_nagios_commands(options.nagios_cmd, nagios_command_lines(runs, host))
        except UsageError as error:
            problems.append(error.message)
    return SuiteOutcome(suite, runs, suite_status(runs, failures), elapsed, host, problems,
                        any(run.timed_out for run in runs), tuple(failures))


def _run_with_progress(suite: Suite, env: Mapping[str, str], jobs: int) -> list[CheckRun]:
    """run_suite, with a bar of checks done on stderr when it is a terminal and the suite runs a while."""
    import sys

    from cronchecks.suite.runner import run_suite
    from cronchecks.support.progress import ScanProgress

    progress = ScanProgress(sys.stderr, len(suite.checks), "checks", enabled=True, no_color="NO_COLOR" in env,
                            unit="items")
    try:
        return run_suite(suite, env, jobs, progress.advance if progress.enabled else None)
    finally:
        progress.close()


def _last_successes(store: Store, runs: list[CheckRun], say: Callable[[str], None]) -> dict[str, float | None]:
    """Each check's last OK run from the store, so a failing run keeps the batch-job metric where it was."""
    import sqlite3

    try:
        return {run.entry.name: store.last_success(run.entry.name) for run in runs}
    except sqlite3.Error as error:
        say(f"last successes not read: {error}")
        return {}


def _channels(suite, env, host, options: SuiteOptions, configured):
    from cronchecks.alerting.channels.options import build_channels

    if options.nsca_encryption and not options.nsca:
        from cronchecks.core.errors import UsageError

        raise UsageError("--nsca-encryption goes with --nsca")
    from cronchecks.alerting.config import build_named

    built = {}
    for entry in suite.checks:
        channels = entry.channels
        # The command line's Nagios channels are every check's, unless its own file says otherwise.
        if options.nsca and not channels.nsca:
            channels = channels._replace(nsca=options.nsca, nsca_encryption=options.nsca_encryption)
        if options.nrdp and not channels.nrdp:
            channels = channels._replace(nrdp=options.nrdp)
        try:
            built[entry.name] = build_channels(channels, env, host)
            # The config file's channels: those the check names, else its `default = true` ones.
            built[entry.name] += build_named(configured.pick(entry.named, "channels"), env, host)
        except Exception as error:
            from cronchecks.suite.file import SuiteError

            message = getattr(error, "message", str(error))
            raise SuiteError(f"{suite.path}:{entry.line}: check '{entry.name}': {message}") from None
    return built


def _open_store(options: SuiteOptions, env: Mapping[str, str]) -> Store:
    from cronchecks.alerting.run import state_folder
    from cronchecks.alerting.store import Store, StoreError
    from cronchecks.suite.file import SuiteError

    folder = state_folder(options.state_dir, env)
    try:
        if folder.exists() and not folder.is_dir():
            raise SuiteError(f"cannot use the state folder {folder} (--state-dir or CRONCHECKS_STATE_DIR): "
                             "it is not a folder")
        return Store(folder)
    except StoreError as error:
        raise SuiteError(f"{error} (--state-dir or CRONCHECKS_STATE_DIR)") from None
    except OSError as error:  # a name too long for the file system, a folder we may not look into
        raise SuiteError(f"cannot use the state folder {folder} (--state-dir or CRONCHECKS_STATE_DIR): "
                         f"{error.strerror or error}") from None


def _record(suite: Suite, store: Store, runs: list[CheckRun], options: SuiteOptions, host: str,
            channels_by_check: dict[str, list[Channel]], say: Callable[[str], None]) -> None:
    import sqlite3

    from cronchecks.alerting.outbox import flush
    from cronchecks.alerting.recorder import enqueue_grouped, record_result
    from cronchecks.alerting.store import StoreError
    from cronchecks.suite.dependencies import dependents, levels
    from cronchecks.suite.passive_result import full_plugin_text

    parents = {run.entry.name: run.entry.depends_on for run in runs}
    children = dependents(parents)
    position = {run.entry.name: index for index, run in enumerate(runs)}
    # Grouping: what the run owes a chat or mail channel goes as one message, queued in one transaction
    # with the results, so that the outbox's promise holds (nothing lost, nothing twice).
    grouped: list | None = [] if options.group and suite.group else None
    try:
        # One transaction for the whole suite (each record's own nests in it): one commit and one fsync
        # instead of one per check, and a reader sees all of a run's results or none.
        with store.transaction():
            # Parents first: a child's hold is read from its parent's state as this run left it.
            for name in (name for level in levels(parents) for name in level):
                run = runs[position[name]]
                output = "\n".join([run.result.summary, *run.result.details])[-4000:]
                channels = channels_by_check.get(run.entry.name, [])
                # The plugin's whole text is for the channels that pass results on (NSCA, NRDP): made for them only.
                wanted = any(getattr(channel, "wants_plugin_output", False) for channel in channels)
                decision = record_result(
                    store, check=run.entry.name, host=host, status=run.result.status, exit_code=run.exit_code,
                    duration=run.duration, summary=run.result.summary, perfdata=run.result.perfdata,
                    output=output, at=run.at, policy=run.entry.policy, channels=channels, keep=options.keep,
                    plugin_output=full_plugin_text(run) if wanted else None,
                    windows=(*suite.windows, *run.entry.windows), depends_on=run.entry.depends_on,
                    dependents=children[name], grouped=grouped)
                if decision.held and decision.held.startswith("dependency: "):
                    parent, _, state = decision.held.removeprefix("dependency: ").rpartition(" ")
                    summary = f"{run.result.summary} (depends on {parent}, which is {state}: messages held)"
                    runs[position[name]] = run._replace(result=run.result._replace(summary=summary))
            if grouped:
                enqueue_grouped(store, grouped, host, time.time())
    except (StoreError, sqlite3.Error, OSError) as error:  # the checks ran: say it, keep their states
        say(f"not recorded: {type(error).__name__}: {error}")
        return
    unique = {c.fingerprint: c for channels in channels_by_check.values() for c in channels}
    try:
        flush(store, list(unique.values()), budget=options.notify_timeout, expiry=options.outbox_expiry, say=say)
    except Exception as error:  # delivery trouble never changes the exit code
        say(f"delivery failed: {type(error).__name__}: {error}")
