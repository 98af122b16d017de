"""Run a command without a shell, with a time limit that ends its whole process tree."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import BinaryIO, NamedTuple

# What is kept of a command's output for the store and the alerts: its start (the
# plugin's status line) and its end (where errors are); the middle is elided.
HEAD_BYTES = 8 * 1024
TAIL_BYTES = 56 * 1024


class Finished(NamedTuple):
    """How a command ended. `exit_code` is None when it could not start or was killed on timeout."""

    exit_code: int | None
    stdout: str  # head and tail of what it printed, decoded
    stderr: str
    duration: float
    timed_out: bool = False
    start_error: str | None = None


class _Capture:
    """Copy a stream through unchanged (if asked) while keeping its head and tail."""

    def __init__(self, source: BinaryIO, sink: BinaryIO | None) -> None:
        self.source, self.sink = source, sink
        self.head = bytearray()
        self.tail = bytearray()
        self.elided = 0
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        while True:
            chunk = self.source.read1(65536) if hasattr(self.source, "read1") else self.source.read(65536)
            if not chunk:
                break
            if self.sink is not None:
                try:
                    self.sink.write(chunk)
                    self.sink.flush()
                except (OSError, ValueError):
                    self.sink = None  # our reader went away; keep capturing for the store
            room = HEAD_BYTES - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            self.tail += chunk
            if len(self.tail) > TAIL_BYTES:
                cut = len(self.tail) - TAIL_BYTES
                self.elided += cut
                del self.tail[:cut]

    def text(self) -> str:
        middle = f"\n[... {self.elided} bytes left out ...]\n".encode() if self.elided else b""
        return bytes(self.head + middle + self.tail).decode("utf-8", "replace")


def run_command(argv: Sequence[str], timeout: float, *, passthrough: bool = True,
                env: dict[str, str] | None = None) -> Finished:
    """Run argv (no shell), streaming its output through when `passthrough`, ending it after `timeout`."""
    started = time.monotonic()
    kwargs: dict = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True  # its own process group: the timeout ends all of it
    try:
        child = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **kwargs)
    except FileNotFoundError:
        return Finished(None, "", "", time.monotonic() - started, start_error=f"command not found: {argv[0]}")
    except PermissionError:
        return Finished(None, "", "", time.monotonic() - started, start_error=f"not executable: {argv[0]}")
    except OSError as error:
        return Finished(None, "", "", time.monotonic() - started,
                        start_error=f"cannot start {argv[0]}: {error.strerror or error}")
    out = _Capture(child.stdout, sys.stdout.buffer if passthrough else None)  # type: ignore[arg-type]
    err = _Capture(child.stderr, sys.stderr.buffer if passthrough else None)  # type: ignore[arg-type]
    timed_out = False
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        end_process_tree(child)
    # Output pipes close when the last process holding them ends; a grandchild that
    # escaped the group could keep them open, so the wait for the pumps is bounded.
    out.thread.join(timeout=2)
    err.thread.join(timeout=2)
    code = None if timed_out else _shell_style(child.returncode)
    return Finished(code, out.text(), err.text(), time.monotonic() - started, timed_out=timed_out)


def _shell_style(code: int) -> int:
    # Python reports death by signal N as -N; shells (and so cron users) see 128+N.
    return 128 - code if code < 0 else code


def end_process_tree(child: subprocess.Popen, grace: float = 2.0) -> None:
    """Terminate, then kill, the child and everything it started."""
    if os.name != "nt":
        import signal

        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(child.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                child.wait(timeout=wait)
                # The leader is gone; members of its group may linger: kill them too.
                os.killpg(child.pid, signal.SIGKILL)
            except (subprocess.TimeoutExpired, ProcessLookupError, PermissionError):
                continue
            break
        return
    try:
        import psutil

        parent = psutil.Process(child.pid)
        members = [parent, *parent.children(recursive=True)]
        for member in members:
            member.terminate()
        _, alive = psutil.wait_procs(members, timeout=grace)
        for member in alive:
            member.kill()
    except Exception:
        child.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=5)
