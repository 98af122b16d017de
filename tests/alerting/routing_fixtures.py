"""Loopback webhook receivers that count every message per channel (a path each), for routing and grouping tests."""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
from pathlib import Path

import pytest

from tests.alerting_fixtures import QuickHTTP
from tests.conftest import Reply, run_console_script


class Channels(QuickHTTP):
    """One receiver, one path per channel (`/ops`, `/pager`...): what each accepted, in order; `down` answers 503."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()
        self.taken: dict[str, list[dict]] = {}

    def hook(self, name: str) -> str:
        def take(handler) -> Reply:
            return self._take(name)

        self.routes[f"/{name}"] = take
        return f"{self.url}/{name}"

    def _take(self, name: str) -> Reply:
        if name in self.down:
            return Reply(503, "down")
        # A channel's messages come one at a time (the outbox sends each channel's queue in order).
        body = next(r["body"] for r in reversed(self.requests) if r["path"] == f"/{name}")
        self.taken.setdefault(name, []).append(json.loads(body))
        return Reply(200, "ok")

    def got(self, name: str) -> list[dict]:
        """The bodies this channel accepted, in order (a 503 is not accepted)."""
        return self.taken.get(name, [])


@pytest.fixture
def channels():
    with Channels() as server:
        yield server


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(textwrap.dedent(text))
    os.chmod(path, mode)
    return path


def cronchecks(*args: str, env: dict | None = None, timeout: float = 60):
    return run_console_script("cronchecks", *args, timeout=timeout, env=env)


def outbox_rows(state: Path) -> list[tuple]:
    with sqlite3.connect(state / "cronchecks.sqlite3") as db:
        return db.execute("SELECT channel, event FROM outbox ORDER BY id").fetchall()
