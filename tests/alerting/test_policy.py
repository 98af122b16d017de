"""The alert policy, table-driven over sequences of results."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.alerting.policy import (
    NOTICE_KINDS,
    Policy,
    decide,
    flap_percent,
    parse_notify_on,
)
from cronchecks.core.result import Status

# One letter a state, so that a sequence of runs reads as one: [O, W, C, C, O]. `O` is OK, never zero.
O, W, C, U = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN  # noqa: E741
DEFAULT_POLICY = Policy()


def play(sequence, policy=DEFAULT_POLICY, step=60.0):
    """Feed results one per `step` seconds; return the notices of each run (as strings)."""
    state, history, out = None, [], []
    for index, status in enumerate(sequence):
        history.append(status)
        decision = decide(state, status, index * step, history[-20:], policy)
        state = decision.state
        out.append(",".join(decision.notices))
    return out, state


@pytest.mark.parametrize("sequence, policy, expected", [
    # first failure announced, silence while it stays, recovery once
    ([O, C, C, C, O, O], Policy(), ["", "problem", "", "", "recovery", ""]),
    # --after 3: soft states are silent; a blip that recovers before 3 says nothing
    ([O, C, C, O, C, C, C, C, O], Policy(after=3), ["", "", "", "", "", "", "problem", "", "recovery"]),
    # escalation WARNING -> CRITICAL; back to WARNING is announced as a problem again
    ([W, C, C, W, O], Policy(), ["problem", "escalation", "", "problem", "recovery"]),
    # UNKNOWN -> CRITICAL is worse too
    ([U, C], Policy(), ["problem", "escalation"]),
    # reminders every 3 runs while bad (the seeds: "every 5 failures")
    ([C, C, C, C, C, C, C, O], Policy(remind_every=3), ["problem", "", "", "reminder", "", "", "reminder", "recovery"]),
    # reminders by time: runs every 60 s, remind every 150 s
    ([C, C, C, C, C, C], Policy(remind=150), ["problem", "", "", "reminder", "", ""]),
    # notify-on narrows what is sent, not what is remembered
    ([C, C, O], Policy(notify_on=frozenset({"recovery"})), ["", "", "recovery"]),
    ([C, O], Policy(notify_on=frozenset({"problem"})), ["problem", ""]),
    # no recovery for a problem never announced
    ([O, W, O], Policy(after=2), ["", "", ""]),
])
def test_policy_sequences(sequence, policy, expected):
    notices, _ = play(sequence, policy)
    assert notices == expected


def test_recovery_reports_the_downtime_from_the_first_failure():
    state, history = None, []
    decisions = []
    for at, status in [(0, O), (60, C), (120, C), (180, C), (240, O)]:
        history.append(status)
        decision = decide(state, status, at, history, Policy(after=2))
        state = decision.state
        decisions.append(decision)
    assert decisions[2].notices == ("problem",)
    assert decisions[4].notices == ("recovery",)
    assert decisions[4].downtime == 180  # from the first failing run at 60 to the recovery at 240
    assert decisions[4].previous is C


def test_flapping_replaces_problem_and_recovery_messages():
    alternating = [O, C] * 10
    notices, state = play(alternating)
    sent = [n for n in notices if n]
    assert "flapping_start" in sent
    start = notices.index("flapping_start")
    # before flapping was detected, the changes were announced; after, nothing but the start
    assert all(n == "" for n in notices[start + 1:])
    assert state.flapping
    # it settles: stays OK until the weighted change share falls below 25 %
    calm, state2 = play(alternating + [O] * 20)
    tail = calm[len(alternating):]
    assert tail.count("flapping_stop") == 1
    assert not state2.flapping
    assert all(n in ("", "flapping_stop") for n in tail)


def test_flap_percent_weights_newer_changes_more():
    assert flap_percent([O] * 20) == 0
    every = flap_percent([O, C] * 10)
    assert 90 < every <= 100
    old_change = flap_percent([C] + [O] * 19)
    new_change = flap_percent([O] * 19 + [C])
    assert old_change < new_change
    assert old_change == pytest.approx(100 * (0.8 + 0.4 * 1 / 19) / 20)
    assert new_change == pytest.approx(100 * 1.2 / 20)


@given(st.lists(st.sampled_from([O, W, C, U]), max_size=40))
def test_flap_percent_is_a_percentage(history):
    value = flap_percent(history)
    assert 0 <= value <= 100 * 1.2


@given(st.lists(st.sampled_from([O, W, C, U]), min_size=1, max_size=60), st.integers(1, 4))
def test_every_announced_problem_is_followed_by_at_most_one_recovery(sequence, after):
    notices, state = play(sequence, Policy(after=after))
    open_problem = False
    for notice in notices:
        for kind in filter(None, notice.split(",")):
            if kind in ("problem", "escalation", "reminder"):
                open_problem = True
            elif kind == "recovery":
                assert open_problem
                open_problem = False
            elif kind == "flapping_stop":
                open_problem = state.announced is not None or open_problem


@pytest.mark.parametrize("text, kinds", [
    ("all", set(NOTICE_KINDS)), ("problem,recovery", {"problem", "recovery"}), (" Flapping ", {"flapping"}),
])
def test_notify_on(text, kinds):
    assert parse_notify_on(text) == kinds
    with pytest.raises(ValueError, match="unknown --notify-on kind"):
        parse_notify_on("problems")

