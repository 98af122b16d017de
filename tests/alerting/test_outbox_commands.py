"""`cronchecks outbox list|retry|purge` over a receiver that was down: real runs, a real store, a loopback receiver."""

from __future__ import annotations

import json
from pathlib import Path

from tests.alerting.routing_fixtures import cronchecks, outbox_rows, write_config

CONFIG = """\
    [channels.ops]
    type = "webhook"
    webhook-env = "OPS_HOOK"
    webhook-format = "json"
    default = true

    [channels.other]
    type = "webhook"
    webhook-env = "OTHER_HOOK"
    webhook-format = "json"
    """


def setup(tmp_path: Path, channels) -> tuple[dict, str]:
    config = write_config(tmp_path / "config.toml", CONFIG)
    env = {"CRONCHECKS_CONFIG": str(config), "OPS_HOOK": channels.hook("ops"), "OTHER_HOOK": channels.hook("other")}
    return env, str(tmp_path / "state")


def fail(env: dict, state: str, name: str, *extra: str) -> None:
    done = cronchecks("run", "--state-dir", state, "--name", name, "--notify-timeout", "1s", *extra, "--", "false",
                      env=env)
    assert done.code == 1, done


def test_list_shows_what_waits_retry_delivers_it(tmp_path, channels):
    env, state = setup(tmp_path, channels)
    channels.down.add("ops")
    fail(env, state, "backup")
    done = cronchecks("outbox", "list", "--state-dir", state, env=env)
    assert done.code == 1, done
    lines = done.stdout.splitlines()
    assert lines[0] == "OUTBOX WARNING - 1 message(s) waiting"
    assert " ops: problem of backup, 1 attempt(s); last error: json webhook http://127.0.0.1:" in lines[1]
    assert "HTTP 503" in lines[1]
    listed = json.loads(cronchecks("outbox", "list", "--format", "json", "--state-dir", state, env=env).stdout)
    assert [(e["channel_name"], e["kind"], e["check"], e["attempts"]) for e in listed] == [
        ("ops", "problem", "backup", 1)]
    assert channels.got("ops") == []
    channels.down.clear()
    done = cronchecks("outbox", "retry", "--state-dir", state, env=env)
    assert done.code == 0, done
    assert done.stdout.strip() == "OUTBOX OK - 1 delivered, 0 still waiting"
    assert [(m["check"], m["kind"]) for m in channels.got("ops")] == [("backup", "problem")]
    assert outbox_rows(Path(state)) == []
    assert cronchecks("outbox", "list", "--state-dir", state, env=env).stdout.startswith("OUTBOX OK - 0 message(s)")


def test_retry_leaves_what_is_still_down_and_channels_it_does_not_know(tmp_path, channels):
    env, state = setup(tmp_path, channels)
    channels.down.add("ops")
    fail(env, state, "a")
    done = cronchecks("outbox", "retry", "--state-dir", state, "--notify-timeout", "1s", env=env)
    assert done.code == 1 and "0 delivered, 1 still waiting" in done.stdout
    assert "kept in the outbox" in done.stderr
    # Without the config file, no channel is known: the entry stays, and is said to.
    done = cronchecks("outbox", "retry", "--state-dir", state, env={"CRONCHECKS_CONFIG": ""})
    assert done.code == 1 and "1 channel(s) not in the config file" in done.stdout


def test_purge_drops_by_channel_and_age(tmp_path, channels):
    env, state = setup(tmp_path, channels)
    channels.down.update({"ops", "other"})
    fail(env, state, "a")
    fail(env, state, "b", "--channel", "other")
    assert len(outbox_rows(Path(state))) == 2
    done = cronchecks("outbox", "purge", "--older-than", "1h", "--state-dir", state, env=env)
    assert done.stdout.strip() == "OUTBOX OK - 0 message(s) dropped"  # both are fresh
    done = cronchecks("outbox", "purge", "--channel", "other", "--state-dir", state, env=env)
    assert done.code == 0 and done.stdout.strip() == "OUTBOX OK - 1 message(s) dropped"
    listed = json.loads(cronchecks("outbox", "list", "--format", "json", "--state-dir", state, env=env).stdout)
    assert [(e["channel_name"], e["check"]) for e in listed] == [("ops", "a")]
    # A fingerprint, as `outbox list` shows it without the config file, names the channel too.
    done = cronchecks("outbox", "purge", "--channel", listed[0]["channel"], "--state-dir", state,
                      env={"CRONCHECKS_CONFIG": ""})
    assert done.stdout.strip() == "OUTBOX OK - 1 message(s) dropped"
    channels.down.clear()
    assert cronchecks("outbox", "retry", "--state-dir", state, env=env).stdout.startswith("OUTBOX OK - 0 delivered")
    assert channels.got("ops") == [] and channels.got("other") == []


def test_mistakes_are_one_unknown_line(tmp_path):
    state = str(tmp_path / "nowhere")
    for args in (["drop"], ["list", "--format", "xml"], ["list", "--older-than", "1h"], ["list"]):
        done = cronchecks("outbox", *args, "--state-dir", state, env={"CRONCHECKS_CONFIG": ""})
        assert done.code == 3 and done.stdout.count("\n") == 1 and "UNKNOWN" in done.stdout, (args, done)
