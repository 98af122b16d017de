"""Why an HTTP request got no answer, told apart (timeout, TLS, refused, DNS...) and said in one line."""

from __future__ import annotations

from urllib.parse import urlsplit


class HttpFailure(Exception):
    """No HTTP answer came (refused, timed out, DNS, TLS, a broken body): the target's trouble.

    `describe(url)` says why in the words an operator searches for; `reason` says it without
    the URL (which may hold a token), for a channel's one-line error.
    """

    def __init__(self, error: BaseException, url: str) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.url = url  # the URL that failed (after redirects): may hold secrets, redact before showing
        self.kind, self.detail = classify_failure(error)

    @property
    def retryable(self) -> bool:
        # An untrusted certificate stays untrusted until someone fixes the CA setting.
        return self.kind != "tls-verify"

    def describe(self, url: str, *, client_cert: bool = False) -> str:
        return describe_failure(self.error, url, client_cert=client_cert)

    @property
    def reason(self) -> str:
        return {
            "connect-timeout": "timed out",
            "read-timeout": "timed out",
            "tls-verify": f"TLS failure: certificate not trusted ({self.detail})",
            "tls": f"TLS failure: {self.detail}",
            "tls-eof": f"TLS failure: {self.detail}",
            "refused": "connection failed (refused)",
            "dns": "connection failed (host not found)",
            "reset": "connection failed (reset)",
            "closed": "connection failed (closed without an answer)",
            "aborted": "connection failed (aborted)",
            "body": f"broken response body ({self.detail})",
            "proxy": f"proxy failed ({self.detail})",
        }.get(self.kind, f"request failed ({self.detail})")


class TooManyRedirects(HttpFailure):
    """More redirects than allowed: `chain` lists the URLs that redirected, `target` the next one."""

    def __init__(self, chain: tuple[str, ...], target: str, limit: int) -> None:
        Exception.__init__(self, "TooManyRedirects")
        self.error = self
        self.url = chain[-1]
        self.kind, self.detail = "redirects", f"more than {limit} redirects"
        self.chain = chain
        self.target = target
        self.limit = limit

    @property
    def loop(self) -> bool:
        return len(set(self.chain)) < len(self.chain) or self.target in self.chain

    def describe(self, url: str, *, client_cert: bool = False) -> str:
        from cronchecks.support.secrets import redact_url

        what = "redirect loop" if self.loop else f"more than {self.limit} redirects"
        return f"{what} from {url} (last: {redact_url(self.chain[-1])})"

    @property
    def reason(self) -> str:
        return "redirect loop" if self.loop else f"more than {self.limit} redirects"



# --- why no answer came -------------------------------------------------------------------------


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


def classify_failure(error: BaseException) -> tuple[str, str]:
    """(kind, detail) of a failed request.

    Kinds: proxy, connect-timeout, read-timeout, tls-verify, tls, tls-eof, refused, dns, reset,
    closed, aborted, body, other.
    """
    import socket
    import ssl

    import requests

    chain = _exception_chain(error)
    if any(isinstance(e, requests.exceptions.ProxyError) or type(e).__name__ == "ProxyError" for e in chain):
        # The proxy, not the target, failed: say so, or the operator looks at the wrong server.
        text = " ".join(str(link) for link in chain)
        if "Tunnel connection failed:" in text:
            return "proxy", text.split("Tunnel connection failed:", 1)[1].split("'")[0].split('"')[0].strip(" )")
        for link in chain:
            if isinstance(link, ConnectionRefusedError) or "Connection refused" in str(link):
                return "proxy", "connection refused"
            if isinstance(link, socket.gaierror) or type(link).__name__ == "NameResolutionError":
                return "proxy", "host not found"
        if any(isinstance(e, (TimeoutError, socket.timeout)) or "timed out" in str(e) for e in chain):
            return "proxy", "timed out"
        return "proxy", "no tunnel"
    if any(isinstance(e, requests.exceptions.ConnectTimeout) for e in chain):
        return "connect-timeout", ""
    if any(isinstance(e, (requests.exceptions.ReadTimeout, TimeoutError, socket.timeout)) for e in chain):
        return "read-timeout", ""
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return "tls-verify", link.verify_message or str(link.reason or "") or "certificate verify failed"
    for link in chain:
        if isinstance(link, ssl.SSLError):
            reason = str(link.reason or link.strerror or link).lower().replace("_", " ")
            # A server that hangs up during the handshake usually wanted a client certificate.
            return ("tls-eof" if isinstance(link, ssl.SSLEOFError) or "eof" in reason else "tls"), reason
    for link in chain:
        if isinstance(link, ConnectionRefusedError):
            return "refused", ""
        if isinstance(link, socket.gaierror) or type(link).__name__ == "NameResolutionError":
            return "dns", ""
        if isinstance(link, ConnectionResetError):
            return "reset", ""
    text = " ".join(str(link) for link in chain)
    for marker, kind in (("Connection refused", "refused"), ("Name or service not known", "dns"),
                         ("getaddrinfo failed", "dns"), ("RemoteDisconnected", "closed"),
                         ("Connection aborted", "aborted")):
        if marker in text:
            return kind, ""
    if isinstance(error, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "body", type(error).__name__
    return "other", type(error).__name__


def describe_failure(error: BaseException, url: str, *, client_cert: bool = False) -> str:
    """Why a request got no HTTP answer, in the words an operator searches for; `url` as it may be shown."""
    kind, detail = classify_failure(error)
    if kind == "proxy":
        return f"the proxy failed for {url}: {detail}"
    if kind == "connect-timeout":
        return f"connection to {url} timed out"
    if kind == "read-timeout":
        return f"no answer from {url} in time"
    if kind == "tls-verify":
        return f"TLS failure with {url}: {detail}"
    if kind in ("tls", "tls-eof"):
        hint = ""
        if kind == "tls-eof" or "certificate required" in detail:
            hint = "" if client_cert else " (does it require a client certificate? --cert)"
        if "wrong version number" in detail:
            hint = " (is it plain HTTP? use http://)"
        return f"TLS failure with {url}: {detail}{hint}"
    if kind == "dns":
        try:
            host = urlsplit(url).hostname
        except ValueError:
            host = url
        return f"host not found: {host} (DNS)"
    words = {"refused": "connection refused by", "reset": "connection reset by",
             "closed": "no answer (connection closed) from", "aborted": "connection aborted by"}
    if kind in words:
        return f"{words[kind]} {url}"
    if kind == "body":
        return f"broken response body from {url} ({detail})"
    return f"request to {url} failed: {detail}"
