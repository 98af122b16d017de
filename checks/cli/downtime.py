"""Command line of `cronchecks downtime add|list|remove`: scheduled quiet for checks, kept in the store."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cronchecks.core.errors import UsageError

STATE_DIR_HELP = "Where the SQLite store lives (env CRONCHECKS_STATE_DIR; default: the user state folder)."

downtime = typer.Typer(
    name="downtime", no_args_is_help=True, add_completion=False,
    help="Hold the messages of checks for a while (they still run and are recorded).")


def open_store(state_dir: str | None) -> Any:
    """The store a `run` with this --state-dir uses; one that cannot be used is a usage mistake (UNKNOWN)."""
    import os

    from cronchecks.alerting.run import state_folder
    from cronchecks.alerting.store import Store, StoreError

    folder = state_folder(state_dir, os.environ)
    try:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"cannot use the state folder {folder}: it is not a folder")
        return Store(folder)
    except StoreError as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot use the state folder {folder}: {error.strerror or error}") from None


def emit(text: str) -> None:
    try:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass  # the reader went away (`| head`)


def moment(flag: str, text: str) -> float:
    from cronchecks.support.timestamps import TimestampError, parse_timestamp, resolve_timezone

    try:
        return parse_timestamp(text, resolve_timezone(None)).timestamp()
    except TimestampError as error:
        raise UsageError(f"invalid {flag}: {error}") from None


def local_time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    from datetime import datetime

    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def check_patterns(names: list[str]) -> list[str]:
    """Names or globs: not empty, no newline (a check's name never has one)."""
    for name in names:
        if not name.strip() or "\n" in name:
            raise UsageError(f"invalid check name or glob {name!r}")
    return names


StateDir = Annotated[str | None, typer.Option("--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
                                              help=STATE_DIR_HELP)]
Format = Annotated[str, typer.Option("--format", metavar="FORMAT", help="text or json.")]


@downtime.command("add")
def add(
    names: Annotated[list[str], typer.Argument(metavar="NAME_OR_GLOB...", help="Checks, by name or shell glob.")],
    for_: Annotated[str | None, typer.Option("--for", metavar="DURATION", help="From now, for this long.")] = None,
    until: Annotated[str | None, typer.Option("--until", metavar="TIME", help="From now until this time.")] = None,
    comment: Annotated[str, typer.Option("--comment", metavar="TEXT", help="Why (shown by status).")] = "",
    state_dir: StateDir = None,
) -> int:
    """Start a downtime now for these checks; prints its id."""
    import time

    from cronchecks.core.values import option_value

    if (for_ is None) == (until is None):
        raise UsageError("give one of --for DURATION and --until TIME")
    now = time.time()
    end = now + option_value("--for", for_, positive=True) if for_ is not None else moment("--until", until or "")
    if end <= now:
        raise UsageError(f"invalid --until {until!r}: it is not in the future")
    store = open_store(state_dir)
    try:
        emit(str(store.add_downtime(check_patterns(names), now, end, comment, now)))
    finally:
        store.close()
    return 0


@downtime.command("list")
def list_(state_dir: StateDir = None, output_format: Format = "text") -> int:
    """The downtimes not yet over."""
    import json
    import time

    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r} (text or json)")
    store = open_store(state_dir)
    try:
        found = store.downtimes(time.time())
    finally:
        store.close()
    if output_format == "json":
        emit(json.dumps([{"id": d.id, "checks": list(d.patterns), "start": d.start, "end": d.end,
                          "comment": d.comment, "created": d.created} for d in found], indent=2))
    elif not found:
        emit("no downtimes")
    else:
        emit("\n".join(f"{d.id}  {local_time(d.start)} .. {local_time(d.end)}  {', '.join(d.patterns)}"
                       + (f"  ({d.comment})" if d.comment else "") for d in found))
    return 0


@downtime.command("remove")
def remove(
    downtime_id: Annotated[int, typer.Argument(metavar="ID", help="The id `downtime add` printed.")],
    state_dir: StateDir = None,
) -> int:
    """End a downtime now (a check still failing is announced at its next run)."""
    store = open_store(state_dir)
    try:
        if not store.remove_downtime(downtime_id):
            raise UsageError(f"no downtime {downtime_id} (see cronchecks downtime list)")
    finally:
        store.close()
    emit(f"removed downtime {downtime_id}")
    return 0
