"""Command line of `cronchecks outbox list|retry|purge`: the messages that wait for a channel."""

from typing import TYPE_CHECKING, Annotated

import typer

from cronchecks.core.errors import UsageError

if TYPE_CHECKING:
    from cronchecks.alerting.channels.base import Channel


def outbox(
    action: Annotated[str, typer.Argument(metavar="list|retry|purge", help="list what waits; retry: deliver it "
                                          "now through the config file's channels; purge: drop it.")],
    state_dir: Annotated[str | None, typer.Option(
        "--state-dir", metavar="DIR", envvar="CRONCHECKS_STATE_DIR",
        help="Where the SQLite store lives (env CRONCHECKS_STATE_DIR).")] = None,
    config_file: Annotated[str | None, typer.Option(
        "--config", metavar="FILE", help="The config file whose channels name and deliver the entries "
        "(env CRONCHECKS_CONFIG).")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", metavar="FORMAT", help="list: text or json.")] = "text",
    channel: Annotated[list[str] | None, typer.Option(
        "--channel", metavar="NAME", help="Only this channel's entries: a config file's name, or the fingerprint "
        "`outbox list` shows (repeatable).")] = None,
    older_than: Annotated[str | None, typer.Option(
        "--older-than", metavar="DURATION", help="purge: only entries queued longer ago than this.")] = None,
    notify_timeout: Annotated[str, typer.Option(
        "--notify-timeout", metavar="DURATION", help="retry: time for all deliveries.")] = "10s",
) -> int:
    """See, deliver or drop the messages waiting in the outbox."""
    import json
    import os
    import time

    from cronchecks.alerting.config import build_named, read_config
    from cronchecks.alerting.outbox import flush, purge, retry_now, waiting
    from cronchecks.alerting.run import state_folder
    from cronchecks.alerting.store import Store, StoreError
    from cronchecks.core.runtime import host_name
    from cronchecks.core.values import option_value

    if action not in ("list", "retry", "purge"):
        raise UsageError(f"invalid action {action!r} (list, retry or purge)")
    if output_format not in ("text", "json"):
        raise UsageError(f"invalid --format {output_format!r} (text or json)")
    if older_than is not None and action != "purge":
        raise UsageError("--older-than goes with purge")
    age = option_value("--older-than", older_than, positive=True)
    budget = option_value("--notify-timeout", notify_timeout, positive=True)
    found = read_config(config_file, os.environ)
    # A name of the config file stands for its channels' fingerprints, which is what entries hold.
    names: dict[str, str] = {}
    built: dict[str, Channel] = {}
    for named in found.channels.values():
        for made in build_named([named], os.environ, host_name()):
            names.setdefault(made.fingerprint, named.name)
            built.setdefault(made.fingerprint, made)
    wanted: list[str] | None = None
    if channel:
        wanted = []
        for given in channel:
            matches = [fp for fp, name in names.items() if name == given] or ([given] if given not in
                                                                              found.channels else [])
            wanted += matches
    folder = state_folder(state_dir, os.environ)
    if not (folder / "cronchecks.sqlite3").exists():
        raise UsageError(f"no store in {folder} (--state-dir or CRONCHECKS_STATE_DIR)")
    try:
        store = Store(folder)
    except StoreError as error:
        raise UsageError(str(error)) from None
    try:
        entries = [e for e in waiting(store) if wanted is None or e["channel"] in wanted]
        if action == "list":
            for entry in entries:
                entry["channel_name"] = names.get(entry["channel"])
            if output_format == "json":
                typer.echo(json.dumps(entries, ensure_ascii=False))
            else:
                typer.echo(f"OUTBOX {'OK' if not entries else 'WARNING'} - {len(entries)} message(s) waiting")
                for entry in entries:
                    what = entry["kind"] or entry["event"]
                    checks = ", ".join(entry["checks"]) if entry["checks"] else entry["check"]
                    failure = f"; last error: {entry['last_error']}" if entry["last_error"] else ""
                    typer.echo(f"{entry['id']} {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(entry['created']))}"
                               f" {entry['channel_name'] or entry['channel']}: {what} of {checks}, "
                               f"{entry['attempts']} attempt(s){failure}")
            return 1 if entries and output_format == "text" else 0
        if action == "purge":
            dropped = purge(store, wanted, age, time.time())
            typer.echo(f"OUTBOX OK - {dropped} message(s) dropped")
            return 0
        # retry: the channels of the config file deliver what waits for them; the rest stays.
        targets = [built[fp] for fp in dict.fromkeys(e["channel"] for e in entries) if fp in built]
        unknown = len({e["channel"] for e in entries} - set(built))
        retry_now(store, [c.fingerprint for c in targets])
        lines: list[str] = []
        sent = flush(store, targets, budget=budget, expiry=float("inf"), say=lines.append)
        left = len([e for e in waiting(store) if wanted is None or e["channel"] in wanted])
        for line in lines:
            typer.echo(f"cronchecks outbox: {line}", err=True)
        extra = f"; {unknown} channel(s) not in the config file" if unknown else ""
        typer.echo(f"OUTBOX {'OK' if not left else 'WARNING'} - {sent} delivered, {left} still waiting{extra}")
        return 0 if not left else 1
    finally:
        store.close()
