"""`cronchecks run`: run any command, pass its output and exit code through, and alert on failures."""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cronchecks.alerting.channels.options import ChannelOptions
from cronchecks.alerting.policy import REMEDIATION, Decision, Policy
from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import host_name


@dataclass(frozen=True, kw_only=True)
class Exports:
    """Where a run's metrics go besides the channels: a textfile for node_exporter, a Pushgateway."""

    prometheus: str | None = None  # the exact textfile
    prometheus_labels: Mapping[str, str] = field(default_factory=dict)
    pushgateway: Any = None  # cronchecks.alerting.channels.pushgateway.PushTarget


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """Everything `cronchecks run` was told, already validated."""

    command: tuple[str, ...]
    name: str | None = None
    host: str | None = None
    timeout: float = 60.0
    nagios: bool | None = None  # None: yes for commands named check_* / check-*
    state_dir: str | None = None
    keep: float = 90 * 86400.0
    policy: Policy = field(default_factory=Policy)
    channels: ChannelOptions = field(default_factory=ChannelOptions)
    ping: str | None = None
    notify_timeout: float = 10.0
    outbox_expiry: float = 86400.0
    on_fail: tuple[str, ...] = ()
    on_fail_after: int = 1
    on_fail_when: str | None = None
    on_fail_limit: tuple[int, float] = (3, 3600.0)
    on_fail_ssh: Any = None  # cronchecks.support.ssh.SshTarget: the remediation runs on that host
    lock: bool = False
    verbosity: int = 0
    exports: Exports = field(default_factory=Exports)
    # when notices are owed and held (issue 15's policy half)
    depends_on: tuple[str, ...] = ()  # checks whose hard problem holds this one's notices
    duration_warning: Any = None  # cronchecks.core.thresholds.Range on the job's wall time, in seconds
    duration_critical: Any = None
    # the channel configuration file: its channels picked by --channel (or its defaults), its windows
    named_channels: tuple[Any, ...] = ()  # cronchecks.alerting.config.NamedChannel
    windows: tuple[Any, ...] = ()  # cronchecks.alerting.windows.MaintenanceWindow


def duration_verdict(duration: float, warning: Any, critical: Any) -> tuple[Status, str]:
    """The state the job's wall time calls for under --duration-warning/--duration-critical, and why."""
    from cronchecks.core.thresholds import format_duration, judge

    verdict = judge(duration, warning, critical)
    if verdict is Status.OK:
        return verdict, ""
    limit = critical if verdict is Status.CRITICAL and critical is not None else warning
    return verdict, f"ran {format_duration(duration)} ({limit.describe(format_duration)})"


def read_exports(prometheus: str | None, prometheus_labels: list[str], pushgateway: str | None,
                 pushgateway_labels: list[str], env: Mapping[str, str]) -> Exports:
    """The export options, checked before the command runs (a bad label or a missing extra is a UsageError)."""
    if prometheus is not None and not prometheus.strip():
        raise UsageError("invalid --prometheus '': give the textfile to write (e.g. /var/lib/prometheus/"
                         "node-exporter/backup.prom)")
    if prometheus_labels and prometheus is None:
        raise UsageError("--prometheus-label goes with --prometheus")
    if pushgateway_labels and pushgateway is None:
        raise UsageError("--pushgateway-label goes with --pushgateway")
    target = None
    if pushgateway is not None:
        from cronchecks.alerting.channels.pushgateway import pushgateway_target

        target = pushgateway_target(pushgateway, pushgateway_labels, env)
    if not prometheus_labels:  # the common case: no export module loaded for it
        return Exports(prometheus=prometheus, prometheus_labels={}, pushgateway=target)
    from cronchecks.alerting.metrics import parse_labels

    return Exports(prometheus=prometheus, prometheus_labels=parse_labels("--prometheus-label", prometheus_labels),
                   pushgateway=target)


def derive_name(command: tuple[str, ...]) -> str:
    """A stable name for a command line that shows no argument (arguments may hold secrets)."""
    program = Path(command[0]).name
    if program in ("cronchecks", "cronchecks.exe") and len(command) > 1:
        program = f"cronchecks-{command[1]}"
    import hashlib

    digest = hashlib.sha256("\0".join(command).encode()).hexdigest()[:8]
    return f"{program}-{digest}"


def speaks_nagios(command: tuple[str, ...]) -> bool:
    """Commands named like plugins are read as plugins: exit 1-3 are WARNING/CRITICAL/UNKNOWN.

    `cronchecks VERB` is one too, whatever the verb: every cronchecks command keeps the plugin
    contract, so the wrapper needs no list of which verbs are checks.
    """
    program = Path(command[0]).name.lower().removesuffix(".exe")
    return program.startswith(("check_", "check-")) or (program == "cronchecks" and len(command) > 1)


def state_folder(given: str | None, env: Mapping[str, str]) -> Path:
    if given:
        return Path(given).expanduser()
    if env.get("CRONCHECKS_STATE_DIR"):
        return Path(env["CRONCHECKS_STATE_DIR"]).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir("cronchecks", appauthor=False))


def status_of(exit_code: int, nagios: bool) -> Status:
    """The state a command's exit code records (DESIGN.md section 8)."""
    if exit_code == 0:
        return Status.OK
    if nagios and exit_code in (1, 2, 3):
        return Status(exit_code)
    return Status.CRITICAL


def parse_limit(text: str) -> tuple[int, float]:
    """`3/1h`: at most 3 remediations per hour."""
    from cronchecks.core.thresholds import ParseError, parse_duration

    count, sep, window = text.partition("/")
    try:
        number = int(count)
        seconds = parse_duration(window) if sep else 3600.0
    except (ValueError, ParseError):
        raise UsageError(f"invalid --on-fail-limit {text!r} (use COUNT/DURATION, e.g. 3/1h)") from None
    if number < 1 or seconds <= 0:
        raise UsageError(f"invalid --on-fail-limit {text!r} (count and duration must be above zero)")
    return number, seconds


class Wrapper:
    """One `cronchecks run`: its options, environment and streams, and the steps around the command."""

    def __init__(self, options: RunOptions, env: Mapping[str, str], stdout: TextIO, stderr: TextIO,
                 clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self.env = env
        self.stdout, self.stderr = stdout, stderr
        self.clock = clock
        self.name = options.name or derive_name(options.command)
        self.host = options.host or host_name()
        self.label = re.sub(r"\s+", "_", self.name).upper()
        self.nagios = speaks_nagios(options.command) if options.nagios is None else options.nagios
        self.lost = ""  # why this run could not be recorded, once it could not

    def say(self, message: str) -> None:
        """One line on stderr: how the wrapper tells about itself (never on stdout)."""
        print(f"cronchecks run [{self.name}]: {message}", file=self.stderr, flush=True)

    def print_line(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    # --- the run ------------------------------------------------------------------

    def run(self) -> int:
        """Run the command whatever happens to the store: the wrapper never stands between cron and the job."""
        from cronchecks.alerting.channels.options import build_channels
        from cronchecks.alerting.store import Store, StoreError

        options = self.options
        channels = build_channels(options.channels, self.env, self.host)  # mistakes surface before running
        if options.named_channels:
            from cronchecks.alerting.config import build_named

            channels += build_named(options.named_channels, self.env, self.host)
        pinger = self._pinger()
        folder = state_folder(options.state_dir, self.env)
        try:
            store: Store | None = Store(folder)
        except StoreError as error:
            self.say(f"{error}; the command runs, unrecorded")
            self.lost = str(error)
            store = None
        try:
            lock = None
            if options.lock:
                from cronchecks.support.lock import LockError, LockHeld, RunLock

                lock = RunLock(folder / "locks", self.name)
                try:
                    lock.acquire()
                except LockHeld as held:
                    # Not a result of the check: the run that holds the lock will give one.
                    # Counted as skipped, so a job stuck for many runs still shows.
                    reason = str(held)  # `held` is unbound after the except block; the lambda must not need it
                    self.print_line(f"{self.label} UNKNOWN - {reason}")
                    if store is not None:
                        self._safely(lambda: store.record_skipped(self.name, self.clock(), reason), "skipped run")
                    return int(Status.UNKNOWN)
                except LockError as error:
                    self.say(f"{error}; the command runs without the lock")
                    lock = None
            try:
                return self._run_locked(store, channels, pinger)
            finally:
                if lock:
                    lock.release()
        finally:
            if store is not None:
                self._flush(store, channels)
                store.close()
            if self.lost:  # no store, or one that failed mid-run: the notice cannot wait in its outbox
                self._announce_lost_record(channels)

    def _safely(self, step: Callable[[], Any], what: str) -> Any:
        """A step on the store; its failure is one line on stderr and the run goes on."""
        import sqlite3

        try:
            return step()
        except (sqlite3.Error, OSError) as error:
            self.lost = f"cannot record the {what}: {getattr(error, 'strerror', None) or error}"
            self.say(self.lost)
            return None

    def _announce_lost_record(self, channels) -> None:
        """Where the channels can still be reached, say that this run's record was lost (no outbox to keep it)."""
        from cronchecks.alerting.policy import CheckState
        from cronchecks.alerting.recorder import alert_event

        now = self.clock()
        decision = Decision(CheckState(Status.UNKNOWN, now, 1, Status.UNKNOWN, now), (), 0.0, None, None)
        event = alert_event("problem", check=self.name, host=self.host, status=Status.UNKNOWN,
                            summary=f"this run was not recorded: {self.lost}", output="", at=now, decision=decision)
        for channel in channels:
            try:
                if channel.accepts(event):
                    channel.send(event, timeout=min(self.options.notify_timeout, 10))
            except Exception as error:
                self.say(f"{channel.shown}: the notice of the lost record was not delivered: {error}")

    def _run_locked(self, store, channels, pinger) -> int:
        from cronchecks.core.pluginoutput import parse_plugin_output
        from cronchecks.support.process import run_command

        options = self.options
        run_id = str(uuid.uuid4())
        self._ping(pinger, "start", run_id)
        started = self.clock()
        finished = run_command(options.command, options.timeout)
        parsed = parse_plugin_output(finished.stdout)
        first_line = parsed.summary or next(iter(finished.stderr.strip().splitlines()), "")
        if finished.start_error:
            status, exit_code, summary = Status.UNKNOWN, int(Status.UNKNOWN), finished.start_error
            self.print_line(f"{self.label} UNKNOWN - {summary}")
        elif finished.timed_out:
            from cronchecks.core.thresholds import format_duration

            status, exit_code = Status.CRITICAL, int(Status.CRITICAL)
            summary = f"timed out after {format_duration(options.timeout)}; the command was ended"
            self.print_line(f"{self.label} CRITICAL - {summary}")
        else:
            exit_code = finished.exit_code if finished.exit_code is not None else int(Status.UNKNOWN)
            status = status_of(exit_code, self.nagios)
            if self.nagios or exit_code == 0:
                summary = first_line or f"exit code {exit_code}"
            else:
                summary = f"exit code {exit_code}" + (f": {first_line}" if first_line else "")
        output = finished.stdout + finished.stderr
        perfdata = list(parsed.perfdata)
        if options.duration_warning is not None or options.duration_critical is not None:
            # The recorded state is the worse of the job's and its wall time's; the exit code stays the job's.
            from cronchecks.core.result import Perfdata, worst

            limited, why = duration_verdict(finished.duration, options.duration_warning, options.duration_critical)
            if limited is not Status.OK and not (finished.start_error or finished.timed_out):
                status = worst([status, limited])
                summary = f"{summary}; {why}"
            perfdata = [datum for datum in perfdata if datum.label != "duration"]
            perfdata.append(Perfdata("duration", round(finished.duration, 6), "s",
                                     options.duration_warning and options.duration_warning.render(),
                                     options.duration_critical and options.duration_critical.render()))
        said = f"{summary}\n" if finished.start_error or finished.timed_out else ""  # what we printed instead
        tail = said + output[-4000:]
        # What Nagios is told through NSCA/NRDP: a plugin's own text, else our summary over the output.
        if said:
            plugin_text = f"{self.label} {status.name} - {said}"
        elif self.nagios and finished.stdout.strip():
            plugin_text = finished.stdout
        else:
            first, _, rest = output.partition("\n")
            # the summary already holds the output's first line: the long output is what follows it
            plugin_text = f"{summary}\n{(rest if first.strip() and first.strip() in summary else output)}"
            plugin_text = plugin_text.replace("|", "/")
        decision = self._record(store, channels, status, exit_code, finished.duration, summary,
                                perfdata, tail, started, plugin_text) if store is not None else None
        if decision is not None and decision.held and options.verbosity:
            self.say(f"messages held: {decision.held}")
        self._export(store, status, exit_code, finished.duration, perfdata, started)
        if status is not Status.OK and options.on_fail and store is not None and decision is not None:
            self._remediate(store, channels, decision, output)
        # The whole output, not the record's 4000-character tail: the ping cuts it to the server's own limit.
        self._ping(pinger, "finish", run_id, exit_code, said + output, store=store)
        return exit_code

    # --- recording and messages ------------------------------------------------------

    def _record(self, store, channels, status: Status, exit_code: int | None, duration: float, summary: str,
                perfdata, tail: str, at: float, plugin_text: str | None = None) -> Decision | None:
        from cronchecks.alerting.recorder import record_result

        decision = self._safely(lambda: record_result(
            store, check=self.name, host=self.host, status=status, exit_code=exit_code, duration=duration,
            summary=summary, perfdata=perfdata, output=tail, at=at, policy=self.options.policy, channels=channels,
            keep=self.options.keep, plugin_output=plugin_text, windows=self.options.windows,
            depends_on=self.options.depends_on), "result")
        if decision is None:
            return None
        if self.options.verbosity:
            self.say(f"recorded {status.name} (exit {exit_code}, {decision.state.consecutive} non-OK in a row)"
                     + "".join(f"; announcing {kind.replace('_', ' ')}" for kind in decision.notices))
        return decision

    # --- metrics exports ----------------------------------------------------------------

    def _export(self, store, status: Status, exit_code: int, duration: float, perfdata, at: float) -> None:
        """The textfile and the Pushgateway: each failure one line on stderr; the exit code stays the command's."""
        exports = self.options.exports
        if exports.prometheus is None and exports.pushgateway is None:
            return
        from cronchecks.alerting.metrics import CheckMetrics

        last_success = at if status is Status.OK else None
        if store is not None and last_success is None:
            # Kept across runs from the store: a failing run does not reset the batch-job metric.
            last_success = self._safely(lambda: store.last_success(self.name), "last success")
        metrics = [CheckMetrics(self.name, int(status), duration, at, last_success,
                                None if self.nagios else exit_code, tuple(perfdata))]
        if exports.prometheus is not None:
            from cronchecks.alerting.metrics import render, textfile_refusal, write_textfile

            try:
                write_textfile(exports.prometheus, render(metrics, exports.prometheus_labels))
            except OSError as error:
                self.say(textfile_refusal(exports.prometheus, error))
        if exports.pushgateway is not None:
            from cronchecks.alerting.channels.pushgateway import push

            problem = push(exports.pushgateway, self.name, self.host, metrics, self.env,
                           min(self.options.notify_timeout, 10.0))
            if problem:
                self.say(problem)

    # --- remediation ------------------------------------------------------------------

    def _remediate(self, store, channels, decision: Decision, output: str) -> None:
        from cronchecks.support.process import run_command

        options = self.options
        if decision.state.consecutive < options.on_fail_after:
            return
        if options.on_fail_when:
            from cronchecks.support.patterns import compile_pattern

            # RE2: a backtracking --on-fail-when must not hang the wrapper after the check has finished
            if compile_pattern("--on-fail-when", options.on_fail_when).search(output) is None:
                return
        limit, window = options.on_fail_limit
        now = self.clock()
        if store.remediations_since(self.name, now - window) >= limit:
            self.say(f"remediation skipped: already ran {limit} time(s) in the last {window:.0f} s")
            return
        shown = shlex.join(options.on_fail)
        failed = None
        if options.on_fail_ssh is not None:
            from cronchecks.support.ssh import run_remote, ssh_failure

            shown = f"{shown} on {options.on_fail_ssh.shown}"
            self.say(f"remediation: running {shown}")
            done = run_remote(options.on_fail_ssh, options.on_fail, options.timeout)
            failed = None if done.timed_out else ssh_failure(options.on_fail_ssh, done)
        else:
            self.say(f"remediation: running {shown}")
            done = run_command(options.on_fail, options.timeout, passthrough=False)
        code = None if failed else done.exit_code
        outcome_text = (failed or done.start_error or ("timed out" if done.timed_out else f"exit code {code}"))
        entry = store.log_remediation(self.name, now, shown, code, (done.stdout + done.stderr)[-2000:])
        # Re-run the check once to record whether the remediation helped; the caller still
        # sees the first run's output and exit code, as if there were no wrapper.
        again = run_command(options.command, options.timeout, passthrough=False)
        again_code = again.exit_code if again.exit_code is not None else int(Status.UNKNOWN)
        again_status = status_of(again_code, self.nagios) if not (again.start_error or again.timed_out) \
            else (Status.UNKNOWN if again.start_error else Status.CRITICAL)
        store.remediation_outcome(entry, helped=again_status is Status.OK)
        remediation = {"command": shown, "outcome": outcome_text, "helped": again_status is Status.OK,
                       "status_after": again_status.name}
        if REMEDIATION in options.policy.notify_on:
            from cronchecks.alerting.recorder import alert_event

            event = alert_event(REMEDIATION, check=self.name, host=self.host, status=again_status,
                                summary=f"ran {shown} ({outcome_text}); the check is now {again_status.name}",
                                output=(done.stdout + done.stderr)[-2000:], at=now, decision=decision,
                                remediation=remediation)
            with store.transaction():
                for channel in channels:
                    if channel.accepts(event):
                        store.enqueue(channel.fingerprint, event, now=now)
        self.say(f"remediation {outcome_text}; the check is now {again_status.name}")
        from cronchecks.core.pluginoutput import parse_plugin_output

        parsed = parse_plugin_output(again.stdout)
        summary = parsed.summary or (again.start_error or f"exit code {again_code}")
        self._record(store, channels, again_status, again_code, again.duration, summary, parsed.perfdata,
                     (again.stdout + again.stderr)[-4000:], self.clock(),
                     again.stdout if self.nagios and again.stdout.strip() else None)

    # --- lock, ping, delivery -----------------------------------------------------------

    ping_channel: Any = None  # the finish ping's outbox channel, once a --ping URL is set
    ping_spent = 0.0  # seconds of --notify-timeout the start ping used: the delivery at the end gets the rest

    def _pinger(self):
        if not self.options.ping:
            return None
        from cronchecks.alerting.channels.ping import PingChannel, Pinger

        pinger = Pinger(self.options.ping, self.env)
        self.ping_channel = PingChannel(pinger)
        return pinger

    def _ping(self, pinger, step: str, run_id: str, exit_code: int = 0, output: str = "", store=None) -> None:
        """The start ping, best-effort on a short deadline; the finish ping into the outbox (sent by _flush).

        Without a store (it could not be opened) the finish ping is sent here, retried within the
        notify timeout, and lost only if that fails.
        """
        if pinger is None:
            return
        from cronchecks.alerting.channels.base import DeliveryError
        from cronchecks.alerting.channels.ping import START_DEADLINE

        notify_timeout = self.options.notify_timeout
        started = time.monotonic()
        try:
            if step == "start":
                try:
                    pinger.start(run_id, timeout=min(START_DEADLINE, notify_timeout / 3))
                finally:
                    self.ping_spent = time.monotonic() - started
                return
            event = pinger.finish_event(run_id, exit_code, output, check=self.name, at=self.clock())
            if store is not None and self._safely(
                    lambda: store.enqueue(self.ping_channel.fingerprint, event, now=self.clock()) or True,
                    "finish ping"):
                return  # _flush delivers it with the other messages, and keeps it if it fails
            from cronchecks.alerting.channels.ping import retrying

            retrying(lambda left: pinger.send_finish(event, left), max(notify_timeout - self.ping_spent, 0.1))
        except DeliveryError as error:
            self.say(f"ping {step} failed: {error}")

    def _flush(self, store, channels) -> None:
        from cronchecks.alerting.outbox import flush

        if self.ping_channel is not None:
            channels = [*channels, self.ping_channel]
        try:
            flush(store, channels, budget=max(self.options.notify_timeout - self.ping_spent, 0.1),
                  expiry=self.options.outbox_expiry, say=self.say)
        except Exception as error:  # delivery trouble never changes the exit code
            self.say(f"delivery failed: {type(error).__name__}: {error}")


def run_wrapped(options: RunOptions, env: Mapping[str, str] | None = None, stdout: TextIO | None = None,
                stderr: TextIO | None = None) -> int:
    """Run the wrapper with the process's environment and streams; returns the exit code to use."""
    return Wrapper(options, os.environ if env is None else env, stdout or sys.stdout, stderr or sys.stderr).run()
