"""Helpers of the quiet-alerting tests: a counting webhook receiver, `cronchecks` verbs run for real, flippable jobs."""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from pathlib import Path

from tests.conftest import LoopbackHTTP, Reply, run_console_script

PY = sys.executable


class Hook(LoopbackHTTP):
    """A webhook receiver (JSON format) that answers 200 and keeps every alert it was sent, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.routes["/hook"] = Reply(200, "ok")

    @property
    def hook(self) -> str:
        return self.url + "/hook"

    def alerts(self) -> list[dict]:
        bodies = [json.loads(r["body"]) for r in self.requests if r["path"] == "/hook"]
        return [body for body in bodies if body.get("event") == "alert"]

    def kinds(self, check: str | None = None) -> list[str]:
        return [a["kind"] for a in self.alerts() if check is None or a["check"] == check]


def cronchecks(state: Path, *args: str, timeout: float = 60):
    """`cronchecks VERB ... --state-dir STATE` (the store is chosen by the environment, as cron would)."""
    return run_console_script("cronchecks", *args, timeout=timeout, env={"CRONCHECKS_STATE_DIR": str(state)})


def job(tmp_path: Path, name: str = "job") -> tuple[str, Path]:
    """A plugin-like job exiting with the code written in its control file (0 until told otherwise)."""
    control = tmp_path / f"{name}.code"
    control.write_text("0")
    path = tmp_path / f"{name}.py"
    path.write_text(f"#!{PY}\n" + textwrap.dedent(f"""
        import sys
        code = int(open({str(control)!r}).read())
        print(("OK", "WARNING", "CRITICAL", "UNKNOWN")[code] + " - step")
        sys.exit(code)
    """))
    path.chmod(0o755)
    return str(path), control


def db(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(state / "cronchecks.sqlite3")
