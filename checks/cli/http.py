"""Command line of check-http: its options declared for typer (read by cronchecks.http.arguments)."""

from typing import Annotated

import typer

from cronchecks.cli.standard import check_command

REQUEST = "Request"
AUTH = "Authentication and TLS (secrets from the environment or files, never the command line)"
CONNECTION = "Connection and TLS"
EXPECT = "Expectations"
RETRY = "Retries"



@check_command("http")
def http(
    url: Annotated[str, typer.Argument(
        metavar="URL", help="http:// or https:// URL. User-info (https://user:pass@host/) is used for basic auth "
                            "and never shown; prefer --auth-env, since the command line is visible in ps.")],
    method: Annotated[str | None, typer.Option(
        "--method", metavar="METHOD", help="HTTP method (default GET; POST when --data/--data-file is given).",
        rich_help_panel=REQUEST)] = None,
    header: Annotated[list[str] | None, typer.Option(
        "--header", metavar="'NAME: VALUE'", help="Extra request header (repeatable).",
        rich_help_panel=REQUEST)] = None,
    data: Annotated[str | None, typer.Option(
        "--data", metavar="TEXT", help="Request body (set its type with --header 'Content-Type: ...').",
        rich_help_panel=REQUEST)] = None,
    data_file: Annotated[str | None, typer.Option(
        "--data-file", metavar="PATH", help="Request body read from a file, sent as is.",
        rich_help_panel=REQUEST)] = None,
    follow: Annotated[bool, typer.Option(
        "--follow/--no-follow", help="Follow redirects (default) and judge the final answer, or judge the 3xx itself.",
        rich_help_panel=REQUEST)] = True,
    max_redirects: Annotated[int | None, typer.Option(
        "--max-redirects", metavar="N", help="Most redirects to follow (default 10); more is CRITICAL.",
        rich_help_panel=REQUEST)] = None,
    user_agent: Annotated[str | None, typer.Option(
        "--user-agent", metavar="TEXT", help="User-Agent header (default cronchecks/VERSION).",
        rich_help_panel=REQUEST)] = None,
    max_body: Annotated[str, typer.Option(
        "--max-body", metavar="SIZE", help="Read at most this much of the answer (default 10MiB); the rest is cut, "
                                           "said so, and the expectations judge the part kept.",
        rich_help_panel=REQUEST)] = "10MiB",
    auth_env: Annotated[str | None, typer.Option(
        "--auth-env", metavar="VAR", help="Basic auth: environment variable holding 'user:password'.",
        rich_help_panel=AUTH)] = None,
    auth_file: Annotated[str | None, typer.Option(
        "--auth-file", metavar="PATH", help="Basic auth: file holding 'user:password'.", rich_help_panel=AUTH)] = None,
    bearer_env: Annotated[str | None, typer.Option(
        "--bearer-env", metavar="VAR", help="Bearer token from an environment variable.", rich_help_panel=AUTH)] = None,
    bearer_file: Annotated[str | None, typer.Option(
        "--bearer-file", metavar="PATH", help="Bearer token from a file.", rich_help_panel=AUTH)] = None,
    cacert: Annotated[str | None, typer.Option(
        "--cacert", metavar="PATH", help="CA bundle to verify the server with (default: the system's CAs).",
        rich_help_panel=AUTH)] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Do not verify the server's certificate (its expiry is still read).",
        rich_help_panel=AUTH)] = False,
    cert: Annotated[str | None, typer.Option(
        "--cert", metavar="PATH", help="Client certificate (PEM; may hold the key too).", rich_help_panel=AUTH)] = None,
    key: Annotated[str | None, typer.Option(
        "--key", metavar="PATH", help="Private key of --cert (PEM, unencrypted).", rich_help_panel=AUTH)] = None,
    connect_to: Annotated[str | None, typer.Option(
        "--connect-to", metavar="HOST:PORT", help="Connect there instead (as curl's); the URL's host stays the Host "
                                                  "header, the SNI name and the name the certificate must match.",
        rich_help_panel=CONNECTION)] = None,
    ipv4: Annotated[bool, typer.Option("--ipv4", "-4", help="Connect over IPv4 only.",
                                       rich_help_panel=CONNECTION)] = False,
    ipv6: Annotated[bool, typer.Option("--ipv6", "-6", help="Connect over IPv6 only.",
                                       rich_help_panel=CONNECTION)] = False,
    cert_chain: Annotated[bool, typer.Option(
        "--cert-chain", help="--cert-warning/--cert-critical judge the earliest expiry of the whole chain the server "
                             "sent (perfdata chain_days), not only the leaf's.", rich_help_panel=CONNECTION)] = False,
    tls_min: Annotated[str | None, typer.Option(
        "--tls-min", metavar="VERSION", help="Lowest TLS version accepted: 1.2 or 1.3; a server offering less fails.",
        rich_help_panel=CONNECTION)] = None,
    expect_tls: Annotated[bool, typer.Option(
        "--expect-tls", help="CRITICAL when the final answer (after redirects) came over plain HTTP.",
        rich_help_panel=CONNECTION)] = False,
    proxy: Annotated[str | None, typer.Option(
        "--proxy", metavar="URL", help="Proxy for this request (http://host:3128), instead of the environment's; "
                                       "NO_PROXY still applies. Credentials: use --proxy-env/--proxy-file.",
        rich_help_panel=CONNECTION)] = None,
    proxy_env: Annotated[str | None, typer.Option(
        "--proxy-env", metavar="VAR", help="The proxy URL, credentials included, from an environment variable.",
        rich_help_panel=CONNECTION)] = None,
    proxy_file: Annotated[str | None, typer.Option(
        "--proxy-file", metavar="PATH", help="The proxy URL, credentials included, from a file.",
        rich_help_panel=CONNECTION)] = None,
    no_proxy: Annotated[bool, typer.Option(
        "--no-proxy", help="Connect directly: no proxy, not even the environment's.",
        rich_help_panel=CONNECTION)] = False,
    phases: Annotated[bool, typer.Option(
        "--phases", help="Perfdata of each phase: time_dns, time_connect, time_tls, time_firstbyte, time_transfer "
                         "(check_curl's -E).", rich_help_panel=CONNECTION)] = False,
    phase_warning: Annotated[list[str] | None, typer.Option(
        "--phase-warning", metavar="NAME=RANGE", help="WARNING range on one phase: dns, connect, tls, firstbyte, "
                                                      "transfer (tls=500ms; repeatable).",
        rich_help_panel=CONNECTION)] = None,
    phase_critical: Annotated[list[str] | None, typer.Option(
        "--phase-critical", metavar="NAME=RANGE", help="CRITICAL range on one phase (tls=1s; repeatable).",
        rich_help_panel=CONNECTION)] = None,
    expect_status: Annotated[str, typer.Option(
        "--expect-status", metavar="LIST", help="Status codes that are OK: 200,204,300-399,2xx (default 200-399). "
                                                "Other expectations stay on.", rich_help_panel=EXPECT)] = "200-399",
    warn_status: Annotated[str | None, typer.Option(
        "--warn-status", metavar="LIST", help="Status codes that mean degraded: WARNING (e.g. 503).",
        rich_help_panel=EXPECT)] = None,
    expect_body: Annotated[list[str] | None, typer.Option(
        "--expect-body", metavar="REGEX", help="The body must match (Python regex, searched anywhere; repeatable).",
        rich_help_panel=EXPECT)] = None,
    reject_body: Annotated[list[str] | None, typer.Option(
        "--reject-body", metavar="REGEX", help="The body must not match (repeatable).", rich_help_panel=EXPECT)] = None,
    expect_json: Annotated[list[str] | None, typer.Option(
        "--expect-json", metavar="EXPR", help="JSONPath with an optional comparison: '$.status == \"healthy\"', "
                                              "'$.latency_ms < 100', '$.ok' (exists and true). Repeatable.",
        rich_help_panel=EXPECT)] = None,
    # --- response judgements: headers, body size and text, no body, cookies kept across runs
    expect_header: Annotated[list[str] | None, typer.Option(
        "--expect-header", metavar="'NAME: REGEX'", help="The response header must be there and match (regex on its "
                                                         "value; 'NAME' alone: just there). Repeatable.",
        rich_help_panel=EXPECT)] = None,
    reject_header: Annotated[list[str] | None, typer.Option(
        "--reject-header", metavar="'NAME: REGEX'", help="The response header must not match ('NAME' alone: must be "
                                                         "absent). Repeatable.", rich_help_panel=EXPECT)] = None,
    warn_body: Annotated[list[str] | None, typer.Option(
        "--warn-body", metavar="REGEX", help="WARNING when the body matches (repeatable); --reject-body's CRITICAL "
                                             "wins.", rich_help_panel=EXPECT)] = None,
    expect_size: Annotated[str | None, typer.Option(
        "--expect-size", metavar="RANGE", help="Range on the body's size (10KB:1MB, 1: for not empty); outside it is "
                                               "WARNING, as check_curl's -m.", rich_help_panel=EXPECT)] = None,
    no_body: Annotated[bool, typer.Option(
        "--no-body", help="Stop after the headers: the body is not read (a GET still; no body expectation goes "
                          "with it).", rich_help_panel=REQUEST)] = False,
    cookie_jar: Annotated[str | None, typer.Option(
        "--cookie-jar", metavar="PATH", help="Cookies read from this Netscape cookie file (curl's) and written back "
                                             "after the run (mode 0600).", rich_help_panel=REQUEST)] = None,
    cert_warning: Annotated[str | None, typer.Option(
        "--cert-warning", metavar="DAYS", help="WARNING when the TLS certificate expires within this (30d; a bare "
                                               "number is days).", rich_help_panel=EXPECT)] = None,
    cert_critical: Annotated[str | None, typer.Option(
        "--cert-critical", metavar="DAYS", help="CRITICAL when the TLS certificate expires within this (7d).",
        rich_help_panel=EXPECT)] = None,
    retries: Annotated[int, typer.Option(
        "--retries", metavar="N", help="Ask again up to N times while the answer is not OK; the last one decides.",
        rich_help_panel=RETRY)] = 0,
    retry_delay: Annotated[str | None, typer.Option(
        "--retry-delay", metavar="DURATION", help="Wait before the first retry (default 1s), doubled after each.",
        rich_help_panel=RETRY)] = None,
) -> None:
    """Check an HTTP(S) endpoint: status, body, JSON fields, response time and certificate expiry.

    -w/-c are ranges on the response time (-w 500ms -c 2s).
    """
