"""The check behind commands whose issue has not landed yet: an honest UNKNOWN."""

from __future__ import annotations

from dataclasses import dataclass

from checks.errors import CheckError
from checks.result import Result
from checks.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class PlaceholderOptions:
    command: str
    warning: object = None
    critical: object = None


def not_implemented(options: PlaceholderOptions, runtime: Runtime) -> Result:
    raise CheckError(f"{options.command} is not implemented yet")
