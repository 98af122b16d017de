"""check-service's Windows services, read through psutil where the platform has them."""

from __future__ import annotations

import sys

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Status
from cronchecks.service.findings import Finding

_WINDOWS_STATES = {
    "running": Status.OK,
    "start_pending": Status.WARNING,
    "continue_pending": Status.WARNING,
    "pause_pending": Status.WARNING,
    "stop_pending": Status.CRITICAL,
    "paused": Status.CRITICAL,
    "stopped": Status.CRITICAL,
}


def windows_service_finding(name: str) -> Finding:
    """A Windows service's state; elsewhere a CheckError, since the source does not exist."""
    # The Windows branch first: mypy, checking for one platform, then skips the other's
    # block instead of calling the rest of the function unreachable.
    if sys.platform == "win32":
        import psutil

        try:
            state = psutil.win_service_get(name).status()
        except psutil.NoSuchProcess:
            return Finding(Status.CRITICAL, f"Windows service {name} not found")
        except psutil.Error as error:
            raise CheckError(f"cannot query it: {error}") from None
        status = _WINDOWS_STATES.get(state, Status.UNKNOWN)
        return Finding(status, f"Windows service {name} {state.replace('_', ' ')}")
    raise CheckError("Windows services exist only on Windows")
