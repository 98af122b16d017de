"""The connections under the house HTTP client: where each goes, the TLS it speaks, what its handshake and phases were.

`HttpClient` mounts `wire_adapter(route)` for http:// and https://: a requests adapter whose
urllib3 pools make our connection classes. They

- connect where `Route.connect_to` says for an origin (curl's --connect-to), the URL's host
  staying the Host header, the SNI name and the name the certificate must match;
- resolve with the address family asked for (4, 6 or either);
- send the SNI name `Route.tls_names` gives for an origin (a Host header naming another host);
- refuse a TLS version below `Route.tls_min` in the handshake itself;
- record the handshake (version, leaf and chain in DER) the moment it completes, so a server
  that closes the connection after its answer still has its certificate judged;
- time each phase: DNS, connect (and a proxy's CONNECT), TLS handshake, first byte.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

Origin = tuple[str, int]  # (host in lower case, port)

TLS_VERSIONS = ("1.2", "1.3")


class Route(NamedTuple):
    """Where and how this client's connections go; the defaults are a plain client's."""

    connect_to: Mapping[Origin, Origin] = {}  # an origin's connections go to this host and port instead
    tls_names: Mapping[Origin, str] = {}  # the SNI and certificate name for an origin, when not its host
    family: int = 0  # 4 or 6 to force the address family; 0: whatever the name resolves to
    tls_min: str | None = None  # "1.2" or "1.3": a handshake below fails


class Handshake(NamedTuple):
    """One TLS handshake as it completed: what was negotiated and what the server sent."""

    version: str | None  # "TLSv1.3"
    cipher: str | None
    certificate: bytes | None  # the leaf, DER
    chain: tuple[bytes, ...]  # every certificate the server sent, leaf first, DER; () if unreadable


class Phases(NamedTuple):
    """Seconds spent in each phase of an exchange (summed over the redirects followed)."""

    dns: float = 0.0
    connect: float = 0.0  # TCP connect, plus a proxy's CONNECT tunnel
    tls: float = 0.0
    firstbyte: float = 0.0  # from the request sent to the answer's status line and headers
    transfer: float = 0.0  # reading the final answer's body

    def plus(self, other: Phases) -> Phases:
        return Phases(*(a + b for a, b in zip(self, other, strict=True)))


PHASE_NAMES = Phases._fields


def origin_of(host: str, port: int) -> Origin:
    return host.lower().strip("[]").rstrip("."), port


def exchange_record(response: Any) -> tuple[Handshake | None, Phases]:
    """The handshake of the connection a (streamed, unread) requests response came on, and its phases."""
    connection = getattr(getattr(response, "raw", None), "connection", None)
    return getattr(connection, "cronchecks_handshake", None), getattr(connection, "cronchecks_phases", Phases())


def read_handshake(sock: Any) -> Handshake:
    """What a completed TLS socket negotiated and received; never raises."""
    import contextlib

    certificate = version = cipher = None
    with contextlib.suppress(Exception):
        certificate = sock.getpeercert(binary_form=True)
    with contextlib.suppress(Exception):
        version = sock.version()
    with contextlib.suppress(Exception):
        cipher = (sock.cipher() or (None,))[0]
    return Handshake(version, cipher, certificate, _unverified_chain(sock) or ((certificate,) if certificate else ()))


def _unverified_chain(sock: Any) -> tuple[bytes, ...]:
    """The certificates the server sent, as sent (blackbox_exporter's PeerCertificates), in DER.

    Python 3.13 has SSLSocket.get_unverified_chain(); 3.10 to 3.12 have the same method on the
    private _ssl object behind it (the C code is the same), whose certificates give their DER
    through public_bytes. An SSL object without either (another implementation) gives ().
    """
    import contextlib

    for holder in (sock, getattr(sock, "_sslobj", None), getattr(sock, "sslobj", None),
                   getattr(getattr(sock, "sslobj", None), "_sslobj", None)):
        getter = getattr(holder, "get_unverified_chain", None)
        if getter is None:
            continue
        with contextlib.suppress(Exception):
            import _ssl

            return tuple(c if isinstance(c, bytes) else c.public_bytes(_ssl.ENCODING_DER) for c in getter() or ())
    return ()


def wire_adapter(route: Route, *, quiet: bool = False) -> Any:
    """A requests adapter whose connections follow `route` and record handshakes and phases.

    `quiet`: verification was turned off on purpose (--insecure): urllib3's
    InsecureRequestWarning is skipped for this adapter's pools alone, never through the
    process-wide warnings filter that a suite's threads share.
    """
    key = (tuple(sorted(route.connect_to.items())), tuple(sorted(route.tls_names.items())), route.family,
           route.tls_min, quiet)
    return _adapter_class(key)()


@functools.lru_cache(maxsize=64)
def _adapter_class(key: tuple[Any, ...]) -> type:
    # Classes are cached per route: a suite makes a client per check, and making the six
    # classes costs more than a loopback request's own Python work.
    import requests
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    connect_to, tls_names, family, tls_min, quiet = key
    http_connection, https_connection = _connection_classes(Route(dict(connect_to), dict(tls_names), family, tls_min))

    class RoutedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = http_connection

    class RoutedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = https_connection

        def _validate_conn(self, conn: Any) -> None:
            if not quiet:
                super()._validate_conn(conn)
                return
            HTTPConnectionPool._validate_conn(self, conn)
            if conn.is_closed:
                conn.connect()  # as HTTPSConnectionPool does: connect early so TLS errors surface here

    pools = {"http": RoutedHTTPConnectionPool, "https": RoutedHTTPSConnectionPool}

    class WireAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    return WireAdapter


def _connection_classes(route: Route) -> tuple[type, type]:
    import socket
    import ssl
    import sys

    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
    from urllib3.util.connection import create_connection

    family = {4: socket.AF_INET, 6: socket.AF_INET6}.get(route.family, socket.AF_UNSPEC)
    tls_min = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}.get(route.tls_min or "")

    class Measured:
        """What both connection classes add: routing, resolution by family, phase times."""

        # set by urllib3's own classes, which these mix into
        host: str
        port: int
        _dns_host: str
        timeout: Any
        source_address: Any
        socket_options: Any
        _tunnel_host: str | None
        _tunnel_port: int | None

        def origin(self) -> Origin:
            return origin_of(self._tunnel_host or self.host, self._tunnel_port or self.port)

        def _new_conn(self) -> socket.socket:
            self.cronchecks_fresh = [0.0, 0.0, 0.0]  # dns, connect, tls of the connection being made
            host, port = self._dns_host, self.port
            if not self._tunnel_host:  # through a proxy, the proxy is where we connect
                host, port = route.connect_to.get(origin_of(host, port), (host, port))
            started = time.perf_counter()
            try:
                addresses = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
            except socket.gaierror as error:
                raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
            resolved = time.perf_counter()
            self.cronchecks_fresh[0] = resolved - started
            failure: OSError | None = None
            try:
                for *_, address in addresses:
                    try:
                        # a numeric address: create_connection resolves nothing, it connects
                        sock = create_connection((str(address[0]), port), self.timeout,
                                                 source_address=self.source_address,
                                                 socket_options=self.socket_options)
                        break
                    except TimeoutError:
                        raise
                    except OSError as error:
                        failure = error  # the next address may answer, as curl tries each
                else:
                    raise failure or OSError(f"no address for {host}")
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from error
            except OSError as error:
                raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error  # type: ignore[arg-type]
            finally:
                self.cronchecks_fresh[1] = time.perf_counter() - resolved
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock

        def _tunnel(self) -> None:
            started = time.perf_counter()
            try:
                super()._tunnel()  # type: ignore[misc]
            finally:
                self.cronchecks_fresh[1] += time.perf_counter() - started

        def request(self, *args: Any, **kwargs: Any) -> None:
            super().request(*args, **kwargs)  # type: ignore[misc]
            self.cronchecks_sent = time.perf_counter()

        def getresponse(self) -> Any:
            response = super().getresponse()  # type: ignore[misc]
            waited = time.perf_counter() - getattr(self, "cronchecks_sent", time.perf_counter())
            dns, connect, tls = getattr(self, "cronchecks_fresh", None) or (0.0, 0.0, 0.0)
            self.cronchecks_fresh = [0.0, 0.0, 0.0]  # a reused connection costs nothing next time
            self.cronchecks_phases = Phases(dns, connect, tls, waited)
            return response

    class RoutedHTTPConnection(Measured, HTTPConnection):
        pass

    class RoutedHTTPSConnection(Measured, HTTPSConnection):
        def connect(self) -> None:
            name = route.tls_names.get(self.origin())
            if name:
                self.server_hostname = name  # the SNI sent and, verifying, the name the certificate must match
            if tls_min is not None:
                self.ssl_minimum_version = tls_min
            started = time.perf_counter()
            try:
                super().connect()
            finally:
                fresh = getattr(self, "cronchecks_fresh", None)
                if fresh is not None:
                    fresh[2] = max(time.perf_counter() - started - fresh[0] - fresh[1], 0.0)
            self.cronchecks_handshake = read_handshake(self.sock)

    return RoutedHTTPConnection, RoutedHTTPSConnection
