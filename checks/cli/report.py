"""Command line of `cronchecks report` (placeholder until it is built)."""

from typing import Annotated, Optional

import typer

from checks.errors import UsageError


def report(
    args: Annotated[Optional[list[str]], typer.Argument(help="Not implemented yet.")] = None,
) -> int:
    """Not implemented yet."""
    raise UsageError("cronchecks report is not implemented yet")
