"""Which proxy a URL goes through: curl's and requests' variables, read from the mapping given, never os.environ."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit


def proxies_for(url: str, env: Mapping[str, str], *, explicit: str | None = None) -> dict[str, str]:
    """The proxy for a URL as requests' `proxies`, from `env` (never os.environ) or an explicit one.

    The variables curl and requests read: `<scheme>_proxy`, then `all_proxy`, lower case before
    upper case; `no_proxy` exempts hosts, domains, addresses and networks, and applies to an
    explicit proxy too.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return {}
    scheme = parts.scheme.lower()

    def variable(name: str) -> str | None:
        return env.get(name) or env.get(name.upper())

    if bypasses_proxy(parts.hostname or "", parts.port or (443 if scheme == "https" else 80),
                      variable("no_proxy") or ""):
        return {}
    proxy = explicit or variable(f"{scheme}_proxy") or variable("all_proxy")
    return {scheme: proxy} if proxy else {}


def bypasses_proxy(host: str, port: int, no_proxy: str) -> bool:
    """Whether `no_proxy` (comma separated: `*`, names, `.domain`, addresses, CIDR, `:port`) exempts host:port."""
    import ipaddress  # here, not at the top: check-heartbeat's file path loads this module and needs none of it

    host = host.lower().strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False
