"""Routing: a channel's `states` and `on`, recoveries to exactly the channels told, flapping never a silencer."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.alerting.routing_fixtures import cronchecks, write_config

ROUTES = """\
    [channels.chat]
    type = "webhook"
    webhook-env = "CHAT_HOOK"
    webhook-format = "json"
    default = true
    states = ["warning"]

    [channels.pager]
    type = "webhook"
    webhook-env = "PAGER_HOOK"
    webhook-format = "json"
    default = true
    states = ["critical"]
    on = ["problem", "escalation", "recovery"]
    """


def run_as(tmp_path: Path, env: dict, name: str, code: int, *extra: str):
    done = cronchecks("run", "--state-dir", str(tmp_path / "state"), "--name", name, *extra, "--nagios", "--",
                      "sh", "-c", f"echo {name} {code}; exit {code}", env=env)
    assert done.code == code, done
    return done


def test_a_warning_only_channel_never_sees_a_critical_and_recoveries_go_to_the_told(tmp_path, channels):
    config = write_config(tmp_path / "config.toml", ROUTES)
    env = {"CRONCHECKS_CONFIG": str(config), "CHAT_HOOK": channels.hook("chat"),
           "PAGER_HOOK": channels.hook("pager")}
    for code in (1, 2, 1, 0):  # WARNING, CRITICAL, WARNING again, OK
        run_as(tmp_path, env, "web", code)
    chat = [(m["kind"], m["status"]) for m in channels.got("chat")]
    pager = [(m["kind"], m["status"]) for m in channels.got("pager")]
    assert chat == [("problem", "WARNING"), ("problem", "WARNING"), ("recovery", "OK")]
    assert pager == [("escalation", "CRITICAL"), ("recovery", "OK")]
    assert all(m["status"] != "CRITICAL" for m in channels.got("chat"))
    # A problem only the pager was told of recovers at the pager only.
    for code in (2, 0):
        run_as(tmp_path, env, "db", code)
    assert [(m["check"], m["kind"]) for m in channels.got("pager")][-2:] == [("db", "problem"), ("db", "recovery")]
    assert [m["check"] for m in channels.got("chat")].count("db") == 0
    with sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM told").fetchone() == (0,)  # no problem is open


def test_on_filters_transitions(tmp_path, channels):
    config = write_config(tmp_path / "config.toml", """\
        [channels.quiet]
        type = "webhook"
        webhook-env = "HOOK"
        webhook-format = "json"
        default = true
        on = ["problem"]
        """)
    env = {"CRONCHECKS_CONFIG": str(config), "HOOK": channels.hook("quiet")}
    for code in (2, 2, 0):
        run_as(tmp_path, env, "job", code, "--remind-every", "1")
    assert [m["kind"] for m in channels.got("quiet")] == ["problem"]  # no reminder, no recovery


def test_notify_on_problem_recovery_still_announces_a_flapping_check(tmp_path, channels):
    """The old silencer: flapping replaced problems and recoveries, and --notify-on filtered flapping out."""
    hook = channels.hook("ops")
    env = {"HOOK": hook}
    for code in itertools.islice(itertools.cycle((2, 0)), 12):
        run_as(tmp_path, env, "flappy", code, "--webhook-env", "HOOK", "--webhook-format", "json",
               "--notify-on", "problem,recovery")
    kinds = [m["kind"] for m in channels.got("ops")]
    assert "flapping_start" not in kinds
    # Once flapping (about the 8th result), each change is still told, as a problem or a recovery.
    assert kinds[-4:] == ["problem", "recovery", "problem", "recovery"], kinds


# --- the property: no filter combination leaves a flapping, failing check unannounced everywhere ----------

KINDS = ("problem", "recovery", "escalation", "reminder", "flapping", "remediation")
SUBSETS = st.frozensets(st.sampled_from(KINDS), min_size=1)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notify_on=SUBSETS, routes=st.lists(st.one_of(st.none(), SUBSETS), min_size=1, max_size=3),
       sequence=st.lists(st.sampled_from(["OK", "CRITICAL", "WARNING"]), min_size=14, max_size=24),
       after=st.integers(1, 2))
def test_flapping_never_silences_a_failing_check(tmp_path_factory, notify_on, routes, sequence, after):
    """Over a flapping sequence, when --notify-on and some channel's `on` ask for problems or flapping, some
    channel is told of the problem: with a real store, the outbox counted per channel."""
    from cronchecks.alerting.channels.base import Channel
    from cronchecks.alerting.channels.options import Route, RoutedChannel
    from cronchecks.alerting.policy import Policy
    from cronchecks.alerting.recorder import record_result
    from cronchecks.alerting.store import Store
    from cronchecks.core.result import Status

    class Counted(Channel):  # what the outbox holds for it is what it would be told: nothing is sent here
        kind = "counted"

    # Alternating until it is surely flapping, then the drawn sequence.
    statuses = ["OK", "CRITICAL"] * 6 + sequence
    channels = [RoutedChannel(Counted(f"c{i}", f"c{i}"), Route(None, on), f"c{i}") for i, on in enumerate(routes)]
    store = Store(tmp_path_factory.mktemp("store"))
    try:
        for index, name in enumerate(statuses):
            status = Status[name]
            record_result(store, check="flappy", host="h", status=status, exit_code=int(status), duration=0.1,
                          summary=name, perfdata=(), output=name, at=1000.0 + 60 * index,
                          policy=Policy(after=after, notify_on=notify_on), channels=channels, keep=None)
        told = [entry.event for entry in store.outbox() if entry.event.get("event") == "alert"]
    finally:
        store.close()
    asks = {"problem", "flapping"}
    wanted = bool(notify_on & asks) and any(on is None or on & asks for on in routes)
    # A flapping start tells of the trouble whatever the state it starts in; a problem in a bad state.
    bad_told = [e for e in told if e["kind"] == "flapping_start"
                or (e["status"] != "OK" and e["kind"] in ("problem", "escalation"))]
    if wanted:
        assert bad_told, (notify_on, routes, [e["kind"] for e in told])


DOWNTIME_ROUTES = """\
    [channels.ops-log]
    type = "webhook"
    webhook-env = "LOG_HOOK"
    webhook-format = "json"
    default = true
    on = ["downtime", "problem", "recovery"]

    [channels.chat]
    type = "webhook"
    webhook-env = "CHAT_HOOK"
    webhook-format = "json"
    default = true
    """


def test_a_downtime_starting_and_ending_reaches_only_the_channels_that_ask_for_it(tmp_path, channels):
    """Icinga's DOWNTIMESTART/END, noticed by the check's first run inside and after the downtime."""
    import time

    config = write_config(tmp_path / "config.toml", DOWNTIME_ROUTES)
    env = {"CRONCHECKS_CONFIG": str(config), "LOG_HOOK": channels.hook("log"), "CHAT_HOOK": channels.hook("chat")}
    state = str(tmp_path / "state")
    run_as(tmp_path, env, "db", 0)  # a result before the downtime: its start is news
    added = cronchecks("downtime", "add", "db", "--for", "2s", "--comment", "failover", "--state-dir", state,
                       env=env)
    assert added.code == 0, added
    started = time.time()
    run_as(tmp_path, env, "db", 0)
    run_as(tmp_path, env, "db", 0)
    time.sleep(max(0.0, started + 2.2 - time.time()))
    run_as(tmp_path, env, "db", 0)
    log = [(m["kind"], m.get("change")) for m in channels.got("log")]
    assert log == [("downtime", "started"), ("downtime", "ended")]
    assert channels.got("chat") == []  # a channel without `on` is not told of downtimes: a quiet one stays quiet
    from cronchecks.alerting.messages import headline

    assert headline(channels.got("log")[0]).startswith("DOWNTIME STARTED: db")  # what mail and chat show
