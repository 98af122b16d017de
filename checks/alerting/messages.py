"""What an alert says in words (headline, facts, output), shared by mail and every webhook format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any, NamedTuple

from cronchecks.core.thresholds import format_duration

PROBLEM_KINDS = frozenset({"problem", "escalation", "reminder", "flapping_start", "remediation"})
CLEAR_KINDS = frozenset({"recovery", "flapping_stop"})


class Fact(NamedTuple):
    name: str
    value: str


def cut_middle(text: str, limit: int) -> str:
    """`text` within `limit` characters: the head and the tail kept, the middle replaced by a marker.

    The marker says how many characters went, so a reader knows the output is not whole.
    """
    limit = max(limit, 0)
    if len(text) <= limit:
        return text
    removed = len(text) - limit
    while True:  # the marker's own length depends on the count it shows: settle it
        marker = f"\n[... {removed} characters cut ...]\n"
        keep = limit - len(marker)
        if keep < 2:  # no room for a marker: a plain head is all that fits
            return text[:limit]
        if len(text) - keep == removed:
            break
        removed = len(text) - keep
    head = keep // 2
    return text[:head] + marker + text[len(text) - (keep - head):]


def fit(text: str, limit: int, measure: Callable[[str], int] = len) -> str:
    """`text` cut in the middle until `measure` of it (bytes, escaped length, UTF-16 units) is within `limit`."""
    if measure(text) <= limit:
        return text
    budget = min(len(text), limit)
    while True:
        cut = cut_middle(text, budget)
        size = measure(cut)
        if size <= limit or budget <= 0:
            return cut
        # shrink in proportion: one character may weigh several units (bytes, escapes)
        budget = min(budget - 1, budget * limit // size)


def utf16_length(text: str) -> int:
    """Length as JavaScript counts it (Discord's limits): characters beyond the BMP count twice."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def when(epoch: float | None) -> str:
    """A moment in local time with its UTC offset: cron users think in the machine's time."""
    if epoch is None:
        return "unknown"
    from datetime import datetime

    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def iso_time(epoch: float | None) -> str | None:
    """RFC 3339 in UTC, for receivers that render the time themselves (Discord, PagerDuty)."""
    if epoch is None:
        return None
    from datetime import datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def is_clear(event: dict[str, Any]) -> bool:
    """The event says a problem is over (recovery, flapping stopped)."""
    return event.get("event") == "alert" and event.get("kind") in CLEAR_KINDS


def headline(event: dict[str, Any]) -> str:
    """One line that says what happened, where: `CRITICAL: backup on web1`."""
    if event.get("event") == "report":
        return str(event.get("title") or "cronchecks report")
    if event.get("kind") == GROUP:
        return f"{group_counts(event)} on {event.get('host') or '?'}"
    check = event.get("check") or "?"
    host = event.get("host") or "?"
    status = event.get("status") or "UNKNOWN"
    where = f"{check} on {host}"
    kind = event.get("kind") or "problem"
    downtime = event.get("downtime")
    if event.get("event") == "run":
        return f"{status}: {where}"
    if kind == "recovery":
        lasted = f" after {format_duration(downtime)}" if downtime is not None else ""
        return f"RECOVERY: {where} is {status}{lasted}"
    if kind == "escalation":
        return f"{status} (was {event.get('previous') or '?'}): {where}"
    if kind == "reminder":
        since = event.get("since")
        at = event.get("at")
        lasting = f" for {format_duration(at - since)}" if since is not None and at is not None else ""
        return f"STILL {status}: {where}{lasting}"
    if kind == "flapping_start":
        return f"FLAPPING: {where} keeps changing state (now {status})"
    if kind == "flapping_stop":
        return f"FLAPPING STOPPED: {where} is {status}"
    if kind == "acknowledgement":
        comment = f": {event['comment']}" if event.get("comment") else ""
        return f"ACKNOWLEDGED: {where} ({status}){comment}"
    if kind == "downtime":
        return f"DOWNTIME {str(event.get('change') or 'changed').upper()}: {where} ({status})"
    if kind == "remediation":
        return f"REMEDIATION: {where} ({status}): {_remediation_outcome(event.get('remediation') or {})}"
    return f"{status}: {where}"


def facts(event: dict[str, Any]) -> list[Fact]:
    """The details a person wants next to the headline, in reading order."""
    kind = event.get("kind")
    if kind == GROUP:
        return [Fact("Host", str(event.get("host") or "?")), Fact("Checks", str(len(event.get("alerts") or ()))),
                Fact("At", when(event.get("at")))]
    found = [Fact("Check", str(event.get("check") or "?")), Fact("Host", str(event.get("host") or "?"))]
    status = str(event.get("status") or "UNKNOWN")
    previous = event.get("previous")
    found.append(Fact("Status", f"{status} (was {previous})" if previous and previous != status else status))
    since, at, downtime = event.get("since"), event.get("at"), event.get("downtime")
    if kind in CLEAR_KINDS:
        if since is not None:
            found.append(Fact("Started", when(since)))
        found.append(Fact("Ended", when(at)))
        if downtime is not None:
            found.append(Fact("Lasted", format_duration(downtime)))
    else:
        if since is not None:
            lasting = f" ({format_duration(at - since)})" if at is not None and at >= since else ""
            found.append(Fact("Since", when(since) + lasting))
        found.append(Fact("At", when(at)))
        if event.get("consecutive"):
            found.append(Fact("Consecutive failures", str(event["consecutive"])))
    if kind in ("flapping_start", "flapping_stop") and event.get("flap_percent") is not None:
        found.append(Fact("State changes", f"{event['flap_percent']}% of recent results"))
    if isinstance(event.get("holds"), list) and event["holds"]:  # a parent's problem: whose messages wait
        found.append(Fact("Holding the messages of", ", ".join(str(name) for name in event["holds"])))
    if kind == "acknowledgement" and event.get("comment"):
        found.append(Fact("Comment", str(event["comment"])))
    remediation = event.get("remediation")
    if isinstance(remediation, dict) and remediation:
        if remediation.get("command"):
            found.append(Fact("Remediation", str(remediation["command"])))
        found.append(Fact("Remediation outcome", _remediation_outcome(remediation)))
    return found


def shown_output(event: dict[str, Any]) -> tuple[str, str]:
    """The output to show and its label: a recovery that carries its problem's output shows that."""
    if event.get("kind") == GROUP:
        return "Checks", "\n\n".join(group_block(alert) for alert in event.get("alerts") or ())
    if is_clear(event) and event.get("problem_output"):
        return "Output when it failed", str(event["problem_output"])
    return "Output", str(event.get("output") or "")


# --- a suite run's messages as one: "2 problems, 1 recovery", then one block per check -------------------

GROUP = "group"
GROUP_BLOCK_LIMIT = 1500  # characters of one check's block: five checks' blocks fit every chat's message
# kind, one, many
_COUNTED = (("problem", "problem", "problems"), ("escalation", "escalation", "escalations"),
            ("reminder", "reminder", "reminders"), ("recovery", "recovery", "recoveries"),
            ("flapping_start", "flapping", "flapping"), ("flapping_stop", "flapping stopped", "flapping stopped"),
            ("remediation", "remediation", "remediations"))


def group_counts(event: dict[str, Any]) -> str:
    """`2 problems, 1 recovery`: the kinds of the grouped alerts, counted, in a fixed order."""
    alerts = event.get("alerts") or ()
    parts = []
    for kind, one, many in _COUNTED:
        count = sum(1 for alert in alerts if alert.get("kind") == kind)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    counted = {kind for kind, _, _ in _COUNTED}
    others = len(alerts) - sum(1 for alert in alerts if alert.get("kind") in counted)
    if others:
        parts.append(f"{others} other")
    return ", ".join(parts) or "no alerts"


def group_block(alert: dict[str, Any]) -> str:
    """One check's part of a grouped message: its headline, summary and output, within GROUP_BLOCK_LIMIT."""
    lines = [headline(alert)]
    summary = str(alert.get("summary") or "").strip()
    if summary:
        lines.append(summary)
    _, output = shown_output(alert)
    output = output.strip()
    if output and output != summary:
        lines.append(output)
    return cut_middle("\n".join(lines), GROUP_BLOCK_LIMIT)


def report_text(event: dict[str, Any]) -> str:
    """A report event's text, whatever shape the sender gave it."""
    for key in ("text", "summary", "output"):
        if isinstance(event.get(key), str) and event[key]:
            return event[key]
    import json

    rest = {key: value for key, value in event.items() if key not in ("event", "id", "title")}
    return json.dumps(rest, indent=2, sort_keys=True, default=str)


def _remediation_outcome(remediation: dict[str, Any]) -> str:
    code = remediation.get("exit_code")
    parts = []
    if remediation.get("command"):
        parts.append(f"ran {remediation['command']}")
    if remediation.get("outcome"):
        parts.append(str(remediation["outcome"]))
    elif code is not None:
        parts.append(f"exit code {code}")
    helped = remediation.get("helped")
    if helped is not None:
        parts.append("it helped" if helped else "it did not help")
    if remediation.get("skipped"):
        parts.append(f"skipped: {remediation['skipped']}")
    return ", ".join(parts) or "attempted"
