"""Make docs/status-page.png: a typical stack's day in a throw-away store, its status page, a phone-sized screenshot.

    .venv/bin/python docs/status-page-demo.py [OUTPUT.png]

Needs Debian's chromium. The histories are made up (a fixed random seed), recorded the way
`cronchecks run` records them; the page is what `cronchecks report --html` writes.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cronchecks.alerting.policy import Policy, decide  # noqa: E402
from cronchecks.alerting.store import ResultRow, Store  # noqa: E402
from cronchecks.core.result import Status  # noqa: E402

OK, WARNING, CRITICAL = Status.OK, Status.WARNING, Status.CRITICAL


def record(store: Store, name: str, runs) -> None:
    for at, status, duration, summary, perf in runs:
        row = ResultRow(name, at, status, int(status), duration, summary, perf)

        def judged(previous, history, status: Status = status, at: float = at):
            return decide(previous, status, at, history, Policy())

        store.record(row, judged, lambda *decision: [])


def every(start: float, end: float, step: float):
    at = start
    while at <= end:
        yield at
        at += step


def fill_demo_store(folder: Path, end: float) -> None:
    """The day up to `end` of a small shop's stack: web endpoints, a heartbeat, an error log, a backup."""
    rng = random.Random(7)
    start = end - 86400
    store = Store(folder)

    def web(name: str, base: float, bad: list[tuple[float, float, Status]]):
        """A run a minute; `bad` holds (youngest age, oldest age, state) spans of trouble."""
        for at in every(start + rng.uniform(0, 60), end, 60):
            seconds = rng.lognormvariate(0, 0.35) * base
            status = next((state for young, old, state in bad if young <= end - at < old), OK)
            if status is CRITICAL:
                yield at, status, 10.0, "HTTP CRITICAL - connection refused", []
            else:
                if status is WARNING:
                    seconds *= 8
                yield at, status, seconds + 0.05, f"HTTP {status.name} - 200 OK in {seconds * 1000:.0f} ms", \
                    [{"label": "time", "value": round(seconds, 4), "uom": "s"}]

    record(store, "web-health", web("web-health", 0.12, [(9.1 * 3600, 9.5 * 3600, CRITICAL)]))
    record(store, "ai-service", web("ai-service", 0.35, [(0, 40 * 60, WARNING)]))
    record(store, "parent-portal", web("parent-portal", 0.2, [(14 * 3600, 15 * 3600, WARNING)]))
    record(store, "db-heartbeat", [(at, OK, 0.02, "HEARTBEAT OK - updated 12 s ago", []) for at in
                                   every(start, end, 300)])
    record(store, "error-log", [(at, CRITICAL if end - at < 2 * 3600 else OK, 0.3,
                                 "LOG CRITICAL - 41 CRITICAL lines in the last hour" if end - at < 2 * 3600
                                 else "LOG OK - 0 matching lines", []) for at in every(start, end, 600)])
    record(store, "nightly-backup", [(end - 6 * 3600 - 86400 + 40, OK, 310.0, "exit code 0", []),
                                     (end - 6 * 3600, OK, 296.0, "exit code 0", [])])
    store.close()


def main(output: Path) -> None:
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("needs Debian's chromium (apt-get install chromium)")
    end = time.time() // 300 * 300
    work = Path(tempfile.mkdtemp(prefix="cronchecks-demo-"))
    fill_demo_store(work / "state", end)
    page = work / "status.html"
    subprocess.run([str(Path(sys.executable).parent / "cronchecks"), "report", "--state-dir", str(work / "state"),
                    "--until", str(int(end)), "--html", str(page), "--title", "Status of shop.example.com",
                    "--host", "shop", "-q"], check=True)
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", f"--user-data-dir={work / 'profile'}", f"--screenshot={output}",
                    "--window-size=412,900", page.as_uri()], check=True, capture_output=True)
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {output} ({output.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "status-page.png")
