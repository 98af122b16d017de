"""Hashing for check-integrity: many files on a thread pool, each read once in large chunks."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from cronchecks.core.errors import DeadlinePassed
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.manifest import Digest

CHUNK = 1 << 20  # 1 MiB reads: large enough that hashing, not the syscalls, is the cost


class Hashed(NamedTuple):
    """What hashing one file found: its digest, or the OSError that stopped it."""

    path: str
    digest: str | None
    size: int
    error: OSError | None = None


class Hasher:
    """Hash many files with a thread pool; each file is read once, in 1 MiB chunks.

    hashlib releases the GIL while it hashes a large buffer, so threads run the hashing
    on every core; within one file the work is sequential, as a hash must be.
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

    def hash_one(self, path: str, digest: Digest) -> Hashed:
        buffer, view = self._buffer()
        hasher = digest.new()
        deadline = self.runtime.deadline
        size = 0
        try:
            with open(path, "rb", buffering=0) as handle:
                while True:
                    count = handle.readinto(buffer)
                    if not count:
                        break
                    hasher.update(view[:count])
                    size += count
                    if self.progress is not None:
                        self.progress(count)
                    if deadline is not None and time.monotonic() > deadline:
                        # The watchdog answers now: stop using the disk, and say why, so that
                        # the answer is the timeout state whichever of the two comes first.
                        raise DeadlinePassed(f"the deadline passed while hashing {path}")
        except OSError as error:
            return Hashed(path, None, size, error)
        return Hashed(path, hasher.hexdigest(), size)

    def hash_all(self, work: list[tuple[str, Digest]], sizes: list[int]) -> list[Hashed]:
        """Results in the order of `work`; the biggest files start first so the pool stays busy."""
        if len(work) <= 1 or self.jobs == 1:
            return [self.hash_one(path, digest) for path, digest in work]
        from concurrent.futures import ThreadPoolExecutor

        order = sorted(range(len(work)), key=lambda index: -sizes[index])
        results: list[Hashed | None] = [None] * len(work)
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(work)), thread_name_prefix="hash") as pool:
            futures = {pool.submit(self.hash_one, *work[index]): index for index in order}
            for future, index in futures.items():
                results[index] = future.result()
        return results  # type: ignore[return-value]


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
