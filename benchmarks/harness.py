"""Shared benchmark plumbing: a clean install to measure, median wall times, ratio tables."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = Path(os.environ.get("CRONCHECKS_BENCH_VENV", "/tmp/cronchecks-bench/venv"))
PLUGINS = Path("/usr/lib/nagios/plugins")


def bench_venv(extras: str = "") -> Path:
    """A virtual environment with cronchecks installed from this checkout, not editable.

    An editable install adds an import hook to every start-up (~20 ms here), so the
    numbers would measure setuptools, not us. Reinstalled each run so it is current.
    """
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", target],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    "--disable-pip-version-check", str(ROOT)], check=True, stdout=subprocess.DEVNULL)
    return BENCH_VENV / "bin"


def serve_health(body: bytes):
    """A JSON health endpoint on 127.0.0.1 (any path), served from threads of this process.

    Returns the server (call shutdown() when done) and its port.
    """
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Health(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def plugin(name: str) -> str | None:
    """A Monitoring Plugins binary (Debian's monitoring-plugins-*), or None when not installed."""
    path = PLUGINS / name
    return str(path) if path.exists() else shutil.which(name)


@dataclass
class Timing:
    name: str
    command: list[str]
    median: float
    runs: int
    exit_code: int
    cpu: float = 0.0  # median user+system CPU seconds: unlike wall time, it holds on a busy machine
    rss: int = 0  # the largest resident set seen, bytes


def _timed(command: list[str], env: dict) -> tuple[float, int, float, int]:
    """Wall seconds, exit code, user+system CPU seconds and peak RSS (bytes) of one run."""
    # Output goes to a pipe that is read and dropped, not to /dev/null: GNU grep notices
    # /dev/null and stops at the first match (as with -q), which would time nothing.
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    while process.stdout.read(1 << 16):
        pass
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = code = os.waitstatus_to_exitcode(status)
    return elapsed, code, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def measure_all(commands: list[tuple[str, list[str]]], runs: int = 30, warmup: int = 3,
                env: dict | None = None) -> list[Timing]:
    """Median wall time of each command, started directly (no shell), output discarded.

    The commands take turns, round after round, so that a busy moment on the machine
    falls on all of them alike instead of on whichever happened to run then.
    """
    merged = {**os.environ, **(env or {})}
    samples: dict[str, list[float]] = {name: [] for name, _ in commands}
    cpu: dict[str, list[float]] = {name: [] for name, _ in commands}
    rss: dict[str, int] = dict.fromkeys(samples, 0)
    codes: dict[str, int] = {}
    for round_number in range(warmup + runs):
        for name, command in commands:
            elapsed, codes[name], seconds, peak = _timed(command, merged)
            if round_number >= warmup:
                samples[name].append(elapsed)
                cpu[name].append(seconds)
                rss[name] = max(rss[name], peak)
    return [Timing(name, command, statistics.median(samples[name]), runs, codes[name], statistics.median(cpu[name]),
                   rss[name]) for name, command in commands]


def report(title: str, timings: list[Timing], baseline: str) -> None:
    """Print median times and each one's ratio to the named baseline."""
    base = next(t for t in timings if t.name == baseline).median
    print(f"\n{title}")
    print(f"{'command':<46} {'median':>10} {'ratio':>8}  exit")
    for timing in timings:
        print(f"{timing.name:<46} {timing.median * 1000:>8.1f}ms {timing.median / base:>7.2f}x  {timing.exit_code}")
    print(f"(ratios against: {baseline}; {timings[0].runs} runs each, median wall time)")
