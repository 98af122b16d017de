"""Command line of `cronchecks ack`: acknowledge a check's problem (reminders stop), or take it back."""

from __future__ import annotations

from typing import Annotated

import typer

from cronchecks.cli.downtime import StateDir, emit, open_store
from cronchecks.core.errors import UsageError


def ack(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The check, by its name in the store.")],
    comment: Annotated[str, typer.Option("--comment", metavar="TEXT", help="Who is on it, and why.")] = "",
    expire: Annotated[str | None, typer.Option(
        "--expire", metavar="DURATION", help="End the acknowledgement after this long.")] = None,
    sticky: Annotated[bool, typer.Option(
        "--sticky", help="Also hold changes between problem states (WARNING to CRITICAL).")] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Take the acknowledgement back.")] = False,
    state_dir: StateDir = None,
) -> int:
    """Acknowledge a check's problem until it recovers; the acknowledgement goes out with its next run."""
    import time

    from cronchecks.alerting.store import Acknowledgement
    from cronchecks.core.result import Status
    from cronchecks.core.values import option_value

    if remove and (comment or expire or sticky):
        raise UsageError("--remove goes without --comment, --expire and --sticky")
    now = time.time()
    expires = now + option_value("--expire", expire, positive=True) if expire is not None else None
    store = open_store(state_dir)
    try:
        if remove:
            if not store.remove_acknowledgement(name):
                raise UsageError(f"{name!r} is not acknowledged")
            emit(f"{name}: acknowledgement removed")
            return 0
        state = store.state(name)
        if state is None:
            raise UsageError(f"no check {name!r} in the store (see cronchecks status)")
        if state.status is Status.OK and state.announced is None:
            raise UsageError(f"{name!r} is OK: nothing to acknowledge")
        store.acknowledge(Acknowledgement(name, state.announced or state.status, comment, sticky, expires, now))
    finally:
        store.close()
    emit(f"{name}: acknowledged ({(state.announced or state.status).name})")
    return 0
