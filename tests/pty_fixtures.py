"""A console script run with a real pseudo-terminal as its stdout, for the paths only a terminal takes."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Completed

VENV_BIN = Path(sys.executable).parent


def run_in_pty(name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60,
               on: str = "stdout", columns: int = 200) -> Completed:
    """Run VENV_BIN/name (for "python", the interpreter) with a pty as `on`: "stdout" (stderr a pipe), "stderr"
    (stdout a pipe) or "both" (what the terminal showed is then the stdout).

    Each stream's text as the program wrote it (no \\r added before \\n); the terminal's is what it showed.
    """
    import pty
    import termios

    master, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.ONLCR  # no \r added before \n: what the program wrote, as it wrote it
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    merged = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm", **(env or {})}
    if env is None or "NO_COLOR" not in env:
        merged.pop("NO_COLOR", None)
    program = sys.executable if name == "python" else str(VENV_BIN / name)
    stdout = slave if on in ("stdout", "both") else subprocess.PIPE
    stderr = slave if on in ("stderr", "both") else subprocess.PIPE
    process = subprocess.Popen([program, *args], stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                               env=merged, close_fds=True)
    os.close(slave)
    piped = process.stderr if on == "stdout" else process.stdout if on == "stderr" else None
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
        other = piped.read().decode("utf-8", "replace") if piped else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if piped:
            piped.close()
        os.close(master)
    terminal = shown.decode("utf-8", "replace")
    return Completed(code, other, terminal) if on == "stderr" else Completed(code, terminal, other)
