"""Credentials of an HTTP engine (Alertmanager, Pushgateway) from the environment or a file, never argv."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.support.secrets import read_secret


class HttpCredentials(NamedTuple):
    """Basic credentials, a bearer token, or neither (then user-info in the URL still works)."""

    auth: tuple[str, str] | None
    headers: dict[str, str]

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(part for part in (*(self.auth or ()), *self.headers.values()) if part)


def engine_credentials(env: Mapping[str, str], prefix: str, what: str) -> HttpCredentials:
    """`<prefix>_USER` with `<prefix>_PASSWORD` (or `_PASSWORD_FILE`), or `<prefix>_TOKEN` (or `_TOKEN_FILE`).

    Read once, before anything runs: a missing password or an unreadable file is a UsageError now,
    not a delivery that fails on every run.
    """
    def secret(name: str) -> str | None:
        return read_secret(direct=None, env_name=name if name in env else None,
                           file_path=env.get(f"{name}_FILE") or None, env=env, what=f"{what} ({name})")

    user = env.get(f"{prefix}_USER") or None
    password = secret(f"{prefix}_PASSWORD")
    token = secret(f"{prefix}_TOKEN")
    if token and (user or password):
        raise UsageError(f"{what}: give {prefix}_TOKEN or {prefix}_USER and _PASSWORD, not both")
    if password and not user:
        raise UsageError(f"{what}: {prefix}_PASSWORD needs {prefix}_USER")
    if user and password is None:
        raise UsageError(f"{what}: {prefix}_USER needs {prefix}_PASSWORD or {prefix}_PASSWORD_FILE")
    if token:
        return HttpCredentials(None, {"Authorization": f"Bearer {token.strip()}"})
    return HttpCredentials((user, password) if user and password is not None else None, {})
