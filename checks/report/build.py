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
    days: int = 90  # the long view: daily bars, incidents, series (--days)
    badges: str | None = None  # --badges DIR
    document: bool = False  # the versioned JSON document is wanted (--format json)


class ReportOutcome(NamedTuple):
    """The figures, for the command line to show; the page and the summary are already out."""

    reports: list[CheckReport]  # worst first
    window: Window
    host: str
    perf: str
    generated: float
    problems: list[str]  # one line each: what went wrong delivering the summary
    document: dict | None = None  # the versioned JSON document, when the page, badges or --format json need it


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
    wants_document = bool(request.html or request.badges or request.document)
    views = {}
    with History(folder) as history:
        names = select_checks(history.names(), request.checks, str(history.path))
        reports = []
        for name in names:
            # The status strip shows the 24 hours up to the end, however short the window; the page's
            # long view reaches back --days.
            start = min(window.start, window.end - STRIP_SPAN)
            if wants_document:
                start = min(start, window.end - (request.days + 1) * 86400.0)
            rows = history.rows(name, start, window.end, request.perf)
            report = check_report(name, rows, history.streak(name, window.end), window, request.perf)
            reports.append(report)
            if wants_document:
                from cronchecks.report.document import long_view

                views[name] = long_view(report, rows, window.end, request.days)
    reports = order(reports)
    document = None
    if wants_document:
        from cronchecks.report.document import build_document

        document = build_document(reports, views, window, host=host, perf_label=request.perf, generated=generated,
                                  days=request.days)
        draw([document], html=request.html, badges=request.badges, title=request.title, generated=generated)

    problems: list[str] = []
    if channels:
        from cronchecks.report.summary import send_summary, summary_event

        event = summary_event(reports, window, host=host, perf_label=request.perf, generated=generated)
        send_summary(folder, channels, event, budget=request.notify_timeout, expiry=request.outbox_expiry,
                     say=problems.append)
    return ReportOutcome(reports, window, host, request.perf, generated, problems, document)


def draw(documents: list[dict], *, html: str | None, badges: str | None, title: str | None, generated: float,
         problems: Sequence[str] = ()) -> None:
    """Write the page and the badges of these documents (one host's, or a fleet's)."""
    from pathlib import Path

    if html:
        from cronchecks.report.html import status_page, write_page

        target = Path(html).expanduser()
        try:
            write_page(target, status_page(documents, generated=generated, title=title, problems=problems))
        except OSError as error:
            raise CheckError(f"cannot write --html {target}: {error.strerror or error}") from None
    if badges:
        from cronchecks.report.badges import write_badges

        folder = Path(badges).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_badges(folder, documents)
        except OSError as error:
            raise CheckError(f"cannot write --badges {folder}: {error.strerror or error}") from None


def merge_documents(paths: Sequence[str], *, html: str | None, badges: str | None, title: str | None,
                    now: float | None = None) -> tuple[list[dict], list[str]]:
    """Read each host's document; one that cannot be read is named (and drawn as such), the others drawn."""
    from cronchecks.core.files import FileRefused, read_bounded
    from cronchecks.report.document import DOCUMENT_LIMIT, DocumentError, read_document

    if not (html or badges):
        raise UsageError("--merge draws a fleet: give --html FILE and/or --badges DIR")
    documents: list[dict] = []
    problems: list[str] = []
    for path in paths:
        try:
            documents.append(read_document(read_bounded(path, DOCUMENT_LIMIT), path))
        except DocumentError as error:
            problems.append(str(error))
        except FileRefused as error:
            problems.append(f"{path} is not a report document: {error}")
        except OSError as error:
            problems.append(f"cannot read {path}: {error.strerror or error}")
    if not documents:
        raise CheckError("no report document could be read: " + "; ".join(problems))
    draw(documents, html=html, badges=badges, title=title, generated=time.time() if now is None else now,
         problems=problems)
    return documents, problems
