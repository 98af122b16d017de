"""check-http's response rules, checked before any I/O: headers, --warn-body, --expect-size, --no-body, --cookie-jar."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.core.thresholds import Range, format_size
from cronchecks.http.options import HttpOptions

# A header name as RFC 9110 spells a token: what --header accepts too.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class HeaderRule(NamedTuple):
    """One --expect-header or --reject-header: the header's name and a pattern on its value (None: any value)."""

    flag: str
    name: str
    pattern: Any  # a cronchecks.support.patterns.Regex, or None for presence alone
    text: str  # as the user gave it, for the summary


class ResponseRules(NamedTuple):
    """What the answer's headers, size and body must (not) show, and whether its body is read at all."""

    expect_header: tuple[HeaderRule, ...] = ()
    reject_header: tuple[HeaderRule, ...] = ()
    warn_body: tuple[Any, ...] = ()  # Regex
    expect_size: Range | None = None
    no_body: bool = False
    cookie_jar: str | None = None
    cookies: Any = None  # the jar's cookies as read (an http.cookiejar.CookieJar), with cookie_jar


NO_RULES = ResponseRules()


def prepare_rules(options: HttpOptions, method: str, max_body: int) -> ResponseRules:
    """The rules checked and compiled; UsageError on a mistake, naming the option."""
    body_options = [flag for flag, given in (
        ("--expect-body", options.expect_body), ("--reject-body", options.reject_body),
        ("--warn-body", options.warn_body), ("--expect-json", options.expect_json),
        ("--expect-size", options.expect_size is not None)) if given]
    if options.no_body and body_options:
        # Judging a body that was not read would say OK (or CRITICAL) about nothing: a mistake, said at once.
        raise UsageError(f"--no-body reads no body, so {'/'.join(body_options)} cannot be judged: drop one")
    if method == "HEAD" and (options.warn_body or options.expect_size is not None):
        raise UsageError("--method HEAD gets no body: drop --warn-body/--expect-size, or use GET")
    size = options.expect_size
    if size is not None:
        _check_size_range(size, max_body)
    if not (options.expect_header or options.reject_header or options.warn_body or size is not None
            or options.no_body or options.cookie_jar is not None):
        return NO_RULES  # the plain path pays for nothing here
    cookies = None
    if options.cookie_jar is not None:
        from cronchecks.http.cookiejar import read_jar

        cookies = read_jar(options.cookie_jar)
    return ResponseRules(
        expect_header=tuple(_header_rule("--expect-header", text) for text in options.expect_header),
        reject_header=tuple(_header_rule("--reject-header", text) for text in options.reject_header),
        warn_body=tuple(_regex("--warn-body", text) for text in options.warn_body),
        expect_size=size,
        no_body=options.no_body,
        cookie_jar=options.cookie_jar,
        cookies=cookies,
    )


def _check_size_range(size: Range, max_body: int) -> None:
    # A body longer than --max-body is cut there, and only its first max_body bytes are known:
    # a bound at or past the cut could not be told apart from a bigger body.
    for bound in (size.start, size.end):
        if abs(bound) != float("inf") and bound >= max_body:
            raise UsageError(f"--expect-size {size.text} reaches --max-body ({max_body} B, {format_size(max_body)}): "
                             "raise --max-body above its bounds")
    if size.end < 0 or (size.inside and size.start <= 0 <= size.end and size.end == float("inf")):
        raise UsageError(f"--expect-size {size.text} can never be met: a body has 0 bytes or more")


def _header_rule(flag: str, text: str) -> HeaderRule:
    name, colon, pattern = text.partition(":")
    name = name.strip()
    if not _TOKEN.fullmatch(name):
        raise UsageError(f"invalid {flag} {text[:60]!r}: use 'NAME: REGEX' (or 'NAME' alone), e.g. 'X-Cache: HIT'")
    pattern = pattern.strip()  # header values come without surrounding whitespace (RFC 9110 5.5)
    compiled = _regex(f"{flag} {name}", pattern) if colon and pattern else None
    return HeaderRule(flag, name, compiled, f"{name}: {pattern}" if compiled is not None else name)


def _regex(flag: str, pattern: str) -> Any:
    # RE2 (linear time), as every user pattern: a header or body must not hold the run past --timeout.
    from cronchecks.support.patterns import compile_pattern

    return compile_pattern(flag, pattern)
