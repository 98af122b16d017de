"""Command lines of the checks whose issue has not landed yet: they answer UNKNOWN."""

from typing import Annotated, Optional

import typer

from checks.cli.standard import check_command
from checks.placeholder import PlaceholderOptions

_ARGS = Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")]


@check_command("http")
def http(args: _ARGS = None) -> PlaceholderOptions:
    """Check an HTTP(S) endpoint (not implemented yet)."""
    return PlaceholderOptions(command="check-http")


@check_command("log")
def log(args: _ARGS = None) -> PlaceholderOptions:
    """Count lines matching patterns in log files (not implemented yet)."""
    return PlaceholderOptions(command="check-log")


@check_command("service")
def service(args: _ARGS = None) -> PlaceholderOptions:
    """Check that a service, process or port is up (not implemented yet)."""
    return PlaceholderOptions(command="check-service")


@check_command("integrity")
def integrity(args: _ARGS = None) -> PlaceholderOptions:
    """Check files or data for changes (not implemented yet)."""
    return PlaceholderOptions(command="check-integrity")
