"""cronchecks report: figures from known histories, its outputs, the status page in Chromium, the daily summary."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.cli import main
from cronchecks.core.hostname import host_name
from cronchecks.core.result import Status
from cronchecks.report.figures import Window, check_report, quantile, status_strip, time_in_states, uptime_percent
from cronchecks.report.history import History
from tests.conftest import Reply, run_console_script
from tests.report_fixtures import CHROMIUM, DAY, HOUR, Run, T, chromium, known_histories, read_png, record


@pytest.fixture
def store(tmp_path) -> Path:
    folder = tmp_path / "state"
    known_histories(folder)
    return folder


def run_report(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def report_json(capsys, store: Path, *args: str) -> dict:
    code, out, _ = run_report(capsys, "--state-dir", str(store), "--until", str(int(T)), "--format", "json", *args)
    assert code == 0, out
    return json.loads(out)


def by_name(document: dict) -> dict[str, dict]:
    return {check["name"]: check for check in document["checks"]}


# --- figures from known histories ----------------------------------------------------------------


def test_uptime_is_time_weighted_from_the_state_in_force_at_the_start(store, capsys):
    web = by_name(report_json(capsys, store))["web"]
    # OK from before the window (its result came 10 min before the start) until 2h before T,
    # CRITICAL 1h, WARNING 30 min, OK 30 min: 81000 s of 86400 OK. Counting samples would say 1 in 3.
    assert web["seconds"] == {"OK": 81000.0, "WARNING": 1800.0, "CRITICAL": 3600.0, "UNKNOWN": 0.0}
    assert web["covered"] == 86400.0
    assert web["uptime"] == 93.75
    assert (web["failures"], web["results"]) == (2, 3)  # the result before the window is not counted
    assert web["status"] == "OK" and web["since"] == T - HOUR / 2
    assert web["last_change"] == {"at": T - HOUR / 2, "from": "WARNING", "to": "OK"}
    assert web["incident"] is None


def test_time_before_the_first_result_is_not_counted(store, capsys):
    db = by_name(report_json(capsys, store))["db"]
    # First seen 12h before T: OK 6h, WARNING 3h, CRITICAL 3h (still): half the known time OK.
    assert db["covered"] == 12 * HOUR
    assert db["uptime"] == 50.0
    assert (db["failures"], db["results"]) == (2, 3)


def test_open_incident_and_its_downtime_are_exact(store, capsys):
    db = by_name(report_json(capsys, store))["db"]
    # The problem began with the WARNING 6h before T; it escalated to CRITICAL 3h before T.
    assert db["incident"] == {"status": "CRITICAL", "since": T - 6 * HOUR, "downtime": 6 * HOUR}
    assert db["status"] == "CRITICAL" and db["since"] == T - 3 * HOUR
    assert db["last_change"] == {"at": T - 3 * HOUR, "from": "WARNING", "to": "CRITICAL"}
    # An hour later, the same incident is an hour longer.
    later = by_name(report_json(capsys, store, "--until", str(int(T + HOUR))))["db"]
    assert later["incident"]["downtime"] == 7 * HOUR


def test_median_and_p95_by_linear_interpolation(store, capsys):
    checks = by_name(report_json(capsys, store))
    queue = checks["queue"]
    # Durations 1..20 s: median (10 + 11) / 2, p95 at position 19 * 0.95 = 18.05 -> 19 + 0.05 * 1.
    assert queue["duration"] == {"median": 10.5, "p95": pytest.approx(19.05), "count": 20}
    # Response times 10..200 ms, reported in seconds.
    assert queue["perf"]["uom"] == "s" and queue["perf"]["count"] == 20
    assert queue["perf"]["median"] == pytest.approx(0.105) and queue["perf"]["p95"] == pytest.approx(0.1905)
    assert queue["uptime"] == 100.0 and queue["last_change"] is None and queue["incident"] is None
    # web wrote its time once in ms and once in s: both count, in seconds.
    web = checks["web"]
    assert web["perf"]["median"] == pytest.approx(0.5) and web["perf"]["p95"] == pytest.approx(0.86)
    assert web["duration"]["median"] == pytest.approx(0.4) and web["duration"]["p95"] == pytest.approx(9.04)


def test_quantile_definition():
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.95) == 7.0
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile(range(1, 21), 0.95) == pytest.approx(19.05)
    assert quantile(range(1, 101), 0.95) == pytest.approx(95.05)


def test_strip_colours_each_half_hour_by_the_worst_state_in_force(store):
    with History(store) as history:
        web = status_strip(history.rows("web", T - DAY, T), T)
        db = status_strip(history.rows("db", T - DAY, T), T)
    assert len(web) == 48 and web[0].start == T - DAY and web[-1].end == T
    assert [b.status for b in web] == [Status.OK] * 44 + [Status.CRITICAL] * 2 + [Status.WARNING, Status.OK]
    assert [b.results for b in web][-4:] == [1, 0, 1, 1]
    assert [b.status for b in db] == [None] * 24 + [Status.OK] * 12 + [Status.WARNING] * 6 + [Status.CRITICAL] * 6


def test_a_blip_shorter_than_the_next_result_still_shows():
    class Row:
        def __init__(self, at, status):
            self.at, self.status, self.duration, self.perfdata = at, status, 0.0, ()

    rows = [Row(T - 100, Status.OK), Row(T - 50, Status.CRITICAL), Row(T - 50, Status.OK)]
    assert status_strip(rows, T)[-1].status is Status.CRITICAL
    assert time_in_states(rows, Window(T - 100, T))[Status.CRITICAL] == 0.0


def test_checks_are_listed_worst_first_and_counted(store, capsys):
    document = report_json(capsys, store)
    assert [check["name"] for check in document["checks"]] == ["db", "queue", "web"]
    assert document["counts"] == {"CRITICAL": 1, "OK": 2} and document["status"] == "CRITICAL"


def test_a_window_in_the_past(store, capsys):
    # --until 2h30m before T: web was still OK (its CRITICAL came at T - 2h), db already WARNING.
    checks = by_name(report_json(capsys, store, "--until", str(int(T - 2.5 * HOUR)), "--since", "1h"))
    assert checks["web"]["status"] == "OK" and checks["web"]["uptime"] == 100.0
    assert checks["db"]["status"] == "CRITICAL" and checks["db"]["incident"]["downtime"] == 3.5 * HOUR
    early = by_name(report_json(capsys, store, "--until", str(int(T - 4 * HOUR))))["db"]
    assert early["status"] == "WARNING" and early["incident"]["downtime"] == 2 * HOUR
    assert early["last_change"] == {"at": T - 6 * HOUR, "from": "OK", "to": "WARNING"}


# --- properties of the uptime computation ------------------------------------------------------

statuses = st.sampled_from(list(Status))
histories = st.lists(st.tuples(st.integers(0, 10_000), statuses), max_size=30).map(
    lambda pairs: [Run(float(at), status) for at, status in sorted(pairs, key=lambda p: p[0])])


@settings(max_examples=200, deadline=None)
@given(rows=histories, start=st.integers(0, 10_000), length=st.integers(1, 10_000))
def test_uptime_is_a_percentage(rows, start, length):
    window = Window(float(start), float(start + length))
    spent = time_in_states(rows, window)
    uptime = uptime_percent(spent)
    assert sum(spent.values()) <= length + 1e-9
    assert uptime is None or 0.0 <= uptime <= 100.0
    if rows and rows[0].at <= window.start:
        assert sum(spent.values()) == pytest.approx(length)  # known from the start: all covered


@settings(max_examples=200, deadline=None)
@given(rows=histories, start=st.integers(0, 10_000), length=st.integers(1, 10_000))
def test_only_ok_results_is_100_percent(rows, start, length):
    rows = [run._replace(status=Status.OK) for run in rows]
    uptime = uptime_percent(time_in_states(rows, Window(float(start), float(start + length))))
    assert uptime is None or uptime == 100.0


@settings(max_examples=200, deadline=None)
@given(rows=histories, start=st.integers(0, 10_000), first=st.integers(0, 5_000), second=st.integers(0, 5_000))
def test_time_in_states_is_additive_over_a_split_window(rows, start, first, second):
    middle, end = start + first, start + first + second
    whole = time_in_states(rows, Window(float(start), float(end)))
    left = time_in_states(rows, Window(float(start), float(middle)))
    right = time_in_states(rows, Window(float(middle), float(end)))
    for status in Status:
        assert whole[status] == pytest.approx(left[status] + right[status])
    # hence uptime over the whole is the covered-time-weighted mean of the halves' uptimes
    covered = [sum(part.values()) for part in (left, right)]
    if sum(covered):
        halves = [uptime_percent(part) or 0.0 for part in (left, right)]
        mean = (halves[0] * covered[0] + halves[1] * covered[1]) / sum(covered)
        assert uptime_percent(whole) == pytest.approx(mean)


@settings(max_examples=100, deadline=None)
@given(rows=histories, end=st.integers(0, 12_000))
def test_strip_agrees_with_the_time_in_each_state(rows, end):
    from cronchecks.core.result import worst

    strip = status_strip(rows, float(end), span=2400.0, buckets=12)
    for bucket in strip:
        spent = time_in_states(rows, Window(bucket.start, bucket.end))
        recorded = [run.status for run in rows if bucket.start <= run.at < bucket.end
                    or (bucket is strip[-1] and run.at == bucket.end)]
        present = [status for status, seconds in spent.items() if seconds > 0] + recorded
        assert bucket.status == (worst(present) if present else None)
        assert bucket.results == len(recorded)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(0, 1e6), min_size=1, max_size=50), q=st.floats(0, 1))
def test_quantile_lies_between_the_extremes(values, q):
    assert min(values) <= quantile(values, q) <= max(values)


# --- the command -------------------------------------------------------------------------------


def test_json_shape(store, capsys):
    document = report_json(capsys, store)
    assert set(document) == {"schema_version", "host", "generated", "since", "until", "window", "perf", "days",
                             "status", "counts", "checks"}
    assert document["schema_version"] == 3 and document["days"] == 90
    assert document["until"] == T and document["since"] == T - DAY and document["window"] == DAY
    assert document["perf"] == "time"
    check = by_name(document)["db"]
    assert set(check) == {"name", "status", "since", "last_run", "last_summary", "uptime", "covered", "in_downtime",
                          "seconds", "results", "failures", "duration", "perf", "incident", "last_change", "strip",
                          "uptime_24h", "uptime_7d", "uptime_span", "daily", "incidents", "perf_hourly", "perf_daily"}
    assert check["last_run"] == T - 3 * HOUR and check["last_summary"] == f"DB CRITICAL - at {T - 3 * HOUR:.0f}"
    assert set(check["perf"]) == {"label", "uom", "median", "p95", "count"}
    assert check["strip"]["start"] == T - DAY and check["strip"]["bucket"] == 1800.0
    assert len(check["strip"]["statuses"]) == 48 and check["strip"]["statuses"][-1] == "CRITICAL"


def test_plain_table_when_not_a_terminal(store, capsys):
    code, out, err = run_report(capsys, "--state-dir", str(store), "--until", str(int(T)), "--check", "db",
                                "--check", "web")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"cronchecks report on {host_name()}: 1 CRITICAL, 1 OK (last 24h)"
    assert lines[3].split() == ["CHECK", "STATUS", "SINCE", "UPTIME", "FAILED", "DURATION", "p50/p95", "TIME",
                                "p50/p95", "OPEN", "INCIDENT", "LAST", "CHANGE"]
    assert lines[4].startswith("db ") and " CRITICAL " in lines[4] and "50.00%" in lines[4] and "2/3" in lines[4]
    assert "CRITICAL for 6h 00m" in lines[4] and "WARNING -> CRITICAL" in lines[4]
    assert lines[5].startswith("web ") and "93.75%" in lines[5] and "500 ms / 860 ms" in lines[5]
    assert "\x1b[" not in out


def test_uptime_is_rounded_down(tmp_path, capsys):
    # 1 s down in a day is 99.9988 %: shown as 99.99 %, never as 100 %.
    record(tmp_path, "api", [Run(T - DAY, Status.OK), Run(T - 10, Status.CRITICAL), Run(T - 9, Status.OK)])
    code, out, _ = run_report(capsys, "--state-dir", str(tmp_path), "--until", str(int(T)))
    assert code == 0 and " 99.99% " in out


def test_check_patterns_and_unknown_names(store, capsys):
    names = [c["name"] for c in report_json(capsys, store, "--check", "q*", "--check", "web")["checks"]]
    assert names == ["queue", "web"]
    code, out, _ = run_report(capsys, "--state-dir", str(store), "--check", "nope")
    assert code == 3
    assert out.startswith("CRONCHECKS UNKNOWN - no check named 'nope' in the store ")
    assert "(known: db, queue, web)" in out


@pytest.mark.parametrize("args, message", [
    (["--since", "soon"], "invalid --since"),
    (["--since", "0s"], "invalid --since"),
    (["--until", "yesterday"], "invalid --until"),
    (["--format", "xml"], "invalid --format 'xml'"),
    (["--webhook-format", "json"], "--webhook-format goes with --webhook"),
    (["--webhook", "ftp://x"], "invalid --webhook"),
    (["--webhook", "http://127.0.0.1:9/x", "--webhook-format", "pagerduty"], "takes reports"),
])
def test_usage_errors_are_one_unknown_line(store, capsys, args, message, monkeypatch):
    monkeypatch.setenv("CRONCHECKS_PAGERDUTY_KEY", "k")
    code, out, _ = run_report(capsys, "--state-dir", str(store), *args)
    assert code == 3 and len(out.splitlines()) == 1
    assert out.startswith("CRONCHECKS UNKNOWN - ") and message in out


def test_an_unreadable_store_is_unknown(tmp_path, capsys):
    code, out, _ = run_report(capsys, "--state-dir", str(tmp_path / "none"), "--format", "json")
    assert code == 3
    error = json.loads(out)
    assert error["status"] == "UNKNOWN" and error["summary"].startswith("no store at ")
    assert not (tmp_path / "none").exists()  # a report never creates a store
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "cronchecks.sqlite3").write_text("not a database, but long enough to look like a file")
    code, out, _ = run_report(capsys, "--state-dir", str(tmp_path / "junk"))
    assert code == 3 and out.startswith("CRONCHECKS UNKNOWN - cannot read the store ")


def test_an_empty_store_says_so(tmp_path, capsys):
    from cronchecks.alerting.store import Store

    Store(tmp_path).close()
    code, out, _ = run_report(capsys, "--state-dir", str(tmp_path))
    assert code == 0 and "No checks recorded yet" in out
    assert report_json(capsys, tmp_path)["checks"] == []


def test_rich_table_on_a_terminal_and_no_colour_without_one(store):
    from rich.console import Console

    from cronchecks.cli.report import print_rich_table
    from cronchecks.report.figures import order

    with History(store) as history:
        window = Window(T - DAY, T)
        reports = order(check_report(name, history.rows(name, T - DAY, T, "time"), history.streak(name, T), window)
                        for name in history.names())
    coloured = io.StringIO()
    print_rich_table(reports, window, "time", "web1",
                     Console(file=coloured, force_terminal=True, width=220, color_system="standard"))
    assert "\x1b[1;31mCRITICAL" in coloured.getvalue() and "queue" in coloured.getvalue()
    plain = io.StringIO()
    print_rich_table(reports, window, "time", "web1",
                     Console(file=plain, force_terminal=True, width=220, no_color=True))
    assert "CRITICAL" in plain.getvalue() and "\x1b[31m" not in plain.getvalue()


def test_the_rich_path_under_a_real_terminal(store, tmp_path):
    script = "/usr/bin/script"
    if not Path(script).exists():
        pytest.skip("util-linux's script(1) is needed for a pseudo-terminal")
    command = f"{Path(sys.executable).parent / 'cronchecks'} report --state-dir {store} --until {int(T)}"
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    done = subprocess.run([script, "-qec", command, "/dev/null"], capture_output=True, text=True, env=env,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 0
    assert "\x1b[" in done.stdout and "┃" in done.stdout and "93.75%" in done.stdout
    quiet = subprocess.run([script, "-qec", command, "/dev/null"], capture_output=True, text=True,
                           env={**env, "NO_COLOR": "1"}, timeout=30, stdin=subprocess.DEVNULL)
    assert "┃" in quiet.stdout and "\x1b[1;31m" not in quiet.stdout and "\x1b[31m" not in quiet.stdout


def test_the_plain_path_does_not_import_rich(store):
    script = ("import sys; from cronchecks.cli import main; code = main(['report', '--state-dir', sys.argv[1]]); "
              "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] == 'rich')))")
    done = subprocess.run([sys.executable, "-c", script, str(store)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stderr == "[]"


def test_console_script_exit_code_is_0_whatever_the_states(store):
    done = run_console_script("cronchecks", "report", "--state-dir", str(store), "--until", str(int(T)),
                              "--format", "json")
    assert done.code == 0
    assert json.loads(done.stdout)["status"] == "CRITICAL"


# --- the HTML status page -------------------------------------------------------------------------


def test_status_page_is_self_contained_and_written_atomically(store, tmp_path, capsys):
    page = tmp_path / "www" / "status.html"
    page.parent.mkdir()
    page.write_text("old page")
    code, out, _ = run_report(capsys, "--state-dir", str(store), "--until", str(int(T)), "--html", str(page),
                              "--quiet", "--title", "Shop <status>")
    assert code == 0 and out == ""
    html = page.read_text()
    assert html.startswith("<!doctype html>") and '<meta name="viewport"' in html
    assert "<script" not in html.lower() and "@import" not in html and "url(" not in html
    assert "src=" not in html and "<link" not in html  # nothing fetched: no fonts, images or sheets
    assert "Shop &lt;status&gt;" in html  # text is escaped
    for name in ("db", "queue", "web"):
        assert f"<h3>{name}</h3>" in html
    strips = [part.split("</div>")[0] for part in html.split('aria-label="the last 24 hours')[1:]]
    spans = [int(span or 1) for strip in strips
             for span in re.findall(r'<i class=c(?: style="flex-grow:(\d+);--n:\d+")? title=', strip)]
    assert sum(spans) == 2 + 6  # web's two half-hours and db's last six
    assert sorted(p.name for p in page.parent.iterdir()) == ["status.html"]  # no temporary file left
    assert page.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_status_page_that_cannot_be_written_is_unknown(store, tmp_path, capsys):
    code, out, _ = run_report(capsys, "--state-dir", str(store), "--html", str(tmp_path / "missing" / "s.html"))
    assert code == 3 and out.startswith("CRONCHECKS UNKNOWN - cannot write --html ")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")
def test_status_page_renders_in_headless_chromium(store, tmp_path, capsys):
    page = tmp_path / "status.html"
    code, _, _ = run_report(capsys, "--state-dir", str(store), "--until", str(int(T)), "--html", str(page), "-q")
    assert code == 0
    dom = chromium(["--dump-dom", page.as_uri()], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    for name in ("db", "queue", "web"):
        assert f"<h3>{name}</h3>" in dom.stdout
    assert "1 CRITICAL · 2 OK" in dom.stdout
    shot = tmp_path / "shot.png"
    done = chromium([f"--screenshot={shot}", "--window-size=412,900", page.as_uri()], tmp_path / "profile-shot")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = read_png(shot)
    assert (image.width, image.height) == (412, 900)
    # The header is red (db is CRITICAL) and the strips show green: the page rendered, in colour.
    red, green = image.count((0xC4, 0x2F, 0x2F)), image.count((0x17, 0x75, 0x3F))
    assert red > 412 * 40 and green > 2000, (red, green)


# --- the daily summary -----------------------------------------------------------------------------


def test_daily_summary_to_a_json_webhook(store, http_server, capsys):
    http_server.routes["/hook/secret-token"] = Reply(200, "ok")
    url = f"{http_server.url}/hook/secret-token"
    code, out, err = run_report(capsys, "--state-dir", str(store), "--until", str(int(T)), "--webhook", url,
                                "--webhook-format", "json", "--host", "web1", "-q")
    assert (code, out, err) == (0, "", "")
    [request] = http_server.requests
    assert request["method"] == "POST" and request["headers"]["Content-Type"] == "application/json"
    payload = json.loads(request["body"])
    assert payload["event"] == "report" and payload["host"] == "web1"
    assert payload["title"] == "cronchecks report on web1: 1 CRITICAL, 2 OK (last 24h)"
    assert payload["until"] == T and payload["status"] == "CRITICAL"
    checks = by_name(payload)
    assert checks["web"]["uptime"] == 93.75 and checks["db"]["incident"]["downtime"] == 6 * HOUR
    assert "db " in payload["text"] and "CRITICAL for 6h 00m" in payload["text"]
    assert len(payload["id"]) == 36
    from cronchecks.alerting.store import Store

    assert Store(store).outbox() == []  # delivered, so gone from the outbox


def test_undelivered_summary_waits_in_the_outbox(store, http_server, capsys):
    http_server.routes["/hook"] = Reply(503, "busy")
    code, out, err = run_report(capsys, "--state-dir", str(store), "--webhook", f"{http_server.url}/hook",
                                "--notify-timeout", "1s", "-q")
    assert code == 0 and out == ""
    assert "kept in the outbox for the next run" in err and "/hook" not in err  # the URL is not shown
    from cronchecks.alerting.store import Store

    [waiting] = Store(store).outbox()
    assert waiting.event["event"] == "report"
    http_server.routes["/hook"] = Reply(200, "ok")
    code, _, err = run_report(capsys, "--state-dir", str(store), "--webhook", f"{http_server.url}/hook", "-q")
    assert code == 0 and err == ""
    delivered = [json.loads(r["body"])["id"] for r in http_server.requests if r["path"] == "/hook"]
    assert delivered[-2] == waiting.event["id"] and len(set(delivered[-2:])) == 2  # the older one first
    assert Store(store).outbox() == []


def test_daily_summary_by_mail(store, capsys, monkeypatch):
    from tests.alerting_fixtures import SMTPServer

    with SMTPServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        code, out, err = run_report(capsys, "--state-dir", str(store), "--until", str(int(T)), "--mail",
                                    "ops@example.com", "--host", "web1", "-q")
    assert (code, out, err) == (0, "", "")
    [got] = server.mailbox.messages
    assert got["message"]["Subject"] == "[cronchecks] cronchecks report on web1: 1 CRITICAL, 2 OK (last 24h)"
    body = got["message"].get_content()
    assert "CHECK " in body and "db " in body and "CRITICAL for 6h 00m" in body and "93.75%" in body


def test_the_page_and_the_summary_are_out_before_anything_is_printed(store, tmp_path, http_server, capsys):
    from cronchecks.alerting.channels.options import ChannelOptions
    from cronchecks.report.build import ReportRequest, make_report

    http_server.routes["/hook"] = Reply(200, "ok")
    page = tmp_path / "status.html"
    channels = ChannelOptions(webhooks=(f"{http_server.url}/hook",), webhook_format="json")
    outcome = make_report(ReportRequest(window_length=DAY, until=T, state_dir=str(store), html=str(page),
                                        host="web1", channels=channels), {})
    assert capsys.readouterr() == ("", "")  # building a report prints nothing: the command line does
    assert "web1" in page.read_text() and [r["path"] for r in http_server.requests] == ["/hook"]
    assert [r.name for r in outcome.reports] == ["db", "queue", "web"]  # worst first
    assert (outcome.host, outcome.window, outcome.problems) == ("web1", Window(T - DAY, T), [])


def test_every_option_is_in_the_readme():
    import typer

    from cronchecks.cli.report import report

    app = typer.Typer(add_completion=False)
    app.command()(report)
    command = typer.main.get_command(app)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## cronchecks report"):readme.index("## Decisions")]
    flags = [flag for param in command.params for flag in param.opts if flag.startswith("--")]
    assert flags and [flag for flag in flags if f"`{flag}" not in section and f" {flag}" not in section] == []


def test_markup_in_names_is_shown_literally_on_a_real_terminal(tmp_path):
    from tests.pty_fixtures import run_in_pty

    folder = tmp_path / "state"
    record(folder, "job [/x] [bold]X[/bold]", [Run(T - HOUR, Status.OK), Run(T - 60, Status.CRITICAL)])
    done = run_in_pty("cronchecks", "report", "--state-dir", str(folder), "--until", str(int(T)),
                      "--host", "[red]web1[/red]")
    assert done.code == 0, (done.stdout, done.stderr)
    assert "MarkupError" not in done.stdout + done.stderr
    assert "┏" in done.stdout  # the rich table: stdout is a terminal
    assert "job [/x] [bold]X[/bold]" in done.stdout and "[red]web1[/red]" in done.stdout
    assert "\x1b[1mX" not in done.stdout


@pytest.mark.parametrize("state", ["file", "long"])
def test_an_unusable_state_folder_is_one_clear_line(tmp_path, state):
    if state == "file":
        folder = tmp_path / "a-file"
        folder.write_text("")
        reason = "it is not a folder"
    else:
        folder = tmp_path / ("x" * 300)
        reason = "File name too long"
    done = run_console_script("cronchecks", "report", "--state-dir", str(folder))
    assert done.code == 3 and done.stderr == ""
    assert done.stdout == (f"CRONCHECKS UNKNOWN - cannot use the state folder {folder} "
                           f"(--state-dir or CRONCHECKS_STATE_DIR): {reason}\n")


@pytest.mark.parametrize("server", ["silent", "drip", "closed"])
def test_a_summary_to_an_smtp_server_that_never_answers_returns_within_the_budget(store, server, closed_port):
    import contextlib
    import time

    from tests.alerting.channels.test_mail import DripServer
    from tests.alerting_fixtures import SilentServer

    with contextlib.ExitStack() as stack:
        if server == "silent":
            port = stack.enter_context(SilentServer()).port
        elif server == "drip":
            port = stack.enter_context(DripServer()).port
        else:
            port = closed_port
        started = time.monotonic()
        done = run_console_script("cronchecks", "report", "-q", "--state-dir", str(store), "--mail", "a@b",
                                  "--notify-timeout", "2s",
                                  env={"CRONCHECKS_SMTP_HOST": "127.0.0.1", "CRONCHECKS_SMTP_PORT": str(port)},
                                  timeout=30)
        took = time.monotonic() - started
    assert done.code == 0 and done.stdout == ""
    assert took < 2 + 2, took
    reason = "connection refused" if server == "closed" else "timed out"
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cronchecks report: mail a@b via 127.0.0.1:{port}: ")
    assert lines[0].endswith(f"not delivered: mail a@b via 127.0.0.1:{port}: {reason}; kept in the outbox for the "
                             "next run")
