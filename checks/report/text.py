"""A report in words: each figure as a short cell, and the plain-text table for pipes, mail and chat."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from cronchecks.core.thresholds import format_duration
from cronchecks.report.figures import CheckReport, Spread, Window, counts

COLUMNS = ("CHECK", "STATUS", "SINCE", "UPTIME", "FAILED", "DURATION p50/p95", "{perf} p50/p95", "OPEN INCIDENT",
           "LAST CHANGE")


def moment(epoch: float | None, end: float) -> str:
    """Local time, the date left out when it is the report's end date."""
    if epoch is None:
        return "-"
    shown = datetime.fromtimestamp(epoch).astimezone()
    if shown.date() == datetime.fromtimestamp(end).astimezone().date():
        return shown.strftime("%H:%M")
    return shown.strftime("%Y-%m-%d %H:%M")


def full_moment(epoch: float | None) -> str:
    """Local time with date, seconds and UTC offset, as mail shows times."""
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def window_words(window: Window) -> str:
    """`last 24h`, `last 7d`, `last 90m`: the window's length as it was probably given."""
    seconds = window.seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= max(size, 172800 if unit == "d" else 0) and seconds % size == 0:
            return f"last {int(seconds // size)}{unit}"
    return f"last {format_duration(seconds)}"


def uptime_text(uptime: float | None) -> str:
    """Rounded down to 0.01 %: a check that was down at all never reads `100%`."""
    if uptime is None:
        return "-"
    if uptime >= 100.0:
        return "100%"
    return f"{math.floor(uptime * 100) / 100:.2f}%"


def value_text(value: float | None, uom: str) -> str:
    if value is None:
        return "-"
    if uom == "s":
        return format_duration(value)
    if uom == "%":
        return f"{value:.1f}%"
    if abs(value) >= 100 or value == int(value):
        number = f"{value:.0f}"
    elif abs(value) >= 1:
        number = f"{value:.2f}".rstrip("0").rstrip(".")
    else:
        number = f"{value:.3g}"
    return f"{number} {uom}".strip()


def spread_text(figures: Spread, uom: str) -> str:
    if not figures.count:
        return "-"
    return f"{value_text(figures.median, uom)} / {value_text(figures.p95, uom)}"


def since_text(report: CheckReport, end: float) -> str:
    if report.since is None:
        return "-"
    return f"{moment(report.since, end)} ({format_duration(max(0.0, end - report.since))})"


def incident_text(report: CheckReport) -> str:
    if report.incident is None:
        return "-"
    return f"{report.incident.status.name} for {format_duration(report.incident.downtime)}"


def change_text(report: CheckReport, end: float) -> str:
    change = report.last_change
    if change is None:
        return "-"
    return f"{change.before.name} -> {change.after.name} {moment(change.at, end)}"


def cells(report: CheckReport, end: float) -> tuple[str, ...]:
    """One table row, in COLUMNS' order."""
    return (
        report.name,
        report.status.name if report.status is not None else "NO DATA",
        since_text(report, end),
        uptime_text(report.uptime),
        f"{report.failures}/{report.results}",
        spread_text(report.duration, "s"),
        spread_text(report.perf, report.perf_uom),
        incident_text(report),
        change_text(report, end),
    )


def headings(perf_label: str) -> tuple[str, ...]:
    return tuple(column.format(perf=perf_label.upper()) for column in COLUMNS)


def title(reports: Sequence[CheckReport], window: Window, host: str) -> str:
    """`cronchecks report on web1: 1 CRITICAL, 14 OK (last 24h)`."""
    found = counts(reports)
    tally = ", ".join(f"{number} {name}" for name, number in found.items()) or "no checks"
    return f"cronchecks report on {host}: {tally} ({window_words(window)})"


def plain_table(reports: Sequence[CheckReport], window: Window, perf_label: str) -> str:
    """Columns padded with spaces; nothing but ASCII punctuation, so it survives mail and pipes."""
    rows = [headings(perf_label)] + [cells(report, window.end) for report in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    # every row has a cell per column (cells() and headings() follow COLUMNS)
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def plain_report(reports: Sequence[CheckReport], window: Window, perf_label: str, host: str) -> str:
    """The title, the window, and the table (or a line saying there is nothing to report)."""
    lines = [title(reports, window, host),
             f"from {full_moment(window.start)} to {full_moment(window.end)}", ""]
    if reports:
        lines.append(plain_table(reports, window, perf_label))
    else:
        lines.append("No checks recorded yet: `cronchecks run --name NAME -- COMMAND` records them.")
    return "\n".join(lines)
