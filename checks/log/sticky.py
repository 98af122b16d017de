"""--sticky: a problem found in one run keeps its state in the next runs, until it expires or an ok line comes."""

from __future__ import annotations

from datetime import UTC, datetime

from cronchecks.core.result import Result, Status, worst
from cronchecks.core.thresholds import format_duration
from cronchecks.log.scan import Tally

PROBLEMS = (Status.WARNING, Status.CRITICAL)


def _moment(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _kept(extra: dict) -> dict | None:
    kept = extra.get("sticky")
    try:
        if kept is not None and Status[kept["status"]] in PROBLEMS:
            float(kept["since"])
            float(kept["last"])
            return kept
    except (KeyError, TypeError, ValueError):
        pass
    return None


def apply_sticky(result: Result, matched: Status, tally: Tally, extra: dict, duration: float, now: float) -> Result:
    """The result with a still-sticking problem's state; `extra` (kept in --state) updated.

    `matched` is what this run's hits alone say. A hit (re)starts the period: the state
    sticks for `duration` after the newest hit (as check_logfiles' sticky=SECONDS); a
    WARNING hit under a sticking CRITICAL keeps the CRITICAL. An ok line read this run
    ends what stuck before it.
    """
    kept = None if tally.cleared else _kept(extra)
    if matched in PROBLEMS:
        status = matched if kept is None else worst([matched, Status[kept["status"]]])
        since = float(kept["since"]) if kept else now
        extra["sticky"] = {"status": status.name, "since": since, "last": now, "line": tally.newest or ""}
        if kept is None:
            return result
        summary = f"{result.summary}; {status.name} since {_moment(since)} (sticky)"
        return result._replace(status=worst([result.status, status]), summary=summary)
    if kept is not None and now - float(kept["last"]) <= duration:
        status = Status[kept["status"]]
        until = float(kept["last"]) + duration
        line = f": {kept['line']}" if kept.get("line") else ""
        summary = (f"{result.summary}; {status.name} since {_moment(float(kept['since']))}, sticky for "
                   f"{format_duration(duration)} after the last hit (until {_moment(until)}, unless an ok line "
                   f"comes){line}")
        return result._replace(status=worst([result.status, status]), summary=summary)
    extra.pop("sticky", None)
    return result
