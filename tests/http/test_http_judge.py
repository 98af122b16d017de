"""check-http's response judgements against real loopback servers: headers, --warn-body, sizes, --no-body, cookie jars.

Where check_curl (Debian's monitoring-plugins) has the same option, a differential test puts both on the
same server with the same input and compares their states.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import warnings
from dataclasses import replace
from http.cookiejar import Cookie
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, parse_range
from cronchecks.http.check import check_http
from cronchecks.http.cookiejar import http_only, jar_text, read_jar
from cronchecks.http.options import HttpOptions
from cronchecks.http.responses import _header_rule
from tests.conftest import Reply, run_console_script
from tests.daemon_fixtures import require_program
from tests.http_fixtures import LoopbackHTTPS, QuickLoopbackHTTP

pytest_plugins = ["tests.http_fixtures"]

CHECK_CURL = "/usr/lib/nagios/plugins/check_curl"


def runtime(seconds: float = 10, verbosity: int = 0, stderr=None) -> Runtime:
    return Runtime(env={}, deadline=time.monotonic() + seconds, verbosity=verbosity, stderr=stderr)


def perf(result, label):
    return next((p for p in result.perfdata if p.label == label), None)


@pytest.fixture(scope="module")
def server():
    """One loopback server for the module (hypothesis runs many examples against it)."""
    with QuickLoopbackHTTP() as running:
        yield running


def ask(server, path: str, **options):
    return check_http(HttpOptions(url=server.url + path, **options), runtime())


# --- response headers ---------------------------------------------------------------------------

CACHED = Reply(200, "page", {"X-Cache": "HIT from edge-3", "Strict-Transport-Security": "max-age=31536000",
                             "Set-Cookie": "session=s3cr3tvalue; Path=/", "Vary": "Accept"})

HEADER_CASES = [
    # (id, options, status, words)
    ("expect-present", {"expect_header": ("X-Cache",)}, Status.OK, ["200 OK"]),
    ("expect-matches", {"expect_header": ("X-Cache: ^HIT", "Strict-Transport-Security: max-age=\\d{7,}")},
     Status.OK, ["200 OK"]),
    ("name-any-case", {"expect_header": ("x-cache: HIT",)}, Status.OK, ["200 OK"]),
    ("expect-absent", {"expect_header": ("X-Served-By",)}, Status.CRITICAL,
     ["no X-Served-By header (--expect-header 'X-Served-By')"]),
    ("expect-absent-with-value", {"expect_header": ("X-Served-By: edge",)}, Status.CRITICAL, ["no X-Served-By header"]),
    ("expect-wrong", {"expect_header": ("X-Cache: ^MISS",)}, Status.CRITICAL,
     ["header X-Cache is 'HIT from edge-3', expected --expect-header 'X-Cache: ^MISS'"]),
    ("case-sensitive-value", {"expect_header": ("X-Cache: hit",)}, Status.CRITICAL, ["header X-Cache is"]),
    ("case-insensitive-value", {"expect_header": ("X-Cache: (?i)hit",)}, Status.OK, ["200 OK"]),
    ("reject-absent", {"reject_header": ("X-Debug-Token", "Server: Apache")}, Status.OK, ["200 OK"]),
    ("reject-present", {"reject_header": ("X-Cache",)}, Status.CRITICAL,
     ["header X-Cache is present ('HIT from edge-3'; --reject-header 'X-Cache')"]),
    ("reject-matches", {"reject_header": ("X-Cache: edge-\\d",)}, Status.CRITICAL,
     ["header X-Cache is 'HIT from edge-3', matching --reject-header 'X-Cache: edge-\\\\d'"]),
    ("reject-other-value", {"reject_header": ("X-Cache: MISS",)}, Status.OK, ["200 OK"]),
    ("secret-never-shown", {"expect_header": ("Set-Cookie: other=",)}, Status.CRITICAL,
     ["header Set-Cookie is '***', expected"]),
    ("all-must-hold", {"expect_header": ("X-Cache", "Vary: Cookie")}, Status.CRITICAL, ["header Vary is 'Accept'"]),
]


@pytest.mark.parametrize("extra, status, words", [c[1:] for c in HEADER_CASES], ids=[c[0] for c in HEADER_CASES])
def test_header_expectations(server, extra, status, words):
    server.routes["/cached"] = CACHED
    result = ask(server, "/cached", **extra)
    assert result.status is status, result.summary
    for word in words:
        assert word in result.summary
    assert "s3cr3tvalue" not in result.summary


def test_a_repeated_header_is_judged_as_its_joined_value(server):
    # Two spellings of one name are two header lines on the wire (the test server writes each key it is given).
    server.routes["/twice"] = Reply(200, "", {"Link": "</a.css>; rel=preload", "link": "</b.js>; rel=preload"})
    assert ask(server, "/twice", expect_header=("Link: a\\.css.*, .*b\\.js",)).status is Status.OK
    assert ask(server, "/twice", reject_header=("Link: b\\.js",)).status is Status.CRITICAL


# --- --warn-body beside --reject-body -----------------------------------------------------------


@pytest.mark.parametrize("extra, status, words", [
    ({"warn_body": ("degraded",)}, Status.WARNING, ["body matches --warn-body 'degraded': 'degraded'", "200 OK"]),
    ({"warn_body": ("maintenance",)}, Status.OK, ["200 OK"]),
    ({"warn_body": ("degraded",), "reject_body": ("ERROR: \\w+",)}, Status.CRITICAL,
     ["body matches --reject-body 'ERROR: \\\\w+': 'ERROR: replica'", "body matches --warn-body 'degraded'"]),
    ({"warn_body": ("degraded",), "reject_body": ("FATAL",)}, Status.WARNING, ["--warn-body"]),
    ({"warn_body": ("nothing", "(?i)DEGRADED")}, Status.WARNING, ["--warn-body '(?i)DEGRADED'"]),
], ids=["warn", "no-match", "critical-wins", "reject-not-matching", "second-pattern"])
def test_warn_body_beside_reject_body(server, extra, status, words):
    server.routes["/status"] = Reply(200, "cluster degraded; ERROR: replica 2 lagging")
    result = ask(server, "/status", **extra)
    assert result.status is status, result.summary
    for word in words:
        assert word in result.summary
    if status is Status.CRITICAL:  # the CRITICAL reason leads
        assert result.summary.index("--reject-body") < result.summary.index("--warn-body")


# --- --expect-size ------------------------------------------------------------------------------


def _sized(handler) -> Reply:
    size = int(handler.path.partition("?")[2] or 0)
    return Reply(200, b"x" * size)


@pytest.mark.parametrize("size, text, status", [
    (0, "1:", Status.WARNING), (1, "1:", Status.OK),
    (999, "1KB:2KB", Status.WARNING), (1000, "1KB:2KB", Status.OK), (2000, "1KB:2KB", Status.OK),
    (2001, "1KB:2KB", Status.WARNING), (1024, "1KiB:1KiB", Status.OK), (1023, "1KiB:1KiB", Status.WARNING),
    (500, "500", Status.OK), (501, "500", Status.WARNING), (10, "@0:100", Status.WARNING), (101, "@0:100", Status.OK),
])
def test_size_ranges_at_their_boundaries(server, size, text, status):
    server.routes["/sized"] = _sized
    result = ask(server, f"/sized?{size}", expect_size=parse_range(text, "size"))
    assert result.status is status, result.summary
    datum = perf(result, "size")
    assert datum.value == size and datum.warning == parse_range(text, "size")
    if status is Status.WARNING:
        assert f"body is {size} B, expected --expect-size {text}" in result.summary
    from cronchecks.core.output import format_perfdata

    assert format_perfdata(datum).startswith(f"size={size}B;{parse_range(text, 'size').render()};;0")


bounds = st.integers(0, 3000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(0, 3000), low=bounds, high=bounds, inside=st.booleans(), unit=st.sampled_from(["", "B"]))
def test_size_range_verdicts_match_the_range_arithmetic(server, size, low, high, inside, unit):
    low, high = min(low, high), max(low, high)
    text = f"{'@' if inside else ''}{low}{unit}:{high}{unit}"
    server.routes["/sized"] = _sized
    result = ask(server, f"/sized?{size}", expect_size=parse_range(text, "size"))
    within = low <= size <= high
    assert result.status is (Status.WARNING if within == inside else Status.OK), (text, size, result.summary)


def test_size_bounds_must_stay_below_max_body(server):
    with pytest.raises(UsageError, match="--expect-size 1KB:20KB reaches --max-body"):
        ask(server, "/sized", expect_size=parse_range("1KB:20KB", "size"), max_body=16 * 1024)
    with pytest.raises(UsageError, match="can never be met"):
        ask(server, "/sized", expect_size=parse_range("@0:", "size"))
    server.routes["/sized"] = _sized
    # A cut body is over every bound: its verdict is the real size's.
    result = ask(server, "/sized?5000", expect_size=parse_range("1:1KB", "size"), max_body=2048)
    assert result.status is Status.WARNING and "body is over 2048 B, expected --expect-size 1:1KB" in result.summary


# --- --max-body ---------------------------------------------------------------------------------


def test_max_body_cut_is_said_and_expectations_see_the_part_read(server):
    server.routes["/long"] = Reply(200, "A" * 1000 + "TAIL")
    cut = ask(server, "/long", max_body=512, expect_body=("TAIL",))
    assert cut.status is Status.CRITICAL
    assert "body cut at 512 B by --max-body, expectations judged on the part read" in cut.summary
    assert perf(cut, "size").value == 512
    assert any("the server sent more" in line for line in cut.details)
    whole = ask(server, "/long", max_body=2048, expect_body=("TAIL",))
    assert whole.status is Status.OK and "cut" not in whole.summary
    done = run_console_script("check-http", server.url + "/long", "--max-body", "0.5KiB")
    assert done.code == 0 and "(body cut at 512 B by --max-body)" in done.first_line, done


# --- --no-body ----------------------------------------------------------------------------------


class EndlessServer:
    """Answers every request with headers announcing 1 GB, then trickles the body until the client goes away."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sent: list[int] = []  # body bytes sent on each connection before the client closed it
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/stream"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        sent = 0
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                request += chunk
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nX-Stream: live\r\n"
                               b"Content-Length: 1000000000\r\n\r\n")
            deadline = time.monotonic() + 20
            try:
                while time.monotonic() < deadline:
                    connection.sendall(b"x" * 1024)
                    sent += 1024
                    time.sleep(0.01)
            except OSError:
                pass
        self.sent.append(sent)
        self.closed.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def test_no_body_does_not_read_a_large_streaming_body():
    with EndlessServer() as server:
        started = time.monotonic()
        result = check_http(HttpOptions(url=server.url, no_body=True, expect_header=("X-Stream: live",)),
                            runtime(seconds=10))
        took = time.monotonic() - started
        assert result.status is Status.OK, result.summary
        assert result.summary.endswith(", body not read") and perf(result, "size") is None
        assert took < 2, took  # the body would take the whole deadline to trickle in
        # The connection was closed under the server: it stops sending within moments, long before 1 GB.
        assert server.closed.wait(5)
        assert server.sent[0] < 1_000_000


def test_no_body_keeps_the_status_headers_and_certificate_judged(pki, server):
    def flaky(handler, seen={"n": 0}) -> Reply:  # noqa: B006 - the route's own counter
        seen["n"] += 1
        return Reply(500 if seen["n"] == 1 else 200, "body " * 100)

    server.routes["/flaky"] = flaky
    result = check_http(HttpOptions(url=server.url + "/flaky", no_body=True, retries=1, retry_delay=0.01),
                        runtime())
    # The first connection was closed unread; the retry asks on a new one and gets its answer right.
    assert result.status is Status.OK and "after 2 attempts" in result.summary, result.summary
    server.routes["/gone"] = Reply(404, "missing " * 50)
    assert ask(server, "/gone", no_body=True).status is Status.CRITICAL
    with LoopbackHTTPS(pki, "expiring") as tls:
        tls.routes["/"] = Reply(200, "y" * 100_000)
        secure = check_http(HttpOptions(url=tls.url + "/", no_body=True, cacert=pki.ca_file,
                                        cert_warning=30 * 86400), runtime())
    assert secure.status is Status.WARNING and perf(secure, "cert_days") is not None, secure.summary


@pytest.mark.parametrize("extra, words", [
    ({"expect_body": ("x",)}, "--no-body reads no body, so --expect-body cannot be judged"),
    ({"reject_body": ("x",), "warn_body": ("y",)}, "so --reject-body/--warn-body cannot be judged"),
    ({"expect_json": ("$.ok",)}, "--expect-json"),
    ({"expect_size": parse_range("1:", "size")}, "--expect-size"),
])
def test_no_body_with_a_body_expectation_is_a_usage_mistake(server, extra, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(")):
        ask(server, "/", no_body=True, **extra)


def test_no_body_mistake_is_one_unknown_line(server):
    done = run_console_script("check-http", server.url + "/", "--no-body", "--warn-body", "x")
    assert done.code == 3 and done.stdout.count("\n") == 1
    assert done.first_line == ("HTTP UNKNOWN - --no-body reads no body, so --warn-body cannot be judged: drop one")


@pytest.mark.parametrize("args, words", [
    (["--expect-header", ": HIT"], "invalid --expect-header ': HIT': use 'NAME: REGEX'"),
    (["--reject-header", "X Bad: v"], "invalid --reject-header 'X Bad: v'"),
    (["--expect-header", "X-Cache: (HIT"], "invalid --expect-header X-Cache '(HIT'"),
    (["--expect-header", "X-Cache: (a)\\1"], "backreferences"),
    (["--warn-body", "(?<=a)b"], "invalid --warn-body"),
    (["--expect-size", "2KB:1KB"], "invalid --expect-size: range start is above its end"),
    (["--expect-size", "10 parsecs"], "invalid --expect-size"),
    (["--method", "HEAD", "--expect-size", "1:"], "--method HEAD gets no body"),
    (["--method", "HEAD", "--warn-body", "x"], "--method HEAD gets no body"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_judgement_mistakes_are_one_unknown_line(server, args, words):
    done = run_console_script("check-http", server.url + "/", *args)
    assert done.code == 3 and done.stdout.count("\n") == 1 and words in done.first_line, done


# --- --cookie-jar -------------------------------------------------------------------------------


def _session_routes(server) -> None:
    """/login sets a session cookie (and a lasting one); /app answers 200 only to that session."""
    server.routes["/login"] = Reply(200, "welcome", {"Set-Cookie": "session=abc123def; Path=/; HttpOnly"})

    def app(handler) -> Reply:
        cookies = handler.headers.get("Cookie") or ""
        return Reply(200, "dashboard") if "session=abc123def" in cookies else Reply(401, "log in first")

    server.routes["/app"] = app


def test_cookie_jar_is_kept_across_two_runs(server, tmp_path):
    _session_routes(server)
    jar = tmp_path / "app.cookies"
    old = os.umask(0)  # the jar is 0600 whatever the umask
    try:
        first = run_console_script("check-http", server.url + "/login", "--cookie-jar", str(jar))
    finally:
        os.umask(old)
    assert first.code == 0, first
    assert jar.stat().st_mode & 0o777 == 0o600
    text = jar.read_text()
    assert text.startswith("# Netscape HTTP Cookie File\n")
    assert "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123def\n" in text
    second = run_console_script("check-http", server.url + "/app", "--cookie-jar", str(jar), "-vv")
    assert second.code == 0 and "dashboard" not in second.first_line, second
    assert "abc123def" not in second.stdout + second.stderr  # the cookie is a credential: masked in -vv
    assert f"cookie jar {jar}: 1 cookie, sent where they match" in second.stderr
    without = run_console_script("check-http", server.url + "/app")
    assert without.code == 2 and "401 Unauthorized" in without.first_line


def test_cookie_jar_takes_cookies_from_redirects_and_drops_expired_ones(server, tmp_path):
    server.routes["/sso"] = Reply(302, "", {"Location": "/login", "Set-Cookie": "sso=1; Path=/; Max-Age=3600"})
    server.routes["/login"] = Reply(200, "ok", {"Set-Cookie": "old=1; Path=/; Max-Age=0"})
    jar = tmp_path / "jar"
    jar.write_text("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t1\tstale\tx\n"
                   "127.0.0.1\tFALSE\t/\tFALSE\t0\told\t1\n")
    assert check_http(HttpOptions(url=server.url + "/sso", cookie_jar=str(jar)), runtime()).status is Status.OK
    text = jar.read_text()
    assert "\tsso\t1\n" in text and "stale" not in text and "\told\t" not in text
    expiry = int(next(line for line in text.splitlines() if "\tsso\t" in line).split("\t")[4])
    assert abs(expiry - (time.time() + 3600)) < 60


def _curl() -> str:
    return require_program("curl", "curl")


def test_cookie_jar_is_curls_format_both_ways(server, tmp_path):
    _session_routes(server)
    curl = _curl()
    theirs = tmp_path / "curl.jar"
    subprocess.run([curl, "-s", "-o", os.devnull, "-c", str(theirs), server.url + "/login"], check=True, timeout=10)
    assert check_http(HttpOptions(url=server.url + "/app", cookie_jar=str(theirs)), runtime()).status is Status.OK
    ours = tmp_path / "ours.jar"
    check_http(HttpOptions(url=server.url + "/login", cookie_jar=str(ours)), runtime())
    code = subprocess.run([curl, "-s", "-o", os.devnull, "-w", "%{http_code}", "-b", str(ours), server.url + "/app"],
                          capture_output=True, text=True, check=True, timeout=10).stdout
    assert code == "200"


@pytest.mark.parametrize("content, words", [
    ("not a cookie file\n", "is not a Netscape cookie file"),
    ("# Netscape HTTP Cookie File\nhost\tFALSE\t/\n", "line 2 has 3 tab-separated fields, not 7"),
    ("# Netscape HTTP Cookie File\nhost\tFALSE\t/\tMAYBE\t0\tn\tv\n", "line 2 is not domain"),
    ("# Netscape HTTP Cookie File\nhost\tFALSE\t/\tFALSE\t" + "9" * 400 + "\tn\tv\n", "line 2 is not domain"),
    (b"\xff\xfe\x00", "is not a text cookie file"),
    ("fifo", "is a named pipe"),
    ("dir", "is a folder"),
    ("nofolder", "does not exist"),
    ("empty-name", "give the file to keep the cookies in"),
])
def test_an_unusable_cookie_jar_is_one_unknown_line(server, tmp_path, content, words):
    jar = tmp_path / "jar"
    if content == "fifo":
        os.mkfifo(jar)
    elif content == "dir":
        jar.mkdir()
    elif content == "nofolder":
        jar = tmp_path / "missing" / "jar"
    elif content == "empty-name":
        jar = ""
    elif isinstance(content, bytes):
        jar.write_bytes(content)
    else:
        jar.write_text(content)
    done = run_console_script("check-http", server.url + "/", "--cookie-jar", str(jar), timeout=10)
    assert done.code == 3 and done.first_line.startswith("HTTP UNKNOWN - ") and words in done.first_line, done
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr


def test_an_empty_or_missing_jar_is_an_empty_one(server, tmp_path):
    server.routes["/"] = Reply(200)
    (tmp_path / "empty").write_text("")
    for name in ("empty", "new"):
        assert check_http(HttpOptions(url=server.url + "/", cookie_jar=str(tmp_path / name)), runtime()).status \
            is Status.OK
        assert (tmp_path / name).read_text().startswith("# Netscape HTTP Cookie File")


# --- property tests: the header rule and the jar reader ------------------------------------------


@given(st.text(max_size=60))
def test_header_rules_parse_or_say_why(text):
    try:
        rule = _header_rule("--expect-header", text)
    except UsageError as error:
        refusal = str(error)
    else:
        assert rule.name == text.partition(":")[0].strip() and rule.name
        return
    assert refusal.startswith("invalid --expect-header")


names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e, exclude_characters=";,\\\""), max_size=20)


@given(st.lists(st.tuples(names, values, st.sampled_from(["127.0.0.1", ".example.com", "app.example.com"]),
                          st.sampled_from(["/", "/app"]), st.booleans(),
                          st.one_of(st.none(), st.integers(int(time.time()) + 3600, 253402300799)), st.booleans()),
                unique_by=lambda c: (c[0], c[2], c[3]), max_size=6))
@settings(deadline=None, max_examples=60)
def test_jar_written_reads_back_the_same_cookies(tmp_path_factory, cookies):
    made = [Cookie(0, name, value, None, False, domain, domain.startswith("."), domain.startswith("."), path, True,
                   secure, expires, expires is None, None, None, {"HttpOnly": ""} if httponly else {})
            for name, value, domain, path, secure, expires, httponly in cookies]
    path = tmp_path_factory.mktemp("jar") / "jar"
    path.write_text(jar_text(made))
    back = read_jar(str(path))

    def key(c):
        return (c.name, c.value, c.domain, c.path, c.secure, c.expires, http_only(c))
    assert sorted(map(key, back)) == sorted(map(key, made))


@given(st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=40), max_size=5))
@settings(deadline=None, max_examples=80)
def test_jar_reader_reads_or_refuses_never_warns(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jar") / "jar"
    path.write_text("# Netscape HTTP Cookie File\n" + "\n".join(lines), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refusal = ""
        try:
            read_jar(str(path))
        except UsageError as error:
            refusal = str(error)
    assert not refusal or refusal.startswith("invalid --cookie-jar")


# --- agreement with check_curl --------------------------------------------------------------------


def _check_curl() -> str:
    path = require_program(CHECK_CURL, "monitoring-plugins-standard")
    probe = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0 and "liburiparser" in probe.stderr:
        pytest.fail("check_curl cannot start: apt-get install liburiparser1")
    return path


def check_curl(server, path: str, *args: str) -> tuple[Status, str]:
    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run([_check_curl(), "-I", "127.0.0.1", "-p", port, "-u", path, *args],
                          capture_output=True, text=True, timeout=20)
    return Status(done.returncode), done.stdout.strip()


PAGE = Reply(200, "<html>all systems healthy; cache warm</html>", {"X-Cache": "HIT", "Content-Type": "text/html"})

AGREEMENT = [
    # (check_curl's arguments, our options)
    (["-d", "X-Cache: HIT"], {"expect_header": ("X-Cache: HIT",)}),
    (["-d", "X-Cache: MISS"], {"expect_header": ("X-Cache: MISS",)}),
    (["-d", "X-Served-By"], {"expect_header": ("X-Served-By",)}),
    (["-d", "Content-Type: text/html"], {"expect_header": ("Content-Type: text/html",)}),
    (["-s", "healthy"], {"expect_body": ("healthy",)}),
    (["-s", "unhealthy"], {"expect_body": ("unhealthy",)}),
    (["-r", "systems? healthy"], {"expect_body": ("systems? healthy",)}),
    (["-r", "cache (cold|empty)"], {"expect_body": ("cache (cold|empty)",)}),
    (["-R", "CACHE WARM"], {"expect_body": ("(?i)CACHE WARM",)}),
    (["-r", "cache warm", "--invert-regex"], {"reject_body": ("cache warm",)}),
    (["-r", "ERROR", "--invert-regex"], {"reject_body": ("ERROR",)}),
    (["-N"], {"no_body": True}),
    (["-N", "-d", "X-Cache: HIT"], {"no_body": True, "expect_header": ("X-Cache: HIT",)}),
]


@pytest.mark.parametrize("theirs, ours", AGREEMENT, ids=[" ".join(a) for a, _ in AGREEMENT])
def test_same_state_as_check_curl(server, theirs, ours):
    server.routes["/page"] = PAGE
    their_state, line = check_curl(server, "/page", *theirs)
    result = ask(server, "/page", **ours)
    assert result.status is their_state, (line, result.summary)


def _header_bytes(server, path: str) -> int:
    """check_curl's page size counts the header block: its size with -N is that block alone."""
    state, line = check_curl(server, path, "-N")
    assert state is Status.OK, line
    return int(line.rsplit("size=", 1)[1].split("B", 1)[0])


@pytest.mark.parametrize("low, high", [(44, 44), (45, 100), (1, 43), (10, 44), (0, 1000), (43, 45)])
def test_same_size_verdict_as_check_curl(server, low, high):
    server.routes["/page"] = PAGE  # 44 bytes of body; its header block is the same length on every answer
    headers = _header_bytes(server, "/page")
    their_state, line = check_curl(server, "/page", "-m", f"{low + headers}:{high + headers}")
    result = ask(server, "/page", expect_size=Range(low, high, text=f"{low}:{high}"))
    assert result.status is their_state, (line, result.summary)


def test_same_cookie_jar_outcome_as_check_curl(server, tmp_path):
    _session_routes(server)
    states = {}
    for who in ("check_curl", "check-http"):
        jar = str(tmp_path / f"{who}.jar")
        runs = []
        for path in ("/app", "/login", "/app"):
            if who == "check_curl":
                # -e 200: only a 200 is OK (check_curl's 4xx is WARNING by default, ours CRITICAL)
                runs.append(check_curl(server, path, "-e", "200", "--cookie-jar", jar)[0])
            else:
                runs.append(check_http(HttpOptions(url=server.url + path, cookie_jar=jar), runtime()).status)
        states[who] = runs
    assert states["check_curl"] == states["check-http"] == [Status.CRITICAL, Status.OK, Status.OK]


def test_check_curl_reads_our_jar_and_we_read_its_jar(server, tmp_path):
    _session_routes(server)
    ours, theirs = str(tmp_path / "ours.jar"), str(tmp_path / "theirs.jar")
    check_http(HttpOptions(url=server.url + "/login", cookie_jar=ours), runtime())
    assert check_curl(server, "/app", "--cookie-jar", ours)[0] is Status.OK
    check_curl(server, "/login", "--cookie-jar", theirs)
    assert check_http(HttpOptions(url=server.url + "/app", cookie_jar=theirs), runtime()).status is Status.OK


def test_options_read_from_a_suite_table_mean_the_same(server, tmp_path):
    from cronchecks.core.values import OptionValues
    from cronchecks.http.arguments import read_options

    options = read_options(OptionValues({"url": server.url + "/cached", "expect-header": "X-Cache: HIT",
                                         "reject-header": ["X-Debug"], "warn-body": "nope", "expect-size": "1:1KB",
                                         "cookie-jar": str(tmp_path / "jar"), "no-body": False}, "check-http"))
    assert options.expect_header == ("X-Cache: HIT",) and options.expect_size == parse_range("1:1KB", "size")
    server.routes["/cached"] = CACHED
    assert check_http(replace(options), runtime()).status is Status.OK


def test_the_plain_path_loads_none_of_it(server, tmp_path):
    server.routes["/"] = Reply(200)
    script = (
        "import contextlib, io, sys\n"
        "from cronchecks.cli import check_main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    with contextlib.suppress(SystemExit):\n"
        "        check_main('http', sys.argv[1:])\n"
        "print(' '.join(sorted(sys.modules)))\n")

    def loaded(*args):
        import sys

        return set(subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                                  timeout=30).stdout.split())

    plain = loaded(server.url + "/")
    assert "cronchecks.http.responses" in plain
    assert not plain & {"cronchecks.http.cookiejar", "cronchecks.http.headonly", "cronchecks.support.atomicfile"}
    assert "cronchecks.http.cookiejar" in loaded(server.url + "/", "--cookie-jar", str(tmp_path / "jar"))
    assert "cronchecks.http.headonly" in loaded(server.url + "/", "--no-body")


# --- against nginx: real headers, a large file, a cookie-checking location -----------------------

NGINX_CONF = """
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    log_format sent '$request_uri $status $body_bytes_sent';
    access_log {folder}/access.log sent;
    client_body_temp_path {folder}/tmp; proxy_temp_path {folder}/tmp; fastcgi_temp_path {folder}/tmp;
    uwsgi_temp_path {folder}/tmp; scgi_temp_path {folder}/tmp;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {folder}/www;
        add_header X-Cache HIT;
        location /login {{ add_header Set-Cookie "session=abc123def; Path=/; HttpOnly"; return 200 "welcome"; }}
        location /app {{
            if ($cookie_session != "abc123def") {{ return 401 "log in first"; }}
            return 200 "dashboard";
        }}
    }}
}}
"""


class Nginx(NamedTuple):
    url: str
    access_log: Path


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    from tests.daemon_fixtures import Daemon, free_port

    binary = require_program("/usr/sbin/nginx", "nginx")
    folder = tmp_path_factory.mktemp("nginx")
    (folder / "www").mkdir()
    (folder / "tmp").mkdir()
    (folder / "www" / "index.html").write_text("<html>all systems healthy</html>\n")
    with open(folder / "www" / "big.iso", "wb") as big:  # sparse: 512 MiB that cost no disk
        big.truncate(512 << 20)
    port = free_port()
    (folder / "nginx.conf").write_text(NGINX_CONF.format(folder=folder, port=port))
    with Daemon("nginx", [binary, "-c", folder / "nginx.conf", "-p", folder, "-g", "daemon off;"], folder) as daemon:
        daemon.start(port=port)
        yield Nginx(f"http://127.0.0.1:{port}", folder / "access.log")


def test_nginx_headers_and_a_file_not_read(nginx):
    page = check_http(HttpOptions(url=nginx.url + "/index.html", reject_header=("X-Powered-By",),
                                  expect_header=("Server: ^nginx", "ETag", "X-Cache: HIT"),
                                  expect_size=parse_range("10:100", "size")), runtime())
    assert page.status is Status.OK, page.summary
    started = time.monotonic()
    big = check_http(HttpOptions(url=nginx.url + "/big.iso", no_body=True,
                                 expect_header=("Content-Length: ^536870912$",)), runtime())
    assert big.status is Status.OK and big.summary.endswith("body not read"), big.summary
    assert time.monotonic() - started < 2

    def logged() -> str:
        return next((line for line in nginx.access_log.read_text().splitlines() if line.startswith("/big.iso ")), "")

    from tests.daemon_fixtures import wait_until

    wait_until(lambda: bool(logged()), within=10, what="nginx logging the request for /big.iso")
    assert int(logged().split()[2]) < 64 << 20  # nginx sent a little of the 512 MiB before the close, not all


def test_nginx_cookie_session_across_runs_agrees_with_check_curl(nginx, tmp_path):
    port = nginx.url.rsplit(":", 1)[1]
    ours, theirs = [], []
    for path in ("/app", "/login", "/app"):
        ours.append(check_http(HttpOptions(url=nginx.url + path, cookie_jar=str(tmp_path / "ours")), runtime()).status)
        done = subprocess.run([_check_curl(), "-I", "127.0.0.1", "-p", port, "-u", path, "-e", "200",
                               "--cookie-jar", str(tmp_path / "theirs")], capture_output=True, text=True, timeout=20)
        theirs.append(Status(done.returncode))
    assert ours == theirs == [Status.CRITICAL, Status.OK, Status.OK]
    assert (tmp_path / "ours").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("theirs, ours", [
    (["-d", "Server: nginx"], {"expect_header": ("Server: nginx",)}),
    (["-d", "X-Cache: MISS"], {"expect_header": ("X-Cache: MISS",)}),
    (["-d", "Last-Modified"], {"expect_header": ("Last-Modified",)}),
    (["-N", "-d", "Accept-Ranges: bytes"], {"no_body": True, "expect_header": ("Accept-Ranges: bytes",)}),
], ids=["server", "wrong", "present", "no-body"])
def test_nginx_same_state_as_check_curl(nginx, theirs, ours):
    port = nginx.url.rsplit(":", 1)[1]
    done = subprocess.run([_check_curl(), "-I", "127.0.0.1", "-p", port, "-u", "/index.html", *theirs],
                          capture_output=True, text=True, timeout=20)
    result = check_http(HttpOptions(url=nginx.url + "/index.html", **ours), runtime())
    assert result.status is Status(done.returncode), (done.stdout, result.summary)
