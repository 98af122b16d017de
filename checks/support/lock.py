"""One run of a check at a time (`--lock`): an OS file lock, released by the OS if the run dies."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import BinaryIO


class LockHeld(Exception):
    """Another run of the same check holds the lock; says since when and which process."""

    def __init__(self, since: float | None, pid: int | None) -> None:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since)) if since else "an unknown time"
        super().__init__(f"still running since {when}" + (f" (pid {pid})" if pid else ""))
        self.since = since
        self.pid = pid


class RunLock:
    """An exclusive, non-blocking lock on `<folder>/<name>.lock`.

    flock on POSIX and msvcrt.locking on Windows: both are dropped by the OS when the
    process ends, so a run killed with SIGKILL never leaves a stale lock behind.
    """

    def __init__(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        self.path = folder / f"{safe}.lock"
        self.handle: BinaryIO | None = None

    def acquire(self) -> None:
        # No `with`: the open handle is the lock, held until release() (or the process's end) closes it.
        handle = open(self.path, "a+b")  # noqa: SIM115
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            since, pid = _read_owner(handle.read().decode("ascii", "replace"))
            handle.close()
            raise LockHeld(since, pid) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {time.time():.3f}\n".encode())
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            try:
                _unlock(self.handle)
            finally:
                self.handle.close()
                self.handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _read_owner(text: str) -> tuple[float | None, int | None]:
    parts = text.split()
    try:
        return float(parts[1]), int(parts[0])
    except (IndexError, ValueError):
        return None, None


if sys.platform == "win32":  # (not os.name: type checkers read sys.platform and skip the other branch)
    import msvcrt

    def _lock(handle: BinaryIO) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: BinaryIO) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(handle: BinaryIO) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: BinaryIO) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
