"""Real peers on loopback for the notification channels: SMTP (aiosmtpd), CloudWatch (moto), UDP, events."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import LoopbackHTTP

NOW = time.time()


def alert(kind: str = "problem", **fields: Any) -> dict[str, Any]:
    """An "alert" event as the wrapper's policy makes it (see checks/alerting/channel.py)."""
    event = {"event": "alert", "kind": kind, "id": str(uuid.uuid4()), "check": "backup", "host": "web1",
             "status": "CRITICAL", "previous": "OK", "summary": "BACKUP CRITICAL - /srv is full",
             "output": "BACKUP CRITICAL - /srv is full\nrsync: write failed: No space left on device (28)\n",
             "at": NOW, "since": NOW - 3900, "downtime": None, "consecutive": 3, "remediation": None}
    if kind == "recovery":
        event.update(status="OK", previous="CRITICAL", summary="BACKUP OK - 12 GB in 310 s", downtime=3900.0,
                     consecutive=0)
    event.update(fields)
    return event


def run_event(**fields: Any) -> dict[str, Any]:
    """A "run" event: one result of one run, for the metric channels."""
    event = {"event": "run", "id": str(uuid.uuid4()), "check": "backup", "host": "web1", "status": "WARNING",
             "code": 1, "exit_code": 1, "duration": 0.25, "at": NOW, "summary": "BACKUP WARNING - slow",
             "perfdata": [{"label": "time", "value": 310.5, "uom": "s"},
                          {"label": "size", "value": 12e9, "uom": "B"},
                          {"label": "files", "value": 1200, "uom": "c"},
                          {"label": "free", "value": 7.5, "uom": "%"},
                          {"label": "load", "value": 0.7, "uom": ""},
                          {"label": "lost", "value": None, "uom": ""}]}
    event.update(fields)
    return event


class QuickHTTP(LoopbackHTTP):
    """conftest's LoopbackHTTP, stopping in milliseconds (serve_forever polls every 0.5 s by default)."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)


@pytest.fixture
def receiver():
    with QuickHTTP() as server:
        yield server


# --- SMTP -------------------------------------------------------------------------------------


class Pki(NamedTuple):
    ca_file: str
    server_context: ssl.SSLContext
    other_ca_file: str  # a CA that did not sign the server's certificate


@pytest.fixture(scope="session")
def smtp_pki(tmp_path_factory) -> Pki:
    import trustme

    folder = tmp_path_factory.mktemp("smtp-pki")
    ca, other = trustme.CA(), trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    other.cert_pem.write_to_path(str(folder / "other.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost", "127.0.0.2").configure_cert(context)
    return Pki(str(folder / "ca.pem"), context, str(folder / "other.pem"))


class Mailbox:
    """What an aiosmtpd handler saw: delivered messages, and answers to give instead."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.rcpt_reply: str | None = None  # e.g. "550 5.1.1 no such user"
        self.data_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        from email import message_from_bytes, policy

        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "message": message_from_bytes(envelope.content, policy=policy.default),
                              "tls": server.transport.get_extra_info("ssl_object") is not None,
                              "authenticated": bool(session.authenticated)})
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd in a thread on 127.0.0.1, port 0 (aiosmtpd's Controller needs telling which port it got)."""

    def __init__(self, *, host: str = "127.0.0.1", starttls: ssl.SSLContext | None = None,
                 implicit_tls: ssl.SSLContext | None = None, users: dict[str, str] | None = None,
                 auth_require_tls: bool = True) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.mailbox = Mailbox()
        self.host = host
        self.auth_attempts: list[str] = []
        outer = self

        def authenticator(server, session, envelope, mechanism, auth_data):
            if not isinstance(auth_data, LoginPassword):
                return AuthResult(success=False, handled=False)
            login, password = auth_data.login.decode(), auth_data.password.decode()
            outer.auth_attempts.append(login)
            ok = users is not None and users.get(login) == password
            return AuthResult(success=ok, handled=False)

        class PortZeroController(Controller):
            def _trigger_server(self):
                if self.port == 0:
                    assert isinstance(self.server, asyncio.Server)
                    self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        options: dict[str, Any] = {}
        if starttls is not None:
            options.update(tls_context=starttls, require_starttls=False)
        if implicit_tls is not None:
            options.update(ssl_context=implicit_tls)
        if users is not None:
            options.update(authenticator=authenticator, auth_require_tls=auth_require_tls)
        self.controller = PortZeroController(self.mailbox, hostname=host, port=0, server_hostname="mx.test",
                                             **options)

    @property
    def port(self) -> int:
        return self.controller.port

    def env(self, **more: str) -> dict[str, str]:
        return {"CRONCHECKS_SMTP_HOST": self.host, "CRONCHECKS_SMTP_PORT": str(self.port), **more}

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class SilentServer:
    """Accepts TCP connections and never says a word: the SMTP greeting that never comes."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


# --- CloudWatch (moto) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto's server in a thread on 127.0.0.1 (real HTTP, real botocore serialisation)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def aws_env(endpoint: str, **more: str) -> dict[str, str]:
    """The environment a user would give: dummy credentials, a region, the endpoint override."""
    return {"AWS_ACCESS_KEY_ID": "AKIDTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "dummy-secret-key-4711",
            "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": endpoint,
            # moto cannot read botocore's gzip-compressed bodies (sent above 10 KiB)
            "AWS_DISABLE_REQUEST_COMPRESSION": "true", **more}


# --- UDP ----------------------------------------------------------------------------------------


class UDPReceiver:
    """A real UDP socket on 127.0.0.1 that keeps what arrives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(2.0)
        self.port = self.sock.getsockname()[1]

    def receive(self) -> bytes:
        return self.sock.recvfrom(65535)[0]

    def __enter__(self) -> UDPReceiver:
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)
