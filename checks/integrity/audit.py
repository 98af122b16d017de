"""check-integrity's audit command: its exit code and its output, judged."""

from __future__ import annotations

import os
import re
import subprocess
import time

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.options import IntegrityOptions

_TAIL_LINES = 20  # of an audit command's output, as long output when it fails


def _command_argv(options: IntegrityOptions) -> str | list[str]:
    command = options.command or ""
    if options.shell or os.name == "nt":
        return command  # Windows parses its own command lines; --shell hands it to the shell
    import shlex

    try:
        return shlex.split(command)
    except ValueError as error:
        raise UsageError(f"invalid --command: {error}") from None


def _end_tree(process: subprocess.Popen) -> None:
    try:
        import psutil

        children = psutil.Process(process.pid).children(recursive=True)
    except Exception:
        children = []
    for victim in [process, *children]:
        try:
            victim.kill()
        except Exception:
            pass


def check_command(options: IntegrityOptions, runtime: Runtime) -> Result:
    pattern = None
    if options.expect_regex is not None:
        try:
            pattern = re.compile(options.expect_regex, re.MULTILINE)
        except re.error as error:
            raise UsageError(f"invalid --expect-regex {options.expect_regex!r}: {error}") from None
    argv = _command_argv(options)
    if not argv:
        raise UsageError("--command needs a command to run")
    shown_command = options.command.strip() if options.command else ""
    if len(shown_command) > 60:
        shown_command = shown_command[:57] + "..."
    runtime.log(1, f"running: {argv!r}{' (through the shell)' if options.shell else ''}")
    started = time.perf_counter()
    try:
        process = subprocess.Popen(argv, shell=options.shell, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=dict(runtime.env))
    except FileNotFoundError:
        program = argv if isinstance(argv, str) else argv[0]
        raise CheckError(f"cannot run the audit command: {program} not found") from None
    except OSError as error:
        raise CheckError(f"cannot run the audit command: {error.strerror or error}") from None
    remaining = runtime.remaining()
    try:
        # A little past the deadline: the whole-run watchdog answers first, with the
        # state --timeout-result asks for; this only bounds the wait for in-process callers.
        output, _ = process.communicate(timeout=None if remaining is None else remaining + 0.5)
    except subprocess.TimeoutExpired:
        _end_tree(process)
        process.communicate()
        return Result(Status.CRITICAL, f"audit command {shown_command} did not finish in time")
    finally:
        if process.poll() is None:
            _end_tree(process)
    elapsed = time.perf_counter() - started
    text = output.decode("utf-8", "replace")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    last = lines[-1][:100] if lines else "no output"
    perfdata = [Perfdata("time", round(elapsed, 3), "s", minimum=0)]
    code = process.returncode
    failures = []
    if code != 0:
        failures.append(f"killed by signal {-code}" if code < 0 else f"exited {code}")
    expectation = ""
    if options.expect is not None:
        expectation = f"'{options.expect}'"
        if options.expect not in text:
            failures.append(f"{expectation} not in its output")
    elif pattern is not None:
        expectation = f"/{options.expect_regex}/"
        if not pattern.search(text):
            failures.append(f"no match for {expectation} in its output")
    if failures:
        summary = f"audit command {shown_command} {' and '.join(failures)}: {last}"
        return Result(Status.CRITICAL, summary, perfdata, lines[-_TAIL_LINES:])
    found = f", {expectation} found" if expectation else ""
    return Result(Status.OK, f"audit command {shown_command} passed (exit 0{found})", perfdata)
