"""What every notification channel is: a secret-free identity and one `send` for events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Events are plain JSON-able dicts, free of secrets, so that they can wait in the outbox:
#   {"event": "alert", "kind": "problem"|"recovery"|"escalation"|"reminder"|
#        "flapping_start"|"flapping_stop"|"remediation", "id": uuid, "check": name,
#    "host": host, "status": "CRITICAL", "previous": "OK", "summary": first line,
#    "output": output tail, "at": epoch, "since": epoch problem start or None,
#    "downtime": seconds or None, "consecutive": runs, "remediation": dict or None}
#   {"event": "run", "id": uuid, "check": name, "host": host, "status": "OK",
#    "code": 0, "exit_code": 0, "duration": seconds, "at": epoch,
#    "perfdata": [{"label", "value", "uom"}], "summary": first line}
ALERT, RUN = "alert", "run"


class DeliveryError(Exception):
    """A send that failed; `retryable` says whether trying again later can help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


def channel_cafile(env: Mapping[str, str], variable: str) -> str | None:
    """The CA file a channel trusts instead of the system store (`variable` in env), checked up front."""
    import os

    from cronchecks.core.errors import UsageError

    cafile = env.get(variable) or None
    if cafile and not os.path.exists(cafile):
        raise UsageError(f"{variable} {cafile} is not a readable file")
    return cafile


def http_delivery(label: str, env: Mapping[str, str], method: str, url: str, *, timeout: float,
                  cafile: str | None, cafile_variable: str, **request: Any) -> Any:
    """One request through the house HTTP client (support/httpclient), its answer or a DeliveryError.

    `label` starts the error's one line and never holds the URL (a token lives in it). An
    untrusted certificate is permanent, as the mail channel has it: retrying cannot fix a CA.
    """
    from cronchecks.core.errors import UsageError
    from cronchecks.support.httpclient import HttpFailure, send

    try:
        return send(env, method, url, timeout=max(timeout, 0.1), cafile=cafile, **request)
    except HttpFailure as failure:
        reason = failure.reason
        if failure.kind == "tls-verify":
            trusted = f"trusting {cafile}" if cafile else "trusting the system CAs"
            reason += f"; {trusted}, {cafile_variable} names the CA to trust"
        raise DeliveryError(f"{label}: {reason}", retryable=failure.retryable) from None
    except UsageError as error:
        raise DeliveryError(f"{label}: {error}", retryable=False) from None


def retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (a number, or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def fingerprint(kind: str, address: str) -> str:
    """A stable, secret-free name for a channel: the outbox files entries under it."""
    import hashlib

    return hashlib.sha256(f"{kind}\0{address}".encode()).hexdigest()[:16]


class Channel:
    """Base of every channel. Subclasses set `kind`, `address` and `shown`, and implement send()."""

    kind: str = "channel"
    events: frozenset[str] = frozenset({ALERT})
    # A channel told every run's state (Alertmanager): its run events carry whether the problem fires.
    wants_state: bool = False

    def __init__(self, address: str, shown: str) -> None:
        self.address = address  # may hold a secret: never printed, only hashed
        self.shown = shown  # what may be printed: `slack https://hooks.slack.com/***`

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.address)

    def accepts(self, event: dict[str, Any]) -> bool:
        return event.get("event") in self.events

    def send(self, event: dict[str, Any], timeout: float) -> None:
        """Deliver one event within `timeout` seconds, or raise DeliveryError."""
        raise NotImplementedError
