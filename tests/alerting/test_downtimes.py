"""Downtimes and maintenance windows: real `cronchecks downtime` and `run` processes, a real store, a receiver
counting every message."""

from __future__ import annotations

import functools
import io
import json
import time
from datetime import UTC, datetime

import pytest

from cronchecks.alerting.channels.options import ChannelOptions
from cronchecks.alerting.run import RunOptions, Wrapper
from cronchecks.alerting.windows import MaintenanceWindow
from tests.alerting.quiet_fixtures import Hook, cronchecks, db, job


@pytest.fixture
def hook():
    """A loopback webhook receiver counting every alert it is sent."""
    with Hook() as server:
        yield server


def run(state, hook, command, name="job", *extra):
    return cronchecks(state, "run", "--name", name, "--webhook", hook.hook, "--webhook-format", "json", "--nagios",
                      *extra, "--", command)


def test_a_downtime_holds_a_problem_and_announces_it_once_at_its_end(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    added = cronchecks(state, "downtime", "add", "job", "--for", "3s", "--comment", "disk swap")
    assert added.code == 0 and added.stdout.strip().isdigit()
    started = time.time()
    control.write_text("2")
    assert run(state, hook, command).code == 2  # the job's own code, held or not
    assert run(state, hook, command).code == 2
    assert hook.kinds() == []
    assert db(state).execute("select held from checks").fetchone() == ("downtime: disk swap",)
    assert [r for (r,) in db(state).execute("select in_downtime from results")] == [1, 1]
    shown = cronchecks(state, "status")
    assert "job: CRITICAL" in shown.stdout and "held: downtime: disk swap" in shown.stdout
    time.sleep(max(0.0, started + 3.2 - time.time()))
    run(state, hook, command)
    run(state, hook, command)
    assert hook.kinds() == ["problem"]  # once, at the first run after the end
    assert db(state).execute("select held from checks").fetchone() == (None,)
    assert [r for (r,) in db(state).execute("select in_downtime from results")] == [1, 1, 0, 0]


def test_a_recovery_inside_a_downtime_sends_nothing(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    cronchecks(state, "downtime", "add", "job", "--for", "3s")
    started = time.time()
    control.write_text("2")
    run(state, hook, command)
    control.write_text("0")
    run(state, hook, command)
    time.sleep(max(0.0, started + 3.2 - time.time()))
    run(state, hook, command)
    assert hook.kinds() == []


def test_a_problem_announced_before_the_downtime_recovers_after_it(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    control.write_text("2")
    run(state, hook, command)
    cronchecks(state, "downtime", "add", "j*", "--for", "2s")  # a glob
    started = time.time()
    control.write_text("0")
    run(state, hook, command)  # the recovery waits: channels hear nothing inside the downtime
    assert hook.kinds() == ["problem"]
    time.sleep(max(0.0, started + 2.2 - time.time()))
    run(state, hook, command)
    assert hook.kinds() == ["problem", "recovery"]


def test_a_glob_names_only_the_checks_it_matches(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    cronchecks(state, "downtime", "add", "web-*", "--for", "1h")
    control.write_text("2")
    run(state, hook, command, "web-1")
    run(state, hook, command, "db")
    assert hook.kinds("web-1") == [] and hook.kinds("db") == ["problem"]


def test_downtime_list_and_remove(tmp_path):
    state = tmp_path / "state"
    first = cronchecks(state, "downtime", "add", "a", "b*", "--for", "1h", "--comment", "why").stdout.strip()
    second = cronchecks(state, "downtime", "add", "c", "--until", "2999-01-01T00:00:00Z").stdout.strip()
    listed = json.loads(cronchecks(state, "downtime", "list", "--format", "json").stdout)
    assert [(d["id"], d["checks"], d["comment"]) for d in listed] == [(int(first), ["a", "b*"], "why"),
                                                                       (int(second), ["c"], "")]
    text = cronchecks(state, "downtime", "list").stdout
    assert "a, b*" in text and "(why)" in text
    assert cronchecks(state, "downtime", "remove", first).code == 0
    assert [d["id"] for d in json.loads(cronchecks(state, "downtime", "list", "--format", "json").stdout)] == [
        int(second)]
    missing = cronchecks(state, "downtime", "remove", first)
    assert missing.code == 3 and missing.stdout.startswith("CRONCHECKS UNKNOWN - no downtime")


def test_downtime_add_mistakes_are_one_unknown_line(tmp_path):
    state = tmp_path / "state"
    for args in (["a"], ["a", "--for", "1h", "--until", "2999-01-01"], ["a", "--for", "0s"],
                 ["a", "--until", "2000-01-01T00:00:00Z"], ["a", "--until", "soon"]):
        done = cronchecks(state, "downtime", "add", *args)
        assert done.code == 3 and done.stdout.count("\n") == 1 and "UNKNOWN" in done.stdout, args


def test_a_recurring_window_holds_and_its_end_announces(tmp_path, hook):
    # The window reaches the wrapper in its settings (the config file's [[maintenance]] fills them); the clock
    # is the wrapper's seam so that a nightly window is inside and then past without waiting for a night.
    state = tmp_path / "state"
    command, control = job(tmp_path)
    control.write_text("2")
    window = MaintenanceWindow(("nightly-*",), "0 2 * * *", 3600.0, "UTC", "backups")
    night = datetime(2026, 12, 1, 2, 10, tzinfo=UTC).timestamp()
    options = RunOptions(command=(command,), name="nightly-db", state_dir=str(state), windows=(window,), nagios=True,
                         channels=ChannelOptions(webhooks=(hook.hook,), webhook_format="json"))
    for moment in (night, night + 600, night + 3600 + 60, night + 3600 + 120):
        wrapper = Wrapper(options, {}, io.StringIO(), io.StringIO(), clock=functools.partial(float, moment))
        assert wrapper.run() == 2
        if moment < night + 3600:
            assert hook.kinds() == []
    assert hook.kinds() == ["problem"]
    assert [r for (r,) in db(state).execute("select in_downtime from results order by at")] == [1, 1, 0, 0]
