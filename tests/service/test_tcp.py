"""check-service's TCP and UDP probe against real loopback servers: line protocols, STARTTLS, TLS, UDP, silence."""

from __future__ import annotations

import math
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cronchecks.core.errors import UsageError
from cronchecks.core.execute import execute
from cronchecks.core.result import Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.values import OptionValues
from cronchecks.service.arguments import read_options
from cronchecks.service.check import check_service
from cronchecks.service.ports import Endpoint, parse_endpoint
from cronchecks.service.tcpoptions import parse_escapes, show_bytes
from tests.alerting_fixtures import SMTPServer
from tests.conftest import run_console_script
from tests.daemon_fixtures import free_port, require_program
from tests.http_fixtures import issue

CHECK_TCP = "/usr/lib/nagios/plugins/check_tcp"
CHECK_UDP = "/usr/lib/nagios/plugins/check_udp"
CHECK_SMTP = "/usr/lib/nagios/plugins/check_smtp"
PLUGINS = "monitoring-plugins-basic"
DAY = timedelta(days=1)


def probe(timeout: float = 5, **values: Any) -> Result:
    """check-service run with these option values (long names, `_` for `-`), as a suite table gives them."""
    try:
        options = read_options(OptionValues({key.replace("_", "-"): value for key, value in values.items()},
                                            "check-service"))
    except UsageError as error:  # as the command line makes it: one UNKNOWN line
        return Result(Status.UNKNOWN, str(error))
    return execute(check_service, options, Runtime(env={}), timeout).result


@pytest.fixture(autouse=True)
def quick_quiet(request, monkeypatch):
    """A 0.3 s pause ends an answer here (2 s in use), except where a test measures the pause itself."""
    if "quiet_pause" not in request.node.name:
        monkeypatch.setattr("cronchecks.service.tcpstream.QUIET", 0.3)


def perf(result: Result, label: str = "time") -> float:
    """The datum's value; NaN when it is U, so that a comparison with it fails."""
    value = next(datum.value for datum in result.perfdata if datum.label == label)
    return float("nan") if value is None else value


# --- servers: each a thread on 127.0.0.1, port 0, handling each connection with a script -----------------


class Scripted:
    """A TCP server whose every connection is handled by `script(conn)` in a thread of its own."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []  # what the clients sent, line by line, for the tests that ask
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            self.script(conn)
        except (OSError, ValueError):
            pass  # the client hung up, or a handshake failed: the test judges what the check said
        finally:
            conn.close()

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def read_line(conn: socket.socket) -> bytes:
    """One line, byte by byte: a buffered reader could swallow the client's first TLS bytes."""
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            break
        line += byte
    return bytes(line)


def line_protocol(server: list[Scripted], greeting: bytes) -> Callable[[socket.socket], None]:
    """PING answers PONG, QUIT answers BYE and ends; anything else ERR (and the connection stays open)."""

    def script(conn: Any) -> None:
        conn.sendall(greeting)
        while line := read_line(conn):
            server[0].seen.append(line)
            if line == b"PING\r\n":
                conn.sendall(b"PONG\r\n")
            elif line.rstrip() == b"QUIT":
                conn.sendall(b"BYE\r\n")
                return
            else:
                conn.sendall(b"ERR\r\n")
    return script


def serve(script_for: Callable[[list[Scripted]], Callable[[socket.socket], None]]) -> Scripted:
    holder: list[Scripted] = []
    server = Scripted(script_for(holder))
    holder.append(server)
    return server


@pytest.fixture
def line_server() -> Iterator[Scripted]:
    with serve(lambda holder: line_protocol(holder, b"+READY line server\r\n")) as server:
        yield server


@pytest.fixture(scope="module")
def tls_context(pki) -> ssl.SSLContext:
    """A server context whose certificate expires in 5 days."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    issue(pki, "expiring").configure_cert(context)
    return context


def starttls_script(holder: list[Scripted], context: ssl.SSLContext, greeting: bytes,
                    replies: dict[bytes, bytes], upgrade: bytes, agreed: bytes) -> Callable[[socket.socket], None]:
    """A line protocol that says `greeting`, answers `replies`, and on `upgrade` says `agreed` and turns to TLS;
    through TLS it is the PING/PONG line protocol."""

    def script(conn: socket.socket) -> None:
        conn.sendall(greeting)
        while line := read_line(conn):
            holder[0].seen.append(line)
            command = line.rstrip(b"\r\n")
            if command.upper() == upgrade:
                conn.sendall(agreed)
                tls = context.wrap_socket(conn, server_side=True)
                line_protocol(holder, b"")(tls)
                return
            conn.sendall(replies.get(command.upper().split(b" ")[0], b"500 what?\r\n"))
    return script


# --- a line protocol: send, expect, quit ----------------------------------------------------------------


def test_connect_only_is_ok_with_its_time(line_server):
    result = probe(port=[line_server.address])
    assert result.status is Status.OK, result.summary
    assert "accepts connections" in result.summary
    assert 0 <= perf(result) < 1


def test_send_expect_quit_against_a_line_protocol(line_server):
    result = probe(port=[line_server.address], send="PING\\r\\n", expect=["PONG"], quit="QUIT")
    assert result.status is Status.OK, result.summary
    assert "answered as expected" in result.summary
    time.sleep(0.1)
    assert line_server.seen == [b"PING\r\n", b"QUIT\r\n"]  # the escapes became bytes; --quit got its line end


def test_all_expectations_by_default_any_with_expect_any(line_server):
    both = probe(port=[line_server.address], send="PING\\r\\n", expect=["+READY", "PONG"])
    assert both.status is Status.OK, both.summary
    missing = probe(port=[line_server.address], send="PING\\r\\n", expect=["PONG", "NOPE"], quit="QUIT")
    assert missing.status is Status.CRITICAL
    assert "answered without 'NOPE'" in missing.summary
    assert "PONG\\r\\n" in missing.summary  # what the server did say, in the escapes --send takes
    either = probe(port=[line_server.address], send="PING\\r\\n", expect=["PONG", "NOPE"], expect_any=True)
    assert either.status is Status.OK, either.summary


def test_quiet_pause_ends_a_wrong_answer_on_an_open_connection(line_server):
    started = time.monotonic()
    result = probe(timeout=8, port=[line_server.address], send="PNG\\r\\n", expect=["PONG"])
    assert result.status is Status.CRITICAL
    assert "answered without 'PONG'" in result.summary and "ERR" in result.summary
    took = time.monotonic() - started
    assert 2 <= took < 4  # the 2 s quiet pause ended the answer, not the 8 s timeout


def test_send_without_expect_sends_and_does_not_wait(line_server):
    result = probe(port=[line_server.address], send="QUIT\\r\\n")
    assert result.status is Status.OK, result.summary
    assert "accepts connections" in result.summary
    time.sleep(0.1)
    assert line_server.seen == [b"QUIT\r\n"]


def test_a_suite_file_takes_the_same_keys(line_server, tmp_path):
    suite = tmp_path / "suite.toml"
    suite.write_text(f"""
        [[check]]
        name = "line"
        type = "service"
        port = "{line_server.address}"
        send = 'PING\\r\\n'
        expect = ["PONG", "+READY"]
        quit = "QUIT"
        port-critical = "2s"

        [[check]]
        name = "mismatch"
        type = "service"
        port = "{line_server.address}"
        send = 'PING\\r\\n'
        expect = "NOPE"
        quit = "QUIT"
    """.replace("\n        ", "\n"))
    done = run_console_script("cronchecks", "suite", str(suite), "--state-dir", str(tmp_path / "state"))
    assert done.code == 2, done.stdout + done.stderr
    assert "answered without 'NOPE'" in done.stdout
    assert "line::time=" in done.first_line


def test_port_time_ranges_judge_connect_and_answer():
    def slow(conn: socket.socket) -> None:
        read_line(conn)
        time.sleep(0.3)
        conn.sendall(b"PONG\r\n")
        read_line(conn)

    with Scripted(slow) as server:
        warned = probe(port=[server.address], send="PING\\r\\n", expect=["PONG"], port_warning="200ms",
                       port_critical="1s")
        critical = probe(port=[server.address], send="PING\\r\\n", expect=["PONG"], port_critical="100ms")
        fine = probe(port=[server.address], send="PING\\r\\n", expect=["PONG"], port_warning="2s")
    assert warned.status is Status.WARNING, warned.summary
    assert "warning > 200 ms" in warned.summary
    assert 0.3 <= perf(warned) < 1
    datum = next(d for d in warned.perfdata if d.label == "time")
    assert (datum.warning.render(), datum.critical.render()) == ("0.2", "1")
    assert critical.status is Status.CRITICAL
    assert fine.status is Status.OK


def test_closed_port_is_critical():
    result = probe(port=[f"127.0.0.1:{free_port()}"], send="PING\\r\\n", expect=["PONG"])
    assert result.status is Status.CRITICAL
    assert "refused the connection" in result.summary
    assert math.isnan(perf(result))


def test_a_server_that_never_answers_takes_the_timeout_state():
    def silent(conn: socket.socket) -> None:
        time.sleep(5)

    with Scripted(silent) as server:
        started = time.monotonic()
        done = run_console_script("check-service", "--port", server.address, "--expect", "220", "-t", "1",
                                  timeout=10)
        took = time.monotonic() - started
        warned = run_console_script("check-service", "--port", server.address, "--starttls", "smtp", "-t", "1",
                                    "--timeout-result", "warning", timeout=10)
    assert done.code == 2, done.stdout
    assert "timed out after 1.0 s" in done.first_line
    assert took < 3
    assert warned.code == 1, warned.stdout


def test_answers_are_read_no_further_than_the_limit():
    def flood(conn: socket.socket) -> None:
        chunk = b"x" * 65536
        for _ in range(100):
            conn.sendall(chunk)

    with Scripted(flood) as server:
        result = probe(port=[server.address], expect=["never"])
    assert result.status is Status.CRITICAL
    assert "in the first 64 KiB" in result.summary


def test_several_ports_have_their_own_labels(line_server):
    closed = f"127.0.0.1:{free_port()}"
    result = probe(port=[line_server.address, closed], send="PING\\r\\n", expect=["PONG"])
    assert result.status is Status.CRITICAL
    labels = {datum.label for datum in result.perfdata}
    assert labels == {f"time_{line_server.address}", f"time_{closed}"}


@pytest.mark.parametrize("values, words", [
    ({"send": "x", "pidfile": ["/nonexistent"]}, "go with --port"),
    ({"port": ["1"], "expect_any": True}, "--expect-any goes with --expect"),
    ({"port": ["1"], "tls": True, "starttls": "smtp"}, "give one"),
    ({"port": ["1"], "udp": True}, "--udp needs --send"),
    ({"port": ["1"], "udp": True, "send": "x", "tls": True}, "do not go with --udp"),
    ({"port": ["1"], "udp": True, "send": "x", "quit": "QUIT"}, "UDP has none"),
    ({"port": ["1"], "cert_warning": "10"}, "need --tls or --starttls"),
    ({"port": ["1"], "starttls": "smtp", "expect": ["250"]}, "needs a --send"),
    ({"port": ["1"], "tls": True, "cert_warning": "-1"}, "cannot be negative"),
    ({"port": ["1"], "starttls": "http"}, "invalid --starttls"),
    ({"port": ["1"], "send": "a\\q"}, "unknown escape"),
    ({"port": ["1"], "expect": [""]}, "invalid --expect"),
    ({"port": ["1"], "port_warning": "fast"}, "invalid --port-warning"),
])
def test_option_mistakes_are_unknown(values, words):
    result = probe(**values)
    assert result.status is Status.UNKNOWN
    assert words in result.summary


# --- TLS on connect and STARTTLS ----------------------------------------------------------------------


def test_tls_on_connect_reads_the_certificate_days(tls_context):
    with serve(lambda holder: lambda conn: line_protocol(holder, b"hi\r\n")(
            tls_context.wrap_socket(conn, server_side=True))) as server:
        plain = probe(port=[server.address], tls=True, send="PING\\r\\n", expect=["PONG"])
        warned = probe(port=[server.address], tls=True, cert_warning="10", cert_critical="3")
        critical = probe(port=[server.address], tls=True, cert_warning="30d", cert_critical="6d")
        fine = probe(port=[server.address], tls=True, cert_critical="3")
    assert plain.status is Status.OK, plain.summary
    assert "TLSv1.3" in plain.summary and "certificate expires in 4d" in plain.summary
    assert 4.9 < perf(plain, "cert_days") <= 5
    assert warned.status is Status.WARNING, warned.summary
    assert "certificate expires in 4d" in warned.summary and "warning < 10 days" in warned.summary
    assert critical.status is Status.CRITICAL
    assert fine.status is Status.OK


def test_tls_against_a_plain_server_fails_the_handshake(line_server):
    result = probe(port=[line_server.address], tls=True)
    assert result.status is Status.CRITICAL
    assert "failed the TLS handshake" in result.summary


def test_smtp_starttls_with_aiosmtpd_and_a_certificate_5_days_from_expiry(tls_context):
    with SMTPServer(starttls=tls_context) as smtp:
        address = f"127.0.0.1:{smtp.port}"
        warned = probe(port=[address], starttls="smtp", cert_warning="10")
        fine = probe(port=[address], starttls="smtp", cert_critical="3")
        after = probe(port=[address], starttls="smtp", send="EHLO probe\\r\\n", expect=["250"], quit="QUIT")
    assert warned.status is Status.WARNING, warned.summary
    assert fine.status is Status.OK, fine.summary
    assert "accepts TLS connections" in fine.summary
    assert 4.9 < perf(fine, "cert_days") <= 5
    assert after.status is Status.OK, after.summary  # --send/--expect speak through TLS after the upgrade


def test_smtp_without_starttls_is_critical():
    with SMTPServer() as smtp:
        result = probe(port=[f"127.0.0.1:{smtp.port}"], starttls="smtp")
    assert result.status is Status.CRITICAL
    assert "does not offer STARTTLS" in result.summary


MULTILINE_SMTP = (b"220-mx.test ESMTP\r\n220-this greeting\r\n220 takes three lines\r\n",
                  {b"EHLO": b"250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"},
                  b"STARTTLS", b"220 go ahead\r\n")
STARTTLS_SERVERS = {
    "smtp": MULTILINE_SMTP,
    "imap": (b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", {}, b"C1 STARTTLS",
             b"* NOTE untagged first\r\nC1 OK Begin TLS negotiation now\r\n"),
    "pop3": (b"+OK POP3 ready\r\n", {}, b"STLS", b"+OK Begin TLS\r\n"),
    "ftp": (b"220-Welcome\r\n free text in the middle\r\n220 FTP ready\r\n", {}, b"AUTH TLS",
            b"234 AUTH TLS OK.\r\n"),
}


@pytest.mark.parametrize("protocol", sorted(STARTTLS_SERVERS))
def test_starttls_line_protocols(protocol, tls_context):
    greeting, replies, upgrade, agreed = STARTTLS_SERVERS[protocol]
    with serve(lambda holder: starttls_script(holder, tls_context, greeting, replies, upgrade, agreed)) as server:
        result = probe(port=[server.address], starttls=protocol, cert_warning="10", send="PING\\r\\n",
                       expect=["PONG"])
    assert result.status is Status.WARNING, result.summary
    assert "certificate expires in 4d" in result.summary
    assert server.seen[-1] == b"PING\r\n"  # it came through TLS, after the upgrade


@pytest.mark.parametrize("protocol, greeting, refusal, words", [
    ("smtp", b"220 mx\r\n", b"454 TLS not available\r\n", "454 TLS not available"),
    ("imap", b"* OK ready\r\n", b"C1 NO not now\r\n", "C1 NO not now"),
    ("pop3", b"+OK ready\r\n", b"-ERR no\r\n", "-ERR no"),
    ("ftp", b"220 ready\r\n", b"530 Please login\r\n", "530 Please login"),
    ("smtp", b"554 go away\r\n", b"", "554 go away"),
])
def test_starttls_refusals_are_critical(protocol, greeting, refusal, words, tls_context):
    replies = {b"EHLO": b"250-mx\r\n250 STARTTLS\r\n"}
    upgrade = {"smtp": b"STARTTLS", "imap": b"C1 STARTTLS", "pop3": b"STLS", "ftp": b"AUTH TLS"}[protocol]
    with serve(lambda holder: starttls_script(holder, tls_context, greeting, replies, upgrade, refusal)) as server:
        result = probe(port=[server.address], starttls=protocol)
    assert result.status is Status.CRITICAL
    assert words in result.summary


def test_bytes_before_the_handshake_are_refused(tls_context):
    # The STARTTLS injection flaw: a reply with more after it, sent before TLS began.
    greeting, replies, upgrade, _ = MULTILINE_SMTP
    with serve(lambda holder: starttls_script(holder, tls_context, greeting, replies, upgrade,
                                              b"220 go ahead\r\n250 injected\r\n")) as server:
        result = probe(port=[server.address], starttls="smtp")
    assert result.status is Status.CRITICAL
    assert "sent data after agreeing to TLS" in result.summary


# RFC 4511's StartTLS extended request, written out here byte by byte rather than taken from the code.
LDAP_REQUEST = bytes.fromhex("301d02010177188016") + b"1.3.6.1.4.1.1466.20037"


def ldap_script(holder: list[Scripted], context: ssl.SSLContext, code: int) -> Callable[[socket.socket], None]:
    def script(conn: socket.socket) -> None:
        request = b""
        while len(request) < len(LDAP_REQUEST):
            request += conn.recv(len(LDAP_REQUEST) - len(request))
        holder[0].seen.append(request)
        message = b"unsupported" if code else b""
        result = b"\x0a\x01" + bytes((code,)) + b"\x04\x00\x04" + bytes((len(message),)) + message
        response = b"\x02\x01\x01\x78" + bytes((len(result),)) + result
        conn.sendall(b"\x30\x81" + bytes((len(response),)) + response)  # a long-form length, as servers may send
        if code == 0:
            context.wrap_socket(conn, server_side=True).recv(1)
    return script


def test_ldap_starttls_extended_operation(tls_context):
    with serve(lambda holder: ldap_script(holder, tls_context, 0)) as server:
        result = probe(port=[server.address], starttls="ldap", cert_critical="3")
    assert result.status is Status.OK, result.summary
    assert server.seen == [LDAP_REQUEST]
    with serve(lambda holder: ldap_script(holder, tls_context, 2)) as server:
        refused = probe(port=[server.address], starttls="ldap")
    assert refused.status is Status.CRITICAL
    assert "refused StartTLS (LDAP result 2: unsupported)" in refused.summary


def test_postgres_sslrequest_answered_s(tls_context):
    def script(conn: socket.socket) -> None:
        assert conn.recv(8) == b"\x00\x00\x00\x08\x04\xd2\x16\x2f"
        conn.sendall(b"S")
        context_conn = tls_context.wrap_socket(conn, server_side=True)
        context_conn.recv(1)

    with Scripted(script) as server:
        result = probe(port=[server.address], starttls="postgres", cert_warning="10")
    assert result.status is Status.WARNING, result.summary
    assert 4.9 < perf(result, "cert_days") <= 5


@pytest.fixture(scope="module")
def postgresql_with_ssl(pki) -> Iterator[int]:
    """A real PostgreSQL with ssl = on and the 5-day certificate: its port (as root, run as the `postgres` user)."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from tests.conftest import IS_ROOT, PG_CTL

    if PG_CTL is None:
        pytest.skip("no PostgreSQL server binaries here (Debian: apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="cronchecks-pg-ssl-"))  # pytest's own folders are root's alone
    as_user: list[str] = []
    owner = None
    if IS_ROOT:
        import pwd

        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    leaf = issue(pki, "expiring")
    cert, key = folder / "server.crt", folder / "server.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    key.chmod(0o600)
    if owner is not None:
        for path in (cert, key):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    bindir = os.path.dirname(PG_CTL)
    port = free_port()
    subprocess.run([*as_user, f"{bindir}/initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True, cwd=folder)
    settings = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on "
                f"-c ssl_cert_file={cert} -c ssl_key_file={key}")
    subprocess.run([*as_user, PG_CTL, "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-o", settings,
                    "start"],
                   check=True, capture_output=True, cwd=folder)
    try:
        yield port
    finally:
        subprocess.run([*as_user, PG_CTL, "-D", str(folder / "data"), "-m", "immediate", "stop"],
                       capture_output=True, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_postgres_sslrequest_against_a_real_postgresql_with_ssl(postgresql_with_ssl):
    result = probe(port=[f"127.0.0.1:{postgresql_with_ssl}"], starttls="postgres", cert_warning="10",
                   cert_critical="3")
    assert result.status is Status.WARNING, result.summary
    assert "certificate expires in 4d" in result.summary
    assert 4.9 < perf(result, "cert_days") <= 5


@pytest.mark.postgres
def test_postgres_sslrequest_against_a_real_postgresql_without_ssl(postgresql_server):
    # The tests' PostgreSQL runs with ssl = off: it answers the SSLRequest with N.
    result = probe(port=[f"{postgresql_server.host}:{postgresql_server.port}"], starttls="postgres")
    assert result.status is Status.CRITICAL
    assert "refused TLS" in result.summary


# --- UDP -------------------------------------------------------------------------------------------------


@pytest.fixture
def udp_echo() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def echo() -> None:
        while True:
            try:
                data, peer = sock.recvfrom(65535)
            except OSError:
                return
            sock.sendto(b"echo: " + data, peer)

    threading.Thread(target=echo, daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


def test_udp_echo(udp_echo):
    address = f"127.0.0.1:{udp_echo}"
    answered = probe(port=[address], udp=True, send="hello\\n", expect=["echo: hello"])
    assert answered.status is Status.OK, answered.summary
    anything = probe(port=[address], udp=True, send="x")
    assert anything.status is Status.OK, anything.summary
    wrong = probe(port=[address], udp=True, send="hello", expect=["goodbye"])
    assert wrong.status is Status.CRITICAL
    assert "answered without 'goodbye'" in wrong.summary


def test_udp_closed_port_is_refused():
    result = probe(port=[f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"], udp=True, send="x", expect=["x"])
    assert result.status is Status.CRITICAL
    assert "port unreachable" in result.summary


# --- agreement with the Monitoring Plugins' check_tcp, check_udp and check_smtp ----------------------------


def plugin(path: str, *args: str) -> int:
    require_program(path, PLUGINS)
    return subprocess.run([path, *args], capture_output=True, timeout=20).returncode


def test_same_state_as_check_tcp_on_a_line_protocol(line_server):
    port = str(line_server.port)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"send": "PING\\r\\n", "expect": ["PONG"], "quit": "QUIT"}, ["-E", "-s", "PING\\r\\n", "-e", "PONG",
                                                                   "-q", "QUIT"]),
        # check_tcp calls a mismatch WARNING unless -M crit; cronchecks calls it CRITICAL.
        ({"send": "PING\\r\\n", "expect": ["NOPE"], "quit": "QUIT"}, ["-E", "-s", "PING\\r\\n", "-e", "NOPE",
                                                                   "-q", "QUIT", "-M", "crit"]),
        # check_tcp wants one expectation unless -A; cronchecks all unless --expect-any.
        ({"send": "PING\\r\\n", "expect": ["PONG", "+READY"]}, ["-E", "-s", "PING\\r\\n", "-e", "PONG",
                                                               "-e", "+READY", "-A"]),
        ({"send": "PING\\r\\n", "expect": ["PONG", "NOPE"], "expect_any": True},
         ["-E", "-s", "PING\\r\\n", "-e", "PONG", "-e", "NOPE"]),
    ]
    for values, args in cases:
        ours = probe(port=[line_server.address], **values)
        theirs = plugin(CHECK_TCP, "-H", "127.0.0.1", "-p", port, *args)
        assert int(ours.status) == theirs, (values, ours.summary)
    closed = free_port()
    assert int(probe(port=[f"127.0.0.1:{closed}"]).status) == plugin(CHECK_TCP, "-H", "127.0.0.1", "-p",
                                                                      str(closed)) == 2


def test_same_state_as_check_tcp_on_the_answer_time():
    def slow(conn: socket.socket) -> None:
        read_line(conn)
        time.sleep(0.4)
        conn.sendall(b"PONG\r\n")
        read_line(conn)

    with Scripted(slow) as server:
        for warning, critical in (("0.2", "5"), ("0.1", "0.2"), ("3", "5")):
            ours = probe(port=[server.address], send="PING\\r\\n", expect=["PONG"], quit="QUIT",
                         port_warning=warning, port_critical=critical)
            theirs = plugin(CHECK_TCP, "-H", "127.0.0.1", "-p", str(server.port), "-E", "-s", "PING\\r\\n",
                            "-e", "PONG", "-q", "QUIT", "-w", warning, "-c", critical)
            assert int(ours.status) == theirs, (warning, critical, ours.summary)


def test_same_state_as_check_tcp_on_tls_certificate_days(tls_context):
    with serve(lambda holder: lambda conn: line_protocol(holder, b"hi\r\n")(
            tls_context.wrap_socket(conn, server_side=True))) as server:
        for warning, critical in (("10", "3"), ("3", "1"), ("30", "6")):
            ours = probe(port=[server.address], tls=True, cert_warning=warning, cert_critical=critical)
            theirs = plugin(CHECK_TCP, "-H", "127.0.0.1", "-p", str(server.port), "-S", "-D",
                            f"{warning},{critical}")
            assert int(ours.status) == theirs, (warning, critical, ours.summary)


def test_same_state_as_check_smtp_starttls_days(tls_context):
    with SMTPServer(starttls=tls_context) as smtp:
        for warning, critical in (("10", "3"), ("3", "1")):
            ours = probe(port=[f"127.0.0.1:{smtp.port}"], starttls="smtp", cert_warning=warning,
                         cert_critical=critical)
            theirs = plugin(CHECK_SMTP, "-H", "127.0.0.1", "-p", str(smtp.port), "-S", "-D",
                            f"{warning},{critical}")
            assert int(ours.status) == theirs, (warning, critical, ours.summary)


def test_same_state_as_check_udp(udp_echo):
    for expect, state in (("echo: ping", 0), ("nothing like it", None)):
        ours = probe(port=[f"127.0.0.1:{udp_echo}"], udp=True, send="ping", expect=[expect])
        theirs = plugin(CHECK_UDP, "-H", "127.0.0.1", "-p", str(udp_echo), "-s", "ping", "-e", expect, "-M", "crit")
        assert int(ours.status) == theirs, (expect, ours.summary)
        if state is not None:
            assert theirs == state


# --- properties: escapes and HOST:PORT -------------------------------------------------------------------


@given(st.binary(max_size=200))
def test_what_a_summary_shows_reads_back_as_the_same_bytes(data):
    # show_bytes writes a server's bytes in --send's escapes: fed back, they are the bytes themselves.
    assert parse_escapes(show_bytes(data, limit=10_000)) == data


@given(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\\"), max_size=100))
def test_text_without_backslashes_is_its_utf8(text):
    assert parse_escapes(text) == text.encode("utf-8")


@given(st.text(st.sampled_from("\\\\rntx0fFgq9 é"), max_size=30))
def test_any_backslash_text_is_bytes_or_a_clear_refusal(text):
    from cronchecks.core.thresholds import ParseError

    message = ""
    try:
        decoded = parse_escapes(text)
    except ParseError as error:
        message = str(error)
        decoded = None
    if decoded is None:
        assert "unknown escape" in message
    else:
        assert isinstance(decoded, bytes)


_hostname = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?){0,3}",
                          fullmatch=True)
_hosts = st.one_of(_hostname, st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))


@given(_hosts, st.integers(1, 65535))
def test_endpoints_read_back_from_their_text(host, port):
    endpoint = Endpoint(host, port)
    text = str(endpoint)
    assert parse_endpoint(text) == endpoint
    assert text.startswith("[") == (":" in host)  # IPv6 in brackets: [::1]:25


@given(st.integers().filter(lambda n: not 0 < n < 65536))
def test_ports_outside_the_range_are_refused(port):
    with pytest.raises(UsageError):
        parse_endpoint(f"[::1]:{port}")


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=80))
@example("²")  # isdigit(), yet int() refuses it
@example("host:٣")
@example("a..b:80")
def test_any_port_text_is_an_endpoint_the_resolver_takes_or_a_usage_error(text):
    # The resolver raises UnicodeError for `a..b` and ValueError for a NUL: those are option mistakes, found first.
    from cronchecks.core.errors import UsageError

    try:
        endpoint = parse_endpoint(text)
    except UsageError:
        return
    if ":" not in endpoint.host:
        endpoint.host.encode("idna")
    assert "\x00" not in endpoint.host


@pytest.mark.parametrize("text", ["a..b:80", "[]:80", "x y:80", "a\x00b:80", "a" * 64 + ".example:80", ".:80"])
def test_host_names_the_resolver_would_choke_on_are_unknown(text):
    result = probe(port=[text])
    assert result.status is Status.UNKNOWN
    assert "invalid --port" in result.summary


def conversation_over(data: bytes) -> Any:
    """A Conversation reading `data` from a real socket pair; the peer then ends its side, and still reads."""
    from cronchecks.service.tcpstream import Conversation

    ours, theirs = socket.socketpair()
    theirs.sendall(data)
    theirs.shutdown(socket.SHUT_WR)
    conversation = Conversation(ours, Runtime(env={}, deadline=time.monotonic() + 5))
    conversation.peer = theirs  # type: ignore[attr-defined]  # kept open until the test closes both
    return conversation


_reply_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@given(st.integers(100, 599), st.lists(_reply_text, min_size=1, max_size=8), st.booleans())
def test_multiline_replies_are_read_whole(code, texts, free_middle):
    # RFC 5321's `250-...` lines, or FTP's free text between the first and the last line (RFC 959).
    from cronchecks.service.starttls import _reply

    number = str(code).encode()
    lines = [number + (b"-" if index < len(texts) - 1 else b" ") + text.encode() + b"\r\n"
             for index, text in enumerate(texts)]
    if free_middle and len(lines) > 2:
        lines[1:-1] = [b" " + line for line in lines[1:-1]]
    conversation = conversation_over(b"".join(lines) + b"999 after\r\n")
    got_code, got_lines = _reply(conversation, "in its greeting")
    conversation.sock.close()
    conversation.peer.close()
    assert got_code == number
    assert got_lines == lines
    assert bytes(conversation.buffer).startswith(b"999") or conversation.buffer == b""


def ber(tag: int, content: bytes) -> bytes:
    """A BER element with the shortest definite length, as the tests' encoder (not the code's)."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


@given(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=300)), max_size=6))
def test_ber_elements_split_back(elements):
    from cronchecks.service.starttls import _ber_split

    assert _ber_split(b"".join(ber(tag, content) for tag, content in elements), "x") == elements


@pytest.mark.parametrize("protocol", ["smtp", "imap", "pop3", "ftp", "ldap", "postgres"])
@given(data=st.one_of(st.binary(max_size=200), st.sampled_from([b"220 x\r\n", b"+OK\r\n", b"* OK\r\n", b"S",
                                                                b"220-a\r\n220 b\r\n250-x\r\n250 STARTTLS\r\n"]))
       .flatmap(lambda head: st.binary(max_size=100).map(lambda tail: head + tail)))
def test_any_starttls_answer_is_judged_or_refused_never_a_crash(protocol, data):
    from cronchecks.service.starttls import upgrade
    from cronchecks.service.tcpstream import ProbeFailed

    conversation = conversation_over(data)
    try:
        upgrade(conversation, protocol, "probe")
    except ProbeFailed:
        pass
    finally:
        conversation.sock.close()
        conversation.peer.close()


def test_ipv6_loopback(line_server):
    try:
        server = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with server:
        port = server.getsockname()[1]
        result = probe(port=[f"[::1]:{port}"])
    assert result.status is Status.OK, result.summary
    assert f"[::1]:{port} accepts connections" in result.summary


def test_cert_days_against_a_fixed_clock(tls_context):
    # The days are judged against the runtime's clock: a clock 10 days on sees the certificate expired.
    with serve(lambda holder: lambda conn: line_protocol(holder, b"")(
            tls_context.wrap_socket(conn, server_side=True))) as server:
        options = read_options(OptionValues({"port": [server.address], "tls": True, "cert-critical": "1"},
                                            "check-service"))
        later = Runtime(env={}, now=lambda: datetime.now(UTC) + 10 * DAY)
        result = execute(check_service, options, later, 5).result
    assert result.status is Status.CRITICAL
    assert "certificate expired" in result.summary
