"""The report's long view against a known 90-day history: days, incidents, series, charts, badges, the fleet."""

from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.core.result import Status
from cronchecks.report.document import SCHEMA, SCHEMA_VERSION, DocumentError, read_document
from cronchecks.report.timeline import daily, incidents
from tests.conftest import run_console_script
from tests.report_fixtures import DAY, HOUR, MIDNIGHT, Run, T, api_runs, record

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Calendar days are the reporting machine's: UTC here, so that every day boundary is known."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def history(tmp_path) -> Path:
    folder = tmp_path / "state"
    record(folder, "api", api_runs())
    record(folder, "fresh", [Run(T - 2 * HOUR, Status.OK, 0.1, 0.050)])  # a check first seen today
    return folder


def document_of(capsys, folder: Path, *extra: str) -> dict:
    from tests.report.test_report import run_report

    code, out, err = run_report(capsys, "--state-dir", str(folder), "--until", str(int(T)), "--format", "json",
                                *extra)
    assert code == 0, err
    return json.loads(out)


def check_of(document: dict, name: str) -> dict:
    return next(check for check in document["checks"] if check["name"] == name)


# --- the figures, against the history ------------------------------------------------------------


def test_days_are_calendar_days_coloured_by_their_worst_state(history, capsys):
    api = check_of(document_of(capsys, history), "api")
    days = api["daily"]
    assert len(days) == 90
    assert days[-1]["date"] == "2027-01-15" and days[-1]["start"] == MIDNIGHT and days[-1]["end"] == T
    by_back = {len(days) - 1 - index: day for index, day in enumerate(days)}
    # Before the first result: no data, not green.
    assert all(by_back[back]["status"] is None and by_back[back]["uptime"] is None for back in range(61, 90))
    assert by_back[60]["status"] == "OK" and by_back[60]["uptime"] == 100.0
    # Day -10: CRITICAL from 12:00 to midnight, 12 of 24 hours.
    assert by_back[10] | {} == {**by_back[10], "status": "CRITICAL", "uptime": 50.0, "incidents": 1, "results": 4}
    # Day -9 starts CRITICAL (in force from the day before) until its 00:00 run, which is OK.
    assert by_back[9]["status"] == "OK" and by_back[9]["uptime"] == 100.0 and by_back[9]["incidents"] == 0
    assert by_back[3]["status"] == "WARNING" and by_back[3]["uptime"] == 75.0 and by_back[3]["incidents"] == 1
    assert by_back[0]["status"] == "OK" and by_back[0]["results"] == 2  # 00:00 and 06:00, T is 08:00


def test_incidents_of_the_span_with_their_first_failure(history, capsys):
    api = check_of(document_of(capsys, history), "api")
    assert [(i["start"], i["end"], i["status"], i["duration"]) for i in api["incidents"]] == [
        (MIDNIGHT - 10 * DAY + 12 * HOUR, MIDNIGHT - 9 * DAY, "CRITICAL", 12 * HOUR),
        (MIDNIGHT - 3 * DAY, MIDNIGHT - 3 * DAY + 6 * HOUR, "WARNING", 6 * HOUR),
    ]
    assert api["incidents"][0]["summary"] == f"API CRITICAL - at {MIDNIGHT - 10 * DAY + 12 * HOUR:.0f}"


def test_uptimes_over_24_hours_7_days_and_the_span(history, capsys):
    api = check_of(document_of(capsys, history), "api")
    assert api["uptime_24h"] == 100.0
    assert api["uptime_7d"] == pytest.approx(100 * (7 * DAY - 6 * HOUR) / (7 * DAY))
    covered = T - (MIDNIGHT - 60 * DAY)  # the span, from the first result
    assert api["uptime_span"] == pytest.approx(100 * (covered - 18 * HOUR) / covered)
    fresh = check_of(document_of(capsys, history), "fresh")
    assert fresh["uptime_24h"] == 100.0 and [d["status"] for d in fresh["daily"]][-2:] == [None, "OK"]


def test_response_time_percentiles_per_hour_and_per_day(history, capsys):
    api = check_of(document_of(capsys, history), "api")
    hourly = api["perf_hourly"]
    assert hourly["uom"] == "s" and len(hourly["points"]) == 24
    counted = [p for p in hourly["points"] if p["count"]]
    assert [(p["start"], p["median"]) for p in counted] == [
        (MIDNIGHT - 12 * HOUR, 0.1), (MIDNIGHT - 6 * HOUR, 0.1), (MIDNIGHT, 0.1), (MIDNIGHT + 6 * HOUR, 0.1)]
    per_day = {len(api["perf_daily"]["points"]) - 1 - i: p for i, p in enumerate(api["perf_daily"]["points"])}
    assert per_day[10]["median"] == pytest.approx((0.1 + 2.0) / 2) and per_day[10]["count"] == 4
    assert per_day[10]["p95"] == 2.0  # 0.1, 0.1, 2, 2: position 2.85, between the two 2s
    assert per_day[70]["count"] == 0 and per_day[70]["median"] is None


@settings(max_examples=80, deadline=None)
@given(statuses=st.lists(st.sampled_from(list(Status)), min_size=1, max_size=40),
       gaps=st.lists(st.floats(60, 3 * DAY), min_size=40, max_size=40))
def test_days_agree_with_the_incidents_property(statuses, gaps):
    """Every incident's start day counts it, and a day with any non-OK time is never drawn OK."""
    from cronchecks.alerting.store import ResultRow

    at, rows = T - 30 * DAY, []
    for status, gap in zip(statuses, gaps, strict=False):
        rows.append(ResultRow("x", at, status, int(status), 0.1, status.name))
        at += gap
    rows = [r for r in rows if r.at <= T]
    days = daily(rows, T, 35)
    found = incidents(rows, type("W", (), {"start": T - 40 * DAY, "end": T})())  # a window over everything
    assert sum(day.incidents for day in days) == len(found)
    for day in days:
        if day.uptime is not None and day.uptime < 100.0:
            assert day.status is not Status.OK


# --- the page: charts, bars, overview ------------------------------------------------------------


def page_of(capsys, folder: Path, tmp_path: Path, *extra: str) -> str:
    from tests.report.test_report import run_report

    page = tmp_path / "status.html"
    code, _, err = run_report(capsys, "--state-dir", str(folder), "--until", str(int(T)), "--html", str(page), "-q",
                              *extra)
    assert code == 0, err
    return page.read_text()


def charts_of(html: str) -> list[tuple[ET.Element, list[str]]]:
    """Each chart's SVG (parsed) and its axis labels (HTML beside it)."""
    found = []
    for block in re.findall(r'<div class="chart">.*?</svg></div>', html, re.DOTALL):
        labels = re.findall(r"<span>(.*?)</span>", block.split("<svg", 1)[0])
        found.append((ET.fromstring(block[block.index("<svg"):-len("</div>")]), labels))
    return found


def test_the_charts_points_are_the_data(history, capsys, tmp_path):
    from cronchecks.report.html import CHART_HEIGHT, CHART_PAD

    html = page_of(capsys, history, tmp_path, "--check", "api")
    api = check_of(document_of(capsys, history, "--check", "api"), "api")
    (hourly_svg, hourly_labels), (daily_svg, daily_labels) = charts_of(html)
    assert hourly_labels == ["100 ms", "50 ms", "0"] and daily_labels == ["2.0 s", "1.0 s", "0"]  # in units
    for svg, series in ((hourly_svg, api["perf_hourly"]), (daily_svg, api["perf_daily"])):
        top = float(svg.get("data-top") or 0)
        assert svg.get("data-uom") == "s"
        assert top == max(p[k] for p in series["points"] for k in ("median", "p95") if p[k] is not None)
        for css, key in (("p50", "median"), ("p95", "p95")):
            line = next(e for e in svg.iter("polyline") if e.get("class") == css)  # inline SVG: no namespace
            pairs = (line.get("points") or "").split()
            values = [p[key] for p in series["points"] if p[key] is not None]
            assert len(pairs) == len(values)
            for pair, value in zip(pairs, values, strict=True):
                y = float(pair.split(",")[1])
                assert y == pytest.approx(CHART_PAD + (CHART_HEIGHT - 2 * CHART_PAD) * (1 - value / top), abs=0.06)


def bars_of(html: str, label: str) -> list[tuple[str, int, str]]:
    """A bar row's elements: (css class, how many days or half-hours it spans, its title)."""
    row = html.split(f'aria-label="{label}', 1)[1].split("</div>", 1)[0]
    element = r'<i class=(\w)(?: style="flex-grow:(\d+);--n:\d+")? title="([^"]*)"></i>'
    return [(css, int(span or 1), title) for css, span, title in re.findall(element, row)]


def test_each_bar_has_its_date_uptime_and_incidents_and_no_data_is_not_green(history, capsys, tmp_path):
    html = page_of(capsys, history, tmp_path, "--check", "api")
    bars = bars_of(html, "daily uptime")
    assert sum(span for _, span, _ in bars) == 90
    # The 29 days before the first result are one stub "no data" (a run of days drawn as one element).
    assert bars[0] == ("n", 29, "2026-10-18 to 2026-11-15: no data")
    assert ("c", 1, "2027-01-05: CRITICAL, 50.00% up, 1 incident") in bars
    assert ("w", 1, "2027-01-12: WARNING, 75.00% up, 1 incident") in bars
    assert bars[-1] == ("k", 3, "2027-01-13 to 2027-01-15: OK, 100% up, 0 incidents each")
    strip = bars_of(html, "the last 24 hours")
    assert strip == [("k", 48, "2027-01-14 08:00 to 08:00: OK each")]


def test_overview_lists_every_check_worst_first_with_words_and_symbols(tmp_path, capsys):
    folder = tmp_path / "state"
    record(folder, "b-ok", [Run(T - HOUR, Status.OK)])
    record(folder, "a-crit", [Run(T - HOUR, Status.CRITICAL)])
    record(folder, "c-warn", [Run(T - HOUR, Status.WARNING)])
    html = page_of(capsys, folder, tmp_path)
    overview = html[html.index("Overview"):html.index("</table>")]
    assert re.findall(r'<td class="st s-\w+">(.*?)</td><td class="name"><a href="#c-\w+">([\w-]+)</a>', overview) == [
        ("\u2716 CRITICAL", "a-crit"), ("\u25b2 WARNING", "c-warn"), ("\u2713 OK", "b-ok")]


def _ratio(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_aa_in_both_schemes():
    from cronchecks.report import html

    light, dark = re.findall(r":root\{(.*?)\}", html._CSS, re.DOTALL)[:2]
    for scheme in (light, dark):
        colours = dict(re.findall(r"--([\w-]+):(#[0-9a-f]{6})", scheme))
        for state in ("ok", "warning", "critical", "unknown"):
            assert _ratio(colours[state], colours["on"]) >= 4.5, (state, scheme[:20])  # badge and header text
            assert _ratio(colours[state], colours["card"]) >= 3.0, state  # bars and lines on a card
        assert _ratio(colours["none"], colours["card"]) >= 3.0
        assert _ratio(colours["text"], colours["card"]) >= 4.5 and _ratio(colours["muted"], colours["card"]) >= 4.5


# --- badges ----------------------------------------------------------------------------------------


def test_badges_are_svg_with_the_state_and_the_7_day_uptime(history, capsys, tmp_path):
    from tests.report.test_report import run_report

    folder = tmp_path / "badges"
    code, _, err = run_report(capsys, "--state-dir", str(history), "--until", str(int(T)), "--badges", str(folder),
                              "-q")
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == ["api.svg", "fresh.svg"]
    svg = ET.parse(folder / "api.svg").getroot()
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["api", "\u2713 OK 96.42%"]
    title = svg.find(f"{SVG}title")
    assert title is not None and (title.text or "").startswith("api: OK, uptime over 7 days 96.42%")


def test_badge_names_are_safe_file_names():
    from cronchecks.report.badges import badge_file_name

    assert badge_file_name("web/../../etc") == "web_.._.._etc.svg"
    assert badge_file_name("..") == "check.svg" and badge_file_name("db 1") == "db_1.svg"


# --- the document's schema -------------------------------------------------------------------------


def _fingerprint(shape, path="") -> list[str]:
    if isinstance(shape, list):
        return _fingerprint(shape[0], path + "[]")
    if isinstance(shape, dict):
        return [line for key in sorted(shape) for line in _fingerprint(shape[key], f"{path}.{key}")]
    return [f"{path}:{shape}"]


# The fields of each schema version. Changing SCHEMA without bumping SCHEMA_VERSION (and recording the new
# version's fields here) fails the test below: a reader of the old version would misread the new document.
FIELDS_BY_VERSION = {2: "927a0b", 3: "c9b3f8"}


def test_a_schema_change_needs_a_version_bump():
    import hashlib

    digest = hashlib.sha256("\n".join(_fingerprint(SCHEMA)).encode()).hexdigest()[:6]
    assert FIELDS_BY_VERSION.get(SCHEMA_VERSION) == digest, (
        f"SCHEMA changed: bump SCHEMA_VERSION and record {{{SCHEMA_VERSION + 1}: {digest!r}}} (now {digest})")


def test_every_document_fits_the_schema_and_says_nothing_beyond_it(history, capsys):
    document = document_of(capsys, history)
    read_document(json.dumps(document).encode(), "doc")  # fits

    def beyond(value, shape, path=""):
        if isinstance(shape, list):
            return [x for item in value for x in beyond(item, shape[0], path + "[]")]
        if isinstance(shape, dict) and "?" in shape:
            return [] if value is None else beyond(value, shape["?"], path)
        if isinstance(shape, dict) and "*" not in shape:
            extra = [f"{path}.{key}" for key in value if key not in shape]
            return extra + [x for key in shape for x in beyond(value[key], shape[key], f"{path}.{key}")]
        return []

    assert beyond(document, SCHEMA) == []


@pytest.mark.parametrize("change,words", [
    (lambda d: d.pop("schema_version"), "from an earlier release (no schema_version)"),
    (lambda d: d.update(schema_version=4), "from schema_version 4"),
    (lambda d: d["checks"][0].pop("daily"), "checks[0].daily is missing"),
    (lambda d: d["checks"][0]["daily"][0].update(status="GREEN"), "checks[0].daily[0].status is not a state name"),
    (lambda d: d["checks"][0].update(uptime_7d="99%"), "checks[0].uptime_7d is not a number or null"),
])
def test_a_document_that_departs_from_the_schema_is_named(history, capsys, change, words):
    document = document_of(capsys, history)
    change(document)
    with pytest.raises(DocumentError, match=re.escape(words)):
        read_document(json.dumps(document).encode(), "web1.json")


# --- the fleet -------------------------------------------------------------------------------------


def test_a_fleet_of_three_hosts_one_of_them_corrupt(history, tmp_path, capsys):
    other = tmp_path / "other-state"
    record(other, "api", [Run(T - DAY, Status.OK, 0.1, 0.2), Run(T - HOUR, Status.CRITICAL, 0.1, 3.0)])
    web1, web2, broken = tmp_path / "web1.json", tmp_path / "web2.json", tmp_path / "db1.json"
    web1.write_text(json.dumps(document_of(capsys, history, "--host", "web1")))
    web2.write_text(json.dumps(document_of(capsys, other, "--host", "web2")))
    broken.write_text(web1.read_text()[:5000])  # cut short by a failed copy
    page, badges = tmp_path / "fleet.html", tmp_path / "badges"
    done = run_console_script("cronchecks", "report", "--merge", str(web1), str(web2), str(broken),
                              "--html", str(page), "--badges", str(badges), env={"TZ": "UTC"})
    assert done.code == 0, done.stderr
    assert done.stderr.count("\n") == 1 and f"{broken} is not a report document: not JSON" in done.stderr
    html = page.read_text()
    assert "<h1>Status of 2 hosts</h1>" in html
    assert html.index('<h2 class="host">web2</h2>') < html.index('<h2 class="host">web1</h2>')  # worst host first
    overview = html[html.index("Overview"):html.index("</table>")]
    assert re.findall(r'<td class="name">(web\d)</td>', overview) == ["web2", "web1", "web1"]  # worst checks first
    assert "Not drawn: " in html and "db1.json" in html
    assert sorted(p.name for p in badges.iterdir()) == ["web1-api.svg", "web1-fresh.svg", "web2-api.svg"]


def test_a_merge_where_nothing_can_be_read_is_unknown(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    done = run_console_script("cronchecks", "report", "--merge", str(tmp_path / "a.json"), str(tmp_path / "none.json"),
                              "--html", str(tmp_path / "f.html"))
    assert done.code == 3 and done.stdout.startswith("CRONCHECKS UNKNOWN - no report document could be read: ")
    assert not (tmp_path / "f.html").exists()


@pytest.mark.parametrize("argv,words", [
    (["--merge", "--html", "f.html"], "--merge needs the hosts' report documents"),
    (["--merge", "a.json"], "--merge draws a fleet: give --html FILE and/or --badges DIR"),
    (["a.json"], "FILE arguments go with --merge"),
    (["--days", "0"], "invalid --days 0"),
])
def test_fleet_mistakes_are_one_line(tmp_path, argv, words):
    done = run_console_script("cronchecks", "report", *argv)
    assert done.code == 3 and words in done.stdout, done.stdout


# --- the terminal ----------------------------------------------------------------------------------


def test_the_rich_table_has_a_sparkline_of_the_last_24_hours(history):
    import io

    from rich.console import Console

    from cronchecks.cli.report import print_rich_table
    from cronchecks.report.figures import Window, check_report
    from cronchecks.report.history import History

    window = Window(T - DAY, T)
    with History(history) as store:
        reports = [check_report(name, store.rows(name, T - 2 * DAY, T), store.streak(name, T), window)
                   for name in store.names()]
    buffer = io.StringIO()
    print_rich_table(reports, window, "time", "web1",
                     Console(file=buffer, width=260, color_system=None, highlight=False, markup=False))
    lines = {line.split()[1]: line for line in buffer.getvalue().splitlines() if line.startswith("\u2502 ")}
    assert "\u2581" * 24 in lines["api"]  # 24 OK hours
    assert lines["fresh"].count("\u00b7") == 22 and "\u2581\u2581" in lines["fresh"]  # no data before its first run


def test_a_history_made_by_the_real_wrapper(tmp_path):
    """Results recorded by `cronchecks run` itself: a failure and a recovery today are a bar and an incident."""
    state = tmp_path / "state"
    for code in (0, 2, 2, 0):
        done = run_console_script("cronchecks", "run", "--state-dir", str(state), "--name", "job", "--",
                                  "sh", "-c", f"echo 'JOB {('OK', '', 'CRITICAL')[code]} - step' ; exit {code}")
        assert done.code == code
    done = run_console_script("cronchecks", "report", "--state-dir", str(state), "--format", "json", "--days", "7")
    assert done.code == 0, done.stderr
    job = check_of(read_document(done.stdout.encode(), "stdout"), "job")
    assert [day["status"] for day in job["daily"]][:-1] == [None] * 6
    assert job["daily"][-1]["status"] == "CRITICAL" and job["daily"][-1]["incidents"] == 1
    assert job["daily"][-1]["results"] == 4
    (incident,) = job["incidents"]
    assert incident["status"] == "CRITICAL" and incident["end"] is not None
    assert "JOB CRITICAL - step" in incident["summary"]  # the first failing run's summary
