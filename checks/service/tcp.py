"""check-service's port probe, check_tcp's and check_udp's equal: connect, TLS, send, expect, quit, then judge."""

from __future__ import annotations

import contextlib
import socket
import time
from typing import TYPE_CHECKING

from cronchecks.core.errors import DeadlinePassed
from cronchecks.core.result import Perfdata, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import format_duration, judge, plain_number
from cronchecks.service.findings import Finding, perf_label
from cronchecks.service.tcpoptions import TcpProbe, quoted, show_bytes
from cronchecks.service.tcpstream import READ_LIMIT, Conversation, ProbeFailed

if TYPE_CHECKING:
    import ssl

    from cronchecks.service.ports import Endpoint

_DAY = 86400.0


def probe_port(endpoint: Endpoint, probe: TcpProbe, runtime: Runtime, several: bool) -> Finding:
    """The port's state: the connection (or the datagram's answer), what was said, the time and the certificate."""
    label = perf_label("time", str(endpoint), several)
    failed = (Perfdata(label, None, "s"),)
    started = time.perf_counter()
    try:
        sock = _udp_socket(endpoint) if probe.udp else socket.create_connection(
            (endpoint.host, endpoint.port), timeout=runtime.remaining())
    except ConnectionRefusedError:
        return Finding(Status.CRITICAL, f"{endpoint} refused the connection", failed)
    except socket.gaierror:
        return Finding(Status.CRITICAL, f"{endpoint}: host not found", failed)
    except TimeoutError:
        return Finding(Status.CRITICAL, f"{endpoint} did not accept the connection in time", failed)
    except OSError as error:
        return Finding(Status.CRITICAL, f"{endpoint}: {error.strerror or error}", failed)
    conversation = Conversation(sock, runtime, chunk=65535 if probe.udp else 16384)
    try:
        try:
            certificate, tls_version, matched = _converse(conversation, endpoint, probe)
            elapsed = time.perf_counter() - started
        except ProbeFailed as failure:
            elapsed = time.perf_counter() - started
            return Finding(failure.status, f"{endpoint} {failure.text}", (_time(label, elapsed, probe),))
        except ConnectionRefusedError:  # UDP: the ICMP port unreachable that answered the datagram
            return Finding(Status.CRITICAL, f"{endpoint} refused the datagram (port unreachable)", failed)
        except OSError as error:
            return Finding(Status.CRITICAL, f"{endpoint}: {error.strerror or error}", failed)
        if probe.quit is not None:
            # The verdict is in: a server that hangs up first, or stops reading, changes nothing.
            with contextlib.suppress(OSError, DeadlinePassed):
                conversation.send(probe.quit, "sending --quit")
    finally:
        conversation.sock.close()
    runtime.log(1, f"{endpoint}: {elapsed:.6f} s, received {conversation.received} bytes: "
                   f"{show_bytes(bytes(conversation.buffer), 200)}")
    return _judge(endpoint, probe, runtime, elapsed, (certificate, tls_version), matched, conversation, several,
                  label)


def _udp_socket(endpoint: Endpoint) -> socket.socket:
    # A connected UDP socket: the kernel then reports an ICMP port unreachable as ECONNREFUSED
    # on the next read, so a closed local port is told apart from a silent one.
    family, kind, proto, _, address = socket.getaddrinfo(endpoint.host, endpoint.port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def _converse(conversation: Conversation, endpoint: Endpoint,
              probe: TcpProbe) -> tuple[bytes | None, str | None, bool]:
    """(the certificate and TLS version when TLS, whether the expected answer came) once the exchange is over."""
    certificate: bytes | None = None
    version: str | None = None
    if probe.starttls is not None:
        from cronchecks.core.hostname import host_name
        from cronchecks.service.starttls import upgrade

        upgrade(conversation, probe.starttls, host_name())
    if probe.uses_tls:
        conversation.start_tls(_tls_context(), _server_name(endpoint.host))
        certificate = conversation.sock.getpeercert(binary_form=True)  # type: ignore[attr-defined]
        version = conversation.sock.version()  # type: ignore[attr-defined]
    if probe.send:
        conversation.send(probe.send, "sending --send")
    if probe.expect:
        return certificate, version, conversation.expect(probe.expect, probe.expect_any)
    if probe.udp:
        # Without --expect, any datagram back is the answer: a silent UDP port cannot be told from a closed one.
        conversation.fill("to the datagram")
    return certificate, version, True


def _tls_context() -> ssl.SSLContext:
    import ssl

    # As check_tcp -S and check_smtp -S: the handshake must succeed and the expiry is judged, but
    # neither the chain nor the name is verified (check-http verifies both, for a site's users).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _server_name(host: str) -> str | None:
    """The SNI name: the host as given, unless it is an address (RFC 6066 forbids addresses in SNI)."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def _time(label: str, elapsed: float, probe: TcpProbe) -> Perfdata:
    return Perfdata(label, round(elapsed, 6), "s", probe.warning, probe.critical, minimum=0)


def _judge(endpoint: Endpoint, probe: TcpProbe, runtime: Runtime, elapsed: float,
           tls: tuple[bytes | None, str | None], matched: bool, conversation: Conversation, several: bool,
           label: str) -> Finding:
    perfdata = [_time(label, elapsed, probe)]
    problems: list[tuple[Status, str]] = []
    if not matched:
        problems.append((Status.CRITICAL, _mismatch(probe, conversation)))
    took = format_duration(elapsed)
    time_status = judge(elapsed, probe.warning, probe.critical)
    if time_status is not Status.OK:
        breached = probe.critical if time_status is Status.CRITICAL else probe.warning
        assert breached is not None
        limit = f"{time_status.name.lower()} {breached.describe(format_duration)}"
        problems.append((time_status, f"took {took} ({limit})"))
    extra = ""
    if probe.uses_tls:
        certificate, tls_version = tls
        extra = f", {tls_version or 'TLS'}"
        days_perf, cert_problem, cert_text = _certificate(certificate, probe, runtime, several, endpoint)
        perfdata += days_perf
        if cert_problem is not None:
            problems.append(cert_problem)
        extra += cert_text
    if problems:
        status = worst(status for status, _ in problems)
        return Finding(status, f"{endpoint}: {'; '.join(text for _, text in problems)}", tuple(perfdata))
    if probe.expect or probe.udp:
        what = "answered as expected"
    elif probe.uses_tls:
        what = "accepts TLS connections"
    else:
        what = "accepts connections"
    return Finding(Status.OK, f"{endpoint} {what} ({elapsed * 1000:.1f} ms{extra})", tuple(perfdata))


def _mismatch(probe: TcpProbe, conversation: Conversation) -> str:
    answer = bytes(conversation.buffer)
    if probe.expect_any or len(probe.expect) == 1:
        wanted = " or ".join(quoted(text) for text in probe.expect)
    else:
        wanted = " and ".join(quoted(text) for text in probe.expect if text not in answer)
    if not answer:
        how = "closed the connection" if conversation.closed else "stayed silent"
        return f"{how} without answering (expected {wanted})"
    cut = f" in the first {READ_LIMIT // 1024} KiB" if conversation.received >= READ_LIMIT else ""
    return f"answered without {wanted}{cut}: {quoted(answer)}"


def _certificate(certificate: bytes | None, probe: TcpProbe, runtime: Runtime, several: bool,
                 endpoint: Endpoint) -> tuple[list[Perfdata], tuple[Status, str] | None, str]:
    """(cert_days perfdata, a problem if any, words for an OK summary)."""
    judged = probe.judges_certificate
    if not certificate:
        return [], (Status.UNKNOWN, "the server sent no certificate to judge") if judged else None, ""
    from cronchecks.support.x509 import CertificateError, not_after

    try:
        expires = not_after(certificate)
    except CertificateError as error:
        problem = (Status.UNKNOWN, f"cannot read the certificate's expiry: {error}")
        return [], problem if judged else None, ""
    left = (expires - runtime.now()).total_seconds()
    days = left / _DAY
    label = perf_label("cert_days", str(endpoint), several)
    perf = [Perfdata(label, round(days, 2), "", probe.cert_warning, probe.cert_critical)]
    status = judge(days, probe.cert_warning, probe.cert_critical)
    when = expires.strftime("%Y-%m-%d %H:%M UTC")
    if status is Status.OK:
        words = f"expired {format_duration(-left)} ago" if left < 0 else f"expires in {format_duration(left)}"
        return perf, None, f", certificate {words}"
    breached = probe.cert_critical if status is Status.CRITICAL else probe.cert_warning
    assert breached is not None
    limit = f"{status.name.lower()} < {plain_number(breached.start)} days"
    if left < 0:
        return perf, (status, f"certificate expired {format_duration(-left)} ago ({when}; {limit})"), ""
    return perf, (status, f"certificate expires in {format_duration(left)} ({when}; {limit})"), ""
