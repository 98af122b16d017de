"""Debian's nagios4 runs our checks and takes our passive results; status.dat tells what it made of them.

One nagios4 process for the module, on a config made here: the example command and passive
template files as they are, and services calling them with loopback targets.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import LoopbackHTTP, Reply
from tests.engines.nagios_fixtures import BIN, EXAMPLES, Nagios, nagios_main_config, nagios_verify

HOST = "web1"  # the examples' host; here at 127.0.0.1


def machine_name() -> str:
    return subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()


def test_the_examples_pass_nagios_verify(tmp_path):
    main = nagios_main_config(tmp_path, sorted((EXAMPLES / "nagios").glob("*.cfg")))
    verified = nagios_verify(main)
    assert verified.returncode == 0, verified.stdout[-3000:]
    assert "Total Errors:   0" in verified.stdout
    assert "Total Warnings: 0" in verified.stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Targets for every check type, and a running Nagios whose services point at them."""
    folder = tmp_path_factory.mktemp("nagios")
    beat = folder / "backup.beat"
    beat.write_text("done\n")
    log = folder / "app.log"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    log.write_text(f"{stamp} ERROR disk full\n{stamp} ERROR disk gone\n")
    root = folder / "root"
    (root / "pub").mkdir(parents=True)
    (root / "a.txt").write_text("a\n")
    (root / "b.txt").write_text("b\n")
    manifest = folder / "app.sha256"
    subprocess.run([BIN / "check-integrity", "--create", "--track-perms", "--root", root, "-m", manifest, "."],
                   check=True, capture_output=True)
    (root / "a.txt").write_text("changed\n")
    (root / "pub" / "new.php").write_text("<?php\n")
    machine = machine_name()
    objects = folder / "test-objects.cfg"
    http = LoopbackHTTP().__enter__()
    http.routes["/health"] = Reply(200, "ok")
    port = http.server.server_port
    services = {
        "http": f"cronchecks_http!{http.url}/health!1s!3s",
        "heartbeat": f"cronchecks_heartbeat_file!{beat}!25h!26h",
        "log": f"cronchecks_log_since!{log}!ERROR!1h!0!5",
        "service": f"cronchecks_port!{port}",
        "integrity": f"cronchecks_manifest!{manifest}!{root}!{root / 'pub'}",
    }
    text = [f"define host {{\n use generic-host\n host_name {HOST}\n address 127.0.0.1\n}}",
            f"define host {{\n use generic-host\n host_name {machine}\n address 127.0.0.1\n}}"]
    for name, command in services.items():
        text.append(f"define service {{\n use generic-service\n host_name {HOST}\n service_description {name}\n"
                    f" check_interval 3600\n check_command {command}\n}}")
    # Passive services on this machine, as `cronchecks suite` names it by default: one that
    # takes a long output, one whose suite falls silent (freshness after 2 s, not 15 min).
    text.append(f"define service {{\n use cronchecks-passive\n host_name {machine}\n service_description big\n}}")
    text.append(f"define service {{\n use cronchecks-passive\n host_name {machine}\n service_description silent\n"
                " freshness_threshold 3\n}")
    objects.write_text("\n".join(text) + "\n")
    nagios = Nagios(folder / "nagios", [EXAMPLES / "nagios" / "cronchecks-commands.cfg",
                                        EXAMPLES / "nagios" / "cronchecks-passive.cfg", objects])
    # cronchecks-passive.cfg's own services are on web1 and wait 15 min: they stay quiet here.
    nagios.start()
    try:
        yield {"nagios": nagios, "machine": machine, "folder": folder}
    finally:
        nagios.stop()
        http.__exit__(None, None, None)


def checked_since(started: float):
    return lambda fields: fields.get("has_been_checked") == "1" and int(fields.get("last_check", "0")) >= started


def test_nagios_runs_every_check_type_and_reads_state_output_and_perfdata(world):
    nagios = world["nagios"]
    started = int(time.time())
    for name in ("http", "heartbeat", "log", "service", "integrity"):
        nagios.force_check(HOST, name)
    http = nagios.wait_service(HOST, "http", checked_since(started))
    assert http["current_state"] == "0"
    assert http["plugin_output"].startswith("HTTP OK - 200")
    assert "time=" in http["performance_data"]
    beat = nagios.wait_service(HOST, "heartbeat", checked_since(started))
    assert beat["current_state"] == "0" and beat["plugin_output"].startswith("HEARTBEAT OK - ")
    assert beat["performance_data"].startswith("age=")
    log = nagios.wait_service(HOST, "log", checked_since(started))
    assert log["current_state"] == "1", log
    assert log["plugin_output"].startswith("LOG WARNING - 2 lines matching 'ERROR'")
    assert "matches=2;0;5;0" in log["performance_data"]
    port = nagios.wait_service(HOST, "service", checked_since(started))
    assert port["current_state"] == "0", port
    integrity = nagios.wait_service(HOST, "integrity", checked_since(started))
    assert integrity["current_state"] == "2", integrity
    # Nagios writes a ";" in the status line as ":" (it separates fields in its own files)
    assert integrity["plugin_output"].startswith("INTEGRITY CRITICAL - 1 modified: a.txt: 1 new:")
    # the long output, as Nagios keeps it (line breaks escaped in status.dat)
    assert integrity["long_plugin_output"].split("\\n")[:2] == ["modified: a.txt",
                                                                 f"new: {world['folder'] / 'root' / 'pub' / 'new.php'}"]
    assert "modified=1;;;0" in integrity["performance_data"] and "new=1;;;0" in integrity["performance_data"]


def test_a_passive_result_of_10_kb_arrives_with_its_perfdata_whole(world, tmp_path):
    nagios = world["nagios"]
    suite = tmp_path / "suite.toml"
    perf = "a=1;2;3 b_c=5s;;;0 z=99%;80;90;0;100"
    suite.write_text(f"""
[[check]]
name = "big"
type = "command"
argv = ["/bin/sh", "-c", "echo 'BIG WARNING - long | {perf}'; yes 'a line of long output' | head -500; exit 1"]

[[check]]
name = "silent"
type = "command"
argv = ["/bin/sh", "-c", "echo 'QUIET OK - fine'"]
""")
    started = int(time.time())
    # No --host: the machine's name, as `hostname` prints it, is the host Nagios knows
    done = subprocess.run([BIN / "cronchecks", "suite", suite, "--no-record", "--nagios-cmd", nagios.command_file],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, done.stderr
    big = nagios.wait_service(world["machine"], "big", checked_since(started))
    assert big["current_state"] == "1"
    assert big["plugin_output"] == "BIG WARNING - long"
    assert big["performance_data"] == perf
    long_output = big["long_plugin_output"].split("\\n")
    assert long_output[0] == "a line of long output"
    assert any("characters cut" in line for line in long_output)
    assert long_output[-1] == "a line of long output"

    # freshness: the suite says nothing more about `silent`, and Nagios turns it UNKNOWN
    silent = nagios.wait_service(world["machine"], "silent", lambda f: f.get("current_state") == "3", within=20)
    assert silent["plugin_output"].startswith("UNKNOWN: No result from the cronchecks suite for silent within")


def test_nsca_feeds_nagios_itself(world, tmp_path):
    """The whole way from a remote host: cronchecks run -> nsca -> Nagios' command file -> status.dat."""
    from tests.engines.nagios_fixtures import Nsca

    nagios = world["nagios"]
    with Nsca(tmp_path / "nsca", password="s3cret") as nsca:
        # nsca writes into this Nagios' own FIFO, as it does on a Nagios server
        config = nsca.folder / "nsca.cfg"
        config.write_text(config.read_text().replace(f"command_file={nsca.command_file}",
                                                     f"command_file={nagios.command_file}"))
        nsca.daemon.stop()
        nsca.daemon.start(port=nsca.port)
        started = int(time.time())
        done = subprocess.run([BIN / "cronchecks", "run", "--name", "big", "--state-dir", tmp_path / "state",
                               "--nsca", f"127.0.0.1:{nsca.port}", "--nagios", "--", "/bin/sh", "-c",
                               "echo 'REMOTE CRITICAL - from afar | r=7;1;5'; echo 'detail line'; exit 2"],
                              capture_output=True, text=True, timeout=30,
                              env={"PATH": "/usr/bin:/bin", "CRONCHECKS_NSCA_PASSWORD": "s3cret"})
        assert done.returncode == 2, done.stderr
        assert done.stderr == ""
        big = nagios.wait_service(world["machine"], "big", lambda f: checked_since(started)(f)
                                  and f["plugin_output"].startswith("REMOTE"))
    assert big["current_state"] == "2"
    assert big["plugin_output"] == "REMOTE CRITICAL - from afar"
    assert big["performance_data"] == "r=7;1;5"
    assert big["long_plugin_output"] == "detail line"


def test_the_default_host_is_what_hostname_prints():
    """One name for this machine everywhere (run, suite, Icinga 2, Nagios): never getfqdn's `localhost`."""
    from cronchecks.core.hostname import host_name

    assert host_name() == machine_name()


PERF_ITEM = st.from_regex(r"[a-z_]{1,12}=-?[0-9]{1,6}(\.[0-9]{1,3})?(s|B|%|c)?(;[0-9]{0,3}){0,4}", fullmatch=True)


@settings(max_examples=120, deadline=None)
@given(first=st.text(max_size=300), long_output=st.text(max_size=9_000), perf=st.lists(PERF_ITEM, max_size=12),
       limit=st.integers(min_value=0, max_value=6000), escaped=st.booleans())
def test_a_passive_text_fits_and_keeps_its_status_line_and_perfdata(first, long_output, perf, limit, escaped):
    from cronchecks.alerting.channels.passive import command_file_escape, fit_passive_text

    text = fit_passive_text(first, long_output, perf, limit, escaped)
    measured = command_file_escape(text) if escaped else text
    assert len(measured.encode("utf-8")) <= limit
    head = " ".join(first.replace("|", "/").split("\n")).strip()
    whole = f"{head}|{' '.join(perf)}" if perf else head
    if len((command_file_escape(whole) if escaped else whole).encode()) + 60 <= limit:
        line, _, rest = text.partition("\n")
        assert line == whole  # the status line and every perfdata item, untouched
        assert "|" not in rest  # nothing in the long output reads as more perfdata


@settings(max_examples=100, deadline=None)
@given(summary=st.text(max_size=200), details=st.lists(st.text(max_size=400), max_size=40),
       host=st.from_regex(r"[a-z0-9.-]{1,60}", fullmatch=True),
       name=st.from_regex(r"[a-z0-9 _-]{1,60}", fullmatch=True))
def test_every_command_file_line_is_one_line_within_4_kb(summary, details, host, name):
    from types import SimpleNamespace

    from cronchecks.core.result import Perfdata, Result, Status
    from cronchecks.suite.nagios import LINE_LIMIT, nagios_command_lines

    run = SimpleNamespace(entry=SimpleNamespace(name=name), label="CHECK",
                          result=Result(Status.WARNING, summary, (Perfdata("age", 5.0, "s", 10, 20, 0),),
                                        tuple(details)))
    [line] = nagios_command_lines([run], host, now=1_700_000_000)
    data = line.encode("utf-8")
    assert len(data) <= LINE_LIMIT
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert line.startswith(f"[1700000000] PROCESS_SERVICE_CHECK_RESULT;{host};{name};1;CHECK WARNING -")
    assert "|age=5s;10;20;0" in line.split("\\n")[0]


def test_icinga2_and_the_command_file_name_the_host_as_hostname_does(tmp_path):
    """The suite's passive results, to Icinga 2's API and to Nagios' command file, without --host."""
    import json
    import os

    suite = tmp_path / "suite.toml"
    suite.write_text('[[check]]\nname = "job"\ntype = "command"\nargv = ["/bin/echo", "JOB OK - fine"]\n')
    fifo = tmp_path / "nagios.cmd"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, as Nagios would be
    try:
        with LoopbackHTTP() as icinga:
            icinga.routes["/v1/actions/process-check-result"] = Reply(200, {"results": [{"code": 200}]})
            done = subprocess.run([BIN / "cronchecks", "suite", suite, "--no-record", "--icinga2", icinga.url,
                                   "--nagios-cmd", fifo], capture_output=True, text=True, timeout=30,
                                  env={"PATH": "/usr/bin:/bin", "CRONCHECKS_ICINGA2_USER": "u",
                                       "CRONCHECKS_ICINGA2_PASSWORD": "p"})
            assert done.returncode == 0, done.stderr
            posted = json.loads(icinga.requests[0]["body"])
        line = os.read(reader, 65536).decode()
    finally:
        os.close(reader)
    machine = machine_name()
    assert posted["filter"] == f'host.name=="{machine}" && service.name=="job"'
    assert posted["check_source"] == machine
    assert f"PROCESS_SERVICE_CHECK_RESULT;{machine};job;0;JOB OK - fine" in line
