"""`HOST:PORT` as operators write it (`db1:5432`, `[::1]:25`, `statsd`), read one way for every option."""

from __future__ import annotations


def parse_host_port(text: str, *, default_port: int | None = None, bare_port_host: str | None = None
                    ) -> tuple[str, int]:
    """(host, port) from `HOST:PORT`, `[IPv6]:PORT`, `HOST` (with a default port) or `PORT` (with a bare-port host).

    A mistake is a ValueError saying what is wrong, for the caller to name its option with.
    """
    raw = text.strip()
    if bare_port_host is not None and raw.isascii() and raw.isdigit():  # '²'.isdigit() is true, int() refuses it
        host, port_text = bare_port_host, raw
    elif raw.startswith("["):
        host, closed, rest = raw[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise ValueError("an IPv6 address goes in brackets: [::1]:PORT")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
    elif ":" in raw:
        raise ValueError("an IPv6 address goes in brackets: [::1]:PORT")
    else:
        host, port_text = raw, ""
    if not port_text:
        if default_port is None:
            raise ValueError("no port (use HOST:PORT)")
        port_text = str(default_port)
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise ValueError("the port must be 1..65535")
    problem = host_problem(host)
    if problem:
        raise ValueError(problem)
    return host, int(port_text)


def host_problem(host: str) -> str | None:
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
