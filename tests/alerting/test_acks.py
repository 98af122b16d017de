"""Acknowledgements: real `cronchecks ack` and `run` processes, a real store, a receiver counting every message."""

from __future__ import annotations

import time

import pytest

from tests.alerting.quiet_fixtures import Hook, cronchecks, db, job


@pytest.fixture
def hook():
    """A loopback webhook receiver counting every alert it is sent."""
    with Hook() as server:
        yield server


def run(state, hook, command, *extra):
    return cronchecks(state, "run", "--name", "job", "--webhook", hook.hook, "--webhook-format", "json",
                      "--remind-every", "1", "--nagios", *extra, "--", command)


def test_an_acknowledgement_stops_reminders_and_is_cleared_by_a_recovery(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    control.write_text("2")
    run(state, hook, command)
    run(state, hook, command)
    assert hook.kinds() == ["problem", "reminder"]
    done = cronchecks(state, "ack", "job", "--comment", "on it")
    assert done.code == 0 and done.stdout == "job: acknowledged (CRITICAL)\n"
    run(state, hook, command)
    run(state, hook, command)
    assert hook.kinds() == ["problem", "reminder", "acknowledgement"]  # said once, with the next run
    assert hook.alerts()[-1]["comment"] == "on it"
    assert "acknowledged: on it" in cronchecks(state, "status", "job").stdout
    control.write_text("0")
    run(state, hook, command)
    assert db(state).execute("select count(*) from acknowledgements").fetchone() == (0,)
    control.write_text("2")
    run(state, hook, command)
    run(state, hook, command)
    assert hook.kinds() == ["problem", "reminder", "acknowledgement", "recovery", "problem", "reminder"]


def test_a_sticky_acknowledgement_holds_an_escalation_a_plain_one_does_not(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    control.write_text("1")
    run(state, hook, command)
    cronchecks(state, "ack", "job", "--sticky")
    control.write_text("2")
    run(state, hook, command)
    run(state, hook, command)
    assert hook.kinds() == ["problem", "acknowledgement"]  # no escalation, no reminders

    state = tmp_path / "plain"
    hook.requests.clear()
    control.write_text("1")
    run(state, hook, command)
    cronchecks(state, "ack", "job")
    run(state, hook, command)
    control.write_text("2")
    run(state, hook, command)
    assert hook.kinds() == ["problem", "acknowledgement", "escalation"]
    assert db(state).execute("select count(*) from acknowledgements").fetchone() == (0,)  # the change ended it


def test_an_acknowledgement_expires_and_can_be_removed(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    control.write_text("2")
    run(state, hook, command)
    cronchecks(state, "ack", "job", "--expire", "3s")  # room for the next run on a loaded machine
    expires = time.time() + 3
    run(state, hook, command)
    time.sleep(max(0.0, expires + 0.1 - time.time()))
    run(state, hook, command)
    assert hook.kinds() == ["problem", "acknowledgement", "reminder"]
    cronchecks(state, "ack", "job")
    assert cronchecks(state, "ack", "--remove", "job").code == 0
    again = cronchecks(state, "ack", "--remove", "job")
    assert again.code == 3 and again.stdout == "CRONCHECKS UNKNOWN - 'job' is not acknowledged\n"


def test_nothing_to_acknowledge_is_one_unknown_line(tmp_path, hook):
    state = tmp_path / "state"
    command, _ = job(tmp_path)
    missing = cronchecks(state, "ack", "job")
    assert missing.code == 3 and "no check 'job' in the store" in missing.stdout
    run(state, hook, command)
    fine = cronchecks(state, "ack", "job")
    assert fine.code == 3 and fine.stdout == "CRONCHECKS UNKNOWN - 'job' is OK: nothing to acknowledge\n"
    mixed = cronchecks(state, "ack", "--remove", "job", "--sticky")
    assert mixed.code == 3 and mixed.stdout.count("\n") == 1
