"""check-http: does an HTTP(S) endpoint answer as expected: status, body, JSON, time, certificate?"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, NamedTuple
from urllib.parse import urlsplit

from cronchecks import __version__
from cronchecks.core.errors import UsageError
from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.core.runtime import Runtime
from cronchecks.support.secrets import redact_url, scrub
from cronchecks.core.thresholds import ParseError, Range, format_duration, judge, plain_number

DEFAULT_MAX_REDIRECTS = 10
DEFAULT_RETRY_DELAY = 1.0
# The request's own timeout sits just past the whole-run deadline, so that the run's
# watchdog always speaks first and --timeout-result decides what a timeout means.
_DEADLINE_MARGIN = 0.25
_DAY = 86400.0


# --- status lists: 200,204,300-399,5xx ---------------------------------------------------


class StatusSpan(NamedTuple):
    """An inclusive range of HTTP status codes."""

    low: int
    high: int


_STATUS_ITEM = re.compile(r"\s*(?:([1-5])xx|(\d{3})(?:\s*-\s*(\d{3}))?)\s*", re.IGNORECASE)


def parse_status_list(text: str) -> tuple[StatusSpan, ...]:
    """`200,204,300-399` or `2xx,304` as sorted, merged spans; ParseError names a bad item."""
    if not text.strip():
        raise ParseError(f"empty status list: {text!r} (e.g. 200,204,300-399)")
    spans = []
    for item in text.split(","):
        match = _STATUS_ITEM.fullmatch(item)
        if not match:
            raise ParseError(f"not a status code or range: {item.strip()!r} in {text!r} (e.g. 200,204,300-399,5xx)")
        if match.group(1):
            low = int(match.group(1)) * 100
            high = low + 99
        else:
            low = int(match.group(2))
            high = int(match.group(3) or match.group(2))
        if not 100 <= low <= 599 or not 100 <= high <= 599:
            raise ParseError(f"status codes run from 100 to 599: {item.strip()!r} in {text!r}")
        if low > high:
            raise ParseError(f"range start is above its end: {item.strip()!r} in {text!r}")
        spans.append(StatusSpan(low, high))
    spans.sort()
    merged = [spans[0]]
    for span in spans[1:]:
        last = merged[-1]
        if span.low <= last.high + 1:
            merged[-1] = StatusSpan(last.low, max(last.high, span.high))
        else:
            merged.append(span)
    return tuple(merged)


def describe_status_list(spans: tuple[StatusSpan, ...]) -> str:
    """The spans written back as a status list (`200-399`, `200,204`)."""
    return ",".join(str(s.low) if s.low == s.high else f"{s.low}-{s.high}" for s in spans)


def status_in(code: int, spans: tuple[StatusSpan, ...]) -> bool:
    return any(span.low <= code <= span.high for span in spans)


DEFAULT_EXPECT_STATUS = (StatusSpan(200, 399),)


# --- options ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HttpOptions:
    """What to ask the endpoint, and what its answer must look like."""

    url: str
    method: str | None = None  # None: GET, or POST when a body is given (as curl -d does)
    headers: tuple[str, ...] = ()
    data: str | None = None
    data_file: str | None = None
    auth_env: str | None = None
    auth_file: str | None = None
    bearer_env: str | None = None
    bearer_file: str | None = None
    cacert: str | None = None
    insecure: bool = False
    cert: str | None = None
    key: str | None = None
    follow: bool = True
    max_redirects: int | None = None  # None: DEFAULT_MAX_REDIRECTS when following
    user_agent: str | None = None
    expect_status: tuple[StatusSpan, ...] = DEFAULT_EXPECT_STATUS
    warn_status: tuple[StatusSpan, ...] = ()
    expect_body: tuple[str, ...] = ()
    reject_body: tuple[str, ...] = ()
    expect_json: tuple[str, ...] = ()
    cert_warning: float | None = None  # seconds of validity left below which: WARNING
    cert_critical: float | None = None
    retries: int = 0
    retry_delay: float | None = None  # None: DEFAULT_RETRY_DELAY, doubled after each attempt
    warning: Range | None = None  # on the response time, in seconds
    critical: Range | None = None


class Plan(NamedTuple):
    """The options checked, secrets read and patterns compiled: everything before any I/O."""

    method: str
    url: str
    shown_url: str
    headers: dict[str, str]
    body: bytes | None
    auth: tuple[str, str] | None
    verify: bool | str
    client_cert: str | tuple[str, str] | None
    follow: bool
    max_redirects: int
    expect_status: tuple[StatusSpan, ...]
    warn_status: tuple[StatusSpan, ...]
    warning: Range | None
    critical: Range | None
    expect_body: list[Any]
    reject_body: list[Any]
    expect_json: list[Any]
    cert_warning: Range | None
    cert_critical: Range | None
    proxies: dict[str, str]
    secrets: tuple[str, ...]


class Exchange(NamedTuple):
    """What one request got back: the final response after any redirects."""

    code: int
    reason: str
    url: str
    elapsed: float
    body: bytes
    content_type: str
    location: str | None
    redirects: tuple[str, ...]
    certificate: bytes | None  # the leaf certificate (DER) when the answer came over TLS


class Refusal(NamedTuple):
    """The request got no HTTP answer: why, in words."""

    text: str


# --- the check -------------------------------------------------------------------------


def check_http(options: HttpOptions, runtime: Runtime) -> Result:
    """Ask once (or again, with --retries, until it is OK) and judge the last answer."""
    plan = prepare(options, runtime.env)
    secrets = plan.secrets

    def say(level: int, message: str) -> None:
        runtime.log(level, scrub(message, *secrets))

    import requests

    session = requests.Session()
    # The environment comes in through runtime.env (see _proxies); requests must not
    # read os.environ or ~/.netrc behind our back (netrc would send credentials nobody gave).
    session.trust_env = False
    session.max_redirects = plan.max_redirects
    if plan.verify is False:
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    attempts = options.retries + 1
    delay = DEFAULT_RETRY_DELAY if options.retry_delay is None else options.retry_delay
    earlier: list[str] = []
    try:
        for attempt in range(1, attempts + 1):
            if attempts > 1:
                say(1, f"attempt {attempt} of {attempts}")
            result = _judge(plan, _request(session, plan, runtime, say), runtime)
            if result.status is Status.OK or attempt == attempts:
                break
            wait = delay * 2 ** (attempt - 1)
            remaining = runtime.remaining()
            if remaining is not None and remaining <= wait + _DEADLINE_MARGIN:
                say(1, f"no time left for another attempt ({format_duration(remaining)} left)")
                break
            earlier.append(f"attempt {attempt}: {result.status.name} - {result.summary}")
            say(1, f"attempt {attempt}: {result.status.name} - {result.summary}; again in {format_duration(wait)}")
            time.sleep(wait)
    finally:
        session.close()
    if options.retries:
        result = _with_attempts(result, attempt, attempts, earlier)
    return Result(result.status, scrub(result.summary, *secrets), result.perfdata,
                  [scrub(detail, *secrets) for detail in result.details])


def _with_attempts(result: Result, attempt: int, attempts: int, earlier: list[str]) -> Result:
    summary = result.summary + (f", after {attempt} attempts" if attempt > 1 else "")
    perf = [*result.perfdata, Perfdata("attempts", attempt, "", minimum=1, maximum=attempts)]
    return Result(result.status, summary, perf, [*earlier, *result.details])


# --- prepare: validate and read everything the request needs ------------------------------


def prepare(options: HttpOptions, env: Mapping[str, str]) -> Plan:
    """Check every option and combination, read secrets and the body; UsageError on mistakes."""
    from cronchecks.support.secrets import read_secret

    url = options.url.strip()
    parts = _split_url(url)
    shown = redact_url(url)
    method = (options.method or ("POST" if options.data is not None or options.data_file else "GET")).upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9_-]*", method):
        raise UsageError(f"invalid --method {options.method!r} (e.g. GET, POST, HEAD)")
    expects_body = options.expect_body or options.reject_body or options.expect_json
    if method == "HEAD" and expects_body:
        raise UsageError("--method HEAD gets no body: drop --expect-body/--reject-body/--expect-json, or use GET")

    headers = {"User-Agent": options.user_agent or f"cronchecks-http/{__version__}"}
    if options.expect_json:
        headers["Accept"] = "application/json"
    given: dict[str, str] = {}
    for header in options.headers:
        name, value = parse_header(header)
        given[name.lower()] = name
        headers[name] = value
    # A header given twice with different case would be sent twice; the user's one wins.
    for default in ("User-Agent", "Accept"):
        if default.lower() in given and given[default.lower()] != default:
            headers.pop(default, None)

    body = _request_body(options)

    basic = read_secret(direct=None, env_name=options.auth_env, file_path=options.auth_file, env=env,
                        what="the basic-auth credentials (--auth-env/--auth-file)")
    bearer = read_secret(direct=None, env_name=options.bearer_env, file_path=options.bearer_file, env=env,
                         what="the bearer token (--bearer-env/--bearer-file)")
    secrets: list[str] = []
    auth: tuple[str, str] | None = None
    url_user = parts.username is not None or parts.password is not None
    if sum(bool(x) for x in (basic is not None, bearer is not None, url_user, "authorization" in given)) > 1:
        raise UsageError("give one way to authenticate: --auth-env/--auth-file, --bearer-env/--bearer-file, "
                         "credentials in the URL, or an Authorization header")
    if basic is not None:
        user, sep, password = basic.partition(":")
        if not sep:
            raise UsageError("the basic-auth credentials must read 'user:password'")
        auth = (user, password)
        secrets += [password, basic]
    if bearer is not None:
        token = bearer.strip()
        if not token:
            raise UsageError("the bearer token is empty")
        headers["Authorization"] = f"Bearer {token}"
        secrets.append(token)
    if url_user:
        from urllib.parse import unquote

        auth = (unquote(parts.username or ""), unquote(parts.password or ""))
        secrets += [parts.password or "", auth[1]]
        url = _without_userinfo(url)
    if auth is not None:
        import base64

        secrets.append(base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    # Tokens travel in query strings too: URLs are shown without them (redact_url), and a
    # long value is scrubbed wherever else it turns up (a server echoing the path, say).
    from urllib.parse import parse_qsl

    secrets += [value for _, value in parse_qsl(parts.query) if len(value) >= 6]

    if options.insecure and options.cacert:
        raise UsageError("--insecure and --cacert contradict each other: give one")
    for flag, path in (("--cacert", options.cacert), ("--cert", options.cert), ("--key", options.key)):
        if path and not Path(path).is_file():
            raise UsageError(f"{flag}: {path} is not a readable file")
    if options.key and not options.cert:
        raise UsageError("--key goes with --cert (the client certificate)")
    verify: bool | str = False if options.insecure else (options.cacert or default_ca_bundle(env))
    client_cert = (options.cert, options.key) if options.key else options.cert
    if options.cert:
        _load_client_certificate(options.cert, options.key)

    if options.max_redirects is not None and not options.follow:
        raise UsageError("--max-redirects goes with following redirects: drop --no-follow")
    max_redirects = DEFAULT_MAX_REDIRECTS if options.max_redirects is None else options.max_redirects
    if max_redirects < 0:
        raise UsageError("--max-redirects cannot be negative")
    if options.retries < 0:
        raise UsageError("--retries cannot be negative")
    if options.retry_delay is not None and (options.retry_delay < 0 or not options.retries):
        raise UsageError("--retry-delay goes with --retries N and cannot be negative")

    cert_ranges = []
    for flag, seconds in (("--cert-warning", options.cert_warning), ("--cert-critical", options.cert_critical)):
        if seconds is None:
            cert_ranges.append(None)
            continue
        if seconds < 0:
            raise UsageError(f"{flag} cannot be negative")
        days = seconds / _DAY
        cert_ranges.append(Range(start=days, text=f"{plain_number(days)}:"))
    if any(cert_ranges) and parts.scheme == "http" and not options.follow:
        raise UsageError("--cert-warning/--cert-critical need an https:// URL")

    proxies = _proxies(parts, env)
    for proxy in proxies.values():
        try:
            secrets.append(urlsplit(proxy).password or "")
        except ValueError:
            pass

    return Plan(
        method=method,
        url=url,
        shown_url=shown,
        headers=headers,
        body=body,
        auth=auth,
        verify=verify,
        client_cert=client_cert,
        follow=options.follow,
        max_redirects=max_redirects,
        expect_status=options.expect_status,
        warn_status=options.warn_status,
        warning=options.warning,
        critical=options.critical,
        expect_body=[_regex("--expect-body", p) for p in options.expect_body],
        reject_body=[_regex("--reject-body", p) for p in options.reject_body],
        expect_json=_expectations(options.expect_json),
        cert_warning=cert_ranges[0],
        cert_critical=cert_ranges[1],
        proxies=proxies,
        secrets=tuple(sorted({s for s in secrets if s}, key=len, reverse=True)),
    )


def _split_url(url: str):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as error:
        raise UsageError(f"invalid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"invalid URL {redact_url(url)!r}: http:// or https:// and a host expected")
    return parts


def _without_userinfo(url: str) -> str:
    scheme, rest = url.split("://", 1)
    authority, slash, tail = rest.partition("/")
    if "?" in authority or "#" in authority:
        cut = min(i for i in (authority.find("?"), authority.find("#")) if i >= 0)
        authority, tail, slash = authority[:cut], authority[cut:] + slash + tail, ""
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{tail}"


def _load_client_certificate(cert: str, key: str | None) -> None:
    # Loaded once here so that a wrong file is our UNKNOWN, not a "TLS failure" of the target.
    import ssl

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        hint = "" if key else " (give its private key with --key, unless the file holds both)"
        raise UsageError(f"cannot use --cert {cert}{f' with --key {key}' if key else ''}: {reason}{hint}") from None


def _request_body(options: HttpOptions) -> bytes | None:
    if options.data is not None and options.data_file:
        raise UsageError("give the request body once: --data or --data-file")
    if options.data is not None:
        return options.data.encode("utf-8")
    if options.data_file:
        try:
            return Path(options.data_file).read_bytes()
        except OSError as error:
            raise UsageError(f"--data-file: cannot read {options.data_file}: {error.strerror or error}") from None
    return None


def _regex(flag: str, pattern: str) -> Any:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise UsageError(f"invalid {flag} {pattern!r}: {error}") from None


def _expectations(texts: tuple[str, ...]) -> list[Any]:
    if not texts:
        return []  # python-jsonpath costs ~150 ms to import: only when an expression needs it
    from cronchecks.support.jsonpaths import JsonPathError, parse_expectation

    compiled = []
    for text in texts:
        try:
            compiled.append(parse_expectation(text))
        except JsonPathError as error:
            raise UsageError(f"invalid --expect-json {error}") from None
    return compiled


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value` from --header; a mistake names the header, never its value (it may be a token)."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
        raise UsageError(f"invalid --header {text.split(':')[0]!r}... (use 'Name: value')")
    if "\n" in value or "\r" in value:
        raise UsageError(f"invalid --header {name!r}: the value has a line break")
    return name, value.strip()


def default_ca_bundle(env: Mapping[str, str]) -> bool | str:
    """Which CAs to trust: requests' variables, else the system's store, else certifi's.

    The system store is where operators install their internal CAs (update-ca-certificates),
    and it is what curl and the Monitoring Plugins trust.
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if env.get(name):
            return env[name]
    import ssl

    cafile = ssl.get_default_verify_paths().cafile
    return cafile if cafile and Path(cafile).is_file() else True


def proxies_for(url: str, env: Mapping[str, str]) -> dict[str, str]:
    """The proxy settings for a URL, from the environment passed in (never os.environ)."""
    return _proxies(_split_url(url), env)


def _proxies(parts: Any, env: Mapping[str, str]) -> dict[str, str]:
    """The proxy for this URL from the variables requests and curl read (lower case first)."""

    def variable(name: str) -> str | None:
        return env.get(name) or env.get(name.upper())

    if _bypasses_proxy(parts, variable("no_proxy") or ""):
        return {}
    proxy = variable(f"{parts.scheme}_proxy") or variable("all_proxy")
    return {parts.scheme: proxy} if proxy else {}


def _bypasses_proxy(parts: Any, no_proxy: str) -> bool:
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
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
        if host == name or host.endswith("." + name):
            return True
    return False


# --- acquire: one request ------------------------------------------------------------------


def _request(session: Any, plan: Plan, runtime: Runtime, say: Any) -> Exchange | Refusal:
    import requests

    remaining = runtime.remaining()
    timeout = None if remaining is None else remaining + _DEADLINE_MARGIN
    say(1, f"{plan.method} {plan.shown_url}" + (f" via proxy {_redacted(plan.proxies)}" if plan.proxies else ""))
    say(2, "request headers: " + ", ".join(f"{k}: {_masked(k, v)}" for k, v in plan.headers.items()))
    started = time.perf_counter()
    try:
        response = session.request(
            plan.method, plan.url, headers=plan.headers, data=plan.body, auth=plan.auth, verify=plan.verify,
            cert=plan.client_cert, timeout=timeout, allow_redirects=plan.follow, proxies=plan.proxies, stream=True,
        )
        try:
            certificate = _peer_certificate(response)
            body = response.content
        finally:
            response.close()
    except requests.exceptions.TooManyRedirects as error:
        return Refusal(_redirect_failure(error, plan))
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader) as error:
        raise UsageError(f"cannot send this request: {type(error).__name__}") from None
    except requests.exceptions.RequestException as error:
        failed_url = getattr(getattr(error, "request", None), "url", None) or plan.url
        return Refusal(describe_failure(error, _redact(failed_url), plan))
    except OSError as error:
        if isinstance(error, (ConnectionError, TimeoutError)):
            return Refusal(describe_failure(error, plan.shown_url, plan))
        # requests raises plain OSError for unreadable certificate or CA files.
        raise UsageError(f"cannot use the TLS files: {error.strerror or error}") from None
    elapsed = time.perf_counter() - started
    redirects = tuple(_redact(r.url) for r in response.history)
    exchange = Exchange(
        code=response.status_code,
        reason=response.reason or _standard_reason(response.status_code),
        url=_redact(response.url),
        elapsed=elapsed,
        body=body,
        content_type=response.headers.get("Content-Type", ""),
        location=response.headers.get("Location") if 300 <= response.status_code < 400 else None,
        redirects=redirects,
        certificate=certificate,
    )
    for hop in response.history:
        say(1, f"  {hop.status_code} {hop.reason} from {_redact(hop.url)}, redirected")
    say(1, f"  {exchange.code} {exchange.reason} from {exchange.url} in {exchange.elapsed:.3f} s, {len(body)} B")
    say(2, "response headers: " + ", ".join(f"{k}: {_masked(k, v)}" for k, v in response.headers.items()))
    say(3, f"body: {body[:500]!r}")
    return exchange


def _peer_certificate(response: Any) -> bytes | None:
    # With stream=True the connection is still attached until the body is read.
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None or not hasattr(sock, "getpeercert"):
        return None
    try:
        return sock.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return None


def _standard_reason(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _redact(url: str) -> str:
    return redact_url(url)


def _redacted(proxies: dict[str, str]) -> str:
    return ", ".join(_redact(p) for p in proxies.values())


_SENSITIVE_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}


def _masked(name: str, value: str) -> str:
    return "***" if name.lower() in _SENSITIVE_HEADERS else value


def _exception_chain(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps (requests -> urllib3 -> ssl/socket), outermost first."""
    seen: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        reason = getattr(current, "reason", None)
        pending += [a for a in current.args if isinstance(a, BaseException)]
        pending += [x for x in (reason, current.__cause__, current.__context__) if isinstance(x, BaseException)]
    return seen


def describe_failure(error: BaseException, url: str, plan: Plan | None = None) -> str:
    """Why a request got no HTTP answer, in the words an operator searches for."""
    import socket
    import ssl

    import requests

    chain = _exception_chain(error)
    if any(isinstance(e, requests.exceptions.ConnectTimeout) for e in chain):
        return f"connection to {url} timed out"
    if any(isinstance(e, (requests.exceptions.ReadTimeout, TimeoutError, socket.timeout)) for e in chain):
        return f"no answer from {url} in time"
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return f"TLS failure with {url}: {link.verify_message or link.reason or 'certificate verify failed'}"
    for link in chain:
        if isinstance(link, ssl.SSLError):
            reason = str(link.reason or link.strerror or link).lower().replace("_", " ")
            hint = ""
            if "certificate required" in reason or isinstance(link, ssl.SSLEOFError) or "eof" in reason:
                hint = "" if plan is not None and plan.client_cert else " (does it require a client certificate? --cert)"
            if "wrong version number" in reason:
                hint = " (is it plain HTTP? use http://)"
            return f"TLS failure with {url}: {reason}{hint}"
    for link in chain:
        if isinstance(link, ConnectionRefusedError):
            return f"connection refused by {url}"
        if isinstance(link, socket.gaierror) or type(link).__name__ == "NameResolutionError":
            return f"host not found: {urlsplit(url).hostname} (DNS)"
        if isinstance(link, ConnectionResetError):
            return f"connection reset by {url}"
    text = " ".join(str(link) for link in chain)
    for marker, words in (("Connection refused", "connection refused by"),
                          ("Name or service not known", "host not found:"),
                          ("getaddrinfo failed", "host not found:"),
                          ("RemoteDisconnected", "no answer (connection closed) from"),
                          ("Connection aborted", "connection aborted by")):
        if marker in text:
            return f"{words} {url}"
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return f"broken response body from {url} ({type(error).__name__})"
    return f"request to {url} failed: {type(error).__name__}"


def _redirect_failure(error: Any, plan: Plan) -> str:
    response = getattr(error, "response", None)
    if response is None:
        return f"more than {plan.max_redirects} redirects from {plan.shown_url}"
    chain = [r.url for r in response.history] + [response.url]
    target = response.headers.get("Location")
    loop = len(set(chain)) < len(chain) or (target is not None and _absolute(response.url, target) in chain)
    what = "redirect loop" if loop else f"more than {plan.max_redirects} redirects"
    return f"{what} from {plan.shown_url} (last: {_redact(response.url)})"


# --- judge -----------------------------------------------------------------------------------


class Problem(NamedTuple):
    status: Status
    text: str


def _judge(plan: Plan, outcome: Exchange | Refusal, runtime: Runtime) -> Result:
    if isinstance(outcome, Refusal):
        return Result(Status.CRITICAL, outcome.text)
    exchange = outcome
    perfdata = [
        Perfdata("time", round(exchange.elapsed, 6), "s", plan.warning, plan.critical, minimum=0),
        Perfdata("size", len(exchange.body), "B", minimum=0),
    ]
    notes: list[str] = []  # remarks on the status line itself
    problems: list[Problem] = []

    code_status = Status.OK
    if status_in(exchange.code, plan.warn_status):
        code_status = Status.WARNING
        notes.append(f"degraded: --warn-status {describe_status_list(plan.warn_status)}")
    elif not status_in(exchange.code, plan.expect_status):
        code_status = Status.CRITICAL
        notes.append(f"expected {describe_status_list(plan.expect_status)}")

    time_status = judge(exchange.elapsed, plan.warning, plan.critical)
    if time_status is not Status.OK:
        breached = plan.critical if time_status is Status.CRITICAL else plan.warning
        assert breached is not None
        notes.append(f"{time_status.name.lower()} {breached.describe(format_duration)}")

    problems += _body_problems(plan, exchange)
    cert_perf, cert_problem = _certificate(plan, exchange, runtime)
    perfdata += cert_perf
    if cert_problem is not None:
        problems.append(cert_problem)

    head = f"{exchange.code} {exchange.reason} from {exchange.url} in {exchange.elapsed:.3f} s"
    if exchange.location is not None:
        head += f" -> {_redact(_absolute(exchange.url, exchange.location))}"
    status = worst([code_status, time_status, *(p.status for p in problems)])
    if status is Status.OK:
        head += f", {len(exchange.body)} B"
    if notes:
        head += f" ({'; '.join(notes)})"
    problems.sort(key=lambda p: (p.status is not Status.CRITICAL, p.status is not Status.WARNING))
    texts = [p.text for p in problems]
    parts = [head, *texts] if code_status is Status.CRITICAL else [*texts, head]
    details = [f"redirects: {' -> '.join([*exchange.redirects, exchange.url])}"] if exchange.redirects else []
    return Result(status, "; ".join(parts), perfdata, details)


def _absolute(base: str, location: str) -> str:
    from urllib.parse import urljoin

    return urljoin(base, location)


def _decoded(exchange: Exchange) -> str:
    match = re.search(r"charset=[\"']?([\w.:-]+)", exchange.content_type, re.IGNORECASE)
    encoding = match.group(1) if match else "utf-8"
    try:
        return exchange.body.decode(encoding, "replace")
    except LookupError:
        return exchange.body.decode("utf-8", "replace")


def _snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _body_problems(plan: Plan, exchange: Exchange) -> list[Problem]:
    problems = []
    if plan.expect_body or plan.reject_body:
        text = _decoded(exchange)
        for pattern in plan.expect_body:
            if not pattern.search(text):
                problems.append(Problem(Status.CRITICAL, f"body does not match --expect-body {pattern.pattern!r}"))
        for pattern in plan.reject_body:
            found = pattern.search(text)
            if found:
                problems.append(Problem(Status.CRITICAL, f"body matches --reject-body {pattern.pattern!r}: "
                                                         f"{_snippet(found.group(0))}"))
    if plan.expect_json:
        import json

        raw = exchange.body
        try:
            document = json.loads(raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw)
        except (ValueError, UnicodeDecodeError) as error:
            reason = str(error).split(":")[0] if str(error) else "unreadable"
            shown = _snippet(raw.decode("utf-8", "replace")) if raw.strip() else "empty"
            return [*problems, Problem(Status.CRITICAL, f"body is not JSON ({reason}): {shown}")]
        for expectation in plan.expect_json:
            failure = expectation.failure(document)
            if failure is not None:
                problems.append(Problem(Status.CRITICAL, failure))
    return problems


def _certificate(plan: Plan, exchange: Exchange, runtime: Runtime) -> tuple[list[Perfdata], Problem | None]:
    judged = plan.cert_warning is not None or plan.cert_critical is not None
    if exchange.certificate is None:
        if judged:
            return [], Problem(Status.UNKNOWN, f"no TLS certificate to judge ({exchange.url} is not https)")
        return [], None
    from cronchecks.support.x509 import CertificateError, not_after

    try:
        expires = not_after(exchange.certificate)
    except CertificateError as error:
        return [], Problem(Status.UNKNOWN, f"cannot read the certificate's expiry: {error}") if judged else None
    left = (expires - runtime.now()).total_seconds()
    days = left / _DAY
    perf = [Perfdata("cert_days", round(days, 2), "", plan.cert_warning, plan.cert_critical)]
    status = judge(days, plan.cert_warning, plan.cert_critical)
    if status is Status.OK:
        return perf, None
    when = expires.strftime("%Y-%m-%d %H:%M UTC")
    breached = plan.cert_critical if status is Status.CRITICAL else plan.cert_warning
    limit = f"{status.name.lower()} < {plain_number(breached.start)} days" if breached else status.name.lower()
    if left < 0:
        text = f"certificate expired {format_duration(-left)} ago ({when}; {limit})"
    else:
        text = f"certificate expires in {format_duration(left)} ({when}; {limit})"
    return perf, Problem(status, text)
