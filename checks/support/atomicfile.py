"""Replace a file whole or not at all: what manifests, state files, metrics and pages need."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

PUBLIC = 0o666  # less the umask, as a plain open() creates files: readers often run as another user
PRIVATE = 0o600  # state that may hold secrets or job output: the owner only, whatever the umask


def write_atomically(path: str | os.PathLike, data: bytes | Iterable[bytes], mode: int = PUBLIC) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename it over `path`.

    A reader (node_exporter, a web server, the next run) sees the old file or the new one,
    never half of one, and a crash leaves no partial file behind. The temporary file is
    created with `mode` by the kernel, which applies the umask itself: reading the umask
    would mean setting it, and the suite runs checks in threads that create files at once.
    PRIVATE is applied on the file with fchmod, so the umask cannot widen or narrow it.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        temporary = folder / f".{target.name}.{os.urandom(6).hex()}.tmp"
        try:
            descriptor = os.open(temporary, flags, mode)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode == PRIVATE and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), PRIVATE)
            for chunk in ([data] if isinstance(data, (bytes, bytearray)) else data):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
