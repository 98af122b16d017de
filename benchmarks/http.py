"""check-http against one loopback endpoint, side by side with check_http, check_curl and curl.

Run: python3 benchmarks/http.py [--runs N]

Every command asks the same endpoint (a small JSON health body on 127.0.0.1, served
from a thread of this process), so the figures are start-up plus one loopback request.
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
    server.shutdown()
    report(f"check-http, one loopback request, {os.cpu_count()} CPUs", timings, FLOOR)


if __name__ == "__main__":
    main()
