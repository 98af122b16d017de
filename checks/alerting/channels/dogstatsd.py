"""DogStatsD channel: every run as a Datadog service check and its perfdata as gauges, over UDP, no custom check."""

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


def metric_name(check: str, label: str, prefix: str = PREFIX) -> str:
    """`cronchecks.<check>.<label>`, each part in Datadog's name alphabet (what the Agent would do to it)."""
    part = _NAME_INVALID.sub("_", label).strip("_.") or "value"
    return f"{service_check_name(check, prefix)}.{part}"[:MAX_NAME]


def gauge_lines(event: dict[str, Any], prefix: str = PREFIX) -> list[bytes]:
    """`<name>:<value>|g|#check:<check>,host:<host>,source:cronchecks`, one per perfdata value that was measured.

    The `host:` tag is the one the Agent files a metric under instead of its own host name, so a
    run recorded for another host (`--host`) is that host's metric, as its service check is.
    A label that comes twice in one output keeps its first value: one series, one value a run.
    """
    import math

    check = str(event.get("check") or "?")
    tags = [f"check:{escape_tag(check)}"]
    if event.get("host"):
        tags.append(f"host:{escape_tag(str(event['host']))}")
    tags.append("source:cronchecks")
    lines, seen = [], set()
    for datum in event.get("perfdata") or ():
        value, label = datum.get("value"), str(datum.get("label") or "")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not label or not math.isfinite(value):
            continue  # 'U' (not measured) is no value; a gauge must be a finite number
        name = metric_name(check, label, prefix)
        if name in seen:
            continue
        seen.add(name)
        number = str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))
        lines.append(f"{name}:{number}|g|#{','.join(tags)}".encode())
    return lines


def packets(datagrams: list[bytes], limit: int = MAX_DATAGRAM) -> list[bytes]:
    """Datagrams joined by newlines (the Agent reads several per packet) into packets within `limit`."""
    joined: list[bytes] = []
    for datagram in datagrams:
        if joined and len(joined[-1]) + 1 + len(datagram) <= limit:
            joined[-1] += b"\n" + datagram
        else:
            joined.append(datagram)
    return joined


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
        from cronchecks.support.addresses import parse_host_port

        try:
            host, port = parse_host_port(address, default_port=DEFAULT_PORT)
        except ValueError as error:
            raise UsageError(f"invalid --dogstatsd {address!r}: {error} (HOST:PORT expected, e.g. 127.0.0.1:8125)"
                             ) from None
        return cls(host, port)

    def send(self, event: dict[str, Any], timeout: float) -> None:
        import socket

        # The service check first, in a packet of its own (its message may fill one); then the gauges.
        outgoing = [service_check_datagram(event, self.prefix), *packets(gauge_lines(event, self.prefix))]
        try:
            family, kind, proto, _, target = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)[0]
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(max(timeout, 0.1))
                for packet in outgoing:
                    sock.sendto(packet, target)
        except OSError as error:
            reason = "cannot resolve the host" if isinstance(error, socket.gaierror) else \
                (error.strerror or type(error).__name__)
            raise DeliveryError(f"{self.shown}: {reason}", retryable=True) from None
