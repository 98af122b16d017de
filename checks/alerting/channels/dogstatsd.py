"""DogStatsD channel: every run as a Datadog service check datagram over UDP, so no custom agent check is needed."""

from __future__ import annotations

import re
from typing import Any

from cronchecks.alerting.channels.base import RUN, Channel, DeliveryError
from cronchecks.core.errors import UsageError

DEFAULT_PORT = 8125
PREFIX = "cronchecks."
# The agent reads datagrams into 8 KiB buffers (dogstatsd_buffer_size); a longer one is cut.
MAX_DATAGRAM = 8192
MAX_NAME, MAX_TAG = 200, 200
_NAME_INVALID = re.compile(r"[^A-Za-z0-9_.]")
_TAG_INVALID = re.compile(r"[\s,|#]")


def service_check_name(check: str, prefix: str = PREFIX) -> str:
    """`cronchecks.<check>` in Datadog's name alphabet (ASCII letters, digits, `_`, `.`)."""
    name = _NAME_INVALID.sub("_", prefix + check).strip("_") or "cronchecks"
    if not name[0].isalpha():
        name = "c" + name
    return name[:MAX_NAME]


def escape_tag(text: str) -> str:
    """A tag value that cannot end the tag list or the field: separators become `_`."""
    return _TAG_INVALID.sub("_", text)[:MAX_TAG] or "_"


def escape_field(text: str) -> str:
    """A metadata value (host) without the field separator or line breaks."""
    return text.replace("|", "_").replace("\r", " ").replace("\n", " ")


def escape_message(text: str) -> str:
    """The `m:` field: last in the datagram; `|` and line breaks cannot stay (the agent splits on them).

    Newlines are written `\\n` and `m:` as `m\\:`, as Datadog's own clients do; `|` becomes `¦`.
    """
    return (text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n").replace("m:", "m\\:")
            .replace("|", "\u00a6"))


def service_check_datagram(event: dict[str, Any], prefix: str = PREFIX) -> bytes:
    """`_sc|<name>|<status>|d:<time>|h:<host>|#check:<name>|m:<summary>` as UTF-8, within MAX_DATAGRAM."""
    from cronchecks.alerting.messages import fit

    check = str(event.get("check") or "?")
    code = event.get("code")
    if code not in (0, 1, 2, 3):
        code = {"OK": 0, "WARNING": 1, "CRITICAL": 2}.get(str(event.get("status")), 3)
    fields = ["_sc", service_check_name(check, prefix), str(code)]
    if event.get("at") is not None:
        fields.append(f"d:{int(event['at'])}")
    if event.get("host"):
        fields.append(f"h:{escape_field(str(event['host']))}")
    fields.append(f"#check:{escape_tag(check)},source:cronchecks")
    head = "|".join(fields)
    summary = str(event.get("summary") or "")
    if not summary:
        return head.encode()
    room = MAX_DATAGRAM - len(head.encode()) - len("|m:")
    message = escape_message(fit(summary, room, lambda part: len(escape_message(part).encode())))
    return f"{head}|m:{message}".encode()


class DogStatsdChannel(Channel):
    """A DogStatsD server (the Datadog agent) at HOST:PORT; UDP, so a send only fails locally."""

    kind = "dogstatsd"
    events = frozenset({RUN})

    def __init__(self, host: str, port: int = DEFAULT_PORT, prefix: str = PREFIX) -> None:
        self.host = host
        self.port = port
        self.prefix = prefix
        shown_host = f"[{host}]" if ":" in host else host
        super().__init__(f"{shown_host}:{port}", f"dogstatsd {shown_host}:{port}")

    @classmethod
    def from_address(cls, address: str) -> DogStatsdChannel:
        """`HOST:PORT`, `HOST` (port 8125) or `[IPv6]:PORT`."""
        text = address.strip()
        host, port_text = text, ""
        if text.startswith("["):
            host, closed, rest = text[1:].partition("]")
            if not closed or (rest and not rest.startswith(":")):
                host = ""
            port_text = rest[1:]
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
        try:
            port = int(port_text) if port_text else DEFAULT_PORT
        except ValueError:
            port = 0
        if not host or not 0 < port < 65536:
            raise UsageError(f"invalid --dogstatsd {address!r} (HOST:PORT expected, e.g. 127.0.0.1:8125)")
        return cls(host, port)

    def send(self, event: dict[str, Any], timeout: float) -> None:
        import socket

        datagram = service_check_datagram(event, self.prefix)
        try:
            family, kind, proto, _, target = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)[0]
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(max(timeout, 0.1))
                sock.sendto(datagram, target)
        except OSError as error:
            reason = "cannot resolve the host" if isinstance(error, socket.gaierror) else \
                (error.strerror or type(error).__name__)
            raise DeliveryError(f"{self.shown}: {reason}", retryable=True) from None
