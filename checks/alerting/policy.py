"""When a result becomes a message: hard states, escalation, recovery, reminders, flapping, and what holds them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from cronchecks.core.result import Status, severity

PROBLEM, RECOVERY, ESCALATION, REMINDER = "problem", "recovery", "escalation", "reminder"
FLAPPING_START, FLAPPING_STOP, REMEDIATION = "flapping_start", "flapping_stop", "remediation"
# An acknowledgement going out; a downtime starting or ending for a check (Icinga's DOWNTIMESTART/END: the
# kind is named for routing, the policy does not emit it: a held problem announced at a downtime's end is a
# "problem").
ACKNOWLEDGEMENT, DOWNTIME = "acknowledgement", "downtime"
NOTICE_KINDS = (PROBLEM, RECOVERY, ESCALATION, REMINDER, "flapping", REMEDIATION, ACKNOWLEDGEMENT, DOWNTIME)

# How bad a state is, for "did it get worse": the same order as worst-of.

# Icinga 2's flapping detection: the last 20 results, changes weighted from 0.8 (oldest)
# to 1.2 (newest), flapping above 30 % and until below 25 % (DESIGN.md section 8).
FLAP_WINDOW = 20
FLAP_HIGH = 30.0
FLAP_LOW = 25.0
# --recover-after counts OK results in the history the store hands over (the latest 20).
RECOVER_AFTER_LIMIT = FLAP_WINDOW


class Policy(NamedTuple):
    """The alert settings of one check (`--after`, `--remind`, `--remind-every`, `--notify-on`)."""

    after: int = 1
    remind: float | None = None  # seconds between reminders while it stays bad
    remind_every: int | None = None  # or: every N runs while it stays bad
    notify_on: frozenset[str] = frozenset(NOTICE_KINDS)
    recover_after: int = 1  # OK results in a row before a recovery is declared
    flapping: tuple[float, float] | None = (FLAP_HIGH, FLAP_LOW)  # start above, stop below (percent); None: off


class Hold(NamedTuple):
    """What keeps a check quiet at this result: a downtime, a dependency, an acknowledgement."""

    reason: str | None = None  # "downtime", "dependency: db CRITICAL": problems, escalations, reminders held
    acknowledged: Status | None = None  # the problem state acknowledged (None: no acknowledgement)
    sticky: bool = False  # the acknowledgement also holds changes between problem states
    announce_ack: bool = False  # the acknowledgement is new: say so once
    downtime_change: str | None = None  # "started" or "ended": the first result inside, or after, a downtime


NO_HOLD = Hold()


class CheckState(NamedTuple):
    """What the store remembers of a check between runs."""

    status: Status = Status.OK  # the latest result
    since: float = 0.0  # when the latest status began
    consecutive: int = 0  # non-OK results in a row (0 while OK)
    announced: Status | None = None  # the problem state last announced; None: nothing open
    problem_since: float | None = None  # start of the current non-OK streak
    last_notice: float | None = None  # when the last problem/escalation/reminder went out
    runs_since_notice: int = 0
    flapping: bool = False


class Decision(NamedTuple):
    state: CheckState
    notices: tuple[str, ...]  # kinds to announce, already filtered by --notify-on
    flap_percent: float
    downtime: float | None  # for a recovery: how long the problem lasted
    previous: Status | None  # the problem state announced before this result (None: none was open)
    held: str | None = None  # why this result's notices are held (None: nothing is held)
    ack_ended: bool = False  # the acknowledgement ended here (a recovery, or a change a plain one does not cover)


def flap_percent(history: Sequence[Status]) -> float:
    """Weighted share of state changes over the last results (oldest first), in percent."""
    window = list(history)[-FLAP_WINDOW:]
    offset = FLAP_WINDOW - len(window)  # a short history sits at the newest end of the window
    total = 0.0
    for index in range(1, len(window)):
        if window[index] != window[index - 1]:
            position = offset + index
            total += 0.8 + 0.4 * position / (FLAP_WINDOW - 1)
    return 100.0 * total / FLAP_WINDOW


def decide(previous: CheckState | None, status: Status, now: float, history: Sequence[Status],
           policy: Policy, hold: Hold = NO_HOLD) -> Decision:
    """The new state of a check and the notices its latest result calls for.

    `history` is the statuses of the latest results, oldest first, ending with this one.
    --notify-on filters what is sent, not what is remembered: a problem that was not
    sent is still open, so its recovery is still announced if recoveries are wanted.
    A hold (downtime, dependency) keeps every notice back and leaves what was announced as it was:
    once it lifts, a check still bad is announced as a problem (nothing was announced of it) and one
    announced before the hold that is OK now gets its recovery; one that failed and recovered inside
    the hold sends nothing.
    """
    prev = previous or CheckState(since=now)
    bad = status is not Status.OK
    consecutive = prev.consecutive + 1 if bad else 0
    # An announced problem stays one incident through OK results that do not yet make a recovery.
    open_problem = prev.announced is not None
    keeps_since = prev.problem_since is not None and (prev.consecutive or open_problem)
    problem_since = (prev.problem_since if keeps_since else now) if bad else (
        prev.problem_since if open_problem else None)
    state = prev._replace(
        status=status,
        since=prev.since if (previous is not None and status is prev.status) else now,
        consecutive=consecutive,
        problem_since=problem_since,
        runs_since_notice=prev.runs_since_notice + 1,
    )
    notices: list[str] = []
    downtime = None
    percent = flap_percent(history)
    hard = bad and consecutive >= policy.after
    recovered = not bad and _oks_in_a_row(history) >= min(policy.recover_after, RECOVER_AFTER_LIMIT)
    high, low = policy.flapping or (math.inf, -math.inf)

    if not prev.flapping and percent > high:
        state = state._replace(flapping=True)
        notices.append(FLAPPING_START)
    elif prev.flapping and (percent < low or policy.flapping is None):
        # The flapping message replaced problem and recovery messages; what is true now
        # is said in the "stopped" message, and the open problem set to match it quietly.
        state = state._replace(flapping=False, announced=status if hard else None,
                               last_notice=now if hard else prev.last_notice,
                               runs_since_notice=0 if hard else state.runs_since_notice,
                               problem_since=state.problem_since if bad else None)
        notices.append(FLAPPING_STOP)
    elif not prev.flapping:
        if not bad and prev.announced is not None:
            if recovered:
                notices.append(RECOVERY)
                downtime = now - prev.problem_since if prev.problem_since is not None else None
                state = state._replace(announced=None, problem_since=None)
        elif hard and prev.announced is None:
            notices.append(PROBLEM)
        elif hard and prev.announced is not None and status is not prev.announced:
            notices.append(ESCALATION if severity(status) > severity(prev.announced) else PROBLEM)
        elif hard and _reminder_due(prev, now, policy):
            notices.append(REMINDER)
        if notices and notices[0] != RECOVERY:
            state = state._replace(announced=status, last_notice=now, runs_since_notice=0)

    ack_ended = False
    if hold.acknowledged is not None:
        if not bad and (recovered or prev.announced is None):
            ack_ended = True  # an acknowledgement covers one problem: it ends at its recovery
        elif notices and notices[0] in (ESCALATION, PROBLEM) and prev.announced is not None:
            if hold.sticky:  # a sticky one holds every change between problem states, as Icinga's does
                notices = notices[1:]
                state = state._replace(announced=prev.announced, last_notice=prev.last_notice,
                                       runs_since_notice=state.runs_since_notice)
            else:  # a plain one covers the state acknowledged: a change is news, and ends it
                ack_ended = True
        elif notices == [REMINDER]:  # someone is on it: no reminders
            notices = []
            state = state._replace(announced=prev.announced, last_notice=prev.last_notice,
                                   runs_since_notice=prev.runs_since_notice + 1)
        if hold.announce_ack and not ack_ended:
            notices.append(ACKNOWLEDGEMENT)
    if hold.downtime_change is not None:
        # Icinga's DOWNTIMESTART/END, noticed by the check's first run inside or after the downtime: news
        # about the check, not about its state, so no hold keeps it back (routing sends it only to the
        # channels that ask for it: channels.options.Route.takes).
        notices.append(DOWNTIME)

    held = None
    if hold.reason is not None:
        # Held: nothing goes out and nothing counts as announced; the flapping state still follows the results.
        if notices or (bad and hard):
            held = hold.reason
        notices = [kind for kind in notices if kind in (ACKNOWLEDGEMENT, DOWNTIME)]
        state = state._replace(announced=prev.announced, last_notice=prev.last_notice,
                               problem_since=state.problem_since if bad else (
                                   prev.problem_since if prev.announced is not None else None))
        if not bad and prev.announced is None:
            held = None  # it failed and recovered inside the hold: nothing is owed

    wanted = tuple(kind for kind in notices
                   if kind in policy.notify_on or (kind.startswith("flapping") and "flapping" in policy.notify_on))
    return Decision(state, wanted, percent, downtime, prev.announced, held, ack_ended)


def _oks_in_a_row(history: Sequence[Status]) -> int:
    count = 0
    for status in reversed(history):
        if status is not Status.OK:
            break
        count += 1
    return count


def _reminder_due(prev: CheckState, now: float, policy: Policy) -> bool:
    if policy.remind is not None and prev.last_notice is not None and now - prev.last_notice >= policy.remind:
        return True
    # runs_since_notice counts the runs after the last notice; this run is one more.
    return policy.remind_every is not None and prev.runs_since_notice + 1 >= policy.remind_every


def parse_notify_on(text: str) -> frozenset[str]:
    """`problem,recovery` etc.; `all` for everything."""
    kinds = {part.strip().lower() for part in text.split(",") if part.strip()}
    if "all" in kinds:
        return frozenset(NOTICE_KINDS)
    unknown = kinds - set(NOTICE_KINDS)
    if unknown or not kinds:
        raise ValueError(f"unknown --notify-on kind(s): {', '.join(sorted(unknown)) or '(none)'} "
                         f"(choose from {', '.join(NOTICE_KINDS)}, or all)")
    return frozenset(kinds)


def parse_flapping(text: str) -> tuple[float, float]:
    """`HIGH:LOW` in percent (`30:25`): flapping starts above HIGH and stops below LOW."""
    high_text, sep, low_text = text.partition(":")
    try:
        high, low = float(high_text), float(low_text if sep else high_text)
    except ValueError:
        raise ValueError(f"{text!r} is not HIGH:LOW in percent (e.g. 30:25)") from None
    if not (0 <= low <= high <= 100):
        raise ValueError(f"{text!r}: give 0 <= LOW <= HIGH <= 100 (e.g. 30:25)")
    return high, low
