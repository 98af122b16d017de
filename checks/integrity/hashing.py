"""Hashing for check-integrity: many files on a few threads, each read once in large chunks."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from cronchecks.core.errors import DeadlinePassed
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.manifest import Digest

CHUNK = 1 << 20  # 1 MiB reads: large enough that hashing, not the syscalls, is the cost
# From this size a second thread reads the next chunks while this one hashes: copying from the page
# cache then overlaps the hashing instead of adding to it (~25% off a large file here).
READ_AHEAD_FROM = 8 * CHUNK
READ_AHEAD_BUFFERS = 4


class Hashed(NamedTuple):
    """What hashing one file found: its digest, or the OSError that stopped it."""

    path: str
    digest: str | None
    size: int
    error: OSError | None = None


class Hasher:
    """Hash many files on a few threads; each file is read once, in 1 MiB chunks.

    hashlib releases the GIL while it hashes a large buffer, so threads run the hashing
    on every core; within one file the hashing is sequential, as a hash must be, and a
    large file's reads run on a thread of their own beside it.
    """

    def __init__(self, runtime: Runtime, jobs: int | None, progress: Callable[[int], None] | None = None) -> None:
        self.runtime = runtime
        self.jobs = jobs or min(32, (os.cpu_count() or 1) + 2)
        self.progress = progress
        self._local = threading.local()

    def _buffer(self) -> tuple[bytearray, memoryview]:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:
            buffer = self._local.buffer = bytearray(CHUNK)
            self._local.view = memoryview(buffer)
        return buffer, self._local.view

    def _step(self, count: int, path: str) -> None:
        if self.progress is not None:
            self.progress(count)
        deadline = self.runtime.deadline
        if deadline is not None and time.monotonic() > deadline:
            # The watchdog answers now: stop using the disk, and say why, so that
            # the answer is the timeout state whichever of the two comes first.
            raise DeadlinePassed(f"the deadline passed while hashing {path}")

    def hash_one(self, path: str, digest: Digest, expected_size: int = 0) -> Hashed:
        hasher = digest.new()
        size = 0
        try:
            with open(path, "rb", buffering=0) as handle:
                _advise_sequential(handle.fileno())
                if expected_size >= READ_AHEAD_FROM:
                    return self._hash_read_ahead(path, handle, hasher)
                buffer, view = self._buffer()
                while True:
                    count = handle.readinto(buffer)
                    if not count:
                        break
                    hasher.update(view[:count])
                    size += count
                    self._step(count, path)
        except OSError as error:
            return Hashed(path, None, size, error)
        return Hashed(path, hasher.hexdigest(), size)

    def _hash_read_ahead(self, path: str, handle, hasher) -> Hashed:
        """Hash while a reader thread fills the next buffers; an OSError of the reader is this file's error."""
        import queue

        free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        full: queue.SimpleQueue[tuple[bytearray, int] | OSError] = queue.SimpleQueue()
        for _ in range(READ_AHEAD_BUFFERS):
            free.put(bytearray(CHUNK))
        stop = threading.Event()

        def read() -> None:
            try:
                while not stop.is_set():
                    buffer = free.get()
                    count = handle.readinto(buffer)
                    full.put((buffer, count))
                    if not count:
                        return
            except OSError as error:
                full.put(error)
            except ValueError:  # the file was closed under it: the hashing side has stopped
                pass

        reader = threading.Thread(target=read, name="hash-read", daemon=True)
        reader.start()
        size = 0
        try:
            while True:
                item = full.get()
                if isinstance(item, OSError):
                    return Hashed(path, None, size, item)
                buffer, count = item
                if not count:
                    break
                hasher.update(memoryview(buffer)[:count])
                size += count
                free.put(buffer)
                self._step(count, path)
        finally:
            stop.set()
            free.put(bytearray(0))  # wakes a reader waiting for a buffer; it then sees `stop`
            reader.join()
        return Hashed(path, hasher.hexdigest(), size)

    def hash_all(self, work: list[tuple[str, Digest]], sizes: list[int]) -> list[Hashed]:
        """Results in the order of `work`; the biggest files start first so the threads stay busy."""
        if len(work) <= 1 or self.jobs == 1:
            return [self.hash_one(path, digest, size) for (path, digest), size in zip(work, sizes, strict=True)]
        # Plain threads taking the next file in turn: concurrent.futures would import logging (~5 ms of
        # start-up) for the same thing.
        order = iter(sorted(range(len(work)), key=lambda index: -sizes[index]))
        results: list[Hashed | None] = [None] * len(work)
        failures: list[BaseException] = []
        lock = threading.Lock()

        def worker() -> None:
            while not failures:
                with lock:
                    index = next(order, None)
                if index is None:
                    return
                try:
                    results[index] = self.hash_one(*work[index], sizes[index])
                except BaseException as error:  # DeadlinePassed, or a bug: raised again by the caller's thread
                    failures.append(error)

        threads = [threading.Thread(target=worker, name=f"hash-{number}", daemon=True)
                   for number in range(min(self.jobs, len(work)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return results  # type: ignore[return-value]


def _advise_sequential(descriptor: int) -> None:
    # The kernel reads further ahead for a file read front to back; where the call is missing
    # (Windows, macOS) nothing is lost but that.
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(descriptor, 0, 0, os.POSIX_FADV_SEQUENTIAL)


def run_hashing(runtime: Runtime, jobs: int | None, work: list[tuple[str, Digest]], sizes: list[int],
                what: str) -> list[Hashed]:
    """Hash `work` with a progress bar on stderr where it is a terminal and the work lasts."""
    from cronchecks.support.progress import ScanProgress

    progress = ScanProgress(runtime.stderr, sum(sizes), what, enabled=True, no_color="NO_COLOR" in runtime.env)
    try:
        return Hasher(runtime, jobs, progress.advance if progress.enabled else None).hash_all(work, sizes)
    finally:
        progress.close()


def size_of(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
