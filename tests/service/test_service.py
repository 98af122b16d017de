"""check-service against real processes, real sockets, and recorded `systemctl show` outputs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.core.execute import execute
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_range
from cronchecks.service.check import check_service
from cronchecks.service.options import ServiceOptions
from cronchecks.service.ports import Endpoint, parse_endpoint
from cronchecks.service.systemd import parse_systemctl_show
from tests.conftest import run_console_script

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "systemctl"

pytest_plugins = ["tests.service.systemctl_fixtures"]  # the `systemctl` fixture (recorded systemd outputs)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def runtime(env: dict | None = None) -> Runtime:
    return Runtime(env={"PATH": os.environ.get("PATH", ""), **(env or {})}, deadline=time.monotonic() + 10)


# --- systemd: the real systemctl of this machine, and what any systemctl may do ------------------
# (the recorded outputs of a real systemd, through a stand-in systemctl, are in test_systemd.py)


def test_the_real_systemctl_of_this_machine():
    real = shutil.which("systemctl")
    if real is None:
        result = check_service(ServiceOptions(systemd=("cron",)), runtime())
        assert result.status is Status.UNKNOWN and "systemctl not found" in result.summary
        return
    result = check_service(ServiceOptions(systemd=("no-such-unit-cronchecks",)), runtime())
    if Path("/run/systemd/system").is_dir():  # a machine booted with systemd
        assert result.status is Status.CRITICAL and "not found" in result.summary
    else:
        assert result.status is Status.UNKNOWN and "systemctl failed" in result.summary


def test_a_hanging_systemctl_takes_the_timeout_state_and_is_ended(tmp_path):
    import psutil

    bindir = tmp_path / "bin"
    bindir.mkdir()
    pidfile = tmp_path / "pid"
    script = bindir / "systemctl"
    script.write_text(f"#!/bin/sh\necho $$ > '{pidfile}'\nexec sleep 60\n")
    script.chmod(0o755)
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    options = ServiceOptions(systemd=("nginx.service",), ports=("1",))
    started = time.monotonic()
    outcome = execute(check_service, options, Runtime(env=env), 0.5, Status.UNKNOWN)
    assert outcome.timed_out and outcome.result.status is Status.UNKNOWN  # --timeout-result, not a finding
    assert time.monotonic() - started < 1.5
    pid = int(pidfile.read_text())
    assert not psutil.pid_exists(pid) or psutil.wait_procs([psutil.Process(pid)], timeout=2)[1] == []


def test_systemctl_missing_is_unknown(tmp_path):
    result = check_service(ServiceOptions(systemd=("nginx",)), Runtime(env={"PATH": str(tmp_path)}))
    assert result.status is Status.UNKNOWN and "systemctl not found" in result.summary


# What str.splitlines() breaks lines on: a value holding one would not read back as one line.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@given(st.lists(st.dictionaries(
    st.text(st.characters(blacklist_characters="=" + LINE_BREAKS, blacklist_categories=["Cs"]),
            min_size=1).filter(lambda k: k.strip()),
    st.text(st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=["Cs"])),
    min_size=1), max_size=4))
def test_systemctl_show_parser_reads_back_what_is_written(blocks):
    text = "\n\n".join("\n".join(f"{key}={value}" for key, value in block.items()) for block in blocks)
    assert parse_systemctl_show(text + "\n") == blocks


def test_systemctl_show_values_keep_their_equals_signs():
    blocks = parse_systemctl_show("ExecStart={ path=/usr/bin/app ; argv[]=/usr/bin/app --x=1 }\nMainPID=3\n")
    assert blocks == [{"ExecStart": "{ path=/usr/bin/app ; argv[]=/usr/bin/app --x=1 }", "MainPID": "3"}]


# --- processes: real ones, started here --------------------------------------------------


class Started:
    """Processes a test starts, ended whatever happens."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def __call__(self, argv: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def start():
    started = Started()
    yield started
    started.stop()


@pytest.fixture
def sleeper(tmp_path):
    """A copy of `sleep` under a name no other process has (the name ps and psutil show)."""
    def make(name: str) -> str:
        path = tmp_path / name
        if path.exists():
            return str(path)
        shutil.copy(shutil.which("sleep") or "/bin/sleep", path)
        path.chmod(0o755)
        return str(path)
    return make


def _wait_for_exec(proc: subprocess.Popen, name: str) -> None:
    # Popen returns after fork; the new name appears once exec has happened.
    import psutil

    for _ in range(200):
        try:
            if psutil.Process(proc.pid).name() == name:
                return
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.01)
    raise AssertionError(f"{name} did not start")


def unique(prefix: str = "cc") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def test_process_by_name_default_needs_at_least_one(start, sleeper):
    name = unique()
    options = ServiceOptions(processes=(name,))
    missing = check_service(options, runtime())
    assert missing.status is Status.CRITICAL
    assert missing.summary == f"no process named {name} (critical < 1)"
    _wait_for_exec(start([sleeper(name), "60"]), name)
    found = check_service(options, runtime())
    assert found.status is Status.OK and found.summary == f"1 process named {name}"
    assert [(p.label, p.value, p.critical.render()) for p in found.perfdata] == [("procs", 1, "1:")]


def test_long_process_names_beyond_linuxs_15_characters(start, sleeper):
    name = unique("cronchecks-long-name-")
    _wait_for_exec(start([sleeper(name), "60"]), name)
    assert check_service(ServiceOptions(processes=(name,)), runtime()).status is Status.OK


def test_count_ranges(start, sleeper):
    name = unique()
    path = sleeper(name)
    for _ in range(3):
        _wait_for_exec(start([path, "60"]), name)
    two_to_four = ServiceOptions(processes=(name,), warning=parse_range("2:2"), critical=parse_range("1:4"))
    result = check_service(two_to_four, runtime())
    assert result.status is Status.WARNING
    assert "3 processes named" in result.summary and "warning outside 2..2" in result.summary
    must_not_run = ServiceOptions(processes=(name,), critical=parse_range("0"))
    assert check_service(must_not_run, runtime()).status is Status.CRITICAL


def test_each_process_name_is_counted_on_its_own(start, sleeper):
    running, absent = unique(), unique()
    _wait_for_exec(start([sleeper(running), "60"]), running)
    result = check_service(ServiceOptions(processes=(running, absent)), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary == f"no process named {absent} (critical < 1); 1 other OK"
    assert [p.label for p in result.perfdata] == [f"procs_{running}", f"procs_{absent}"]


def test_cmdline_regex(start):
    marker = unique("marker-")
    start([sys.executable, "-c", "import time; time.sleep(60)", f"--job={marker}", "--queue=mail"])
    result = check_service(ServiceOptions(cmdline=rf"--job={marker} --queue=(mail|sms)"), runtime())
    assert result.status is Status.OK and "1 process matching" in result.summary
    assert check_service(ServiceOptions(cmdline=rf"--job={marker} --queue=sms"), runtime()).status \
        is Status.CRITICAL


def test_the_check_and_its_ancestors_never_count(start):
    """`sh -c 'check-service --cmdline X'`: the shell's command line holds X, yet it is not X."""
    marker = unique("nightly-export-")
    script = shutil.which("check-service", path=str(Path(sys.executable).parent)) or "check-service"
    shell = [shutil.which("sh") or "/bin/sh", "-c", f"{script} --cmdline {marker}; exit $?"]
    alone = subprocess.run(shell, capture_output=True, text=True, timeout=30)
    assert alone.returncode == 2, alone.stdout
    assert alone.stdout.startswith(f"SERVICE CRITICAL - no process matching '{marker}'")
    start([sys.executable, "-c", "import time; time.sleep(60)", marker])
    real = subprocess.run(shell, capture_output=True, text=True, timeout=30)
    assert real.returncode == 0, real.stdout
    assert "1 process matching" in real.stdout


@pytest.mark.skipif(not IS_ROOT, reason="starting a process as another user needs root")
def test_user_filter(start):
    import tempfile

    name = unique()
    folder = Path(tempfile.mkdtemp(prefix="cronchecks-user-"))  # pytest's tmp_path is closed to others
    folder.chmod(0o755)
    path = str(folder / name)
    shutil.copy(shutil.which("sleep") or "/bin/sleep", path)
    os.chmod(path, 0o755)
    _wait_for_exec(start([path, "60"], user="nobody"), name)
    _wait_for_exec(start([path, "60"]), name)
    assert check_service(ServiceOptions(processes=(name,), user="nobody"), runtime()).summary \
        == f"1 process named {name} of user nobody"
    import pwd

    by_uid = check_service(ServiceOptions(processes=(name,), user=str(pwd.getpwnam("nobody").pw_uid),
                                          critical=parse_range("1:1")), runtime())
    assert by_uid.status is Status.OK
    assert check_service(ServiceOptions(processes=(name,), critical=parse_range("2:2")), runtime()).status \
        is Status.OK
    start.stop()
    shutil.rmtree(folder)


def test_unknown_user_is_a_usage_error():
    with pytest.raises(UsageError, match="no such user"):
        check_service(ServiceOptions(user="no-such-user-cronchecks"), runtime())


def test_zombies_do_not_count(sleeper):
    name = unique()
    proc = subprocess.Popen([sleeper(name), "0"])
    deadline = time.monotonic() + 10
    import psutil

    while time.monotonic() < deadline:  # exited but not reaped: a zombie
        try:
            if psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    try:
        assert check_service(ServiceOptions(processes=(name,)), runtime()).status is Status.CRITICAL
    finally:
        proc.wait()


# --- pidfiles ---------------------------------------------------------------------------


def test_pidfile(start, sleeper, tmp_path):
    name = unique()
    proc = start([sleeper(name), "60"])
    _wait_for_exec(proc, name)
    pidfile = tmp_path / "app.pid"
    pidfile.write_text(f"{proc.pid}\n")
    running = check_service(ServiceOptions(pidfiles=(str(pidfile),)), runtime())
    assert running.status is Status.OK
    assert running.summary == f"pidfile {pidfile}: PID {proc.pid} ({name}) running"
    proc.kill()
    proc.wait()
    stale = check_service(ServiceOptions(pidfiles=(str(pidfile),)), runtime())
    assert stale.status is Status.CRITICAL and "stale pidfile" in stale.summary


@pytest.mark.parametrize("content, words", [
    (None, "does not exist"), ("", "holds no PID"), ("nginx\n", "holds no PID")])
def test_bad_pidfiles_are_critical(tmp_path, content, words):
    pidfile = tmp_path / "app.pid"
    if content is not None:
        pidfile.write_text(content)
    result = check_service(ServiceOptions(pidfiles=(str(pidfile),)), runtime())
    assert result.status is Status.CRITICAL and words in result.summary


# --- memory and CPU per process ------------------------------------------------------------

HOG = "import time; data = bytes(range(256)) * (64 * 4096); print('ready', flush=True); time.sleep(60)"


def test_memory_limits(start):
    marker = unique("hog-")
    hog = start([sys.executable, "-c", HOG, marker], stdout=subprocess.PIPE, text=True)
    assert hog.stdout.readline().strip() == "ready"  # 64 MiB touched and resident
    base = ServiceOptions(cmdline=marker)
    over = check_service(ServiceOptions(cmdline=marker, rss_warning=parse_range("16MiB", "size"),
                                        rss_critical=parse_range("32MiB", "size")), runtime())
    assert over.status is Status.CRITICAL
    assert f"memory of PID {hog.pid}" in over.summary and "critical > 32.0 MiB" in over.summary
    rss = next(p for p in over.perfdata if p.label == "rss")
    assert rss.value is not None and rss.value > 64 * 2**20
    assert rss.uom == "B" and rss.critical.render() == str(32 * 2**20)
    under = check_service(ServiceOptions(cmdline=marker, rss_critical=parse_range("1G", "size")), runtime())
    assert under.status is Status.OK and check_service(base, runtime()).status is Status.OK


def test_memory_limit_applies_to_the_pidfiles_process(start, tmp_path):
    hog = start([sys.executable, "-c", HOG], stdout=subprocess.PIPE, text=True)
    assert hog.stdout.readline().strip() == "ready"
    pidfile = tmp_path / "hog.pid"
    pidfile.write_text(str(hog.pid))
    result = check_service(ServiceOptions(pidfiles=(str(pidfile),), rss_warning=parse_range("32M", "size")), runtime())
    assert result.status is Status.WARNING and f"PID {hog.pid}" in result.summary


def test_cpu_is_measured_over_an_interval(start):
    busy, idle = unique("busy-"), unique("idle-")
    start([sys.executable, "-c", "while True: pass", busy])
    start([sys.executable, "-c", "import time; time.sleep(60)", idle])
    spinning = check_service(ServiceOptions(cmdline=busy, cpu_critical=parse_range("5", "percent"), cpu_interval=0.3),
                             runtime())
    assert spinning.status is Status.CRITICAL and "CPU of PID" in spinning.summary
    resting = check_service(ServiceOptions(cmdline=idle, cpu_critical=parse_range("50", "percent"), cpu_interval=0.3),
                            runtime())
    assert resting.status is Status.OK
    assert next(p for p in resting.perfdata if p.label == "cpu").uom == "%"


# --- TCP ports -------------------------------------------------------------------------


@pytest.fixture
def listening_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_listening_port_is_ok_with_connect_time(listening_port):
    result = check_service(ServiceOptions(ports=(f"127.0.0.1:{listening_port}",)), runtime())
    assert result.status is Status.OK
    assert result.summary.startswith(f"127.0.0.1:{listening_port} accepts connections")
    time_taken = result.perfdata[0]
    assert time_taken.label == "time" and time_taken.uom == "s"
    assert time_taken.value is not None and time_taken.value >= 0


def test_closed_port_is_critical(closed_port, listening_port):
    result = check_service(ServiceOptions(ports=(str(listening_port), f"127.0.0.1:{closed_port}")), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary == f"127.0.0.1:{closed_port} refused the connection; 1 other OK"
    assert [p.label for p in result.perfdata] == [f"time_127.0.0.1:{listening_port}", f"time_127.0.0.1:{closed_port}"]
    assert result.perfdata[1].value is None


def test_unknown_host_is_critical():
    result = check_service(ServiceOptions(ports=("no-such-host.invalid:80",)), runtime())
    assert result.status is Status.CRITICAL and "host not found" in result.summary


@pytest.mark.parametrize("text, endpoint", [
    ("127.0.0.1:80", Endpoint("127.0.0.1", 80)), ("db.internal:5432", Endpoint("db.internal", 5432)),
    ("[::1]:6379", Endpoint("::1", 6379)), ("8080", Endpoint("127.0.0.1", 8080)),
])
def test_port_syntax(text, endpoint):
    assert parse_endpoint(text) == endpoint


@pytest.mark.parametrize("text", ["", "host", "host:", "host:0", "host:70000", "::1:80", "[::1]80", "h:p"])
def test_bad_port_syntax_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--port"):
        parse_endpoint(text)


@given(st.sampled_from(["127.0.0.1", "example.org", "::1", "fe80::1"]), st.integers(1, 65535))
def test_endpoints_read_back(host, port):
    assert parse_endpoint(str(Endpoint(host, port))) == Endpoint(host, port)


# --- Windows services, several sources, usage ------------------------------------------


def test_windows_service_elsewhere_is_unknown():
    if sys.platform == "win32":
        pytest.skip("this is Windows")
    result = check_service(ServiceOptions(windows_services=("Spooler",)), runtime())
    assert result.status is Status.UNKNOWN and "Windows services exist only on Windows" in result.summary


@pytest.mark.parametrize("state, status", [("running", Status.OK), ("start_pending", Status.WARNING),
                                           ("stopped", Status.CRITICAL), ("paused", Status.CRITICAL)])
def test_windows_service_states(monkeypatch, state, status):
    # A mock: there is no Windows service manager on these machines, so psutil's
    # win_service_get (absent outside Windows) is stood in for, and the platform with it.
    import psutil

    class FakeService:
        def status(self) -> str:
            return state

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(psutil, "win_service_get", lambda name: FakeService(), raising=False)
    result = check_service(ServiceOptions(windows_services=("Spooler",)), runtime())
    assert result.status is status and result.summary.startswith("Windows service Spooler")


def test_sources_combine_by_the_worst(systemctl, start, sleeper, closed_port, listening_port):
    systemctl["app.service"] = "show-stuck-job.service.txt"
    name = unique()
    _wait_for_exec(start([sleeper(name), "60"]), name)
    options = ServiceOptions(systemd=("app.service",), processes=(name,),
                             ports=(str(listening_port), f"127.0.0.1:{closed_port}"))
    result = check_service(options, runtime(systemctl.env))
    assert result.status is Status.CRITICAL
    assert result.summary.startswith(f"127.0.0.1:{closed_port} refused the connection; app.service activating (start)")
    assert result.summary.endswith("; 2 others OK")
    assert result.details[0].startswith("WARNING: app.service activating")


@pytest.mark.parametrize("options, words", [
    (ServiceOptions(), "nothing to check"),
    (ServiceOptions(ports=("80",), critical=parse_range("1:")), "ranges on the number of processes"),
    (ServiceOptions(ports=("80",), restarts_warning=3), "--restarts-warning goes with --systemd"),
    (ServiceOptions(ports=("80",), rss_critical=parse_range("1M", "size")), "apply to processes"),
    (ServiceOptions(cmdline="("), "invalid --cmdline"),
    (ServiceOptions(processes=("x",), cpu_interval=0), "--cpu-interval"),
])
def test_usage_mistakes(options, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        check_service(options, runtime())


# --- the real command -------------------------------------------------------------------------


def test_console_script_end_to_end(listening_port, closed_port):
    ok = run_console_script("check-service", "--port", f"127.0.0.1:{listening_port}")
    assert ok.code == 0 and ok.first_line.startswith("SERVICE OK - ") and "| time=" in ok.first_line
    bad = run_console_script("check-service", "--port", str(closed_port), "--format", "json")
    assert bad.code == 2
    data = json.loads(bad.stdout)
    assert data["status"] == "CRITICAL" and "refused" in data["summary"]
    usage = run_console_script("check-service", "--memory-critical", "lots", "--process", "x")
    assert usage.code == 3 and usage.first_line.startswith("SERVICE UNKNOWN - invalid --memory-critical")
    help_text = run_console_script("check-service", "--help").stdout
    for option in ("--systemd", "--restarts-warning", "--process", "--cmdline", "--user", "--pidfile",
                   "--memory-warning", "--memory-critical", "--cpu-warning", "--cpu-critical", "--cpu-interval",
                   "--port", "--windows-service"):
        assert option in help_text


def test_process_path_imports_no_heavy_module():
    script = ("import sys; from cronchecks.cli import check_main; import io, contextlib\n"
              "with contextlib.redirect_stdout(io.StringIO()): check_main('service', ['--process', 'nope'])\n"
              "print(' '.join(m for m in ('requests', 'rich', 'sqlalchemy', 'jsonpath') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
