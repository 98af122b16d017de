"""Run one check function under the whole-run timeout; every failure becomes a Result."""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

from cronchecks.core.errors import CheckError, DeadlinePassed
from cronchecks.core.result import Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import format_duration


class Outcome(NamedTuple):
    """A Result with the wall time it took and whether the timeout cut it short."""

    result: Result
    duration: float
    timed_out: bool = False


def call_guarded(check: Callable[[Any, Runtime], object], options: Any, runtime: Runtime) -> Result:
    """Call a check; typed errors and any other exception become UNKNOWN results.

    DeadlinePassed goes through: only the caller knows the timeout state.
    """
    try:
        # object, not Result: a check is outside code to this function, and what it returns is checked below
        result: object = check(options, runtime)
    except DeadlinePassed:
        raise
    except CheckError as error:
        return Result(Status.UNKNOWN, error.message)
    except Exception as error:  # the last resort: never a traceback on stdout
        if runtime.verbosity >= 3:
            traceback.print_exc(file=runtime.stderr)
        return Result(Status.UNKNOWN, f"internal error: {type(error).__name__}: {error}")
    if not isinstance(result, Result):
        return Result(Status.UNKNOWN, f"internal error: check returned {type(result).__name__}, not a Result")
    return result


def execute(
    check: Callable[[Any, Runtime], Result],
    options: Any,
    runtime: Runtime,
    timeout: float,
    timeout_status: Status = Status.CRITICAL,
) -> Outcome:
    """Run `check` in a worker thread and stop waiting for it after `timeout` seconds.

    A thread, not SIGALRM: it works on Windows and inside a suite's thread pool. A
    check that hangs is abandoned (its thread is a daemon); the caller decides what to
    do with what it started (the CLI ends the process tree and exits at once).
    """
    started = time.monotonic()
    runtime.deadline = started + timeout
    box: list[Result | None] = []

    def attempt() -> None:
        try:
            box.append(call_guarded(check, options, runtime))
        except DeadlinePassed:
            box.append(None)  # the check saw the deadline go by: the watchdog's answer, whichever came first

    worker = threading.Thread(target=attempt, name="check", daemon=True)
    worker.start()
    # A wait longer than the platform's longest (about 292 years on Linux) overflows: no
    # check is meant to outlive that, so `-t 999999999d` means "as long as it takes".
    worker.join(min(timeout, threading.TIMEOUT_MAX))
    duration = time.monotonic() - started
    if box and box[0] is not None:
        return Outcome(box[0], duration)
    summary = f"timed out after {format_duration(timeout)}"
    return Outcome(Result(timeout_status, summary), duration, timed_out=True)


def end_child_processes(grace: float = 0.5) -> None:
    """Terminate, then kill, every process this one started (the check's subprocesses)."""
    try:
        import psutil
    except ImportError:  # psutil is a dependency; without it there is nothing portable to do
        return
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
