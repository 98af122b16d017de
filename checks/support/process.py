"""Run a command (no shell unless asked) with a time limit that ends its whole process tree."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import BinaryIO, NamedTuple

# What is kept of a command's output for the store and the alerts: its start (the
# plugin's status line) and its end (where errors are); the middle is elided.
HEAD_BYTES = 8 * 1024
TAIL_BYTES = 56 * 1024
READ_BYTES = 64 * 1024  # a pipe's whole buffer on Linux: one read empties it
# A command with no time limit of its own still gets one: the checks' default -t.
DEFAULT_TIMEOUT = 10.0
# Once the command has exited, what it wrote is already in its pipes; a process it left
# in the background may hold them open for ever, so reading stops when the pipes have
# been empty this long, and in any case after DRAIN_MAX.
QUIET_SECONDS = 0.05
DRAIN_MAX = 2.0


class Finished(NamedTuple):
    """How a command ended. `exit_code` is None when it could not start or was killed on timeout."""

    exit_code: int | None  # shell-style: death by signal N is 128+N
    stdout: str  # head and tail of what it printed, decoded
    stderr: str
    duration: float
    timed_out: bool = False
    start_error: str | None = None
    signal: int | None = None  # the signal that ended it, where one did
    elided: int = 0  # bytes of stdout and stderr left out of the middle


class _Capture:
    """Copy a stream through unchanged (if asked) while keeping its head and tail, in bounded memory."""

    def __init__(self, source: BinaryIO, sink: BinaryIO | None, head_bytes: int, tail_bytes: int) -> None:
        self.source, self.sink = source, sink
        self.head_bytes, self.tail_bytes = head_bytes, tail_bytes
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.received = 0
        self.idle_since: float | None = None  # set while blocked reading an empty pipe
        self.lock = threading.Lock()  # text() may be called while a leftover process still writes
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        read = getattr(self.source, "read1", self.source.read)
        try:
            while True:
                self.idle_since = time.monotonic()
                chunk = read(READ_BYTES)
                self.idle_since = None
                if not chunk:
                    break
                self._pass_through(chunk)
                self._keep(chunk)
        except (OSError, ValueError):
            pass  # the pipe was closed under us: what was read is kept

    def _pass_through(self, chunk: bytes) -> None:
        if self.sink is not None:
            try:
                self.sink.write(chunk)
                self.sink.flush()
            except (OSError, ValueError):
                self.sink = None  # our reader went away; keep capturing for the store

    def _keep(self, chunk: bytes) -> None:
        with self.lock:
            self.received += len(chunk)
            room = self.head_bytes - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk and self.tail_bytes > 0:
                self.tail.append(chunk)
                self.tail_size += len(chunk)
                # Whole chunks go once the rest still fills the tail; text() trims the excess.
                while self.tail_size - len(self.tail[0]) >= self.tail_bytes:
                    self.tail_size -= len(self.tail.popleft())

    def done_reading(self, quiet: float) -> bool:
        """At the end of its stream, or blocked on an empty pipe for `quiet` seconds."""
        if not self.thread.is_alive():
            return True
        idle_since = self.idle_since
        return idle_since is not None and time.monotonic() - idle_since >= quiet

    def text(self) -> tuple[str, int]:
        """The head, a line saying how much was left out, the tail; and that count."""
        with self.lock:
            tail = b"".join(self.tail)[-self.tail_bytes:] if self.tail_bytes > 0 else b""
            elided = self.received - len(self.head) - len(tail)
            head = bytes(self.head)
        middle = f"\n[... {elided} bytes left out ...]\n".encode() if elided else b""
        return (head + middle + tail).decode("utf-8", "replace"), elided


def run_command(argv: Sequence[str] | str, timeout: float | None, *, passthrough: bool = True,
                env: dict[str, str] | None = None, shell: bool = False, stdin: int | None = None,
                stderr_to_stdout: bool = False, head_bytes: int = HEAD_BYTES, tail_bytes: int = TAIL_BYTES,
                grace: float = 2.0) -> Finished:
    """Run argv, streaming its output through when `passthrough`, ending its process tree after `timeout`.

    The result is decided when the command itself exits, even if a process it started
    still holds its output open; no wait is without a limit. `timeout` None means
    DEFAULT_TIMEOUT. A string `argv` is a command line (for `shell`, or Windows' own parsing).
    """
    limit = DEFAULT_TIMEOUT if timeout is None else max(0.0, timeout)
    started = time.monotonic()
    program = argv if isinstance(argv, str) else argv[0]
    kwargs: dict = {}
    if os.name == "nt":
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True  # its own process group: the timeout ends all of it
    try:
        child = subprocess.Popen(argv if isinstance(argv, str) else list(argv), shell=shell, stdin=stdin,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT if stderr_to_stdout else subprocess.PIPE, env=env, **kwargs)
    except FileNotFoundError:
        return Finished(None, "", "", time.monotonic() - started, start_error=f"command not found: {program}")
    except PermissionError:
        return Finished(None, "", "", time.monotonic() - started, start_error=f"not executable: {program}")
    except OSError as error:
        return Finished(None, "", "", time.monotonic() - started,
                        start_error=f"cannot start {program}: {error.strerror or error}")
    captures = [_Capture(child.stdout, sys.stdout.buffer if passthrough else None,  # type: ignore[arg-type]
                         head_bytes, tail_bytes)]
    if child.stderr is not None:
        captures.append(_Capture(child.stderr, sys.stderr.buffer if passthrough else None,  # type: ignore[arg-type]
                                 head_bytes, tail_bytes))
    timed_out = False
    try:
        child.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        end_process_tree(child, grace)
    _drain(captures)
    out, out_elided = captures[0].text()
    err, err_elided = captures[1].text() if len(captures) > 1 else ("", 0)
    code = child.returncode
    return Finished(None if timed_out or code is None else _shell_style(code), out, err,
                    time.monotonic() - started, timed_out=timed_out,
                    signal=-code if code is not None and code < 0 else None, elided=out_elided + err_elided)


def _drain(captures: list[_Capture]) -> None:
    # The command has exited: read what it left in the pipes, not what a process it
    # left behind may write later (that one would keep the judgement waiting).
    until = time.monotonic() + DRAIN_MAX
    for capture in captures:
        while not capture.done_reading(QUIET_SECONDS) and time.monotonic() < until:
            capture.thread.join(timeout=0.01)  # returns at once when the pipe reaches its end


def _shell_style(code: int) -> int:
    # Python reports death by signal N as -N; shells (and so cron users) see 128+N.
    return 128 - code if code < 0 else code


def end_process_tree(child: subprocess.Popen, grace: float = 2.0) -> None:
    """Terminate, then kill, the child and everything it started; every wait is bounded."""
    descendants = _descendants(child.pid)  # before any signal: once parents die, orphans lose their link
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
        _kill_all(descendants)  # those that left the group (setsid, a daemonising script)
        return
    try:
        import psutil

        members = [psutil.Process(child.pid), *descendants]
        for member in members:
            member.terminate()
        _, alive = psutil.wait_procs(members, timeout=grace)
        _kill_all(alive)
    except Exception:
        child.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=5)


def _descendants(pid: int) -> list:
    try:
        import psutil

        return psutil.Process(pid).children(recursive=True)
    except Exception:  # psutil missing, or the process already gone
        return []


def _kill_all(processes: list) -> None:
    for process in processes:
        with contextlib.suppress(Exception):  # gone already, or not ours to end
            process.kill()  # psutil checks the PID still names the same process before signalling
