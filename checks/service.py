"""check-service: not built yet; its issue replaces this module with the real check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checks.errors import CheckError
from checks.result import Result
from checks.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class ServiceOptions:
    """Placeholder options until the check is built."""

    warning: Any = None
    critical: Any = None


def check_service(options: ServiceOptions, runtime: Runtime) -> Result:
    """Answers UNKNOWN, honestly, until the check is built."""
    raise CheckError("check-service is not implemented yet")
