"""check-service's TCP ports: `HOST:PORT` parsing and whether a connection is accepted in time."""

from __future__ import annotations

import time
from typing import NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata, Status
from cronchecks.core.runtime import Runtime
from cronchecks.service.findings import Finding, perf_label


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


def port_finding(endpoint: Endpoint, runtime: Runtime, several: bool) -> Finding:
    """OK when a TCP connection is accepted before the deadline, with the time it took."""
    import socket

    label = perf_label("time", str(endpoint), several)
    started = time.perf_counter()
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=runtime.remaining()):
            elapsed = time.perf_counter() - started
    except ConnectionRefusedError:
        return Finding(Status.CRITICAL, f"{endpoint} refused the connection", (Perfdata(label, None, "s"),))
    except socket.gaierror:
        return Finding(Status.CRITICAL, f"{endpoint}: host not found", (Perfdata(label, None, "s"),))
    except TimeoutError:
        return Finding(Status.CRITICAL, f"{endpoint} did not accept the connection in time",
                       (Perfdata(label, None, "s"),))
    except OSError as error:
        return Finding(Status.CRITICAL, f"{endpoint}: {error.strerror or error}", (Perfdata(label, None, "s"),))
    runtime.log(1, f"connected to {endpoint} in {elapsed:.6f} s")
    return Finding(Status.OK, f"{endpoint} accepts connections ({elapsed * 1000:.1f} ms)",
                   (Perfdata(label, round(elapsed, 6), "s", minimum=0),))
