"""check-http, before any I/O: every option and combination checked, secrets and the body read, patterns compiled."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import Range, plain_number
from cronchecks.http.connection import ConnectionPlan, prepare_connection
from cronchecks.http.options import DEFAULT_MAX_REDIRECTS, HttpOptions, StatusSpan
from cronchecks.http.responses import ResponseRules, prepare_rules
from cronchecks.support.httpclient import USER_AGENT, client_proxies, parse_header
from cronchecks.support.secrets import redact_url

_DAY = 86400.0


class Plan(NamedTuple):
    """The options checked, secrets read and patterns compiled: everything before any I/O."""

    method: str
    url: str
    shown_url: str
    headers: dict[str, str]
    body: bytes | None
    auth: tuple[str, str] | None
    insecure: bool
    cacert: str | None
    client_cert: str | tuple[str, str] | None
    follow: bool
    max_redirects: int
    max_body: int
    expect_status: tuple[StatusSpan, ...]
    warn_status: tuple[StatusSpan, ...]
    warning: Range | None
    critical: Range | None
    expect_body: list[Any]
    reject_body: list[Any]
    expect_json: list[Any]
    response: ResponseRules  # headers, --warn-body, --expect-size, --no-body, --cookie-jar
    cert_warning: Range | None
    cert_critical: Range | None
    proxies: dict[str, str]
    secrets: tuple[str, ...]
    connection: ConnectionPlan


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

    if options.user_agent is not None:
        from cronchecks.support.httpclient import header_value_problem

        problem = header_value_problem(options.user_agent)
        if problem:
            raise UsageError(f"invalid --user-agent: {problem}")
    headers = {"User-Agent": options.user_agent or USER_AGENT}
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
    client_cert: str | tuple[str, str] | None = options.cert
    if options.key:
        if not options.cert:
            raise UsageError("--key goes with --cert (the client certificate)")
        client_cert = (options.cert, options.key)
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
    if options.max_body < 1:
        raise UsageError("--max-body must be at least 1 byte")

    cert_ranges: list[Range | None] = []  # --cert-warning's, then --cert-critical's
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

    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection = prepare_connection(options, parts.hostname or "", port, parts.scheme, headers, env)
    secrets += connection.secrets
    proxies = client_proxies(url, env, proxy=connection.proxy, direct=connection.direct, route=connection.route)
    for proxy in proxies.values():
        with contextlib.suppress(ValueError):  # an unreadable proxy URL holds no password to hide
            secrets.append(urlsplit(proxy).password or "")

    return Plan(
        method=method,
        url=url,
        shown_url=shown,
        headers=headers,
        body=body,
        auth=auth,
        insecure=options.insecure,
        cacert=options.cacert,
        client_cert=client_cert,
        follow=options.follow,
        max_redirects=max_redirects,
        max_body=int(options.max_body),
        expect_status=options.expect_status,
        warn_status=options.warn_status,
        warning=options.warning,
        critical=options.critical,
        expect_body=[_regex("--expect-body", p) for p in options.expect_body],
        reject_body=[_regex("--reject-body", p) for p in options.reject_body],
        expect_json=_expectations(options.expect_json),
        response=prepare_rules(options, method, int(options.max_body)),
        cert_warning=cert_ranges[0],
        cert_critical=cert_ranges[1],
        proxies=proxies,
        secrets=tuple(sorted({s for s in secrets if s}, key=len, reverse=True)),
        connection=connection,
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


DATA_FILE_LIMIT = 64 * 1024 * 1024  # a request body for a health probe; a file named by mistake is refused


def _request_body(options: HttpOptions) -> bytes | None:
    if options.data is not None and options.data_file:
        raise UsageError("give the request body once: --data or --data-file")
    if options.data is not None:
        return options.data.encode("utf-8")
    if options.data_file:
        from cronchecks.core.files import FileRefused, read_bounded

        try:
            return read_bounded(options.data_file, DATA_FILE_LIMIT)
        except FileRefused as error:
            raise UsageError(f"invalid --data-file: {error}") from None
        except OSError as error:
            raise UsageError(f"--data-file: cannot read {options.data_file}: {error.strerror or error}") from None
    return None


def _regex(flag: str, pattern: str) -> Any:
    # RE2, not re: a backtracking body pattern would hold the interpreter past --timeout
    from cronchecks.support.patterns import compile_pattern

    return compile_pattern(flag, pattern)


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
