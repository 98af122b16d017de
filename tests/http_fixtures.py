"""Loopback HTTPS servers with trustme certificates, for check-http's tests."""

from __future__ import annotations

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
