"""Command line of `cronchecks forget`: remove a check's state and history from the store."""

from __future__ import annotations

from typing import Annotated

import typer

from cronchecks.cli.downtime import StateDir, emit, open_store
from cronchecks.core.errors import UsageError


def forget(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The check, by its name in the store.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (needed without a terminal).")] = False,
    state_dir: StateDir = None,
) -> int:
    """Remove a check's state, results, remediation log and acknowledgement (its queued messages stay)."""
    import sys

    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not forgetting {name!r} without --yes (no terminal to ask on)")
        if not typer.confirm(f"Forget {name!r}: its state and its whole history?", default=False):
            emit("nothing removed")
            return 0
    store = open_store(state_dir)
    try:
        if not store.forget(name):
            raise UsageError(f"no check {name!r} in the store")
    finally:
        store.close()
    emit(f"forgot {name}")
    return 0
