"""Pings in the healthchecks.io protocol: `/start` before the command, success, `/<exit code>` or `/fail` after.

A ping URL is a secret (it holds the check's UUID, or the project's ping key and a slug): it is
shown as `scheme://host/***`. A failed ping raises DeliveryError; the caller logs it in one line
and never lets it change the exit code.

A blip must not make healthchecks report the job down: every ping is retried with backoff inside
its deadline, and the finish ping is an outbox message (PingChannel), so one that still fails is
delivered by the next run. The start ping is best-effort on a short deadline: it holds up the job,
and sent late it would mark a finished run as started.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from cronchecks.alerting.channels.base import Channel, DeliveryError, channel_cafile, http_delivery, retry_after
from cronchecks.core.errors import UsageError

PING = "ping"  # the outbox event of a finish ping

# Trusted instead of the system's CA store, for a self-hosted Healthchecks behind an internal CA.
CAFILE_VARIABLE = "CRONCHECKS_PING_CAFILE"

# Sent when the server has not said its limit (no start ping answered yet): self-hosted
# Healthchecks keeps 10 000 bytes by default and stores the head of a longer body, so sending
# more would lose exactly the tail that matters. runitor settles on the same default.
DEFAULT_BODY_LIMIT = 10_000
MAX_BODY_LIMIT = 10_000_000  # whatever a server claims (runitor caps it the same way)
_RETRYABLE_STATUS = {408, 425, 429}
# The start ping waits at most this long (and never more than a third of --notify-timeout), retries included.
START_DEADLINE = 3.0
FIRST_BACKOFF, MAX_BACKOFF = 0.25, 4.0


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
        """`<url>/start?rid=<uuid>`: the run began (healthchecks measures its duration from here).

        Retried within `timeout`; its answer's Ping-Body-Limit sets the finish ping's body size.
        """
        retrying(lambda left: self._ping("start", run_id, b"", left), timeout)

    def finish(self, run_id: str, exit_code: int, output: str, timeout: float) -> None:
        """`<url>` on 0, `<url>/<exit code>` for 1-255, `<url>/fail` otherwise, retried within `timeout`.

        The body is the output within the server's limit (see fit_body). Where there is an outbox,
        finish_event and PingChannel send the same ping and keep it when it fails.
        """
        event = self.finish_event(run_id, exit_code, output, check="", at=time.time())
        retrying(lambda left: self.send_finish(event, left), timeout)

    def finish_event(self, run_id: str, exit_code: int, output: str, *, check: str, at: float) -> dict[str, Any]:
        """The finish ping as an outbox message: no URL in it (the channel's fingerprint names it), the body
        already within the limit known now, and cut again at sending should a later answer say less."""
        head, tail, cut = fit_body("", output, 0, self.limit)
        return {"event": PING, "id": str(uuid.uuid4()), "check": check, "run_id": run_id, "exit_code": exit_code,
                "head": head, "tail": tail, "cut": cut, "at": at}

    def send_finish(self, event: Mapping[str, Any], timeout: float) -> None:
        """One try at the finish ping an event describes."""
        exit_code = int(event.get("exit_code") or 0)
        if exit_code == 0:
            suffix = ""
        elif 0 < exit_code <= 255:
            suffix = str(exit_code)  # a signal N arrives as 128+N from support/process: /143, /137
        else:  # a Windows status beyond 255, or Python's -N: healthchecks only takes 0-255
            suffix = "fail"
        head, tail, cut = fit_body(str(event.get("head") or ""), str(event.get("tail") or ""),
                                   int(event.get("cut") or 0), self.limit)
        self._ping(suffix, str(event.get("run_id")), body_bytes(head, tail, cut, self.limit), timeout)

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
            raise DeliveryError(f"{self.shown} ({what}): HTTP {response.status}", retryable=retryable,
                                retry_after=retry_after(response.headers.get("Retry-After")))


class PingChannel(Channel):
    """The finish ping as an outbox channel: delivered, retried and kept like any other message."""

    kind = "ping"
    events = frozenset({PING})

    def __init__(self, pinger: Pinger) -> None:
        super().__init__(pinger.url, pinger.shown)
        self.pinger = pinger

    def send(self, event: dict[str, Any], timeout: float) -> None:
        self.pinger.send_finish(event, timeout)


def retrying(attempt: Callable[[float], None], timeout: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """`attempt(seconds left)` until it succeeds, fails for good, or `timeout` is spent; backoff doubles.

    The last error is raised. A Retry-After longer than what is left ends the tries at once.
    """
    deadline = time.monotonic() + timeout
    backoff = FIRST_BACKOFF
    while True:
        try:
            attempt(max(deadline - time.monotonic(), 0.05))
            return
        except DeliveryError as error:
            wait = error.retry_after if error.retry_after is not None else backoff
            if not error.retryable or time.monotonic() + wait >= deadline:
                raise
            sleep(wait)
            backoff = min(backoff * 2, MAX_BACKOFF)


def _cut_marker(cut: int) -> str:
    return f"[... {cut} bytes of output cut to fit the ping server's limit ...]\n"


def fit_body(head: str, tail: str, cut: int, limit: int) -> tuple[str, str, int]:
    """The output as (head, tail, bytes cut) so that head, a marker line and tail fit `limit` bytes.

    Healthchecks keeps the head of a body over its limit, losing the tail where errors are, so the
    cut is ours: the first line (the status line) stays when short, then the marker, then the tail
    from a line boundary (mid-line only when a single line is longer than the room). Applied again
    to its own result with a smaller limit, it cuts more and counts all of it.
    """
    whole = len(head.encode("utf-8", "replace")) + len(tail.encode("utf-8", "replace"))
    if cut == 0 and whole <= limit:
        return head, tail, 0
    if cut == 0 and not head:
        first, newline, rest = tail.partition("\n")
        if newline and len(first.encode("utf-8", "replace")) + 1 <= limit // 4:
            head, tail = first + newline, rest
    data = tail.encode("utf-8", "replace")
    room = limit - len(head.encode("utf-8", "replace")) - len(_cut_marker(cut + len(data)))
    if room <= 0:  # a limit smaller than the marker: the bare tail, as much as fits
        kept = tail_bytes(head + tail, limit)
        return "", kept.decode("utf-8", "replace"), cut + whole - len(kept)
    if len(data) <= room:
        return head, tail, cut
    piece = tail_bytes(tail, room)
    if not data[: len(data) - len(piece)].endswith(b"\n"):
        line_end = piece.find(b"\n")
        if 0 <= line_end < len(piece) - 1:
            piece = piece[line_end + 1:]
    return head, piece.decode("utf-8", "replace"), cut + len(data) - len(piece)


def body_bytes(head: str, tail: str, cut: int, limit: int) -> bytes:
    """The body fit_body's parts make: with the marker line where something was cut and it fits."""
    marked = f"{head}{_cut_marker(cut)}{tail}".encode("utf-8", "replace") if cut else b""
    if cut and len(marked) <= limit:
        return marked
    return tail_bytes(head + tail, limit)


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
