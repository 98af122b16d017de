"""Mail channel: one plain-text message per alert through an SMTP relay (smtplib), settings from the environment.

TLS, when CRONCHECKS_SMTP_TLS is not set:
- port 465: implicit TLS;
- a relay on this machine (localhost, 127.0.0.1, ::1) without a user: plain SMTP, as cron's own
  mail does (nothing leaves the machine on that hop, and Debian's Postfix offers STARTTLS with a
  self-signed certificate that no verification would accept);
- otherwise STARTTLS whenever the server offers it, the certificate verified against the system
  CAs or CRONCHECKS_SMTP_CAFILE; without it, plain SMTP only when there is no password to send.
A password never travels in plain text unless CRONCHECKS_SMTP_TLS=none says so.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from cronchecks.alerting.channels.base import ALERT, Channel, DeliveryError
from cronchecks.alerting.messages import cut_middle, facts, headline, report_text, shown_output
from cronchecks.core.errors import UsageError
from cronchecks.core.hostname import host_name
from cronchecks.support.secrets import read_secret, scrub

TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, None: 25, "none": 25}
MAIL_OUTPUT_LIMIT = 64_000  # characters of check output in one message
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "localhost.localdomain"})


class MailChannel(Channel):
    """Alerts (and reports) to one address; the SMTP password is never shown or stored."""

    kind = "mail"
    events = frozenset({ALERT, "report"})

    def __init__(self, address: str, *, host: str = "localhost", port: int | None = None, user: str | None = None,
                 password: str | None = None, sender: str | None = None, tls: str | None = None,
                 cafile: str | None = None, local_hostname: str | None = None) -> None:
        recipients = [part.strip() for part in address.split(",") if part.strip()]
        if not recipients or any("@" not in part or any(ch.isspace() for ch in part) for part in recipients):
            raise UsageError(f"invalid --mail {address!r} (an address like ops@example.com expected)")
        if tls is not None and tls not in TLS_MODES:
            raise UsageError(f"invalid CRONCHECKS_SMTP_TLS {tls!r} ({', '.join(TLS_MODES)})")
        if user and not password:
            raise UsageError("CRONCHECKS_SMTP_USER is set without CRONCHECKS_SMTP_PASSWORD or _PASSWORD_FILE")
        self.recipients = recipients
        self.host = host
        self.port = port or DEFAULT_PORTS[tls]
        self.user = user or None
        self.password = password or None
        self.local_hostname = local_hostname or host_name()
        self.sender = sender or f"cronchecks@{self.local_hostname}"
        self.tls = tls
        self.cafile = cafile
        server = f"[{host}]" if ":" in host and not host.startswith("[") else host
        super().__init__(",".join(recipients), f"mail {','.join(recipients)} via {server}:{self.port}")

    @classmethod
    def from_env(cls, address: str, env: Mapping[str, str]) -> MailChannel:
        """Settings from CRONCHECKS_SMTP_*; mistakes raise UsageError at once, not at the first alert."""
        port_text = env.get("CRONCHECKS_SMTP_PORT", "").strip()
        try:
            port = int(port_text) if port_text else None
        except ValueError:
            raise UsageError(f"invalid CRONCHECKS_SMTP_PORT {port_text!r} (a port number expected)") from None
        if port is not None and not 0 < port < 65536:
            raise UsageError(f"invalid CRONCHECKS_SMTP_PORT {port_text!r} (1-65535)")
        tls = env.get("CRONCHECKS_SMTP_TLS", "").strip().lower() or None
        password = read_secret(
            direct=None,
            env_name="CRONCHECKS_SMTP_PASSWORD" if env.get("CRONCHECKS_SMTP_PASSWORD") else None,
            file_path=env.get("CRONCHECKS_SMTP_PASSWORD_FILE") or None, env=env, what="the SMTP password")
        cafile = env.get("CRONCHECKS_SMTP_CAFILE") or None
        if cafile and not os.path.isfile(cafile):
            raise UsageError(f"CRONCHECKS_SMTP_CAFILE {cafile} is not a readable file")
        return cls(address, host=env.get("CRONCHECKS_SMTP_HOST", "").strip() or "localhost", port=port,
                   user=env.get("CRONCHECKS_SMTP_USER") or None, password=password,
                   sender=env.get("CRONCHECKS_SMTP_FROM") or None, tls=tls, cafile=cafile)

    @property
    def mode(self) -> str:
        """How this channel talks TLS: `ssl`, `starttls` (required), `may` (if offered) or `none`."""
        if self.tls is not None:
            return self.tls
        if self.port == 465:
            return "ssl"
        if self.host.lower() in _LOOPBACK and not self.user:
            return "none"
        return "starttls" if self.user else "may"

    # --- the message ---------------------------------------------------------------------

    def compose(self, event: dict[str, Any]):
        """The email for one event: subject `[cronchecks] CRITICAL: backup on web1`, plain text."""
        from email.message import EmailMessage
        from email.utils import formatdate

        message = EmailMessage()
        message["Subject"] = f"[cronchecks] {_one_line(headline(event))}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(event.get("at") or time.time(), localtime=True)
        domain = self.sender.rpartition("@")[2] or "cronchecks"
        if event.get("id"):
            # The same id on every retry: a message delivered twice shows once in most clients.
            message["Message-ID"] = f"<{event['id']}@{domain}>"
        if event.get("event") == ALERT:
            # Problem, reminders and recovery of one check thread together.
            import hashlib

            thread = hashlib.sha256(f"{event.get('host')}/{event.get('check')}".encode()).hexdigest()[:20]
            message["References"] = f"<cronchecks-{thread}@{domain}>"
            message["X-Cronchecks-Check"] = _one_line(str(event.get("check") or ""))
            message["X-Cronchecks-Status"] = _one_line(str(event.get("status") or ""))
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
        message.set_content(self.body(event))
        return message

    def body(self, event: dict[str, Any]) -> str:
        lines = [headline(event), ""]
        if event.get("event") == "report":
            lines.append(report_text(event))
        else:
            if event.get("summary"):
                lines += [str(event["summary"]), ""]
            pairs = facts(event)
            width = max(len(fact.name) for fact in pairs) + 1
            lines += [f"{fact.name + ':':<{width}} {fact.value}" for fact in pairs]
            label, output = shown_output(event)
            output = output.rstrip()
            if output and output != str(event.get("summary") or "").rstrip():
                lines += ["", f"{label}:", cut_middle(output, MAIL_OUTPUT_LIMIT)]
        lines += ["", "-- ", f"cronchecks on {self.local_hostname}" + (f", event {event['id']}" if event.get("id")
                                                                        else "")]
        return "\n".join(lines) + "\n"

    # --- sending -----------------------------------------------------------------------------

    def send(self, event: dict[str, Any], timeout: float) -> None:
        """Deliver one message within `timeout` seconds in all, whatever the server does.

        smtplib's timeout bounds each socket operation, not the conversation: a server that
        answers a line at a time, or a name that takes the resolver long, would hold the
        caller past its budget. The conversation runs in a thread of its own; at the deadline
        its socket is shut, which ends any wait at once.
        """
        message = self.compose(event)
        deadline = time.monotonic() + max(timeout, 0.1)
        talk = _Conversation()
        worker = threading.Thread(target=talk.run, args=(lambda: self._converse(message, deadline, talk),),
                                  name="cronchecks-smtp", daemon=True)
        worker.start()
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            talk.abort()
            worker.join(0.5)
            raise DeliveryError(f"{self.shown}: timed out", retryable=True)
        if isinstance(talk.error, DeliveryError):
            raise talk.error
        if isinstance(talk.error, Exception):  # every failure becomes one secret-free line
            raise self._classify(talk.error) from None
        if talk.error is not None:  # KeyboardInterrupt, SystemExit: not ours to turn into a line
            raise talk.error

    def _converse(self, message: Any, deadline: float, talk: _Conversation) -> None:
        import smtplib
        import ssl

        mode = self.mode
        context = ssl.create_default_context(cafile=self.cafile) if mode != "none" else None
        # Made unconnected, then connected: the socket is reachable for an abort from the
        # moment it exists, the greeting's wait included.
        if mode == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(local_hostname=self.local_hostname, timeout=_left(deadline),
                                                  context=context)
        else:
            smtp = smtplib.SMTP(local_hostname=self.local_hostname, timeout=_left(deadline))
        talk.smtp = smtp
        # The name TLS verifies (SNI, the certificate): smtplib keeps the constructor's host
        # for it, and connect() does not set it.
        smtp._host = self.host  # type: ignore[attr-defined]  # smtplib's own attribute, untyped in typeshed
        try:
            smtp.timeout = _left(deadline)
            code, greeting = smtp.connect(self.host, self.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, greeting)
            _tighten(smtp, deadline)
            smtp.ehlo_or_helo_if_needed()
            if mode in ("starttls", "may"):
                if smtp.has_extn("starttls"):
                    _tighten(smtp, deadline)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif mode == "starttls":
                    why = "refusing to send the password in plain text" if self.user else "TLS was asked for"
                    raise DeliveryError(f"{self.shown}: the server does not offer STARTTLS ({why}; "
                                        "CRONCHECKS_SMTP_TLS=none allows plain SMTP)", retryable=False)
            if self.user:
                _tighten(smtp, deadline)
                smtp.login(self.user, self.password or "")
            _tighten(smtp, deadline)
            smtp.send_message(message, from_addr=self.sender, to_addrs=self.recipients)
        finally:
            if not talk.aborted:
                _close(smtp)

    def _classify(self, error: Exception) -> DeliveryError:
        import smtplib
        import ssl

        def server_said(code: int, reply: Any) -> str:
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            return f"{code} {_one_line(text)[:200]}".strip()

        if isinstance(error, smtplib.SMTPAuthenticationError):
            reason, retryable = f"authentication failed ({server_said(error.smtp_code, error.smtp_error)})", False
            if 400 <= error.smtp_code < 500:  # 454 temporary authentication failure
                retryable = True
        elif isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in error.recipients.values()]
            said = "; ".join(f"{who}: {server_said(code, reply)}" for who, (code, reply) in error.recipients.items())
            reason, retryable = f"recipient refused ({said})", all(400 <= code < 500 for code in codes)
        elif isinstance(error, smtplib.SMTPResponseException):  # sender refused, data refused, connect refused
            reason = server_said(error.smtp_code, error.smtp_error)
            retryable = not 500 <= error.smtp_code < 600
        elif isinstance(error, smtplib.SMTPNotSupportedError):
            reason, retryable = f"the server does not support this: {error}", False
        elif isinstance(error, smtplib.SMTPServerDisconnected):
            # smtplib reports a read that timed out as a disconnection
            timed_out = isinstance(error.__context__, TimeoutError) or "timed out" in str(error)
            reason, retryable = "timed out" if timed_out else "the server closed the connection", True
        elif isinstance(error, ssl.SSLCertVerificationError):
            reason = (f"TLS certificate not trusted ({error.verify_message}); "
                      "CRONCHECKS_SMTP_CAFILE names the CA to trust")
            retryable = False
        elif isinstance(error, ssl.SSLError):
            reason, retryable = f"TLS failure ({error.reason or type(error).__name__})", False
        elif isinstance(error, TimeoutError):
            reason, retryable = "timed out", True
        elif isinstance(error, ConnectionRefusedError):
            reason, retryable = "connection refused", True
        elif isinstance(error, OSError):
            reason, retryable = f"connection failed ({error.strerror or type(error).__name__})", True
        else:
            reason, retryable = f"{type(error).__name__}", False
        return DeliveryError(f"{self.shown}: {self._scrub(reason)}", retryable=retryable)

    def _scrub(self, text: str) -> str:
        import base64

        secrets = [self.password]
        if self.password:  # AUTH PLAIN / LOGIN carry it base64-encoded; a server may echo that
            secrets.append(base64.b64encode(self.password.encode()).decode())
            secrets.append(base64.b64encode(f"\0{self.user}\0{self.password}".encode()).decode())
        return scrub(text, *secrets)


class _Conversation:
    """One SMTP conversation run in a worker thread: what went wrong, and how to cut it short."""

    def __init__(self) -> None:
        self.smtp: Any = None
        self.error: BaseException | None = None
        self.aborted = False

    def run(self, converse: Callable[[], None]) -> None:
        try:
            converse()
        except BaseException as error:  # handed to the caller's thread, which decides what it means
            self.error = error

    def abort(self) -> None:
        """Shut the socket: a read or write waiting on it ends with an error in the worker."""
        import socket

        self.aborted = True
        sock = getattr(self.smtp, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    return left


def _tighten(smtp, deadline: float) -> None:
    # smtplib's timeout is per socket operation; the whole conversation must fit the budget.
    if smtp.sock is not None:
        smtp.sock.settimeout(_left(deadline))


def _close(smtp) -> None:
    try:
        if smtp.sock is not None:
            smtp.sock.settimeout(1.0)  # a polite QUIT, not another wait on a stuck server
        smtp.quit()
    except Exception:
        pass
    with contextlib.suppress(Exception):
        smtp.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())
