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
    if raw.isascii() and raw.isdigit():  # ASCII only: '²'.isdigit() is true, and int() refuses it
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
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise UsageError(f"invalid --port {text!r}: the port must be 1..65535")
    problem = _host_problem(host)
    if problem:
        raise UsageError(f"invalid --port {text!r}: {problem}")
    return Endpoint(host, int(port_text))


def _host_problem(host: str) -> str | None:
    """Why the host cannot be looked up, or None; the resolver would raise UnicodeError or ValueError instead."""
    if not host:
        return "no host"
    if any(ch.isspace() or ord(ch) < 0x20 for ch in host):
        return "a host name has no spaces or control characters"
    if ":" in host:  # an IPv6 address, checked by the resolver
        return None
    name = host[:-1] if host.endswith(".") else host
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")  # the codec is imported only for such names
        except UnicodeError as error:
            return f"not a valid host name ({error})"
    if len(name) > 253 or any(not 0 < len(label) <= 63 for label in name.split(".")):
        return "not a valid host name (each label 1..63 characters, 253 in all)"
    return None


def port_finding(endpoint: Endpoint, runtime: Runtime, several: bool, probe: TcpProbe | None = None) -> Finding:
    """OK when the port accepts a connection before the deadline (and answers as the probe asks), with the time."""
    from cronchecks.service.tcp import probe_port
    from cronchecks.service.tcpoptions import NO_PROBE

    return probe_port(endpoint, NO_PROBE if probe is None else probe, runtime, several)
