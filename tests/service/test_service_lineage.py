"""check-service --process against the real check_procs, run from inside a daemon that counts itself."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cronchecks.service.processes import is_wrapper_command, our_verb

CHECK_PROCS = "/usr/lib/nagios/plugins/check_procs"
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(not (os.path.exists(CHECK_PROCS) and sys.platform.startswith("linux")),
                                reason="needs Linux and check_procs (apt-get install monitoring-plugins-basic)")

# A daemon under its own name, as ps and check_procs -C see it (a script's name becomes the
# process name at exec). It forks WORKERS children that keep that name, as a prefork daemon
# or Nagios' workers do, then runs each command it is given, from itself or from one of its
# children forked for the job (as cron and Nagios' workers do), and writes their first lines to a file.
DAEMON = """#!{python}
import json, os, signal, subprocess, sys, time

with open(sys.argv[1]) as file:
    config = json.load(file)
workers = []
for _ in range(config["workers"]):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        while True:
            time.sleep(60)
    workers.append(pid)


def run_commands():
    outputs = [subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60, env=config["env"]).stdout for command in config["commands"]]
    with open(config["results"], "w") as results:
        json.dump(outputs, results)


if config["from_worker"]:
    runner = os.fork()
    if runner == 0:
        run_commands()
        os._exit(0)
    os.waitpid(runner, 0)
else:
    run_commands()
for pid in workers:
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
"""


def _count(first_line: str) -> int:
    found = re.search(r"\bprocs=(\d+)", first_line)
    assert found, f"no procs perfdata in {first_line!r}"
    return int(found.group(1))


def _in_daemon(daemon: Path, workers: int, commands: list[list[str]], from_worker: bool = False) -> list[int]:
    """The process counts that each command reported, run from inside the daemon."""
    return [_count(output.splitlines()[0] if output else "") for output in _outputs(daemon, workers, commands,
                                                                                    from_worker)]


def _outputs(daemon: Path, workers: int, commands: list[list[str]], from_worker: bool = False) -> list[str]:
    """What each command printed, run from inside the daemon."""
    tmp_path = daemon.parent.parent
    results = tmp_path / "results.json"
    config = {"workers": workers, "commands": commands, "results": str(results), "from_worker": from_worker,
              "env": {**os.environ, "CRONCHECKS_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1"}}
    # The configuration in a file, not on the daemon's command line, which --cmdline would search.
    (tmp_path / "daemon.json").write_text(json.dumps(config))
    done = subprocess.run([str(daemon), str(tmp_path / "daemon.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(results.read_text()))


@pytest.fixture
def daemon(tmp_path) -> Path:
    name = f"ccd{uuid.uuid4().hex[:8]}"  # under Linux's 15 characters, so ps shows all of it
    folder = tmp_path / "daemon-bin"
    folder.mkdir()
    script = folder / name
    script.write_text(DAEMON.format(python=sys.executable))
    script.chmod(0o755)
    return script


def _check_service(name: str) -> list[str]:
    return [str(VENV_BIN / "check-service"), "--process", name]


def _wrapped(command: list[str]) -> list[str]:
    return [str(VENV_BIN / "cronchecks"), "run", "--nagios", "--", *command]


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_run_by_the_daemon_itself_counts_what_check_procs_counts(daemon, workers):
    # The daemon is both tools' parent: left out by both; its workers counted by both.
    service, procs = _in_daemon(daemon, workers, [_check_service(daemon.name), [CHECK_PROCS, "-C", daemon.name]])
    assert (service, procs) == (workers, workers)


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_run_by_a_job_child_counts_the_daemon_as_check_procs_does(daemon, workers):
    # A daemon that forks a child per job (Nagios' workers, cron): that child, the parent,
    # is left out; the main process and the idle workers count. Leaving out every
    # ancestor counted one fewer than check_procs.
    service, procs = _in_daemon(daemon, workers, [_check_service(daemon.name), [CHECK_PROCS, "-C", daemon.name]],
                                from_worker=True)
    assert (service, procs) == (workers + 1, workers + 1)


@pytest.mark.parametrize("workers", [0, 1, 3])
def test_under_cronchecks_run_counts_what_check_procs_counts_under_it(daemon, workers):
    # `cronchecks run` is the parent now, left out by both; the daemon above it counts.
    service, procs = _in_daemon(daemon, workers, [_wrapped(_check_service(daemon.name)),
                                                    _wrapped([CHECK_PROCS, "-C", daemon.name])])
    assert (service, procs) == (workers + 1, workers + 1)


def test_a_wrapper_above_a_shell_is_left_out_too(daemon):
    # cronchecks run -- sh -c 'check-service ...; exit $?': the shell (parent) and the wrapper
    # above it are ours; the daemon, the wrapper's parent, counts.
    marker = f"nightly-{uuid.uuid4().hex[:8]}"
    sh = shutil.which("sh") or "/bin/sh"
    command = _wrapped([sh, "-c", f"{VENV_BIN / 'check-service'} --cmdline {marker} --critical 0; exit $?"])
    by_cmdline = _in_daemon(daemon, 0, [command, _wrapped([*_check_service(daemon.name)])])
    assert by_cmdline == [0, 1]


SUITE = """
[[check]]
name = "svc"
type = "service"
process = ["{name}"]

[[check]]
name = "procs"
type = "command"
argv = ["{check_procs}", "-C", "{name}"]
"""


@pytest.mark.parametrize("workers", [0, 3])
def test_in_a_suite_counts_what_check_procs_counts_in_that_suite(daemon, workers):
    # In-process in the suite, check-service's process is the suite: as for check_procs,
    # run by that suite, the suite is left out and the daemon that ran it counts.
    suite = daemon.parent / "suite.toml"
    suite.write_text(SUITE.format(name=daemon.name, check_procs=CHECK_PROCS))
    [output] = _outputs(daemon, workers, [[str(VENV_BIN / "cronchecks"), "suite", str(suite)]])
    counts = dict(re.findall(r"\b(svc|procs)::procs=(\d+)", output.splitlines()[0]))
    assert counts == {"svc": str(workers + 1), "procs": str(workers + 1)}, output


@pytest.mark.parametrize("argv, wrapper", [
    (["/venv/bin/python3.11", "/venv/bin/cronchecks", "run", "--", "true"], True),
    (["python3", "-m", "cronchecks", "suite", "checks.toml"], True),
    (["python3", "-X", "dev", "-I", "-m", "cronchecks", "run", "--", "x"], True),
    ([r"C:\Python311\python.exe", r"C:\Python311\Scripts\cronchecks.exe", "run", "--", "x"], True),
    ([r"C:\Python311\Scripts\cronchecks.exe", "suite", "x.toml"], True),
    (["/usr/bin/python3", "/repo/bin/cronchecks", "run", "--", "x"], True),
    (["/venv/bin/python", "/venv/bin/cronchecks", "service", "--process", "x"], False),
    (["/venv/bin/python", "/venv/bin/check-service", "--process", "run"], False),
    (["python3", "-c", "cronchecks run"], False),
    (["/usr/bin/mydaemon", "cronchecks", "run"], False),
    (["cronchecks"], False),
    (["python3", "-c", "import cronchecks", "cronchecks", "run"], False),
    ([], False),
])
def test_which_command_lines_are_our_wrapper(argv, wrapper):
    assert is_wrapper_command(argv) is wrapper


@pytest.mark.parametrize("argv, verb", [
    (["/venv/bin/python3", "/venv/bin/check-service", "--process", "x"], "service"),
    (["/venv/bin/python3", "/venv/bin/cronchecks", "service", "--process", "x"], "service"),
    (["python3", "-m", "cronchecks", "log", "x.log"], "log"),
    (["/usr/sbin/nagios4", "--worker", "/run/nagios4/nagios.qh"], None),
])
def test_which_of_our_commands_a_command_line_runs(argv, verb):
    assert our_verb(argv) == verb
