"""check-service's ports: `HOST:PORT` parsing, and the probe of each (cronchecks.service.tcp) behind one call."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cronchecks.core.errors import UsageError

if TYPE_CHECKING:
    from cronchecks.core.runtime import Runtime
    from cronchecks.service.findings import Finding
    from cronchecks.service.tcpoptions import TcpProbe


class Endpoint(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_endpoint(text: str) -> Endpoint:
    """`HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` on 127.0.0.1."""
    raw = text.strip()
    if raw.isdigit():
        host, port_text = "127.0.0.1", raw
    elif raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        if not rest.startswith(":"):
            raise UsageError(f"invalid --port {text!r} (use HOST:PORT, [IPv6]:PORT or PORT)")
        port_text = rest[1:]
    else:
        host, sep, port_text = raw.rpartition(":")
        if not sep or not host or ":" in host:
            raise UsageError(f"invalid --port {text!r} (use HOST:PORT, [IPv6]:PORT or PORT)")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"invalid --port {text!r}: the port must be 1..65535")
    return Endpoint(host, int(port_text))


def port_finding(endpoint: Endpoint, runtime: Runtime, several: bool, probe: TcpProbe | None = None) -> Finding:
    """OK when the port accepts a connection before the deadline (and answers as the probe asks), with the time."""
    from cronchecks.service.tcp import probe_port
    from cronchecks.service.tcpoptions import NO_PROBE

    return probe_port(endpoint, NO_PROBE if probe is None else probe, runtime, several)
