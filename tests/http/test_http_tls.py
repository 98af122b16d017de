"""check-http's connection and TLS against real loopback servers: certificates from the handshake, --connect-to and
SNI, the chain, --tls-min, --expect-tls, proxies, phase timings and the address family; and check_curl's verdicts."""

from __future__ import annotations

import base64
import re
import socket
import ssl
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.http.check import check_http
from cronchecks.http.connection import parse_host_port, parse_phase_range
from cronchecks.http.options import HttpOptions
from cronchecks.support.httpwire import PHASE_NAMES, Phases
from tests.conftest import LoopbackHTTP, Reply, run_console_script
from tests.http_fixtures import ConnectProxy, TlsReply, TlsServer, server_context, short_lived_intermediate

# the fixture `pki`, by name (importing it would shadow it in every test's arguments)
pytest_plugins = ["tests.http_fixtures"]

DAY = timedelta(days=1)
CHECK_CURL = Path("/usr/lib/nagios/plugins/check_curl")


def runtime(env: dict | None = None, seconds: float = 10) -> Runtime:
    return Runtime(env=env or {}, deadline=time.monotonic() + seconds)


def perf(result, label):
    return next((p for p in result.perfdata if p.label == label), None)


def days_from_now(days: float) -> datetime:
    return datetime.now(UTC) + days * DAY


@pytest.fixture
def app_cert(pki):
    """A certificate for app.internal (and 127.0.0.1), from the test CA."""
    return pki.ca.issue_cert("app.internal", "127.0.0.1")


# --- the certificate comes from the handshake, whatever the connection does afterwards ------------


def test_a_server_that_closes_after_answering_has_its_certificate_judged(pki):
    cert = pki.ca.issue_cert("127.0.0.1", not_after=days_from_now(5))
    with TlsServer(server_context(cert)) as server:
        done = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file,
                                  "--cert-warning", "30", "--cert-critical", "3")
        assert done.code == 1, done
        assert done.first_line.startswith("HTTP WARNING - certificate expires in 4d 23h ("), done
        assert "no TLS certificate" not in done.stdout
        # Without thresholds, the days are still in the perfdata.
        plain = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file), runtime())
    assert plain.status is Status.OK, plain.summary
    assert 4.9 < perf(plain, "cert_days").value <= 5.0
    assert len(server.requests) == 2


def test_insecure_still_reads_the_certificate_of_a_closing_server(pki):
    cert = pki.ca.issue_cert("127.0.0.1", not_after=days_from_now(2))
    with TlsServer(server_context(cert)) as server:
        result = check_http(HttpOptions(url=server.url + "/", insecure=True, cert_critical=7 * 86400), runtime())
    assert result.status is Status.CRITICAL and "certificate expires in" in result.summary


# --- --connect-to and SNI -------------------------------------------------------------------------------


def test_connect_to_keeps_the_url_host_as_host_sni_and_certificate_name(pki, app_cert):
    with TlsServer(server_context(app_cert), only_name="app.internal") as server:
        done = run_console_script("check-http", "https://app.internal/health", "--connect-to",
                                  f"127.0.0.1:{server.port}", "--cacert", pki.ca_file, "-v")
    assert done.code == 0, done
    assert done.first_line.startswith("HTTP OK - 200 X from https://app.internal/health in ")
    assert server.names == ["app.internal"]
    assert "\r\nHost: app.internal\r\n" in server.requests[0]
    assert f"connecting to 127.0.0.1:{server.port} for app.internal:443 (--connect-to)" in done.stderr


def test_connect_to_checks_the_certificate_against_the_url_host(pki):
    with TlsServer(server_context(pki.ca.issue_cert("other.example"))) as server:
        result = check_http(HttpOptions(url="https://app.internal/", connect_to=f"127.0.0.1:{server.port}",
                                        cacert=pki.ca_file), runtime())
    assert result.status is Status.CRITICAL and "not valid for 'app.internal'" in result.summary


def test_a_host_header_on_an_address_is_the_sni_name(pki, app_cert):
    with TlsServer(server_context(app_cert), only_name="app.internal") as server:
        named = check_http(HttpOptions(url=server.url + "/", headers=("Host: app.internal",), cacert=pki.ca_file),
                           runtime())
        with_port = check_http(HttpOptions(url=server.url + "/", headers=(f"Host: app.internal:{server.port}",),
                                           cacert=pki.ca_file), runtime())
        bare = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file), runtime())
    assert named.status is Status.OK and with_port.status is Status.OK, (named.summary, with_port.summary)
    assert bare.status is Status.CRITICAL and "TLS failure" in bare.summary  # no SNI: the server refuses
    assert server.names == ["app.internal", "app.internal", None]
    assert "\r\nHost: app.internal\r\n" in server.requests[0]


def test_connect_to_applies_to_the_url_origin_only(pki, app_cert):
    # The page redirects to another origin, which is reached where its own name says.
    with LoopbackHTTP() as elsewhere, TlsServer(server_context(app_cert)) as server:
        elsewhere.routes["/landing"] = Reply(200, "landed")
        server.routes["/"] = TlsReply(302, b"", (("Location", elsewhere.url + "/landing"),))
        result = check_http(HttpOptions(url="https://app.internal/", connect_to=f"127.0.0.1:{server.port}",
                                        cacert=pki.ca_file), runtime())
    assert result.status is Status.OK, result.summary
    assert [r["path"] for r in elsewhere.requests] == ["/landing"]


# --- the whole chain ---------------------------------------------------------------------------------


def test_cert_chain_catches_an_intermediate_that_expires_first(pki):
    intermediate = short_lived_intermediate(pki.ca, days_from_now(3))
    leaf = intermediate.issue_cert("127.0.0.1", not_after=days_from_now(300))
    with TlsServer(server_context(leaf)) as server:
        options = HttpOptions(url=server.url + "/", cacert=pki.ca_file, cert_warning=30 * 86400,
                              cert_critical=7 * 86400)
        leaf_only = check_http(options, runtime())
        chained = check_http(HttpOptions(**{**options.__dict__, "cert_chain": True}), runtime())
        done = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--cert-chain")
    assert leaf_only.status is Status.OK, leaf_only.summary
    assert 299 < perf(leaf_only, "cert_days").value <= 300 and perf(leaf_only, "chain_days") is None
    assert chained.status is Status.CRITICAL
    assert "certificate 2 of the 2 in the chain expires in 2d 23h" in chained.summary
    assert 2.9 < perf(chained, "chain_days").value <= 3 and perf(chained, "cert_days").value > 299
    # --cert-chain alone: OK, with both figures.
    assert done.code == 0 and re.search(r" cert_days=(299\.9\d*|300) chain_days=(2\.9\d*|3)$", done.first_line), done


# --- TLS version and plain HTTP --------------------------------------------------------------------------


def test_tls_min_fails_a_server_that_offers_less(pki, app_cert):
    with TlsServer(server_context(app_cert, maximum=ssl.TLSVersion.TLSv1_2)) as old:
        refused = run_console_script("check-http", old.url + "/", "--cacert", pki.ca_file, "--tls-min", "1.3")
        fine = check_http(HttpOptions(url=old.url + "/", cacert=pki.ca_file, tls_min="1.2"), runtime())
    assert refused.code == 2, refused
    assert "TLS failure" in refused.first_line and "--tls-min 1.3" in refused.first_line
    assert fine.status is Status.OK
    assert len(old.requests) == 1  # the refused handshake sent no request: only the 1.2 one did
    with TlsServer(server_context(app_cert)) as modern:
        assert check_http(HttpOptions(url=modern.url + "/", cacert=pki.ca_file, tls_min="1.3"),
                          runtime()).status is Status.OK


def test_expect_tls_fails_an_https_page_that_ends_on_plain_http(pki, app_cert):
    with LoopbackHTTP() as plain, TlsServer(server_context(app_cert)) as server:
        plain.routes["/landing"] = Reply(200, "landed")
        plain.routes["/up"] = Reply(301, "", headers={"Location": server.url + "/"})
        server.routes["/down"] = TlsReply(302, b"", (("Location", plain.url + "/landing"),))
        down = run_console_script("check-http", server.url + "/down", "--cacert", pki.ca_file, "--expect-tls")
        allowed = check_http(HttpOptions(url=server.url + "/down", cacert=pki.ca_file), runtime())
        up = check_http(HttpOptions(url=plain.url + "/up", cacert=pki.ca_file, expect_tls=True), runtime())
        unfollowed = check_http(HttpOptions(url=plain.url + "/up", follow=False, expect_tls=True), runtime())
    assert down.code == 2 and "came over plain HTTP" in down.first_line and "--expect-tls" in down.first_line, down
    assert allowed.status is Status.OK
    assert up.status is Status.OK, up.summary
    assert unfollowed.status is Status.CRITICAL and "plain HTTP" in unfollowed.summary


# --- proxies: explicit, from a variable or a file, or none; credentials never shown ------------------------


SECRET = "pr0xy-s3cret"
SECRET_B64 = base64.b64encode(f"monitor:{SECRET}".encode()).decode()


def assert_hidden(done) -> None:
    for text in (SECRET, SECRET_B64):
        assert text not in done.stdout and text not in done.stderr, done


def test_proxy_credentials_from_the_environment_go_to_the_proxy_and_nowhere_else(pki, app_cert):
    with ConnectProxy("monitor:" + SECRET) as proxy, TlsServer(server_context(app_cert)) as server:
        proxy_url = proxy.url.replace("http://", f"http://monitor:{SECRET}@")
        done = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--proxy-env", "PROXY",
                                  "-vvv", env={"PROXY": proxy_url})
        wrong = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--proxy-env", "PROXY",
                                   "-vv", env={"PROXY": proxy_url.replace(SECRET, "wrong-" + SECRET)})
    assert done.code == 0, done
    assert_hidden(done)
    assert "via proxy http://127.0.0.1:" in done.stderr
    assert proxy.heads[0].startswith(f"CONNECT 127.0.0.1:{server.port} HTTP/1.")
    assert f"Proxy-Authorization: Basic {SECRET_B64}" in proxy.heads[0]
    assert not any("Proxy-Authorization" in r for r in server.requests)  # the target never sees it
    assert wrong.code == 2, wrong
    assert "the proxy failed for https://127.0.0.1:" in wrong.first_line
    assert "407 Proxy Authentication" in wrong.first_line
    assert_hidden(wrong)


def test_proxy_from_a_file_and_an_explicit_proxy(pki, app_cert, tmp_path):
    with ConnectProxy("monitor:" + SECRET) as proxy, TlsServer(server_context(app_cert)) as server:
        secret_file = tmp_path / "proxy.url"
        secret_file.write_text(proxy.url.replace("http://", f"http://monitor:{SECRET}@") + "\n")
        done = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--proxy-file",
                                  str(secret_file), "-vv")
        assert done.code == 0, done
        assert_hidden(done)
    with ConnectProxy() as open_proxy, TlsServer(server_context(app_cert)) as server:
        explicit = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file, proxy=open_proxy.url), runtime())
        exempt = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file, proxy=open_proxy.url),
                            runtime({"NO_PROXY": "127.0.0.1"}))
        plain = check_http(HttpOptions(url="http://app.example.invalid/x", proxy=open_proxy.url), runtime())
    assert explicit.status is Status.OK and exempt.status is Status.OK and plain.status is Status.OK
    assert [h.split(" ", 2)[:2] for h in open_proxy.heads] == [["CONNECT", f"127.0.0.1:{server.port}"],
                                                               ["GET", "http://app.example.invalid/x"]]


def test_no_proxy_and_connect_to_go_direct_whatever_the_environment(pki, app_cert):
    with ConnectProxy() as proxy, TlsServer(server_context(app_cert)) as server:
        env = {"HTTPS_PROXY": proxy.url}
        through = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file), runtime(env))
        assert len(proxy.heads) == 1 and through.status is Status.OK
        direct = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file, no_proxy=True), runtime(env))
        routed = check_http(HttpOptions(url="https://app.internal/", connect_to=f"127.0.0.1:{server.port}",
                                        cacert=pki.ca_file), runtime(env))
    assert direct.status is Status.OK and routed.status is Status.OK, (direct.summary, routed.summary)
    assert len(proxy.heads) == 1 and len(server.requests) == 3


# --- phase timings, measured from the request itself ----------------------------------------------------


DELAY = 0.3
SMALL = 0.2  # what a phase the server does not delay may take on a loaded 2-core machine


@pytest.mark.parametrize("delay, phase", [("handshake", "tls"), ("firstbyte", "firstbyte"),
                                          ("transfer", "transfer")])
def test_each_phase_takes_the_time_the_server_spends_in_it(app_cert, pki, delay, phase):
    with TlsServer(server_context(app_cert), **{delay: DELAY}) as server:  # type: ignore[arg-type]
        result = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file, phases=True), runtime())
    assert result.status is Status.OK, result.summary
    figures = {name: perf(result, f"time_{name}").value for name in PHASE_NAMES}
    assert DELAY - 0.01 <= figures[phase] < DELAY + 0.25, figures
    assert all(seconds < SMALL for name, seconds in figures.items() if name != phase), figures
    assert sum(figures.values()) <= perf(result, "time").value + 0.005


def test_a_full_accept_queue_shows_in_the_connect_phase(app_cert, pki):
    # The kernel drops a SYN while the accept queue is full: connect waits for its retransmission (1 s on Linux).
    with TlsServer(server_context(app_cert), accept=0.2) as server:
        result = check_http(HttpOptions(url=server.url + "/", cacert=pki.ca_file, phases=True), runtime())
    assert result.status is Status.OK, result.summary
    figures = {name: perf(result, f"time_{name}").value for name in PHASE_NAMES}
    assert 0.9 <= figures["connect"] < 1.8, figures
    assert all(seconds < SMALL for name, seconds in figures.items() if name != "connect"), figures


def test_phase_thresholds_judge_one_phase(app_cert, pki):
    with TlsServer(server_context(app_cert), handshake=DELAY) as server:
        url = server.url + "/"
        slow = run_console_script("check-http", url, "--cacert", pki.ca_file, "--phase-critical", "tls=100ms")
        fine = check_http(HttpOptions(url=url, cacert=pki.ca_file, phase_critical=("tls=1s",)), runtime())
        warned = check_http(HttpOptions(url=url, cacert=pki.ca_file, phase_warning=("tls=100ms",),
                                        phase_critical=("tls=5s",)), runtime())
    assert slow.code == 2 and slow.first_line.startswith("HTTP CRITICAL - tls took "), slow
    assert "(critical > 100 ms, --phase-critical)" in slow.first_line
    assert re.search(r" time_tls=(0\.[3-9]|[1-9])[\d.]*s;;0\.1;0", slow.stdout), slow
    assert "time_dns" not in slow.stdout  # only the judged phase without --phases
    assert fine.status is Status.OK and perf(fine, "time_tls").critical is not None
    assert warned.status is Status.WARNING and "tls took" in warned.summary


def test_phases_of_a_plain_request_and_of_redirects(http_server):
    http_server.routes["/a"] = Reply(302, "", headers={"Location": "/b"})
    http_server.routes["/b"] = Reply(200, "x" * 1000, delay=0.1)
    result = check_http(HttpOptions(url=http_server.url + "/a", phases=True), runtime())
    assert result.status is Status.OK
    figures = {name: perf(result, f"time_{name}").value for name in PHASE_NAMES}
    assert figures["tls"] == 0 and 0.1 <= figures["firstbyte"] < 0.35, figures
    without = check_http(HttpOptions(url=http_server.url + "/b"), runtime())
    assert not any(p.label.startswith("time_") for p in without.perfdata)


# --- the address family ------------------------------------------------------------------------------------


@pytest.fixture
def ipv6_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"v6")

        def log_message(self, *args):
            pass

    class Server6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = Server6(("::1", 0), Handler)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_ipv6_and_ipv4_force_the_family(ipv6_server, http_server):
    port = ipv6_server.server_address[1]
    assert check_http(HttpOptions(url=f"http://[::1]:{port}/", ipv6=True), runtime()).status is Status.OK
    http_server.routes["/"] = Reply(200, "v4")
    v4_port = http_server.server.server_port
    assert check_http(HttpOptions(url=f"http://localhost:{v4_port}/", ipv4=True), runtime()).status is Status.OK
    if any(info[0] == socket.AF_INET6 for info in socket.getaddrinfo("localhost", None)):
        return  # here localhost has an IPv6 address too: the case below needs a v4-only name
    missing = run_console_script("check-http", f"http://localhost:{v4_port}/", "-6")
    assert missing.code == 2 and "(no IPv6 address: --ipv6)" in missing.first_line, missing


# --- mistakes are UNKNOWN, naming the option -------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["--connect-to", "10.0.0.5"], "invalid --connect-to"),
    (["--connect-to", "2001:db8::1:443"], "in brackets"),
    (["--connect-to", "host:70000"], "port from 1 to 65535"),
    (["-4", "-6"], "--ipv4 and --ipv6 contradict"),
    (["-6", "--connect-to", "127.0.0.1:443"], "--ipv6 cannot reach 127.0.0.1"),
    (["--tls-min", "1.1"], "invalid --tls-min '1.1': give 1.2 or 1.3"),
    (["--phase-critical", "ssl=1s"], "NAME=RANGE with NAME one of dns, connect, tls, firstbyte, transfer"),
    (["--phase-warning", "tls=soon"], "invalid --phase-warning 'tls=soon'"),
    (["--phase-critical", "tls=1s", "--phase-critical", "tls=2s"], "given twice"),
    (["--proxy", "ftp://proxy:21"], "invalid proxy URL"),
    (["--proxy", f"http://monitor:{SECRET}@proxy:3128"], "--proxy holds credentials"),
    (["--proxy", "http://proxy:3128", "--no-proxy"], "contradict"),
    (["--proxy", "http://proxy:3128", "--connect-to", "127.0.0.1:443"], "--connect-to connects directly"),
    (["--proxy-env", "NO_SUCH_PROXY_VAR"], "NO_SUCH_PROXY_VAR is not set"),
])
def test_connection_mistakes_are_unknown(args, words, closed_port):
    done = run_console_script("check-http", f"https://127.0.0.1:{closed_port}/", *args)
    assert done.code == 3 and words in done.first_line, done
    assert SECRET not in done.stdout + done.stderr


# --- the parsers, as properties ------------------------------------------------------------------------------


hostnames = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True)
ports = st.integers(1, 65535)


@given(st.one_of(hostnames, st.ip_addresses(v=4).map(str)), ports)
def test_host_port_round_trips(host, port):
    assert parse_host_port(f"{host}:{port}") == (host, port)


@given(st.ip_addresses(v=6), ports)
def test_ipv6_host_port_needs_brackets(address, port):
    assert parse_host_port(f"[{address}]:{port}") == (str(address), port)
    with pytest.raises(ValueError, match="in brackets"):
        parse_host_port(f"{address}:{port}")


@given(st.text(max_size=30))
def test_host_port_never_fails_otherwise(text):
    try:
        host, port = parse_host_port(text)
    except ValueError as error:
        refusal = str(error)
    else:
        refusal = ""
        assert host and 1 <= port <= 65535 and f"{port}" in text
    assert not refusal or any(words in refusal for words in ("HOST:PORT", "IPv6", "not a host"))


@given(st.sampled_from(PHASE_NAMES), st.integers(1, 10_000))
def test_phase_ranges_read_like_time_ranges(name, millis):
    phase, bound = parse_phase_range("--phase-critical", f"{name}={millis}ms")
    assert phase == name and bound.alerts(millis / 1000 + 0.001) and not bound.alerts(millis / 1000)
    assert parse_phase_range("--phase-critical", f"time_{name.upper()}={millis}ms")[0] == name


@given(st.text(max_size=20))
def test_a_bad_phase_range_is_a_usage_error(text):
    try:
        parse_phase_range("--phase-warning", text)
    except UsageError as error:
        refusal = str(error)
    else:
        refusal = "--phase-warning"
    assert "--phase-warning" in refusal


@given(st.lists(st.tuples(*[st.floats(0, 100)] * 5), max_size=5))
def test_phases_add_up_field_by_field(rows):
    total = Phases()
    for row in rows:
        total = total.plus(Phases(*row))
    for index, name in enumerate(PHASE_NAMES):
        assert getattr(total, name) == pytest.approx(sum(row[index] for row in rows))


# --- the same verdicts as check_curl where both have the option ----------------------------------------------


def check_curl(*args: str) -> subprocess.CompletedProcess:
    if not CHECK_CURL.exists():
        pytest.skip("check_curl is not installed (Debian: monitoring-plugins-standard)")
    return subprocess.run([str(CHECK_CURL), *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("days, expected", [(300, 0), (20, 1), (2, 2)])
def test_certificate_days_agree_with_check_curl(pki, days, expected):
    cert = pki.ca.issue_cert("127.0.0.1", not_after=days_from_now(days))
    with TlsServer(server_context(cert)) as server:
        theirs = check_curl("-I", "127.0.0.1", "-p", str(server.port), "-S", "-C", "30,7")
        ours = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--cert-warning", "30",
                                  "--cert-critical", "7")
    assert (theirs.returncode, ours.code) == (expected, expected), (theirs.stdout, ours.stdout)


@pytest.mark.parametrize("named", [True, False], ids=["host-header", "no-name"])
def test_sni_from_the_host_name_agrees_with_check_curl(pki, app_cert, named):
    with TlsServer(server_context(app_cert), only_name="app.internal") as server:
        name = ["-H", "app.internal"] if named else []
        theirs = check_curl(*name, "-I", "127.0.0.1", "-p", str(server.port), "-S", "--sni")
        ours = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file,
                                  *(["--header", "Host: app.internal"] if named else []))
    expected = 0 if named else 2
    assert (theirs.returncode, ours.code) == (expected, expected), (theirs.stdout, ours.stdout)
    if named:
        assert server.names == ["app.internal", "app.internal"]


@pytest.mark.parametrize("version, expected", [("1.3", 2), ("1.2", 0)])
def test_tls_version_agrees_with_check_curl(pki, app_cert, version, expected):
    with TlsServer(server_context(app_cert, maximum=ssl.TLSVersion.TLSv1_2)) as server:
        theirs = check_curl("-I", "127.0.0.1", "-p", str(server.port), f"--ssl={version}+")
        ours = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--tls-min", version)
    assert (theirs.returncode, ours.code) == (expected, expected), (theirs.stdout, ours.stdout)


def test_phase_perfdata_matches_check_curls_extended_perfdata(pki, app_cert):
    with TlsServer(server_context(app_cert), firstbyte=0.2) as server:
        theirs = check_curl("-I", "127.0.0.1", "-p", str(server.port), "-S", "-E")
        ours = run_console_script("check-http", server.url + "/", "--cacert", pki.ca_file, "--phases")
    assert theirs.returncode == ours.code == 0, (theirs.stdout, ours.stdout)
    for label in ("time_connect", "time_firstbyte", "time_transfer"):
        assert f"{label}=" in theirs.stdout and f"{label}=" in ours.stdout
    assert "time_ssl=" in theirs.stdout and "time_tls=" in ours.stdout

    def figure(text: str, label: str) -> float:
        return float(text.split(f"{label}=")[1].split(";", maxsplit=1)[0].rstrip("s"))

    # both see the server's 0.2 s before its first byte
    assert figure(theirs.stdout, "time_firstbyte") >= 0.19 and figure(ours.stdout, "time_firstbyte") >= 0.19


# --- nginx from Debian: a real server that closes after each answer, picking its site by SNI -----------------


@pytest.fixture
def nginx_tls(pki, tmp_path):
    """nginx with keepalive off (Connection: close on every answer), a chain whose intermediate expires in 3 days,
    app.internal chosen by SNI and anything else answered 421 by the default site."""
    from tests.daemon_fixtures import Daemon, free_port, require_program

    binary = require_program("/usr/sbin/nginx", "nginx")
    intermediate = short_lived_intermediate(pki.ca, days_from_now(3))
    leaf = intermediate.issue_cert("app.internal", "127.0.0.1", not_after=days_from_now(200))
    leaf.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    (tmp_path / "chain.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    port = free_port()
    site = f"listen 127.0.0.1:{port} ssl; ssl_certificate {tmp_path}/chain.pem; ssl_certificate_key {tmp_path}/key.pem;"
    (tmp_path / "nginx.conf").write_text(f"""
daemon off; master_process off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off; keepalive_timeout 0;
  client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; fastcgi_temp_path {tmp_path};
  uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};
  server {{ {site.replace(" ssl;", " ssl default_server;")} server_name _; return 421 "no such site\\n"; }}
  server {{ {site} server_name app.internal; return 200 "app\\n"; }}
}}
""")
    with Daemon("nginx", [binary, "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                tmp_path) as daemon:
        daemon.start(port=port)
        yield port


def test_nginx_closing_each_connection_is_judged_by_its_handshake(pki, nginx_tls):
    port = nginx_tls
    base = ["--cacert", pki.ca_file, "--expect-body", "^app$", "--cert-critical", "7"]
    leaf = run_console_script("check-http", "https://app.internal/", "--connect-to", f"127.0.0.1:{port}", *base)
    chain = run_console_script("check-http", "https://app.internal/", "--connect-to", f"127.0.0.1:{port}",
                               "--cert-chain", *base)
    by_host = run_console_script("check-http", f"https://127.0.0.1:{port}/", "--header", "Host: app.internal", *base)
    bare = run_console_script("check-http", f"https://127.0.0.1:{port}/", "--cacert", pki.ca_file)
    assert leaf.code == 0 and re.search(r" cert_days=(199\.9\d*|200);", leaf.first_line), leaf
    assert chain.code == 2 and "certificate 2 of the 2 in the chain expires in 2d 23h" in chain.first_line, chain
    assert by_host.code == 0, by_host  # the SNI app.internal picked the site
    assert bare.code == 2 and "421" in bare.first_line, bare  # no SNI: nginx's default site
    theirs = check_curl("-H", "app.internal", "-I", "127.0.0.1", "-p", str(port), "-S", "--sni", "-C", "30,7")
    ours = run_console_script("check-http", f"https://127.0.0.1:{port}/", "--header", "Host: app.internal",
                              "--cacert", pki.ca_file, "--cert-warning", "30", "--cert-critical", "7")
    assert theirs.returncode == ours.code == 0, (theirs.stdout, ours.stdout)
