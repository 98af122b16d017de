"""Real daemons for the tests: in the foreground on free loopback ports, configured in a temp folder, ended by PID.

Every engine and peer test (Nagios, NRPE, NSCA, node_exporter, Prometheus, Pushgateway, Alertmanager, sshd, nginx)
starts its daemon through `Daemon`, never the system's service: the system's /etc files and units are not touched.
A daemon that is not installed makes its test fail with the package to install (`.ci/run` installs them all);
it skips only where the package does not exist for the platform (not Linux, or no Debian package manager).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

import pytest


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port free right now (the daemon binds it a moment later; a clash is rare and fails loudly)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_program(path: str, package: str) -> str:
    """The daemon's executable; a test fails naming the Debian package when it is missing (skips off Debian)."""
    found = path if os.path.isabs(path) and os.access(path, os.X_OK) else shutil.which(path)
    if found:
        return found
    if not sys.platform.startswith("linux") or shutil.which("dpkg") is None:
        pytest.skip(f"{package} is a Debian package; this platform has none")
    pytest.fail(f"{path} is not installed: apt-get install {package} (.ci/run installs it)")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class Daemon:
    """One daemon process in the foreground, its output in a log file, ended by its PID."""

    def __init__(self, name: str, argv: Sequence[str], folder: Path, *, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> None:
        self.name = name
        self.argv = [str(part) for part in argv]
        self.folder = folder
        self.log_path = folder / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd or folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool] | None = None, *, port: int | None = None,
              within: float = 20.0) -> Self:
        """Start it and wait until `ready()` (or `port` accepts); fail with its log when it dies or never is."""
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # A session of its own, so that stop() ends the daemon and any children it forked.
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=self.env, cwd=self.cwd, start_new_session=True)
        log.close()
        check = ready if ready is not None else (lambda: port is None or port_open(port))
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode} at start:\n{self.log()}")
            if check():
                return self
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"{self.name} was not ready within {within:g}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def stop(self) -> None:
        """SIGTERM to its process group, then SIGKILL after 5 s."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(condition: Callable[[], bool], within: float = 20.0, what: str = "condition") -> None:
    """Poll `condition` until true, else fail naming `what` (daemons scrape, flush and notify on their own clock)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} not true within {within:g}s")
