"""The house HTTP client's rules, held for every caller (check-http, check-heartbeat --url, webhook, ping),
each against real loopback servers: no ~/.netrc, CAs, the body limit, one User-Agent, credentials
kept to their origin on redirects, no process-wide state; and the proxy and header rules as properties."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks import __version__
from cronchecks.alerting.channels.base import DeliveryError
from cronchecks.alerting.channels.ping import Pinger
from cronchecks.alerting.channels.webhook import WebhookChannel
from cronchecks.core.errors import UsageError
from cronchecks.core.result import Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import parse_range
from cronchecks.heartbeat.check import HeartbeatOptions, check_heartbeat
from cronchecks.http.check import check_http
from cronchecks.http.options import HttpOptions
from cronchecks.support.httpclient import (
    CHANNEL_MAX_BODY,
    HttpFailure,
    bypasses_proxy,
    parse_header,
    proxies_for,
    send,
)
from tests.alerting_fixtures import alert
from tests.conftest import Reply, run_console_script
from tests.http_fixtures import LoopbackHTTPS, QuickLoopbackHTTP

# the fixture `pki`, by name (importing it would shadow it in every test's arguments)
pytest_plugins = ["tests.http_fixtures"]

USER_AGENT = f"cronchecks/{__version__}"
HEARTBEAT = {"beat": "2026-11-24T11:57:00Z"}


@pytest.fixture
def server():
    with QuickLoopbackHTTP() as loopback:
        yield loopback


@pytest.fixture
def other_server():
    with QuickLoopbackHTTP() as loopback:
        yield loopback


def runtime(env: dict | None = None) -> Runtime:
    return Runtime(env=env or {}, deadline=time.monotonic() + 10)


def heartbeat_options(url: str, **more) -> HeartbeatOptions:
    return HeartbeatOptions(url=url, json_path="$.beat", critical=parse_range("10000d", "duration"), **more)


# --- ~/.netrc is never read ------------------------------------------------------------------------


@pytest.fixture
def netrc_home(tmp_path):
    """A HOME whose .netrc holds credentials for 127.0.0.1, as requests' trust_env would send them."""
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login deploy password hunter2\n")
    netrc.chmod(0o600)
    return {"HOME": str(home), "NETRC": str(netrc)}


def test_the_netrc_fixture_would_leak_through_plain_requests(server, netrc_home):
    # The control: requests on its own (trust_env) does send deploy:hunter2 from this HOME.
    server.routes["/h"] = Reply(200, "ok")
    subprocess.run([sys.executable, "-c", f"import requests; requests.get({server.url + '/h'!r}, timeout=5)"],
                   env={**netrc_home, "PATH": ""}, check=True, timeout=30)
    assert server.requests[-1]["headers"].get("Authorization", "").startswith("Basic ")


def test_check_http_and_heartbeat_never_send_netrc_credentials(server, netrc_home):
    server.routes["/health"] = Reply(200, {"ok": True})
    server.routes["/beat"] = Reply(200, HEARTBEAT)
    done = run_console_script("check-http", server.url + "/health", env=netrc_home)
    assert done.code == 0, done
    done = run_console_script("check-heartbeat", "--url", server.url + "/beat", "--json-path", "$.beat",
                              "-c", "10000d", env=netrc_home)
    assert done.code == 0, done
    assert [r["path"] for r in server.requests] == ["/health", "/beat"]
    assert not any("Authorization" in r["headers"] for r in server.requests)


def test_webhook_and_ping_never_send_netrc_credentials(server, netrc_home, tmp_path):
    for path in ("/", "/x/start", "/x/1"):
        server.routes[path] = Reply(200, "OK")
    done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "job",
                              "--webhook", server.url + "/", "--ping", server.url + "/x", "--", "false",
                              env=netrc_home, timeout=60)
    assert done.code == 1, done  # `false`'s own exit code
    assert sorted(r["path"].split("?")[0] for r in server.requests) == ["/", "/x/1", "/x/start"]
    assert not any("Authorization" in r["headers"] for r in server.requests)


# --- trust: the system CAs, or the CA file named ----------------------------------------------------


def test_webhook_trusts_the_ca_file_it_is_given(pki, tmp_path):
    with LoopbackHTTPS(pki) as https:
        https.routes["/hook"] = Reply(200, "ok")
        channel = WebhookChannel(https.url + "/hook", "json", env={"CRONCHECKS_WEBHOOK_CAFILE": pki.ca_file})
        channel.send(alert(), timeout=5)
        assert json.loads(https.requests[-1]["body"])["check"] == "backup"
        # The same through the real wrapper.
        done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "job",
                                  "--webhook", https.url + "/hook", "--", "false",
                                  env={"CRONCHECKS_WEBHOOK_CAFILE": pki.ca_file}, timeout=60)
        assert done.code == 1 and done.stderr == "", done
        assert len(https.requests) == 2


def test_webhook_to_an_unknown_ca_is_one_line_and_keeps_the_exit_code(pki, tmp_path):
    with LoopbackHTTPS(pki) as https:
        https.routes["/hook/TOKEN123"] = Reply(200, "ok")
        done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "job",
                                  "--webhook", https.url + "/hook/TOKEN123", "--", sys.executable, "-c",
                                  "import sys; print('JOB CRITICAL - broken'); sys.exit(5)", timeout=60)
    assert done.code == 5, done
    assert done.stdout == "JOB CRITICAL - broken\n"
    assert "Traceback" not in done.stderr and "TOKEN123" not in done.stderr
    [line] = done.stderr.splitlines()
    assert "json webhook https://127.0.0.1:" in line and "certificate not trusted" in line
    assert "CRONCHECKS_WEBHOOK_CAFILE" in line
    assert https.requests == []


def test_an_untrusted_certificate_is_permanent_and_a_missing_ca_file_a_usage_error(pki):
    with LoopbackHTTPS(pki) as https:
        https.routes["/hook"] = Reply(200, "ok")
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(https.url + "/hook", "json").send(alert(), timeout=5)
    assert not caught.value.retryable and "trusting the system CAs" in str(caught.value)
    with pytest.raises(UsageError, match="CRONCHECKS_WEBHOOK_CAFILE"):
        WebhookChannel("https://example.com/hook", "json", env={"CRONCHECKS_WEBHOOK_CAFILE": "/nonexistent.pem"})
    with pytest.raises(UsageError, match="CRONCHECKS_PING_CAFILE"):
        Pinger("https://hc.example.com/ping/x", {"CRONCHECKS_PING_CAFILE": "/nonexistent.pem"})


def test_insecure_leaves_the_process_warnings_alone(pki):
    # urllib3 warns on unverified HTTPS; silencing it with a warnings filter would change every
    # thread's filter (the suite runs checks in threads). No warning, and the filters untouched.
    with LoopbackHTTPS(pki) as https:
        https.routes["/"] = Reply(200, "ok")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            before = list(warnings.filters)
            result = check_http(HttpOptions(url=https.url + "/", insecure=True), runtime())
            after = list(warnings.filters)
    assert result.status is Status.OK
    assert before == after
    assert not [w for w in seen if "Unverified HTTPS" in str(w.message)]


# --- the body limit ----------------------------------------------------------------------------------


class Firehose:
    """A loopback server that answers every GET with `size` bytes, streamed in 1 MiB chunks."""

    def __init__(self, size: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk, left = b"x" * (1 << 20), size
                try:
                    while left > 0:
                        self.wfile.write(chunk[:left])
                        left -= len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading: what the limit is for

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> Firehose:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _peak_rss_of(*args: str) -> tuple[int, str]:
    """Run check-http in a fresh intermediate process, so that RUSAGE_CHILDREN sees only it."""
    from tests.conftest import VENV_BIN

    script = textwrap.dedent("""
        import json, resource, subprocess, sys
        done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
        kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        print(json.dumps({"rss": kib * 1024, "stdout": done.stdout}))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(VENV_BIN / "check-http"), *args],
                          capture_output=True, text=True, timeout=180)
    found = json.loads(done.stdout)
    return found["rss"], found["stdout"]


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_a_100_mb_answer_is_cut_at_max_body_and_memory_stays_bounded():
    with Firehose(100_000_000) as firehose:
        rss, stdout = _peak_rss_of(firehose.url, "--expect-body", "^x+$")
        first = stdout.splitlines()[0]
        assert first.startswith("HTTP OK - 200 OK from http://127.0.0.1:"), stdout
        assert "body cut at 10485760 B by --max-body" in first and "size=10485760B" in first
        assert "body cut at 10485760 B (10.0 MiB, --max-body)" in stdout
        assert rss < 100 * 1024 * 1024, f"peak RSS {rss / 2**20:.1f} MiB"
        # The control: without the limit the same answer does cost its size.
        unbounded, stdout = _peak_rss_of(firehose.url, "--max-body", "200MB")
        assert "cut" not in stdout and unbounded > 100_000_000, f"peak RSS {unbounded / 2**20:.1f} MiB"
    # the measurement, for `pytest -s` (captured otherwise): a test's output is not the CLI's stdout
    print(f"peak RSS: {rss / 2**20:.1f} MiB with --max-body 10MiB, {unbounded / 2**20:.1f} MiB unbounded")  # noqa: T201


def test_max_body_judges_the_kept_part(server):
    server.routes["/big"] = Reply(200, "head " + "x" * 5000 + " tail")
    result = check_http(HttpOptions(url=server.url + "/big", max_body=1000, expect_body=("head",),
                                    reject_body=("tail",)), runtime())
    assert result.status is Status.OK and "body cut at 1000 B by --max-body" in result.summary
    assert any("body cut at 1000 B" in detail for detail in result.details)
    json_cut = check_http(HttpOptions(url=server.url + "/big", max_body=10, expect_json=("$.ok",)), runtime())
    assert json_cut.status is Status.CRITICAL and "cut at 10 B by --max-body" in json_cut.summary


def test_heartbeat_says_its_json_was_cut(server):
    server.routes["/beat"] = Reply(200, {**HEARTBEAT, "padding": "x" * 5000})
    result = check_heartbeat(heartbeat_options(server.url + "/beat", max_body=100), runtime())
    assert result.status is Status.CRITICAL and "more than --max-body 100 B: the JSON was cut" in result.summary


def test_channels_read_at_most_64_kib_of_an_answer(server):
    server.routes["/hook"] = Reply(200, "y" * 1_000_000)
    answer = send({}, "POST", server.url + "/hook", timeout=5, json={"a": 1})
    assert answer.truncated and len(answer.body) == CHANNEL_MAX_BODY == 64 * 1024
    WebhookChannel(server.url + "/hook", "json").send(alert(), timeout=5)  # a long "ok" is still ok


@pytest.mark.parametrize("args, words", [
    (["--max-body", "0"], "invalid --max-body"),
    (["--max-body", "lots"], "invalid --max-body: not a size"),
])
def test_max_body_mistakes_are_unknown(args, words, closed_port):
    done = run_console_script("check-http", f"http://127.0.0.1:{closed_port}/", *args)
    assert done.code == 3 and words in done.first_line, done
    done = run_console_script("check-heartbeat", "--url", f"http://127.0.0.1:{closed_port}/", "--json-path", "$.t",
                              "-c", "5m", *args)
    assert done.code == 3 and words in done.first_line, done


# --- one User-Agent ------------------------------------------------------------------------------


def _via_check_http(server, user_agent=None):
    server.routes["/"] = Reply(200, "ok")
    check_http(HttpOptions(url=server.url + "/", user_agent=user_agent), runtime())


def _via_heartbeat(server, user_agent=None):
    server.routes["/"] = Reply(200, HEARTBEAT)
    check_heartbeat(heartbeat_options(server.url + "/"), runtime())


def _via_webhook(server, user_agent=None):
    server.routes["/"] = Reply(200, "ok")
    WebhookChannel(server.url + "/", "slack").send(alert(), timeout=5)


def _via_ping(server, user_agent=None):
    server.routes["/p/start"] = Reply(200, "OK")
    Pinger(server.url + "/p", {}).start(str(uuid.uuid4()), timeout=5)


@pytest.mark.parametrize("caller", [_via_check_http, _via_heartbeat, _via_webhook, _via_ping],
                         ids=["check-http", "heartbeat", "webhook", "ping"])
def test_every_request_says_cronchecks_and_its_version(server, caller):
    caller(server)
    assert server.requests[-1]["headers"]["User-Agent"] == USER_AGENT


def test_user_agent_option_overrides(server):
    _via_check_http(server, user_agent="uptime-probe/1")
    assert server.requests[-1]["headers"]["User-Agent"] == "uptime-probe/1"
    check_http(HttpOptions(url=server.url + "/", headers=("user-agent: lower/2",)), runtime())
    assert [v for k, v in server.requests[-1]["headers"].items() if k.lower() == "user-agent"] == ["lower/2"]


# --- redirects keep credentials to their origin ----------------------------------------------------


CREDENTIALS = ("Authorization", "X-Api-Key", "Cookie")


@pytest.mark.parametrize("where", ["other-port", "other-host"])
def test_credentials_stay_behind_on_a_redirect_to_another_origin(server, other_server, where):
    port = server.server.server_address[1]
    target = other_server if where == "other-port" else server
    base = other_server.url if where == "other-port" else f"http://localhost:{port}"
    target.routes["/landing"] = Reply(200, {"ok": True})
    server.routes["/start"] = Reply(302, "", headers={"Location": base + "/landing"})
    options = HttpOptions(url=server.url + "/start", headers=("X-Api-Key: s3cret", "Cookie: session=abc",
                                                              "X-Trace: t-1"), bearer_env="TOKEN")
    result = check_http(options, runtime({"TOKEN": "tok-123456"}))
    assert result.status is Status.OK, result.summary
    landed = target.requests[-1]
    assert landed["path"] == "/landing"
    assert not any(name in landed["headers"] for name in (*CREDENTIALS, "X-Trace"))
    assert landed["headers"]["User-Agent"] == USER_AGENT
    start = server.requests[0]
    assert start["headers"]["X-Api-Key"] == "s3cret" and start["headers"]["Authorization"] == "Bearer tok-123456"


def test_credentials_follow_a_redirect_within_the_origin(server):
    server.routes["/start"] = Reply(301, "", headers={"Location": "/landing"})
    server.routes["/landing"] = Reply(200, "ok")
    check_http(HttpOptions(url=server.url + "/start", headers=("X-Api-Key: s3cret",), auth_env="AUTH"),
               runtime({"AUTH": "monitor:pa55"}))
    landed = server.requests[-1]
    assert landed["path"] == "/landing" and landed["headers"]["X-Api-Key"] == "s3cret"
    assert landed["headers"]["Authorization"].startswith("Basic ")


def test_credentials_in_the_url_follow_within_the_origin_only(server, other_server):
    server.routes.update({"/start": Reply(302, "", headers={"Location": "/next"}),
                          "/next": Reply(302, "", headers={"Location": other_server.url + "/away"})})
    other_server.routes["/away"] = Reply(200, "ok")
    send({}, "GET", server.url.replace("http://", "http://monitor:pa55@") + "/start", timeout=5)
    assert [r["headers"].get("Authorization", "")[:6] for r in server.requests] == ["Basic ", "Basic "]
    assert "Authorization" not in other_server.requests[-1]["headers"]


def test_a_307_repeats_the_body_and_a_303_turns_into_a_get(server):
    server.routes.update({"/a": Reply(307, "", headers={"Location": "/b"}),
                          "/b": Reply(303, "", headers={"Location": "/c"}),
                          "/c": Reply(200, "ok")})
    check_http(HttpOptions(url=server.url + "/a", data="payload", headers=("Content-Type: text/plain",)), runtime())
    assert [(r["method"], r["path"], r["body"]) for r in server.requests] == [
        ("POST", "/a", b"payload"), ("POST", "/b", b"payload"), ("GET", "/c", b"")]
    assert "Content-Type" not in server.requests[-1]["headers"]


# --- proxies from the environment handed in -------------------------------------------------------


def test_webhook_goes_through_the_proxy_of_its_environment(server):
    # The loopback server plays the proxy: it receives the absolute URL of the target.
    server.routes["http://hooks.example.invalid/h"] = Reply(200, "ok")
    WebhookChannel("http://hooks.example.invalid/h", "json", env={"HTTP_PROXY": server.url}).send(alert(), timeout=5)
    assert server.requests[-1]["path"] == "http://hooks.example.invalid/h"


def test_proxies_come_only_from_the_mapping_given(monkeypatch):
    monkeypatch.setenv("http_proxy", "http://from-os-environ:3128")
    assert proxies_for("http://app.example/", {}) == {}
    assert proxies_for("http://app.example/", {"HTTP_PROXY": "http://p:1"}) == {"http": "http://p:1"}
    assert proxies_for("https://app.example/", {"https_proxy": "http://a:1", "HTTPS_PROXY": "http://b:1"}) == \
        {"https": "http://a:1"}  # lower case first, as curl
    assert proxies_for("https://app.example/", {"ALL_PROXY": "http://p:1"}) == {"https": "http://p:1"}
    assert proxies_for("http://app.example/", {"no_proxy": "example"}, explicit="http://x:1") == {}
    assert proxies_for("http://app.example/", {}, explicit="http://x:1") == {"http": "http://x:1"}


labels = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
# Host names, not addresses: `0.0.0.0` under `0.0.0` is an IP, which NO_PROXY matches as an
# address (or a network), never by name suffix, as curl does.
names = st.lists(labels, min_size=1, max_size=3).map(".".join).filter(lambda name: not name.replace(".", "").isdigit())
ports = st.integers(1, 65535)


@given(names, names, ports)
def test_no_proxy_domains_cover_their_subdomains_and_nothing_else(sub, domain, port):
    host = f"{sub}.{domain}"
    assert bypasses_proxy(host, port, domain) and bypasses_proxy(host, port, "." + domain)
    assert bypasses_proxy(domain, port, domain)
    assert bypasses_proxy(host, port, f"{domain}:{port}")
    assert not bypasses_proxy(host, port, f"{domain}:{port % 65535 + 1}")
    assert bypasses_proxy(host, port, "*") and not bypasses_proxy(host, port, "")
    assert not bypasses_proxy(f"{sub}x{domain}", port, domain)  # a suffix, but not at a dot
    assert not bypasses_proxy(domain, port, host)


@given(st.ip_addresses(v=4), st.integers(0, 32), ports)
def test_no_proxy_networks_match_as_ipaddress_says(address, prefix, port):
    import ipaddress

    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    probe = network.network_address + (network.num_addresses - 1)
    assert bypasses_proxy(str(probe), port, f"other.example, {network}")
    outside = int(network.broadcast_address) + 1
    if outside < 2**32:
        assert not bypasses_proxy(str(ipaddress.ip_address(outside)), port, str(network))


tokens = st.text("!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1,
                 max_size=20)
# Header values go out as Latin-1 (a value beyond it is a usage mistake: tests/http/test_header_values.py).
values = st.text(st.characters(exclude_characters="\r\n\0", exclude_categories=["Cs"], max_codepoint=0xFF),
                 max_size=40)


@given(tokens, values)
def test_headers_parse_back_to_name_and_trimmed_value(name, value):
    assert parse_header(f"{name}:{value}") == (name, value.strip())
    assert parse_header(f" {name} : {value}") == (name, value.strip())


@given(st.text(max_size=30), st.sampled_from(["s3cret-VALUE-1", "Bearer tok-XYZ"]))
def test_a_bad_header_never_echoes_its_value(name, secret):
    text = f"{name}: {secret}"
    try:
        parse_header(text)
    except UsageError as error:  # a refusal is fine, and never shows the value
        refusal = str(error)
    else:
        refusal = ""
    assert secret not in refusal
    with pytest.raises(UsageError) as caught:
        parse_header(f"X-Ok: {secret}\r\nX-Injected: 1")
    assert secret not in str(caught.value)


def test_a_timeout_is_a_failure_not_a_hang():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        started = time.monotonic()
        with pytest.raises(HttpFailure) as caught:
            send({}, "GET", url, timeout=0.5)
    assert time.monotonic() - started < 3
    assert caught.value.reason == "timed out"


# --- connections: the handshake recorded, routes, phases, a failing proxy named as such ----------------------


def test_every_caller_gets_the_handshake_of_a_server_that_closes(pki):
    from cronchecks.support.httpclient import HttpClient, Route
    from tests.http_fixtures import TlsServer, server_context

    with TlsServer(server_context(pki.ca.issue_cert("app.internal", "127.0.0.1"))) as server:
        answer = send({}, "GET", server.url + "/", timeout=5, cafile=pki.ca_file)
        with HttpClient({}, cafile=pki.ca_file,
                        route=Route(connect_to={("app.internal", 443): ("127.0.0.1", server.port)})) as client:
            routed = client.request("GET", "https://app.internal/", timeout=5)
    for got in (answer, routed):
        assert got.handshake is not None and got.handshake.version in ("TLSv1.2", "TLSv1.3")
        assert got.certificate == got.handshake.chain[0] == got.handshake.certificate
        assert got.phases.tls > 0 and got.phases.connect > 0 and got.phases.firstbyte > 0
    assert server.names == [None, "app.internal"]  # no SNI for an address, the URL host when routed


def test_a_failing_proxy_is_named_as_the_proxy(closed_port):
    with pytest.raises(HttpFailure) as caught:
        send({"HTTPS_PROXY": f"http://127.0.0.1:{closed_port}"}, "GET", "https://hooks.example.invalid/", timeout=5)
    assert caught.value.kind == "proxy" and caught.value.reason == "proxy failed (connection refused)"
