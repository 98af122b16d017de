"""Remote hosts over SSH: suite checks and run's remediation through the system's ssh, against a real sshd."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.core.values import OptionError, OptionValues
from cronchecks.suite.file import SuiteError, load_suite
from cronchecks.support.ssh import SshTarget, connect_timeout, ssh_argv, ssh_target
from tests.conftest import VENV_BIN, run_console_script
from tests.daemon_fixtures import free_port, require_program
from tests.engines.ssh_fixtures import keypair, sshd  # noqa: F401  (the fixture, by name)

HEARTBEAT = str(VENV_BIN / "check-heartbeat")  # "the remote" is this machine: the venv's absolute path


def suite_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hosts.toml"
    path.write_text(textwrap.dedent(text))
    return path


def suite_json(tmp_path: Path, path: Path, timeout: float = 60) -> tuple[int, dict]:
    done = run_console_script("cronchecks", "suite", str(path), "--format", "json", "--state-dir",
                              str(tmp_path / "state"), timeout=timeout)
    return done.code, json.loads(done.stdout)


def test_a_staging_and_a_production_host_checked_from_one_suite(sshd, tmp_path):  # noqa: F811
    beat = tmp_path / "backup.beat"
    beat.write_text("")
    old = time.time() - 3 * 3600
    os.utime(beat, (old, old))
    path = suite_file(tmp_path, f"""
        [[check]]
        name = "staging-backup"
        type = "command"
        ssh = "staging"
        ssh-config = "{sshd.config}"
        argv = ["{HEARTBEAT}", "--file", "{beat}", "-w", "1h", "-c", "1d", "--label", "BACKUP AGE"]

        [[check]]
        name = "production-backup"
        type = "command"
        ssh = "production"
        ssh-config = "{sshd.config}"
        argv = ["{HEARTBEAT}", "--file", "{tmp_path / 'missing.beat'}", "-c", "1d"]
        """)
    code, report = suite_json(tmp_path, path)
    checks = {check["name"]: check for check in report["checks"]}
    staging, production = checks["staging-backup"], checks["production-backup"]
    # The remote plugin's state, label, summary and perfdata arrive whole, as if it had run here.
    local = run_console_script("check-heartbeat", "--file", str(beat), "-w", "1h", "-c", "1d", "--label",
                               "BACKUP AGE")
    assert local.code == 1 and staging["status"] == "WARNING" and staging["code"] == 1
    assert staging["label"] == "BACKUP AGE"
    assert local.first_line.startswith(f"BACKUP AGE WARNING - {staging['summary']}")
    assert [d["label"] for d in staging["perfdata"]] == ["age", "size"]
    assert staging["perfdata"][0]["value"] > 3 * 3600 - 5
    assert production["status"] == "CRITICAL" and "missing.beat" in production["summary"]
    assert code == 2 and report["status"] == "CRITICAL"


def test_arguments_reach_the_remote_command_exactly(sshd, tmp_path):  # noqa: F811
    # ssh joins its arguments with spaces for the remote shell: quoting must bring each back whole.
    printer = tmp_path / "argv.py"
    printer.write_text("import json, sys\nprint('ARGS OK - ' + json.dumps(sys.argv[1:]) + ' | args=%d' % "
                       "(len(sys.argv) - 1))\nprint('long output, line 2')\nprint('line 3 | more=1c')\n")
    awkward = ["two words", "it's", '"quoted"', "$HOME", "; touch /tmp/pwned-cronchecks", "*", "a\\b", ""]
    path = suite_file(tmp_path, f"""
        [[check]]
        name = "argv"
        type = "command"
        ssh = "staging"
        ssh-config = "{sshd.config}"
        argv = {json.dumps([sys.executable, str(printer), *awkward])}
        """)
    code, report = suite_json(tmp_path, path)
    assert code == 0, report
    check = report["checks"][0]
    assert json.loads(check["summary"]) == awkward
    # the long output and the perfdata of both parts arrive too, exactly as the same plugin run here gives them
    assert [(d["label"], d["value"]) for d in check["perfdata"]] == [("args", len(awkward)), ("more", 1)]
    local = suite_file(tmp_path, path.read_text().replace('ssh = "staging"', "").replace("ssh-config", "# "))
    assert "staging" not in local.read_text()
    _, here = suite_json(tmp_path, local)
    assert {**here["checks"][0], "duration": 0} == {**check, "duration": 0}
    assert check["details"][0] == "long output, line 2"
    assert not Path("/tmp/pwned-cronchecks").exists()


@pytest.mark.parametrize("trouble", ["wrong key", "closed port"])
def test_an_unreachable_host_is_one_unknown_line_naming_it(sshd, tmp_path, trouble):  # noqa: F811
    if trouble == "wrong key":
        config = sshd.client_config("wrong_key_config", key=keypair(tmp_path / "stranger"))
    else:
        config = sshd.client_config("closed_port_config", port=free_port())
    path = suite_file(tmp_path, f"""
        [[check]]
        name = "remote-beat"
        type = "command"
        ssh = "production"
        ssh-config = "{config}"
        argv = ["{HEARTBEAT}", "--file", "{tmp_path}", "-c", "1d"]
        """)
    started = time.monotonic()
    done = run_console_script("cronchecks", "suite", str(path), "--format", "nagios", "--state-dir",
                              str(tmp_path / "state"))
    assert time.monotonic() - started < 15
    lines = done.stdout.splitlines()
    assert done.code == 3 and lines[0].startswith("SUITE UNKNOWN"), done.stdout
    assert len(lines) == 2 and lines[1].startswith("remote-beat: REMOTE-BEAT UNKNOWN - ssh to production failed: ")
    reason = "Permission denied" if trouble == "wrong key" else "Connection refused"
    assert reason in lines[1], lines[1]


def test_a_remote_command_that_hangs_takes_the_timeout_state(sshd, tmp_path):  # noqa: F811
    path = suite_file(tmp_path, f"""
        [[check]]
        name = "slow"
        type = "command"
        ssh = "staging"
        ssh-config = "{sshd.config}"
        timeout = "2s"
        timeout-result = "warning"
        argv = ["timeout", "5", "sleep", "30"]  # ssh cannot end a remote command: give it its own limit
        """)
    started = time.monotonic()
    code, report = suite_json(tmp_path, path)
    assert time.monotonic() - started < 10
    assert code == 1 and report["checks"][0]["summary"] == "timed out after 2.0 s on staging"


def test_remediation_runs_on_the_remote_host(sshd, tmp_path):  # noqa: F811
    fixed = tmp_path / "remediated"
    state = tmp_path / "state"
    done = run_console_script(
        "cronchecks", "run", "--state-dir", str(state), "--name", "web", "--on-fail", f"touch {fixed}",
        "--on-fail-ssh", "staging", "--on-fail-ssh-config", str(sshd.config), "--on-fail-ssh-option",
        "ServerAliveInterval=5", "--", HEARTBEAT, "--file", str(tmp_path / "nothing"), "-c", "1d")
    assert done.code == 2  # the check's own exit code, as without the wrapper
    assert fixed.exists()
    assert f"remediation: running touch {fixed} on staging" in done.stderr
    with sqlite3.connect(state / "cronchecks.sqlite3") as db:
        rows = [tuple(row) for row in db.execute("select command, exit_code from remediations")]
    assert rows == [(f"touch {fixed} on staging", 0)]


def test_a_remediation_that_cannot_reach_its_host_says_so(sshd, tmp_path):  # noqa: F811
    config = sshd.client_config("wrong_key_config", key=keypair(tmp_path / "stranger"))
    done = run_console_script(
        "cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "web", "--on-fail",
        f"touch {tmp_path / 'x'}", "--on-fail-ssh", "production", "--on-fail-ssh-config", str(config), "--",
        HEARTBEAT, "--file", str(tmp_path / "nothing"), "-c", "1d")
    assert done.code == 2 and not (tmp_path / "x").exists()
    assert "remediation ssh to production failed: " in done.stderr and "Permission denied" in done.stderr


# --- the file's keys and the command line ssh gets ---------------------------------------------


@pytest.mark.parametrize("keys, message", [
    ('type = "heartbeat"\nfile = "/x"\nssh = "web1"', "key 'ssh': goes with type = \"command\""),
    ('type = "command"\nargv = ["true"]\nssh-options = ["Port=22"]', "key 'ssh-options': goes with ssh"),
    ('type = "command"\nargv = ["true"]\nssh = "-oProxyCommand=touch /tmp/x"', "key 'ssh': '-oProxyCommand"),
    ('type = "command"\nargv = ["true"]\nssh = "web1"\nssh-options = ["-F /tmp/x"]', "is not an ssh option"),
    ('type = "command"\nargv = ["true"]\nssh = "web1"\nssh-opts = ["Port=22"]', "unknown key for a command"),
])
def test_ssh_keys_are_checked_before_anything_runs(tmp_path, keys, message):
    path = tmp_path / "bad.toml"
    path.write_text(f'[[check]]\nname = "x"\n{keys}\n')
    with pytest.raises(SuiteError) as raised:
        load_suite(path, {})
    assert message in str(raised.value)


def test_defaults_ssh_config_and_options_go_to_the_checks_that_name_a_host(tmp_path):
    path = tmp_path / "hosts.toml"
    path.write_text(textwrap.dedent("""
        [defaults]
        ssh-config = "/etc/cronchecks/ssh_config"
        ssh-options = ["User=monitor"]

        [[check]]
        name = "remote"
        type = "command"
        ssh = "web1"
        argv = ["check_disk"]

        [[check]]
        name = "own-options"
        type = "command"
        ssh = "web2"
        ssh-options = ["Port=2222"]
        argv = ["check_disk"]

        [[check]]
        name = "local"
        type = "command"
        argv = ["check_disk"]

        [[check]]
        name = "beat"
        type = "heartbeat"
        file = "/x"
        critical = "1h"
        """))
    checks = {entry.name: entry for entry in load_suite(path, {}).checks}
    assert checks["remote"].ssh == SshTarget("web1", ("User=monitor",), "/etc/cronchecks/ssh_config")
    assert checks["own-options"].ssh == SshTarget("web2", ("Port=2222",), "/etc/cronchecks/ssh_config")
    assert checks["local"].ssh is None and checks["beat"].ssh is None


def test_run_refuses_ssh_options_without_a_host_or_a_remediation(tmp_path):
    for args in (["--on-fail-ssh", "web1"], ["--on-fail", "true", "--on-fail-ssh-config", "/x"]):
        done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path), *args, "--", "true")
        assert done.code == 3 and done.stdout.startswith("CRONCHECKS UNKNOWN - invalid --on-fail-ssh"), done.stdout


def test_ssh_runs_in_batch_mode_with_a_connect_timeout_within_the_limit():
    argv = ssh_argv(SshTarget("web1", ("Port=2222",), "/etc/cronchecks/ssh_config"), ["check-log", "x y"], 10)
    assert argv[:4] == ["ssh", "-T", "-o", "BatchMode=yes"]  # first: ssh keeps the first value of an option
    assert argv[argv.index("-F") + 1] == "/etc/cronchecks/ssh_config" and "Port=2222" in argv
    assert "ConnectTimeout=5" in argv and argv[-3:] == ["--", "web1", "check-log 'x y'"]
    assert connect_timeout(1) == 1 and connect_timeout(0.2) == 1 and connect_timeout(61) == 30


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=12),
                min_size=1, max_size=6), st.floats(0.01, 1e6))
def test_the_remote_command_line_splits_back_into_the_argv(remote, timeout):
    argv = ssh_argv(SshTarget("web1"), remote, timeout)
    assert shlex.split(argv[-1]) == remote and argv[-2] == "web1" and argv[-3] == "--"
    assert 1 <= connect_timeout(timeout) <= max(1, timeout)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.lists(st.text(max_size=20), max_size=3))
def test_a_host_or_option_ssh_would_misread_is_refused(host, options):
    values = OptionValues({"ssh": host, "ssh-options": options}, "cronchecks suite")
    try:
        target = ssh_target(values, host_key="ssh", options_key="ssh-options", config_key="ssh-config")
    except OptionError as error:
        refused = error.option
        assert refused in ("ssh", "ssh-options")
        return
    assert target is not None and target.host and not target.host.startswith("-")
    assert not any(ch.isspace() for ch in target.host)
    for option in target.options:
        assert not option.startswith("-") and "=" in option


# --- the peer: Monitoring Plugins' check_by_ssh, same daemon, same commands ---------------------


def test_verdicts_agree_with_check_by_ssh(sshd, tmp_path):  # noqa: F811
    check_by_ssh = require_program("/usr/lib/nagios/plugins/check_by_ssh", "monitoring-plugins-standard")
    fresh, stale = tmp_path / "fresh.beat", tmp_path / "stale.beat"
    fresh.write_text("")
    stale.write_text("")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    wrong_key = sshd.client_config("wrong_key_config", key=keypair(tmp_path / "stranger"))
    closed = sshd.client_config("closed_port_config", port=free_port())
    cases = [  # (name, ssh config, remote argv)
        ("ok", sshd.config, [HEARTBEAT, "--file", str(fresh), "-w", "1h", "-c", "3h"]),
        ("warning", sshd.config, [HEARTBEAT, "--file", str(stale), "-w", "1h", "-c", "3h"]),
        ("critical", sshd.config, [HEARTBEAT, "--file", str(tmp_path / "none"), "-c", "3h"]),
        ("unknown", sshd.config, [HEARTBEAT, "--file", str(fresh)]),
        ("wrong-key", wrong_key, [HEARTBEAT, "--file", str(fresh), "-c", "3h"]),
        ("closed-port", closed, [HEARTBEAT, "--file", str(fresh), "-c", "3h"]),
    ]
    tables = "".join(f"""
        [[check]]
        name = "{name}"
        type = "command"
        ssh = "staging"
        ssh-config = "{config}"
        argv = {json.dumps(argv)}
        """ for name, config, argv in cases)
    _, report = suite_json(tmp_path, suite_file(tmp_path, tables))
    ours = {check["name"]: check["code"] for check in report["checks"]}
    theirs = {}
    for name, config, argv in cases:
        done = subprocess.run([check_by_ssh, "-H", "staging", "-F", str(config), "-t", "10", "-C", shlex.join(argv)],
                              capture_output=True, text=True, timeout=30, check=False)
        theirs[name] = done.returncode
    assert ours == theirs == {"ok": 0, "warning": 1, "critical": 2, "unknown": 3, "wrong-key": 3, "closed-port": 3}
