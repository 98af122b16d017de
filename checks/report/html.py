"""A report as one static HTML status page: inline CSS, no scripts, nothing fetched from the network."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from cronchecks.core.thresholds import format_duration
from cronchecks.report.figures import Bucket, CheckReport, Window, counts, worst_status
from cronchecks.report.text import (
    change_text,
    full_moment,
    incident_text,
    moment,
    spread_text,
    uptime_text,
    window_words,
)

# Green, amber, red (and purple for UNKNOWN, grey for no data), with a text label beside
# every colour: the page must read right for the colour-blind and in black and white too.
_CSS = """
:root{--ok:#1e8e4e;--warning:#e8a200;--critical:#d23b3b;--unknown:#8a63c4;--none:#d5d9e0;
--bg:#f4f6f8;--card:#fff;--text:#1d2330;--muted:#5d6675;--line:#e3e7ec}
@media (prefers-color-scheme:dark){:root{--bg:#12151b;--card:#1b2029;--text:#e6e9ee;--muted:#9aa3b2;
--line:#2b323e;--none:#3a414d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:1.1rem 1rem 1rem;color:#fff;background:var(--ok)}
header.s-warning{background:var(--warning);color:#1d2330}
header.s-critical{background:var(--critical)}header.s-unknown{background:var(--unknown)}
header h1{margin:0;font-size:1.35rem;line-height:1.25;overflow-wrap:anywhere}
header p{margin:.3rem 0 0}.meta{opacity:.9;font-size:.9rem}
main,footer{max-width:60rem;margin:0 auto;padding:1rem}
main{display:grid;gap:1rem}
.check{background:var(--card);border:1px solid var(--line);border-left:.45rem solid var(--none);
border-radius:.5rem;padding:.9rem 1rem}
.check.s-ok{border-left-color:var(--ok)}.check.s-warning{border-left-color:var(--warning)}
.check.s-critical{border-left-color:var(--critical)}.check.s-unknown{border-left-color:var(--unknown)}
.head{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .7rem}
.head h2{margin:0;font-size:1.1rem;overflow-wrap:anywhere;flex:1 1 auto}
.badge{font-size:.8rem;font-weight:700;letter-spacing:.03em;padding:.15rem .55rem;border-radius:1rem;
color:#fff;background:var(--none)}
.badge.s-ok{background:var(--ok)}.badge.s-warning{background:var(--warning);color:#1d2330}
.badge.s-critical{background:var(--critical)}.badge.s-unknown{background:var(--unknown)}
.badge.s-none{color:var(--text)}
.summary{margin:.35rem 0 .6rem;color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.strip{display:flex;gap:1px;height:1.7rem;margin:.2rem 0 0}
.strip span{flex:1 1 0;min-width:0;border-radius:2px;background:var(--none)}
.strip .s-ok{background:var(--ok)}.strip .s-warning{background:var(--warning)}
.strip .s-critical{background:var(--critical)}.strip .s-unknown{background:var(--unknown)}
.axis{display:flex;justify-content:space-between;color:var(--muted);font-size:.75rem;margin:.15rem 0 .5rem}
dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem .9rem;margin:0}
dl div{min-width:0}dt{color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.03em}
dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;color:var(--muted);font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-.1rem}
footer p{color:var(--muted);font-size:.85rem;margin:.5rem 0}
.empty{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem}
"""

_LEGEND = (("ok", "OK"), ("warning", "WARNING"), ("critical", "CRITICAL"), ("unknown", "UNKNOWN"),
           ("none", "no data"))


def _css_class(status) -> str:
    return f"s-{status.name.lower()}" if status is not None else "s-none"


def _strip(buckets: Sequence[Bucket], end: float) -> str:
    cells = []
    for bucket in buckets:
        state = bucket.status.name if bucket.status is not None else "no data"
        runs = f", {bucket.results} result{'s' if bucket.results != 1 else ''}"
        tip = f"{moment(bucket.start, end)}-{moment(bucket.end, end)}: {state}{runs}"
        cells.append(f'<span class="{_css_class(bucket.status)}" title="{escape(tip)}"></span>')
    bad = sum(1 for bucket in buckets if bucket.status is not None and bucket.status.name != "OK")
    label = f"results of the last 24 hours: {bad} of {len(buckets)} half-hours not OK"
    return (f'<div class="strip" role="img" aria-label="{escape(label)}">{"".join(cells)}</div>'
            '<div class="axis"><span>24h ago</span><span>12h</span><span>now</span></div>')


def _check(report: CheckReport, end: float) -> str:
    status = report.status.name if report.status is not None else "NO DATA"
    since = "-" if report.since is None else f"{moment(report.since, end)} ({format_duration(end - report.since)})"
    figures = [
        ("Uptime", uptime_text(report.uptime)),
        ("Since", since),
        ("Failed / runs", f"{report.failures} / {report.results}"),
        ("Duration p50 / p95", spread_text(report.duration, "s")),
        (f"{report.perf_label} p50 / p95", spread_text(report.perf, report.perf_uom)),
        ("Open incident", incident_text(report)),
        ("Last change", change_text(report, end).replace(" -> ", " \u2192 ")),
        ("Last run", moment(report.last_run, end)),
    ]
    listed = "".join(f"<div><dt>{escape(name)}</dt><dd>{escape(value)}</dd></div>" for name, value in figures)
    summary = report.last_summary if len(report.last_summary) <= 300 else report.last_summary[:297] + "..."
    return (f'<section class="check {_css_class(report.status)}">'
            f'<div class="head"><h2>{escape(report.name)}</h2>'
            f'<span class="badge {_css_class(report.status)}">{escape(status)}</span></div>'
            + (f'<p class="summary">{escape(summary)}</p>' if summary else "")
            + _strip(report.strip, end) + f"<dl>{listed}</dl></section>")


def status_page(reports: Sequence[CheckReport], window: Window, *, host: str, generated: float,
                title: str | None = None) -> str:
    """The whole page as text: one file, viewable from disk, a web server or a phone."""
    found = counts(reports)
    tally = " \u00b7 ".join(f"{number} {name}" for name, number in found.items()) or "no checks recorded yet"
    worst = worst_status(reports)
    heading = title or f"Status of {host}"
    overall = "All checks OK" if reports and set(found) == {"OK"} else tally
    body = "".join(_check(report, window.end) for report in reports) or (
        '<p class="empty">No checks recorded yet: <code>cronchecks run --name NAME -- COMMAND</code> '
        "records them.</p>")
    legend = "".join(f'<span><i class="s-{key}" style="background:var(--{key})"></i>{label}</span>'
                     for key, label in _LEGEND)
    from cronchecks import __version__

    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="cronchecks {escape(__version__)}">
<title>{escape(heading)}: {escape(tally)}</title>
<style>{_CSS}</style>
</head>
<body>
<header class="{_css_class(worst)}">
<h1>{escape(heading)}</h1>
<p class="overall"><strong>{escape(overall)}</strong></p>
<p class="meta">Uptime over the {escape(window_words(window))}, to {escape(full_moment(window.end))}.
Generated {escape(full_moment(generated))}.</p>
</header>
<main>
{body}
</main>
<footer>
<div class="legend">{legend}</div>
<p>Each bar is half an hour, coloured by the worst state in force in it. Uptime is the share of the
time spent OK, each result holding until the next; p50/p95 are interpolated percentiles of the results
in the window. Made by cronchecks {escape(__version__)}.</p>
</footer>
</body>
</html>
"""


def write_page(path: Path, text: str) -> None:
    """Replace the page whole (a web server reading it sees the old or the new page), readable by others."""
    from cronchecks.support.atomicfile import write_atomically

    write_atomically(path, text.encode("utf-8"))
