"""`cronchecks demo`: every check against a small service it starts on 127.0.0.1, a failure, an alert, a recovery."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cronchecks.core.registry import CHECKS, CheckSpec, DemoCommand

# The demo service's process entry; check-service finds the service by this in its command line.
SERVICE_MODULE = "cronchecks.cli.demo_service"


class AlertReceiver:
    """A loopback webhook that keeps what `cronchecks run` sends it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with contextlib.suppress(ValueError):  # not JSON: not an alert to show
                    outer.received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/alerts"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_values(base: str, folder: Path) -> dict[str, str]:
    """What the registry's demo lines may name (see cronchecks.core.registry.DemoCommand)."""
    return {"url": base, "address": base.removeprefix("http://"), "folder": str(folder), "service": SERVICE_MODULE}


def demo_argv(spec: CheckSpec, command: DemoCommand, values: dict[str, str]) -> list[str]:
    """A registry's demo line as a user types it: `check-NAME` and the arguments, placeholders filled."""
    return [f"check-{spec.name}", *(part.format(**values) for part in command.argv)]


class Tour:
    """The walk-through: tells each command it runs and the command's real output, line by line, to `say`."""

    def __init__(self, say: Callable[[str], None], state_dir: str | None, keep_running: bool) -> None:
        self.tell = say
        self.keep_running = keep_running
        self.work = Path(tempfile.mkdtemp(prefix="cronchecks-demo-"))
        self.state_dir = Path(state_dir) if state_dir else self.work / "state"
        self.unexpected: list[str] = []
        self.service: subprocess.Popen | None = None
        self.receiver: AlertReceiver | None = None
        self.base = ""

    # --- telling and running ----------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.tell(text)

    def step(self, number: int, title: str) -> None:
        self.say()
        self.say(f"[{number}/7] {title}")

    def program(self, name: str) -> list[str]:
        """Our console script, or `python -m cronchecks` where the scripts are not installed."""
        beside = Path(sys.executable).parent / name
        if beside.exists():
            return [str(beside)]
        found = shutil.which(name)
        if found:
            return [found]
        verb = name.removeprefix("check-") if name.startswith("check-") else None
        return [sys.executable, "-m", "cronchecks", *([verb] if verb else [])]

    def run(self, shown: list[str], expect: int | None = None, argv: list[str] | None = None) -> None:
        """Run one of our commands as a user would, printing the line as shown and the real output.

        `argv` is what actually runs when it differs from what is shown (the program's path).
        """
        from cronchecks.support.process import run_command

        argv = argv or self.program(shown[0]) + shown[1:]
        self.say(f"$ {shlex.join(shown)}")
        done = run_command(argv, 60, passthrough=False, stdin=subprocess.DEVNULL,
                           env={**os.environ, "NO_COLOR": "1", "CRONCHECKS_STATE_DIR": str(self.state_dir)})
        for line in (done.stdout.rstrip("\n").splitlines() or ["(no output)"]):
            self.say(f"  {line}")
        for line in done.stderr.rstrip("\n").splitlines():
            self.say(f"  stderr: {line}")
        ended = done.start_error or ("timed out after 60 s" if done.timed_out else f"exit {done.exit_code}")
        self.say(f"  ({ended})")
        if expect is not None and done.exit_code != expect:
            self.unexpected.append(f"{shlex.join(shown)} {ended}, expected exit {expect}")

    # --- the demo service -------------------------------------------------------------

    def start_service(self) -> None:
        port_file = self.work / "port"
        self.service = subprocess.Popen([sys.executable, "-m", SERVICE_MODULE, "--folder", str(self.work),
                                         "--port-file", str(port_file)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if time.monotonic() > deadline or self.service.poll() is not None:
                raise RuntimeError("the demo service did not start")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{port_file.read_text()}"
        (self.work / "app.conf").write_text("workers = 4\nlisten = 127.0.0.1\n")
        (self.work / "static").mkdir(exist_ok=True)
        (self.work / "static" / "index.html").write_text("<h1>demo</h1>\n")

    def control(self, action: str) -> None:
        request = urllib.request.Request(f"{self.base}/control/{action}", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    # --- the tour -----------------------------------------------------------------------

    def checks(self, broken: bool) -> None:
        """Every check's demo lines from the registry, in its order: a new check joins by its entry alone."""
        values = demo_values(self.base, self.work)
        for spec in CHECKS.values():
            for command in spec.demo:
                expect = command.broken if broken else command.healthy
                if expect is not None:
                    self.run(demo_argv(spec, command, values), expect=expect)

    def tour(self) -> int:
        self.say("cronchecks demo: every check against a small service on 127.0.0.1, then a failure, "
                 "the alert, the recovery and the report. Nothing leaves this machine.")
        self.step(1, "Starting the demo service (its own process: health endpoints, a heartbeat, a log)")
        self.start_service()
        assert self.service is not None
        self.say(f"  {self.base}  pid {self.service.pid}  files in {self.work}")
        self.receiver = AlertReceiver()
        self.say(f"  a webhook receiver for the alerts listens on {self.receiver.url}")

        self.step(2, "Every check type against it while it is healthy")
        self.checks(broken=False)

        self.step(3, "The same checks in one process: a suite")
        suite = self.work / "demo-suite.toml"
        suite.write_text(
            f'[[check]]\nname = "web"\ntype = "http"\nurl = "{self.base}/health"\n'
            f'expect-json = [\'$.status == "healthy"\']\n\n'
            f'[[check]]\nname = "worker"\ntype = "heartbeat"\nfile = "{self.work}/worker.beat"\ncritical = "2m"\n\n'
            f'[[check]]\nname = "errors"\ntype = "log"\nfiles = ["{self.work}/app.log"]\npattern = ["CRITICAL"]\n'
            f'since = "10m"\ncritical = "5"\n\n'
            f'[[check]]\nname = "files"\ntype = "integrity"\nmanifest = "{self.work}/files.sha256"\n')
        self.run(["cronchecks", "suite", str(suite), "--no-record", "--format", "nagios"], expect=0)

        wrapped = ["--name", "web-health", "--webhook", self.receiver.url, "--nagios", "--",
                   *self.program("check-http"), f"{self.base}/health", "--expect-json", '$.status == "healthy"']
        shown = ["cronchecks", "run", "--name", "web-health", "--webhook", self.receiver.url, "--",
                 "check-http", f"{self.base}/health", "--expect-json", '$.status == "healthy"']
        self.run(shown, argv=[*self.program("cronchecks"), "run", *wrapped], expect=0)

        self.step(4, "Breaking it: /health answers 503, the worker's heartbeat stops, the log fills with errors, "
                     "a watched file changes")
        self.control("break")
        (self.work / "app.conf").write_text("workers = 0\n")
        self.checks(broken=True)

        self.step(5, "cronchecks run records the problem and sends the alert (once)")
        self.run(shown, argv=[*self.program("cronchecks"), "run", *wrapped], expect=2)
        self.show_alerts()
        self.run(shown, argv=[*self.program("cronchecks"), "run", *wrapped], expect=2)
        self.say("  (still critical: already announced, so no second alert)")
        self.show_alerts()

        self.step(6, "Fixing it: the next run records the recovery and announces it with the downtime")
        self.control("fix")
        self.run(shown, argv=[*self.program("cronchecks"), "run", *wrapped], expect=0)
        self.show_alerts()

        self.step(7, "The report from the store: status, uptime, failures, durations, incidents, a status page")
        self.run(["cronchecks", "report", "--since", "1h", "--format", "table"], expect=0)
        page = self.page_path()
        self.run(["cronchecks", "report", "--html", str(page), "--title", "cronchecks demo", "-q"], expect=0)
        if page.is_file():
            self.say(f"  The status page (one file, nothing fetched): {page}")
            self.say(f"  Open it in a browser: {page.as_uri()}")
        self.say()
        if self.unexpected:
            self.say("Something did not go as the tour expects:")
            for problem in self.unexpected:
                self.say(f"  - {problem}")
            return 1
        self.say("Every step answered as expected. Try the commands above on your own services; "
                 "`cronchecks demo --keep-running` leaves the demo service up to experiment with.")
        return 0

    def page_path(self) -> Path:
        """Where the demo's status page stays after the demo: beside the store that was asked for, else in the
        user's cache folder (the demo's own temporary folder is removed at its end)."""
        if self.state_dir != self.work / "state":
            return self.state_dir / "status.html"
        from platformdirs import user_cache_dir

        folder = Path(user_cache_dir("cronchecks", appauthor=False)) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "status.html"

    def show_alerts(self) -> None:
        assert self.receiver is not None
        seen = getattr(self, "_shown_alerts", 0)
        new = self.receiver.received[seen:]
        self._shown_alerts = len(self.receiver.received)
        if not new:
            self.say("  the webhook received nothing new")
        for alert in new:
            downtime = f", down {alert['downtime']:.1f} s" if alert.get("downtime") else ""
            self.say(f"  the webhook received: {alert['kind'].upper()} {alert['check']} is {alert['status']}"
                     f"{downtime}: {alert['summary']}")

    def close(self) -> None:
        if self.receiver:
            self.receiver.close()
        if self.service and self.service.poll() is None:
            self.service.terminate()
            try:
                self.service.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.service.kill()
        shutil.rmtree(self.work, ignore_errors=True)


def run_demo(say: Callable[[str], None], state_dir: str | None = None, keep_running: bool = False) -> int:
    """The whole tour, each line of it given to `say`; 0 when every step answered as expected."""
    tour = Tour(say, state_dir, keep_running)
    try:
        code = tour.tour()
        if keep_running:
            tour.say()
            tour.say(f"The demo service stays up at {tour.base} (files in {tour.work}); Ctrl-C to stop it.")
            try:
                while tour.service and tour.service.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        return code
    except RuntimeError as error:
        tour.say(f"DEMO UNKNOWN - {error}")
        return 3
    finally:
        tour.close()
