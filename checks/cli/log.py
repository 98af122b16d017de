"""Command line of check-log (placeholder until the check is built)."""

from typing import Annotated, Optional

import typer

from checks.cli.standard import check_command
from checks.logpattern import LogOptions


@check_command("log")
def log(
    args: Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")] = None,
) -> LogOptions:
    """Check a log files (not implemented yet)."""
    return LogOptions()
