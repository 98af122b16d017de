"""The one process runner (support/process.py) and the one progress bar (support/progress.py)."""

from __future__ import annotations

import io
import os
import shlex
import sys
import threading
import time

import pytest

from cronchecks.support import process, progress
from cronchecks.support.process import run_command

posix_only = pytest.mark.skipif(os.name == "nt", reason="a POSIX shell")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_head_and_tail_are_kept_and_the_cut_is_said():
    code = "import sys; sys.stdout.write('START' + 'x' * 5_000_000 + 'END')"
    done = run_command(python(code), 30, passthrough=False, head_bytes=1000, tail_bytes=2000)
    assert done.exit_code == 0 and done.elided == 5_000_008 - 3000
    assert done.stdout.startswith("START") and done.stdout.endswith("END")
    assert f"[... {done.elided} bytes left out ...]" in done.stdout
    assert len(done.stdout) < 3100


def test_stderr_merged_into_stdout_keeps_the_order():
    code = "import sys; print('one', flush=True); print('two', file=sys.stderr, flush=True); print('three')"
    done = run_command(python(code), 30, passthrough=False, stderr_to_stdout=True)
    assert done.stdout.split() == ["one", "two", "three"] and done.stderr == ""


@posix_only
def test_judged_when_the_command_exits_though_a_grandchild_holds_the_pipe(tmp_path):
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    done = run_command(f"sleep 30 & echo $! > {shlex.quote(str(pidfile))}; echo done", 10, passthrough=False,
                       shell=True)
    elapsed = time.monotonic() - started
    os.kill(int(pidfile.read_text()), 9)
    assert done.exit_code == 0 and done.stdout == "done\n" and not done.timed_out
    assert elapsed < 1.0


@posix_only
def test_a_timeout_ends_the_tree_even_what_ignores_sigterm(tmp_path):
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    done = run_command(f"trap '' TERM; sleep 60 & echo $! > {shlex.quote(str(pidfile))}; wait", 0.5,
                       passthrough=False, shell=True, grace=0.3)
    assert done.timed_out and done.exit_code is None
    assert time.monotonic() - started < 2.5
    assert not running(int(pidfile.read_text()))


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan waits for PID 1 to reap it, which a container may never do)."""
    import psutil

    deadline = time.monotonic() + 1
    while True:
        try:
            alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def test_the_signal_that_ended_it_is_reported_shell_style():
    if os.name == "nt":
        pytest.skip("no signals on Windows")
    done = run_command(python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), 30, passthrough=False)
    assert done.signal == 9 and done.exit_code == 137


def test_a_missing_program_is_a_start_error_not_an_exception():
    done = run_command(["/no/such/program-cronchecks"], 5, passthrough=False)
    assert done.exit_code is None and done.start_error == "command not found: /no/such/program-cronchecks"


def test_no_timeout_still_has_a_limit(monkeypatch):
    monkeypatch.setattr(process, "DEFAULT_TIMEOUT", 0.3)
    done = run_command(python("import time; time.sleep(30)"), None, passthrough=False, grace=0.2)
    assert done.timed_out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_counts_bytes_advanced_from_several_threads(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    bar = progress.ScanProgress(Terminal(), 8 * 1000 * 4096, "hashing", enabled=True, no_color=True)
    def work() -> None:
        for _ in range(1000):
            bar.advance(4096)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert bar.bar is not None and bar.bar.tasks[0].completed == 8 * 1000 * 4096
    bar.close()


def test_no_progress_bar_off_a_terminal():
    bar = progress.ScanProgress(io.StringIO(), 1 << 30, "hashing", enabled=True)
    bar.advance(1 << 30)
    assert bar.bar is None
