"""check-http's options read from their values by long name, as the command line and a suite table give them."""

from __future__ import annotations

from cronchecks.core.thresholds import Range, parse_days, parse_range
from cronchecks.core.values import OptionError, OptionValues
from cronchecks.http.options import DEFAULT_MAX_BODY, HttpOptions, StatusSpan, parse_status_list


def _days(text: str) -> float:
    """Seconds of certificate validity (the check judges seconds); a bare number is days, as check_http's -C."""
    return parse_days(text) * 86400


def _size_range(text: str) -> Range:
    """A Nagios range of body sizes, each bound with size units (10KB:1MB)."""
    return parse_range(text, "size")


def _statuses(text: str) -> tuple[StatusSpan, ...]:
    return parse_status_list(text)


def read_options(values: OptionValues) -> HttpOptions:
    """HttpOptions from option values; a bad value is an OptionError naming its option."""
    url = values.text("url")
    if url is None:
        raise OptionError("url", "give the URL to check", "URL")
    return HttpOptions(
        url=url,
        method=values.text("method"),
        headers=values.texts("header"),
        data=values.text("data"),
        data_file=values.text("data-file"),
        auth_env=values.text("auth-env"),
        auth_file=values.text("auth-file"),
        bearer_env=values.text("bearer-env"),
        bearer_file=values.text("bearer-file"),
        cacert=values.text("cacert"),
        insecure=values.flag("insecure"),
        cert=values.text("cert"),
        key=values.text("key"),
        connect_to=values.text("connect-to"),
        ipv4=values.flag("ipv4"),
        ipv6=values.flag("ipv6"),
        cert_chain=values.flag("cert-chain"),
        tls_min=values.text("tls-min"),
        expect_tls=values.flag("expect-tls"),
        proxy=values.text("proxy"),
        proxy_env=values.text("proxy-env"),
        proxy_file=values.text("proxy-file"),
        no_proxy=values.flag("no-proxy"),
        phases=values.flag("phases"),
        phase_warning=values.texts("phase-warning"),
        phase_critical=values.texts("phase-critical"),
        follow=values.flag("follow", True),
        max_redirects=values.whole("max-redirects", minimum=0),
        user_agent=values.text("user-agent"),
        max_body=values.bytes("max-body", DEFAULT_MAX_BODY),
        expect_status=values.parsed("expect-status", _statuses, None) or parse_status_list("200-399"),
        warn_status=values.parsed("warn-status", _statuses, None) or (),
        expect_body=values.texts("expect-body"),
        reject_body=values.texts("reject-body"),
        expect_json=values.texts("expect-json"),
        expect_header=values.texts("expect-header"),
        reject_header=values.texts("reject-header"),
        warn_body=values.texts("warn-body"),
        expect_size=values.parsed("expect-size", _size_range),
        no_body=values.flag("no-body"),
        cookie_jar=values.text("cookie-jar"),
        cert_warning=values.parsed("cert-warning", _days),
        cert_critical=values.parsed("cert-critical", _days),
        retries=values.whole("retries", 0, minimum=0) or 0,
        retry_delay=values.duration("retry-delay"),
    )

