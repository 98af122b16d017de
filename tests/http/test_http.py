"""check-http against real loopback servers: plain HTTP, HTTPS with trustme certificates, a proxy."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks import __version__
from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import ParseError, parse_range
from cronchecks.http.check import check_http
from cronchecks.http.options import (
    DEFAULT_EXPECT_STATUS,
    HttpOptions,
    StatusSpan,
    describe_status_list,
    parse_status_list,
    status_in,
)
from cronchecks.support.jsonpaths import JsonPathError, holds, parse_literal, same_value, split_expression
from cronchecks.support.x509 import CertificateError, not_after
from tests.conftest import Reply, run_console_script
from tests.http_fixtures import LoopbackHTTPS, QuickLoopbackHTTP, write

# the fixtures `pki` and `quick_http_server`, by name (importing them would shadow them in every test's arguments)
pytest_plugins = ["tests.http_fixtures"]


@pytest.fixture
def http_server(quick_http_server):
    """conftest's loopback server, stopping without its 0.5 s poll wait."""
    return quick_http_server

HEALTHY = {"status": "healthy", "checks": {"database": "OK", "cache": "OK"}, "latency_ms": 42,
           "queue": {"depth": 7}, "ok": True}


def runtime(env: dict | None = None, seconds: float = 10, stderr=None, verbosity: int = 0) -> Runtime:
    return Runtime(env=env or {}, deadline=time.monotonic() + seconds, stderr=stderr, verbosity=verbosity)


def ms(text: str):
    return parse_range(text, "duration")


def perf(result, label):
    return next((p for p in result.perfdata if p.label == label), None)


# --- plain HTTP: status, body and JSON expectations, table-driven ------------------------------


BROKEN_DB = {**HEALTHY, "status": "unhealthy", "checks": {"database": "ERROR: timeout", "cache": "OK"}}

CASES = [
    # (id, reply, options, status, words in the summary)
    ("ok", Reply(200, HEALTHY), {}, Status.OK, ["200 OK from http://127.0.0.1:", "/health in ", " B"]),
    ("204-listed", Reply(204), {"expect_status": parse_status_list("200,204")}, Status.OK, ["204 No Content"]),
    ("500", Reply(500, "boom"), {}, Status.CRITICAL, ["500 Internal Server Error from", "(expected 200-399)"]),
    ("502-leads", Reply(502, "bad"), {}, Status.CRITICAL, ["502 Bad Gateway from http://"]),
    ("404-expected", Reply(404), {"expect_status": parse_status_list("404")}, Status.OK, ["404 Not Found"]),
    ("503-degraded", Reply(503, BROKEN_DB), {"warn_status": parse_status_list("503")}, Status.WARNING,
     ["503 Service Unavailable", "degraded: --warn-status 503"]),
    ("503-unlisted", Reply(503), {}, Status.CRITICAL, ["503 Service Unavailable", "expected 200-399"]),
    ("body-match", Reply(200, "all systems healthy"), {"expect_body": ("healthy",)}, Status.OK, ["200 OK"]),
    ("body-miss", Reply(200, "all systems down"), {"expect_body": ("healthy",)}, Status.CRITICAL,
     ["body does not match --expect-body 'healthy'"]),
    ("body-reject", Reply(200, "x ERROR: disk full y"), {"reject_body": (r"ERROR:.*full",)}, Status.CRITICAL,
     ["body matches --reject-body", "'ERROR: disk full'"]),
    ("json-good", Reply(200, HEALTHY), {"expect_json": ('$.status == "healthy"', '$.checks.database == "OK"',
                                                         "$.latency_ms < 100", "$.queue.depth <= 50", "$.ok")},
     Status.OK, ["200 OK"]),
    ("json-db", Reply(200, BROKEN_DB), {"expect_json": ('$.checks.database == "OK"',)}, Status.CRITICAL,
     ['$.checks.database is "ERROR: timeout", expected == "OK"', "200 OK from"]),
    ("json-latency", Reply(200, {**HEALTHY, "latency_ms": 250}), {"expect_json": ("$.latency_ms < 100",)},
     Status.CRITICAL, ["$.latency_ms is 250, expected < 100"]),
    ("json-all-checks", Reply(200, BROKEN_DB), {"expect_json": ('$.checks.* == "OK"',)}, Status.CRITICAL,
     ['$.checks.* has "ERROR: timeout"']),
    ("json-falsy", Reply(200, {"ok": False}), {"expect_json": ("$.ok",)}, Status.CRITICAL,
     ["$.ok is false, expected a true value"]),
    ("json-missing", Reply(200, {"other": 1}), {"expect_json": ("$.ok",)}, Status.CRITICAL, ["nothing at $.ok"]),
    ("json-malformed", Reply(200, '{"status": "healthy",'), {"expect_json": ("$.status",)}, Status.CRITICAL,
     ["body is not JSON", '\'{"status": "healthy",\''], ),
    ("json-html", Reply(200, "<html>Bad Gateway</html>"), {"expect_json": ("$.ok",)}, Status.CRITICAL,
     ["body is not JSON", "<html>"]),
    ("json-empty", Reply(200, ""), {"expect_json": ("$.ok",)}, Status.CRITICAL, ["body is not JSON", "empty"]),
    ("json-bool-is-not-1", Reply(200, {"ok": True}), {"expect_json": ("$.ok == 1",)}, Status.CRITICAL,
     ["$.ok is true, expected == 1"]),
    # --expect-status never switches the other expectations off (check_http's -e does).
    ("status-and-body", Reply(200, "down"), {"expect_status": parse_status_list("200"),
                                            "expect_body": ("healthy",)}, Status.CRITICAL, ["does not match"]),
    ("degraded-and-json", Reply(503, BROKEN_DB), {"warn_status": parse_status_list("503"),
                                                  "expect_json": ('$.status != "unhealthy"',)}, Status.CRITICAL,
     ['$.status is "unhealthy", expected != "unhealthy"', "degraded"]),
]


@pytest.mark.parametrize("reply, extra, status, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_expectations(http_server, reply, extra, status, words):
    http_server.routes["/health"] = reply
    result = check_http(HttpOptions(url=http_server.url + "/health", **extra), runtime())
    assert result.status is status, result.summary
    for word in words:
        assert word in result.summary
    assert perf(result, "time").uom == "s" and perf(result, "size").uom == "B"


def test_perfdata_and_size(http_server):
    http_server.routes["/health"] = Reply(200, "x" * 612)
    options = HttpOptions(url=http_server.url + "/health", warning=ms("500ms"), critical=ms("2s"))
    result = check_http(options, runtime())
    assert result.status is Status.OK
    assert perf(result, "size").value == 612
    assert perf(result, "time").warning == ms("500ms") and perf(result, "time").minimum == 0
    assert perf(result, "cert_days") is None and perf(result, "attempts") is None


def test_summary_leads_with_the_failed_expectation(http_server):
    http_server.routes["/health"] = Reply(200, BROKEN_DB)
    result = check_http(HttpOptions(url=http_server.url + "/health", expect_json=('$.status == "healthy"',)),
                        runtime())
    assert result.summary.startswith('$.status is "unhealthy", expected == "healthy"; 200 OK from ')


# --- slow answers: -w/-c on the response time, -t on the whole run -------------------------------


@pytest.mark.parametrize("thresholds, status, words", [
    ({"warning": ms("100ms")}, Status.WARNING, "(warning > 100 ms)"),
    ({"warning": ms("50ms"), "critical": ms("100ms")}, Status.CRITICAL, "(critical > 100 ms)"),
    ({"warning": ms("10s"), "critical": ms("20s")}, Status.OK, "200 OK"),
])
def test_response_time_thresholds(http_server, thresholds, status, words):
    # The server sleeps 300 ms: the response time is at least that, whatever the machine.
    http_server.routes["/slow"] = Reply(200, "ok", delay=0.3)
    result = check_http(HttpOptions(url=http_server.url + "/slow", **thresholds), runtime())
    assert result.status is status
    assert words in result.summary
    assert perf(result, "time").value >= 0.3


def test_whole_run_timeout_is_critical_by_default_and_configurable():
    with QuickLoopbackHTTP() as server:
        server.routes["/hang"] = Reply(200, "late", delay=5)
        done = run_console_script("check-http", server.url + "/hang", "-t", "500ms")
        assert done.code == 2 and done.first_line == "HTTP CRITICAL - timed out after 500 ms"
        unknown = run_console_script("check-http", server.url + "/hang", "-t", "500ms", "--timeout-result", "unknown")
        assert unknown.code == 3 and "timed out" in unknown.first_line


# --- no answer at all ------------------------------------------------------------------------


def test_closed_port_is_critical(closed_port):
    result = check_http(HttpOptions(url=f"http://127.0.0.1:{closed_port}/health"), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary == f"connection refused by http://127.0.0.1:{closed_port}/health"
    assert result.perfdata == ()


def test_dns_failure_is_critical(monkeypatch):
    # A mock, because no DNS server of ours can run here: the resolver answers "no such name".
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    result = check_http(HttpOptions(url="http://app.example.invalid/health"), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary == "host not found: app.example.invalid (DNS)"


def test_server_closing_without_an_answer_is_critical():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def accept_and_close():
            conn, _ = listener.accept()
            conn.recv(1024)
            conn.close()

        import threading

        threading.Thread(target=accept_and_close, daemon=True).start()
        result = check_http(HttpOptions(url=f"http://127.0.0.1:{port}/"), runtime())
    assert result.status is Status.CRITICAL
    assert any(words in result.summary for words in ("connection closed", "connection aborted", "connection reset"))


# --- redirects ---------------------------------------------------------------------------------


def _redirect(to: str, code: int = 302) -> Reply:
    return Reply(code, "", headers={"Location": to})


def test_redirects_are_followed_and_the_final_answer_judged(http_server):
    http_server.routes.update({"/a": _redirect("/b", 301), "/b": _redirect(http_server.url + "/health"),
                               "/health": Reply(200, HEALTHY)})
    result = check_http(HttpOptions(url=http_server.url + "/a", expect_status=parse_status_list("200"),
                                    expect_json=("$.ok",)), runtime())
    assert result.status is Status.OK
    assert f"200 OK from {http_server.url}/health" in result.summary
    assert result.details == (f"redirects: {http_server.url}/a -> {http_server.url}/b -> {http_server.url}/health",)


def test_a_redirect_to_an_error_is_judged_by_the_error(http_server):
    http_server.routes.update({"/a": _redirect("/broken"), "/broken": Reply(502)})
    result = check_http(HttpOptions(url=http_server.url + "/a"), runtime())
    assert result.status is Status.CRITICAL and result.summary.startswith("502 Bad Gateway from")


@pytest.mark.parametrize("expect, status", [(None, Status.OK), ("200", Status.CRITICAL), ("301", Status.OK)])
def test_no_follow_judges_the_redirect_itself(http_server, expect, status):
    http_server.routes["/old"] = _redirect("/new?session=abc123", 301)
    expect_status = parse_status_list(expect) if expect else DEFAULT_EXPECT_STATUS
    result = check_http(HttpOptions(url=http_server.url + "/old", follow=False, expect_status=expect_status), runtime())
    assert result.status is status
    assert "301 Moved Permanently" in result.summary and f"-> {http_server.url}/new?***" in result.summary
    assert "abc123" not in result.summary
    assert len(http_server.requests) == 1


def test_redirect_loop_is_critical(http_server):
    http_server.routes.update({"/loop": _redirect("/loop2"), "/loop2": _redirect("/loop")})
    result = check_http(HttpOptions(url=http_server.url + "/loop"), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary.startswith(f"redirect loop from {http_server.url}/loop")


def test_too_many_redirects_is_critical(http_server):
    for hop in range(5):
        http_server.routes[f"/r{hop}"] = _redirect(f"/r{hop + 1}")
    http_server.routes["/r5"] = Reply(200)
    assert check_http(HttpOptions(url=http_server.url + "/r0"), runtime()).status is Status.OK
    result = check_http(HttpOptions(url=http_server.url + "/r0", max_redirects=2), runtime())
    assert result.status is Status.CRITICAL
    assert result.summary.startswith("more than 2 redirects from")


# --- request: method, headers, body, user agent ---------------------------------------------------


def test_method_headers_and_body_reach_the_server(http_server, tmp_path):
    http_server.routes["/api"] = Reply(201, {"id": 1})
    options = HttpOptions(url=http_server.url + "/api", data='{"ping": 1}',
                          headers=("Content-Type: application/json", "X-Trace: abc"), user_agent="probe/1")
    result = check_http(options, runtime())
    assert result.status is Status.OK and "201 Created" in result.summary
    sent = http_server.requests[-1]
    assert sent["method"] == "POST"  # a body makes it a POST, as curl -d does
    assert sent["body"] == b'{"ping": 1}'
    assert sent["headers"]["Content-Type"] == "application/json" and sent["headers"]["X-Trace"] == "abc"
    assert sent["headers"]["User-Agent"] == "probe/1"

    body_file = tmp_path / "body.bin"
    body_file.write_bytes(b"\x00binary\xff")
    check_http(HttpOptions(url=http_server.url + "/api", method="put", data_file=str(body_file)), runtime())
    assert http_server.requests[-1]["method"] == "PUT" and http_server.requests[-1]["body"] == b"\x00binary\xff"

    check_http(HttpOptions(url=http_server.url + "/api", method="HEAD"), runtime())
    assert http_server.requests[-1]["method"] == "HEAD"
    check_http(HttpOptions(url=http_server.url + "/api"), runtime())
    assert http_server.requests[-1]["headers"]["User-Agent"] == f"cronchecks/{__version__}"


# --- authentication ----------------------------------------------------------------------------


def _guarded(expected: str):
    def route(handler) -> Reply:
        given = handler.headers.get("Authorization")
        return Reply(200, {"ok": True}) if given == expected else Reply(401, "who are you")
    return route


BASIC = "Basic " + base64.b64encode(b"monitor:pa55-word").decode()


def test_basic_auth_from_environment_file_and_url(http_server, tmp_path):
    http_server.routes["/private"] = _guarded(BASIC)
    url = http_server.url + "/private"
    assert check_http(HttpOptions(url=url), runtime()).status is Status.CRITICAL
    env = {"APP_AUTH": "monitor:pa55-word", "WRONG": "monitor:nope"}
    assert check_http(HttpOptions(url=url, auth_env="APP_AUTH"), runtime(env)).status is Status.OK
    wrong = check_http(HttpOptions(url=url, auth_env="WRONG"), runtime(env))
    assert wrong.status is Status.CRITICAL and "401 Unauthorized" in wrong.summary
    secret = write(tmp_path / "auth", "monitor:pa55-word\n")
    assert check_http(HttpOptions(url=url, auth_file=secret), runtime()).status is Status.OK
    in_url = check_http(HttpOptions(url=url.replace("http://", "http://monitor:pa55-word@")), runtime())
    assert in_url.status is Status.OK and "pa55-word" not in in_url.summary and "monitor" not in in_url.summary


def test_bearer_token_from_environment_and_file(http_server, tmp_path):
    http_server.routes["/private"] = _guarded("Bearer tok-123456")
    url = http_server.url + "/private"
    assert check_http(HttpOptions(url=url, bearer_env="TOKEN"), runtime({"TOKEN": "tok-123456"})).status is Status.OK
    token = write(tmp_path / "token", "tok-123456\n")
    assert check_http(HttpOptions(url=url, bearer_file=token), runtime()).status is Status.OK
    assert check_http(HttpOptions(url=url, bearer_env="TOKEN"), runtime({"TOKEN": "x"})).status is Status.CRITICAL


def _echo(handler) -> Reply:
    # A careless endpoint: it echoes the credentials back in its body and headers.
    auth = handler.headers.get("Authorization", "")
    return Reply(500, {"you_sent": auth, "path": handler.path}, headers={"X-Echo": auth})


@pytest.mark.parametrize("how", ["bearer-env", "auth-env", "url"])
def test_secrets_never_show_in_any_output(http_server, how):
    token, password = "s3cr3t-T0ken-value", "hunter2-pass"
    http_server.routes["/echo"] = _echo
    env = {"API_TOKEN": token, "API_AUTH": f"monitor:{password}"}
    url = http_server.url + "/echo?api_key=" + token
    args = {"bearer-env": ["--bearer-env", "API_TOKEN"], "auth-env": ["--auth-env", "API_AUTH"], "url": []}[how]
    if how == "url":
        url = url.replace("http://", f"http://monitor:{password}@")
    expect = ["--expect-json", '$.you_sent == "nothing"', "--expect-body", "healthy"]
    for fmt in ("nagios", "json"):
        done = run_console_script("check-http", url, *args, *expect, "-vvv", "--format", fmt, env=env)
        assert done.code == 2, done
        everything = done.stdout + done.stderr
        assert "X-Echo: " in done.stderr and "body: " in done.stderr  # the diagnostics did run
        for secret in (token, password, base64.b64encode(f"monitor:{password}".encode()).decode()):
            assert secret not in everything
    refused = run_console_script("check-http", url.replace(http_server.url.split("//")[1], "127.0.0.1:1"), *args,
                                 "-vvv", env=env)
    assert refused.code == 2
    assert token not in refused.stdout + refused.stderr and password not in refused.stdout + refused.stderr


# --- proxies from the environment ----------------------------------------------------------------


def test_proxy_from_environment_and_no_proxy(http_server, closed_port):
    # The loopback server plays the proxy: it receives the absolute URL of the target.
    http_server.routes["http://app.example.invalid/health"] = Reply(200, HEALTHY)
    result = check_http(HttpOptions(url="http://app.example.invalid/health", expect_json=("$.ok",)),
                        runtime({"http_proxy": http_server.url}))
    assert result.status is Status.OK
    assert http_server.requests[-1]["path"] == "http://app.example.invalid/health"

    down = {"HTTP_PROXY": f"http://127.0.0.1:{closed_port}"}
    http_server.routes["/health"] = Reply(200)
    assert check_http(HttpOptions(url=http_server.url + "/health"), runtime(down)).status is Status.CRITICAL
    for no_proxy in ("127.0.0.1", "localhost,127.0.0.0/8", "*", ".0.0.1"):
        bypass = {**down, "no_proxy": no_proxy}
        status = check_http(HttpOptions(url=http_server.url + "/health"), runtime(bypass)).status
        assert status is (Status.CRITICAL if no_proxy == ".0.0.1" else Status.OK), no_proxy


# --- HTTPS with trustme certificates ----------------------------------------------------------------


TLS_CASES = [
    # (id, server certificate, client options, status, words)
    ("valid", "valid", {"cacert": True}, Status.OK, ["200 OK from https://127.0.0.1:"]),
    ("unknown-ca", "valid", {}, Status.CRITICAL, ["TLS failure with https://127.0.0.1:", "issuer"]),
    ("valid-insecure", "valid", {"insecure": True}, Status.OK, ["200 OK"]),
    ("expiring-critical", "expiring", {"cacert": True, "cert_warning": 30 * 86400, "cert_critical": 7 * 86400},
     Status.CRITICAL, ["certificate expires in 4d", "critical < 7 days", "200 OK from https://"]),
    ("expiring-warning", "expiring", {"cacert": True, "cert_warning": 30 * 86400, "cert_critical": 3 * 86400},
     Status.WARNING, ["certificate expires in 4d", "warning < 30 days"]),
    ("expiring-unjudged", "expiring", {"cacert": True}, Status.OK, ["200 OK"]),
    ("expired", "expired", {"cacert": True}, Status.CRITICAL, ["TLS failure", "certificate has expired"]),
    ("expired-insecure", "expired", {"insecure": True, "cert_critical": 7 * 86400}, Status.CRITICAL,
     ["certificate expired 1d", "ago"]),
    ("wrong-host", "wrong-host", {"cacert": True}, Status.CRITICAL, ["TLS failure", "mismatch"]),
    ("wrong-host-insecure", "wrong-host", {"insecure": True}, Status.OK, ["200 OK"]),
]


@pytest.mark.parametrize("kind, extra, status, words", [c[1:] for c in TLS_CASES], ids=[c[0] for c in TLS_CASES])
def test_tls(pki, kind, extra, status, words):
    if extra.get("cacert") is True:
        extra = {**extra, "cacert": pki.ca_file}
    with LoopbackHTTPS(pki, kind) as server:
        server.routes["/health"] = Reply(200, HEALTHY)
        result = check_http(HttpOptions(url=server.url + "/health", **extra), runtime())
    assert result.status is status, result.summary
    for word in words:
        assert word in result.summary
    if status is Status.OK or "certificate expire" in result.summary:
        days = perf(result, "cert_days")
        expected = {"expiring": 5, "expired": -1}.get(kind)
        assert days is not None and (expected is None or days.value == pytest.approx(expected, abs=0.01))


def test_cert_days_perfdata_carries_the_thresholds_in_days(pki):
    with LoopbackHTTPS(pki, "expiring") as server:
        server.routes["/"] = Reply(200)
        result = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file, cert_warning=30 * 86400,
                                        cert_critical=7 * 86400), runtime())
    from cronchecks.core.output import format_perfdata

    assert format_perfdata(perf(result, "cert_days")).startswith("cert_days=4.99;30:;7:") or \
        format_perfdata(perf(result, "cert_days")).startswith("cert_days=5;30:;7:")


def test_system_trust_is_the_default_and_requests_variables_are_honoured(pki):
    with LoopbackHTTPS(pki) as server:
        server.routes["/"] = Reply(200)
        assert check_http(HttpOptions(url=server.url + "/"), runtime()).status is Status.CRITICAL
        bundle = runtime({"REQUESTS_CA_BUNDLE": pki.ca_file})
        assert check_http(HttpOptions(url=server.url + "/"), bundle).status is Status.OK


@pytest.mark.parametrize("client, status", [
    ({}, Status.CRITICAL),
    ({"cert": "client_cert", "key": "client_key"}, Status.OK),
    ({"cert": "client_both"}, Status.OK),
])
def test_client_certificate_required(pki, client, status):
    options = {name: getattr(pki, attribute) for name, attribute in client.items()}
    with LoopbackHTTPS(pki, require_client_cert=True) as server:
        server.routes["/health"] = Reply(200, HEALTHY)
        result = check_http(HttpOptions(url=server.url + "/health", cacert=pki.ca_file, **options), runtime())
    assert result.status is status, result.summary
    if status is Status.CRITICAL:
        assert "TLS failure" in result.summary and "client certificate" in result.summary


def test_plain_http_on_a_tls_port_says_so(pki):
    with LoopbackHTTPS(pki) as server:
        result = check_http(HttpOptions(url=server.url.replace("https://", "http://") + "/"), runtime())
    assert result.status is Status.CRITICAL


def test_cert_thresholds_on_a_plain_http_answer_are_unknown(http_server):
    http_server.routes["/"] = Reply(200)
    result = check_http(HttpOptions(url=http_server.url + "/", cert_critical=86400), runtime())
    assert result.status is Status.UNKNOWN and "no TLS certificate to judge" in result.summary


# --- retries ------------------------------------------------------------------------------------


def _flaky(failures: int, bad: Reply):
    seen = {"count": 0}

    def route(handler) -> Reply:
        seen["count"] += 1
        return bad if seen["count"] <= failures else Reply(200, HEALTHY)
    return route


def test_retries_until_ok_and_say_so(http_server):
    http_server.routes["/flaky"] = _flaky(2, Reply(502))
    options = HttpOptions(url=http_server.url + "/flaky", retries=3, retry_delay=0.01)
    result = check_http(options, runtime())
    assert result.status is Status.OK
    assert result.summary.endswith(", after 3 attempts")
    assert perf(result, "attempts").value == 3 and perf(result, "attempts").maximum == 4
    assert [d.split(" - ")[0] for d in result.details] == ["attempt 1: CRITICAL", "attempt 2: CRITICAL"]


def test_retries_exhausted_report_the_last_answer(http_server):
    http_server.routes["/down"] = Reply(503)
    result = check_http(HttpOptions(url=http_server.url + "/down", retries=2, retry_delay=0.01), runtime())
    assert result.status is Status.CRITICAL and result.summary.endswith(", after 3 attempts")
    assert len(http_server.requests) == 3


def test_first_answer_ok_means_one_attempt(http_server):
    http_server.routes["/"] = Reply(200)
    result = check_http(HttpOptions(url=http_server.url + "/", retries=2), runtime())
    assert result.status is Status.OK and "after" not in result.summary
    assert perf(result, "attempts").value == 1


def test_no_retry_when_the_deadline_would_cut_it_short(http_server):
    http_server.routes["/down"] = Reply(500)
    result = check_http(HttpOptions(url=http_server.url + "/down", retries=3, retry_delay=30), runtime(seconds=5))
    assert result.status is Status.CRITICAL and len(http_server.requests) == 1


# --- usage mistakes are UNKNOWN, before any request ------------------------------------------------


USAGE = [
    ({"url": "ftp://host/"}, "http:// or https://"),
    ({"url": "http://"}, "http:// or https://"),
    ({"url": "http://host:99999/"}, "invalid URL"),
    ({"method": "GE T"}, "invalid --method"),
    ({"headers": ("NoColon",)}, "invalid --header"),
    ({"data": "x", "data_file": "/x"}, "--data or --data-file"),
    ({"data_file": "/nonexistent/body"}, "cannot read"),
    ({"method": "HEAD", "expect_body": ("x",)}, "HEAD gets no body"),
    ({"insecure": True, "cacert": __file__}, "contradict"),
    ({"cacert": "/nonexistent/ca.pem"}, "not a readable file"),
    ({"key": __file__}, "--key goes with --cert"),
    ({"auth_env": "A", "bearer_env": "B"}, "one way to authenticate"),
    ({"auth_env": "MISSING"}, "MISSING is not set"),
    ({"auth_env": "NOCOLON"}, "'user:password'"),
    ({"bearer_env": "B", "headers": ("Authorization: Basic x",)}, "one way to authenticate"),
    ({"follow": False, "max_redirects": 3}, "drop --no-follow"),
    ({"retry_delay": 1.0}, "--retry-delay goes with --retries"),
    ({"retries": -1}, "cannot be negative"),
    ({"expect_body": ("(unclosed",)}, "invalid --expect-body '(unclosed'"),
    ({"expect_json": ("$.status = 1",)}, "invalid --expect-json '$.status = 1'"),
    ({"expect_json": ("$.status == healthy",)}, 'strings need quotes: "healthy"'),
    ({"expect_json": ("status == 1",)}, "invalid --expect-json 'status == 1'"),
    ({"url": "http://h/", "follow": False, "cert_critical": 86400.0}, "need an https:// URL"),
    ({"cert": __file__}, "cannot use --cert"),
    ({"env_ca": "/nonexistent/bundle.pem"}, "cannot use the TLS files"),
]


@pytest.mark.parametrize("extra, words", USAGE, ids=[w for _, w in USAGE])
def test_usage_mistakes(extra, words, closed_port):
    options = HttpOptions(url=f"http://127.0.0.1:{closed_port}/")
    env = {"A": "u:p", "B": "tok", "NOCOLON": "justapassword"}
    extra = dict(extra)
    if "env_ca" in extra:  # a CA bundle variable naming a missing file: our configuration, UNKNOWN
        env["REQUESTS_CA_BUNDLE"] = extra.pop("env_ca")
        extra = {**extra, "url": options.url.replace("http://", "https://")}
    with pytest.raises(UsageError) as caught:
        check_http(replace(options, **extra), runtime(env))
    assert words in str(caught.value)
    assert "justapassword" not in str(caught.value)


# --- the real command ----------------------------------------------------------------------------


def test_console_script_end_to_end(http_server):
    http_server.routes["/health/"] = Reply(200, HEALTHY)
    ok = run_console_script("check-http", http_server.url + "/health/", "-w", "500ms", "-c", "2s",
                            "--expect-json", '$.status == "healthy"', "--expect-status", "200,204")
    assert ok.code == 0, ok
    assert ok.first_line.startswith("HTTP OK - 200 OK from http://127.0.0.1:")
    assert "| time=" in ok.first_line and "s;0.5;2;0 size=" in ok.first_line
    http_server.routes["/health/"] = Reply(503, {"status": "degraded"})
    degraded = run_console_script("check-http", http_server.url + "/health/", "--warn-status", "503",
                                  "--format", "json")
    assert degraded.code == 1
    data = json.loads(degraded.stdout)
    assert data["status"] == "WARNING" and [p["label"] for p in data["perfdata"]] == ["time", "size"]


@pytest.mark.parametrize("args, words", [
    (["--expect-status", "200,abc"], "invalid --expect-status: not a status code or range: 'abc'"),
    (["--warn-status", ""], "invalid --warn-status: empty status list"),
    (["--cert-warning", "soon"], "invalid --cert-warning"),
    (["--retry-delay", "fast", "--retries", "1"], "invalid --retry-delay"),
    (["--expect-json", "$.a < true"], "compares numbers or strings"),
    ([], "missing argument 'URL'"),
])
def test_command_line_mistakes_are_unknown(args, words, closed_port):
    url = [f"http://127.0.0.1:{closed_port}/"] if args else []
    done = run_console_script("check-http", *url, *args)
    assert done.code == 3 and done.first_line.startswith("HTTP UNKNOWN - ") and words in done.first_line, done


def test_cert_days_read_bare_numbers_as_days(pki):
    from cronchecks.http.arguments import _days

    assert _days("30") == _days("30d") == 30 * 86400
    assert _days("12h") == 12 * 3600


def test_only_what_the_path_needs_is_imported(http_server):
    http_server.routes["/h"] = Reply(200, HEALTHY)
    script = textwrap.dedent("""
        import contextlib, io, sys
        from cronchecks.cli import check_main
        with contextlib.redirect_stdout(io.StringIO()):
            check_main("http", sys.argv[1:])
        print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
    """)

    def loaded(*args):
        return set(subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
                   .stdout.split())

    plain = loaded(http_server.url + "/h")
    assert "requests" in plain
    assert not plain & {"jsonpath", "rich", "psutil", "sqlalchemy", "pydantic", "cryptography"}
    assert "jsonpath" not in loaded(http_server.url + "/h", "--expect-json", '$.checks.database == "OK"')
    assert "jsonpath" in loaded(http_server.url + "/h", "--expect-json", "$.checks.*")


# --- property tests: the status-list and expression parsers -------------------------------------


codes = st.integers(100, 599)
spans = st.tuples(codes, codes).map(lambda pair: StatusSpan(min(pair), max(pair)))


def _item(span: StatusSpan) -> str:
    if span.low % 100 == 0 and span.high == span.low + 99:
        return f"{span.low // 100}xx"
    return str(span.low) if span.low == span.high else f"{span.low}-{span.high}"


@given(st.lists(spans, min_size=1, max_size=6), st.lists(codes, max_size=20))
def test_status_list_membership_matches_its_items(items, probes):
    parsed = parse_status_list(", ".join(_item(s) for s in items))
    for code in probes + [s.low for s in items] + [s.high for s in items]:
        assert status_in(code, parsed) == any(s.low <= code <= s.high for s in items)
    assert parse_status_list(describe_status_list(parsed)) == parsed
    assert all(a.high + 1 < b.low for a, b in itertools.pairwise(parsed))  # merged, sorted, disjoint


@given(st.text(max_size=30))
def test_status_list_parser_rejects_garbage_with_parse_error_only(text):
    try:
        parsed = parse_status_list(text)
    except ParseError:
        return
    assert parsed and all(100 <= s.low <= s.high <= 599 for s in parsed)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
paths = st.sampled_from(["$.status", "$.checks.database", "$['odd key <= 1']", '$.w[?@.t == "x"].b',
                         "$.a[0]", "$..latency_ms", "$.items[?@.n >= 2 && @.m != 'q'].id", "$.*"])
operators = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


@given(paths, operators, json_scalars, st.sampled_from(["", " ", "  "]))
def test_expression_splits_at_the_top_level_comparison(path, operator, value, space):
    literal = json.dumps(value)
    parts = split_expression(f"{path}{space}{operator}{space}{literal}")
    assert parts == (path, operator, literal)
    assert same_value(parse_literal(literal), value)
    assert split_expression(path) == (path, None, None)


@given(st.text(max_size=40))
def test_expression_parser_fails_only_with_its_own_error(text):
    try:
        parts = split_expression(text)
        if parts.literal is not None:
            parse_literal(parts.literal)
    except JsonPathError:
        pass


@given(json_scalars, json_scalars)
def test_comparisons_are_consistent(left, right):
    assert same_value(left, right) == same_value(right, left)
    assert holds(left, "==", right) != holds(left, "!=", right)
    if isinstance(left, bool) != isinstance(right, bool):
        assert not same_value(left, right)  # true is not 1
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if numbers:
        assert holds(left, "<", right) == (left < right)
        assert holds(left, ">=", right) == (left >= right)
    elif not (isinstance(left, str) and isinstance(right, str)):
        assert not any(holds(left, op, right) for op in ("<", "<=", ">", ">="))


# --- the certificate reader -------------------------------------------------------------------------


@pytest.mark.parametrize("moment", [datetime(2030, 5, 1, 12, 30, 15, tzinfo=UTC),
                                    datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
                                    datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)])  # GeneralizedTime
def test_not_after_reads_trustme_certificates(pki, moment):
    import ssl

    cert = pki.ca.issue_cert("127.0.0.1", not_after=moment)
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    assert not_after(der) == moment


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_not_after_rejects_garbage_with_its_own_error(data):
    with contextlib.suppress(CertificateError):  # its own error, or a date: anything else fails the test
        not_after(data)


# --- the plain-path walker agrees with python-jsonpath ---------------------------------------------


keys = st.sampled_from(["a", "b", "status", "odd key", "x_1"])
documents = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(keys, inner, max_size=3)),
                         max_leaves=12)
segments = st.lists(st.one_of(keys, st.integers(-4, 4)), max_size=4)


def _spell(parts, style: int) -> str:
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif style == 0 and part.replace("_", "").isalnum():
            text += f".{part}"
        else:
            text += f"['{part}']" if style < 2 else f'[ "{part}" ]'
    return text


@settings(max_examples=300)
@given(documents, segments, st.integers(0, 2))
def test_plain_paths_are_walked_exactly_as_python_jsonpath_does(document, parts, style):
    from cronchecks.support.jsonpaths import CompiledPath, _environment, compile_path

    text = _spell(parts, style)
    fast = compile_path(text)
    assert isinstance(fast.query, tuple)  # walked here, without the library
    if not parts and not isinstance(document, (dict, list)):
        assert fast.values(document) == [document]  # the library would parse a str root as JSON text
        return
    library = CompiledPath(text, _environment().compile(text))
    assert fast.values(document) == library.values(document)


@pytest.mark.parametrize("document", ["0", "[1]", '{"a": 1}', 5, None, True, ""])
def test_a_scalar_document_is_not_parsed_again(document):
    from cronchecks.support.jsonpaths import compile_path

    assert compile_path("$").values(document) == [document]
    assert compile_path("$.*").values(document) == []
    assert compile_path("$..a").values(document) == []


# --- the README documents every option ---------------------------------------------------------


def test_readme_documents_every_option():
    import inspect

    import typer

    from cronchecks.cli.http import http
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## check-http\n", 1)[1].split("\n## ", 1)[0]
    flags = []
    for parameter in inspect.signature(http).parameters.values():
        for meta in getattr(parameter.annotation, "__metadata__", ()):
            if isinstance(meta, typer.models.OptionInfo):
                # With Annotated, typer reads the first positional (`default`) as a declaration.
                decls = meta.param_decls or ()  # typer keeps None for "no declarations"
                declared = [meta.default, *decls] if isinstance(meta.default, str) else decls
                flags += [f for decl in declared for f in decl.split("/") if f.startswith("--")]
    own = [f for f in flags if f not in ("--warning", "--critical", "--timeout", "--timeout-result", "--verbose",
                                         "--label", "--format", "--version", "--help")]
    assert len(own) >= 25
    missing = [flag for flag in own if f"`{flag}" not in section]
    assert not missing, f"README's check-http section lacks {missing}"
