"""A report as one static HTML status page: inline CSS and SVG, no scripts, nothing fetched from the network.

Drawn from report documents (`cronchecks.report.document`), so that one host's page and a fleet's page
(`--merge`) are the same page: an overview of every check worst first, then each check with its 90-day bar,
its last 24 hours, its response times as a chart, its figures and its incidents. Every state is told by a
word and a shape (a symbol, a bar's height) as well as a colour, and the colours meet WCAG AA in both schemes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from cronchecks.core.thresholds import format_duration
from cronchecks.report.text import full_moment, moment, uptime_text, value_text

# Light: white text on each state's colour; dark: dark text. Each colour is at least 4.5:1 against its text
# and 3:1 against the cards (tests/report/test_status_page.py computes the ratios from this sheet).
_CSS = """
:root{--ok:#17753f;--warning:#9a6200;--critical:#c42f2f;--unknown:#7a52b8;--none:#8a919c;--on:#ffffff;
--bg:#f4f6f8;--card:#ffffff;--text:#1d2330;--muted:#5d6675;--line:#e3e7ec}
@media (prefers-color-scheme:dark){:root{--ok:#3fb871;--warning:#e8a200;--critical:#f06a6a;--unknown:#a98be0;
--none:#6b7380;--on:#12151b;--bg:#12151b;--card:#1b2029;--text:#e6e9ee;--muted:#9aa3b2;--line:#2b323e}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:1.1rem 1rem 1rem;color:var(--on);background:var(--ok)}
header.s-warning{background:var(--warning)}header.s-critical{background:var(--critical)}
header.s-unknown{background:var(--unknown)}header.s-none{background:var(--none)}
header h1{margin:0;font-size:1.35rem;line-height:1.25;overflow-wrap:anywhere}
header p{margin:.3rem 0 0}.meta{font-size:.9rem}
main,footer{max-width:64rem;margin:0 auto;padding:1rem}
main{display:grid;gap:1rem;min-width:0}
h2.host{margin:.6rem 0 0;font-size:1.2rem;overflow-wrap:anywhere}
.card,.check{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.9rem 1rem;min-width:0}
.check{border-left:.45rem solid var(--none)}
.check.s-ok{border-left-color:var(--ok)}.check.s-warning{border-left-color:var(--warning)}
.check.s-critical{border-left-color:var(--critical)}.check.s-unknown{border-left-color:var(--unknown)}
.head{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .7rem}
.head h3{margin:0;font-size:1.1rem;overflow-wrap:anywhere;flex:1 1 auto}
.badge{font-size:.8rem;font-weight:700;letter-spacing:.03em;padding:.15rem .55rem;border-radius:1rem;
color:var(--on);background:var(--none);white-space:nowrap}
.s-ok>.badge,.badge.s-ok{background:var(--ok)}.badge.s-warning{background:var(--warning)}
.badge.s-critical{background:var(--critical)}.badge.s-unknown{background:var(--unknown)}
.summary{margin:.35rem 0 .6rem;color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
h4{margin:.7rem 0 .2rem;font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em;
font-weight:600}
.bars{display:flex;align-items:flex-end;gap:1px;height:2rem}
.bars i{flex:1 1 0;min-width:0;border-radius:1px;background:var(--none);height:25%}
.bars .k{background:var(--ok);height:100%}.bars .u{background:var(--unknown);height:75%}
.bars .w{background:var(--warning);height:60%}.bars .c{background:var(--critical);height:45%}
.bars i[style]{background-image:linear-gradient(90deg,transparent calc(100% - 1px),var(--card) calc(100% - 1px));
background-size:calc((100% + 1px) / var(--n)) 100%}
.axis{display:flex;justify-content:space-between;color:var(--muted);font-size:.75rem;margin:.15rem 0 0}
.chart{display:flex;gap:.35rem;height:5.5rem;margin-top:.3rem}
.yaxis{display:flex;flex-direction:column;justify-content:space-between;min-width:3.6rem;text-align:right;
color:var(--muted);font-size:.72rem;line-height:1}
svg.plot{flex:1 1 auto;min-width:0;width:100%;height:100%;display:block}
svg.plot *{vector-effect:non-scaling-stroke}
svg.plot .grid{stroke:var(--line);stroke-width:1}
svg.plot polyline{fill:none}svg.plot .p50{stroke:var(--ok);stroke-width:2;fill:none}
svg.plot .p95{stroke:var(--critical);stroke-width:1.5;stroke-dasharray:5 3;fill:none}
svg.plot circle.p50{fill:var(--ok);stroke:none}svg.plot circle.p95{fill:var(--critical);stroke:none}
.chart-axis{margin-left:3.95rem}
.key{color:var(--muted);font-size:.8rem}.key b{font-weight:600}
dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.5rem .9rem;margin:.6rem 0 0}
dl div{min-width:0}dt{color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.03em}
dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.75rem;text-transform:uppercase}
td.name{overflow-wrap:anywhere}td a{color:inherit}
.st{font-weight:700;white-space:nowrap}.st.s-ok{color:var(--ok)}.st.s-warning{color:var(--warning)}
.st.s-critical{color:var(--critical)}.st.s-unknown{color:var(--unknown)}.st.s-none{color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;color:var(--muted);font-size:.85rem}
.legend i{display:inline-block;width:.8rem;border-radius:1px;margin-right:.3rem;vertical-align:bottom}
footer p{color:var(--muted);font-size:.85rem;margin:.5rem 0}
@media (max-width:40rem){.hide-narrow{display:none}}
"""

# A word and a symbol for every state, beside its colour: the page reads right in black and white too.
SYMBOLS = {"OK": "\u2713", "WARNING": "\u25b2", "CRITICAL": "\u2716", "UNKNOWN": "?", None: "\u2013"}
_BAR_CLASS = {"OK": "k", "WARNING": "w", "CRITICAL": "c", "UNKNOWN": "u", None: "n"}
_INCIDENTS_SHOWN = 5
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 1000, 100, 3  # the charts' drawing units (stretched to the card)
_MARKED_POINTS = 12


def rank(status: str | None) -> int:
    """The one severity order (core.result) for a state's name; no data below OK."""
    from cronchecks.core.result import Status, severity

    return -1 if status is None else severity(Status[status])


def state_word(status: str | None) -> str:
    return f"{SYMBOLS[status]} {status or 'NO DATA'}"


def _css(status: str | None) -> str:
    return f"s-{status.lower()}" if status else "s-none"


def _anchor(host: str, name: str, fleet: bool) -> str:
    import hashlib

    key = f"{host}\0{name}" if fleet else name
    return "c-" + hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def worst_first(checks: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """(host, check) pairs, CRITICAL first, then by host and name; checks without data last."""
    return sorted(checks, key=lambda pair: (-rank(pair[1]["status"]) if pair[1]["status"] else 1,
                                            pair[1]["name"], pair[0]))


def _runs(cells: Sequence[tuple[str, str, str, str]]) -> str:
    """Bars from (css class, label, label as a run's end, words), neighbours with the same class and words drawn as one
    element spanning them: a quiet 90 days is a few elements, not 90 (a 200-check page stays small). A
    run's days stay visible: `--n` draws the gaps between them as a pattern over the one element."""
    out, index = [], 0
    while index < len(cells):
        css, first, _, words = cells[index]
        last = index
        while last + 1 < len(cells) and cells[last + 1][0] == css and cells[last + 1][3] == words:
            last += 1
        count = last - index + 1
        if count == 1:
            out.append(f'<i class={css} title="{escape(first)}: {escape(words)}"></i>')
        else:
            label = f"{first} to {cells[last][2]}: {words}" + (" each" if css != "n" else "")
            out.append(f'<i class={css} style="flex-grow:{count};--n:{count}" title="{escape(label)}"></i>')
        index = last + 1
    return "".join(out)


def _bars(days: Sequence[dict[str, Any]]) -> str:
    cells = []
    for day in days:
        plural = "" if day["incidents"] == 1 else "s"
        words = "no data" if day["status"] is None else \
            f"{day['status']}, {uptime_text(day['uptime'])} up, {day['incidents']} incident{plural}"
        if day.get("in_downtime"):  # counted apart: the uptime is over the time outside it
            words += f", {format_duration(day['in_downtime'])} in downtime"
        cells.append((_BAR_CLASS[day["status"]], day["date"], day["date"], words))
    bad = sum(1 for day in days if day["status"] not in (None, "OK"))
    empty = sum(1 for day in days if day["status"] is None)
    label = f"daily uptime over {len(days)} days: {bad} with problems, {empty} without data"
    first = days[0]["date"] if days else ""
    return (f'<div class="bars" role="img" aria-label="{escape(label)}">{_runs(cells)}</div>'
            f'<div class="axis"><span>{escape(first)}</span><span>{len(days)} days</span><span>today</span></div>')


def _strip(strip: dict[str, Any], end: float) -> str:
    statuses = strip["statuses"]
    if not statuses:
        return ""
    start, width = strip["start"] or 0, strip["bucket"] or 0
    cells = [(_BAR_CLASS[status], moment(start + index * width, end), moment(start + (index + 1) * width, end),
              status or "no data") for index, status in enumerate(statuses)]
    bad = sum(1 for status in statuses if status not in (None, "OK"))
    label = f"the last 24 hours: {bad} of {len(statuses)} half-hours not OK"
    return (f'<div class="bars" role="img" aria-label="{escape(label)}">{_runs(cells)}</div>'
            '<div class="axis"><span>24h ago</span><span>12h</span><span>now</span></div>')


def chart(series: dict[str, Any], label: str, caption: str, start_words: str, end_words: str) -> str:
    """p50 and p95 of one perfdata value as an inline SVG line chart, its axis labelled in units.

    The lines are an SVG stretched to the card's width (strokes kept thin by non-scaling-stroke); the
    axis labels are HTML beside it, so that they stay legible on a phone and on a wide screen alike.
    """
    points = series["points"]
    values = [p[key] for p in points for key in ("median", "p95") if p[key] is not None]
    if not values:
        return f'<p class="key">{escape(caption)}: no {escape(label)} values recorded.</p>'
    top_value = max(values) or 1.0
    uom = series["uom"]

    def x(index: int) -> float:
        return CHART_WIDTH * (index + 0.5) / len(points)

    def y(value: float) -> float:
        return CHART_PAD + (CHART_HEIGHT - 2 * CHART_PAD) * (1 - value / top_value)

    def line(key: str, css: str) -> str:
        # The buckets with a value, joined: a check run every 6 hours still draws a line over the day.
        found = [(x(index), y(point[key])) for index, point in enumerate(points) if point[key] is not None]
        drawn = f'<polyline class="{css}" points="{" ".join(f"{px:.0f},{py:.1f}" for px, py in found)}"/>'
        if len(found) <= _MARKED_POINTS:  # few values: each one marked, so that a lone one shows
            drawn += "".join(f'<circle class="{css}" cx="{px:.1f}" cy="{py:.1f}" r="3"/>' for px, py in found)
        return drawn

    summary = f"{caption}: {label} p50 and p95, up to {value_text(top_value, uom)}"
    return (f'<div class="chart"><div class="yaxis"><span>{escape(value_text(top_value, uom))}</span>'
            f'<span>{escape(value_text(top_value / 2, uom))}</span><span>0</span></div>'
            f'<svg class="plot" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" preserveAspectRatio="none" role="img" '
            f'aria-label="{escape(summary)}" data-top="{top_value!r}" data-uom="{escape(uom)}">'
            f'<line class="grid" x1="0" y1="{CHART_PAD}" x2="{CHART_WIDTH}" y2="{CHART_PAD}"/>'
            f'<line class="grid" x1="0" y1="{CHART_HEIGHT / 2:g}" x2="{CHART_WIDTH}" y2="{CHART_HEIGHT / 2:g}"/>'
            f'<line class="grid" x1="0" y1="{CHART_HEIGHT - CHART_PAD}" x2="{CHART_WIDTH}" '
            f'y2="{CHART_HEIGHT - CHART_PAD}"/>' + line("median", "p50") + line("p95", "p95") + "</svg></div>"
            f'<div class="axis chart-axis"><span>{escape(start_words)}</span><span>{escape(end_words)}</span></div>'
            f'<p class="key">{escape(caption)} \u00b7 <b>\u2014 p50</b> \u00b7 <b>- - p95</b> ({escape(label)}, '
            f'{escape(uom or "no unit")})</p>')


def _held(incident: dict[str, Any]) -> str:
    """The mark of an incident that was (partly) in a downtime: its messages were held."""
    held = incident.get("in_downtime")
    return f" ({escape(format_duration(held))} in downtime)" if held else ""


def _incidents(check: dict[str, Any], end: float) -> str:
    found = check["incidents"]
    if not found:
        return '<p class="key">No incidents in the span.</p>'
    rows = []
    for incident in reversed(found[-_INCIDENTS_SHOWN:]):
        until = "ongoing" if incident["end"] is None else moment(incident["end"], end)
        summary = incident["summary"] if len(incident["summary"]) <= 160 else incident["summary"][:157] + "..."
        rows.append(f'<tr><td class="st {_css(incident["status"])}">{escape(state_word(incident["status"]))}</td>'
                    f"<td>{escape(moment(incident['start'], end))}</td><td>{escape(until)}</td>"
                    f"<td>{escape(format_duration(incident['duration']))}{_held(incident)}</td>"
                    f'<td class="hide-narrow">{escape(summary)}</td></tr>')
    more = len(found) - _INCIDENTS_SHOWN
    tail = f'<p class="key">and {more} earlier incident{"s" if more != 1 else ""}</p>' if more > 0 else ""
    return ('<div class="scroll"><table><thead><tr><th>State</th><th>Start</th><th>End</th><th>Duration</th>'
            '<th class="hide-narrow">First failure</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div>"
            + tail)


def _check(host: str, check: dict[str, Any], end: float, days: int, perf: str, fleet: bool) -> str:
    status = check["status"]
    since = "-" if check["since"] is None else \
        f"{moment(check['since'], end)} ({format_duration(max(0.0, end - check['since']))})"
    figures = [
        ("Uptime 24 h", uptime_text(check["uptime_24h"])),
        ("Uptime 7 days", uptime_text(check["uptime_7d"])),
        (f"Uptime {days} days", uptime_text(check["uptime_span"])),
        ("Since", since),
        ("Failed / runs", f"{check['failures']} / {check['results']}"),
        ("Last run", moment(check["last_run"], end)),
    ]
    listed = "".join(f"<div><dt>{escape(name)}</dt><dd>{escape(value)}</dd></div>" for name, value in figures)
    summary = check["last_summary"] if len(check["last_summary"]) <= 300 else check["last_summary"][:297] + "..."
    label = check["perf"]["label"] or perf
    return (f'<section class="check {_css(status)}" id="{_anchor(host, check["name"], fleet)}">'
            f'<div class="head"><h3>{escape(check["name"])}</h3>'
            f'<span class="badge {_css(status)}">{escape(state_word(status))}</span></div>'
            + (f'<p class="summary">{escape(summary)}</p>' if summary else "")
            + f"<h4>Daily uptime, {days} days</h4>" + _bars(check["daily"])
            + "<h4>Last 24 hours</h4>" + _strip(check["strip"], end)
            + f"<h4>{escape(label)}</h4>"
            + chart(check["perf_hourly"], label, "per hour, last 24 hours", "24h ago", "now")
            + chart(check["perf_daily"], label, f"per day, {days} days", check["daily"][0]["date"]
                    if check["daily"] else "", "today")
            + f"<dl>{listed}</dl><h4>Incidents</h4>" + _incidents(check, end) + "</section>")


def _overview(pairs: Sequence[tuple[str, dict[str, Any]]], end: float, days: int, fleet: bool) -> str:
    rows = []
    for host, check in pairs:
        status = check["status"]
        since = "-" if check["since"] is None else moment(check["since"], end)
        rows.append(f'<tr><td class="st {_css(status)}">{escape(state_word(status))}</td>'
                    f'<td class="name"><a href="#{_anchor(host, check["name"], fleet)}">{escape(check["name"])}</a>'
                    "</td>" + (f'<td class="name">{escape(host)}</td>' if fleet else "")
                    + f'<td class="hide-narrow">{escape(since)}</td><td>{escape(uptime_text(check["uptime_24h"]))}</td>'
                    f'<td>{escape(uptime_text(check["uptime_7d"]))}</td>'
                    f'<td class="hide-narrow">{escape(uptime_text(check["uptime_span"]))}</td></tr>')
    host_heading = "<th>Host</th>" if fleet else ""
    return ('<section class="card"><h2 class="host">Overview</h2><div class="scroll"><table><thead><tr>'
            f'<th>State</th><th>Check</th>{host_heading}<th class="hide-narrow">Since</th><th>24 h</th><th>7 days</th>'
            f'<th class="hide-narrow">{days} days</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></div>"
            "</section>")


def status_page(documents: Sequence[dict[str, Any]], *, generated: float, title: str | None = None,
                problems: Sequence[str] = ()) -> str:
    """The whole page as text: one file, viewable from disk, a web server or a phone.

    One document is one host's page; several are a fleet's, with a section per host and the
    overview across all of them. `problems` are documents that could not be read, named on the page.
    """
    fleet = len(documents) > 1 or bool(problems)
    pairs = [(doc["host"], check) for doc in documents for check in doc["checks"]]
    ordered = worst_first(pairs)
    end = max((doc["until"] for doc in documents), default=generated)
    days = max((doc["days"] for doc in documents), default=0)
    perf = documents[0]["perf"] if documents else "time"
    found: dict[str, int] = {}
    for _, check in ordered:
        key = check["status"] or "NO DATA"
        found[key] = found.get(key, 0) + 1
    tally = " \u00b7 ".join(f"{number} {name}" for name, number in found.items()) or "no checks recorded yet"
    worst = next((check["status"] for _, check in ordered if check["status"]), None)
    hosts = sorted({doc["host"] for doc in documents})
    heading = title or (f"Status of {len(hosts)} hosts" if fleet else f"Status of {hosts[0]}" if hosts else "Status")
    overall = "All checks OK" if ordered and set(found) == {"OK"} else tally
    sections = []
    if ordered:
        sections.append(_overview(ordered, end, days, fleet))
    for doc in sorted(documents, key=lambda d: (min((-rank(c["status"]) for c in d["checks"]), default=0), d["host"])):
        if fleet:
            sections.append(f'<h2 class="host">{escape(doc["host"])}</h2>')
        sections.extend(_check(doc["host"], check, doc["until"], doc["days"], doc["perf"], fleet)
                        for _, check in worst_first([(doc["host"], c) for c in doc["checks"]]))
    if not ordered:
        sections.append('<p class="card">No checks recorded yet: <code>cronchecks run --name NAME -- COMMAND</code> '
                        "records them.</p>")
    sections.extend(f'<p class="card">{escape(SYMBOLS["UNKNOWN"])} Not drawn: {escape(problem)}</p>'
                    for problem in problems)
    legend = "".join(f'<span><i class="{_BAR_CLASS[key]}" style="background:var(--{(key or "none").lower()});'
                     f'height:{height}"></i>{escape(state_word(key))}</span>'
                     for key, height in (("OK", ".8rem"), ("WARNING", ".5rem"), ("CRITICAL", ".4rem"),
                                         ("UNKNOWN", ".6rem"), (None, ".2rem")))
    from cronchecks import __version__

    stamp = datetime.fromtimestamp(end).astimezone().strftime("%Y-%m-%d %H:%M")
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
<header class="{_css(worst)}">
<h1>{escape(heading)}</h1>
<p class="overall"><strong>{escape(overall)}</strong></p>
<p class="meta">{days} days of history to {escape(stamp)}. Generated {escape(full_moment(generated))}.</p>
</header>
<main>
{"".join(sections)}
</main>
<footer>
<div class="legend">{legend}</div>
<p>A daily bar is a calendar day, a strip bar half an hour, each drawn by the worst state in force in it, its height
telling the state as its colour does; hover a bar for its date, uptime and incidents. Uptime is the share of the time
spent OK, each result holding until the next. The charts give the median (p50) and the 95th percentile of {escape(perf)}
per hour and per day. Made by cronchecks {escape(__version__)}.</p>
</footer>
</body>
</html>
"""


def write_page(path: Path, text: str) -> None:
    """Replace the page whole (a web server reading it sees the old or the new page), readable by others."""
    from cronchecks.support.atomicfile import write_atomically

    write_atomically(path, text.encode("utf-8"))
