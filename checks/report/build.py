"""`cronchecks report` from a request to what happened: history read, figures computed, page written, summary sent."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.hostname import host_name

if TYPE_CHECKING:
    from cronchecks.alerting.channels.options import ChannelOptions
    from cronchecks.report.figures import CheckReport, Window


class ReportRequest(NamedTuple):
    """What the command line asked for, its values already read (durations in seconds, moments as epochs)."""

    window_length: float  # --since
    until: float | None = None  # the window's end; None: now
    checks: tuple[str, ...] = ()  # names or shell-style patterns; empty: every check in the store
    perf: str = "time"
    state_dir: str | None = None
    html: str | None = None
    title: str | None = None
    host: str | None = None
    channels: ChannelOptions | None = None  # the daily summary's --mail/--webhook, when any was given
    notify_timeout: float = 10.0
    outbox_expiry: float = 86400.0


class ReportOutcome(NamedTuple):
    """The figures, for the command line to show; the page and the summary are already out."""

    reports: list[CheckReport]  # worst first
    window: Window
    host: str
    perf: str
    generated: float
    problems: list[str]  # one line each: what went wrong delivering the summary


def select_checks(known: Sequence[str], wanted: Sequence[str], where: str) -> list[str]:
    """The names asked for with --check (exact names, or shell-style patterns like `web-*`), in the store's order."""
    if not wanted:
        return list(known)
    from fnmatch import fnmatchcase

    chosen: set[str] = set()
    for pattern in wanted:
        found = [name for name in known if fnmatchcase(name, pattern)] if any(c in pattern for c in "*?[") \
            else [name for name in known if name == pattern]
        if not found:
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "") if known else "none yet"
            raise UsageError(f"no check named {pattern!r} in the store {where} (known: {shown})")
        chosen.update(found)
    return [name for name in known if name in chosen]


def make_report(request: ReportRequest, env: Mapping[str, str], now: float | None = None) -> ReportOutcome:
    """Read the store, compute every check's figures, write the --html page and send the summary.

    The channels are built first, so that a mistake in them is said before any work; the
    page and the summary go out before the caller prints, as a suite's records do.
    """
    from cronchecks.alerting.run import state_folder
    from cronchecks.report.figures import STRIP_SPAN, Window, check_report, order
    from cronchecks.report.history import History

    generated = time.time() if now is None else now
    end = generated if request.until is None else request.until
    host = request.host or host_name()
    channels = []
    if request.channels is not None:
        from cronchecks.report.summary import summary_channels

        channels = summary_channels(request.channels, env, host)

    window = Window(end - request.window_length, end)
    folder = state_folder(request.state_dir, env)
    with History(folder) as history:
        names = select_checks(history.names(), request.checks, str(history.path))
        reports = []
        for name in names:
            # The status strip shows the 24 hours up to the end, however short the window.
            rows = history.rows(name, min(window.start, window.end - STRIP_SPAN), window.end, request.perf)
            reports.append(check_report(name, rows, history.streak(name, window.end), window, request.perf))
    reports = order(reports)

    if request.html:
        from pathlib import Path

        from cronchecks.report.html import status_page, write_page

        page = status_page(reports, window, host=host, generated=generated, title=request.title)
        target = Path(request.html).expanduser()
        try:
            write_page(target, page)
        except OSError as error:
            raise CheckError(f"cannot write --html {target}: {error.strerror or error}") from None

    problems: list[str] = []
    if channels:
        from cronchecks.report.summary import send_summary, summary_event

        event = summary_event(reports, window, host=host, perf_label=request.perf, generated=generated)
        send_summary(folder, channels, event, budget=request.notify_timeout, expiry=request.outbox_expiry,
                     say=problems.append)
    return ReportOutcome(reports, window, host, request.perf, generated, problems)
