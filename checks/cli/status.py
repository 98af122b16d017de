"""Command line of `cronchecks status`: each check's state, since when, acknowledgement, downtime, held messages."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cronchecks.cli.downtime import Format, StateDir, emit, local_time, open_store
from cronchecks.core.errors import UsageError


def status(
    name: Annotated[str | None, typer.Argument(metavar="[NAME]", help="One check (default: every check).")] = None,
    state_dir: StateDir = None,
    output_format: Format = "text",
) -> int:
    """What the store knows of each check now: a table on a terminal, plain lines in a pipe, or JSON."""
    import json
    import sys
    import time

    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r} (text or json)")
    now = time.time()
    store = open_store(state_dir)
    try:
        rows = store.check_rows(name)
        if name is not None and not rows:
            raise UsageError(f"no check {name!r} in the store")
        items = [_item(store, row, now) for row in rows]
    finally:
        store.close()
    if output_format == "json":
        emit(json.dumps(items, indent=2))
    elif sys.stdout.isatty():
        _table(items)
    else:
        emit("\n".join(_line(item) for item in items) if items else "no checks recorded")
    return 0


def _item(store: Any, row: Any, now: float) -> dict[str, Any]:
    ack = store.acknowledgement(row.name, now)
    downtime = store.downtime_for(row.name, now)
    return {
        "name": row.name, "status": row.status.name, "since": row.since, "last_run": row.last_run,
        "summary": row.summary, "problem_open": row.announced.name if row.announced else None,
        "flapping": row.flapping, "held": row.held,
        "acknowledgement": None if ack is None else {
            "status": ack.status.name, "comment": ack.comment, "sticky": ack.sticky, "expires": ack.expires,
            "created": ack.created},
        "downtime": None if downtime is None else {
            "id": downtime.id, "end": downtime.end, "comment": downtime.comment},
    }


def _notes(item: dict[str, Any]) -> str:
    notes = []
    if item["acknowledgement"]:
        ack = item["acknowledgement"]
        notes.append("acknowledged" + (" (sticky)" if ack["sticky"] else "") + (f": {ack['comment']}"
                                                                                if ack["comment"] else ""))
    if item["downtime"]:
        notes.append(f"in downtime {item['downtime']['id']} until {local_time(item['downtime']['end'])}")
    if item["held"]:
        notes.append(f"held: {item['held']}")
    if item["flapping"]:
        notes.append("flapping")
    return "; ".join(notes)


def _line(item: dict[str, Any]) -> str:
    notes = _notes(item)
    return (f"{item['name']}: {item['status']} since {local_time(item['since'])} - {item['summary']}"
            + (f" [{notes}]" if notes else ""))


def _table(items: list[dict[str, Any]]) -> None:
    """A rich table (a terminal's path only); every cell a Text, so a name is never read as markup."""
    import os

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cronchecks.cli.report import _status_style

    table = Table(show_edge=False)
    for heading in ("Check", "State", "Since", "Notes", "Summary"):
        table.add_column(heading)
    for item in items:
        table.add_row(Text(item["name"]), Text(item["status"], style=_status_style(item["status"])),
                      Text(local_time(item["since"])), Text(_notes(item)), Text(item["summary"]))
    Console(highlight=False, emoji=False, markup=False, no_color=bool(os.environ.get("NO_COLOR"))).print(table)
