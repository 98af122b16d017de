"""check-log on a generated 1 GiB log, side by side with grep and with the start-up floor.

Run: python3 benchmarks/log.py [--size-mib 1024] [--runs 5] [--small-runs 20]
     python3 benchmarks/log.py --against /path/to/older/bin/check-log [--runs 9]  (before/after, CPU time)

The log is made in /tmp (never committed) and kept between runs when its size matches.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A venv of its own: other benchmarks reinstall the shared one while this one runs for minutes.
os.environ.setdefault("CRONCHECKS_BENCH_VENV", "/tmp/cronchecks-bench-log/venv")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Timing, bench_venv, report

LEVELS = ["INFO"] * 900 + ["DEBUG"] * 80 + ["WARNING"] * 14 + ["ERROR"] * 5 + ["CRITICAL:"] * 1
WORDS = ["user", "request", "served", "cache", "miss", "database", "query", "took", "ms", "worker", "started", "job",
         "finished", "connection", "pool"]


def generate(path: Path, size: int) -> None:
    """Python-logging lines, ~110 bytes each, ten days long, ending now (UTC)."""
    rng = random.Random(1)
    messages = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))) for _ in range(4096)]
    lines_wanted = size // 110
    end = time.time()
    step = 10 * 86400 / lines_wanted
    start = end - lines_wanted * step
    written = 0
    with open(path, "wb") as handle:
        index = 0
        while written < size:
            batch = []
            for _ in range(20000):
                moment = start + index * step
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))
                batch.append(f"{stamp},{int(moment * 1000) % 1000:03d} {rng.choice(LEVELS)} app.module: "
                             f"{messages[index % 4096]} id={index}\n")
                index += 1
            data = "".join(batch).encode()
            handle.write(data)
            written += len(data)


def measure_all(commands: list[tuple[str, list[str]]], runs: int, warmup: int = 1,
                env: dict | None = None) -> list[Timing]:
    """harness.measure_all, but with stdout a pipe: GNU grep stops at the first match when its
    stdout is /dev/null (it acts as -q), which would measure nothing."""
    merged = {**os.environ, **(env or {})}
    samples: dict[str, list[float]] = {name: [] for name, _ in commands}
    codes: dict[str, int] = {}
    for round_number in range(warmup + runs):
        for name, command in commands:
            started = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=merged)
            elapsed = time.perf_counter() - started
            codes[name] = done.returncode
            if round_number >= warmup:
                samples[name].append(elapsed)
    return [Timing(name, command, statistics.median(samples[name]), runs, codes[name]) for name, command in commands]


def state_runs(check_log: str, python: str, floor: list[str], log: Path, runs: int) -> list[Timing]:
    """--state runs that each find 1 MB appended since the last one, taking turns with the floor."""
    state = Path(tempfile.gettempdir()) / "cronchecks-bench-log.state"
    size = log.stat().st_size
    with open(log, "rb") as handle:
        handle.seek(size - 1_000_000)
        handle.readline()
        offset = handle.tell()
    # The mark is made by the installed package (the checkout's folder is not importable as cronchecks).
    script = ("import json, sys; from cronchecks.log.state import mark_for; "
              "print(json.dumps(mark_for(sys.argv[1], int(sys.argv[2])).as_json()))")
    mark = json.loads(subprocess.run([python, "-c", script, str(log), str(offset)],
                                     check=True, capture_output=True, text=True).stdout)
    payload = json.dumps({"version": 1, "files": {str(log): mark}})
    command = [check_log, str(log), "-e", "CRITICAL:", "--state", str(state), "-w", "1000000", "-c", "1000000"]
    samples: dict[str, list[float]] = {"state": [], "floor": []}
    code = 0
    for round_number in range(runs + 2):
        state.write_text(payload)
        started = time.perf_counter()
        code = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).returncode
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(floor, stdout=subprocess.PIPE)
        floor_elapsed = time.perf_counter() - started
        if round_number >= 2:
            samples["state"].append(elapsed)
            samples["floor"].append(floor_elapsed)
    state.unlink()
    return [
        Timing("python -c 'import typer' (floor)", floor, statistics.median(samples["floor"]), runs, 0),
        Timing("check-log --state (1 MB appended)", command, statistics.median(samples["state"]), runs, code),
    ]


CHECK_LOGFILES = "/usr/lib/nagios/plugins/check_logfiles"


def peer_runs(check_log: str, log: Path, runs: int) -> list[tuple[str, list[Timing]]]:
    """check_logfiles (Debian's) and check-log over the whole file with the same patterns, taking turns.

    check_logfiles reads the whole file on its first run with --allyoucaneat; its seek file is
    removed before each run so that every run is a first one.
    """
    import shutil

    folder = Path(tempfile.mkdtemp(prefix="cronchecks-bench-logfiles-"))
    results = []
    for pattern in ("CRITICAL:", "ERROR|CRITICAL:"):
        ours_name = f"check-log --critical-pattern '{pattern}'"
        peer_name = f"check_logfiles --criticalpattern '{pattern}' --allyoucaneat"
        ours = [check_log, str(log), "--critical-pattern", pattern, "-t", "600"]
        peer = [CHECK_LOGFILES, "--seekfilesdir", str(folder / "seek"), "--protocolsdir", str(folder / "protocols"),
                "--logfile", str(log), "--tag", "bench", "--criticalpattern", pattern, "--allyoucaneat",
                "--noprotocol"]
        samples: dict[str, list[float]] = {ours_name: [], peer_name: []}
        codes: dict[str, int] = {}
        for _ in range(runs):
            for name, command in ((ours_name, ours), (peer_name, peer)):
                shutil.rmtree(folder / "seek", ignore_errors=True)
                (folder / "seek").mkdir()
                (folder / "protocols").mkdir(exist_ok=True)
                started = time.perf_counter()
                codes[name] = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).returncode
                samples[name].append(time.perf_counter() - started)
        results.append((pattern, [Timing(name, command, statistics.median(samples[name]), runs, codes[name])
                                  for name, command in ((ours_name, ours), (peer_name, peer))]))
    shutil.rmtree(folder, ignore_errors=True)
    return results


def cpu_seconds(argv: list[str]) -> float:
    """The user and system CPU time a command took: steadier than wall time on a shared machine."""
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    return usage.ru_utime + usage.ru_stime


def cpu_report(commands: list[tuple[str, list[str]]], runs: int) -> None:
    """The CPU time (user + system, workers included) of each command: what a busy machine cannot hide.

    Wall time shows the pieces scanned side by side only when the cores are free; CPU time
    shows the work done whatever else runs. Each check-log is set against the grep above it.
    """
    print(f"\nCPU time of the full scans (user + system, workers included; {runs} runs each, median)")
    print(f"{'command':<46} {'cpu':>10} {'ratio':>8}")
    base = 1.0
    for index, (name, command) in enumerate(commands):
        seconds = statistics.median(cpu_seconds_piped(command) for _ in range(runs))
        if index % 2 == 0:
            base = seconds
        print(f"{name:<46} {seconds * 1000:>8.1f}ms {seconds / base:>7.2f}x")


def cpu_seconds_piped(argv: list[str]) -> float:
    """cpu_seconds with stdout a pipe (grep with stdout on /dev/null stops at its first match)."""
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C"})
    assert child.stdout is not None
    child.stdout.read()
    _, _, usage = os.wait4(child.pid, 0)
    child.stdout.close()
    return usage.ru_utime + usage.ru_stime


def compare(older: str, newer: str, log: Path, runs: int) -> None:
    """The full scans by two installs of check-log, taking turns (who goes first alternates)."""
    never = ["-w", "100000000", "-c", "100000000"]
    cases = {"-e 'CRITICAL:'": ["-e", "CRITICAL:"], "-e 'ERROR|CRITICAL:'": ["-e", "ERROR|CRITICAL:"],
             "-e 'ERROR|CRITICAL:' --engine re": ["-e", "ERROR|CRITICAL:", "--engine", "re"]}
    print(f"CPU time of a full scan, {runs} runs each, taking turns; older: {older}")
    for name, args in cases.items():
        samples: dict[str, list[float]] = {"older": [], "newer": []}
        for round_number in range(runs + 1):
            order = [("older", older), ("newer", newer)]
            for label, program in (order if round_number % 2 else order[::-1]):
                seconds = cpu_seconds([program, str(log), *args, *never])
                if round_number:
                    samples[label].append(seconds)
        print(f"  check-log {name:36} " + "  ".join(
            f"{label} median {statistics.median(v) * 1000:.0f} ms (min {min(v) * 1000:.0f})"
            for label, v in samples.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5, help="runs of the full scans")
    parser.add_argument("--small-runs", type=int, default=20, help="runs of --since and --state")
    parser.add_argument("--peer-runs", type=int, default=1, help="runs of check_logfiles (about 40 s a GiB)")
    parser.add_argument("--against", metavar="CHECK_LOG", help="compare with another install's check-log")
    args = parser.parse_args()

    venv = bench_venv("hyperscan")
    check_log = str(venv / "check-log")
    python = str(venv / "python")
    log = Path(tempfile.gettempdir()) / f"cronchecks-bench-{args.size_mib}MiB.log"
    size = args.size_mib * 1024 * 1024
    if not log.exists() or abs(log.stat().st_size - size) > 1024 * 1024:
        print(f"generating {log} ({args.size_mib} MiB)...", flush=True)
        generate(log, size)
    print(f"log: {log}, {log.stat().st_size} bytes; CPU cores: {os.cpu_count()}")
    if args.against:
        compare(args.against, check_log, log, args.runs)
        return
    env = {"LC_ALL": "C"}
    never = ["-w", "100000000", "-c", "100000000"]  # judge nothing: measure the scan
    literal = measure_all([
        ("LC_ALL=C grep -c 'CRITICAL:'", ["grep", "-c", "CRITICAL:", str(log)]),
        ("check-log -e 'CRITICAL:'", [check_log, str(log), "-e", "CRITICAL:", *never]),
    ], args.runs, warmup=1, env=env)
    report("literal, full scan", literal, "LC_ALL=C grep -c 'CRITICAL:'")
    regex = measure_all([
        ("LC_ALL=C grep -cE 'ERROR|CRITICAL:'", ["grep", "-cE", "ERROR|CRITICAL:", str(log)]),
        ("check-log -e 'ERROR|CRITICAL:' (hyperscan)", [check_log, str(log), "-e", "ERROR|CRITICAL:", *never]),
        ("check-log -e 'ERROR|CRITICAL:' --engine re", [check_log, str(log), "-e", "ERROR|CRITICAL:",
                                                        "--engine", "re", *never]),
    ], args.runs, warmup=1, env=env)
    report("two-pattern regex, full scan", regex, "LC_ALL=C grep -cE 'ERROR|CRITICAL:'")
    cpu_report([
        ("LC_ALL=C grep -c 'CRITICAL:'", ["grep", "-c", "CRITICAL:", str(log)]),
        ("check-log -e 'CRITICAL:'", [check_log, str(log), "-e", "CRITICAL:", *never]),
        ("LC_ALL=C grep -cE 'ERROR|CRITICAL:'", ["grep", "-cE", "ERROR|CRITICAL:", str(log)]),
        ("check-log -e 'ERROR|CRITICAL:' (hyperscan)", [check_log, str(log), "-e", "ERROR|CRITICAL:", *never]),
    ], args.runs)
    decoded = measure_all([
        ("check-log -e 'CRITICAL:' (bytes as they are)", [check_log, str(log), "-e", "CRITICAL:", *never]),
        ("check-log -e 'CRITICAL:' --encoding latin-1", [check_log, str(log), "-e", "CRITICAL:", "--encoding",
                                                         "latin-1", *never]),
    ], args.runs, warmup=1, env=env)
    report("a decoded encoding (--encoding latin-1: decoded to UTF-8, then scanned)", decoded,
           "check-log -e 'CRITICAL:' (bytes as they are)")
    if Path(CHECK_LOGFILES).exists() and args.peer_runs > 0:
        for pattern, timings in peer_runs(check_log, log, args.peer_runs):
            report(f"against check_logfiles, full scan, '{pattern}' (the ratio is how many times slower it is)",
                   timings, timings[0].name)
    else:
        print(f"\n{CHECK_LOGFILES} is not installed (monitoring-plugins-check-logfiles): no comparison with it")
    floor = [python, "-c", "import typer"]
    since = measure_all([
        ("python -c 'import typer' (floor)", floor),
        ("check-log -e 'CRITICAL:' --since 1h", [check_log, str(log), "-e", "CRITICAL:", "--since", "1h", "--tz",
                                                 "UTC", *never]),
        ("LC_ALL=C grep -c 'CRITICAL:' (whole file)", ["grep", "-c", "CRITICAL:", str(log)]),
    ], args.small_runs, warmup=2, env=env)
    report("--since 1h on the same file", since, "python -c 'import typer' (floor)")
    report("--state after 1 MB appended", state_runs(check_log, python, floor, log, args.small_runs),
           "python -c 'import typer' (floor)")


if __name__ == "__main__":
    main()
