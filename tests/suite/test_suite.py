"""cronchecks suite: one TOML file, many checks, one process; its mistakes, outputs and exports."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.suite.file import SuiteError, load_suite
from tests.conftest import LoopbackHTTP, Reply, run_console_script

PY = sys.executable


def write(tmp_path: Path, text: str, name: str = "suite.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def plugin(tmp_path: Path, name: str, code: int, line: str, sleep: float = 0) -> str:
    path = tmp_path / name
    path.write_text(f"#!{PY}\nimport sys, time\ntime.sleep({sleep})\nprint({line!r})\nsys.exit({code})\n")
    path.chmod(0o755)
    return str(path)


def suite(tmp_path: Path, *args: str, env: dict | None = None, timeout: float = 60):
    return run_console_script("cronchecks", "suite", *args, "--state-dir", str(tmp_path / "state"),
                              env=env, timeout=timeout)


@pytest.fixture
def beat(tmp_path) -> Path:
    path = tmp_path / "job.beat"
    path.write_text("")
    return path


def test_a_suite_runs_every_check_and_exits_with_the_worst(tmp_path, beat):
    stale = tmp_path / "stale.beat"
    stale.write_text("")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    path = write(tmp_path, f"""
        [defaults]
        timeout = "5s"

        [[check]]
        name = "job"
        type = "heartbeat"
        file = "{beat}"
        warning = "5m"
        critical = "15m"

        [[check]]
        name = "nightly"
        type = "heartbeat"
        file = "{stale}"
        critical = "${{NIGHTLY_LIMIT:-30m}}"

        [[check]]
        name = "disk"
        type = "command"
        argv = ["{plugin(tmp_path, 'check_disk_like', 1, 'DISK WARNING - 91% used | used=91%;90;95;0;100')}"]
    """)
    done = suite(tmp_path, str(path))
    assert done.code == 2
    lines = done.stdout.splitlines()
    assert lines[0].startswith("SUITE CRITICAL - 1 critical, 1 warning, 1 ok | ")
    assert "job::age=" in lines[0] and "disk::used=91%;90;95;0;100" in lines[0]
    assert lines[1].startswith("job: HEARTBEAT OK - ")
    assert lines[2].startswith("nightly: HEARTBEAT CRITICAL - ") and "critical > 30m 00s" in lines[2]
    assert lines[3] == "disk: DISK WARNING - 91% used"  # the plugin's own label, its state said once
    assert all("|" not in line for line in lines[1:])
    db = sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3")
    assert sorted(db.execute("select name, status from checks")) == [("disk", 1), ("job", 0), ("nightly", 2)]
    # the variable overrides the default
    again = suite(tmp_path, str(path), env={"NIGHTLY_LIMIT": "2h"})
    assert again.code == 1


def test_hanging_and_crashing_checks_are_alone_in_their_trouble(tmp_path, beat):
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    path = write(tmp_path, f"""
        [[check]]
        name = "good"
        type = "heartbeat"
        file = "{beat}"
        critical = "5m"

        [[check]]
        name = "hangs-in-process"
        type = "heartbeat"
        file = "{fifo}"
        content = true
        critical = "5m"
        timeout = "1s"

        [[check]]
        name = "hangs-outside"
        type = "command"
        argv = ["{plugin(tmp_path, 'check_slow', 0, 'SLOW OK', sleep=60)}"]
        timeout = "1s"
        timeout-result = "unknown"

        [[check]]
        name = "broken-driver"
        type = "heartbeat"
        db = "nosuchdialect://x"
        query = "select 1"
        critical = "5m"

        [[check]]
        name = "segfaults"
        type = "command"
        argv = ["sh", "-c", "kill -SEGV $$"]
    """)
    started = time.monotonic()
    done = suite(tmp_path, str(path), "--no-record")
    assert time.monotonic() - started < 20
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines()[1:])
    assert lines["good"].startswith("HEARTBEAT OK")
    assert lines["hangs-in-process"] == "HEARTBEAT CRITICAL - timed out after 1.0 s"
    assert lines["hangs-outside"] == "HANGS-OUTSIDE UNKNOWN - timed out after 1.0 s"
    assert lines["broken-driver"].startswith("HEARTBEAT UNKNOWN - ")
    assert lines["segfaults"].startswith("SEGFAULTS CRITICAL - ")
    assert done.code == 2


@pytest.mark.parametrize("body, where", [
    ("[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '/x'\ncritical = '5m'\ncolour = 'red'\n",
     ":6: check #1, key 'colour'"),
    ("[[check]]\nname = 'a'\ntype = 'ftp'\n", ":3: check #1, key 'type': unknown check type 'ftp'"),
    ("[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '${NO_SUCH_VAR}'\ncritical = '5m'\n",
     ":4: check #1, key 'file': environment variable NO_SUCH_VAR is not set"),
    ("[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '/x'\ncritical = 5\nmin-size = ['1', '2']\n",
     ":6: check #1, key 'min-size': takes one value"),
    ("[[check]]\nname = 'a'\ntype = 'command'\nargv = 'check_x'\n", ":4: check #1, key 'argv'"),
    ("[defaults]\nafter = 0\n[[check]]\nname = 'a'\ntype = 'command'\nargv = ['x']\n", ":2: [defaults], key 'after'"),
    ("[defaults]\nretries = 3\n", ":2: [defaults], key 'retries': unknown key"),
    ("[[check]]\nname = 'a'\ntype = 'command'\nargv = ['x']\n[[check]]\nname = 'a'\ntype = 'command'\nargv = ['y']\n",
     ":6: check #2, key 'name': the name 'a' is used twice"),
    ("[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '/x'\ncritical = 'soon'\n", ":5: check #1, key 'critical'"),
    ("[[check]\nname = 'a'\n", "not valid TOML"),
    ("", "no [[check]] tables"),
    ("[[check]]\nname = 'a'\ntype = 'command'\nargv = ['x']\nafter = 'two'\n", ":5: check #1, key 'after'"),
])
def test_every_mistake_names_file_line_and_key_before_anything_runs(tmp_path, body, where):
    path = write(tmp_path, body)
    done = suite(tmp_path, "--check", str(path))
    assert done.code == 3
    assert done.stdout.startswith("CRONCHECKS UNKNOWN - ")
    assert str(path) in done.stdout and where in done.stdout, done.stdout
    assert not (tmp_path / "state").exists()  # nothing ran, nothing was recorded


def test_check_validates_only(tmp_path, beat):
    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '{beat}'\ncritical = '5m'\n")
    done = suite(tmp_path, "--check", str(path))
    assert done.code == 0 and done.stdout == f"SUITE OK - {path}: 1 checks, valid\n"


def test_json_output(tmp_path, beat):
    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '{beat}'\ncritical = '5m'\n")
    data = json.loads(suite(tmp_path, str(path), "--format", "json", "--no-record").stdout)
    assert data["status"] == "OK" and data["code"] == 0 and data["summary"] == "1 ok"
    assert data["checks"][0]["name"] == "a" and data["checks"][0]["perfdata"][0]["label"] == "age"


def test_prometheus_textfile_parses_and_has_no_duplicates(tmp_path, beat):
    from prometheus_client.parser import text_string_to_metric_families

    path = write(tmp_path, f"""
        [[check]]
        name = "a"
        type = "heartbeat"
        file = "{beat}"
        critical = "5m"

        [[check]]
        name = 'quote"d'
        type = "command"
        argv = ["{plugin(tmp_path, 'check_x', 2, "X CRITICAL - bad | 'resp time'=250ms;;;0 size=2KB")}"]
    """)
    out = tmp_path / "metrics" / "cronchecks.prom"
    out.parent.mkdir()
    suite(tmp_path, str(path), "--no-record", "--prometheus", str(out))
    text = out.read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {"cronchecks_check_status", "cronchecks_check_duration_seconds", "cronchecks_perfdata",
                             "cronchecks_check_last_run_timestamp_seconds",
                             "cronchecks_check_last_success_timestamp_seconds"}
    status = {s.labels["check"]: s.value for s in families["cronchecks_check_status"].samples}
    assert status == {"a": 0, 'quote"d': 2}
    perf = {(s.labels["check"], s.labels["label"]): (s.value, s.labels["unit"])
            for s in families["cronchecks_perfdata"].samples}
    assert perf[('quote"d', "resp time")] == (0.25, "seconds")
    assert perf[('quote"d', "size")] == (2000.0, "bytes")
    assert text.count("# TYPE") == 5 and text.count("# HELP") == 5
    assert len(text.splitlines()) == len(set(text.splitlines()))
    assert not list(out.parent.glob(".*.tmp"))  # the temporary file was renamed, not left


def test_icinga2_passive_results_have_the_documented_shape(tmp_path, beat):
    received = []
    with LoopbackHTTP() as icinga:
        def accept(handler):
            received.append(icinga.requests[-1])
            return Reply(200, {"results": [{"code": 200.0, "status": "Successfully processed check result"}]})

        icinga.routes["/v1/actions/process-check-result"] = accept
        path = write(tmp_path, f"[[check]]\nname = 'nightly-backup'\ntype = 'heartbeat'\nfile = '{beat}'\n"
                               "warning = '1m'\ncritical = '5m'\n")
        done = suite(tmp_path, str(path), "--no-record", "--icinga2", icinga.url, "--host", "web01", "--ttl", "10m",
                     env={"CRONCHECKS_ICINGA2_USER": "monitor", "CRONCHECKS_ICINGA2_PASSWORD": "pa55word"})
    assert done.code == 0 and "pa55word" not in done.stdout + done.stderr
    assert len(received) == 1
    request = received[0]
    assert request["method"] == "POST"
    assert request["headers"]["Accept"] == "application/json"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"monitor:pa55word").decode()
    body = json.loads(request["body"])
    assert body["type"] == "Service"
    assert body["filter"] == 'host.name=="web01" && service.name=="nightly-backup"'
    assert body["exit_status"] == 0 and body["ttl"] == 600 and body["check_source"] == "web01"
    assert body["plugin_output"].startswith("HEARTBEAT OK - ")
    assert isinstance(body["performance_data"], list) and body["performance_data"][0].startswith("age=")


def test_nagios_external_command_file_is_a_real_fifo(tmp_path, beat):
    fifo = tmp_path / "nagios.cmd"
    os.mkfifo(fifo)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(fifo.read_text().splitlines()), daemon=True)
    reader.start()
    time.sleep(0.1)
    path = write(tmp_path, f"""
        [[check]]
        name = "job"
        type = "heartbeat"
        file = "{beat}"
        critical = "5m"

        [[check]]
        name = "dummy"
        type = "command"
        argv = ["{plugin(tmp_path, 'check_d', 1, 'D WARNING - half | x=1;2')}"]
    """)
    done = suite(tmp_path, str(path), "--no-record", "--nagios-cmd", str(fifo), "--host", "web01")
    reader.join(timeout=10)
    assert done.code == 1
    assert len(lines) == 2
    assert lines[0].split("] ", 1)[1].startswith("PROCESS_SERVICE_CHECK_RESULT;web01;job;0;HEARTBEAT OK - ")
    assert lines[1].endswith("PROCESS_SERVICE_CHECK_RESULT;web01;dummy;1;D WARNING - half|x=1;2")


def test_nagios_command_file_without_reader_is_a_line_not_a_hang(tmp_path, beat):
    fifo = tmp_path / "nagios.cmd"
    os.mkfifo(fifo)
    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '{beat}'\ncritical = '5m'\n")
    done = suite(tmp_path, str(path), "--no-record", "--nagios-cmd", str(fifo), timeout=20)
    assert done.code == 0
    assert "cannot open for writing" in done.stderr


def test_alerts_go_through_the_same_policy_and_channels_as_run(tmp_path, beat):
    received = []
    with LoopbackHTTP() as hooks:
        def accept(handler):
            received.append(json.loads(hooks.requests[-1]["body"]))
            return Reply(200, "ok")

        hooks.routes["/hook"] = accept
        state = tmp_path / "flag"
        checker = tmp_path / "check_flag"
        checker.write_text(f"#!{PY}\nimport sys\nc = int(open({str(state)!r}).read())\nprint('F', c)\nsys.exit(c)\n")
        checker.chmod(0o755)
        path = write(tmp_path, f"""
            [defaults]
            webhook-env = "HOOK_URL"
            after = 2

            [[check]]
            name = "flag"
            type = "command"
            argv = ["{checker}"]

            [[check]]
            name = "quiet"
            type = "command"
            argv = ["{checker}"]
            notify-on = "recovery"
        """)
        env = {"HOOK_URL": hooks.url + "/hook"}
        for code in (2, 2, 2, 0):
            state.write_text(str(code))
            suite(tmp_path, str(path), env=env)
    # The two recoveries of the last run arrive as one grouped message (a plain JSON webhook groups).
    assert [event["kind"] for event in received] == ["problem", "group"]
    flat = [alert for event in received for alert in event.get("alerts", [event])]
    kinds = sorted((event["check"], event["kind"]) for event in flat)
    assert kinds == [("flag", "problem"), ("flag", "recovery"), ("quiet", "recovery")]


def test_suite_and_run_call_this_machine_by_the_same_name_unless_told(tmp_path):
    from cronchecks.core.hostname import host_name

    received = []
    with LoopbackHTTP() as hooks:
        def accept(handler):
            received.append(json.loads(hooks.requests[-1]["body"]))
            return Reply(200, "ok")

        hooks.routes["/hook"] = accept
        path = write(tmp_path, f"""
            [[check]]
            name = "down"
            type = "command"
            argv = ["{plugin(tmp_path, 'check_down', 2, 'DOWN CRITICAL - gone')}"]
            webhook = "{hooks.url}/hook"
        """)
        suite(tmp_path, str(path))
        run_console_script("cronchecks", "suite", str(path), "--state-dir", str(tmp_path / "other"), "--host", "web01")
        run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "run"), "--name", "down",
                           "--webhook", f"{hooks.url}/hook", "--", "false")
    # No DNS lookup (getfqdn): the name `hostname` prints, as `cronchecks run` gives it.
    assert [event["host"] for event in received] == [host_name(), "web01", host_name()]


def test_a_suite_records_and_exports_everything_before_printing(tmp_path, beat, capsys):
    from cronchecks.suite.command import SuiteOptions, run_suite_command

    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '{beat}'\ncritical = '5m'\n")
    prom = tmp_path / "suite.prom"
    outcome = run_suite_command(SuiteOptions(path=path, prometheus=str(prom), host="web01",
                                             state_dir=str(tmp_path / "state")), {})
    assert capsys.readouterr() == ("", "")  # the orchestration prints nothing: the command line does
    assert prom.read_text().startswith("# HELP cronchecks_check_status")
    db = sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3")
    assert list(db.execute("select name, status from checks")) == [("a", 0)]
    assert (outcome.status.name, outcome.host, outcome.problems, outcome.timed_out) == ("OK", "web01", [], False)
    assert [run.entry.name for run in outcome.runs] == ["a"]


def test_a_reader_that_went_away_loses_no_record_and_no_export(tmp_path, beat):
    import subprocess

    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '{beat}'\ncritical = '5m'\n")
    prom = tmp_path / "suite.prom"
    read_end, write_end = os.pipe()
    os.close(read_end)  # `cronchecks suite ... | head` with head already gone
    try:
        subprocess.run([str(Path(sys.executable).parent / "cronchecks"), "suite", str(path), "--prometheus",
                        str(prom), "--state-dir", str(tmp_path / "state")], stdout=write_end,
                       stderr=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(write_end)
    assert prom.exists()
    db = sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3")
    assert list(db.execute("select name from checks")) == [("a",)]


def test_the_command_line_shows_the_outcome_and_then_its_problems(tmp_path, beat):
    import io

    from cronchecks.cli.suite import show_outcome
    from cronchecks.suite.command import SuiteOptions, run_suite_command

    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'heartbeat'\nfile = '{beat}'\ncritical = '5m'\n")
    outcome = run_suite_command(SuiteOptions(path=path, record=False, nagios_cmd=str(tmp_path / "absent.cmd")), {})
    out, err = io.StringIO(), io.StringIO()
    assert show_outcome(outcome, "auto", False, out, err) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("SUITE OK - 1 ok | a::age=") and lines[1].startswith("a: HEARTBEAT OK - ")
    assert err.getvalue().startswith(f"cronchecks suite: --nagios-cmd {tmp_path / 'absent.cmd'} does not exist")
    table = io.StringIO()
    show_outcome(outcome, "table", False, table, io.StringIO())
    assert "SUITE OK - 1 ok" in table.getvalue() and "┃ check" in table.getvalue()
    valid = io.StringIO()
    assert show_outcome(outcome, "auto", True, valid, io.StringIO()) == 0
    assert valid.getvalue() == f"SUITE OK - {path}: 1 checks, valid\n"


# --- property: the loader never fails with anything but SuiteError -------------------------

_keys = st.sampled_from(["name", "type", "file", "critical", "warning", "argv", "after", "timeout", "webhook",
                         "content", "schedule", "bogus", "notify-on", "min-size", "db-env"])
_values = st.one_of(st.text(max_size=12), st.integers(-5, 100), st.booleans(),
                    st.lists(st.text(max_size=8), max_size=3))


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)  # a JSON string is a valid TOML basic string


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(_keys, _values, max_size=6), max_size=3))
def test_loader_raises_only_suite_errors(tmp_path, tables):
    text = "".join("[[check]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in t.items()) for t in tables)
    path = tmp_path / "generated.toml"
    path.write_text(text)
    try:
        suite_file = load_suite(path, {})
    except SuiteError as error:  # a refusal is fine, and names the file
        refusal = str(error)
    else:
        assert suite_file.checks
        return
    assert str(path) in refusal


# --- trust: what a check says is data, on a terminal too -----------------------------------


def test_markup_in_a_summary_is_shown_literally_on_a_real_terminal(tmp_path):
    from tests.pty_fixtures import run_in_pty

    said = "LOG WARNING - saw [/x] and [bold]X[/bold] :smile:"
    path = write(tmp_path, f"""
        [[check]]
        name = "logs"
        type = "command"
        argv = ["{plugin(tmp_path, 'check_logs_like', 1, said)}"]
    """)
    prom = tmp_path / "suite.prom"
    done = run_in_pty("cronchecks", "suite", str(path), "--state-dir", str(tmp_path / "state"),
                      "--prometheus", str(prom))
    assert done.code == 1, (done.stdout, done.stderr)
    assert "MarkupError" not in done.stdout + done.stderr
    assert "┏" in done.stdout and "SUITE WARNING - 1 warning, 0 ok" in done.stdout  # the table: a terminal
    assert "saw [/x] and [bold]X[/bold] :smile:" in done.stdout
    assert "\x1b[1mX" not in done.stdout and "😄" not in done.stdout  # nothing restyled, no emoji
    # Recorded and exported before anything was printed, and the record holds the text as said.
    db = sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3")
    assert list(db.execute("select name, status from checks")) == [("logs", 1)]
    assert 'cronchecks_check_status{check="logs"' in prom.read_text()


# --- trust: a suite file named by mistake, or made to hurt, is one named mistake -------------


def _suite_file_mistake(tmp_path: Path, path: str, *args: str):
    started = time.monotonic()
    done = suite(tmp_path, str(path), *args, timeout=30)
    took = time.monotonic() - started
    assert done.code == 3, done.stdout
    assert len(done.stdout.splitlines()) == 1 and done.stdout.startswith("CRONCHECKS UNKNOWN - ")
    assert "internal error" not in done.stdout and "Error:" not in done.stdout
    assert not (tmp_path / "state").exists()  # nothing ran, nothing was recorded
    return done.stdout.strip(), took


def test_a_binary_suite_file_is_not_utf8_with_its_line(tmp_path):
    path = tmp_path / "suite.toml"
    path.write_bytes(b"# a suite\n[[check]]\nname = 'caf\xe9'\n\x00\x01\x02")
    line, _ = _suite_file_mistake(tmp_path, str(path))
    assert line == f"CRONCHECKS UNKNOWN - {path}:3: not a suite file: not UTF-8 text (byte 0xe9 at offset 31)"


def test_a_suite_file_that_never_ends_is_refused_after_a_mebibyte(tmp_path):
    line, took = _suite_file_mistake(tmp_path, "/dev/zero")
    assert line == "CRONCHECKS UNKNOWN - /dev/zero: not a suite file: is a device, not a file"
    assert took < 5
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 110_000)  # valid TOML, over 1 MiB
    line, _ = _suite_file_mistake(tmp_path, str(big))
    assert line.endswith("not a suite file: is over 1.0 MiB"), line


def test_a_named_pipe_with_no_writer_is_refused_at_once(tmp_path):
    import os

    fifo = tmp_path / "suite.toml"
    os.mkfifo(fifo)
    line, took = _suite_file_mistake(tmp_path, str(fifo))
    assert line.endswith("not a suite file: is a named pipe, not a file") and took < 5


def test_deeply_nested_arrays_are_a_named_mistake(tmp_path):
    path = write(tmp_path, "[[check]]\nname = 'a'\ntype = 'command'\nargv = " + "[" * 20_000 + "]" * 20_000 + "\n")
    line, _ = _suite_file_mistake(tmp_path, str(path))
    assert line == f"CRONCHECKS UNKNOWN - {path}: not a suite file: arrays or tables nested too deeply"


def test_a_name_of_100000_characters_is_refused_without_echoing_it(tmp_path):
    path = write(tmp_path, "[[check]]\nname = '" + "n" * 100_000 + "'\ntype = 'command'\nargv = ['true']\n")
    line, _ = _suite_file_mistake(tmp_path, str(path))
    assert f"{path}:2: check #1, key 'name': " in line
    assert "(100000 characters) is too long (at most 200 characters)" in line and len(line) < 400
    ok = write(tmp_path, "[[check]]\nname = '" + "n" * 200 + "'\ntype = 'command'\nargv = ['true']\n", "ok.toml")
    assert suite(tmp_path, "--check", str(ok)).code == 0


def test_a_value_file_that_never_ends_is_bounded(tmp_path):
    path = write(tmp_path, "[[check]]\nname = 'a'\ntype = 'command'\nargv = ['true']\nlabel-file = '/dev/zero'\n")
    line, took = _suite_file_mistake(tmp_path, str(path))
    assert line == (f"CRONCHECKS UNKNOWN - {path}:5: check #1, key 'label-file': /dev/zero is a device, not a file: "
                    "not a value file")
    assert took < 5


@pytest.mark.parametrize("state", ["file", "long"])
def test_an_unusable_state_folder_is_one_line_before_anything_runs(tmp_path, state):
    marker = tmp_path / "ran"
    path = write(tmp_path, f"[[check]]\nname = 'a'\ntype = 'command'\nargv = ['touch', '{marker}']\n")
    if state == "file":
        folder = tmp_path / "a-file"
        folder.write_text("")
        reason = "it is not a folder"
    else:
        folder = tmp_path / ("x" * 300)
        reason = "File name too long"
    done = run_console_script("cronchecks", "suite", str(path), "--state-dir", str(folder))
    assert done.code == 3 and done.stdout == (f"CRONCHECKS UNKNOWN - cannot use the state folder {folder} "
                                              f"(--state-dir or CRONCHECKS_STATE_DIR): {reason}\n")
    assert not marker.exists()
    assert suite(tmp_path, str(path), "--no-record", "--state-dir", str(folder)).code == 0  # no store wanted


# --- trust: the first line's state is the exit code, whatever happens to a submission ---------

_STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def _warning_suite(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "ran"
    line = "DISK WARNING - 91% used | used=91%;90;95;0;100"
    script = tmp_path / "check_disk_like"
    script.write_text(f"#!{PY}\nimport pathlib, sys\npathlib.Path({str(marker)!r}).touch()\nprint({line!r})\n"
                      "sys.exit(1)\n")
    script.chmod(0o755)
    return write(tmp_path, f"[[check]]\nname = 'disk'\ntype = 'command'\nargv = ['{script}']\n"), marker


@pytest.mark.parametrize("args, complaint", [
    (["--icinga2", "http://"], "invalid --icinga2 'http://': the API's URL expected"),
    (["--icinga2", "icinga.example.com:5665"], "invalid --icinga2"),
    (["--icinga2", "https://icinga.example.com:99999"], "invalid --icinga2"),
    (["--nagios-cmd", ""], "invalid --nagios-cmd ''"),
])
def test_an_unusable_submission_target_is_one_line_before_anything_runs(tmp_path, args, complaint):
    path, marker = _warning_suite(tmp_path)
    env = {"CRONCHECKS_ICINGA2_USER": "u", "CRONCHECKS_ICINGA2_PASSWORD": "sekrit-pw"}
    done = suite(tmp_path, str(path), *args, env=env)
    assert done.code == 3 and done.stdout.splitlines() == [done.stdout.strip()]
    assert done.stdout.startswith("CRONCHECKS UNKNOWN - ") and complaint in done.stdout
    assert not marker.exists() and not (tmp_path / "state").exists()
    assert "sekrit-pw" not in done.stdout + done.stderr


def test_a_failed_submission_is_said_on_stderr_and_leaves_the_state_alone(tmp_path, closed_port):
    path, marker = _warning_suite(tmp_path)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    env = {"CRONCHECKS_ICINGA2_USER": "u", "CRONCHECKS_ICINGA2_PASSWORD": "sekrit-pw"}
    for args, said in [
        (["--icinga2", f"http://127.0.0.1:{closed_port}"],
         f"disk: Icinga 2 http://127.0.0.1:{closed_port} did not answer: connection failed (refused)"),
        (["--nagios-cmd", str(tmp_path / "absent.cmd")], f"--nagios-cmd {tmp_path / 'absent.cmd'} does not exist"),
        (["--nagios-cmd", str(folder)], f"--nagios-cmd {folder}: cannot open for writing"),
    ]:
        marker.unlink(missing_ok=True)
        done = suite(tmp_path, str(path), *args, env=env, timeout=30)
        lines = done.stdout.splitlines()
        assert marker.exists()
        assert done.code == 1 and lines[0].startswith(f"SUITE {_STATES[done.code]} - 1 warning, 0 ok | ")
        assert lines[1:] == ["disk: DISK WARNING - 91% used"]  # no second status line
        assert done.stderr.startswith(f"cronchecks suite: {said}"), done.stderr
        assert len(done.stderr.splitlines()) == 1 and "sekrit-pw" not in done.stdout + done.stderr
    db = sqlite3.connect(tmp_path / "state" / "cronchecks.sqlite3")
    assert list(db.execute("select name, status from checks")) == [("disk", 1)]
