"""check-http's connection and TLS: connect-to, address family, SNI, TLS version, proxy; certificates and phases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata, Status
from cronchecks.core.thresholds import ParseError, Range, format_duration, judge, parse_range, plain_number
from cronchecks.support.httpwire import PHASE_NAMES, TLS_VERSIONS, Route, origin_of

if TYPE_CHECKING:  # only for annotations: the judge step hands these in
    from cronchecks.core.runtime import Runtime
    from cronchecks.http.options import HttpOptions
    from cronchecks.http.request import Exchange

_DAY = 86400.0


class ConnectionPlan(NamedTuple):
    """How check-http connects and what it asks of the TLS, checked before any I/O."""

    route: Route
    proxy: str | None  # an explicit proxy (--proxy, --proxy-env, --proxy-file)
    direct: bool  # --no-proxy
    cert_chain: bool
    expect_tls: bool
    phases: bool
    phase_ranges: Mapping[str, tuple[Range | None, Range | None]]  # phase -> (warning, critical)
    secrets: tuple[str, ...]  # the proxy's password in its forms, to scrub


def parse_host_port(text: str) -> tuple[str, int]:
    """`HOST:PORT` or `[IPv6]:PORT` as (host, port); ValueError says what is wrong."""
    text = text.strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: HOST:PORT expected, with a port from 1 to 65535 (e.g. 10.0.0.5:443)")
    if host.startswith("["):
        if not host.endswith("]") or len(host) < 3:
            raise ValueError(f"{text!r}: an IPv6 address goes in brackets, [2001:db8::1]:443")
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: an IPv6 address goes in brackets, [2001:db8::1]:443")
    if any(c.isspace() or c in "/@?#[]" for c in host):
        raise ValueError(f"{text!r}: not a host name or address")
    return host, int(port)


def parse_phase_range(flag: str, text: str) -> tuple[str, Range]:
    """`tls=1s` as ("tls", its range); UsageError names the option and the phases."""
    name, sep, bound = text.partition("=")
    name = name.strip().lower().removeprefix("time_")
    if not sep or name not in PHASE_NAMES:
        raise UsageError(f"invalid {flag} {text!r}: NAME=RANGE with NAME one of {', '.join(PHASE_NAMES)} "
                         f"(e.g. {flag} tls=1s)")
    try:
        return name, parse_range(bound, "duration")
    except ParseError as error:
        raise UsageError(f"invalid {flag} {text!r}: {error}") from None


def _family_of(host: str) -> int:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).version
    except ValueError:
        return 0


def prepare_connection(options: HttpOptions, url_host: str, url_port: int, scheme: str,
                       headers: Mapping[str, str], env: Mapping[str, str]) -> ConnectionPlan:
    """The connection settings from the options; UsageError on a mistake or a contradiction."""
    from cronchecks.support.secrets import read_secret

    origin = origin_of(url_host, url_port)
    connect_to = {}
    if options.connect_to is not None:
        try:
            target = parse_host_port(options.connect_to)
        except ValueError as error:
            raise UsageError(f"invalid --connect-to {error}") from None
        connect_to[origin] = target

    if options.ipv4 and options.ipv6:
        raise UsageError("--ipv4 and --ipv6 contradict each other: give one")
    family = 4 if options.ipv4 else 6 if options.ipv6 else 0
    where = connect_to[origin][0] if connect_to else url_host
    if family and _family_of(where) not in (0, family):
        raise UsageError(f"--ipv{family} cannot reach {where}, an IPv{_family_of(where)} address")

    # A Host header naming another host is the name the server must answer for: check_curl's
    # -H NAME -I ADDRESS. Over TLS that name is also the SNI and the certificate's name.
    tls_names = {}
    host_header = next((v for k, v in headers.items() if k.lower() == "host"), None)
    if host_header and scheme == "https":
        name = host_header.strip()
        if name.startswith("["):
            name = name[1:name.find("]")] if "]" in name else name
        else:
            name = name.rpartition(":")[0] if name.count(":") == 1 else name
        if name and name.lower() != origin[0]:
            tls_names[origin] = name

    tls_min = options.tls_min.strip().lower().removeprefix("tlsv") if options.tls_min is not None else None
    if tls_min is not None and tls_min not in TLS_VERSIONS:
        raise UsageError(f"invalid --tls-min {options.tls_min!r}: give {' or '.join(TLS_VERSIONS)}")
    if (tls_min or options.cert_chain) and scheme == "http" and not options.follow:
        raise UsageError("--tls-min and --cert-chain need an https:// URL")

    proxy = read_secret(direct=None, env_name=options.proxy_env, file_path=options.proxy_file, env=env,
                        what="the proxy (--proxy-env/--proxy-file)")
    if options.proxy and proxy is not None:
        raise UsageError("the proxy is given more than once (--proxy, --proxy-env, --proxy-file): give one")
    secrets: list[str] = []
    if options.proxy:
        proxy = options.proxy.strip()
        if "@" in proxy.partition("://")[2].partition("/")[0]:
            raise UsageError("--proxy holds credentials, which ps shows: give the URL with --proxy-env or --proxy-file")
    if proxy is not None:
        proxy = proxy.strip()
        secrets += _proxy_secrets(proxy)
    if proxy is not None and options.no_proxy:
        raise UsageError("--no-proxy and a proxy contradict each other: give one")
    if proxy is not None and connect_to:
        raise UsageError("--connect-to connects directly: drop the proxy, or --connect-to")

    ranges: dict[str, tuple[Range | None, Range | None]] = {}
    for flag, texts, slot in (("--phase-warning", options.phase_warning, 0),
                              ("--phase-critical", options.phase_critical, 1)):
        for text in texts:
            name, bound = parse_phase_range(flag, text)
            pair = list(ranges.get(name, (None, None)))
            if pair[slot] is not None:
                raise UsageError(f"{flag} {name}=... is given twice: give one range per phase")
            pair[slot] = bound
            ranges[name] = (pair[0], pair[1])

    return ConnectionPlan(
        route=Route(connect_to=connect_to, tls_names=tls_names, family=family, tls_min=tls_min),
        proxy=proxy,
        direct=options.no_proxy,
        cert_chain=options.cert_chain,
        expect_tls=options.expect_tls,
        phases=options.phases,
        phase_ranges=ranges,
        secrets=tuple(secrets),
    )


def _proxy_secrets(proxy: str) -> list[str]:
    """The proxy URL checked; its password in every form it may be shown in (raw, decoded, as basic auth)."""
    import base64
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError("invalid proxy URL: http://HOST:PORT expected") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("invalid proxy URL: http://HOST:PORT or https://HOST:PORT expected")
    if parts.password is None:
        return []
    user, password = unquote(parts.username or ""), unquote(parts.password)
    return [parts.password, password, base64.b64encode(f"{user}:{password}".encode()).decode()]


# --- judging what the connection did ---------------------------------------------------------------


Problems = list[tuple[Status, str]]


def judge_connection(plan: Any, exchange: Exchange, runtime: Runtime) -> tuple[list[Perfdata], Problems]:
    """Perfdata and problems of the connection: certificate days (leaf or chain), plain HTTP, phases."""
    connection: ConnectionPlan = plan.connection
    perfdata, problems = _certificates(plan, exchange, runtime)
    if connection.expect_tls and not exchange.url.startswith("https://"):
        problems.append((Status.CRITICAL, f"the answer came over plain HTTP from {exchange.url} (--expect-tls)"))
    for name in PHASE_NAMES:
        warning, critical = connection.phase_ranges.get(name, (None, None))
        if not connection.phases and warning is None and critical is None:
            continue
        seconds = getattr(exchange.phases, name)
        perfdata.append(Perfdata(f"time_{name}", round(seconds, 6), "s", warning, critical, minimum=0))
        status = judge(seconds, warning, critical)
        if status is not Status.OK:
            breached = critical if status is Status.CRITICAL else warning
            assert breached is not None
            level = status.name.lower()
            limit = breached.describe(format_duration)
            text = f"{name} took {format_duration(seconds)} ({level} {limit}, --phase-{level})"
            problems.append((status, text))
    return perfdata, problems


def _certificates(plan: Any, exchange: Exchange, runtime: Runtime) -> tuple[list[Perfdata], Problems]:
    from cronchecks.support.x509 import CertificateError, not_after

    judged = plan.cert_warning is not None or plan.cert_critical is not None
    chained = plan.connection.cert_chain
    if exchange.certificate is None:
        if judged:
            return [], [(Status.UNKNOWN, f"no TLS certificate to judge ({exchange.url} is not https)")]
        return [], []
    chain = exchange.handshake.chain if exchange.handshake and exchange.handshake.chain else (exchange.certificate,)
    try:
        leaf = not_after(exchange.certificate)
        earliest = min((not_after(der) for der in chain), default=leaf) if chained else leaf
    except CertificateError as error:
        return [], [(Status.UNKNOWN, f"cannot read the certificate's expiry: {error}")] if judged else []
    now = runtime.now()
    perf = [Perfdata("cert_days", round((leaf - now).total_seconds() / _DAY, 2), "", plan.cert_warning,
                     plan.cert_critical)]
    if chained:
        perf.append(Perfdata("chain_days", round((earliest - now).total_seconds() / _DAY, 2), "", plan.cert_warning,
                             plan.cert_critical))
    left = (earliest - now).total_seconds()
    status = judge(left / _DAY, plan.cert_warning, plan.cert_critical)
    if status is Status.OK:
        return perf, []
    which = "certificate"
    if chained and earliest < leaf:
        position = next(i for i, der in enumerate(chain) if not_after(der) == earliest)
        which = f"certificate {position + 1} of the {len(chain)} in the chain"
    when = earliest.strftime("%Y-%m-%d %H:%M UTC")
    breached = plan.cert_critical if status is Status.CRITICAL else plan.cert_warning
    limit = f"{status.name.lower()} < {plain_number(breached.start)} days" if breached else status.name.lower()
    if left < 0:
        text = f"{which} expired {format_duration(-left)} ago ({when}; {limit})"
    else:
        text = f"{which} expires in {format_duration(left)} ({when}; {limit})"
    return perf, [(status, text)]
