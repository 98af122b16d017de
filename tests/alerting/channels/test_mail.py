"""The mail channel against a real SMTP server (aiosmtpd): plain, STARTTLS + AUTH, implicit TLS, refusals."""

from __future__ import annotations

import time

import pytest

from cronchecks.alerting.channels import mail
from cronchecks.alerting.channels.base import DeliveryError
from cronchecks.alerting.channels.mail import MailChannel
from cronchecks.core.errors import UsageError
from tests.alerting_fixtures import SilentServer, SMTPServer, alert, write

PASSWORD = "s3cret-Pa55word"


def test_plain_relay_on_this_machine_gets_the_problem(monkeypatch):
    with SMTPServer() as server:
        channel = MailChannel.from_env("ops@example.com", server.env(CRONCHECKS_SMTP_FROM="cron@web1.example.com"))
        assert channel.mode == "none"  # a local relay without a user: plain SMTP, as cron's own mail
        event = alert(output="BACKUP CRITICAL - /srv is full\n" + "detail line\n" * 5)
        channel.send(event, timeout=5)
    [got] = server.mailbox.messages
    message = got["message"]
    assert got["to"] == ["ops@example.com"] and got["from"] == "cron@web1.example.com"
    assert message["Subject"] == "[cronchecks] CRITICAL: backup on web1"
    assert message["Message-ID"] == f"<{event['id']}@web1.example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert "BACKUP CRITICAL - /srv is full" in body and "Consecutive failures: 3" in body
    assert "Since:" in body and "(1h 05m)" in body and "detail line" in body


def test_recovery_says_when_it_started_ended_and_how_long_it_lasted():
    with SMTPServer() as server:
        channel = MailChannel.from_env("ops@example.com", server.env())
        channel.send(alert("recovery", output="BACKUP OK - 12 GB in 310 s\nall copied",
                           problem_output="BACKUP CRITICAL - /srv is full\nfirst failure's tail"), timeout=5)
        channel.send(alert("problem"), timeout=5)
    recovery, problem = (got["message"] for got in server.mailbox.messages)
    assert "all copied" not in recovery.get_content()  # the problem's output, not the healthy run's
    assert recovery["Subject"] == "[cronchecks] RECOVERY: backup on web1 is OK after 1h 05m"
    body = recovery.get_content()
    for piece in ("Started:", "Ended:", "Lasted:  1h 05m", "Output when it failed:", "first failure's tail"):
        assert piece in body
    assert recovery["References"] == problem["References"]  # one thread per check in a mail client


@pytest.mark.parametrize("kind, fields, subject", [
    ("escalation", {"previous": "WARNING"}, "CRITICAL (was WARNING): backup on web1"),
    ("reminder", {}, "STILL CRITICAL: backup on web1 for 1h 05m"),
    ("flapping_start", {}, "FLAPPING: backup on web1 keeps changing state (now CRITICAL)"),
    ("flapping_stop", {"status": "OK"}, "FLAPPING STOPPED: backup on web1 is OK"),
    ("remediation", {"status": "OK", "remediation": {"command": "systemctl restart app", "outcome": "exit code 0",
                                                     "helped": True, "status_after": "OK"}},
     "REMEDIATION: backup on web1 (OK): ran systemctl restart app, exit code 0, it helped"),
])
def test_every_kind_has_a_clear_subject(kind, fields, subject):
    channel = MailChannel("ops@example.com")
    assert channel.compose(alert(kind, **fields))["Subject"] == f"[cronchecks] {subject}"


def test_report_goes_out_as_a_plain_message():
    with SMTPServer() as server:
        MailChannel.from_env("ops@example.com", server.env()).send(
            {"event": "report", "id": "r1", "title": "Daily report", "text": "backup: 99.5% up"}, timeout=5)
    [got] = server.mailbox.messages
    assert got["message"]["Subject"] == "[cronchecks] Daily report"
    assert "backup: 99.5% up" in got["message"].get_content()


def test_starttls_and_auth_with_the_ca_from_the_environment(smtp_pki):
    with SMTPServer(starttls=smtp_pki.server_context, users={"alerts": PASSWORD}) as server:
        env = server.env(CRONCHECKS_SMTP_USER="alerts", CRONCHECKS_SMTP_PASSWORD=PASSWORD,
                         CRONCHECKS_SMTP_CAFILE=smtp_pki.ca_file)
        channel = MailChannel.from_env("ops@example.com", env)
        assert channel.mode == "starttls"
        channel.send(alert(), timeout=5)
    [got] = server.mailbox.messages
    assert got["tls"] and got["authenticated"] and server.auth_attempts == ["alerts"]


def test_password_from_a_file(smtp_pki, tmp_path):
    with SMTPServer(starttls=smtp_pki.server_context, users={"alerts": PASSWORD}) as server:
        env = server.env(CRONCHECKS_SMTP_USER="alerts", CRONCHECKS_SMTP_CAFILE=smtp_pki.ca_file,
                         CRONCHECKS_SMTP_PASSWORD_FILE=write(tmp_path / "pw", PASSWORD + "\n"))
        MailChannel.from_env("ops@example.com", env).send(alert(), timeout=5)
    assert server.mailbox.messages[0]["authenticated"]


def test_implicit_tls(smtp_pki):
    # aiosmtpd only counts STARTTLS as TLS for AUTH: with implicit TLS the connection is TLS anyway
    with SMTPServer(implicit_tls=smtp_pki.server_context, users={"alerts": PASSWORD}, auth_require_tls=False) as server:
        env = server.env(CRONCHECKS_SMTP_TLS="ssl", CRONCHECKS_SMTP_USER="alerts",
                         CRONCHECKS_SMTP_PASSWORD=PASSWORD, CRONCHECKS_SMTP_CAFILE=smtp_pki.ca_file)
        MailChannel.from_env("ops@example.com", env).send(alert(), timeout=5)
    assert server.mailbox.messages[0]["tls"]


def test_starttls_is_used_whenever_a_remote_server_offers_it(smtp_pki, monkeypatch):
    monkeypatch.setattr(mail, "_LOOPBACK", frozenset())  # as if 127.0.0.1 were a remote relay
    with SMTPServer(starttls=smtp_pki.server_context) as server:
        channel = MailChannel.from_env("ops@example.com", server.env(CRONCHECKS_SMTP_CAFILE=smtp_pki.ca_file))
        assert channel.mode == "may"
        channel.send(alert(), timeout=5)
    assert server.mailbox.messages[0]["tls"]


def test_a_wrong_password_is_permanent_and_never_shown(smtp_pki):
    with SMTPServer(starttls=smtp_pki.server_context, users={"alerts": "other"}) as server:
        env = server.env(CRONCHECKS_SMTP_USER="alerts", CRONCHECKS_SMTP_PASSWORD=PASSWORD,
                         CRONCHECKS_SMTP_CAFILE=smtp_pki.ca_file)
        channel = MailChannel.from_env("ops@example.com", env)
        with pytest.raises(DeliveryError) as caught:
            channel.send(alert(), timeout=5)
    assert not caught.value.retryable
    assert "authentication failed (535" in str(caught.value)
    assert PASSWORD not in str(caught.value) and PASSWORD not in channel.shown
    assert server.mailbox.messages == []


def test_an_untrusted_certificate_is_permanent_and_names_the_cafile_variable(smtp_pki):
    with SMTPServer(starttls=smtp_pki.server_context, users={"alerts": PASSWORD}) as server:
        env = server.env(CRONCHECKS_SMTP_USER="alerts", CRONCHECKS_SMTP_PASSWORD=PASSWORD,
                         CRONCHECKS_SMTP_CAFILE=smtp_pki.other_ca_file)
        with pytest.raises(DeliveryError) as caught:
            MailChannel.from_env("ops@example.com", env).send(alert(), timeout=5)
    assert not caught.value.retryable and "CRONCHECKS_SMTP_CAFILE" in str(caught.value)
    assert server.auth_attempts == []  # the password never left


def test_no_password_over_plain_text_unless_asked(smtp_pki):
    with SMTPServer(users={"alerts": PASSWORD}, auth_require_tls=False) as server:
        env = server.env(CRONCHECKS_SMTP_USER="alerts", CRONCHECKS_SMTP_PASSWORD=PASSWORD)
        with pytest.raises(DeliveryError) as caught:
            MailChannel.from_env("ops@example.com", env).send(alert(), timeout=5)
        assert not caught.value.retryable and "does not offer STARTTLS" in str(caught.value)
        assert server.auth_attempts == []
        # CRONCHECKS_SMTP_TLS=none is the explicit way to allow it
        MailChannel.from_env("ops@example.com", {**env, "CRONCHECKS_SMTP_TLS": "none"}).send(alert(), timeout=5)
    assert server.auth_attempts == ["alerts"] and len(server.mailbox.messages) == 1


@pytest.mark.parametrize("where, reply, retryable", [
    ("rcpt", "550 5.1.1 <ops@example.com>: Recipient address rejected", False),
    ("rcpt", "451 4.3.0 Temporary lookup failure", True),
    ("data", "554 5.7.1 Message rejected as spam", False),
    ("data", "452 4.3.1 Insufficient system storage", True),
])
def test_a_rejecting_server_is_permanent_on_5xx_and_retryable_on_4xx(where, reply, retryable):
    with SMTPServer() as server:
        setattr(server.mailbox, f"{where}_reply", reply)
        with pytest.raises(DeliveryError) as caught:
            MailChannel.from_env("ops@example.com", server.env()).send(alert(), timeout=5)
    assert caught.value.retryable is retryable
    assert reply.split()[0] in str(caught.value)


def test_nobody_listening_is_retryable(closed_port):
    channel = MailChannel.from_env("ops@example.com", {"CRONCHECKS_SMTP_HOST": "127.0.0.1",
                                                       "CRONCHECKS_SMTP_PORT": str(closed_port)})
    with pytest.raises(DeliveryError) as caught:
        channel.send(alert(), timeout=2)
    assert caught.value.retryable and "connection refused" in str(caught.value)


def test_a_server_that_never_greets_times_out_within_the_budget():
    with SilentServer() as silent:
        channel = MailChannel.from_env("ops@example.com", {"CRONCHECKS_SMTP_HOST": "127.0.0.1",
                                                           "CRONCHECKS_SMTP_PORT": str(silent.port)})
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            channel.send(alert(), timeout=0.5)
    assert caught.value.retryable and "timed out" in str(caught.value)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("env, complaint", [
    ({"CRONCHECKS_SMTP_TLS": "yes"}, "CRONCHECKS_SMTP_TLS"),
    ({"CRONCHECKS_SMTP_PORT": "smtp"}, "CRONCHECKS_SMTP_PORT"),
    ({"CRONCHECKS_SMTP_PORT": "70000"}, "CRONCHECKS_SMTP_PORT"),
    ({"CRONCHECKS_SMTP_USER": "alerts"}, "without CRONCHECKS_SMTP_PASSWORD"),
    ({"CRONCHECKS_SMTP_PASSWORD": "a", "CRONCHECKS_SMTP_PASSWORD_FILE": "/x"}, "more than once"),
    ({"CRONCHECKS_SMTP_CAFILE": "/nonexistent/ca.pem"}, "CRONCHECKS_SMTP_CAFILE"),
])
def test_settings_mistakes_are_said_before_any_alert(env, complaint):
    with pytest.raises(UsageError) as caught:
        MailChannel.from_env("ops@example.com", env)
    assert complaint in str(caught.value)


def test_default_ports_follow_the_tls_mode():
    assert MailChannel.from_env("a@b.c", {}).port == 25
    assert MailChannel.from_env("a@b.c", {"CRONCHECKS_SMTP_TLS": "starttls"}).port == 587
    assert MailChannel.from_env("a@b.c", {"CRONCHECKS_SMTP_TLS": "ssl"}).port == 465
    assert MailChannel.from_env("a@b.c", {"CRONCHECKS_SMTP_PORT": "465"}).mode == "ssl"


@pytest.mark.parametrize("address", ["not-an-address", "", "a b@c.d"])
def test_a_bad_address_is_a_usage_error(address):
    with pytest.raises(UsageError):
        MailChannel.from_env(address, {})


class DripServer:
    """Greets a line at a time and never finishes: each read succeeds, the conversation never ends."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while not self.stop.wait(0.1):
                    try:
                        conn.sendall(b"220-still greeting\r\n")
                    except OSError:
                        break

    def __enter__(self) -> DripServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.sock.close()


def test_a_server_that_greets_forever_a_line_at_a_time_is_cut_at_the_deadline():
    with DripServer() as drip:
        channel = MailChannel.from_env("ops@example.com", {"CRONCHECKS_SMTP_HOST": "127.0.0.1",
                                                           "CRONCHECKS_SMTP_PORT": str(drip.port)})
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            channel.send(alert(), timeout=1.0)
        took = time.monotonic() - started
    assert caught.value.retryable and str(caught.value) == f"mail ops@example.com via 127.0.0.1:{drip.port}: timed out"
    assert 0.9 < took < 2.0
