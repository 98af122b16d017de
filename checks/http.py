"""check-http: not built yet; its issue replaces this module with the real check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checks.errors import CheckError
from checks.result import Result
from checks.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class HttpOptions:
    """Placeholder options until the check is built."""

    warning: Any = None
    critical: Any = None


def check_http(options: HttpOptions, runtime: Runtime) -> Result:
    """Answers UNKNOWN, honestly, until the check is built."""
    raise CheckError("check-http is not implemented yet")
