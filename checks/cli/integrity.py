"""Command line of check-integrity (placeholder until the check is built)."""

from typing import Annotated, Optional

import typer

from checks.cli.standard import check_command
from checks.integrity import IntegrityOptions


@check_command("integrity")
def integrity(
    args: Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")] = None,
) -> IntegrityOptions:
    """Check a files or data (not implemented yet)."""
    return IntegrityOptions()
