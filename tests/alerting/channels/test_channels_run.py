"""Each channel wired through the real `cronchecks run` (a subprocess) to a real peer on loopback."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from tests.alerting_fixtures import SMTPServer, UDPReceiver, aws_env
from tests.conftest import Reply, run_console_script

PASSWORD, ROUTING_KEY, PING_KEY = "Sm7p-Pa55-e2e", "R0UTINGKEYe2e00000000000000000000", "PINGKEYe2e0000"


def flag_check(tmp_path: Path) -> tuple[str, Path]:
    """A plugin that is CRITICAL while a flag file exists, with some output on both sides."""
    flag = tmp_path / "broken"
    path = tmp_path / "check_flag"
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(f"""
        import os, sys
        if os.path.exists({str(flag)!r}):
            print("FLAG CRITICAL - broken | errors=3c;1;2;0")
            print("the disk said no")
            sys.exit(2)
        print("FLAG OK - fine | errors=0c;1;2;0 time=0.25s")
        sys.exit(0)
    """))
    path.chmod(0o755)
    return str(path), flag


def wrap(tmp_path: Path, *args: str, env: dict | None = None):
    return run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "flag", *args,
                              timeout=60, env=env)


def test_mail_problem_and_recovery_through_cronchecks_run(tmp_path):
    plugin, flag = flag_check(tmp_path)
    with SMTPServer() as server:
        env = server.env()
        flag.touch()
        assert wrap(tmp_path, "--mail", "ops@example.com", "--host", "web1", "--", plugin, env=env).code == 2
        flag.unlink()
        assert wrap(tmp_path, "--mail", "ops@example.com", "--host", "web1", "--", plugin, env=env).code == 0
    subjects = [got["message"]["Subject"] for got in server.mailbox.messages]
    assert subjects[0] == "[cronchecks] CRITICAL: flag on web1"
    assert subjects[1].startswith("[cronchecks] RECOVERY: flag on web1 is OK after ")
    assert "the disk said no" in server.mailbox.messages[0]["message"].get_content()


def test_a_failing_mail_server_is_one_line_and_keeps_the_exit_code(tmp_path, closed_port):
    plugin, flag = flag_check(tmp_path)
    flag.touch()
    env = {"CRONCHECKS_SMTP_HOST": "127.0.0.1", "CRONCHECKS_SMTP_PORT": str(closed_port),
           "CRONCHECKS_SMTP_USER": "alerts", "CRONCHECKS_SMTP_PASSWORD": PASSWORD}
    done = wrap(tmp_path, "--mail", "ops@example.com", "--notify-timeout", "500ms", "--", plugin, env=env)
    assert done.code == 2 and done.stdout.startswith("FLAG CRITICAL - broken")
    assert "mail ops@example.com via 127.0.0.1" in done.stderr and PASSWORD not in done.stderr
    dump = "\n".join(sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3").iterdump())
    assert PASSWORD not in dump


def test_pagerduty_trigger_and_resolve_through_cronchecks_run(tmp_path, receiver):
    plugin, flag = flag_check(tmp_path)
    receiver.routes["/v2/enqueue"] = Reply(202, {"status": "success"})
    key_file = tmp_path / "pd.key"
    key_file.write_text(ROUTING_KEY + "\n")
    env = {"CRONCHECKS_PAGERDUTY_URL": receiver.url + "/v2/enqueue"}
    args = ("--pagerduty", "--pagerduty-key-file", str(key_file), "--host", "web1")
    flag.touch()
    first = wrap(tmp_path, *args, "--", plugin, env=env)
    flag.unlink()
    second = wrap(tmp_path, *args, "--", plugin, env=env)
    trigger, resolve = (json.loads(request["body"]) for request in receiver.requests)
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"] == "cronchecks/web1/flag"
    assert trigger["routing_key"] == resolve["routing_key"] == ROUTING_KEY
    assert trigger["payload"]["summary"] == "CRITICAL: flag on web1: FLAG CRITICAL - broken"
    for done in (first, second):
        assert ROUTING_KEY not in done.stdout + done.stderr


def test_slack_refusal_is_one_line_on_stderr(tmp_path, receiver):
    plugin, flag = flag_check(tmp_path)
    receiver.routes["/services/T0/B0/SECRETSLACK"] = Reply(404, "no_service")
    flag.touch()
    done = wrap(tmp_path, "--webhook", receiver.url + "/services/T0/B0/SECRETSLACK", "--webhook-format", "slack",
                "--", plugin)
    assert done.code == 2 and "SECRETSLACK" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if "slack webhook" in line]
    assert "HTTP 404 (no_service)" in line
    assert "blocks" in json.loads(receiver.requests[0]["body"])


def test_ping_start_and_exit_code_with_one_run_id(tmp_path, receiver):
    plugin, flag = flag_check(tmp_path)
    base = f"/ping/{PING_KEY}/flag"
    for suffix in ("/start", "/2"):
        receiver.routes[base + suffix] = Reply(200, "OK", headers={"Ping-Body-Limit": "20"})
    flag.touch()
    done = wrap(tmp_path, "--ping", receiver.url + base, "--", plugin)
    assert done.code == 2
    start, finish = receiver.requests
    assert start["path"].startswith(base + "/start?rid=") and finish["path"].startswith(base + "/2?rid=")
    assert start["path"].split("rid=")[1] == finish["path"].split("rid=")[1]
    # the start ping's answer said Ping-Body-Limit: 20, so the body is the output's last 20 bytes
    assert len(finish["body"]) == 20 and finish["body"].endswith(b"the disk said no\n")


def test_dogstatsd_gets_every_run(tmp_path):
    plugin, _ = flag_check(tmp_path)
    with UDPReceiver() as udp:
        assert wrap(tmp_path, "--dogstatsd", f"127.0.0.1:{udp.port}", "--host", "web1", "--", plugin).code == 0
        datagram = udp.receive().decode()
    assert datagram.startswith("_sc|cronchecks.flag|0|d:") and datagram.endswith(
        "|h:web1|#check:flag,source:cronchecks|m:FLAG OK - fine")


def test_cloudwatch_gets_every_run(tmp_path, moto_endpoint):
    import boto3

    plugin, _ = flag_check(tmp_path)
    env = aws_env(moto_endpoint)
    assert wrap(tmp_path, "--cloudwatch", "Cron/E2E", "--dimension", "Env=test", "--", plugin, env=env).code == 0
    cloudwatch = boto3.client("cloudwatch", region_name=env["AWS_REGION"], endpoint_url=moto_endpoint,
                              aws_access_key_id="x", aws_secret_access_key="y")
    names = sorted(metric["MetricName"] for metric in cloudwatch.list_metrics(Namespace="Cron/E2E")["Metrics"])
    assert names == ["Healthy", "Status", "errors", "time"]


@pytest.mark.parametrize("args, complaint", [
    (["--mail", "nobody"], "invalid --mail"),
    (["--dogstatsd", "host:port"], "invalid --dogstatsd"),
    (["--ping", "ftp://x/y"], "invalid --ping"),
    (["--cloudwatch", "Cron", "--dimension", "Check=x"], "set by cronchecks itself"),
])
def test_channel_mistakes_are_unknown_before_running(tmp_path, args, complaint):
    done = wrap(tmp_path, *args, "--", "true")
    assert done.code == 3 and complaint in done.stdout + done.stderr
