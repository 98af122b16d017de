"""check-service's pidfiles: the PID written in the file must be a live process."""

from __future__ import annotations

from typing import Any

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Status
from cronchecks.service.findings import Finding


def pidfile_finding(path: str, inspected: list[Any]) -> Finding:
    """The pidfile's process, added to `inspected` so that the resource limits measure it too."""
    import psutil

    try:
        with open(path, "rb") as handle:
            text = handle.read(64).decode("ascii", "replace").strip()
    except FileNotFoundError:
        return Finding(Status.CRITICAL, f"pidfile {path} does not exist")
    except OSError as error:
        raise CheckError(f"cannot read it: {error.strerror or error}") from None
    first = text.split()[0] if text.split() else ""
    if not first.isdigit() or int(first) <= 0:
        return Finding(Status.CRITICAL, f"pidfile {path} holds no PID ({text[:20]!r})")
    pid = int(first)
    try:
        proc = psutil.Process(pid)
        name, status = proc.name(), proc.status()
    except psutil.NoSuchProcess:
        return Finding(Status.CRITICAL, f"pidfile {path}: PID {pid} is not running (stale pidfile)")
    except psutil.AccessDenied:
        return Finding(Status.OK, f"pidfile {path}: PID {pid} running")
    if status == psutil.STATUS_ZOMBIE:
        return Finding(Status.CRITICAL, f"pidfile {path}: PID {pid} ({name}) has exited (zombie)")
    if all(p.pid != pid for p in inspected):
        inspected.append(proc)
    return Finding(Status.OK, f"pidfile {path}: PID {pid} ({name}) running")
