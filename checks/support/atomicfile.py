"""Replace a file whole or not at all: what manifests, state files, metrics and pages need."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename it over `path`.

    A reader (node_exporter, a web server, the next run) sees the old file or the new one,
    never half of one, and a crash leaves no partial file behind. The file gets the mode
    a plain open() would give it (0666 less the umask), not mkstemp's 0600, since its
    readers often run as another user.
    """
    target = Path(path)
    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=target.parent if str(target.parent) else ".",
                                         prefix=f".{target.name}.", suffix=".tmp", delete=False) as handle:
            temporary = handle.name
            for chunk in ([data] if isinstance(data, (bytes, bytearray)) else data):
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name != "nt":
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
