"""Run a suite: many checks in one process, in parallel, each under its own timeout, recorded like `run`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.suite.file import CheckEntry, Suite


class CheckRun(NamedTuple):
    """One check's outcome within a suite run."""

    entry: CheckEntry
    result: Result
    duration: float
    at: float
    exit_code: int
    timed_out: bool
    label: str  # the label of its line: the check's, or the one an external plugin printed

# An external plugin's own status line: `LABEL STATE - summary`.
_PLUGIN_LINE = re.compile(r"^(?P<label>\S(?:.*?\S)?) (?:OK|WARNING|CRITICAL|UNKNOWN)(?::| -) (?P<summary>.*)$")


def run_entry(entry: CheckEntry, env: Mapping[str, str]) -> CheckRun:
    """Run one check: ours in-process through the registry, a plugin as a subprocess."""
    at = time.time()
    if entry.invocation is not None:
        from cronchecks.core.execute import execute
        from cronchecks.core.registry import CHECKS
        from cronchecks.core.runtime import Runtime

        spec = CHECKS[entry.type]
        runtime = Runtime(env=env, verbosity=0)
        outcome = execute(spec.load_function(), entry.invocation.options, runtime, entry.timeout,
                          entry.timeout_status)
        result = outcome.result
        return CheckRun(entry, result, outcome.duration, at, int(result.status), outcome.timed_out, entry.label)
    return _run_plugin(entry, at)


def _run_plugin(entry: CheckEntry, at: float) -> CheckRun:
    from cronchecks.alerting.run import status_of
    from cronchecks.core.pluginoutput import parse_plugin_output
    from cronchecks.core.thresholds import format_duration
    from cronchecks.support.process import run_command

    if entry.ssh is not None:
        from cronchecks.support.ssh import run_remote, ssh_failure

        finished = run_remote(entry.ssh, entry.argv, entry.timeout)
        failed = None if finished.timed_out else ssh_failure(entry.ssh, finished)
        if failed:  # the host could not be asked: not the service's state
            return CheckRun(entry, Result(Status.UNKNOWN, failed), finished.duration, at, 3, False, entry.label)
    else:
        finished = run_command(entry.argv, entry.timeout, passthrough=False)
    if finished.start_error:
        return CheckRun(entry, Result(Status.UNKNOWN, finished.start_error), finished.duration, at, 3, False,
                        entry.label)
    if finished.timed_out:
        where = f" on {entry.ssh.shown}" if entry.ssh is not None else ""
        result = Result(entry.timeout_status, f"timed out after {format_duration(entry.timeout)}{where}")
        return CheckRun(entry, result, finished.duration, at, int(entry.timeout_status), True, entry.label)
    code = finished.exit_code if finished.exit_code is not None else 3
    parsed = parse_plugin_output(finished.stdout)
    status = status_of(code, entry.nagios)
    summary = parsed.summary or next(iter(finished.stderr.strip().splitlines()), f"exit code {code}")
    # A plugin's own line starts with its label and state: keep its label (unless the
    # suite file gave one) and what follows, so the line reads `LABEL STATE - summary` once.
    label = entry.label
    own = _PLUGIN_LINE.match(summary)
    if own:
        summary = own.group("summary")
        label = entry.label if entry.label_given else own.group("label")
    details = tuple(line for line in parsed.long_output.splitlines() if line.strip())
    return CheckRun(entry, Result(status, summary, parsed.perfdata, details), finished.duration, at, code, False,
                    label)


def run_suite(suite: Suite, env: Mapping[str, str], jobs: int,
              done: Callable[[int], None] | None = None) -> list[CheckRun]:
    """Every check of the suite, `jobs` at a time; a check that raises or hangs is UNKNOWN/timed out alone.

    `done(1)` is called as each check ends (a progress bar's advance; it must be thread-safe)."""
    def guarded(entry: CheckEntry) -> CheckRun:
        try:
            return run_entry(entry, env)
        except Exception as error:  # the last resort: one broken check must not stop the others
            result = Result(Status.UNKNOWN, f"internal error: {type(error).__name__}: {error}")
            return CheckRun(entry, result, 0.0, time.time(), 3, False, entry.label)
        finally:
            if done is not None:
                done(1)

    # Level by level (parents before their children, as `depends-on` says), in parallel within a level:
    # a child's hold is then read from its parent's result of this same run.
    from cronchecks.suite.dependencies import levels

    by_name = {entry.name: entry for entry in suite.checks}
    finished: dict[str, CheckRun] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="suite") as pool:
        for level in levels({entry.name: entry.depends_on for entry in suite.checks}):
            for run in pool.map(guarded, [by_name[name] for name in level]):
                finished[run.entry.name] = run
    return [finished[entry.name] for entry in suite.checks]


def summary_counts(runs: Sequence[CheckRun], failures: Sequence[str] = ()) -> str:
    """`1 critical, 3 ok`, then what made the suite itself UNKNOWN (a textfile it could not write)."""
    counts = dict.fromkeys((Status.CRITICAL, Status.WARNING, Status.UNKNOWN, Status.OK), 0)
    for run in runs:
        counts[run.result.status] += 1
    parts = [f"{n} {s.name.lower()}" for s, n in counts.items() if n or s is Status.OK]
    return "; ".join([", ".join(parts), *failures])


def suite_status(runs: Sequence[CheckRun], failures: Sequence[str] = ()) -> Status:
    return worst([*(run.result.status for run in runs), *([Status.UNKNOWN] if failures else [])])


def combined_perfdata(runs: Sequence[CheckRun]) -> list[Perfdata]:
    """Every check's perfdata, labelled `check::label`, for the suite's first line.

    Spaces in a check's name become `_` there: readers of perfdata such as Datadog's Nagios
    integration split a label at spaces, quoted or not.
    """
    return [datum._replace(label="_".join(run.entry.name.split()) + "::" + datum.label)
            for run in runs for datum in run.result.perfdata]


def nagios_text(runs: Sequence[CheckRun], failures: Sequence[str] = ()) -> str:
    """`SUITE STATE - counts | perfdata`, then `name: LABEL STATE - summary` per check (no '|')."""
    from cronchecks.core.output import nagios_lines

    head = Result(suite_status(runs, failures), summary_counts(runs, failures), combined_perfdata(runs))
    lines = [nagios_lines("SUITE", head)]
    for run in runs:
        line = nagios_lines(run.label, Result(run.result.status, run.result.summary)).replace("|", "/")
        lines.append(f"{run.entry.name}: {line}")
    return "\n".join(lines)


def as_json(runs: Sequence[CheckRun], duration: float, failures: Sequence[str] = ()) -> dict[str, Any]:
    from cronchecks.core.output import as_dict

    status = suite_status(runs, failures)
    return {
        "label": "SUITE", "status": status.name, "code": int(status), "summary": summary_counts(runs, failures),
        "duration": round(duration, 6),
        "checks": [{"name": run.entry.name, "type": run.entry.type, **as_dict(run.label, run.result, run.duration)}
                   for run in runs],
    }
