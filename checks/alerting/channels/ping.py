"""Pings in the healthchecks.io protocol: `/start` before the command, success, `/<exit code>` or `/fail` after.

A ping URL is a secret (it holds the check's UUID, or the project's ping key and a slug): it is
shown as `scheme://host/***`. A failed ping raises DeliveryError; the caller logs it in one line
and never lets it change the exit code.
"""

from __future__ import annotations

from collections.abc import Mapping

from cronchecks.alerting.channels.base import DeliveryError, channel_cafile, http_delivery
from cronchecks.core.errors import UsageError

# Trusted instead of the system's CA store, for a self-hosted Healthchecks behind an internal CA.
CAFILE_VARIABLE = "CRONCHECKS_PING_CAFILE"

# Sent when the server has not said its limit (no start ping answered yet): self-hosted
# Healthchecks keeps 10 000 bytes by default and stores the head of a longer body, so sending
# more would lose exactly the tail that matters. runitor settles on the same default.
DEFAULT_BODY_LIMIT = 10_000
MAX_BODY_LIMIT = 10_000_000  # whatever a server claims (runitor caps it the same way)
_RETRYABLE_STATUS = {408, 425, 429}


class Pinger:
    """One healthchecks-style ping URL; remembers the server's body limit from the start ping."""

    def __init__(self, url: str, env: Mapping[str, str]) -> None:
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url.strip())
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise UsageError("invalid --ping URL (an http:// or https:// ping URL expected)")
        self.url = url.strip()
        self._parts = parts
        self.env = env
        self.cafile = channel_cafile(env, CAFILE_VARIABLE)
        self.body_limit: int | None = None  # the server's Ping-Body-Limit, once seen
        user_limit = (env.get("CRONCHECKS_PING_BODY_LIMIT") or "").strip()
        try:
            self.user_limit = int(user_limit) if user_limit else None
        except ValueError:
            raise UsageError(f"invalid CRONCHECKS_PING_BODY_LIMIT {user_limit!r} (bytes expected)") from None
        try:
            port = parts.port
        except ValueError:
            port = None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.shown = f"ping {parts.scheme.lower()}://{host}{f':{port}' if port else ''}/***"

    def start(self, run_id: str, timeout: float) -> None:
        """`<url>/start?rid=<uuid>`: the run began (healthchecks measures its duration from here)."""
        self._ping("start", run_id, b"", timeout)

    def finish(self, run_id: str, exit_code: int, output: str, timeout: float) -> None:
        """`<url>` on 0, `<url>/<exit code>` for 1-255, `<url>/fail` otherwise; the output's tail as the body."""
        if exit_code == 0:
            suffix = ""
        elif 0 < exit_code <= 255:
            suffix = str(exit_code)
        else:  # a signal (-9) or a Windows status beyond 255: healthchecks only takes 0-255
            suffix = "fail"
        self._ping(suffix, run_id, tail_bytes(output, self.limit), timeout)

    @property
    def limit(self) -> int:
        """Bytes of body the server keeps: its header, else the default; never above the user's own limit."""
        limit = self.body_limit if self.body_limit is not None else DEFAULT_BODY_LIMIT
        if self.user_limit is not None:
            limit = min(limit, self.user_limit) if self.body_limit is not None else self.user_limit
        return max(0, min(limit, MAX_BODY_LIMIT))

    def ping_url(self, suffix: str, run_id: str) -> str:
        from urllib.parse import urlunsplit

        parts = self._parts
        path = parts.path.rstrip("/")
        if suffix:
            path = f"{path}/{suffix}"
        query = f"{parts.query}&rid={run_id}" if parts.query else f"rid={run_id}"
        return urlunsplit((parts.scheme, parts.netloc, path or "/", query, ""))

    def _ping(self, suffix: str, run_id: str, body: bytes, timeout: float) -> None:
        import uuid

        try:
            rid = str(uuid.UUID(str(run_id)))  # canonical: lowercase, hyphenated
        except ValueError:
            raise DeliveryError(f"{self.shown}: run id {run_id!r} is not a UUID", retryable=False) from None
        what = suffix or "success"
        response = http_delivery(f"{self.shown} ({what})", self.env, "POST", self.ping_url(suffix, rid), data=body,
                                 headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=timeout,
                                 cafile=self.cafile, cafile_variable=CAFILE_VARIABLE)
        limit = response.headers.get("Ping-Body-Limit")
        if limit and limit.strip().isdigit():
            self.body_limit = int(limit.strip())
        if response.status >= 300:
            retryable = response.status >= 500 or response.status in _RETRYABLE_STATUS
            raise DeliveryError(f"{self.shown} ({what}): HTTP {response.status}", retryable=retryable)


def tail_bytes(text: str, limit: int) -> bytes:
    """The last `limit` bytes of `text` in UTF-8, starting on a whole character."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return data
    if limit <= 0:
        return b""
    tail = data[len(data) - limit:]
    start = 0
    while start < len(tail) and start < 4 and (tail[start] & 0xC0) == 0x80:  # skip continuation bytes
        start += 1
    return tail[start:]
