"""Webhook and ping URLs from a variable or a file (--webhook-env/-file, --ping-env/-file): tokens out of ps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Reply, run_console_script

TOKEN = "T0KEN-in-the-path-5ecret"


def failing_check(tmp_path: Path) -> tuple[str, Path]:
    """A plugin that says CRITICAL and leaves a mark that it ran."""
    marker = tmp_path / "ran"
    path = tmp_path / "check_broken"
    path.write_text(f"#!{sys.executable}\nimport pathlib, sys\npathlib.Path({str(marker)!r}).touch()\n"
                    "print('BROKEN CRITICAL - it broke')\nsys.exit(2)\n")
    path.chmod(0o755)
    return str(path), marker


def run(tmp_path: Path, *args: str, env: dict | None = None):
    return run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "broken",
                              "--notify-timeout", "5s", *args, timeout=60, env=env)


def secret_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "hook.url"
    path.write_text(url + "\n")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("way", ["env", "file"])
def test_a_webhook_url_from_a_variable_or_a_file_reaches_the_receiver(tmp_path, receiver, way):
    plugin, _ = failing_check(tmp_path)
    path = f"/hooks/{TOKEN}"
    receiver.routes[path] = Reply(200, "ok")
    url = receiver.url + path
    if way == "env":
        done = run(tmp_path, "--webhook-env", "OPS_HOOK", "--", plugin, env={"OPS_HOOK": url})
    else:
        done = run(tmp_path, "--webhook-file", str(secret_file(tmp_path, url)), "--", plugin)
    assert done.code == 2 and done.stdout == "BROKEN CRITICAL - it broke\n"
    posted = [request for request in receiver.requests if request["path"] == path]
    assert len(posted) == 1 and json.loads(posted[0]["body"])["status"] == "CRITICAL"
    assert TOKEN not in done.stdout + done.stderr


@pytest.mark.parametrize("way", ["env", "file"])
def test_a_ping_url_from_a_variable_or_a_file_reaches_the_receiver(tmp_path, receiver, way):
    plugin, _ = failing_check(tmp_path)
    base = f"/ping/{TOKEN}"
    for suffix in ("/start", "/2"):
        receiver.routes[base + suffix] = Reply(200, "OK")
    url = receiver.url + base
    if way == "env":
        done = run(tmp_path, "--ping-env", "PING_URL", "--", plugin, env={"PING_URL": url})
    else:
        done = run(tmp_path, "--ping-file", str(secret_file(tmp_path, url)), "--", plugin)
    assert done.code == 2
    assert [request["path"].split("?")[0] for request in receiver.requests] == [base + "/start", base + "/2"]
    assert TOKEN not in done.stdout + done.stderr


def test_a_report_summary_to_a_webhook_from_a_variable_or_a_file(tmp_path, receiver):
    plugin, _ = failing_check(tmp_path)
    assert run(tmp_path, "--", plugin).code == 2  # something in the store to report on
    path = f"/hooks/{TOKEN}"
    receiver.routes[path] = Reply(200, "ok")
    url = receiver.url + path
    state = str(tmp_path / "state")
    by_env = run_console_script("cronchecks", "report", "--state-dir", state, "--webhook-env", "OPS_HOOK",
                                env={"OPS_HOOK": url})
    by_file = run_console_script("cronchecks", "report", "--state-dir", state, "--webhook-file",
                                 str(secret_file(tmp_path, url)))
    for done in (by_env, by_file):
        assert done.code == 0 and done.stderr == ""
        assert TOKEN not in done.stdout + done.stderr
    posted = [json.loads(request["body"]) for request in receiver.requests if request["path"] == path]
    assert [event["event"] for event in posted] == ["report", "report"]
    assert posted[0]["checks"][0]["name"] == "broken"


def test_an_unreachable_webhook_from_a_variable_keeps_its_token_out_of_the_output(tmp_path, closed_port):
    plugin, _ = failing_check(tmp_path)
    url = f"http://127.0.0.1:{closed_port}/hooks/{TOKEN}?key={TOKEN}"
    done = run(tmp_path, "--webhook-env", "OPS_HOOK", "--notify-timeout", "1s", "--", plugin, env={"OPS_HOOK": url})
    assert done.code == 2 and "not delivered" in done.stderr
    assert TOKEN not in done.stdout + done.stderr


_MISTAKES = [
    ("--webhook-env", "NO_SUCH_HOOK", "invalid --webhook-env: environment variable NO_SUCH_HOOK is not set"),
    ("--webhook-file", "/nonexistent/hook.url",
     "invalid --webhook-file: cannot read /nonexistent/hook.url: No such file or directory"),
    ("--webhook-file", "/dev/zero", "invalid --webhook-file: /dev/zero is a device, not a file: not a value file"),
    ("--ping-env", "NO_SUCH_PING", "invalid --ping-env: environment variable NO_SUCH_PING is not set"),
    ("--ping-file", "/nonexistent/ping.url",
     "invalid --ping-file: cannot read /nonexistent/ping.url: No such file or directory"),
]


# A report has no ping (it is not a job): its mistakes are the webhook ones.
@pytest.mark.parametrize("verb, option, value, complaint",
                         [("run", *mistake) for mistake in _MISTAKES]
                         + [("report", *mistake) for mistake in _MISTAKES if mistake[0].startswith("--webhook")])
def test_a_missing_variable_or_unreadable_file_is_one_line_before_the_command_runs(tmp_path, verb, option, value,
                                                                                   complaint):
    plugin, marker = failing_check(tmp_path)
    if verb == "run":
        done = run(tmp_path, option, value, "--", plugin)
        assert not marker.exists()  # refused before the command ran
    else:
        done = run_console_script("cronchecks", "report", "--state-dir", str(tmp_path / "state"), option, value)
    assert done.code == 3
    assert done.stdout == f"CRONCHECKS UNKNOWN - {complaint}\n"


def test_one_ping_url_only(tmp_path):
    plugin, marker = failing_check(tmp_path)
    done = run(tmp_path, "--ping", "http://127.0.0.1:9/x", "--ping-env", "PING_URL", "--", plugin,
               env={"PING_URL": "http://127.0.0.1:9/y"})
    assert done.code == 3 and "give one of --ping and --ping-env" in done.stdout and not marker.exists()


def test_a_name_over_200_characters_is_refused_before_the_command_runs(tmp_path):
    plugin, marker = failing_check(tmp_path)
    done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "n" * 100_000,
                              "--", plugin)
    assert done.code == 3 and not marker.exists() and len(done.stdout) < 200
    assert done.stdout.startswith("CRONCHECKS UNKNOWN - invalid --name 'nnnn")
    assert done.stdout.endswith("... (100000 characters): at most 200\n")
    assert run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "n" * 200,
                              "--", plugin).code == 2
