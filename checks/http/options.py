"""check-http's options: what to ask the endpoint and what its answer must look like, and status lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from cronchecks.core.thresholds import ParseError, Range
from cronchecks.support.httpclient import DEFAULT_MAX_BODY, DEFAULT_MAX_REDIRECTS

DEFAULT_RETRY_DELAY = 1.0

__all__ = ["DEFAULT_EXPECT_STATUS", "DEFAULT_MAX_BODY", "DEFAULT_MAX_REDIRECTS", "DEFAULT_RETRY_DELAY", "HttpOptions",
           "StatusSpan", "describe_status_list", "parse_status_list", "status_in"]


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
    # connection and TLS
    connect_to: str | None = None  # HOST:PORT to connect to; the URL's host stays the Host, SNI and certificate name
    ipv4: bool = False
    ipv6: bool = False
    cert_chain: bool = False  # judge the earliest expiry of every certificate the server sent
    tls_min: str | None = None  # "1.2" or "1.3"
    expect_tls: bool = False  # the final answer must come over https
    proxy: str | None = None
    proxy_env: str | None = None
    proxy_file: str | None = None
    no_proxy: bool = False
    phases: bool = False  # perfdata of every phase (check_curl's -E)
    phase_warning: tuple[str, ...] = ()  # NAME=RANGE
    phase_critical: tuple[str, ...] = ()
    follow: bool = True
    max_redirects: int | None = None  # None: DEFAULT_MAX_REDIRECTS when following
    user_agent: str | None = None  # None: the client's cronchecks/VERSION
    max_body: int = DEFAULT_MAX_BODY  # bytes of the answer read at most; the rest is cut, and said so
    expect_status: tuple[StatusSpan, ...] = DEFAULT_EXPECT_STATUS
    warn_status: tuple[StatusSpan, ...] = ()
    expect_body: tuple[str, ...] = ()
    reject_body: tuple[str, ...] = ()
    expect_json: tuple[str, ...] = ()
    # response judgements beyond status and JSON (cronchecks.http.responses checks them)
    expect_header: tuple[str, ...] = ()  # 'NAME: REGEX': present and matching ('NAME' alone: present)
    reject_header: tuple[str, ...] = ()  # 'NAME: REGEX': absent or not matching ('NAME' alone: absent)
    warn_body: tuple[str, ...] = ()  # the body matching one of these is WARNING
    expect_size: Range | None = None  # on the body's size in bytes; outside it is WARNING, as check_curl's -m
    no_body: bool = False  # stop after the headers: no body expectation may be given
    cookie_jar: str | None = None  # a Netscape cookie file read before and written after the run
    cert_warning: float | None = None  # seconds of validity left below which: WARNING
    cert_critical: float | None = None
    retries: int = 0
    retry_delay: float | None = None  # None: DEFAULT_RETRY_DELAY, doubled after each attempt
    warning: Range | None = None  # on the response time, in seconds
    critical: Range | None = None
