"""check-http's --cookie-jar: a Netscape cookie file (curl's format) read before the run and replaced whole after it."""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cronchecks.core.errors import UsageError

# A jar for a health probe holds a session or two; a file this big was named by mistake.
JAR_LIMIT = 4 * 1024 * 1024
_HEADER = "# Netscape HTTP Cookie File\n# Written by check-http (cronchecks); curl and wget read it too.\n\n"
_HTTPONLY = "#HttpOnly_"
_LAST = 253402300799  # 9999-12-31 23:59:59 UTC: the latest expiry a cookie can be written with


def read_jar(path: str) -> Any:
    """The cookies kept in `path` (none when it does not exist yet); UsageError when it cannot be used."""
    from http.cookiejar import LoadError, MozillaCookieJar

    from cronchecks.core.files import FileRefused, read_bounded

    if not path.strip():
        raise UsageError("invalid --cookie-jar: give the file to keep the cookies in")
    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise UsageError(f"--cookie-jar {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--cookie-jar {path}: the folder {folder} is not writable, so the jar could not be kept")
    jar = MozillaCookieJar()
    try:
        data = read_bounded(path, JAR_LIMIT)
    except FileNotFoundError:
        return jar  # the first run: the jar is written after it, as curl does
    except FileRefused as error:
        raise UsageError(f"invalid --cookie-jar: {error}") from None
    except OSError as error:
        raise UsageError(f"--cookie-jar: cannot read {path}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"invalid --cookie-jar: {path} is not a text cookie file") from None
    if not text.strip():
        return jar  # an empty file (touched by hand, say) holds no cookies
    try:
        checked = _checked(text)
    except ValueError as error:
        raise UsageError(f"invalid --cookie-jar: {path}: {error} (curl's --cookie-jar format expected)") from None
    try:
        # MozillaCookieJar.load() would open the path itself, unbounded (a FIFO would hang it);
        # its reader takes the text read above instead. Session cookies are kept, as curl keeps them.
        jar._really_load(io.StringIO(checked), path, True, False)  # type: ignore[attr-defined]
    except LoadError:
        raise UsageError(f"invalid --cookie-jar: {path} is not a Netscape cookie file (it starts with "
                         "'# Netscape HTTP Cookie File', as curl writes it)") from None
    return jar


def _checked(text: str) -> str:
    """The file's text with every cookie line checked, as the stdlib reader needs it.

    That reader meets a malformed line with a warning carrying a traceback; each line is
    checked here first instead, so a bad jar is one UNKNOWN line naming it. curl writes a
    session cookie's expiry as 0 and may flag a domain without its leading dot: both are
    written the way Python 3.11's reader takes them (an empty expiry, the flag from the dot).
    """
    lines = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        prefix = _HTTPONLY if line.startswith(_HTTPONLY) else ""
        body = line[len(prefix):]
        if number == 1 or body.strip() == "" or body.strip().startswith(("#", "$")):
            lines.append(line)
            continue
        fields = body.split("\t")
        if len(fields) != 7:
            raise ValueError(f"line {number} has {len(fields)} tab-separated fields, not 7")
        domain, _, _, secure, expires, _, _ = fields
        if (not domain or secure not in ("TRUE", "FALSE")
                or not (expires == "" or (expires.isascii() and expires.isdigit() and int(expires) <= _LAST))):
            raise ValueError(f"line {number} is not domain, flag, path, TRUE/FALSE, expiry, name, value")
        fields[1] = "TRUE" if domain.startswith(".") else "FALSE"
        fields[4] = "" if expires in ("", "0") else str(int(expires))
        lines.append(prefix + "\t".join(fields))
    return "\n".join(lines)


def jar_text(cookies: Any, now: float | None = None) -> str:
    """The cookies as a Netscape cookie file: expired ones left out, session ones kept (expiry 0, as curl writes)."""
    now = time.time() if now is None else now
    lines = [_HEADER]
    for cookie in cookies:
        if cookie.expires is not None and cookie.is_expired(now):
            continue
        name, value = (cookie.name, cookie.value) if cookie.value is not None else ("", cookie.name)
        fields = [cookie.domain, "TRUE" if cookie.domain.startswith(".") else "FALSE", cookie.path or "/",
                  "TRUE" if cookie.secure else "FALSE", str(int(cookie.expires or 0)), name, value]
        if any(ch in field for field in fields for ch in "\t\r\n"):
            continue  # a field holding the file's separators cannot be written back faithfully
        prefix = _HTTPONLY if http_only(cookie) else ""
        lines.append(prefix + "\t".join(fields) + "\n")
    return "".join(lines)


def http_only(cookie: Any) -> bool:
    """Whether the cookie is HttpOnly: kept as the server spelt the flag, and as the stdlib's reader spells it."""
    return any(cookie.has_nonstandard_attr(name) for name in ("HttpOnly", "HTTPOnly", "httponly", "HTTPONLY"))


def write_jar(path: str, cookies: Any) -> None:
    """Replace the jar whole, mode 0600 (its cookies are credentials); UsageError when it cannot be written."""
    from cronchecks.support.atomicfile import PRIVATE, write_atomically

    try:
        write_atomically(Path(path).expanduser(), jar_text(cookies).encode("utf-8"), PRIVATE)
    except OSError as error:
        raise UsageError(f"--cookie-jar: cannot write {path}: {error.strerror or error}") from None


@contextlib.contextmanager
def keeping_cookies(client: Any, path: str, cookies: Any) -> Iterator[Any]:
    """`client` with the jar's cookies in its session; on the way out, the session's cookies written back."""
    with client:
        for cookie in cookies:
            client.session.cookies.set_cookie(cookie)
        yield client
        write_jar(path, client.session.cookies)
