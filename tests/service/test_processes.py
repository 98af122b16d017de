"""check-service's process filters (--state, --ppid, --elapsed, --exclude-cmdline) and per-process ranges
(--rss-*, --vsz-*, --cpu-*) on processes the tests start, and against Debian's check_procs on the same ones."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import ParseError, format_duration, format_size, parse_range
from cronchecks.core.values import OptionError, OptionValues
from cronchecks.service.arguments import read_options
from cronchecks.service.check import check_service
from cronchecks.service.options import ServiceOptions
from cronchecks.service.processes import PROCESS_STATES, parse_states
from tests.conftest import run_console_script

CHECK_PROCS = "/usr/lib/nagios/plugins/check_procs"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process states as Linux has them")
needs_check_procs = pytest.mark.skipif(not os.path.exists(CHECK_PROCS),
                                       reason="needs check_procs (apt-get install monitoring-plugins-basic)")

# A parent that makes the children it is asked for, prints their PIDs as one JSON line and
# then waits for nothing: a child that exits stays a zombie, as under a parent that forgot
# to wait. `sleep:PATH` execs a copy of sleep (a name of its own), `zombie` exits at once,
# `hog` holds 64 MiB resident, `spin` burns a core; `stop:...` is SIGSTOPped by the parent.
FAMILY = r"""
import json, os, signal, sys, time

pids = []
for spec in sys.argv[1:]:
    stop = spec.startswith("stop:")
    kind = spec.removeprefix("stop:")
    pid = os.fork()
    if pid == 0:
        if kind == "zombie":
            os._exit(0)
        if kind.startswith("sleep:"):
            path = kind.removeprefix("sleep:")
            os.execv(path, [path, "120"])
        if kind == "hog":
            data = bytes(range(256)) * (64 * 4096)
            time.sleep(120)
        if kind == "spin":
            while True:
                pass
        os._exit(3)
    if stop:
        os.kill(pid, signal.SIGSTOP)
    pids.append(pid)
if "hog" in sys.argv:
    time.sleep(0.5)  # the hog's pages touched before anyone measures
print(json.dumps(pids), flush=True)
time.sleep(120)
"""


class Family:
    """A parent process and its children, all ended when the test is."""

    def __init__(self, *specs: str) -> None:
        self.parent = subprocess.Popen([sys.executable, "-c", FAMILY, *specs], stdout=subprocess.PIPE, text=True,
                                       stdin=subprocess.DEVNULL)
        assert self.parent.stdout is not None
        self.children: list[int] = json.loads(self.parent.stdout.readline())
        self.pid = self.parent.pid

    def wait_for(self, state: str, count: int) -> None:
        import psutil

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            states: list[str] = []
            for pid in self.children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    states.append(psutil.Process(pid).status())
            if states.count(state) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"not {count} children {state}")

    def end(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.parent.kill()
        self.parent.wait()


@pytest.fixture
def family():
    made: list[Family] = []

    def make(*specs: str) -> Family:
        made.append(Family(*specs))
        return made[-1]

    yield make
    for one in made:
        one.end()


@pytest.fixture
def sleeper(tmp_path):
    name = f"cc{uuid.uuid4().hex[:10]}"
    path = tmp_path / name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", path)
    path.chmod(0o755)
    return str(path)


def runtime() -> Runtime:
    return Runtime(env={"PATH": os.environ.get("PATH", "")}, deadline=time.monotonic() + 10)


def count(result) -> int:
    return next(p.value for p in result.perfdata if p.label.startswith("procs"))


def check_procs(*args: str) -> tuple[Status, int, int]:
    """check_procs' state, its process count, and its count over the critical threshold (metrics)."""
    done = subprocess.run([CHECK_PROCS, *args], capture_output=True, text=True, timeout=30)
    line = done.stdout.splitlines()[0]
    status = Status[re.match(r"\w+ (OK|WARNING|CRITICAL|UNKNOWN)", line).group(1)]  # type: ignore[union-attr]
    assert status.value == done.returncode, line
    procs = int(re.search(r"\bprocs=(\d+)", line).group(1))  # type: ignore[union-attr]
    over = re.search(r"\bprocs_crit=(\d+)", line)
    return status, procs, int(over.group(1)) if over else 0


# --- states -------------------------------------------------------------------------------------


def test_zombies_are_counted_with_state_zombie(family, sleeper):
    made = family("zombie", "zombie", f"sleep:{sleeper}")
    made.wait_for("zombie", 2)
    options = ServiceOptions(states=("zombie",), ppid=made.pid, warning=parse_range("0"), critical=parse_range("5"))
    result = check_service(options, runtime())
    assert result.status is Status.WARNING
    assert result.summary == f"2 processes in state zombie with parent PID {made.pid} (warning > 0)"
    assert count(result) == 2
    # without --state a zombie has exited and is not counted
    assert count(check_service(ServiceOptions(ppid=made.pid), runtime())) == 1


def test_a_stopped_process(family, sleeper):
    made = family(f"stop:sleep:{sleeper}", f"sleep:{sleeper}")
    made.wait_for("stopped", 1)
    stopped = check_service(ServiceOptions(states=parse_states(("T",)), ppid=made.pid, critical=parse_range("0")),
                            runtime())
    assert stopped.status is Status.CRITICAL and count(stopped) == 1
    sleeping = check_service(ServiceOptions(states=("sleeping", "stopped"), ppid=made.pid,
                                            critical=parse_range("2:2")), runtime())
    assert sleeping.status is Status.OK and count(sleeping) == 2


@needs_check_procs
@pytest.mark.parametrize("ours, theirs", [("zombie", "Z"), ("stopped", "T"), ("sleeping", "S"), ("Z", "Z")])
def test_states_as_check_procs_counts_them(family, sleeper, ours, theirs):
    made = family("zombie", f"stop:sleep:{sleeper}", f"sleep:{sleeper}", f"sleep:{sleeper}", "zombie")
    made.wait_for("zombie", 2)
    made.wait_for("stopped", 1)
    for limit in ("0", "1", "2"):
        result = check_service(ServiceOptions(states=parse_states((ours,)), ppid=made.pid,
                                              critical=parse_range(limit)), runtime())
        status, procs, _ = check_procs("-s", theirs, "-p", str(made.pid), "-c", limit)
        assert (result.status, count(result)) == (status, procs), (ours, limit, result.summary)


@given(st.lists(st.sampled_from(sorted(PROCESS_STATES)), min_size=1, max_size=4))
def test_state_names_read_once_each(names):
    states = parse_states((",".join(names),))
    assert len(states) == len(set(states))
    assert set(states) <= set(PROCESS_STATES.values()) | {"tracing-stop"}
    assert parse_states(tuple(names)) == states


@given(st.text(max_size=12).filter(lambda s: all(w.strip().lower() not in PROCESS_STATES for w in s.split(","))))
def test_unknown_states_are_refused(text):
    with pytest.raises(UsageError, match="--state"):
        parse_states((text,))


# --- parent, name, command line, run time --------------------------------------------------------


@needs_check_procs
def test_ppid_and_name_as_check_procs(family, sleeper):
    made = family(f"sleep:{sleeper}", f"sleep:{sleeper}", "hog")
    name = Path(sleeper).name
    ours = check_service(ServiceOptions(processes=(name,), ppid=made.pid), runtime())
    assert (ours.status, count(ours)) == check_procs("-C", name, "-p", str(made.pid), "-c", "1:")[:2]
    assert count(ours) == 2
    everyone = check_service(ServiceOptions(ppid=made.pid), runtime())
    assert (everyone.status, count(everyone)) == check_procs("-p", str(made.pid), "-c", "1:")[:2]
    assert count(everyone) == 3
    nobody = check_service(ServiceOptions(ppid=made.children[0]), runtime())
    assert (nobody.status, count(nobody)) == check_procs("-p", str(made.children[0]), "-c", "1:")[:2]


@needs_check_procs
def test_cmdline_regex_as_ereg_argument_array(family, sleeper):
    made = family(f"sleep:{sleeper}", "hog")
    name = Path(sleeper).name
    # (not across the script's newlines: ps shows them as '?', the command line keeps them)
    for regex in (name, f"{name} 1[0-9]0$", "json, os, signal", "no-such-thing-here"):
        ours = check_service(ServiceOptions(cmdline=regex, ppid=made.pid), runtime())
        theirs = check_procs("--ereg-argument-array", regex, "-p", str(made.pid), "-c", "1:")
        assert (ours.status, count(ours)) == theirs[:2], regex


def test_exclude_cmdline(family, sleeper):
    made = family(f"sleep:{sleeper}", "hog")
    # the hog is a fork of its parent, with the parent's command line (which names the sleeper too)
    kept = check_service(ServiceOptions(ppid=made.pid, exclude_cmdlines=(r"^\S+ 120$",)), runtime())
    assert count(kept) == 1 and "not matching '^\\S+ 120$'" in kept.summary
    none = check_service(ServiceOptions(ppid=made.pid, exclude_cmdlines=("120", "json")), runtime())
    assert none.status is Status.CRITICAL and count(none) == 0
    with pytest.raises(UsageError, match="--exclude-cmdline"):
        check_service(ServiceOptions(ppid=made.pid, exclude_cmdlines=("(a)\\1",)), runtime())


@needs_check_procs
def test_elapsed_windows(family, sleeper):
    old = family(f"sleep:{sleeper}", f"sleep:{sleeper}")
    time.sleep(2.5)
    young = family(f"sleep:{sleeper}")
    # check_procs -m ELAPSED -c 1 counts the processes whose whole seconds (ps etime) are over 1;
    # --elapsed 1.5s: selects the same ones here, 2.5 s old against just started
    over = check_service(ServiceOptions(ppid=old.pid, elapsed=parse_range("1.5s:", "duration")), runtime())
    assert count(over) == 2 == check_procs("-p", str(old.pid), "-m", "ELAPSED", "-c", "1")[2]
    assert over.summary == f"2 processes with parent PID {old.pid} running for 1.5 s or more"
    fresh = check_service(ServiceOptions(ppid=young.pid, elapsed=parse_range("1.5s:", "duration")), runtime())
    assert count(fresh) == 0 == check_procs("-p", str(young.pid), "-m", "ELAPSED", "-c", "1")[2]
    short = check_service(ServiceOptions(ppid=young.pid, elapsed=parse_range("~:2s", "duration")), runtime())
    assert count(short) == 1 and "running for at most 2.0 s" in short.summary
    outside = check_service(ServiceOptions(ppid=old.pid, elapsed=parse_range("@0:1s", "duration")), runtime())
    assert count(outside) == 2


# --- per-process ranges ----------------------------------------------------------------------


@needs_check_procs
def test_rss_and_vsz_ranges_as_check_procs(family, sleeper):
    made = family("hog", f"sleep:{sleeper}")
    ppid = str(made.pid)
    rss = check_service(ServiceOptions(ppid=made.pid, rss_critical=parse_range("32M", "size")), runtime())
    theirs = check_procs("-p", ppid, "-m", "RSS", "-c", str(32 * 1024))
    assert rss.status is theirs[0] is Status.CRITICAL and theirs[2] == 1
    assert "memory of PID" in rss.summary and "(critical > 32.0 MiB)" in rss.summary
    fine = check_service(ServiceOptions(ppid=made.pid, rss_warning=parse_range("1G", "size")), runtime())
    assert fine.status is check_procs("-p", ppid, "-m", "RSS", "-w", str(1024 * 1024))[0] is Status.OK
    vsz = check_service(ServiceOptions(ppid=made.pid, vsz_warning=parse_range("60MiB", "size")), runtime())
    vsz_theirs = check_procs("-p", ppid, "-m", "VSZ", "-w", str(60 * 1024))
    assert vsz.status is vsz_theirs[0] is Status.WARNING
    assert "virtual memory of PID" in vsz.summary
    assert next(p for p in vsz.perfdata if p.label == "vsz").warning.render() == str(60 * 2**20)


def test_memory_is_the_older_name_of_rss():
    values = OptionValues({"memory-critical": "512M", "process": ["x"]}, "check-service")
    assert read_options(values).rss_critical == parse_range("512M", "size")
    both = OptionValues({"memory-critical": "512M", "rss-critical": "1G"}, "check-service")
    with pytest.raises(OptionError, match="older name of --rss-critical"):
        read_options(both)


@needs_check_procs
def test_cpu_ranges(family):
    made = family("spin", "hog")
    time.sleep(1)
    spinning = check_service(ServiceOptions(ppid=made.pid, cpu_critical=parse_range("5", "percent"),
                                            cpu_interval=0.3), runtime())
    assert spinning.status is Status.CRITICAL and f"CPU of PID {made.children[0]}" in spinning.summary
    theirs = check_procs("-p", str(made.pid), "-m", "CPU", "-c", "5")
    assert theirs[0] is Status.CRITICAL and theirs[2] == 1  # ps' lifetime average: the spinner alone
    # a bare number keeps its old meaning (above it); a range may ask for at least so much
    assert check_service(ServiceOptions(ppid=made.pid, cpu_critical=parse_range("1000", "percent"),
                                        cpu_interval=0.2), runtime()).status is Status.OK
    idle = check_service(ServiceOptions(ppid=made.pid, cpu_warning=parse_range("5:", "percent"), cpu_interval=0.2),
                         runtime())
    assert idle.status is Status.WARNING and f"PID {made.children[1]}" in idle.summary


@given(st.integers(0, 2**50), st.sampled_from(["", "K", "M", "G", "KiB", "MiB", "KB", "MB"]),
       st.sampled_from(["{v}", "{v}:", "~:{v}", "@{v}:{v}", "0:{v}"]))
def test_size_ranges_with_units(number, unit, shape):
    text = shape.format(v=f"{number}{unit}")
    window = parse_range(text, "size")
    factor = {"": 1, "K": 1024, "M": 2**20, "G": 2**30, "KiB": 1024, "MiB": 2**20, "KB": 1000, "MB": 10**6}[unit]
    assert float(number) * factor in (window.start, window.end)
    assert parse_range(window.render(), "size") == window._replace(text=window.render())


@given(st.floats(0, 1e6, allow_nan=False), st.sampled_from(["ms", "s", "m", "h", "d"]))
def test_elapsed_ranges_with_units(number, unit):
    text = f"{number:.3f}{unit}:"
    window = parse_range(text, "duration")
    assert window.end == float("inf") and window.start >= 0
    assert not window.alerts(window.start) and window.alerts(window.start / 2) == (window.start > 0)
    assert format_duration(window.start)


@pytest.mark.parametrize("text", ["5x", "1:2:3", "@", "10:5", "~", "1e5"])
def test_bad_ranges_are_refused(text):
    with pytest.raises(ParseError):
        parse_range(text, "size")
    assert format_size(0)


# --- usage and the command ----------------------------------------------------------------------


@pytest.mark.parametrize("options, words", [
    (ServiceOptions(states=("zombie",)), "--state counts processes in those states: give -w/-c"),
    (ServiceOptions(exclude_cmdlines=("x",), ports=("80",)), "--exclude-cmdline narrows a selection"),
    (ServiceOptions(ports=("80",), vsz_warning=parse_range("1G", "size")), "apply to processes"),
])
def test_usage_mistakes(options, words):
    with pytest.raises(UsageError, match=words):
        check_service(options, runtime())


def test_console_script_counts_zombies(family):
    made = family("zombie")
    made.wait_for("zombie", 1)
    done = run_console_script("check-service", "--state", "zombie", "--ppid", str(made.pid), "-w", "0", "-c", "3")
    assert done.code == 1, done.stdout
    assert done.first_line == (f"SERVICE WARNING - 1 process in state zombie with parent PID {made.pid} "
                               "(warning > 0) | procs=1;0;3;0")
    wrong = run_console_script("check-service", "--state", "undead", "-c", "0")
    assert wrong.code == 3 and wrong.first_line.startswith("SERVICE UNKNOWN - invalid --state: 'undead'")
