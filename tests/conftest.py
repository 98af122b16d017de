"""Shared fixtures: real loopback servers and a way to run the real commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import pytest

# The fixture modules' fixtures (receiver, smtp_pki, moto_endpoint, pki, quick_http_server) for every test, so
# that a test asks for one by name instead of importing it (an import that the parameter then shadows).
pytest_plugins = ["tests.alerting_fixtures", "tests.http_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

from cronchecks.core.registry import CHECKS  # noqa: E402

COMMANDS = ["cronchecks", *(f"check-{name}" for name in CHECKS)]


@dataclass
class Completed:
    code: int
    stdout: str
    stderr: str

    @property
    def first_line(self) -> str:
        return self.stdout.splitlines()[0] if self.stdout else ""


def run_console_script(name: str, *args: str, timeout: float = 30, env: dict | None = None,
                       stdin: str | None = None) -> Completed:
    """Run an installed console script (from this interpreter's environment) for real."""
    executable = VENV_BIN / name
    if not executable.exists():
        found = shutil.which(name)
        assert found, f"console script {name} is not installed (pip install -e .)"
        executable = Path(found)
    return _run([str(executable), *args], timeout, env, stdin)


def run_bin(name: str, *args: str, timeout: float = 30, env: dict | None = None) -> Completed:
    """Run bin/NAME from the checkout with this interpreter, as a user of the checkout would."""
    return _run([sys.executable, str(ROOT / "bin" / name), *args], timeout, env, None)


def _run(argv: list[str], timeout: float, env: dict | None, stdin: str | None) -> Completed:
    merged = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=merged,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)
    return Completed(done.returncode, done.stdout, done.stderr)


# --- a loopback HTTP server whose answers each test sets ----------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class LoopbackHTTP:
    """A real HTTP server on 127.0.0.1, port 0; `routes[path]` is a Reply or a function giving one."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[BaseHTTPRequestHandler], Reply]] = {}
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append({"method": self.command, "path": self.path,
                                       "headers": dict(self.headers), "body": body})
                route = outer.routes.get(self.path.split("?")[0], Reply(404, b"not found"))
                reply = route(self) if callable(route) else route
                if reply.delay:
                    threading.Event().wait(reply.delay)
                payload = reply.body
                headers = dict(reply.headers)
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(payload, str):
                    payload = payload.encode()
                try:
                    self.send_response(reply.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for it, and the default 0.5 s was paid by every test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_server():
    with LoopbackHTTP() as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a real PostgreSQL, started from Debian's binaries ----------------------------------

def _find_pg_ctl() -> str | None:
    import glob

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return candidates[0] if candidates else shutil.which("pg_ctl")


PG_CTL = _find_pg_ctl()
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

if PG_CTL and not IS_ROOT:
    from pytest_postgresql import factories as _pg_factories

    postgresql_native_proc = _pg_factories.postgresql_proc(executable=PG_CTL)


@pytest.fixture(scope="session")
def postgresql_server(request, tmp_path_factory):
    """Connection details of a PostgreSQL server the tests started (pytest-postgresql's executor).

    PostgreSQL refuses to run as root, and CI runs as root: there the same binaries are
    started as the `postgres` user that Debian's package creates, in a folder it owns.
    """
    if PG_CTL is None:
        pytest.skip("no PostgreSQL server binaries here (Debian: apt-get install postgresql)")
    if not IS_ROOT:
        yield request.getfixturevalue("postgresql_native_proc")
        return
    import pwd
    import socket
    import tempfile

    from pytest_postgresql.executors.noop import NoopExecutor

    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
    bindir = Path(PG_CTL).parent
    workdir = Path(tempfile.mkdtemp(prefix="cronchecks-pg-"))
    os.chown(workdir, owner.pw_uid, owner.pw_gid)
    datadir = workdir / "data"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, cwd=workdir)
    subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(workdir / "log"), "-w",
                    "-o", f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True, cwd=workdir)
    try:
        yield NoopExecutor(host="127.0.0.1", port=port, user="postgres", options="", dbname="tests")
    finally:
        subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
                       capture_output=True, cwd=workdir)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgresql_url(request, postgresql_server) -> Iterator[str]:
    """A fresh database on the tests' PostgreSQL, as an SQLAlchemy URL (pytest-postgresql's janitor)."""
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"t_{request.node.name.lower()}"[:60]
    name = "".join(ch if ch.isalnum() else "_" for ch in name)
    janitor = DatabaseJanitor(user=postgresql_server.user, host=postgresql_server.host, port=postgresql_server.port,
                              dbname=name, password=postgresql_server.password)
    with janitor:
        auth = postgresql_server.user + (f":{postgresql_server.password}" if postgresql_server.password else "")
        yield f"postgresql+psycopg://{auth}@{postgresql_server.host}:{postgresql_server.port}/{name}"
