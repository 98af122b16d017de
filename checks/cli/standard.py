"""The options every check command has, added to each command by one decorator."""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from cronchecks import __version__
from cronchecks.core.invocation import CheckInvocation, build_invocation
from cronchecks.core.values import OptionValues


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"cronchecks {__version__}")
        raise typer.Exit(0)


# Typer reads these annotations as the options' declarations; they are appended to
# every check command's own parameters by `check_command` below.
_STANDARD_PARAMETERS = {
    "warning": (Annotated[str | None, typer.Option(
        "--warning", "-w", metavar="RANGE",
        help="Warning range (Nagios syntax: 10, 10:, ~:10, 10:20, @10:20; units allowed: 500ms, 5m, 10MB).")], None),
    "critical": (Annotated[str | None, typer.Option(
        "--critical", "-c", metavar="RANGE", help="Critical range, same syntax; checked before warning.")], None),
    "timeout": (Annotated[str, typer.Option(
        "--timeout", "-t", metavar="DURATION", help="Time limit for the whole check (10s, 500ms, 1m).")], "10s"),
    "timeout_result": (Annotated[str, typer.Option(
        "--timeout-result", metavar="STATE", help="State when the time limit is hit: ok, warning, critical, unknown.")],
        "critical"),
    "verbose": (Annotated[int, typer.Option(
        "--verbose", "-v", count=True, help="Diagnostics on stderr; -vvv also shows tracebacks.")], 0),
    "label": (Annotated[str | None, typer.Option(
        "--label", metavar="TEXT", help="Label at the start of the output line (default: the check's name).")], None),
    "output_format": (Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="Output: nagios (one status line) or json.")], "nagios"),
    "version": (Annotated[bool, typer.Option(
        "--version", "-V", is_eager=True, callback=_show_version, help="Show the version and exit.")], False),
}


def long_name(parameter: inspect.Parameter) -> str:
    """The option's long name without dashes (`--expect-status` -> `expect-status`), as a suite file writes it."""
    for meta in getattr(parameter.annotation, "__metadata__", ()):
        # Inside Annotated, typer takes Option's first argument (`default`) as a declaration too.
        declarations = [getattr(meta, "default", None), *(getattr(meta, "param_decls", None) or ())]
        for declaration in declarations:
            if isinstance(declaration, str) and declaration.startswith("--"):
                return declaration[2:].split("/")[0]
    return parameter.name.replace("_", "-")  # an argument: `url`, `files`


def check_command(name: str) -> Callable[[Callable[..., Any]], Callable[..., CheckInvocation]]:
    """Turn a declaration of a check's own options into a full check command.

    The function declares only its own options (typer reads them from its signature); the
    standard ones are appended. What argv said is handed, by long option name, to the same
    constructor a suite file uses (`build_invocation`): the function's body is not called.
    """

    def decorate(declaration: Callable[..., Any]) -> Callable[..., CheckInvocation]:
        signature = inspect.signature(declaration, eval_str=True)
        extra = [
            inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            for key, (annotation, default) in _STANDARD_PARAMETERS.items()
        ]
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
        names = {p.name: long_name(p) for p in own + extra}

        def command(**kwargs: Any) -> CheckInvocation:
            kwargs.pop("version", None)
            values = OptionValues({names[key]: value for key, value in kwargs.items()}, f"check-{name}")
            return build_invocation(name, values)

        command.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in own + extra}
        command.__doc__ = declaration.__doc__
        command.__name__ = declaration.__name__
        command.__module__ = declaration.__module__
        return command

    return decorate
