"""`cronchecks run` when the store, the lock or the receiver misbehave: the job always runs, nothing is reordered."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.conftest import LoopbackHTTP, Reply, run_console_script


def wrap(state: Path, *args: str, env: dict | None = None):
    return run_console_script("cronchecks", "run", "--state-dir", str(state), *args, timeout=60, env=env)


def _state_is_a_file(state: Path) -> None:
    state.write_text("not a folder")


def _corrupt_store(state: Path) -> None:
    state.mkdir()
    (state / "cronchecks.sqlite3").write_bytes(b"this is not an SQLite database" * 100)


def _planted_link(state: Path) -> None:
    state.mkdir()
    (state.parent / "victim").write_text("precious")
    (state / "cronchecks.sqlite3").symlink_to(state.parent / "victim")


def _newer_schema(state: Path) -> None:
    state.mkdir()
    db = sqlite3.connect(state / "cronchecks.sqlite3")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()


@pytest.mark.parametrize("breakage", [_state_is_a_file, _corrupt_store, _planted_link, _newer_schema],
                         ids=lambda f: f.__name__.strip("_"))
def test_the_job_runs_and_its_exit_code_passes_whatever_the_store(tmp_path, breakage):
    state = tmp_path / "state"
    breakage(state)
    marker = tmp_path / "backup-done"
    done = wrap(state, "--name", "backup", "--", "sh", "-c", f"echo backing up; touch {marker}; exit 0")
    assert marker.exists(), "the job did not run"
    assert done.code == 0 and done.stdout == "backing up\n"
    assert done.stderr.count("\n") == 1 and "unrecorded" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stdout
    failing = wrap(state, "--name", "backup", "--", "sh", "-c", "exit 5")
    assert failing.code == 5
    if breakage is _planted_link:
        assert (tmp_path / "victim").read_text() == "precious"


def test_the_lost_record_is_announced_where_a_channel_answers(tmp_path):
    state = tmp_path / "state"
    _state_is_a_file(state)
    with LoopbackHTTP() as receiver:
        receiver.routes["/hook"] = Reply(200, "ok")
        done = wrap(state, "--name", "backup", "--webhook", receiver.url + "/hook", "--", "true")
        assert done.code == 0
        sent = [json.loads(request["body"]) for request in receiver.requests]
    assert len(sent) == 1 and "not recorded" in sent[0]["summary"] and sent[0]["check"] == "backup"


def test_keep_prunes_only_the_check_being_run(tmp_path):
    state = tmp_path / "state"
    for _ in range(3):
        wrap(state, "--name", "other", "--", "true")
    done = wrap(state, "--name", "z", "--keep", "1s", "--", "true")
    assert done.code == 0
    db = sqlite3.connect(state / "cronchecks.sqlite3")
    db.execute("UPDATE results SET at = at - 3600")
    db.commit()
    wrap(state, "--name", "z", "--keep", "1s", "--", "true")
    counts = dict(db.execute("SELECT check_name, count(*) FROM results GROUP BY check_name"))
    assert counts == {"other": 3, "z": 1}


def test_store_and_state_folder_are_private_whatever_the_umask(tmp_path):
    state = tmp_path / "state"
    old = os.umask(0)
    try:
        done = wrap(state, "--name", "x", "--", "true")
    finally:
        os.umask(old)
    assert done.code == 0
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for name in ("cronchecks.sqlite3", "cronchecks.sqlite3-wal", "cronchecks.sqlite3-shm"):
        path = state / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_a_planted_lock_link_is_refused_and_its_target_untouched(tmp_path):
    state = tmp_path / "state"
    (state / "locks").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (state / "locks" / "job.lock").symlink_to(victim)
    done = wrap(state, "--name", "job", "--lock", "--", "true")
    assert done.code == 0  # the job still ran, without the lock
    assert "symbolic link" in done.stderr
    assert victim.read_text() == "precious"


class HeldBack(LoopbackHTTP):
    """A receiver that answers the first message 429 with a Retry-After, then takes every message."""

    def __init__(self, retry_after: str) -> None:
        super().__init__()
        self.retry_after = retry_after
        self.accepted: list[dict] = []
        self.refused_once = False
        self.routes["/hook"] = self._hook

    def _hook(self, handler) -> Reply:
        body = json.loads(self.requests[-1]["body"])
        if not self.refused_once:
            self.refused_once = True
            return Reply(429, "slow down", headers={"Retry-After": self.retry_after})
        self.accepted.append(body)
        return Reply(200, "ok")


@pytest.mark.parametrize("retry_after", ["30", "Wed, 01 Jan 2099 00:00:00 GMT"])
def test_nothing_newer_goes_out_while_an_older_message_waits(tmp_path, retry_after):
    state = tmp_path / "state"
    with HeldBack(retry_after) as receiver:
        hook = receiver.url + "/hook"
        for command in ("false", "true", "false", "true"):  # problem, recovery, problem, recovery
            wrap(state, "--name", "flaky", "--webhook", hook, "--notify-timeout", "1s", "--outbox-expiry", "1h",
                 "--", command)
        assert receiver.accepted == []  # the first is held back, and everything waits behind it
        db = sqlite3.connect(state / "cronchecks.sqlite3")
        db.execute("UPDATE outbox SET next_attempt = 0")  # the Retry-After (capped) has passed
        db.commit()
        wrap(state, "--name", "flaky", "--webhook", hook, "--notify-timeout", "5s", "--", "true")
        kinds = [message["kind"] for message in receiver.accepted]
    assert kinds == ["problem", "recovery", "problem", "recovery"]


def test_a_far_future_retry_after_is_capped_below_the_expiry(tmp_path):
    state = tmp_path / "state"
    with HeldBack("Wed, 01 Jan 2099 00:00:00 GMT") as receiver:
        wrap(state, "--name", "x", "--webhook", receiver.url + "/hook", "--notify-timeout", "1s",
             "--outbox-expiry", "1h", "--", "false")
    db = sqlite3.connect(state / "cronchecks.sqlite3")
    (next_attempt, last_attempt), = db.execute("SELECT next_attempt, last_attempt FROM outbox")
    assert 0 < next_attempt - last_attempt <= 1800
