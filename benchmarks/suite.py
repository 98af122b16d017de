"""250 checks at once: one suite process vs 250 separate check processes vs 250 Debian C/Perl plugins.

200 heartbeat-file checks and 50 HTTP checks against one loopback endpoint, side by side:
  - `cronchecks suite` (one process, checks in parallel threads)
  - the same 250 as separate `check-heartbeat` / `check-http` processes, one after another
  - the same 250 as Debian's `check_file_age` / `check_curl`, one after another (as Nagios would)
Run: python3 benchmarks/suite.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The script's folder goes last: benchmarks/http.py must not hide the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv, plugin, serve_health  # noqa: E402

FILES, URLS = 200, 50


def timed(commands: list[list[str]]) -> float:
    started = time.perf_counter()
    for command in commands:
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    venv = bench_venv()
    work = Path(tempfile.mkdtemp(prefix="cronchecks-bench-suite-"))
    server, port = serve_health(b'{"status": "healthy"}')
    url = f"http://127.0.0.1:{port}/health"
    files = []
    for index in range(FILES):
        path = work / f"job{index}.beat"
        path.write_text("")
        files.append(path)
    lines = []
    for index, path in enumerate(files):
        lines += ["[[check]]", f'name = "beat{index}"', 'type = "heartbeat"', f'file = "{path}"',
                  'warning = "5m"', 'critical = "15m"', ""]
    for index in range(URLS):
        lines += ["[[check]]", f'name = "web{index}"', 'type = "http"', f'url = "{url}"', ""]
    suite_file = work / "suite.toml"
    suite_file.write_text("\n".join(lines))

    suite = [str(venv / "cronchecks"), "suite", str(suite_file), "--no-record", "--format", "nagios"]
    ours = ([[str(venv / "check-heartbeat"), "--file", str(p), "-w", "5m", "-c", "15m"] for p in files]
            + [[str(venv / "check-http"), url] for _ in range(URLS)])
    file_age, curl = plugin("check_file_age"), plugin("check_curl")
    theirs = None
    if file_age and curl:
        theirs = ([[file_age, "-w", "300", "-c", "900", "-f", str(p)] for p in files]
                  + [[curl, "-H", "127.0.0.1", "-p", str(port), "-u", "/health"] for _ in range(URLS)])
    check = subprocess.run(suite, capture_output=True, text=True)
    print(f"suite says: {check.stdout.splitlines()[0][:100]}... (exit {check.returncode})")
    results: dict[str, list[float]] = {"suite": [], "separate": [], "c plugins": []}
    for _ in range(args.runs):
        results["suite"].append(timed([suite]))
        results["separate"].append(timed(ours))
        if theirs:
            results["c plugins"].append(timed(theirs))
    print(f"\n{FILES} heartbeat-file + {URLS} loopback HTTP checks, median of {args.runs} rounds (taking turns)")
    base = statistics.median(results["suite"])
    names = {"suite": "cronchecks suite (1 process)", "separate": "check-heartbeat/check-http x250 processes",
             "c plugins": "check_file_age/check_curl x250 (Debian)"}
    for key, samples in results.items():
        if samples:
            median = statistics.median(samples)
            print(f"{names[key]:<46} {median:8.3f} s  {median / base:7.2f}x the suite")
    server.shutdown()


if __name__ == "__main__":
    main()
