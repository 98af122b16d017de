"""`cronchecks run` end to end: real subprocesses, a real SQLite store, a loopback webhook receiver."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import VENV_BIN, LoopbackHTTP, Reply, run_console_script

PY = sys.executable


def wrap(state: Path, *args: str, timeout: float = 60, env: dict | None = None):
    return run_console_script("cronchecks", "run", "--state-dir", str(state), *args, timeout=timeout, env=env)


def store(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(state / "cronchecks.sqlite3")


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{PY}\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


class Receiver(LoopbackHTTP):
    """A webhook receiver that can be down (503) or up, and keeps what it accepted, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.up = True
        self.accepted: list[dict] = []
        self.routes["/hook/T0KEN-SECRET-123"] = self._hook

    def _hook(self, handler) -> Reply:
        body = json.loads(self.requests[-1]["body"])
        if not self.up:
            return Reply(503, "down")
        self.accepted.append(body)
        return Reply(200, "ok")

    @property
    def hook(self) -> str:
        return self.url + "/hook/T0KEN-SECRET-123"


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


# --- pass-through ------------------------------------------------------------------------


def test_plain_job_output_and_exit_code_pass_through_unchanged(tmp_path):
    job = script(tmp_path, "backup.sh", """
        import sys
        sys.stdout.write("line one\\nline | two\\n")
        sys.stderr.write("warning on stderr\\n")
        sys.exit(5)
    """)
    done = wrap(tmp_path / "state", "--name", "backup", "--", job)
    assert done.code == 5
    assert done.stdout == "line one\nline | two\n"
    assert done.stderr == "warning on stderr\n"
    row = store(tmp_path / "state").execute("select status, exit_code, summary from results").fetchone()
    assert row == (2, 5, "exit code 5: line one")


@pytest.mark.parametrize("code, nagios_flag, recorded", [
    (0, None, 0), (1, None, 1), (2, None, 2), (3, None, 3), (4, None, 2),
    (1, "--no-nagios", 2), (3, "--no-nagios", 2),
])
def test_plugin_exit_codes_are_states(tmp_path, code, nagios_flag, recorded):
    plugin = script(tmp_path, "check_thing", f"""
        print("THING STATE - value is 5 | value=5;3;4;0")
        raise SystemExit({code})
    """)
    args = ["--name", "thing"] + ([nagios_flag] if nagios_flag else []) + ["--", plugin]
    done = wrap(tmp_path / "state", *args)
    assert done.code == code
    assert done.stdout == "THING STATE - value is 5 | value=5;3;4;0\n"
    status, perf = store(tmp_path / "state").execute("select status, perfdata from results").fetchone()
    assert status == recorded
    assert json.loads(perf) == [{"label": "value", "value": 5.0, "uom": ""}]


def test_a_command_that_cannot_start_is_unknown(tmp_path):
    done = wrap(tmp_path / "state", "--name", "ghost", "--", str(tmp_path / "no-such-program"))
    assert done.code == 3
    assert done.stdout == f"GHOST UNKNOWN - command not found: {tmp_path / 'no-such-program'}\n"
    not_exec = tmp_path / "not-executable"
    not_exec.write_text("echo hi")
    done = wrap(tmp_path / "state", "--name", "ghost", "--", str(not_exec))
    assert done.code == 3 and "not executable" in done.stdout
    assert store(tmp_path / "state").execute("select count(*) from results where status = 3").fetchone()[0] == 2


def test_timeout_ends_the_whole_process_tree(tmp_path):
    pids = tmp_path / "pids"
    job = script(tmp_path, "hang.py", f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open({str(pids)!r}, "w").write(str(child.pid))
        print("started", flush=True)
        time.sleep(120)
    """)
    started = time.monotonic()
    done = wrap(tmp_path / "state", "--name", "hang", "-t", "1s", "--", job)
    assert time.monotonic() - started < 20
    assert done.code == 2
    assert done.stdout.splitlines() == ["started", "HANG CRITICAL - timed out after 1.0 s; the command was ended"]
    grandchild = int(pids.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(grandchild):
        time.sleep(0.1)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_usage_mistakes_are_unknown(tmp_path):
    for args in (["--after", "0", "--", "true"], ["--notify-on", "sometimes", "--", "true"],
                 ["--on-fail-limit", "lots", "--", "true"], ["--webhook", "ftp://x", "--", "true"],
                 ["--timeout", "-5s", "--", "true"], ["--on-fail-when", "(", "--", "true"]):
        done = wrap(tmp_path / "state", *args)
        assert done.code == 3, args
        assert done.stdout.startswith("CRONCHECKS UNKNOWN - "), done.stdout
        assert "Traceback" not in done.stderr


# --- alerts ------------------------------------------------------------------------------


def test_problem_and_recovery_reach_the_webhook_once(tmp_path, receiver):
    flag = tmp_path / "broken"
    plugin = script(tmp_path, "check_flag", f"""
        import os, sys
        if os.path.exists({str(flag)!r}):
            print("FLAG CRITICAL - broken", open({str(flag)!r}).read()); sys.exit(2)
        print("FLAG OK - fine"); sys.exit(0)
    """)
    def run():
        return wrap(tmp_path / "state", "--name", "flag", "--webhook", receiver.hook, "--", plugin)

    assert run().code == 0
    flag.write_text("first")
    assert run().code == 2
    flag.write_text("second")
    assert run().code == 2
    flag.unlink()
    assert run().code == 0
    kinds = [(a["kind"], a["status"]) for a in receiver.accepted]
    assert kinds == [("problem", "CRITICAL"), ("recovery", "OK")]
    recovery = receiver.accepted[1]
    assert recovery["check"] == "flag" and recovery["previous"] == "CRITICAL" and recovery["downtime"] > 0
    assert recovery["output"].startswith("FLAG OK - fine")
    assert recovery["problem_output"].startswith("FLAG CRITICAL - broken first")  # the first failure's output
    assert receiver.accepted[0]["summary"] == "FLAG CRITICAL - broken first"


def test_receiver_down_for_several_runs_then_up_every_alert_arrives_once_in_order(tmp_path, receiver):
    flag = tmp_path / "broken"
    plugin = script(tmp_path, "check_flag", f"""
        import os, sys
        state = open({str(flag)!r}).read() if os.path.exists({str(flag)!r}) else "0"
        print("FLAG", ["OK", "WARNING", "CRITICAL"][int(state)]); sys.exit(int(state))
    """)

    def run(state: int):
        flag.write_text(str(state))
        done = wrap(tmp_path / "state", "--name", "flag", "--webhook", receiver.hook, "--notify-timeout", "1s",
                    "--", plugin)
        assert done.code == state  # a failing channel never changes the exit code
        return done

    receiver.up = False
    first = run(1)
    assert "not delivered" in first.stderr and "kept in the outbox" in first.stderr
    assert "T0KEN-SECRET-123" not in first.stderr + first.stdout
    run(2)
    run(0)
    run(2)
    assert receiver.accepted == []
    assert store(tmp_path / "state").execute("select count(*) from outbox").fetchone()[0] == 4
    receiver.up = True
    run(2)
    kinds = [(a["kind"], a["status"]) for a in receiver.accepted]
    assert kinds == [("problem", "WARNING"), ("escalation", "CRITICAL"), ("recovery", "OK"), ("problem", "CRITICAL")]
    assert len({a["id"] for a in receiver.accepted}) == 4
    assert store(tmp_path / "state").execute("select count(*) from outbox").fetchone()[0] == 0
    run(2)
    assert len(receiver.accepted) == 4


def test_permanent_rejection_is_dropped_not_retried(tmp_path, http_server):
    http_server.routes["/gone"] = Reply(410, "gone")
    done = wrap(tmp_path / "state", "--name", "x", "--webhook", http_server.url + "/gone", "--", "false")
    assert done.code == 1
    assert "dropped" in done.stderr and "permanent" in done.stderr
    assert store(tmp_path / "state").execute("select count(*) from outbox").fetchone()[0] == 0
    assert len(http_server.requests) == 1


def test_outbox_entries_expire_with_a_line(tmp_path, closed_port):
    hook = f"http://127.0.0.1:{closed_port}/hook"
    wrap(tmp_path / "state", "--name", "x", "--webhook", hook, "--notify-timeout", "500ms", "--", "false")
    db = store(tmp_path / "state")
    assert db.execute("select count(*) from outbox").fetchone()[0] == 1
    # Three attempts by runs spread over two hours: past a 1h expiry, it goes (with a line).
    db.execute("update outbox set attempts = 3, first_attempt = last_attempt - 7200")
    db.commit()
    done = wrap(tmp_path / "state", "--name", "x", "--webhook", hook, "--notify-timeout", "500ms",
                "--outbox-expiry", "1h", "--", "false")
    assert "dropped the problem of x after 3 attempt(s)" in done.stderr
    assert db.execute("select count(*) from outbox").fetchone()[0] == 0


def test_a_message_queued_by_a_clock_days_behind_is_still_tried(tmp_path, closed_port):
    """A run whose clock was two days behind queued a problem: the next run tries it, not drops it."""
    hook = f"http://127.0.0.1:{closed_port}/hook"
    wrap(tmp_path / "state", "--name", "x", "--webhook", hook, "--notify-timeout", "200ms", "--", "false")
    db = store(tmp_path / "state")
    db.execute("update outbox set created = created - 2 * 86400, first_attempt = first_attempt - 2 * 86400, "
               "last_attempt = last_attempt - 2 * 86400")
    db.commit()
    assert db.execute("select attempts from outbox").fetchone() == (1,)
    done = wrap(tmp_path / "state", "--name", "x", "--webhook", hook, "--notify-timeout", "200ms",
                "--outbox-expiry", "1h", "--", "false")
    assert "dropped" not in done.stderr and "not delivered" in done.stderr
    assert db.execute("select attempts from outbox").fetchone() == (2,)


def test_after_three_failures_then_reminders(tmp_path, receiver):
    for _ in range(7):
        wrap(tmp_path / "state", "--name", "job", "--after", "3", "--remind-every", "2", "--webhook", receiver.hook,
             "--", "false")
    assert [a["kind"] for a in receiver.accepted] == ["problem", "reminder", "reminder"]
    assert receiver.accepted[0]["consecutive"] == 3


# --- remediation -------------------------------------------------------------------------


def test_remediation_runs_when_output_matches_and_is_rate_limited(tmp_path, receiver):
    fixed = tmp_path / "fixed"
    plugin = script(tmp_path, "check_site", f"""
        import os, sys
        if os.path.exists({str(fixed)!r}):
            print("SITE OK - 200"); sys.exit(0)
        print("SITE CRITICAL - 403 Forbidden"); sys.exit(2)
    """)
    fixer = script(tmp_path, "reload-nginx", f"""
        open({str(tmp_path / 'reloads')!r}, "a").write("reload\\n")
        open({str(fixed)!r}, "w").write("")
    """)
    common = ["--name", "site", "--webhook", receiver.hook, "--on-fail", fixer, "--on-fail-limit", "2/1h"]
    # output does not match: no remediation
    done = wrap(tmp_path / "state", *common, "--on-fail-when", "502", "--", plugin)
    assert done.code == 2 and not (tmp_path / "reloads").exists()
    # matches: remediation runs, the check is re-run and recovers
    done = wrap(tmp_path / "state", *common, "--on-fail-when", "403", "--", plugin)
    assert done.code == 2  # the caller sees the first run, as without the wrapper
    assert done.stdout == "SITE CRITICAL - 403 Forbidden\n"
    assert (tmp_path / "reloads").read_text() == "reload\n"
    kinds = [a["kind"] for a in receiver.accepted]
    assert kinds == ["problem", "remediation", "recovery"]
    remediation = receiver.accepted[1]["remediation"]
    assert remediation["helped"] is True and remediation["outcome"] == "exit code 0"
    rows = store(tmp_path / "state").execute("select helped, exit_code from remediations").fetchall()
    assert rows == [(1, 0)]
    # rate limit: two per hour
    for _ in range(3):
        fixed.unlink(missing_ok=True)
        wrap(tmp_path / "state", *common, "--", plugin)
    assert (tmp_path / "reloads").read_text().count("reload") == 2
    assert store(tmp_path / "state").execute("select count(*) from remediations").fetchone()[0] == 2


# --- concurrency, kills, locks ------------------------------------------------------------


def test_thirty_concurrent_runs_lose_nothing(tmp_path):
    state = tmp_path / "state"
    exe = str(VENV_BIN / "cronchecks")
    procs = [subprocess.Popen([exe, "run", "--state-dir", str(state), "--name", f"c{i % 3}", "--",
                               "sh", "-c", f"echo run {i}; exit {i % 2}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(30)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [i % 2 for i in range(30)]
    for _out, err in outputs:
        assert "locked" not in err and "Traceback" not in err
    db = store(state)
    assert db.execute("select count(*) from results").fetchone()[0] == 30
    assert db.execute("select count(*) from checks").fetchone()[0] == 3


def test_sigkill_at_random_points_keeps_the_store_consistent_and_loses_no_alert(tmp_path, receiver):
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("POSIX only")
    state = tmp_path / "state"
    exe = str(VENV_BIN / "cronchecks")
    rng = random.Random(7)
    # Kill points spread over a whole run as long as one takes on this machine now (a loaded
    # machine runs slower: fixed delays would kill every run before it records anything).
    started = time.monotonic()
    wrap(state, "--name", "k", "--webhook", receiver.hook, "--", "sh", "-c", "exit 0")
    whole = max(0.3, time.monotonic() - started)
    for index in range(24):
        code = (index // 2) % 2  # OK, OK, FAIL, FAIL, ...
        proc = subprocess.Popen([exe, "run", "--state-dir", str(state), "--name", "k", "--webhook", receiver.hook,
                                 "--", "sh", "-c", f"exit {code}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.1, 1.2) * whole)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Let the survivors deliver what is owed: the same state again, without kills.
    for _ in range(2):
        wrap(state, "--name", "k", "--webhook", receiver.hook, "--", "sh", "-c", "exit 0")
    db = store(state)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("select count(*) from outbox").fetchone()[0] == 0
    # Replaying the policy over the results that were recorded gives every notice that
    # was owed; each must have arrived, in order. A kill after a send but before it was
    # marked delivered may repeat one (at least once): the event id tells repeats apart.
    from cronchecks.alerting.policy import Policy, decide
    from cronchecks.core.result import Status

    owed: list[str] = []
    history: list[Status] = []
    state_so_far = None
    for at, status in db.execute("select at, status from results where check_name = 'k' order by id"):
        history.append(Status(status))
        decision = decide(state_so_far, Status(status), at, history[-20:], Policy())
        state_so_far = decision.state
        owed.extend(decision.notices)
    seen, arrived = set(), []
    for alert in receiver.accepted:
        if alert["id"] not in seen:
            seen.add(alert["id"])
            arrived.append(alert["kind"])
    assert arrived == owed
    assert owed  # the loop did record problems and recoveries


def test_lock_keeps_a_second_run_from_overlapping(tmp_path):
    state = tmp_path / "state"
    exe = str(VENV_BIN / "cronchecks")
    marker = tmp_path / "started"
    first = subprocess.Popen([exe, "run", "--state-dir", str(state), "--name", "slow", "--lock", "--",
                              "sh", "-c", f"touch {marker}; sleep 3"], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 15
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = wrap(state, "--name", "slow", "--lock", "--", "true")
    assert second.code == 3
    assert second.stdout.startswith("SLOW UNKNOWN - still running since ") and "(pid " in second.stdout
    assert first.wait(timeout=30) == 0
    third = wrap(state, "--name", "slow", "--lock", "--", "true")
    assert third.code == 0
    # The refused run is counted as skipped, not recorded as a state of the check: the
    # report shows the job OK all along (it was UNKNOWN at 0.90 % uptime before).
    db = store(state)
    assert [s for (s,) in db.execute("select status from results order by id")] == [0, 0]
    assert next(r for (r,) in db.execute("select reason from skipped")).startswith("still running since ")
    assert db.execute("select status from checks where name = 'slow'").fetchone() == (0,)


def test_secrets_stay_out_of_output_and_store(tmp_path, receiver):
    receiver.up = False
    done = wrap(tmp_path / "state", "--name", "s", "--webhook", receiver.hook, "--notify-timeout", "500ms", "-v",
                "--", "false")
    dump = "\n".join(store(tmp_path / "state").iterdump())
    for text in (done.stdout, done.stderr, dump):
        assert "T0KEN-SECRET-123" not in text
    assert "json webhook http://127.0.0.1:" in done.stderr and "/***" in done.stderr
