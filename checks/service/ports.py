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
    from cronchecks.support.addresses import parse_host_port

    try:
        host, port = parse_host_port(text, bare_port_host="127.0.0.1")
    except ValueError as error:
        reason = str(error)
        if reason.startswith(("no port", "an IPv6")) or not text.strip():
            raise UsageError(f"invalid --port {text!r} (use HOST:PORT, [IPv6]:PORT or PORT)") from None
        raise UsageError(f"invalid --port {text!r}: {reason}") from None
    return Endpoint(host, port)


def port_finding(endpoint: Endpoint, runtime: Runtime, several: bool, probe: TcpProbe | None = None) -> Finding:
    """OK when the port accepts a connection before the deadline (and answers as the probe asks), with the time."""
    from cronchecks.service.tcp import probe_port
    from cronchecks.service.tcpoptions import NO_PROBE

    return probe_port(endpoint, NO_PROBE if probe is None else probe, runtime, several)
