"""Grouping: what one suite run owes a chat or mail channel goes as one message; per-check protocols keep theirs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.alerting.routing_fixtures import cronchecks, outbox_rows, write_config
from tests.alerting_fixtures import SMTPServer, alert

CONFIG = """\
    [channels.chat]
    type = "webhook"
    webhook-env = "CHAT_HOOK"
    webhook-format = "json"
    default = true

    [channels.pd]
    type = "webhook"
    webhook-env = "PD_HOOK"
    webhook-format = "pagerduty"
    default = true
    """


def five_checks(tmp_path: Path, defaults: str = "") -> Path:
    checks = "".join(f'[[check]]\nname = "job{n}"\ntype = "command"\nargv = ["sh", "-c", "echo job{n} is down; '
                     f'exit 2"]\n' for n in range(5))
    path = tmp_path / "suite.toml"
    path.write_text(textwrap.dedent(defaults) + checks)
    return path


def suite_env(tmp_path: Path, channels) -> dict:
    config = write_config(tmp_path / "config.toml", CONFIG)
    return {"CRONCHECKS_CONFIG": str(config), "CHAT_HOOK": channels.hook("chat"), "PD_HOOK": channels.hook("pd"),
            "CRONCHECKS_PAGERDUTY_KEY": "R0UTING-KEY"}


def test_five_problems_are_one_message_at_a_webhook_and_five_pagerduty_events(tmp_path, channels):
    env = suite_env(tmp_path, channels)
    done = cronchecks("suite", "--state-dir", str(tmp_path / "s"), str(five_checks(tmp_path)), env=env)
    assert done.code == 2, done
    [message] = channels.got("chat")
    assert message["kind"] == "group" and message["summary"] == "5 problems"
    assert sorted(a["check"] for a in message["alerts"]) == [f"job{n}" for n in range(5)]
    assert all(a["kind"] == "problem" and "is down" in a["output"] for a in message["alerts"])
    events = channels.got("pd")
    assert len(events) == 5 and {e["event_action"] for e in events} == {"trigger"}
    assert len({e["dedup_key"] for e in events}) == 5
    assert outbox_rows(tmp_path / "s") == []  # nothing waits: each went once
    # The next run: five recoveries, one message again, and five resolves.
    path = tmp_path / "suite.toml"
    path.write_text(path.read_text().replace("exit 2", "exit 0"))
    assert cronchecks("suite", "--state-dir", str(tmp_path / "s"), str(path), env=env).code == 0
    assert channels.got("chat")[-1]["summary"] == "5 recoveries"
    assert [e["event_action"] for e in channels.got("pd")][5:] == ["resolve"] * 5


def test_no_group_and_group_false_send_them_one_by_one(tmp_path, channels):
    env = suite_env(tmp_path, channels)
    done = cronchecks("suite", "--no-group", "--state-dir", str(tmp_path / "a"), str(five_checks(tmp_path)), env=env)
    assert done.code == 2
    assert [m["kind"] for m in channels.got("chat")] == ["problem"] * 5
    path = five_checks(tmp_path, "[defaults]\ngroup = false\n")
    assert cronchecks("suite", "--state-dir", str(tmp_path / "b"), str(path), env=env).code == 2
    assert [m["kind"] for m in channels.got("chat")] == ["problem"] * 10
    assert len(channels.got("pd")) == 10


def test_one_message_alone_is_not_wrapped_in_a_group(tmp_path, channels):
    env = suite_env(tmp_path, channels)
    path = tmp_path / "suite.toml"
    path.write_text('[[check]]\nname = "one"\ntype = "command"\nargv = ["sh", "-c", "exit 2"]\n'
                    '[[check]]\nname = "fine"\ntype = "command"\nargv = ["true"]\n')
    assert cronchecks("suite", "--state-dir", str(tmp_path / "s"), str(path), env=env).code == 2
    assert [(m["kind"], m["check"]) for m in channels.got("chat")] == [("problem", "one")]


def test_a_grouped_mail_holds_a_block_per_check(tmp_path):
    with SMTPServer() as server:
        config = write_config(tmp_path / "config.toml", """\
            [channels.mail]
            type = "mail"
            mail = "ops@example.com"
            default = true
            """)
        env = {**server.env(), "CRONCHECKS_CONFIG": str(config)}
        done = cronchecks("suite", "--host", "web1", "--state-dir", str(tmp_path / "s"), str(five_checks(tmp_path)),
                          env=env)
        assert done.code == 2, done
    [got] = server.mailbox.messages
    assert got["message"]["Subject"] == "[cronchecks] 5 problems on web1"
    body = got["message"].get_content()
    for n in range(5):
        assert f"CRITICAL: job{n} on web1" in body and f"job{n} is down" in body


# --- every format keeps a grouped message within its platform's limits -----------------------------

OUTPUTS = st.text(alphabet=st.characters(codec="utf-8"), max_size=6000)


@settings(max_examples=60, deadline=None)
@given(outputs=st.lists(OUTPUTS, min_size=2, max_size=12),
       kinds=st.lists(st.sampled_from(["problem", "recovery", "escalation", "reminder"]), min_size=12, max_size=12))
def test_grouped_messages_stay_within_each_platforms_limits(outputs, kinds):
    """Property: whatever the checks said, a group renders within Slack's, Teams' and Discord's limits."""
    from cronchecks.alerting.channels import webhook_formats as formats
    from cronchecks.alerting.messages import GROUP_BLOCK_LIMIT, group_block, group_counts, utf16_length

    alerts = [alert(kinds[i], check=f"c{i}", output=text, summary=text[:300]) for i, text in enumerate(outputs)]
    group = {"event": "alert", "kind": "group", "id": "g", "host": "web1", "check": f"{len(alerts)} checks",
             "status": "CRITICAL", "at": alerts[0]["at"], "alerts": alerts}
    group["summary"] = group_counts(group)
    assert all(len(group_block(a)) <= GROUP_BLOCK_LIMIT for a in alerts)
    slack = formats.render("slack", group)
    for block in slack["blocks"]:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= (formats.SLACK_HEADER if block["type"] == "header" else formats.SLACK_SECTION)
    assert len(json.dumps(formats.render("teams", group)).encode()) <= formats.TEAMS_BYTES
    embed = formats.render("discord", group)["embeds"][0]
    total = utf16_length(embed.get("title", "")) + utf16_length(embed.get("description", "")) + sum(
        utf16_length(f["name"]) + utf16_length(f["value"]) for f in embed.get("fields", []))
    assert total <= formats.DISCORD_TOTAL


def test_a_grouped_message_is_one_outbox_entry_delivered_once(tmp_path, channels):
    env = suite_env(tmp_path, channels)
    channels.down.add("chat")
    state = str(tmp_path / "s")
    assert cronchecks("suite", "--notify-timeout", "1s", "--state-dir", state, str(five_checks(tmp_path)),
                      env=env).code == 2
    rows = outbox_rows(Path(state))
    assert len(rows) == 1 and json.loads(rows[0][1])["summary"] == "5 problems"  # the pager's five went out
    assert len(channels.got("pd")) == 5
    channels.down.clear()
    done = cronchecks("outbox", "retry", "--state-dir", state, env=env)
    assert done.stdout.strip() == "OUTBOX OK - 1 delivered, 0 still waiting", done
    [message] = channels.got("chat")
    assert len(message["alerts"]) == 5
    assert cronchecks("outbox", "retry", "--state-dir", state, env=env).stdout.startswith("OUTBOX OK - 0 delivered")
    assert len(channels.got("chat")) == 1
