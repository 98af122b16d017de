"""check-http: does an HTTP(S) endpoint answer as expected: status, body, JSON, time, certificate?

The check in three steps kept apart: plan (checked options, before any I/O), request (one
exchange through the house HTTP client) and judge (the exchange as a Result); here, the
retries around them.
"""

from __future__ import annotations

import time

from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import format_duration
from cronchecks.http.judge import judge_outcome
from cronchecks.http.options import DEFAULT_RETRY_DELAY, HttpOptions
from cronchecks.http.plan import prepare
from cronchecks.http.request import DEADLINE_MARGIN, open_client, send
from cronchecks.support.secrets import scrub


def check_http(options: HttpOptions, runtime: Runtime) -> Result:
    """Ask once (or again, with --retries, until it is OK) and judge the last answer."""
    plan = prepare(options, runtime.env)
    secrets = plan.secrets

    def say(level: int, message: str) -> None:
        runtime.log(level, scrub(message, *secrets))

    attempts = options.retries + 1
    delay = DEFAULT_RETRY_DELAY if options.retry_delay is None else options.retry_delay
    earlier: list[str] = []
    result = attempt = None  # attempts >= 1, so the loop sets both: this says so to readers and mypy
    with open_client(plan, runtime.env) as client:
        for attempt in range(1, attempts + 1):
            if attempts > 1:
                say(1, f"attempt {attempt} of {attempts}")
            result = judge_outcome(plan, send(client, plan, runtime, say), runtime)
            if result.status is Status.OK or attempt == attempts:
                break
            wait = delay * 2 ** (attempt - 1)
            remaining = runtime.remaining()
            if remaining is not None and remaining <= wait + DEADLINE_MARGIN:
                say(1, f"no time left for another attempt ({format_duration(remaining)} left)")
                break
            earlier.append(f"attempt {attempt}: {result.status.name} - {result.summary}")
            say(1, f"attempt {attempt}: {result.status.name} - {result.summary}; again in {format_duration(wait)}")
            time.sleep(wait)
    assert result is not None and attempt is not None
    if options.retries:
        result = _with_attempts(result, attempt, attempts, earlier)
    return Result(result.status, scrub(result.summary, *secrets), result.perfdata,
                  [scrub(detail, *secrets) for detail in result.details])


def _with_attempts(result: Result, attempt: int, attempts: int, earlier: list[str]) -> Result:
    summary = result.summary + (f", after {attempt} attempts" if attempt > 1 else "")
    perf = [*result.perfdata, Perfdata("attempts", attempt, "", minimum=1, maximum=attempts)]
    return Result(result.status, summary, perf, [*earlier, *result.details])
