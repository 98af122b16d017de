"""Start-up: each command path loads only the modules it uses, read from sys.modules after a real run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.alerting_fixtures import receiver  # noqa: F401  (a fixture: the loopback webhook receiver)
from tests.conftest import Reply

# The real console-script entry point, run to its end (sys.exit included); an atexit hook writes
# sys.modules to a file, since stdout carries the check's own line.
DRIVER = textwrap.dedent("""
    import atexit, json, sys
    where, entry = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    sys.argv[0] = entry.replace("_", "-")
    atexit.register(lambda: open(where, "w").write(json.dumps(sorted(sys.modules))))
    import cronchecks.cli
    getattr(cronchecks.cli, entry)()
""")

NETWORK_AND_UI = ("requests", "urllib3", "rich", "psutil", "sqlalchemy", "jsonpath", "pydantic", "boto3")


def loaded(tmp_path: Path, entry: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Run the console script `entry` (cronchecks_entry, check_heartbeat, ...) and return its exit code and the
    top-level names of every module it had loaded when it ended."""
    where = tmp_path / "modules.json"
    merged = {**os.environ, **(env or {})}
    merged.pop("NO_COLOR", None)
    done = subprocess.run([sys.executable, "-c", DRIVER, str(where), entry, *args], capture_output=True, text=True,
                          timeout=60, env=merged, stdin=subprocess.DEVNULL)
    assert "Traceback" not in done.stderr, done.stderr
    modules = json.loads(where.read_text())
    return done.returncode, set(modules) | {name.split(".")[0] for name in modules}


def assert_none_of(modules: set[str], names: tuple[str, ...]) -> None:
    assert not modules & set(names), f"loaded needlessly: {sorted(modules & set(names))}"


def test_heartbeat_file_loads_no_network_ui_processes_sql_or_hashing(tmp_path):
    beat = tmp_path / "beat"
    beat.write_text("")
    code, modules = loaded(tmp_path, "check_heartbeat", "--file", str(beat), "-w", "5m", "-c", "15m")
    assert code == 0
    assert_none_of(modules, (*NETWORK_AND_UI, "sqlite3", "hashlib", "ssl", "socket",
                             "cronchecks.support.httpclient", "cronchecks.support.progress", "concurrent"))


def test_heartbeat_url_loads_requests_the_path_uses_it(tmp_path, http_server):
    # The other side of the line above: the --url path needs the HTTP client, and has it.
    http_server.routes["/beat"] = Reply(body={"last": "2020-01-01T00:00:00Z"})
    code, modules = loaded(tmp_path, "check_heartbeat", "--url", f"{http_server.url}/beat", "--json-path", "$.last",
                           "-c", "5m")
    assert code in (0, 1, 2)
    assert "requests" in modules


def test_integrity_manifest_loads_no_network_or_ui(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    lines = []
    for index in range(3):
        path = data / f"f{index}"
        path.write_bytes(b"x" * index)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}\n")
    manifest = tmp_path / "m.sha256"
    manifest.write_text("".join(lines))
    code, modules = loaded(tmp_path, "check_integrity", "--manifest", str(manifest))
    assert code == 0
    # stderr is not a terminal here, so no progress bar: rich stays out.
    assert_none_of(modules, (*NETWORK_AND_UI, "sqlite3", "ssl", "socket"))


def test_service_process_loads_psutil_and_nothing_of_the_network(tmp_path):
    code, modules = loaded(tmp_path, "check_service", "--process", "no-such-process-here", "-c", "0:")
    assert code in (0, 1, 2)
    assert "psutil" in modules
    assert_none_of(modules, ("requests", "urllib3", "rich", "sqlalchemy", "sqlite3", "hashlib", "ssl",
                             "cronchecks.service.tcp", "cronchecks.service.starttls", "cronchecks.service.timers",
                             "cronchecks.service.failed", "cronchecks.service.windows", "cronchecks.service.pidfile",
                             "cronchecks.support.httpclient"))


def test_http_loads_no_ui_processes_or_sql(tmp_path, http_server):
    http_server.routes["/health"] = Reply(body={"status": "ok"})
    code, modules = loaded(tmp_path, "check_http", f"{http_server.url}/health")
    assert code == 0
    assert "requests" in modules
    assert_none_of(modules, ("rich", "psutil", "sqlalchemy", "sqlite3", "cronchecks.support.progress"))


def test_run_true_loads_no_network_without_a_network_channel(tmp_path):
    code, modules = loaded(tmp_path, "cronchecks_entry", "run", "--name", "x", "--state-dir", str(tmp_path / "s"),
                           "--", sys.executable, "-c", "pass")
    assert code == 0
    assert_none_of(modules, (*NETWORK_AND_UI, "ssl", "hashlib", "cronchecks.support.httpclient",
                             "cronchecks.alerting.metrics", "cronchecks.alerting.channels.webhook",
                             "cronchecks.service.tcpoptions", "cronchecks.http.responses"))


def test_run_with_a_webhook_loads_the_http_client_the_path_uses(tmp_path, receiver):  # noqa: F811
    code, modules = loaded(tmp_path, "cronchecks_entry", "run", "--name", "x", "--state-dir", str(tmp_path / "s"),
                           "--webhook", receiver.url, "--", sys.executable, "-c", "raise SystemExit(2)")
    assert code == 2
    assert "requests" in modules


def test_suite_of_heartbeats_loads_no_network_or_ui(tmp_path):
    beat = tmp_path / "beat"
    beat.write_text("")
    suite = tmp_path / "suite.toml"
    suite.write_text(f'[[check]]\nname = "b"\ntype = "heartbeat"\nfile = "{beat}"\ncritical = "15m"\n')
    code, modules = loaded(tmp_path, "cronchecks_entry", "suite", str(suite), "--no-record")
    assert code == 0
    assert_none_of(modules, (*NETWORK_AND_UI, "ssl", "cronchecks.support.httpclient"))


@pytest.mark.parametrize("entry", ["check_heartbeat", "check_http", "check_log", "check_service",
                                   "check_integrity", "cronchecks_entry"])
def test_help_loads_no_network_or_ui(tmp_path, entry):
    code, modules = loaded(tmp_path, entry, "--help")
    assert code == 0
    assert_none_of(modules, ("requests", "psutil", "sqlalchemy", "sqlite3", "hashlib"))
