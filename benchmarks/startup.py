"""Start-up: each command's own cost above its interpreter floor, by wall time, CPU time and `-X importtime`.

The floor of a check is `python -c 'import typer'` (check-http's: `import typer, requests`, the client
it cannot run without). A command's own cost is its median minus its floor's, in wall time and in
user+system CPU time (the steadier figure when the machine is busy); `-X importtime` names what it
imports beyond the floor, the ten dearest listed, each the fastest of several runs.

Run: python3 benchmarks/startup.py [--runs N] [--import-runs N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The script's folder goes last: benchmarks/http.py must not hide the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv, measure_all, plugin, report, serve_health  # noqa: E402

TARGET_MS = 10.0
FLOOR = "python -c 'import typer' (floor)"
HTTP_FLOOR = "python -c 'import typer, requests' (http floor)"
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_costs(python: str, argv: list[str], runs: int) -> dict[str, int]:
    """Each module's own import time (µs, the fastest of `runs`), for `python -X importtime ARGV`."""
    best: dict[str, int] = {}
    for _ in range(runs):
        done = subprocess.run([python, "-X", "importtime", *argv], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        for line in done.stderr.splitlines():
            found = _LINE.match(line)
            if found:
                best[found[4]] = min(best.get(found[4], 1 << 60), int(found[1]))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--import-runs", type=int, default=7)
    args = parser.parse_args()

    venv = bench_venv()
    python = str(venv / "python")
    work = Path(tempfile.mkdtemp(prefix="cronchecks-bench-startup-"))
    beat = work / "job.beat"
    beat.write_text("")
    lines = []
    for index in range(3):
        path = work / f"release-{index}.txt"
        path.write_text(f"file {index}\n")
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}\n")
    manifest = work / "release.sha256"
    manifest.write_text("".join(lines))
    log = work / "app.log"
    log.write_text("2026-12-01 10:00:00 INFO started\n" * 100)
    server, port = serve_health(b'{"status": "healthy"}')
    url = f"http://127.0.0.1:{port}/health"
    # check-service --process X vs check_procs -C X: a process of a known name, started here.
    sleeper = work / "ccbenchproc"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", sleeper)
    sleeper.chmod(0o755)
    running = subprocess.Popen([str(sleeper), "600"])

    # (name, argv, its floor): the floor each command's own cost is measured from.
    ours = [
        ("check-heartbeat --file F -w 5m -c 15m",
         [str(venv / "check-heartbeat"), "--file", str(beat), "-w", "5m", "-c", "15m"], FLOOR),
        ("check-integrity --manifest M (3 files)", [str(venv / "check-integrity"), "--manifest", str(manifest)],
         FLOOR),
        ("check-log -e ERROR F (small file)", [str(venv / "check-log"), "-e", "ERROR", str(log)], FLOOR),
        ("check-service --process X", [str(venv / "check-service"), "--process", sleeper.name], FLOOR),
        ("check-http URL", [str(venv / "check-http"), url], HTTP_FLOOR),
        ("cronchecks run --name x -- true",
         [str(venv / "cronchecks"), "run", "--name", "x", "--state-dir", str(work / "state"), "--",
          shutil.which("true") or "/bin/true"], FLOOR),
    ]
    commands = [("python -c pass", [python, "-c", "pass"]), (FLOOR, [python, "-c", "import typer"]),
                (HTTP_FLOOR, [python, "-c", "import typer, requests"])]
    commands += [(name, argv) for name, argv, _ in ours]
    peers = [("check_file_age", ["-w", "300", "-c", "900", "-f", str(beat)], "check_file_age -w 300 -c 900 -f F"),
             ("check_procs", ["-C", sleeper.name, "-c", "1:"], "check_procs -C X -c 1: (C)"),
             ("check_curl", ["-H", "127.0.0.1", "-p", str(port), "-u", "/health"], "check_curl -H H -p P -u U (C)")]
    for binary, argv, name in peers:
        found = plugin(binary)
        if found:
            commands.append((name, [found, *argv]))
        else:
            print(f"{binary} not installed (apt-get install monitoring-plugins-basic): left out")
    try:
        timings = measure_all(commands, args.runs)
        floors = {FLOOR: ["-c", "import typer"], HTTP_FLOOR: ["-c", "import typer, requests"]}
        floor_imports = {name: import_costs(python, argv, args.import_runs) for name, argv in floors.items()}
        imports = {name: import_costs(python, argv, args.import_runs) for name, argv, _ in ours}
    finally:
        running.kill()
        running.wait()
        server.shutdown()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    report(f"start-up, {os.cpu_count()} CPUs, load average {load}", timings, FLOOR)
    by_name = {t.name: t for t in timings}
    print(f"\nown cost above the floor (target: at most {TARGET_MS:.0f} ms)")
    print(f"{'command':<42} {'wall':>8} {'CPU':>8} {'imports':>8}  verdict (on CPU time)")
    for name, _, floor in ours:
        timing, base = by_name[name], by_name[floor]
        wall, cpu = (timing.median - base.median) * 1000, (timing.cpu - base.cpu) * 1000
        own_imports = {module: cost for module, cost in imports[name].items() if module not in floor_imports[floor]}
        imported = sum(own_imports.values()) / 1000
        verdict = "met" if cpu <= TARGET_MS else "missed"
        print(f"{name:<42} {wall:>6.1f}ms {cpu:>6.1f}ms {imported:>6.1f}ms  {verdict} (floor: {floor.split(' (')[0]})")
    for name, _, floor in ours:
        own_imports = {module: cost for module, cost in imports[name].items() if module not in floor_imports[floor]}
        top = sorted(own_imports.items(), key=lambda item: -item[1])[:10]
        print(f"\n$ python -X importtime {name}: {len(own_imports)} modules beyond the floor, "
              f"{sum(own_imports.values()) / 1000:.1f} ms; the ten dearest (own time):")
        print("  " + ", ".join(f"{module} {cost / 1000:.2f}" for module, cost in top))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
