"""What a check may use from the world, passed in: clock, environment, log, deadline."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

# The wrapper (cronchecks.alerting.run) reads the host name from here; it lives in its own module.
from cronchecks.core.hostname import host_name  # noqa: F401


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """The check's view of its surroundings; tests swap any part of it.

    `deadline` is a time.monotonic() value: network and subprocess waits inside a check
    use `remaining()` so that they give up before the whole-run timeout cuts them off.
    """

    __slots__ = ("deadline", "env", "now", "stderr", "verbosity")

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = _utc_now,
        verbosity: int = 0,
        stderr: TextIO | None = None,
        deadline: float | None = None,
    ) -> None:
        self.env = os.environ if env is None else env
        self.now = now
        self.verbosity = verbosity
        self.stderr = sys.stderr if stderr is None else stderr
        self.deadline = deadline

    def log(self, level: int, message: str) -> None:
        """A diagnostic on stderr when `-v` was given `level` times or more."""
        if self.verbosity >= level:
            print(message, file=self.stderr, flush=True)

    def remaining(self, floor: float = 0.001) -> float | None:
        """Seconds left before the deadline (None when there is none)."""
        if self.deadline is None:
            return None
        return max(floor, self.deadline - time.monotonic())
