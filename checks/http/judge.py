"""check-http's judge step: the exchange (or the refusal) against every expectation, as one Result."""

from __future__ import annotations

import re
from typing import NamedTuple

from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import format_duration, format_size, judge
from cronchecks.http.connection import judge_connection
from cronchecks.http.options import describe_status_list, status_in
from cronchecks.http.plan import Plan
from cronchecks.http.request import SENSITIVE_HEADERS, Exchange, Refusal
from cronchecks.http.responses import ResponseRules
from cronchecks.support.secrets import redact_url


class Problem(NamedTuple):
    """One expectation not met: the status it calls for and the words for the summary."""

    status: Status
    text: str


def judge_outcome(plan: Plan, outcome: Exchange | Refusal, runtime: Runtime) -> Result:
    """The Result of one attempt: status codes, time, body, JSON and certificate, worst first."""
    if isinstance(outcome, Refusal):
        return Result(Status.CRITICAL, outcome.text)
    exchange = outcome
    rules = plan.response
    perfdata = [Perfdata("time", round(exchange.elapsed, 6), "s", plan.warning, plan.critical, minimum=0)]
    if not rules.no_body:  # a body not read has no size to report
        perfdata.append(Perfdata("size", len(exchange.body), "B", rules.expect_size, minimum=0))
    notes: list[str] = []  # remarks on the status line itself
    problems: list[Problem] = []

    code_status = Status.OK
    if status_in(exchange.code, plan.warn_status):
        code_status = Status.WARNING
        notes.append(f"degraded: --warn-status {describe_status_list(plan.warn_status)}")
    elif not status_in(exchange.code, plan.expect_status):
        code_status = Status.CRITICAL
        notes.append(f"expected {describe_status_list(plan.expect_status)}")

    time_status = judge(exchange.elapsed, plan.warning, plan.critical)
    if time_status is not Status.OK:
        breached = plan.critical if time_status is Status.CRITICAL else plan.warning
        assert breached is not None
        notes.append(f"{time_status.name.lower()} {breached.describe(format_duration)}")

    if exchange.truncated:
        # The expectations below see only the head of the body: say so wherever the result is read.
        judged = ", expectations judged on the part read" if _judges_body(plan) else ""
        notes.append(f"body cut at {exchange.max_body} B by --max-body{judged}")
    problems += _header_problems(rules, exchange)
    problems += _body_problems(plan, exchange)
    connection_perf, connection_problems = judge_connection(plan, exchange, runtime)
    perfdata += connection_perf
    problems += [Problem(status, text) for status, text in connection_problems]

    head = f"{exchange.code} {exchange.reason} from {exchange.url} in {exchange.elapsed:.3f} s"
    if exchange.location is not None:
        head += f" -> {redact_url(_absolute(exchange.url, exchange.location))}"
    status = worst([code_status, time_status, *(p.status for p in problems)])
    if status is Status.OK:
        head += ", body not read" if rules.no_body else f", {len(exchange.body)} B"
    if notes:
        head += f" ({'; '.join(notes)})"
    problems.sort(key=lambda p: (p.status is not Status.CRITICAL, p.status is not Status.WARNING))
    texts = [p.text for p in problems]
    parts = [head, *texts] if code_status is Status.CRITICAL else [*texts, head]
    details = [f"redirects: {' -> '.join([*exchange.redirects, exchange.url])}"] if exchange.redirects else []
    if exchange.truncated:
        details.append(f"body cut at {exchange.max_body} B ({format_size(exchange.max_body)}, --max-body): "
                       "the server sent more; the body expectations and the size judged the first "
                       f"{exchange.max_body} B")
    return Result(status, "; ".join(parts), perfdata, details)


def _absolute(base: str, location: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, location)


def _decoded(exchange: Exchange) -> str:
    match = re.search(r"charset=[\"']?([\w.:-]+)", exchange.content_type, re.IGNORECASE)
    encoding = match.group(1) if match else "utf-8"
    try:
        return exchange.body.decode(encoding, "replace")
    except LookupError:
        return exchange.body.decode("utf-8", "replace")


def _snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _body_problems(plan: Plan, exchange: Exchange) -> list[Problem]:
    problems: list[Problem] = []
    text = _decoded(exchange) if plan.expect_body or plan.reject_body or plan.response.warn_body else ""
    if plan.expect_body or plan.reject_body:
        problems.extend(Problem(Status.CRITICAL, f"body does not match --expect-body {pattern.pattern!r}")
                        for pattern in plan.expect_body if not pattern.search(text))
        for pattern in plan.reject_body:
            found = pattern.search(text)
            if found:
                problems.append(Problem(Status.CRITICAL, f"body matches --reject-body {pattern.pattern!r}: "
                                                         f"{_snippet(found.group(0))}"))
    if plan.response.warn_body:
        for pattern in plan.response.warn_body:
            found = pattern.search(text)
            if found:
                problems.append(Problem(Status.WARNING, f"body matches --warn-body {pattern.pattern!r}: "
                                                        f"{_snippet(found.group(0))}"))
    size = plan.response.expect_size
    if size is not None and size.alerts(len(exchange.body)):
        # A cut body is longer than every bound (the plan keeps them below --max-body): its verdict stands.
        shown = f"over {exchange.max_body} B" if exchange.truncated else f"{len(exchange.body)} B"
        problems.append(Problem(Status.WARNING, f"body is {shown}, expected --expect-size {size.text}"))
    if plan.expect_json:
        import json

        raw = exchange.body
        try:
            document = json.loads(raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw)
        except (ValueError, UnicodeDecodeError) as error:
            reason = str(error).split(":")[0] if str(error) else "unreadable"
            shown = _snippet(raw.decode("utf-8", "replace")) if raw.strip() else "empty"
            if exchange.truncated:
                reason += f", cut at {exchange.max_body} B by --max-body"
            return [*problems, Problem(Status.CRITICAL, f"body is not JSON ({reason}): {shown}")]
        for expectation in plan.expect_json:
            failure = expectation.failure(document)
            if failure is not None:
                problems.append(Problem(Status.CRITICAL, failure))
    return problems


def _judges_body(plan: Plan) -> bool:
    rules = plan.response
    return bool(plan.expect_body or plan.reject_body or plan.expect_json or rules.warn_body
                or rules.expect_size is not None)


def _header_problems(rules: ResponseRules, exchange: Exchange) -> list[Problem]:
    """--expect-header and --reject-header on the final answer's headers (a repeated one joined with ", ")."""
    problems: list[Problem] = []
    for rule in rules.expect_header:
        value = exchange.headers.get(rule.name)
        if value is None:
            problems.append(Problem(Status.CRITICAL, f"no {rule.name} header (--expect-header {rule.text!r})"))
        elif rule.pattern is not None and not rule.pattern.search(value):
            problems.append(Problem(Status.CRITICAL, f"header {rule.name} is {_header_value(rule.name, value)}, "
                                                     f"expected --expect-header {rule.text!r}"))
    for rule in rules.reject_header:
        value = exchange.headers.get(rule.name)
        if value is None:
            continue
        if rule.pattern is None:
            shown = _header_value(rule.name, value)
            problems.append(Problem(Status.CRITICAL, f"header {rule.name} is present ({shown}; "
                                                     f"--reject-header {rule.text!r})"))
            continue
        if rule.pattern.search(value):
            problems.append(Problem(Status.CRITICAL, f"header {rule.name} is {_header_value(rule.name, value)}, "
                                                     f"matching --reject-header {rule.text!r}"))
    return problems


def _header_value(name: str, value: str) -> str:
    # A cookie or a token in a response header is a credential: its name is told, never its value.
    return "'***'" if name.lower() in SENSITIVE_HEADERS else _snippet(value)
