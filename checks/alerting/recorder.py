"""Record one result of a check and queue what it announces: shared by `run` and `suite`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from cronchecks.alerting.channels.base import Channel
from cronchecks.alerting.policy import CheckState, Decision, Policy, decide
from cronchecks.alerting.store import ResultRow, Store
from cronchecks.core.result import Perfdata, Status

ALERT_EVENT, RUN_EVENT = "alert", "run"


def perfdata_records(perfdata: Iterable[Perfdata]) -> list[dict[str, Any]]:
    return [{"label": p.label, "value": p.value, "uom": p.uom} for p in perfdata]


def alert_event(kind: str, *, check: str, host: str, status: Status, summary: str, output: str, at: float,
                decision: Decision, remediation: dict | None = None,
                problem_output: str | None = None) -> dict[str, Any]:
    """The event a notice becomes: everything a channel needs, and no secret.

    A recovery also carries `problem_output`, what the check said while it was failing
    (the last failing run's output): what the people reading it want to see again.
    """
    state = decision.state
    return {
        "event": ALERT_EVENT, "kind": kind, "id": str(uuid.uuid4()), "check": check, "host": host,
        "status": status.name, "previous": decision.previous.name if decision.previous else None,
        "summary": summary, "output": output, "at": at,
        "since": state.problem_since, "downtime": decision.downtime, "consecutive": state.consecutive,
        "flap_percent": round(decision.flap_percent, 1), "remediation": remediation,
        **({"problem_output": problem_output} if problem_output else {}),
    }


def record_result(store: Store, *, check: str, host: str, status: Status, exit_code: int | None, duration: float,
                  summary: str, perfdata: Sequence[Perfdata], output: str, at: float, policy: Policy,
                  channels: Sequence[Channel], keep: float | None, plugin_output: str | None = None,
                  windows: Sequence[Any] = (), depends_on: Sequence[str] = (),
                  dependents: Sequence[str] = ()) -> Decision:
    """Store the result, move the state on by the policy, queue alerts and run records: one transaction.

    `plugin_output`, the check's own text (status line, perfdata with thresholds, long output),
    goes with the run record for the channels that pass results on to Nagios (NSCA, NRDP).
    `windows` (maintenance windows), the store's downtimes, the parents in `depends_on` and the
    check's acknowledgement decide what is held (cronchecks.alerting.holds); `dependents`, the checks
    this one holds while it is down, are named in its problem messages.
    """
    from cronchecks.alerting.holds import hold_for
    perf = perfdata_records(perfdata)
    # Only a channel that passes results on to Nagios needs it: others' records stay small in the outbox.
    wanted = any(getattr(channel, "wants_plugin_output", False) for channel in channels)
    passive = _passive_text(plugin_output) if plugin_output and wanted else None
    row = ResultRow(check, at, status, exit_code, duration, summary, perf)
    before: list[CheckState | None] = [None]  # the state this result moves on from, for the state channels
    ack: list[Any] = [None]

    def decide_and_keep(previous: CheckState | None, history: list[Status]) -> Decision:
        before[0] = previous
        hold, ack[0] = hold_for(store, check, at, windows, depends_on)
        return decide(previous, status, at, history, policy, hold)

    def events_for(decision: Decision, previous_output: str) -> list[tuple[str, dict[str, Any]]]:
        pairs = []
        for kind in decision.notices:
            event = alert_event(kind, check=check, host=host, status=status, summary=summary, output=output,
                                at=at, decision=decision,
                                problem_output=previous_output if kind == "recovery" else None)
            if dependents and kind in ("problem", "escalation", "reminder"):
                event["holds"] = list(dependents)  # the children whose messages wait for this one
            if kind == "acknowledgement" and ack[0] is not None:
                event.update(comment=ack[0].comment, sticky=ack[0].sticky, expires=ack[0].expires)
            pairs += [(c.fingerprint, event) for c in channels if c.accepts(event)]
        run_event = {"event": RUN_EVENT, "id": str(uuid.uuid4()), "check": check, "host": host,
                     "status": status.name, "code": int(status), "exit_code": exit_code,
                     "duration": round(duration, 6), "at": at, "perfdata": perf, "summary": summary,
                     **({"plugin_output": passive} if passive else {}),
                     # Held notices (a downtime, a parent down): the engines told every run may mark it so.
                     **({"held": decision.held} if decision.held else {})}
        if any(c.wants_state for c in channels):
            run_event.update(state_fields(store, check, decision, before[0], policy, output))
        pairs += [(c.fingerprint, run_event) for c in channels if c.accepts(run_event)]
        return pairs

    return store.record(row, decide_and_keep, events_for, output=output, keep_seconds=keep,
                        in_downtime=lambda: _in_downtime(store, check, at, windows))


def _in_downtime(store: Store, check: str, at: float, windows: Sequence[Any]) -> bool:
    from cronchecks.alerting.holds import downtime_reason

    return downtime_reason(store, check, at, windows) is not None


def state_fields(store: Store, check: str, decision: Decision, previous: CheckState | None, policy: Policy,
                 output: str) -> dict[str, Any]:
    """What a channel told every run's state needs (Alertmanager): is the problem firing, was it, since when.

    Firing means a hard problem (`--after` runs non-OK in a row); the announcement policy's
    other rules (reminders, --notify-on, flapping) do not apply: the engine has its own.
    """
    state = decision.state
    was = previous is not None and previous.status is not Status.OK and previous.consecutive >= policy.after
    return {
        "firing": state.status is not Status.OK and state.consecutive >= policy.after,
        "was_firing": was, "previous_status": previous.status.name if previous is not None else None,
        "since": state.problem_since, "previous_since": previous.problem_since if previous is not None else None,
        "output": output, "interval": store.usual_interval(check),
    }


PASSIVE_TEXT_LIMIT = 16384  # bytes of a run record's plugin_output: more than any Nagios channel takes


def _passive_text(text: str) -> str:
    """The plugin text within PASSIVE_TEXT_LIMIT, its status line and perfdata whole (the outbox keeps it)."""
    from cronchecks.alerting.channels.passive import fit_passive_text, run_event_parts

    first, long_output, perf = run_event_parts({"plugin_output": text[:1_000_000]})
    return fit_passive_text(first, long_output, perf, PASSIVE_TEXT_LIMIT)
