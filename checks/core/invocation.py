"""A parsed check command line: which check, its options, and the standard options every check has."""

from __future__ import annotations

from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.thresholds import Range, parse_range
from cronchecks.core.values import option_value

DEFAULT_TIMEOUT = 10.0


class StandardOptions(NamedTuple):
    """The parsed standard options: how to run, judge and present one check."""

    warning: Range | None = None
    critical: Range | None = None
    timeout: float = DEFAULT_TIMEOUT
    timeout_result: Status = Status.CRITICAL
    verbosity: int = 0
    label: str | None = None
    output_format: str = "nagios"


class CheckInvocation(NamedTuple):
    """A parsed command line: which check, its options, and the standard options."""

    check: str
    options: Any
    standard: StandardOptions


def parse_standard(raw: dict[str, Any], threshold_unit: str) -> StandardOptions:
    """Validate the standard options; every mistake names the option and the text."""
    def as_range(text: str) -> Range:
        return parse_range(text, threshold_unit)

    ranges = {name: option_value(flag, raw[name], as_range)
              for name, flag in (("warning", "-w/--warning"), ("critical", "-c/--critical"))}
    timeout = option_value("-t/--timeout", raw["timeout"], positive=True)
    try:
        timeout_result = Status.parse(raw["timeout_result"])
    except ValueError as error:
        raise UsageError(f"invalid --timeout-result: {error}") from None
    output_format = raw["output_format"].strip().lower()
    if output_format not in ("nagios", "json"):
        raise UsageError(f"invalid --format: {raw['output_format']!r} (nagios or json)")
    return StandardOptions(
        warning=ranges["warning"],
        critical=ranges["critical"],
        timeout=timeout,
        timeout_result=timeout_result,
        verbosity=raw["verbose"],
        label=raw["label"],
        output_format=output_format,
    )


