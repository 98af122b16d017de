"""The options every check command has, added to each command by one decorator."""

import inspect
from dataclasses import replace
from typing import Annotated, Any, Callable, NamedTuple, Optional

import typer

from checks import __version__
from checks.cli.values import option_value
from checks.errors import UsageError
from checks.result import Status
from checks.thresholds import Range, parse_range

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


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cronchecks {__version__}")
        raise typer.Exit(0)


# Typer reads these annotations as the options' declarations; they are appended to
# every check command's own parameters by `check_command` below.
_STANDARD_PARAMETERS = {
    "warning": (Annotated[Optional[str], typer.Option(
        "--warning", "-w", metavar="RANGE",
        help="Warning range (Nagios syntax: 10, 10:, ~:10, 10:20, @10:20; units allowed: 500ms, 5m, 10MB).")], None),
    "critical": (Annotated[Optional[str], typer.Option(
        "--critical", "-c", metavar="RANGE", help="Critical range, same syntax; checked before warning.")], None),
    "timeout": (Annotated[str, typer.Option(
        "--timeout", "-t", metavar="DURATION", help="Time limit for the whole check (10s, 500ms, 1m).")], "10s"),
    "timeout_result": (Annotated[str, typer.Option(
        "--timeout-result", metavar="STATE", help="State when the time limit is hit: ok, warning, critical, unknown.")],
        "critical"),
    "verbose": (Annotated[int, typer.Option(
        "--verbose", "-v", count=True, help="Diagnostics on stderr; -vvv also shows tracebacks.")], 0),
    "label": (Annotated[Optional[str], typer.Option(
        "--label", metavar="TEXT", help="Label at the start of the output line (default: the check's name).")], None),
    "output_format": (Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="Output: nagios (one status line) or json.")], "nagios"),
    "version": (Annotated[bool, typer.Option(
        "--version", "-V", is_eager=True, callback=_show_version, help="Show the version and exit.")], False),
}


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


def check_command(name: str) -> Callable[[Callable[..., Any]], Callable[..., CheckInvocation]]:
    """Turn a function that builds a check's options into a full check command.

    The function declares only its own options; the standard ones are appended to its
    signature for typer, taken off again before it is called, and parsed here once.
    """

    def decorate(build_options: Callable[..., Any]) -> Callable[..., CheckInvocation]:
        signature = inspect.signature(build_options, eval_str=True)

        def command(**kwargs: Any) -> CheckInvocation:
            raw = {key: kwargs.pop(key) for key in _STANDARD_PARAMETERS}
            from checks.registry import CHECKS

            standard = parse_standard(raw, CHECKS[name].threshold_unit)
            options = build_options(**kwargs)
            options = replace(options, warning=standard.warning, critical=standard.critical)
            return CheckInvocation(name, options, standard)

        extra = [
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            for key, (annotation, default) in _STANDARD_PARAMETERS.items()
        ]
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
        command.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in own + extra}
        command.__doc__ = build_options.__doc__
        command.__name__ = build_options.__name__
        command.__module__ = build_options.__module__
        return command

    return decorate
