"""The one way out to the network over HTTP: the same trust, proxy, credential, size and time rules for every caller.

check-http, check-heartbeat's --url, the webhook and ping channels (and whatever comes later) send
through `HttpClient`, so that a rule set here holds everywhere:

- nothing is read behind the caller's back: not ~/.netrc, not os.environ. Proxies and CA bundles
  come from the environment mapping the caller hands in (the Runtime's env);
- TLS is verified against the system's CA store, or the CA file the caller names;
- every request says `User-Agent: cronchecks/VERSION` unless the caller gives its own;
- redirects are followed here, hop by hop, and credentials (Authorization, Cookie, and every
  header the caller gave) never travel to another origin (scheme, host and port);
- at most `max_body` bytes of an answer are read, streaming; `Answer.truncated` says it was cut;
- every call has a deadline: connect, each read, and the whole exchange;
- the connections follow a `Route` (cronchecks.support.httpwire): connect-to, address family,
  SNI name, lowest TLS version; each answer carries the TLS handshake it came over (read when
  the handshake completed, so a server that closes after answering keeps its certificate)
  and the time spent in each phase;
- no process-wide state: no warnings filter, no urllib3.disable_warnings (the suite runs checks
  in threads, and a library must not change its host process).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import SplitResult, urlsplit

from cronchecks import __version__
from cronchecks.core.errors import UsageError
from cronchecks.support.httpfailures import HttpFailure, TooManyRedirects, describe_failure
from cronchecks.support.httpwire import Handshake, Phases, Route, exchange_record, origin_of
from cronchecks.support.proxies import bypasses_proxy, proxies_for

# What callers import from here: the client and the rules it applies (kept in their own modules).
__all__ = [
    "CHANNEL_MAX_BODY",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_REDIRECTS",
    "USER_AGENT",
    "Answer",
    "Handshake",
    "Hop",
    "HttpClient",
    "HttpFailure",
    "Phases",
    "Route",
    "TooManyRedirects",
    "bypasses_proxy",
    "client_proxies",
    "default_ca_bundle",
    "describe_failure",
    "parse_header",
    "proxies_for",
    "send",
    "standard_reason",
]

USER_AGENT = f"cronchecks/{__version__}"
DEFAULT_MAX_BODY = 10 * 1024 * 1024  # check-http's and check-heartbeat's --max-body
CHANNEL_MAX_BODY = 64 * 1024  # a receiver's answer to a notification is a status word, not a document
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_TIMEOUT = 30.0  # for a caller without a deadline of its own: no call waits forever
_CHUNK = 64 * 1024
# A 3xx's own body is read only so that its connection can go back to the pool; nobody judges it.
_REDIRECT_BODY = 64 * 1024
# Headers that describe the request rather than who sends it: kept on a redirect to another
# origin. Everything else the caller gave (X-Api-Key, Cookie, a token under any name) is dropped.
_PORTABLE_HEADERS = frozenset({"user-agent", "accept", "accept-language", "content-type"})


# --- what a caller gets back ----------------------------------------------------------------


class Hop(NamedTuple):
    """One redirect that was followed: its status and the URL that answered with it."""

    status: int
    reason: str
    url: str


class Answer(NamedTuple):
    """The final HTTP answer, after any redirects, with at most `max_body` bytes of its body."""

    status: int
    reason: str
    url: str
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    truncated: bool  # the server sent more than `max_body` bytes; `body` is the first `max_body`
    max_body: int
    elapsed: float  # seconds, from the first request to the last byte kept
    redirects: tuple[Hop, ...]
    certificate: bytes | None  # the peer's leaf certificate (DER) when the answer came over TLS
    handshake: Handshake | None = None  # the TLS handshake of the final answer's connection
    phases: Phases = Phases()  # DNS, connect, TLS and first byte summed over the hops; the final body's transfer

    @property
    def text(self) -> str:
        """The kept body decoded by its declared charset (UTF-8 otherwise), never failing."""
        import re

        match = re.search(r"charset=[\"']?([\w.:-]+)", self.headers.get("Content-Type", ""), re.IGNORECASE)
        try:
            return self.body.decode(match.group(1) if match else "utf-8", "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")


# --- the client -------------------------------------------------------------------------------


class HttpClient:
    """A requests Session with the house rules; one per caller and thread, closed after use.

    `verify`: False turns certificate checks off (the caller asked: --insecure). `cafile` is an
    explicit CA bundle (file or folder) that replaces the system store, as curl's --cacert does.
    `proxy` is an explicit proxy for every URL that NO_PROXY does not exempt; `direct` uses no
    proxy at all, the environment's included. `route` says where connections go and the TLS
    they speak (an origin routed by connect-to is reached directly, never through a proxy).
    """

    def __init__(self, env: Mapping[str, str], *, verify: bool = True, cafile: str | None = None,
                 client_cert: str | tuple[str, str] | None = None, proxy: str | None = None,
                 user_agent: str | None = None, max_body: int = DEFAULT_MAX_BODY, direct: bool = False,
                 route: Route | None = None) -> None:
        import requests

        from cronchecks.support.httpwire import wire_adapter

        if cafile and not verify:
            raise UsageError("a CA file and turning verification off contradict each other: give one")
        if proxy and direct:
            raise UsageError("a proxy and no proxy contradict each other: give one")
        self.env = env
        self.proxy = proxy
        self.direct = direct
        self.route = route or Route()
        self.user_agent = user_agent or USER_AGENT
        self.max_body = max_body
        self.client_cert = client_cert
        self.verify: bool | str = False if not verify else (cafile or default_ca_bundle(env))
        session = requests.Session()
        # requests would read os.environ (proxies, CA bundles) and ~/.netrc (credentials nobody
        # gave); the rules above come from `env` alone.
        session.trust_env = False
        # requests' own defaults (Accept, Accept-Encoding) stay; its User-Agent is replaced by
        # ours, and a caller's User-Agent header (any case) replaces ours in turn.
        session.headers["User-Agent"] = self.user_agent
        session.mount("https://", wire_adapter(self.route, quiet=self.verify is False))
        session.mount("http://", wire_adapter(self.route))
        self.session = session

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def proxies_for(self, url: str) -> dict[str, str]:
        """The proxy this client uses for `url` ({} for none)."""
        return client_proxies(url, self.env, proxy=self.proxy, direct=self.direct, route=self.route)

    def request(self, method: str, url: str, *, timeout: float | None, headers: Mapping[str, str] | None = None,
                data: bytes | None = None, json: Any = None, auth: tuple[str, str] | None = None,
                follow: bool = True, max_redirects: int = DEFAULT_MAX_REDIRECTS,
                max_body: int | None = None, connect_timeout: float | None = None) -> Answer:
        """Send one request (following redirects unless `follow` is False) and read its answer.

        `timeout` bounds the whole exchange, redirects and body included; `connect_timeout`
        (default: the same) bounds each connection attempt. Raises HttpFailure when no HTTP
        answer came, UsageError when the request itself cannot be made (bad URL or header,
        unreadable TLS files).
        """
        limit = self.max_body if max_body is None else max_body
        budget = DEFAULT_TIMEOUT if timeout is None else max(timeout, 0.001)
        deadline = time.monotonic() + budget
        sent = dict(headers or {})
        started = time.perf_counter()
        hops: list[Hop] = []
        chain: list[str] = []
        origin = _origin(url)
        current, verb, body, body_json, credentials = url, method.upper(), data, json, auth
        if credentials is None:
            # Credentials in the URL belong to its origin like any others: carried over redirects
            # within it (the next Location has none), dropped beyond it.
            from requests.utils import get_auth_from_url

            user, password = get_auth_from_url(url)
            credentials = (user, password) if user or password else None
        phases = Phases()
        while True:
            response = self._send(verb, current, sent, body, body_json, credentials, deadline, connect_timeout)
            handshake, hop_phases = exchange_record(response)
            phases = phases.plus(hop_phases)
            location = _redirect_target(response) if follow else None
            if location is None:
                break
            chain.append(current)
            _discard(response)
            target = _absolute(current, location)
            if len(hops) >= max_redirects:
                raise TooManyRedirects(tuple(chain), target, max_redirects)
            hops.append(Hop(response.status_code, response.reason or standard_reason(response.status_code),
                            current))
            verb, body, body_json, sent = _redirected(response.status_code, verb, body, body_json, sent)
            if _origin(target) != origin:
                # Credentials were given for one origin; a redirect must not carry them elsewhere,
                # not even back (the other origin chose where we go next).
                credentials = None
                sent = {k: v for k, v in sent.items() if k.lower() in _PORTABLE_HEADERS}
                origin = None
            current = target
        try:
            reading = time.perf_counter()
            kept, truncated = _read_body(response, limit, deadline, current)
            phases = phases._replace(transfer=time.perf_counter() - reading)
        finally:
            response.close()
        return Answer(
            status=response.status_code,
            reason=response.reason or standard_reason(response.status_code),
            url=current,
            headers=response.headers,
            body=kept,
            truncated=truncated,
            max_body=limit,
            elapsed=time.perf_counter() - started,
            redirects=tuple(hops),
            certificate=handshake.certificate if handshake else None,
            handshake=handshake,
            phases=phases,
        )

    def _send(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None, json: Any,
              auth: tuple[str, str] | None, deadline: float, connect_timeout: float | None) -> Any:
        import requests

        remaining = max(deadline - time.monotonic(), 0.001)
        timeouts = (min(connect_timeout or remaining, remaining), remaining)
        try:
            return self.session.request(method, url, headers=dict(headers), data=data, json=json, auth=auth,
                                        verify=self.verify, cert=self.client_cert, timeout=timeouts,
                                        allow_redirects=False, proxies=self.proxies_for(url), stream=True)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader) as error:
            raise UsageError(f"cannot send this request: {type(error).__name__}") from None
        except requests.exceptions.RequestException as error:
            raise HttpFailure(error, url) from None
        except OSError as error:
            if isinstance(error, (ConnectionError, TimeoutError)):
                raise HttpFailure(error, url) from None
            # requests raises a plain OSError for unreadable certificate or CA files: ours to fix.
            raise UsageError(f"cannot use the TLS files: {error.strerror or error}") from None


def client_proxies(url: str, env: Mapping[str, str], *, proxy: str | None = None, direct: bool = False,
                   route: Route | None = None) -> dict[str, str]:
    """The proxy a client with these settings uses for `url` ({} for none): what it sends through, and shows."""
    if direct:
        return {}
    if route is not None and route.connect_to:
        origin = _origin(url)
        if origin is not None and origin_of(*origin[1:]) in route.connect_to:
            return {}
    return proxies_for(url, env, explicit=proxy)


def send(env: Mapping[str, str], method: str, url: str, *, timeout: float, cafile: str | None = None,
         max_body: int = CHANNEL_MAX_BODY, **request: Any) -> Answer:
    """One request with a client of its own: what a notification channel needs."""
    with HttpClient(env, cafile=cafile, max_body=max_body) as client:
        return client.request(method, url, timeout=timeout, **request)


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None


def _redirect_target(response: Any) -> str | None:
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    location = response.headers.get("Location")
    if not location:
        return None
    # Servers send UTF-8 that http.client read as Latin-1 (requests' get_redirect_target does the same).
    try:
        return location.encode("latin1").decode("utf-8")
    except UnicodeError:
        return location


def _absolute(base: str, location: str) -> str:
    from urllib.parse import urljoin

    from requests.utils import requote_uri

    return requote_uri(urljoin(base, location))


def _redirected(code: int, method: str, data: bytes | None, json: Any,
                headers: dict[str, str]) -> tuple[str, bytes | None, Any, dict[str, str]]:
    """The next hop's method, body and headers, as browsers (and requests) do it."""
    if (code in (302, 303) and method != "HEAD") or (code == 301 and method == "POST"):
        method = "GET"
    if code not in (307, 308):  # only these two repeat the body
        data = json = None
        headers = {k: v for k, v in headers.items()
                   if k.lower() not in ("content-type", "content-length", "transfer-encoding")}
    return method, data, json, headers


def _discard(response: Any) -> None:
    """Read a little of a 3xx's body so its connection can be reused, then let it go."""
    with contextlib.suppress(Exception):  # a broken connection is simply not reused
        response.raw.read(_REDIRECT_BODY, decode_content=False)
    response.close()


def _read_body(response: Any, limit: int, deadline: float, url: str) -> tuple[bytes, bool]:
    """At most `limit` bytes, streaming; (kept, cut). Past the deadline, a timeout."""
    import requests

    kept = bytearray()
    try:
        for chunk in response.iter_content(_CHUNK):
            kept += chunk
            if len(kept) > limit:
                # Closing without draining: a 100 MB answer costs 10 MiB and one dropped connection.
                return bytes(kept[:limit]), True
            if time.monotonic() > deadline:
                raise HttpFailure(TimeoutError("the body did not arrive in time"), url)
    except requests.exceptions.RequestException as error:
        raise HttpFailure(error, url) from None
    except OSError as error:
        raise HttpFailure(error, url) from None
    return bytes(kept), False


def standard_reason(code: int) -> str:
    """The standard phrase for a status code, for servers that send none."""
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


# --- trust --------------------------------------------------------------------------------------


def default_ca_bundle(env: Mapping[str, str]) -> bool | str:
    """Which CAs to trust: requests' variables in `env`, else the system's store.

    The system store is where operators install their internal CAs (update-ca-certificates),
    and it is what curl and the Monitoring Plugins trust. Only where Python's ssl knows no CA
    file (some Windows and macOS builds) does it fall back to requests' own bundle (True).
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if env.get(name):
            return env[name]
    import ssl

    cafile = ssl.get_default_verify_paths().cafile
    return cafile if cafile and Path(cafile).is_file() else True


# --- headers ------------------------------------------------------------------------------------


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value` from --header; a mistake names the header, never its value (it may be a token)."""
    import re

    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
        raise UsageError(f"invalid --header {text.split(':', maxsplit=1)[0]!r}... (use 'Name: value')")
    problem = header_value_problem(value)
    if problem:
        raise UsageError(f"invalid --header {name!r}: {problem}")
    return name, value.strip()


def base_url(url: str) -> SplitResult | None:
    """An engine's base URL (`http(s)://host[:port][/path]`) split, or None when it is not one (a bad port too)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it is what raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def header_value_problem(value: str) -> str | None:
    """Why a header value cannot be sent as given (None: it can): HTTP/1.1 sends header bytes as Latin-1."""
    if "\n" in value or "\r" in value or "\0" in value:
        return "the value has a line break"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "header values go out as Latin-1, and this one has other characters (percent-encode them)"
    return None
