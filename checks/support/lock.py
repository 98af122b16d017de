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


class LockError(Exception):
    """The lock file cannot be used (its folder unwritable, a planted symbolic link): says which and why."""


class RunLock:
    """An exclusive, non-blocking lock on `<folder>/<name>.lock`.

    flock on POSIX and msvcrt.locking on Windows: both are dropped by the OS when the
    process ends, so a run killed with SIGKILL never leaves a stale lock behind.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:200]
        self.path = folder / f"{safe}.lock"
        self.handle: BinaryIO | None = None

    def acquire(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.path.is_symlink():  # opening it would truncate whatever it points at
                raise LockError(f"refusing the lock {self.path}: it is a symbolic link (planted?)")
            # O_NOFOLLOW as well: a link planted between the check above and the open is refused too.
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                                 | getattr(os, "O_BINARY", 0), 0o600)
        except OSError as error:
            raise LockError(f"cannot use the lock {self.path}: {error.strerror or error}") from None
        handle = os.fdopen(descriptor, "r+b")
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


if sys.platform == "win32":  # the same test as os.name == "nt", in the form mypy reads as a platform check
    import msvcrt

    def _lock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
