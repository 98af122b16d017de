"""Reading a small file a user names (a suite file, a value, a secret): a regular file only, bounded, never blocking."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileRefused(OSError):
    """The path names something that is not a small regular file: a FIFO, a device, a folder, too big."""


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most `limit` bytes of a regular file; more is FileRefused, and so is anything but a regular file.

    Opened without blocking (a FIFO with no writer would hang the open) and checked with
    fstat on the open file, so a link swapped in between cannot change what is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(Path(path).expanduser(), flags)
    try:
        info = os.fstat(descriptor)
        mode = info.st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
            raise FileRefused(f"{path} is {kind}, not a file")
        if info.st_size > limit:  # said before reading: a 100 GiB sparse file costs nothing to refuse
            from cronchecks.core.thresholds import format_size

            raise FileRefused(f"{path} is over {format_size(limit)}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            from cronchecks.core.thresholds import format_size

            raise FileRefused(f"{path} is over {format_size(limit)}")
        return b"".join(chunks)
    finally:
        os.close(descriptor)
