"""Command line of check-http (placeholder until the check is built)."""

from typing import Annotated, Optional

import typer

from checks.cli.standard import check_command
from checks.http import HttpOptions


@check_command("http")
def http(
    args: Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")] = None,
) -> HttpOptions:
    """Check a HTTP(S) endpoint (not implemented yet)."""
    return HttpOptions()
