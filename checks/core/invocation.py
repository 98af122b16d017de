"""A parsed check command line: which check, its options, and the standard options every check has."""

from __future__ import annotations

from typing import Any, NamedTuple

from cronchecks.core.result import Status
from cronchecks.core.thresholds import Range, parse_range
from cronchecks.core.values import OptionValues

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


# The standard options' long names, as the command line and a suite file name them.
STANDARD_OPTIONS = ("warning", "critical", "timeout", "timeout-result", "verbose", "label", "format")


def parse_standard(values: OptionValues, threshold_unit: str) -> StandardOptions:
    """Validate the standard options; every mistake names the option and the text."""
    def as_range(text: str) -> Range:
        return parse_range(text, threshold_unit)

    warning = values.parsed("warning", as_range, flag="-w/--warning")
    critical = values.parsed("critical", as_range, flag="-c/--critical")
    timeout = values.duration("timeout", DEFAULT_TIMEOUT, positive=True, flag="-t/--timeout")
    timeout_result = values.state("timeout-result", Status.CRITICAL)
    output_format = values.choice("format", ("nagios", "json"), "nagios")
    label = values.text("label")
    if label is not None:
        label = " ".join(label.split()) or None  # one line, whatever the label held
    return StandardOptions(
        warning=warning,
        critical=critical,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        timeout_result=timeout_result or Status.CRITICAL,
        verbosity=values.whole("verbose", 0, minimum=0) or 0,
        label=label,
        output_format=output_format,
    )


def build_invocation(check: str, values: OptionValues) -> CheckInvocation:
    """A check's command line (or suite table) as an invocation: standard options, then the check's own.

    The check's own reader (`read_options` in its folder) takes its keys; anything left is a mistake.
    """
    from dataclasses import replace

    from cronchecks.core.registry import CHECKS

    spec = CHECKS[check]
    standard = parse_standard(values, spec.threshold_unit)
    options = spec.load_options()(values)
    values.finish()
    options = replace(options, warning=standard.warning, critical=standard.critical)
    return CheckInvocation(check, options, standard)
