"""The daily summary: a report as a "report" event, sent through the wrapper's channels and outbox."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cronchecks.alerting.channels.base import Channel
from cronchecks.alerting.channels.options import ChannelOptions
from cronchecks.core.errors import UsageError
from cronchecks.report.figures import CheckReport, Window, report_dict
from cronchecks.report.text import plain_report, title

REPORT_EVENT = "report"


def summary_event(reports: Sequence[CheckReport], window: Window, *, host: str, perf_label: str,
                  generated: float) -> dict[str, Any]:
    """The event every channel renders: `title` and `text` for people, the figures for programs.

    A JSON webhook receives it whole (`--format json`'s object plus `event`, `id`, `title`,
    `text`); mail, Slack, Teams and Discord show the title and the text.
    """
    return {
        "event": REPORT_EVENT,
        "id": str(uuid.uuid4()),
        "title": title(reports, window, host),
        "at": generated,
        "text": plain_report(reports, window, perf_label, host),
        **report_dict(reports, window, host=host, perf_label=perf_label, generated=generated),
    }


def summary_channels(options: ChannelOptions, env: Mapping[str, str], host: str) -> list[Channel]:
    """The channels named that take reports; naming only ones that take none is a usage error."""
    from cronchecks.alerting.channels.options import build_channels

    channels = build_channels(options, env, host)
    probe = {"event": REPORT_EVENT}
    takers = [channel for channel in channels if channel.accepts(probe)]
    if channels and not takers:
        raise UsageError("none of the channels given takes reports (a PagerDuty webhook opens incidents, "
                         "not summaries): use json, slack, teams or discord, or --mail")
    return takers


def send_summary(folder: Path, channels: Sequence[Channel], event: dict[str, Any], *, budget: float,
                 expiry: float, say: Callable[[str], None]) -> int:
    """Queue the event for every channel, then deliver what waits in the outbox for them.

    The same outbox as `cronchecks run`: a summary that cannot go out now waits there,
    and the next run or report with that channel delivers it (within --outbox-expiry).
    Returns how many messages went out; delivery trouble is said, never raised.
    """
    from cronchecks.alerting.outbox import flush
    from cronchecks.alerting.store import Store, StoreError

    try:
        store = Store(folder)
    except StoreError as error:  # read, but not writable: the report is still worth printing
        say(f"summary not sent: {error}")
        return 0
    try:
        with store.transaction():
            for channel in channels:
                store.enqueue(channel.fingerprint, event, now=time.time())
        try:
            return flush(store, channels, budget=budget, expiry=expiry, say=say)
        except Exception as error:  # delivery trouble never changes the exit code
            say(f"delivery failed: {type(error).__name__}: {error}")
            return 0
    finally:
        store.close()
