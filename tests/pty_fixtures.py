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


def run_in_pty(name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Completed:
    """Run VENV_BIN/name with a pty as stdout (stderr a pipe); what the terminal showed, with \\r\\n as \\n."""
    import pty
    import termios

    master, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.ONLCR  # no \r added before \n: what the program wrote, as it wrote it
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    merged = {**os.environ, "COLUMNS": "200", "LINES": "50", "TERM": "xterm", **(env or {})}
    if env is None or "NO_COLOR" not in env:
        merged.pop("NO_COLOR", None)
    process = subprocess.Popen([str(VENV_BIN / name), *args], stdin=subprocess.DEVNULL, stdout=slave,
                               stderr=subprocess.PIPE, env=merged, close_fds=True)
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
        stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        os.close(master)
    return Completed(code, shown.decode("utf-8", "replace"), stderr)
