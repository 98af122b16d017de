"""Command line of `cronchecks suite` (placeholder until it is built)."""

from typing import Annotated, Optional

import typer

from checks.errors import UsageError


def suite(
    args: Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")] = None,
) -> int:
    """Not implemented yet."""
    raise UsageError("cronchecks suite is not implemented yet")
