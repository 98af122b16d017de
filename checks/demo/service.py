"""The demo's target: a small service on 127.0.0.1 with health endpoints, a heartbeat and a log.

`cronchecks demo` runs it as its own process (`python -m cronchecks.cli.demo_service`),
so that check-service can find it by its command line and port like any real service.
It can be broken and fixed over HTTP.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class DemoService:
    """State shared by the request handler and the heartbeat/log writer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.broken = False
        self.beat = folder / "worker.beat"
        self.log = folder / "app.log"
        self.lock = threading.Lock()
        self.last_beat = time.time()

    def write_log(self, level: str, message: str) -> None:
        stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]  # local time, as an app logs it
        with self.lock, self.log.open("a", encoding="utf-8") as stream:
            stream.write(f"{stamp} {level}: {message}\n")

    def tick(self) -> None:
        """Every half second: a heartbeat while healthy, and a log line."""
        count = 0
        while True:
            count += 1
            if not self.broken:
                self.beat.touch()
                self.last_beat = time.time()
                self.write_log("INFO", f"processed batch {count}")
            else:
                self.write_log("CRITICAL", "database connection refused (batch aborted)")
            time.sleep(0.5)

    def health(self) -> tuple[int, dict]:
        stamp = datetime.fromtimestamp(self.last_beat, UTC).isoformat(timespec="seconds")
        if self.broken:
            return 503, {"status": "degraded", "checks": {"database": "FAIL"}, "lastHeartbeatAt": stamp}
        return 200, {"status": "healthy", "checks": {"database": "OK"}, "lastHeartbeatAt": stamp}

    def set_broken(self, broken: bool) -> None:
        self.broken = broken
        if broken:
            # The worker stopped ten minutes ago, as far as the heartbeat file can tell.
            old = time.time() - 600
            os.utime(self.beat, (old, old))
            self.last_beat = old
            for _ in range(12):
                self.write_log("CRITICAL", "database connection refused")


def serve(folder: Path, port_file: Path) -> None:
    """Serve until killed; the port, chosen by the system, is written to `port_file` once listening."""
    service = DemoService(folder)
    service.beat.touch()
    service.write_log("INFO", "demo service started")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/health":
                status, body = service.health()
                self.reply(status, json.dumps(body).encode())
            elif self.path == "/api/ping":
                self.reply(200, b"pong", "text/plain")
            elif self.path == "/slow":
                time.sleep(0.3)
                self.reply(200, b'{"status": "healthy"}')
            else:
                self.reply(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if self.path in ("/control/break", "/control/fix"):
                service.set_broken(self.path.endswith("break"))
                self.reply(200, b'{"ok": true}')
            else:
                self.reply(404, b'{"error": "not found"}')

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=service.tick, daemon=True).start()
    temporary = port_file.with_suffix(".tmp")
    temporary.write_text(str(server.server_address[1]))
    temporary.replace(port_file)  # the demo waits for this file: it appears whole
    server.serve_forever()

