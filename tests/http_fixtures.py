"""Loopback HTTPS servers with trustme certificates, for check-http's tests."""

from __future__ import annotations

import contextlib
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

from tests.conftest import LoopbackHTTP

if TYPE_CHECKING:  # imported by the fixture that makes one
    import trustme

DAY = timedelta(days=1)


class Pki(NamedTuple):
    """A test CA and the files a client needs: the CA bundle and a client certificate."""

    ca: trustme.CA
    ca_file: str
    client_cert: str
    client_key: str
    client_both: str  # certificate and key in one PEM, as --cert alone accepts


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    import trustme

    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("client.example")
    cert, key, both = folder / "client.pem", folder / "client.key", folder / "client-both.pem"
    client.cert_chain_pems[0].write_to_path(str(cert))
    client.private_key_pem.write_to_path(str(key))
    client.private_key_and_cert_chain_pem.write_to_path(str(both))
    return Pki(ca, str(ca_file), str(cert), str(key), str(both))


def issue(pki: Pki, kind: str):
    """A server certificate: valid, expiring (in 5 days), expired, or for the wrong host."""
    now = datetime.now(UTC)
    if kind == "expiring":
        return pki.ca.issue_cert("127.0.0.1", "localhost", not_after=now + 5 * DAY)
    if kind == "expired":
        return pki.ca.issue_cert("127.0.0.1", "localhost", not_before=now - 30 * DAY, not_after=now - DAY)
    if kind == "wrong-host":
        return pki.ca.issue_cert("other.example")
    return pki.ca.issue_cert("127.0.0.1", "localhost")


class QuickLoopbackHTTP(LoopbackHTTP):
    """LoopbackHTTP that stops in milliseconds: serve_forever's default poll makes shutdown wait 0.5 s."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)


@pytest.fixture
def quick_http_server():
    with QuickLoopbackHTTP() as server:
        yield server


class LoopbackHTTPS(QuickLoopbackHTTP):
    """LoopbackHTTP behind TLS; optionally insisting on a client certificate from the test CA."""

    def __init__(self, pki: Pki, kind: str = "valid", require_client_cert: bool = False) -> None:
        super().__init__()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        issue(pki, kind).configure_cert(context)
        if require_client_cert:
            pki.ca.configure_trust(context)
            context.verify_mode = ssl.CERT_REQUIRED
        # A handshake that fails raises ssl.SSLError (an OSError) in accept(), which the
        # socketserver loop drops: the client sees the TLS failure, the server carries on.
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    @property
    def url(self) -> str:
        return super().url.replace("http://", "https://")


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# --- a raw TLS server for the connection tests: what it saw (SNI, requests), and delays by phase ---------


class TlsReply(NamedTuple):
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()


class TlsServer:
    """A TLS server on 127.0.0.1 that answers each request and closes (HTTP/1.1 with Connection: close).

    It records the SNI name of every handshake (`names`) and each request's head (`requests`).
    Delays, in seconds: `handshake` before its TLS handshake starts, `firstbyte` between reading
    a request and answering, `transfer` between the answer's headers and its body; `accept`
    keeps its accept queue full until then, so that the kernel drops new SYNs and a client's
    connect waits for its SYN to be sent again (1 s on Linux). `plain` serves HTTP without TLS.
    """

    def __init__(self, context: ssl.SSLContext | None, *, handshake: float = 0.0, firstbyte: float = 0.0,
                 transfer: float = 0.0, accept: float = 0.0, only_name: str | None = None) -> None:
        import socket

        self.context = context
        self.delays = {"handshake": handshake, "firstbyte": firstbyte, "transfer": transfer}
        self.routes: dict[str, TlsReply] = {}
        self.names: list[str | None] = []
        self.requests: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0 if accept else 16)
        self.port = self.sock.getsockname()[1]
        self.accept_delay = accept
        self.fillers: list[socket.socket] = []
        if context is not None:
            def sni(_sock, name, _context):
                self.names.append(name)
                if only_name is not None and name != only_name:
                    return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
                return None

            context.sni_callback = sni
        if accept:
            for _ in range(3):  # Linux queues backlog + 1: these fill it
                filler = socket.socket()
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", self.port))
                self.fillers.append(filler)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.closed = False

    @property
    def url(self) -> str:
        return f"{'https' if self.context else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> TlsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True
        self.sock.close()
        for filler in self.fillers:
            filler.close()

    def _serve(self) -> None:
        if self.accept_delay:
            threading.Event().wait(self.accept_delay)
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn) -> None:
        import socket

        with contextlib.suppress(OSError), conn:
            if any(conn.getpeername() == f.getsockname() for f in self.fillers):
                return
            # Without NODELAY the answer's head waits for the ACK of the TLS 1.3 session tickets
            # (a delayed ACK: 40 ms), which would land in the client's first-byte time.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                threading.Event().wait(self.delays["handshake"])
                conn = self.context.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            text = head.decode("latin1")
            self.requests.append(text)
            path = text.split(" ", 2)[1] if text.count(" ") >= 2 else "/"
            reply = self.routes.get(path, TlsReply())
            threading.Event().wait(self.delays["firstbyte"])
            lines = [f"HTTP/1.1 {reply.status} X", f"Content-Length: {len(reply.body)}", "Connection: close",
                     *(f"{k}: {v}" for k, v in reply.headers)]
            conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            threading.Event().wait(self.delays["transfer"])
            conn.sendall(reply.body)
            with contextlib.suppress(Exception):
                conn.unwrap() if self.context is not None else None


def server_context(cert, *, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    """A server context serving `cert` (a trustme LeafCert, with its chain), optionally capped at a TLS version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    if maximum is not None:
        context.maximum_version = maximum
    return context


def short_lived_intermediate(root, not_after: datetime):
    """A child CA of `root` whose own certificate expires at `not_after` (trustme gives child CAs no expiry)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    child = root.create_child_ca()
    old = child._certificate
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(old.issuer)
               .public_key(old.public_key()).serial_number(old.serial_number)
               .not_valid_before(old.not_valid_before_utc).not_valid_after(not_after))
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    child._certificate = builder.sign(root._private_key, hashes.SHA256())
    return child


class ConnectProxy:
    """A loopback forward proxy: CONNECT tunnels (and plain absolute-URI requests, answered itself).

    It records each request head it received (`heads`); with `credentials` ('user:password') a
    request without that Proxy-Authorization gets 407.
    """

    def __init__(self, credentials: str | None = None) -> None:
        import base64
        import socket

        self.expected = f"Basic {base64.b64encode(credentials.encode()).decode()}" if credentials else None
        self.heads: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ConnectProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn) -> None:
        import socket

        with contextlib.suppress(OSError), conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            text = head.decode("latin1")
            self.heads.append(text)
            authorization = next((line.split(":", 1)[1].strip() for line in text.split("\r\n")
                                  if line.lower().startswith("proxy-authorization:")), None)
            if self.expected and authorization != self.expected:
                conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n"
                             b"Proxy-Authenticate: Basic realm=\"test\"\r\nConnection: close\r\n\r\n")
                return
            method, target = text.split(" ", 2)[:2]
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied")
                return
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with upstream:
                _pipe(conn, upstream)


def _pipe(a, b) -> None:
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        while True:
            for key, _ in selector.select(timeout=10):
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)
