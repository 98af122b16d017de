"""Command line of check-service (placeholder until the check is built)."""

from typing import Annotated, Optional

import typer

from checks.cli.standard import check_command
from checks.service import ServiceOptions


@check_command("service")
def service(
    args: Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")] = None,
) -> ServiceOptions:
    """Check a service, process or port (not implemented yet)."""
    return ServiceOptions()
