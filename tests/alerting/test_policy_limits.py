"""Recovery threshold, configurable flapping and duration limits through real `cronchecks run` processes; the
policy with downtimes and acknowledgements over random sequences (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.alerting.policy import (
    ACKNOWLEDGEMENT,
    ESCALATION,
    PROBLEM,
    RECOVERY,
    REMINDER,
    CheckState,
    Hold,
    Policy,
    decide,
    parse_flapping,
)
from cronchecks.core.result import Status
from tests.alerting.quiet_fixtures import Hook, cronchecks, db, job


@pytest.fixture
def hook():
    """A loopback webhook receiver counting every alert it is sent."""
    with Hook() as server:
        yield server


def run(state, hook, command, *extra):
    return cronchecks(state, "run", "--name", "job", "--nagios", "--webhook", hook.hook, "--webhook-format", "json",
                      *extra, "--", command)


def test_recover_after_3_against_a_flapping_sequence(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    for code in (2, 0, 2, 0, 0, 2, 0, 0, 0):
        control.write_text(str(code))
        run(state, hook, command, "--recover-after", "3")
    # one incident: the lucky single and double OKs do not close it; the third OK in a row does
    assert hook.kinds() == ["problem", "recovery"]
    first, last = db(state).execute("select min(at), max(at) from results").fetchone()
    assert hook.alerts()[-1]["downtime"] == pytest.approx(last - first)  # lasted from the first failure


def in_process(state, hook, command, settings: dict, codes, control) -> list[str]:
    """The wrapper in this process (the job still a real process): a long sequence in a fraction of the time."""
    import io

    from cronchecks.alerting.channels.options import ChannelOptions
    from cronchecks.alerting.run import RunOptions, Wrapper
    from cronchecks.alerting.settings import read_alert_settings
    from cronchecks.core.values import OptionValues

    policy = read_alert_settings(OptionValues(settings, "cronchecks run")).policy
    options = RunOptions(command=(command,), name="job", state_dir=str(state), nagios=True, policy=policy,
                         channels=ChannelOptions(webhooks=(hook.hook,), webhook_format="json"))
    for code in codes:
        control.write_text(str(code))
        Wrapper(options, {}, io.StringIO(), io.StringIO()).run()
    return hook.kinds()


def test_flapping_thresholds_and_no_flapping(tmp_path, hook):
    command, control = job(tmp_path)
    sequence = (2, 0, 2, 0, 2, 0, 2, 0)
    told = in_process(tmp_path / "low", hook, command, {"flapping": "10:5"}, sequence, control)
    assert told[:3] == ["problem", "recovery", "flapping_start"]  # the default 30:25 would not flap yet
    hook.requests.clear()
    assert in_process(tmp_path / "off", hook, command, {"no-flapping": True}, sequence * 2, control) == [
        "problem", "recovery"] * 8
    for mistake in (["--flapping", "20:30"], ["--flapping", "30:25", "--no-flapping"], ["--recover-after", "21"]):
        done = run(tmp_path / "bad", hook, command, *mistake)
        assert done.code == 3 and done.stdout.count("\n") == 1 and "UNKNOWN" in done.stdout, mistake


def test_duration_warning_on_a_job_that_runs_too_long_and_one_that_ends_too_soon(tmp_path, hook):
    state = tmp_path / "state"
    done = cronchecks(state, "run", "--name", "slow", "--duration-warning", "0.1s:0.3s", "--", "sleep", "0.6")
    assert done.code == 0 and done.stdout == ""  # the job's own code and output
    status, summary, perfdata = db(state).execute(
        "select status, summary, perfdata from results where check_name = 'slow'").fetchone()
    assert status == 1 and summary.startswith("exit code 0; ran ") and "(outside 100 ms..300 ms)" in summary
    duration = next(p for p in json.loads(perfdata) if p["label"] == "duration")
    assert duration["uom"] == "s" and duration["value"] >= 0.6
    cronchecks(state, "run", "--name", "quick", "--duration-warning", "2s:", "--duration-critical", "1s:", "--",
               "true")
    status, summary = db(state).execute("select status, summary from results where check_name = 'quick'").fetchone()
    assert status == 2 and "(< 1.0 s)" in summary
    # the worse of the two: a WARNING job within its limits stays WARNING
    command, control = job(tmp_path)
    control.write_text("1")
    assert cronchecks(state, "run", "--name", "w", "--nagios", "--duration-critical", "1h", "--", command).code == 1
    assert db(state).execute("select status from results where check_name = 'w'").fetchone() == (1,)
    bad = cronchecks(state, "run", "--name", "x", "--duration-warning", "20m:30s", "--", "true")
    assert bad.code == 3 and bad.stdout.startswith("CRONCHECKS UNKNOWN - invalid --duration-warning")


def test_status_and_forget_through_the_real_command(tmp_path, hook):
    state = tmp_path / "state"
    command, control = job(tmp_path)
    control.write_text("2")
    run(state, hook, command)
    cronchecks(state, "ack", "job", "--comment", "disk")
    cronchecks(state, "downtime", "add", "job", "--for", "1h")
    plain = cronchecks(state, "status")
    assert plain.code == 0 and plain.stdout.startswith("job: CRITICAL since ")
    assert "acknowledged: disk" in plain.stdout and "in downtime 1 until" in plain.stdout
    item, = json.loads(cronchecks(state, "status", "--format", "json").stdout)
    assert item["status"] == "CRITICAL" and item["problem_open"] == "CRITICAL"
    assert item["acknowledgement"]["comment"] == "disk" and item["downtime"]["id"] == 1
    assert cronchecks(state, "status", "ghost").code == 3
    refused = cronchecks(state, "forget", "job")
    said = "not forgetting 'job' without --yes (no terminal to ask on)"
    assert refused.code == 3 and refused.stdout == f"CRONCHECKS UNKNOWN - {said}\n"
    assert cronchecks(state, "forget", "job", "--yes").stdout == "forgot job\n"
    assert cronchecks(state, "status").stdout == "no checks recorded\n"
    assert db(state).execute("select count(*) from results").fetchone() == (0,)
    assert cronchecks(state, "forget", "job", "--yes").code == 3


def on_a_terminal(*args: str, answer: bytes) -> str:
    """`cronchecks ARGS` with a pseudo-terminal as stdin and stdout, answering its prompt; what the terminal showed."""
    import errno
    import os
    import pty
    import select
    import subprocess

    from tests.conftest import VENV_BIN

    master, slave = pty.openpty()
    process = subprocess.Popen([str(VENV_BIN / "cronchecks"), *args], stdin=slave, stdout=slave, stderr=slave,
                               close_fds=True)
    os.close(slave)
    shown = b""
    answered = False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, f"no prompt: {shown!r}"
            try:
                chunk = os.read(master, 4096)
            except OSError as error:  # EIO: the program has closed the terminal
                if error.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            shown += chunk
            if not answered and b"[y/N]" in shown:
                os.write(master, answer)
                answered = True
        process.wait(30)
    finally:
        os.close(master)
    return shown.decode()


def test_forget_asks_on_a_terminal_and_status_draws_a_table(tmp_path, hook):
    from tests.pty_fixtures import run_in_pty

    state = tmp_path / "state"
    command, _ = job(tmp_path)
    run(state, hook, command)
    table = run_in_pty("cronchecks", "status", "--state-dir", str(state))
    assert table.code == 0 and "Check" in table.stdout and "State" in table.stdout and "job" in table.stdout
    kept = on_a_terminal("forget", "job", "--state-dir", str(state), answer=b"n\n")
    assert "Forget 'job'" in kept and "nothing removed" in kept
    assert db(state).execute("select count(*) from checks").fetchone() == (1,)
    gone = on_a_terminal("forget", "job", "--state-dir", str(state), answer=b"y\n")
    assert "forgot job" in gone
    assert db(state).execute("select count(*) from checks").fetchone() == (0,)


def test_parse_flapping():
    assert parse_flapping("30:25") == (30.0, 25.0)
    assert parse_flapping("50") == (50.0, 50.0)
    for text in ("25:30", "101:0", "a:b", ":"):
        with pytest.raises(ValueError, match=r"HIGH|LOW"):
            parse_flapping(text)


# --- the policy over random sequences ----------------------------------------------------------------------

steps = st.lists(st.tuples(st.sampled_from(list(Status)), st.booleans(), st.booleans()), min_size=1, max_size=40)


@settings(max_examples=400, deadline=None)
@given(steps, st.integers(1, 3), st.integers(1, 3), st.booleans())
def test_no_notice_is_lost_under_holds_and_acknowledgements(sequence, after, recover_after, sticky):
    """Held problems are announced once the hold lifts, or they recovered inside it; nothing leaks while held.

    Each step is (status, held by a downtime or dependency, acknowledged); flapping is off so that every
    problem and recovery is its own notice.
    """
    policy = Policy(after=after, remind_every=1, recover_after=recover_after, flapping=None)
    state: CheckState | None = None
    history: list[Status] = []
    acked: Status | None = None
    told_open = False  # what the channels were told: a problem is open
    for index, (status, held, ack) in enumerate(sequence):
        history.append(status)
        fresh = bool(ack and acked is None and state is not None and state.announced is not None)
        if fresh and state is not None:
            acked = state.announced
        hold = Hold("downtime" if held else None, acked, sticky, fresh)
        decision = decide(state, status, float(index), history, policy, hold)
        kinds = [kind for kind in decision.notices if kind != ACKNOWLEDGEMENT]
        if held:
            assert kinds == []
        if acked is not None and not decision.ack_ended:
            assert REMINDER not in kinds
            if sticky:
                assert ESCALATION not in kinds
        if decision.ack_ended:
            acked = None
        for kind in kinds:
            if kind == RECOVERY:
                assert told_open  # a recovery only of a problem that was told
                told_open = False
            elif kind == PROBLEM and not told_open:
                told_open = True
        state = decision.state
        # Not held, hard bad: the channels know of a problem (announced now or before).
        if not held and status is not Status.OK and state.consecutive >= after:
            assert told_open and state.announced is not None
        # Not held and OK long enough: nothing is left open.
        if not held and status is Status.OK and sum(1 for _ in _trailing_ok(history)) >= recover_after:
            assert not told_open and state.announced is None
        assert (state.announced is not None) == told_open


def _trailing_ok(history):
    for status in reversed(history):
        if status is not Status.OK:
            return
        yield status


def test_suite_keys_recover_after_and_flapping(tmp_path, hook):
    command, control = job(tmp_path)
    suite = tmp_path / "suite.toml"
    suite.write_text(f'[defaults]\nwebhook = "{hook.hook}"\nwebhook-format = "json"\nrecover-after = 2\n'
                     f'no-flapping = true\n\n[[check]]\nname = "job"\ntype = "command"\nargv = ["{command}"]\n')
    for code in (2, 0, 2, 0, 0):
        control.write_text(str(code))
        cronchecks(tmp_path / "state", "suite", str(suite))
    assert hook.kinds() == ["problem", "recovery"]
    suite.write_text(suite.read_text().replace("no-flapping = true", 'flapping = "10:20"'))
    done = cronchecks(tmp_path / "state", "suite", str(suite), "--check")
    assert done.code == 3 and f"{suite}:5: [defaults], key 'flapping': " in done.stdout


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=12), st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)).map(
    lambda pair: f"{pair[0]}:{pair[1]}")))
def test_parse_flapping_gives_ordered_percentages_or_a_value_error(text):
    try:
        high, low = parse_flapping(text)
    except ValueError:  # the one way to refuse: the settings reader turns it into an OptionError
        return
    assert 0 <= low <= high <= 100
