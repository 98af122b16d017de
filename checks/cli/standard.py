"""The options every check command has, added to each command by one decorator."""

import inspect
from dataclasses import replace
from typing import Annotated, Any, Callable, Optional

import typer

from cronchecks import __version__
from cronchecks.core.invocation import CheckInvocation, parse_standard


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


def check_command(name: str) -> Callable[[Callable[..., Any]], Callable[..., CheckInvocation]]:
    """Turn a function that builds a check's options into a full check command.

    The function declares only its own options; the standard ones are appended to its
    signature for typer, taken off again before it is called, and parsed here once.
    """

    def decorate(build_options: Callable[..., Any]) -> Callable[..., CheckInvocation]:
        signature = inspect.signature(build_options, eval_str=True)

        def command(**kwargs: Any) -> CheckInvocation:
            raw = {key: kwargs.pop(key) for key in _STANDARD_PARAMETERS}
            from cronchecks.core.registry import CHECKS

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
