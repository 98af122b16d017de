"""check-http's acquire step: one request through the house HTTP client, its answer as an Exchange."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

from cronchecks.core.runtime import Runtime
from cronchecks.http.plan import Plan
from cronchecks.support.httpclient import Handshake, HttpClient, HttpFailure, Phases, TooManyRedirects
from cronchecks.support.secrets import redact_url

# The request's own timeout sits just past the whole-run deadline, so that the run's
# watchdog always speaks first and --timeout-result decides what a timeout means.
DEADLINE_MARGIN = 0.25

SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}


class Exchange(NamedTuple):
    """What one request got back: the final response after any redirects, URLs fit to show."""

    code: int
    reason: str
    url: str
    elapsed: float
    body: bytes  # at most max_body bytes
    truncated: bool  # the server sent more than max_body: `body` is its head
    max_body: int
    content_type: str
    location: str | None
    redirects: tuple[str, ...]
    certificate: bytes | None  # the leaf certificate (DER) when the answer came over TLS
    headers: Mapping[str, str] = {}  # the final answer's, case-insensitive; a repeated header joined with ", "
    handshake: Handshake | None = None  # the final answer's TLS handshake: version, leaf and chain
    phases: Phases = Phases()


class Refusal(NamedTuple):
    """The request got no HTTP answer: why, in words."""

    text: str


def open_client(plan: Plan, env: Mapping[str, str]) -> AbstractContextManager[HttpClient]:
    """The client for every attempt of one check: its TLS settings, proxies from `env`, the body limit.

    With --no-body, each final answer ends at its headers. With --cookie-jar, the jar's cookies
    are in its session and are written back when it closes.
    """
    connection = plan.connection
    client = HttpClient(env, verify=not plan.insecure, cafile=plan.cacert, client_cert=plan.client_cert,
                        max_body=plan.max_body, proxy=connection.proxy, direct=connection.direct,
                        route=connection.route)
    if plan.response.no_body:
        from cronchecks.http.headonly import stop_at_headers

        stop_at_headers(client.session, plan.follow)
    if plan.response.cookie_jar is None:
        return client
    from cronchecks.http.cookiejar import keeping_cookies

    return keeping_cookies(client, plan.response.cookie_jar, plan.response.cookies)


def send(client: HttpClient, plan: Plan, runtime: Runtime, say: Callable[[int, str], None]) -> Exchange | Refusal:
    """Ask once; a refusal (no HTTP answer) is the target's state, a usage mistake raises UsageError."""
    remaining = runtime.remaining()
    timeout = None if remaining is None else remaining + DEADLINE_MARGIN
    say(1, f"{plan.method} {plan.shown_url}" + (f" via proxy {_redacted(plan.proxies)}" if plan.proxies else ""))
    for (host, port), (to_host, to_port) in plan.connection.route.connect_to.items():
        say(1, f"connecting to {to_host}:{to_port} for {host}:{port} (--connect-to)")
    for (host, port), name in plan.connection.route.tls_names.items():
        say(1, f"TLS name (SNI and certificate) {name} for {host}:{port}, from the Host header")
    say(2, "request headers: " + ", ".join(f"{k}: {_masked(k, v)}" for k, v in plan.headers.items()))
    if plan.response.cookie_jar is not None:  # their values are credentials: counted, never shown
        count = len(client.session.cookies)
        say(1, f"cookie jar {plan.response.cookie_jar}: {count} cookie{'' if count == 1 else 's'}, "
               "sent where they match")
    try:
        answer = client.request(plan.method, plan.url, headers=plan.headers, data=plan.body, auth=plan.auth,
                                timeout=timeout, follow=plan.follow, max_redirects=plan.max_redirects)
    except HttpFailure as failure:
        # Too many redirects are told from where they started; anything else names the URL that failed.
        shown = plan.shown_url if isinstance(failure, TooManyRedirects) else redact_url(failure.url)
        text = failure.describe(shown, client_cert=plan.client_cert is not None)
        route = plan.connection.route
        if route.family and failure.kind == "dns":
            text += f" (no IPv{route.family} address: --ipv{route.family})"
        tls_min = route.tls_min
        refused_version = "version" in failure.detail or "protocol" in failure.detail
        if tls_min and failure.kind in ("tls", "tls-eof") and refused_version:
            text += f" (the server offers no TLS {tls_min} or newer: --tls-min {tls_min})"
        return Refusal(text)
    exchange = Exchange(
        code=answer.status,
        reason=answer.reason,
        url=redact_url(answer.url),
        elapsed=answer.elapsed,
        body=answer.body,
        truncated=answer.truncated,
        max_body=answer.max_body,
        content_type=answer.headers.get("Content-Type", ""),
        location=answer.headers.get("Location") if 300 <= answer.status < 400 else None,
        redirects=tuple(redact_url(hop.url) for hop in answer.redirects),
        certificate=answer.certificate,
        headers=answer.headers,
        handshake=answer.handshake,
        phases=answer.phases,
    )
    for hop in answer.redirects:
        say(1, f"  {hop.status} {hop.reason} from {redact_url(hop.url)}, redirected")
    cut = f" (cut at --max-body {answer.max_body} B)" if answer.truncated else ""
    cut = " (body not read: --no-body)" if plan.response.no_body else cut
    say(1, f"  {exchange.code} {exchange.reason} from {exchange.url} in {exchange.elapsed:.3f} s, "
           f"{len(answer.body)} B{cut}")
    if answer.handshake is not None:
        handshake = answer.handshake
        say(1, f"  TLS: {handshake.version or '?'} {handshake.cipher or ''}, {len(handshake.chain)} "
               f"certificate(s) sent")
    say(2, "phases: " + ", ".join(f"{name} {seconds * 1000:.1f} ms"
                                  for name, seconds in answer.phases._asdict().items()))
    say(2, "response headers: " + ", ".join(f"{k}: {_masked(k, v)}" for k, v in answer.headers.items()))
    say(3, f"body: {answer.body[:500]!r}")
    return exchange


def _redacted(proxies: dict[str, str]) -> str:
    return ", ".join(redact_url(p) for p in proxies.values())


def _masked(name: str, value: Any) -> str:
    return "***" if name.lower() in SENSITIVE_HEADERS else value
