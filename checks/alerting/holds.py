"""Why a check's notices are held at a result: a downtime or maintenance window, a parent down, an acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cronchecks.alerting.policy import Hold

if TYPE_CHECKING:
    from cronchecks.alerting.store import Acknowledgement, Store


def downtime_reason(store: Store, check: str, now: float, windows: Sequence[Any]) -> str | None:
    """`downtime` (with its comment) while a downtime or one of `windows` names the check, else None."""
    downtime = store.downtime_for(check, now)
    if downtime is not None:
        return "downtime" + (f": {downtime.comment}" if downtime.comment else "")
    if windows:
        from cronchecks.alerting.windows import occurrence

        for window in windows:
            if window.names(check) and occurrence(window, now) is not None:
                return "downtime" + (f": {window.comment}" if window.comment else " (maintenance window)")
    return None


def dependency_reason(store: Store, parents: Sequence[str]) -> str | None:
    """`dependency: db CRITICAL` while a parent is in a hard problem state (announced or itself held)."""
    for parent in parents:
        state = store.open_problem(parent)
        if state is not None:
            return f"dependency: {parent} {state.name}"
    return None


def hold_for(store: Store, check: str, now: float, windows: Sequence[Any],
             parents: Sequence[str]) -> tuple[Hold, Acknowledgement | None]:
    """The hold at this result, and the acknowledgement in force (its comment goes into its notice)."""
    downtime = downtime_reason(store, check, now, windows)
    reason = downtime or dependency_reason(store, parents)
    was_down = store.last_in_downtime(check)
    change = None
    if was_down is not None and was_down != (downtime is not None):
        change = "started" if downtime is not None else "ended"
    ack = store.acknowledgement(check, now)
    if ack is None:
        return Hold(reason, downtime_change=change), None
    previous_run = store.previous_run(check)
    # New since the check last ran: this run says so once, through the channels it was told of.
    fresh = previous_run is None or ack.created > previous_run
    return Hold(reason, ack.status, ack.sticky, fresh, change), ack
