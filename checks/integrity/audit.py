"""check-integrity's audit command: its exit code and its output, judged."""

from __future__ import annotations

import os
import subprocess

from cronchecks.core.errors import CheckError, DeadlinePassed, UsageError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.options import IntegrityOptions

_TAIL_LINES = 20  # of an audit command's output, as long output when it fails
_LINE_CHARS = 200  # of each of those lines: one huge line must not become the whole long output
# What is kept of its output, and searched for --expect: the start, and the end where the
# totals are; the middle of a huge output is counted but not kept (bounded memory).
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 1024 * 1024


def _command_argv(options: IntegrityOptions) -> str | list[str]:
    command = options.command or ""
    if options.shell or os.name == "nt":
        return command  # Windows parses its own command lines; --shell hands it to the shell
    import shlex

    try:
        return shlex.split(command)
    except ValueError as error:
        raise UsageError(f"invalid --command: {error}") from None


def check_command(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Run the audit command until the deadline; a non-zero exit or a missing expectation is CRITICAL."""
    from cronchecks.support.process import run_command

    pattern = None
    if options.expect_regex is not None:
        # RE2, not re: a backtracking pattern over a big output would hold the interpreter past -t
        from cronchecks.support.patterns import compile_pattern

        pattern = compile_pattern("--expect-regex", options.expect_regex, multiline=True)
    argv = _command_argv(options)
    if not argv:
        raise UsageError("--command needs a command to run")
    shown_command = options.command.strip() if options.command else ""
    if len(shown_command) > 60:
        shown_command = shown_command[:57] + "..."
    runtime.log(1, f"running: {argv!r}{' (through the shell)' if options.shell else ''}")
    # A short grace before the kill: the whole run must end within about a second of -t.
    finished = run_command(argv, runtime.remaining(), passthrough=False, env=dict(runtime.env), shell=options.shell,
                           stdin=subprocess.DEVNULL, stderr_to_stdout=True, head_bytes=HEAD_BYTES,
                           tail_bytes=TAIL_BYTES, grace=0.5)
    if finished.start_error:
        raise CheckError(f"cannot run the audit command: {finished.start_error}")
    if finished.timed_out:
        raise DeadlinePassed(f"audit command {shown_command} did not finish in time")
    text = finished.stdout
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    last = _printable(lines[-1][:100]) if lines else "no output"
    perfdata = [Perfdata("time", round(finished.duration, 3), "s", minimum=0)]
    failures = []
    if finished.signal is not None:
        failures.append(f"killed by signal {finished.signal}")
    elif finished.exit_code != 0:
        failures.append(f"exited {finished.exit_code}")
    expectation = ""
    unsearched = f" (of which {finished.elided} bytes in the middle were not kept)" if finished.elided else ""
    if options.expect is not None:
        expectation = f"'{options.expect}'"
        if options.expect not in text:
            failures.append(f"{expectation} not in its output{unsearched}")
    elif pattern is not None:
        expectation = f"/{options.expect_regex}/"
        if not pattern.search(text):
            failures.append(f"no match for {expectation} in its output{unsearched}")
    if failures:
        summary = f"audit command {shown_command} {' and '.join(failures)}: {last}"
        details = [_printable(line[:_LINE_CHARS]) for line in lines[-_TAIL_LINES:]]
        return Result(Status.CRITICAL, summary, perfdata, details)
    found = f", {expectation} found" if expectation else ""
    return Result(Status.OK, f"audit command {shown_command} passed (exit 0{found})", perfdata)


def _printable(line: str) -> str:
    # An audit's output may hold NULs or escape sequences; a Nagios line must not.
    return line if line.isprintable() else "".join(ch if ch.isprintable() else "?" for ch in line)
