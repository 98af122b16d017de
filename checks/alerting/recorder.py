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
                  dependents: Sequence[str] = (),
                  grouped: list[tuple[str, dict[str, Any]]] | None = None) -> Decision:
    """Store the result, move the state on by the policy, queue alerts and run records: one transaction.

    `plugin_output`, the check's own text (status line, perfdata with thresholds, long output),
    goes with the run record for the channels that pass results on to Nagios (NSCA, NRDP).
    `windows` (maintenance windows), the store's downtimes, the parents in `depends_on` and the
    check's acknowledgement decide what is held (cronchecks.alerting.holds); `dependents`, the checks
    this one holds while it is down, are named in its problem messages.
    With `grouped` (a suite that groups its messages), the alerts for channels that take one
    message for many go there instead, for `enqueue_grouped` in the same transaction.
    """
    from cronchecks.alerting.holds import hold_for
    perf = perfdata_records(perfdata)
    # Only a channel that passes results on to Nagios needs it: others' records stay small in the outbox.
    wanted = any(getattr(channel, "wants_plugin_output", False) for channel in channels)
    passive = _passive_text(plugin_output) if plugin_output and wanted else None
    row = ResultRow(check, at, status, exit_code, duration, summary, perf)
    before: list[CheckState | None] = [None]  # the state this result moves on from, for the state channels
    ack: list[Any] = [None]
    downtime_change: list[str | None] = [None]

    def decide_and_keep(previous: CheckState | None, history: list[Status]) -> Decision:
        before[0] = previous
        hold, ack[0] = hold_for(store, check, at, windows, depends_on)
        downtime_change[0] = hold.downtime_change
        return decide(previous, status, at, history, policy, hold)

    def events_for(decision: Decision, previous_output: str) -> list[tuple[str, dict[str, Any]]]:
        events: dict[str, dict[str, Any]] = {}

        def event_of(kind: str) -> dict[str, Any]:
            if kind not in events:
                event = alert_event(kind, check=check, host=host, status=status, summary=summary,
                                    output=output, at=at, decision=decision,
                                    problem_output=previous_output if kind == "recovery" else None)
                if dependents and kind in ("problem", "escalation", "reminder"):
                    event["holds"] = list(dependents)  # the children whose messages wait for this one
                if kind == "acknowledgement" and ack[0] is not None:
                    event.update(comment=ack[0].comment, sticky=ack[0].sticky, expires=ack[0].expires)
                if kind == "downtime":
                    event["change"] = downtime_change[0]  # started or ended
                events[kind] = event
            return events[kind]

        pairs = []
        for fingerprint, kind, to_group in route_notices(store, check, status, at, decision, before[0], policy,
                                                         channels):
            pair = (fingerprint, event_of(kind))
            if to_group and grouped is not None:
                grouped.append(pair)
            else:
                pairs.append(pair)
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


# --- routing: which channel is told which notice ------------------------------------------------------


def route_notices(store: Store, check: str, status: Status, at: float, decision: Decision,
                  previous: CheckState | None, policy: Policy,
                  channels: Sequence[Channel]) -> list[tuple[str, str, bool]]:
    """(channel fingerprint, notice kind, whether the channel groups messages) for each notice owed.

    Runs inside the store's transaction of the result: the `told` table (which channels were
    told of the open problem) is written with the outbox entries, so a recovery reaches exactly
    those channels. A channel not told about flapping (by --notify-on or its `on`) is told the
    problems and recoveries of a flapping check instead: no filter silences a failing check.
    """
    from cronchecks.alerting.channels.options import Route, channel_route, groups_messages, unrouted

    told = {channel for (channel,) in store.db.execute("SELECT channel FROM told WHERE check_name = ?", (check,))}
    was_bad = previous.status if previous is not None else Status.OK
    flapping = decision.state.flapping or (previous is not None and previous.flapping)
    owed: list[tuple[str, str, bool]] = []
    owed_to: set[tuple[str, str]] = set()
    tell: list[str] = []
    untold: list[str] = []
    for channel in channels:
        route = channel_route(channel)
        takes_flapping = "flapping" in policy.notify_on and route.takes("flapping")
        kinds = [kind for kind in decision.notices if takes_flapping or not kind.startswith("flapping")]
        widened = route
        if flapping and not takes_flapping:
            instead = _instead_of_flapping(was_bad, status)
            if instead and (instead in policy.notify_on or "flapping" in policy.notify_on) \
                    and (route.takes(instead) or route.takes("flapping")):
                kinds.append(instead)
                widened = Route(route.states, None)  # flapping's stand-in passes where flapping would
        for kind in dict.fromkeys(kinds):
            if (channel.fingerprint, kind) in owed_to:
                continue  # the same destination twice (on the command line and in the config file): once
            probe = {"event": "alert", "kind": kind, "status": status.name}
            if not unrouted(channel).accepts(probe) or not widened.allows(probe):
                continue
            if kind == "recovery":
                if told and channel.fingerprint not in told:
                    continue
                # No one recorded as told (a store from before routing, or --notify-on without
                # problems): the channels whose states took the problem's.
                if not told and not Route(route.states, None).allows(
                        {"event": "alert", "kind": "problem", "status": (decision.previous or was_bad).name}):
                    continue
                untold.append(channel.fingerprint)
            elif status is not Status.OK:
                tell.append(channel.fingerprint)
            owed.append((channel.fingerprint, kind, groups_messages(unrouted(channel))))
            owed_to.add((channel.fingerprint, kind))
    since = decision.state.problem_since or at
    store.db.executemany("INSERT OR IGNORE INTO told (check_name, channel, since) VALUES (?, ?, ?)",
                         [(check, fingerprint, since) for fingerprint in dict.fromkeys(tell)])
    if status is Status.OK and not decision.state.flapping:  # the problem is over: no one is told of it now
        store.db.execute("DELETE FROM told WHERE check_name = ?", (check,))
    else:
        store.db.executemany("DELETE FROM told WHERE check_name = ? AND channel = ?",
                             [(check, fingerprint) for fingerprint in untold])
    return owed


def _instead_of_flapping(was: Status, now: Status) -> str | None:
    """What a flapping check's change of state is, told plainly: a problem, a recovery, or nothing new."""
    if now is not Status.OK and now is not was:
        return "problem"
    if now is Status.OK and was is not Status.OK:
        return "recovery"
    return None


def enqueue_grouped(store: Store, pairs: Sequence[tuple[str, dict[str, Any]]], host: str, at: float) -> None:
    """One outbox entry per channel for what a suite run owes it: the event itself when alone, else a group.

    Called inside the suite's transaction, so the group is queued with the results it tells of.
    """
    from cronchecks.alerting.messages import GROUP, group_counts
    from cronchecks.core.result import worst

    by_channel: dict[str, list[dict[str, Any]]] = {}
    for fingerprint, event in pairs:
        by_channel.setdefault(fingerprint, []).append(event)
    for fingerprint, events in by_channel.items():
        if len(events) == 1:
            store.enqueue(fingerprint, events[0], now=at)
            continue
        status = worst([Status[e["status"]] for e in events if e.get("kind") not in ("recovery", "flapping_stop")]
                       or [Status.OK])
        group = {"event": ALERT_EVENT, "kind": GROUP, "id": str(uuid.uuid4()), "host": host,
                 "check": f"{len(events)} checks", "status": status.name, "at": at, "alerts": events}
        group["summary"] = group_counts(group)
        store.enqueue(fingerprint, group, now=at)


PASSIVE_TEXT_LIMIT = 16384  # bytes of a run record's plugin_output: more than any Nagios channel takes


def _passive_text(text: str) -> str:
    """The plugin text within PASSIVE_TEXT_LIMIT, its status line and perfdata whole (the outbox keeps it)."""
    from cronchecks.alerting.channels.passive import fit_passive_text, run_event_parts

    first, long_output, perf = run_event_parts({"plugin_output": text[:1_000_000]})
    return fit_passive_text(first, long_output, perf, PASSIVE_TEXT_LIMIT)
