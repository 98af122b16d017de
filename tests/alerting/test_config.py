"""The channel configuration file: `config --check`, each mistake with file, line and key, secrets, --channel."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.alerting.routing_fixtures import cronchecks, write_config

FAIL = ["--nagios", "--", "sh", "-c", "exit 2"]


def test_config_check_prints_what_the_file_holds(tmp_path):
    (tmp_path / "pagerduty.key").write_text("R0UTING\n")
    config = write_config(tmp_path / "config.toml", f"""\
        [defaults]
        after = 2
        remind = "4h"

        [channels.chat]
        type = "webhook"
        webhook-env = "CHAT_HOOK"
        webhook-format = "slack"
        default = true
        states = ["warning", "critical"]
        on = ["problem", "recovery"]

        [channels.pager]
        type = "pagerduty"
        pagerduty-key-file = "{tmp_path}/pagerduty.key"
        states = ["critical"]

        [[maintenance]]
        checks = ["backup-*"]
        schedule = "0 2 * * *"
        duration = "1h"
        comment = "nightly backups"
        """)
    done = cronchecks("config", "--check", "--config", str(config), env={"CHAT_HOOK": "https://hooks.slack.com/x/y"})
    assert done.code == 0, done
    assert done.stdout.startswith(f"CONFIG OK - {config}: 2 channel(s), 2 default(s), 1 maintenance window(s)")
    assert "channel chat: webhook, default (states warning,critical; on problem,recovery)" in done.stdout
    assert "channel pager: pagerduty (states critical)" in done.stdout
    assert "maintenance backup-*: '0 2 * * *' for 1h 00m (nightly backups)" in done.stdout
    assert "hooks.slack.com" not in done.stdout  # what the variable holds is never shown


def test_every_mistake_is_named_with_file_line_and_key(tmp_path):
    config = write_config(tmp_path / "config.toml", """\
        [defaults]
        after = 0
        colour = "red"

        [channels.ops]
        type = "webhook"
        webhook-env = "HOOK"
        states = ["warning", "bad"]

        [channels.mail]
        type = "mailbox"

        [channels.pd]
        type = "pagerduty"
        on = ["problem", "later"]
        webhook = "https://example.com/"

        [[maintenance]]
        checks = ["db"]
        schedule = "61 * * * *"
        duration = "1h"
        """)
    done = cronchecks("config", "--check", "--config", str(config), env={"HOOK": "http://127.0.0.1:9/x"})
    assert done.code == 3, done
    lines = done.stdout.splitlines()
    expected = [
        f"{config}:2: [defaults], key 'after'",
        f"{config}:3: [defaults], key 'colour'",
        f"{config}:8: [channels.ops], key 'states': unknown 'bad'",
        f"{config}:11: [channels.mail], key 'type': unknown type 'mailbox'",
        f"{config}:16: [channels.pd], key 'webhook': not a key of a pagerduty channel",
        f"{config}:20: [[maintenance]], key 'schedule'",
    ]
    for start in expected:
        assert any(start in line for line in lines), (start, lines)
    assert all(line.startswith("CONFIG UNKNOWN - ") for line in lines)
    # `cronchecks run` refuses it too, before running the command: one UNKNOWN line, exit 3.
    done = cronchecks("run", "--config", str(config), "--state-dir", str(tmp_path / "s"), "--", "touch",
                      str(tmp_path / "ran"), env={"HOOK": "http://127.0.0.1:9/x"})
    assert done.code == 3 and done.stdout.count("\n") == 1 and "key 'after'" in done.stdout
    assert "more: see `cronchecks config --check`" in done.stdout
    assert not (tmp_path / "ran").exists()


def test_a_channel_mistake_found_when_it_is_built_is_named_by_its_table(tmp_path):
    config = write_config(tmp_path / "config.toml", """\
        [channels.ops]
        type = "webhook"
        webhook-env = "HOOK"
        webhook-format = "slakc"
        """)
    done = cronchecks("config", "--check", "--config", str(config), env={"HOOK": "http://127.0.0.1:9/x"})
    assert done.code == 3 and f"{config}:1: [channels.ops]: invalid --webhook-format 'slakc'" in done.stdout


def test_a_secret_in_a_file_others_may_read_is_refused(tmp_path, channels):
    text = f"""\
        [channels.ops]
        type = "webhook"
        webhook = "{channels.hook('ops')}/T0KEN-SECRET-123"
        default = true
        """
    config = write_config(tmp_path / "config.toml", text, mode=0o644)
    done = cronchecks("run", "--config", str(config), "--state-dir", str(tmp_path / "s"), *FAIL)
    assert done.code == 3
    assert done.stdout.strip() == (f"CRONCHECKS UNKNOWN - {config}:3: refused: it holds a secret and others may read "
                                   f"it (mode 0644); chmod 600 {config}, or give the secret through a *-env or "
                                   "*-file key")
    assert "T0KEN" not in done.stdout + done.stderr
    os.chmod(config, 0o600)  # as ssh: the owner's own file is fine
    assert cronchecks("config", "--check", "--config", str(config)).code == 0
    # Through the environment, the file holds no secret and may be readable.
    write_config(config, """\
        [channels.ops]
        type = "webhook"
        webhook-env = "OPS_HOOK"
        """, mode=0o644)
    assert cronchecks("config", "--check", "--config", str(config), env={"OPS_HOOK": "http://x/T0KEN"}).code == 0


def test_run_channel_picks_named_channels_and_defaults_serve_otherwise(tmp_path, channels):
    config = write_config(tmp_path / "config.toml", """\
        [defaults]
        after = 2

        [channels.ops]
        type = "webhook"
        webhook-env = "OPS_HOOK"
        webhook-format = "json"
        default = true

        [channels.db-team]
        type = "webhook"
        webhook-env = "DB_HOOK"
        webhook-format = "json"
        """, mode=0o644)
    env = {"OPS_HOOK": channels.hook("ops"), "DB_HOOK": channels.hook("db"), "CRONCHECKS_CONFIG": str(config)}
    state = str(tmp_path / "state")
    for _ in range(2):  # [defaults] after = 2: the second failure is the problem
        cronchecks("run", "--state-dir", state, "--name", "db", "--channel", "db-team", *FAIL, env=env)
        cronchecks("run", "--state-dir", state, "--name", "web", *FAIL, env=env)
    assert [(m["check"], m["kind"]) for m in channels.got("db")] == [("db", "problem")]
    assert [(m["check"], m["kind"]) for m in channels.got("ops")] == [("web", "problem")]
    # A channel given on the command line adds to the named one.
    extra = channels.hook("extra")
    cronchecks("run", "--state-dir", state, "--name", "db", "--channel", "db-team", "--webhook", extra,
               "--webhook-format", "json", "--", "true", env=env)
    assert [m["kind"] for m in channels.got("db")] == ["problem", "recovery"]
    done = cronchecks("run", "--state-dir", state, "--channel", "nope", *FAIL, env=env)
    assert done.code == 3 and "invalid --channel 'nope': no such channel in the config file (db-team, ops)" \
        in done.stdout


def test_a_suite_names_channels_from_the_config_file(tmp_path, channels):
    config = write_config(tmp_path / "config.toml", """\
        [channels.ops]
        type = "webhook"
        webhook-env = "OPS_HOOK"
        webhook-format = "json"
        """)
    suite = tmp_path / "suite.toml"
    suite.write_text('[[check]]\nname = "a"\ntype = "command"\nargv = ["false"]\nchannels = ["ops"]\n'
                     '[[check]]\nname = "b"\ntype = "command"\nargv = ["false"]\nchannels = ["nope"]\n')
    env = {"OPS_HOOK": channels.hook("ops")}
    done = cronchecks("suite", "--config", str(config), "--state-dir", str(tmp_path / "s"), str(suite), env=env)
    assert done.code == 3 and f"{suite}:6: check 'b': invalid channels 'nope'" in done.stdout
    suite.write_text(suite.read_text().replace('"nope"', '"ops"'))
    done = cronchecks("suite", "--config", str(config), "--state-dir", str(tmp_path / "s"), str(suite), env=env)
    assert done.code == 1, done  # `false` exits 1: WARNING for a command read as a plugin
    assert channels.got("ops")[0]["summary"] == "2 problems"


KEYS = ["type", "webhook", "webhook-env", "webhook-format", "states", "on", "default", "mail", "nsca", "after",
        "pagerduty-key-file", "dimension", "colour", "password", "checks", "schedule", "duration"]
VALUES = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.lists(st.text(max_size=10), max_size=3),
                   st.sampled_from(["webhook", "mail", "pagerduty", "critical", "problem", "http://127.0.0.1/x",
                                    "0 2 * * *", "1h"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=st.dictionaries(st.sampled_from(["defaults", "channels.a", "channels.b-c", "maintenance"]),
                              st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5), max_size=4))
def test_any_config_file_is_read_or_refused_with_lines_named(tmp_path_factory, tables):
    """Property: whatever a config file holds, it is read, or refused with `FILE:LINE: ...` lines; never a crash."""
    import json

    from cronchecks.alerting.config import ConfigError, load_config

    lines = []
    for table, keys in tables.items():
        lines.append(f"[[{table}]]" if table == "maintenance" else f"[{table}]")
        lines += [f'"{key}" = {json.dumps(value)}' for key, value in keys.items()]
    path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    mistakes: list[str] = []
    try:
        load_config(path, {"HOOK": "http://127.0.0.1/x"})
    except ConfigError as error:
        mistakes = error.mistakes or ["(none)"]
    for mistake in mistakes:
        assert mistake.startswith(f"{path}:"), mistake
        assert mistake.split(":")[1].isdigit() or "not valid TOML" in mistake, mistake




def test_a_ping_channel_of_the_config_file(tmp_path, channels):
    from tests.conftest import Reply

    channels.routes["/ping/uuid"] = Reply(200, "OK")
    channels.routes["/ping/uuid/start"] = Reply(200, "OK")
    config = write_config(tmp_path / "config.toml", """\
        [channels.hc]
        type = "ping"
        ping-env = "PING_URL"
        """)
    env = {"CRONCHECKS_CONFIG": str(config), "PING_URL": channels.url + "/ping/uuid"}
    done = cronchecks("run", "--state-dir", str(tmp_path / "s"), "--channel", "hc", "--", "true", env=env)
    assert done.code == 0, done
    assert [r["path"].split("?")[0] for r in channels.requests] == ["/ping/uuid/start", "/ping/uuid"]
