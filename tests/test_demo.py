"""`cronchecks demo`, the README's first command: runs to exit 0 and leaves nothing behind."""

import re
import tempfile
from pathlib import Path

import psutil

from tests.conftest import run_console_script


def test_demo_tours_every_check_and_exits_zero_leaving_nothing(tmp_path):
    leftovers_before = set(Path(tempfile.gettempdir()).glob("cronchecks-demo-*"))
    done = run_console_script("cronchecks", "demo", timeout=120)
    assert done.code == 0, done.stdout[-3000:]
    out = done.stdout
    for command in ("$ check-http ", "$ check-heartbeat --file", "$ check-heartbeat --url", "$ check-log ",
                    "$ check-service ", "$ check-integrity --create", "$ cronchecks suite ", "$ cronchecks run ",
                    "$ cronchecks report "):
        assert command in out, command
    assert "HTTP CRITICAL - 503 Service Unavailable" in out
    assert "the webhook received: PROBLEM web-health is CRITICAL" in out
    assert "the webhook received: RECOVERY web-health is OK, down " in out
    assert out.count("the webhook received: PROBLEM") == 1  # announced once, not every run
    assert "Every step answered as expected" in out
    named = re.search(r"pid (\d+)", out)
    assert named, out
    pid = int(named.group(1))
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert set(Path(tempfile.gettempdir()).glob("cronchecks-demo-*")) == leftovers_before


def test_demo_keeps_its_store_where_asked(tmp_path):
    done = run_console_script("cronchecks", "demo", "--state-dir", str(tmp_path / "state"), timeout=120)
    assert done.code == 0
    assert (tmp_path / "state" / "cronchecks.sqlite3").exists()
