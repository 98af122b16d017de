"""Stores filled with known histories, headless Chromium, and a small PNG reader for the report's tests."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from cronchecks.alerting.policy import Policy, decide
from cronchecks.alerting.store import ResultRow, Store
from cronchecks.core.result import Status

# A fixed "now" on a whole hour (2027-01-15 08:00:00 UTC), so every figure is exact.
T = 1_800_000_000.0
HOUR = 3600.0
DAY = 86400.0

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Run(NamedTuple):
    """One recorded run: when, its state, how long it took, its response time (perfdata `time`)."""

    at: float
    status: Status
    duration: float = 0.1
    time: float | None = None
    uom: str = "s"


def record(folder: Path, name: str, runs: Iterable[Run]) -> None:
    """Record runs the way `cronchecks run` does: results, and the check's state through the policy."""
    store = Store(folder)
    try:
        for run in runs:
            perf = [] if run.time is None else [{"label": "time", "value": run.time, "uom": run.uom}]
            row = ResultRow(name, run.at, run.status, int(run.status), run.duration,
                            f"{name.upper()} {run.status.name} - at {run.at:.0f}", perf)
            def judged(previous, history, run: Run = run):
                return decide(previous, run.status, run.at, history, Policy())

            store.record(row, judged, lambda *decision: [])
    finally:
        store.close()


def known_histories(folder: Path) -> None:
    """Three checks over the day up to T, each figure worked out by hand in test_report.py."""
    # web: OK from before the window, CRITICAL for the 2h to 1h before T, WARNING for 30 min, OK again.
    record(folder, "web", [Run(T - DAY - 600, Status.OK, 0.2, 0.120), Run(T - 2 * HOUR, Status.CRITICAL, 10.0),
                           Run(T - HOUR, Status.WARNING, 0.4, 900, "ms"), Run(T - HOUR / 2, Status.OK, 0.2, 0.100)])
    # db: first seen 12h before T, OK, then WARNING and CRITICAL from 6h before T: still open.
    record(folder, "db", [Run(T - 12 * HOUR, Status.OK, 1.0), Run(T - 6 * HOUR, Status.WARNING, 2.0),
                          Run(T - 3 * HOUR, Status.CRITICAL, 3.0)])
    # queue: 20 OK runs, durations 1..20 s, response times 10..200 ms.
    record(folder, "queue", [Run(T - DAY + i * HOUR, Status.OK, float(i), 10.0 * i, "ms") for i in range(1, 21)])


MIDNIGHT = T - 8 * HOUR  # T is 08:00 UTC: today began 8 hours before it


def api_runs() -> list[Run]:
    """60 days of a run every 6 hours (00, 06, 12, 18 UTC), OK at 100 ms, but:
    day -10: CRITICAL at 12:00 and 18:00 (back to OK at 00:00 of day -9), time 2 s;
    day -3: WARNING at 00:00, OK again at 06:00 (6 hours), time 500 ms. Nothing before day -60."""
    runs = []
    for day in range(-60, 1):
        for hour in (0, 6, 12, 18):
            at = MIDNIGHT + day * DAY + hour * HOUR
            if at > T:
                break
            status, value = Status.OK, 0.100
            if day == -10 and hour in (12, 18):
                status, value = Status.CRITICAL, 2.0
            if day == -3 and hour == 0:
                status, value = Status.WARNING, 0.5
            runs.append(Run(at, status, 0.1, value))
    return runs


# --- headless Chromium -----------------------------------------------------------------------


def chromium(args: list[str], profile: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Debian's chromium, headless, kept off the network (no sync, updates or background fetches)."""
    assert CHROMIUM
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout)


# --- PNG -------------------------------------------------------------------------------------


class Image(NamedTuple):
    width: int
    height: int
    pixels: list[bytes]  # one row each, RGB(A) bytes

    def count(self, colour: tuple[int, int, int], tolerance: int = 6) -> int:
        """Pixels within `tolerance` of an RGB colour."""
        step = len(self.pixels[0]) // self.width
        found = 0
        for row in self.pixels:
            for x in range(0, len(row), step):
                if all(abs(row[x + c] - colour[c]) <= tolerance for c in range(3)):
                    found += 1
        return found


def read_png(path: Path) -> Image:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are), unfiltered."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    assert header is not None
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    step = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(step, stride):
                line[i] = (line[i] + line[i - step]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - step] if i >= step else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - step] if i >= step else 0
                b = previous[i]
                c = previous[i - step] if i >= step else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return Image(width, height, rows)
