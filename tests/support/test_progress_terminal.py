"""Progress bars drawn for real: check-integrity and cronchecks suite with stderr on a pseudo-terminal, and none
when stderr is a pipe."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Completed, run_console_script

VENV_BIN = Path(sys.executable).parent
# The real entry point with the bar's one-second delay taken away: hashing 64 MiB may take less than a second on
# a quick machine, and the bar must still be seen to draw (the delay itself is the suite test's).
UNDELAYED = ("import sys; import cronchecks.support.progress as progress; progress.DELAY = 0.0; "
             "sys.argv[0] = 'check-integrity'; from cronchecks.cli import check_integrity; check_integrity()")

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="POSIX only: a pseudo-terminal")


def run_with_terminal_stderr(name: str, *args: str, timeout: float = 60) -> Completed:
    """VENV_BIN/name (or, for "python", the interpreter) with a real pty as stderr (stdout a pipe): what the
    terminal showed, and stdout."""
    master, slave = os.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    program = sys.executable if name == "python" else str(VENV_BIN / name)
    process = subprocess.Popen([program, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave, env=env, close_fds=True)
    os.close(slave)
    shown = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError as error:  # EIO: every writer of the terminal has closed it
                if error.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            shown += chunk
        code = process.wait(max(0.1, deadline - time.monotonic()))
        stdout = process.stdout.read().decode() if process.stdout else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        os.close(master)
    return Completed(code, stdout, shown.decode("utf-8", "replace"))


def test_check_integrity_draws_its_bar_on_a_terminal_and_not_on_a_pipe(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for index in range(4):
        (data / f"part{index}.bin").write_bytes(os.urandom(16 << 20))
    manifest = tmp_path / "data.sha256"
    drawn = run_with_terminal_stderr("python", "-c", UNDELAYED, "--create", "-m", str(manifest), str(data))
    assert drawn.code == 0, drawn.stdout + drawn.stderr
    assert "hashing 4 files" in drawn.stderr  # the bar's label, drawn by rich on the terminal
    assert "/67.1 MB" in drawn.stderr  # the total is known from the start: done/total in bytes
    assert "\x1b[" in drawn.stderr  # the terminal's cursor moved (a bar redrawn in place, then erased)
    assert manifest.read_text().count("\n") == 4

    piped = run_console_script("check-integrity", "-m", str(manifest))
    assert piped.code == 0, piped.stdout
    assert piped.stderr == ""  # the same work with stderr a pipe: no bar, nothing at all


def test_a_long_suite_draws_a_bar_of_checks(tmp_path):
    suite = tmp_path / "slow.toml"
    checks = 6
    suite.write_text("".join(
        f'[[check]]\nname = "wait{index}"\ntype = "command"\n'
        f'argv = ["{sys.executable}", "-c", "import time; time.sleep(0.35); print(\'WAIT OK - done\')"]\n\n'
        for index in range(checks)))
    drawn = run_with_terminal_stderr("cronchecks", "suite", str(suite), "--no-record", "-j", "1",
                                     "--format", "nagios")
    assert drawn.code == 0, drawn.stdout + drawn.stderr
    assert "checks" in drawn.stderr and f"/{checks}" in drawn.stderr  # `3/6`: a count, not bytes
    assert drawn.stdout.startswith("SUITE OK - 6 ok")

    piped = run_console_script("cronchecks", "suite", str(suite), "--no-record", "-j", "1", "--format", "nagios")
    assert piped.code == 0 and piped.stderr == ""


def test_a_short_suite_on_a_terminal_draws_nothing(tmp_path):
    # Under a second the bar never starts: a quick cron run on a terminal stays one clean line.
    beat = tmp_path / "beat"
    beat.write_text("")
    suite = tmp_path / "quick.toml"
    suite.write_text(f'[[check]]\nname = "b"\ntype = "heartbeat"\nfile = "{beat}"\ncritical = "15m"\n')
    drawn = run_with_terminal_stderr("cronchecks", "suite", str(suite), "--no-record", "--format", "nagios")
    assert drawn.code == 0
    assert drawn.stderr == ""
