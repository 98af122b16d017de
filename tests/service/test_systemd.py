"""check-service's systemd sources (--systemd, --expect-state, --timer, --failed-units, --user-units) against
outputs recorded from a real systemd 252, answered by a stand-in systemctl on PATH."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_range
from cronchecks.service.check import check_service
from cronchecks.service.failed import FailedUnit, parse_list_units
from cronchecks.service.options import ServiceOptions
from cronchecks.service.systemd import parse_systemctl_show, parse_systemd_timestamp
from cronchecks.service.timers import timer_unit
from tests.conftest import run_console_script
from tests.service.systemctl_recordings import FIXTURES, RECORDED_AT

pytest_plugins = ["tests.service.systemctl_fixtures"]  # the `systemctl` fixture


def at(env: dict, moment: datetime = RECORDED_AT, **extra: str) -> Runtime:
    """The check's runtime with the stand-in's PATH, its clock at `moment` (the recording's by default)."""
    return Runtime(env={**env, **extra}, now=lambda: moment, deadline=time.monotonic() + 10)


def test_the_stand_in_filters_as_systemctl_does(systemctl):
    """The one multi-unit call recorded as systemctl answered it is what the stand-in answers from the full
    recordings: the same lines, blocks and order."""
    import subprocess

    systemctl.record("running.service", "nosuch.service")
    done = subprocess.run(["systemctl", "show", "--property=ActiveState,SubState,LoadState", "--",
                           "running.service", "nosuch.service"], capture_output=True, text=True,
                          env={**os.environ, **systemctl.env, "LC_ALL": "C", "TZ": "UTC"}, check=True)
    assert done.stdout == (FIXTURES / "show-two-units.txt").read_text()


# --- units, as systemd left them ----------------------------------------------------------------


@pytest.mark.parametrize("unit, status, words", [
    ("running.service", Status.OK, "running.service active (running)"),
    ("crashloop.service", Status.CRITICAL, "crashloop.service failed, 3 restarts"),
    ("broken.service", Status.CRITICAL, "broken.service failed"),
    ("nosuch.service", Status.CRITICAL, "nosuch.service not found (no such unit)"),
    ("masked.service", Status.CRITICAL, "masked.service is masked"),
    ("stuck-job.service", Status.WARNING, "stuck-job.service activating (start)"),
    ("oneshot-ok.service", Status.CRITICAL, "oneshot-ok.service inactive (dead)"),
])
def test_units_must_be_active_by_default(systemctl, unit, status, words):
    systemctl.record(unit)
    result = check_service(ServiceOptions(systemd=(unit,)), at(systemctl.env))
    assert result.status is status, result.summary
    assert result.summary.startswith(words)


@pytest.mark.parametrize("unit, status, words", [
    ("oneshot-ok.service", Status.OK,
     "oneshot-ok.service inactive (dead), last run succeeded at Tue 2026-12-01 13:16:01 UTC"),
    ("oneshot-fail.service", Status.CRITICAL,
     "oneshot-fail.service failed: last run failed (result exit-code, exit status 3)"),
    ("stuck-job.service", Status.OK, "stuck-job.service activating (start): running now"),
    ("broken.service", Status.CRITICAL, "broken.service failed: last run failed (result exit-code, exit status 1)"),
    ("running.service", Status.CRITICAL, "running.service active (running), expected inactive"),
    ("nosuch.service", Status.CRITICAL, "nosuch.service not found (no such unit)"),
])
def test_oneshot_jobs_with_expect_state_inactive(systemctl, unit, status, words):
    systemctl.record(unit)
    result = check_service(ServiceOptions(systemd=(unit,), expect_state="inactive"), at(systemctl.env))
    assert result.status is status, result.summary
    assert result.summary == words


def test_a_oneshots_last_run_is_in_the_long_output(systemctl):
    systemctl.record("oneshot-fail.service")
    result = check_service(ServiceOptions(systemd=("oneshot-fail.service",), expect_state="inactive"),
                           at(systemctl.env))
    assert ("oneshot-fail.service: last run started Tue 2026-12-01 13:15:59 UTC, exited 3 at "
            "Tue 2026-12-01 13:15:59 UTC") in result.details


def test_restarts_and_main_pid(systemctl):
    systemctl.record("running.service", "crashloop.service")
    result = check_service(ServiceOptions(systemd=("running.service", "crashloop.service"), restarts_warning=2),
                           at(systemctl.env))
    assert result.status is Status.CRITICAL
    assert result.summary == "crashloop.service failed, 3 restarts (warning > 2: crash loop?); 1 other OK"
    assert [(p.label, p.value) for p in result.perfdata] == [("restarts_running.service", 0),
                                                              ("restarts_crashloop.service", 3)]
    assert any("since Tue 2026-12-01 13:15:59 UTC, main PID 35" in line for line in result.details)


def test_no_systemd_is_unknown_with_systemctls_reason(systemctl):
    systemctl.no_systemd()
    for options in (ServiceOptions(systemd=("cron",)), ServiceOptions(timers=("backup",)),
                    ServiceOptions(failed_units=True)):
        result = check_service(options, at(systemctl.env))
        assert result.status is Status.UNKNOWN
        assert "System has not been booted with systemd" in result.summary


# --- timers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("timer, status, words", [
    ("active.timer", Status.OK, "active.timer last triggered 13 s ago, next in 13m 46s"),
    ("never.timer", Status.OK, "never.timer never triggered, next in "),
    ("stuck.timer", Status.OK, "stuck.timer last triggered 14 s ago, its unit stuck-job.service is running"),
    ("elapsed.timer", Status.CRITICAL, "elapsed.timer is dead (elapsed): it will not fire again, last triggered"),
    ("stopped.timer", Status.CRITICAL, "stopped.timer inactive (dead): it will not fire"),
])
def test_timers_as_recorded(systemctl, timer, status, words):
    systemctl.record(timer)
    result = check_service(ServiceOptions(timers=(timer,)), at(systemctl.env))
    assert result.status is status, result.summary
    assert result.summary.startswith(words), result.summary


def test_timer_names_and_perfdata(systemctl):
    systemctl.record("active.timer")
    result = check_service(ServiceOptions(timers=("active",)), at(systemctl.env, RECORDED_AT + timedelta(minutes=1)))
    assert result.summary.startswith("active.timer last triggered 1m 13s ago")
    [age] = result.perfdata
    assert (age.label, age.value, age.uom) == ("last_trigger", 73, "s")
    assert ("active.timer: last trigger Tue 2026-12-01 13:16:01 UTC, next elapse Tue 2026-12-01 13:30:00 UTC, "
            "runs oneshot-ok.service") in result.details


def test_a_timer_past_its_next_elapse_is_dead(systemctl):
    """The same recording read when its next elapse (13:30:00) is long past: the timer did not fire."""
    systemctl.record("active.timer")
    options = ServiceOptions(timers=("active.timer",))
    due = datetime(2026, 12, 1, 13, 30, 30, tzinfo=UTC)  # within accuracy (1s) + a minute's grace
    assert check_service(options, at(systemctl.env, due)).status is Status.OK
    late = check_service(options, at(systemctl.env, due + timedelta(hours=2)))
    assert late.status is Status.CRITICAL
    assert late.summary.startswith("active.timer is dead: its next elapse was 2h 00m ago (Tue 2026-12-01 "
                                   "13:30:00 UTC), last triggered 2h 14m ago")


def test_age_ranges_on_the_last_trigger(systemctl):
    systemctl.record("active.timer", "stuck.timer")
    options = ServiceOptions(timers=("active.timer", "stuck.timer"), warning=parse_range("10m", "duration"),
                             critical=parse_range("1h", "duration"))
    fresh = check_service(options, at(systemctl.env))
    assert fresh.status is Status.OK
    assert [(p.label, p.warning.render(), p.critical.render()) for p in fresh.perfdata] == [
        ("last_trigger_active.timer", "600", "3600"), ("last_trigger_stuck.timer", "600", "3600")]
    # A job stuck for hours: its timer waits on it, with no next elapse, and the age says so.
    stuck = check_service(ServiceOptions(timers=("stuck.timer",), critical=parse_range("1h", "duration")),
                          at(systemctl.env, RECORDED_AT + timedelta(hours=3)))
    assert stuck.status is Status.CRITICAL
    assert stuck.summary.endswith("its unit stuck-job.service is running (critical > 1h 00m)")
    warned = check_service(options, at(systemctl.env, RECORDED_AT + timedelta(minutes=11)))
    assert warned.status is Status.WARNING and "(warning > 10m 00s)" in warned.summary


def test_a_timer_never_triggered_counts_from_when_it_started(systemctl):
    systemctl.record("never.timer")
    options = ServiceOptions(timers=("never.timer",), critical=parse_range("1d", "duration"))
    assert check_service(options, at(systemctl.env)).status is Status.OK
    overdue = check_service(options, at(systemctl.env, RECORDED_AT + timedelta(days=2)))
    assert overdue.status is Status.CRITICAL
    assert overdue.summary.startswith("never.timer never triggered in 2d 0h since it started, next in ")
    assert overdue.perfdata[0].value is None


def test_a_missing_timer_is_critical(systemctl):
    systemctl["nightly.timer"] = "show-nosuch.service.txt"  # what systemctl shows for any unit it has no file for
    result = check_service(ServiceOptions(timers=("nightly",)), at(systemctl.env))
    assert result.status is Status.CRITICAL and result.summary == "nightly.timer not found (no such unit)"


@pytest.mark.parametrize("name, unit", [("backup", "backup.timer"), ("backup.timer", "backup.timer"),
                                        ("logrotate.daily", "logrotate.daily.timer")])
def test_timer_unit_names(name, unit):
    assert timer_unit(name) == unit


@pytest.mark.parametrize("name", ["backup.service", "", "  ", "x.socket"])
def test_timer_unit_mistakes(name):
    with pytest.raises(UsageError, match="--timer"):
        timer_unit(name)


# --- failed units ---------------------------------------------------------------------------------


def test_failed_units(systemctl):
    systemctl.failed()
    result = check_service(ServiceOptions(failed_units=True), at(systemctl.env))
    assert result.status is Status.CRITICAL
    assert result.summary == "3 failed units: broken.service, crashloop.service, oneshot-fail.service"
    assert [(p.label, p.value, p.critical.render()) for p in result.perfdata] == [("failed_units", 3, "0")]
    assert "failed: broken.service (A daemon that fails at start)" in result.details


def test_failed_units_left_out_by_pattern(systemctl):
    systemctl.failed()
    one = check_service(ServiceOptions(failed_units=True, unit_excludes=("^broken", r"oneshot-.*\.service$")),
                        at(systemctl.env))
    assert one.status is Status.CRITICAL
    assert one.summary == "1 failed unit: crashloop.service (2 left out)"
    none = check_service(ServiceOptions(failed_units=True, unit_excludes=(r"\.service$",)), at(systemctl.env))
    assert none.status is Status.OK and none.summary == "no failed units (3 left out)"
    assert none.perfdata[0].value == 0


def test_no_failed_units(systemctl, tmp_path):
    empty = tmp_path / "none"
    empty.write_text("")
    (systemctl.root / "units" / "system" / "list-units-failed").write_text("")
    result = check_service(ServiceOptions(failed_units=True), at(systemctl.env))
    assert result.status is Status.OK and result.summary == "no failed units"


def test_unit_exclude_regexes_run_in_linear_time(systemctl):
    systemctl.failed()
    with pytest.raises(UsageError, match="--unit-exclude"):
        check_service(ServiceOptions(failed_units=True, unit_excludes=("(?<=x)y",)), at(systemctl.env))


def test_list_units_rows():
    text = (FIXTURES / "list-units-failed.txt").read_text()
    assert parse_list_units(text)[0] == FailedUnit("broken.service", "loaded", "failed", "failed",
                                                   "A daemon that fails at start")
    # Older systemd prints a bullet before a failed unit even with --plain.
    assert parse_list_units("● x.service loaded failed failed X\n") == [
        FailedUnit("x.service", "loaded", "failed", "failed", "X")]


_UNIT_NAME = st.from_regex(r"[A-Za-z0-9:_.\\@-]{1,40}\.(service|timer|mount|socket)", fullmatch=True)
_DESCRIPTION = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=30).map(lambda s: " ".join(s.split()))


@given(st.lists(st.tuples(_UNIT_NAME, st.sampled_from(["loaded", "not-found", "masked"]),
                          st.sampled_from(["failed"]), st.sampled_from(["failed", "auto-restart"]), _DESCRIPTION),
                max_size=6))
def test_list_units_parser_reads_back_what_systemctl_writes(rows):
    width = max((len(row[0]) for row in rows), default=0)
    text = "".join(f"{u:<{width}} {load} {active} {sub} {description}".rstrip() + "\n"
                   for u, load, active, sub, description in rows)
    assert parse_list_units(text) == [FailedUnit(*row) for row in rows]


# --- user units -----------------------------------------------------------------------------------


def test_user_units(systemctl):
    systemctl.user.record("user-running.service", "user-broken.service", "user-job.timer")
    systemctl.user.failed()
    options = ServiceOptions(systemd=("user-running.service", "user-broken.service"), timers=("user-job",),
                             failed_units=True, user_units=True)
    result = check_service(options, at(systemctl.env))
    assert result.status is Status.CRITICAL
    assert result.summary.startswith("user-broken.service failed; 1 failed user unit: user-broken.service; ")
    assert "user-job.timer last triggered" in result.details[-2] or any(
        "user-job.timer last triggered" in line for line in result.details)
    assert all(call.startswith("user ") for call in systemctl.calls() if not call.startswith("XDG"))


def test_user_units_find_the_manager_without_xdg_runtime_dir(systemctl):
    """Cron gives a job no XDG_RUNTIME_DIR, and `systemctl --user` needs it: the check fills it in."""
    systemctl.user.record("user-running.service")
    env = {key: value for key, value in systemctl.env.items() if key != "XDG_RUNTIME_DIR"}
    result = check_service(ServiceOptions(systemd=("user-running.service",), user_units=True), at(env))
    assert result.status is Status.OK, result.summary
    assert f"XDG_RUNTIME_DIR=/run/user/{os.getuid()}" in systemctl.calls()


def test_system_units_are_not_the_users(systemctl):
    systemctl.user.record("user-running.service")
    result = check_service(ServiceOptions(systemd=("user-running.service",)), at(systemctl.env))
    assert result.status is Status.UNKNOWN  # the stand-in has no system unit of that name


# --- timestamps, usage, the command ------------------------------------------------------------


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)))  # noqa: DTZ001
def test_systemd_timestamps_read_back(moment):
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    assert parse_systemd_timestamp(moment.strftime("%a %Y-%m-%d %H:%M:%S UTC")) == moment


@pytest.mark.parametrize("text", [None, "", "n/a", "  "])
def test_no_timestamp(text):
    assert parse_systemd_timestamp(text) is None


@pytest.mark.parametrize("text", ["Tue 2026-12-01 13:15:05 CET", "yesterday", "Tue 2026-13-01 13:15:05 UTC"])
def test_unreadable_timestamps_say_so(text):
    with pytest.raises(CheckError, match="cannot read"):
        parse_systemd_timestamp(text)


def test_every_recorded_timestamp_reads():
    for path in FIXTURES.glob("*show-*.txt"):
        for block in parse_systemctl_show(path.read_text()):
            for key, value in block.items():
                if key.endswith("Timestamp") or key in ("LastTriggerUSec", "NextElapseUSecRealtime"):
                    assert value == "" or parse_systemd_timestamp(value) is not None, (path.name, key)


@pytest.mark.parametrize("options, words", [
    (ServiceOptions(timers=("a",), processes=("x",), warning=parse_range("1h", "duration")), "two calls"),
    (ServiceOptions(ports=("80",), unit_excludes=("x",)), "--unit-exclude goes with --failed-units"),
    (ServiceOptions(ports=("80",), user_units=True), "--user-units goes with"),
    (ServiceOptions(timers=("a",), expect_state="inactive"), "--expect-state goes with --systemd"),
])
def test_usage_mistakes(options, words):
    with pytest.raises(UsageError, match=words):
        check_service(options, at({}))


def test_console_script(systemctl):
    # The command reads the real clock: recordings whose verdict does not move with it (due in 2099, elapsed).
    systemctl.record("never.timer", "elapsed.timer")
    systemctl.failed()
    env = {**os.environ, **systemctl.env}
    timer = run_console_script("check-service", "--timer", "never", env=env)
    assert timer.code == 0 and timer.first_line.startswith("SERVICE OK - never.timer never triggered, next in "), \
        timer.stdout
    assert timer.first_line.endswith("| last_trigger=U;;;0")
    dead = run_console_script("check-service", "--timer", "never", "--timer", "elapsed", "-w", "1h", env=env)
    assert dead.code == 2 and dead.first_line.startswith("SERVICE CRITICAL - elapsed.timer is dead (elapsed)")
    assert "last_trigger_never.timer=U;3600;;0" in dead.first_line
    failed = run_console_script("check-service", "--failed-units", "--unit-exclude", "^crash", env=env)
    assert failed.code == 2
    assert failed.first_line == ("SERVICE CRITICAL - 2 failed units: broken.service, oneshot-fail.service "
                                 "(1 left out) | failed_units=2;;0;0")
    # -w/-c take durations for a timer; on a process count a unit is a mistake
    count = run_console_script("check-service", "--process", "x", "-w", "5m", env=env)
    assert count.code == 3 and "invalid -w/--warning" in count.first_line


def test_a_timer_as_a_unit_has_no_restart_count(systemctl):
    systemctl.record("active.timer")
    result = check_service(ServiceOptions(systemd=("active.timer",)), at(systemctl.env))
    assert result.status is Status.OK and result.summary == "active.timer active (waiting)"
    assert result.perfdata == ()


def test_suite_tables_read_the_same_options():
    """A suite table goes through the same reader: durations for a timer's -w/-c, numbers for counts."""
    from cronchecks.core.invocation import build_invocation
    from cronchecks.core.values import OptionError, OptionValues

    timer = build_invocation("service", OptionValues({"timer": ["backup"], "warning": "25h", "critical": 180000},
                                                     "suite"))
    assert (timer.options.warning.end, timer.options.critical.end) == (90000, 180000)
    with pytest.raises(OptionError, match="-w/--warning"):
        build_invocation("service", OptionValues({"process": ["x"], "warning": "5m"}, "suite"))
    old = build_invocation("service", OptionValues({"process": ["x"], "memory-warning": "1G", "state": "Z,T",
                                                    "critical": "0"}, "suite"))
    assert old.options.rss_warning.end == 2**30 and old.options.states == ("zombie", "stopped")


@given(st.integers(0, 10**8), st.integers(-10**6, 10**8), st.sampled_from(["show-active.timer.txt",
                                                                          "show-stuck.timer.txt"]))
def test_a_timers_age_is_the_time_since_its_last_trigger(after, shift, recording):
    """Read at any moment, a fired timer's perfdata is the seconds since its recorded last trigger, and with no
    thresholds it is OK until its next elapse is missed."""
    from cronchecks.service.timers import judge_timer

    [block] = parse_systemctl_show((FIXTURES / recording).read_text())
    last = parse_systemd_timestamp(block["LastTriggerUSec"])
    assert last is not None
    now = last + timedelta(seconds=after)
    finding = judge_timer("t.timer", block, now, None, None, False)
    assert finding.perfdata[0].value == after
    next_elapse = parse_systemd_timestamp(block.get("NextElapseUSecRealtime"))
    missed = next_elapse is not None and (now - next_elapse).total_seconds() > 61
    assert (finding.status is Status.CRITICAL) == missed
    limit = parse_range(f"{abs(shift)}s", "duration")
    judged = judge_timer("t.timer", block, now, None, limit, False)
    assert judged.status is (Status.CRITICAL if missed or after > abs(shift) else Status.OK)
