"""check-http against one loopback endpoint, side by side with check_http, check_curl and curl.

Run: python3 benchmarks/http.py [--runs N]

Every command asks the same endpoint (a small JSON health body on 127.0.0.1, served
from a thread of this process), so the figures are start-up plus one loopback request.
Then, in this process, what the phase timings themselves cost: the house client with its
own connection classes (which time every phase and record the handshake) against the
same client on requests' stock adapter, on one kept-alive connection, and on a new
connection each time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script, this file's folder comes first on sys.path and its name would hide the
# standard library's http package: the folder goes last.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv, measure_all, plugin, report, serve_health  # noqa: E402

BODY = json.dumps({"status": "healthy", "checks": {"database": "OK", "cache": "OK"}, "latency_ms": 3}).encode()
FLOOR = "python -c 'import typer, requests' (floor)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    venv = bench_venv()
    python = str(venv / "python")
    server, port = serve_health(BODY)
    url = f"http://127.0.0.1:{port}/health"

    check = str(venv / "check-http")
    first = subprocess.run([check, url], capture_output=True, text=True)
    print(f"$ check-http {url}\n{first.stdout.strip()}  (exit {first.returncode})")

    commands = [
        ("python -c pass", [python, "-c", "pass"]),
        (FLOOR, [python, "-c", "import typer, requests"]),
        ("check-http URL", [check, url]),
        ("check-http URL --expect-json '$.status == \"healthy\"'",
         [check, url, "--expect-json", '$.status == "healthy"']),
        ("check-http URL --phases", [check, url, "--phases"]),
        ("check-http URL --phase-critical firstbyte=1s", [check, url, "--phase-critical", "firstbyte=1s"]),
    ]
    for name in ("check_http", "check_curl"):
        binary = plugin(name)
        if binary:
            commands.append((f"{name} -H 127.0.0.1 -p PORT -u /health (C)",
                             [binary, "-H", "127.0.0.1", "-p", str(port), "-u", "/health"]))
        else:
            print(f"{name} not installed (apt-get install monitoring-plugins-basic): left out")
    curl = shutil.which("curl")
    if curl:
        commands.append(("curl -s -o /dev/null URL", [curl, "-s", "-o", os.devnull, url]))
    timings = measure_all(commands, args.runs)
    report(f"check-http, one loopback request, {os.cpu_count()} CPUs", timings, FLOOR)
    subprocess.run([python, str(HERE / "http.py"), "--in-process", url, str(args.runs * 14)], check=True)
    server.shutdown()


def in_process(url: str, requests_count: int) -> None:
    """Per-request cost of the house client (phases timed) against a plain requests Session."""
    import statistics
    import time

    import requests

    sys.path.insert(0, str(HERE.parent))
    from cronchecks.support.httpclient import HttpClient

    def stock() -> HttpClient:
        client = HttpClient({})
        client.session.mount("http://", requests.adapters.HTTPAdapter())
        return client

    print(f"\nper request, in this process ({requests_count} requests each, median of 7 rounds):")
    for reuse in (True, False):
        # Without reuse the pools are emptied after each request: the next one connects (and is timed) anew.
        def call(client: HttpClient, reuse: bool = reuse) -> None:
            client.request("GET", url, timeout=5)
            if not reuse:
                client.session.close()

        samples: dict[str, list[float]] = {"stock adapter": [], "phases timed": []}
        clients = {"stock adapter": stock(), "phases timed": HttpClient({})}
        for _ in range(7):  # taking turns, as measure_all does
            for name, client in clients.items():
                started = time.perf_counter()
                for _ in range(requests_count // 7):
                    call(client)
                samples[name].append((time.perf_counter() - started) / (requests_count // 7))
        kind = "kept-alive connection" if reuse else "new connection each"
        base = statistics.median(samples["stock adapter"])
        for name, values in samples.items():
            seconds = statistics.median(values)
            print(f"  {kind:<22} HttpClient, {name:<14} {seconds * 1e6:>8.0f} us  {seconds / base:>5.2f}x")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--in-process"]:
        in_process(sys.argv[2], int(sys.argv[3]))
    else:
        main()
