"""Suites at scale: 1,000 checks (800 heartbeat, 150 HTTP, 50 log) and 10,000 heartbeat checks in one process.

  - `cronchecks suite` over the 1,000, recorded in a store (one transaction), and with --no-record:
    median wall time and peak RSS
  - `cronchecks suite` over 10,000 heartbeat-file checks, recorded
  - the cost per check beside the same checks as Debian's plugins run one process each, as Nagios would:
    check_file_age (Perl), check_curl (C), check_log (shell); a sample of each kind is timed and the
    per-check figure scaled to the suite's mix
  - how many transactions the store saw for the 1,000 results (SQLite's total_changes is per connection,
    so the commits are counted by the store's WAL frames instead: one commit writes one set of frames)

Run: python3 benchmarks/suite.py [--runs N] [--sample N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The script's folder goes last: benchmarks/http.py must not hide the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv, measure_all, plugin, serve_health  # noqa: E402

BEATS, URLS, LOGS = 800, 150, 50
MANY_BEATS = 10_000
WALL_TARGET, RSS_TARGET, MANY_TARGET = 2.0, 200 * 2**20, 10.0


def write_suite(path: Path, work: Path, beats: int, urls: int, logs: int, url: str) -> dict[str, list[Path]]:
    made: dict[str, list[Path]] = {"beat": [], "log": []}
    lines = []
    for index in range(beats):
        # Short names: 10,000 checks must fit a suite file's 1 MiB.
        beat = work / "b" / str(index)
        beat.parent.mkdir(exist_ok=True)
        beat.write_text("")
        made["beat"].append(beat)
        lines += ["[[check]]", f'name="b{index}"', 'type="heartbeat"', f'file="{beat}"', 'warning="5m"',
                  'critical="15m"']
    for index in range(urls):
        lines += ["[[check]]", f'name = "web{index}"', 'type = "http"', f'url = "{url}"', ""]
    for index in range(logs):
        log = work / "logs" / f"app{index}.log"
        log.parent.mkdir(exist_ok=True)
        log.write_text("".join(f"2026-12-01 10:{minute:02d}:00 INFO request served\n" for minute in range(60))
                       + "2026-12-01 11:00:00 ERROR upstream timed out\n")
        made["log"].append(log)
        lines += ["[[check]]", f'name = "log{index}"', 'type = "log"', f'files = ["{log}"]',
                  'pattern = ["ERROR"]', 'warning = "5"', 'critical = "10"', ""]
    path.write_text("\n".join(lines))
    return made


def commits_of(state: Path) -> int:
    """Commits in the store's WAL since it was checkpointed: each commit frame ends one transaction."""
    wal = state / "cronchecks.sqlite3-wal"
    if not wal.exists():
        return -1
    data = wal.read_bytes()
    if len(data) < 32:
        return 0
    page = int.from_bytes(data[8:12], "big")
    commits, offset = 0, 32
    while offset + 24 + page <= len(data):
        if int.from_bytes(data[offset + 4:offset + 8], "big"):  # "size of the database after commit": non-zero
            commits += 1
        offset += 24 + page
    return commits


def suite_figure(label: str, argv: list[str], runs: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds and the peak RSS of `cronchecks suite` (its store kept: a steady run)."""
    timing = measure_all([(label, argv)], runs=runs, warmup=0)[0]
    return timing.median, timing.cpu, timing.rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=30, help="plugin runs timed of each kind")
    args = parser.parse_args()
    venv = bench_venv()
    cronchecks = str(venv / "cronchecks")
    work = Path(tempfile.mkdtemp(prefix="ccb", dir="/tmp" if os.path.isdir("/tmp") else None))
    server, port = serve_health(b'{"status": "healthy"}')
    url = f"http://127.0.0.1:{port}/health"
    mixed = work / "mixed.toml"
    made = write_suite(mixed, work, BEATS, URLS, LOGS, url)
    many = work / "many.toml"
    write_suite(many, work, MANY_BEATS, 0, 0, url)
    state = work / "state"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"CPUs: {os.cpu_count()}; load average at the start {load}")

    recorded = [cronchecks, "suite", str(mixed), "--state-dir", str(state), "--format", "nagios"]
    first = subprocess.run(recorded, capture_output=True, text=True)
    print(f"suite says: {first.stdout.splitlines()[0][:90]}... (exit {first.returncode}; "
          f"{len(first.stdout.splitlines()) - 1} checks)")
    with sqlite3.connect(state / "cronchecks.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    subprocess.run(recorded, capture_output=True)
    commits = commits_of(state)
    with sqlite3.connect(state / "cronchecks.sqlite3") as db:
        results = db.execute("SELECT count(*) FROM results").fetchone()[0]
    print(f"the second run's 1,000 results went into the store in {commits} transaction(s) "
          f"({results} results in all)")

    rows = []
    wall, cpu, rss = suite_figure("mixed recorded", recorded, args.runs)
    rows.append((f"$ cronchecks suite mixed.toml ({BEATS}+{URLS}+{LOGS} checks, recorded)", wall, cpu, rss,
                 BEATS + URLS + LOGS))
    wall_1000, rss_1000 = wall, rss
    wall, cpu, rss = suite_figure("mixed", [cronchecks, "suite", str(mixed), "--no-record", "--format", "nagios"],
                                  args.runs)
    rows.append(("$ cronchecks suite mixed.toml --no-record", wall, cpu, rss, BEATS + URLS + LOGS))
    many_state = work / "many-state"
    many_argv = [cronchecks, "suite", str(many), "--state-dir", str(many_state), "--format", "nagios"]
    check = subprocess.run(many_argv, capture_output=True, text=True)
    print(f"the 10,000 say: {check.stdout.splitlines()[0][:70]}... (exit {check.returncode}; "
          f"{len(check.stdout.splitlines()) - 1} checks)")
    wall, cpu, rss = suite_figure("many", many_argv, args.runs)
    rows.append((f"$ cronchecks suite many.toml ({MANY_BEATS:,} heartbeat checks, recorded)", wall, cpu, rss,
                 MANY_BEATS))
    wall_many = wall

    print(f"\nsuites, median of {args.runs} runs")
    print(f"{'command':<66} {'wall':>8} {'CPU':>8} {'peak RSS':>9} {'per check':>10}")
    for name, wall, cpu, rss, count in rows:
        print(f"{name:<66} {wall:>7.2f}s {cpu:>7.2f}s {rss / 2**20:>7.0f}MB {wall / count * 1000:>8.2f}ms")

    file_age, curl, check_log = plugin("check_file_age"), plugin("check_curl"), plugin("check_log")
    per_plugin: dict[str, float] = {}
    if file_age and curl and check_log:
        sample = [("check_file_age", [file_age, "-w", "300", "-c", "900", "-f", str(made["beat"][0])]),
                  ("check_curl", [curl, "-H", "127.0.0.1", "-p", str(port), "-u", "/health"]),
                  ("check_log", [check_log, "-F", str(made["log"][0]), "-O", str(work / "old.log"), "-q", "ERROR"])]
        for timing in measure_all(sample, runs=args.sample, warmup=2):
            per_plugin[timing.name] = timing.median
        plugins_total = (BEATS * per_plugin["check_file_age"] + URLS * per_plugin["check_curl"]
                         + LOGS * per_plugin["check_log"])
        print(f"\nDebian's plugins, one process a check (median of {args.sample} each): "
              + ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in per_plugin.items()))
        print(f"the same {BEATS + URLS + LOGS} checks as plugins one after another (as Nagios runs them): "
              f"{plugins_total:.2f} s, {plugins_total / (BEATS + URLS + LOGS) * 1000:.2f} ms a check; "
              f"the suite: {wall_1000 / (BEATS + URLS + LOGS) * 1000:.2f} ms a check, "
              f"{plugins_total / wall_1000:.1f}x faster")
    else:
        print("check_file_age, check_curl or check_log not installed (monitoring-plugins-basic/-standard): left out")

    print("\ntargets")
    print(f"  1,000 checks in at most {WALL_TARGET:.0f} s: {wall_1000:.2f} s, "
          f"{'met' if wall_1000 <= WALL_TARGET else 'missed'}")
    print(f"  ... in at most {RSS_TARGET // 2**20} MB: {rss_1000 / 2**20:.0f} MB, "
          f"{'met' if rss_1000 <= RSS_TARGET else 'missed'}")
    print(f"  10,000 heartbeat checks in at most {MANY_TARGET:.0f} s: {wall_many:.2f} s, "
          f"{'met' if wall_many <= MANY_TARGET else 'missed'}")
    print(f"  1,000 results in one transaction: {commits}, {'met' if commits == 1 else 'missed'}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
