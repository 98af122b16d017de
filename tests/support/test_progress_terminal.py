"""Progress bars drawn for real: check-integrity and cronchecks suite with stderr on a pseudo-terminal, and none
when stderr is a pipe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import Completed, run_console_script
from tests.pty_fixtures import run_in_pty

VENV_BIN = Path(sys.executable).parent
# The real entry point with the bar's one-second delay taken away: hashing 64 MiB may take less than a second on
# a quick machine, and the bar must still be seen to draw (the delay itself is the suite test's).
UNDELAYED = ("import sys; import cronchecks.support.progress as progress; progress.DELAY = 0.0; "
             "sys.argv[0] = 'check-integrity'; from cronchecks.cli import check_integrity; check_integrity()")

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="POSIX only: a pseudo-terminal")


def run_with_terminal_stderr(name: str, *args: str, timeout: float = 60) -> Completed:
    """VENV_BIN/name (or, for "python", the interpreter) with a real pty as stderr (stdout a pipe)."""
    return run_in_pty(name, *args, timeout=timeout, on="stderr", columns=120)


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
