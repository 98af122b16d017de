"""Secrets come from an environment variable or a file, never argv, and are never shown."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from cronchecks.core.errors import UsageError


def read_secret(
    *,
    direct: str | None,
    env_name: str | None,
    file_path: str | None,
    env: Mapping[str, str],
    what: str,
) -> str | None:
    """The secret from whichever of the three places was named (at most one may be).

    A file's trailing newline is dropped, as `echo secret > file` leaves one.
    """
    given = [name for name, value in (("value", direct), ("env", env_name), ("file", file_path)) if value]
    if len(given) > 1:
        raise UsageError(f"{what} is given more than once ({', '.join(given)}): give one")
    if direct:
        return direct
    if env_name:
        if env_name not in env:
            raise UsageError(f"{what}: environment variable {env_name} is not set")
        return env[env_name]
    if file_path:
        from cronchecks.core.values import read_value_file

        try:
            return read_value_file(file_path)  # a regular file of at most 64 KiB, UTF-8
        except ValueError as error:
            raise UsageError(f"{what}: {error}") from None
    return None


def redact_url(url: str) -> str:
    """A URL fit to show: user-info and query string removed (tokens hide in both)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    query = "***" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def scrub(text: str, *secrets: str | None) -> str:
    """Replace every given secret inside a message (driver errors may echo them)."""
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, "***")
    return text
