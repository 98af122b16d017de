"""check-integrity --manifest vs `sha256sum -c --quiet` and `b2sum -c --quiet` on the same manifests.

A generated tree in /tmp (never in the repository): 2,000 files of 512 KiB, and one file
of 1 GiB. The manifests are written by the real sha256sum and b2sum, with absolute names,
and each command checks the same one, taking turns round after round.

Run: python3 benchmarks/integrity.py [--runs N] [--dir /tmp/cronchecks-bench/integrity]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import bench_venv, measure_all, report

MANY, MANY_SIZE = 2000, 512 * 1024
BIG_SIZE = 1 << 30


def _fill(path: Path, size: int) -> None:
    if path.exists() and path.stat().st_size == size:
        return
    with path.open("wb") as handle:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 << 20))
            handle.write(chunk)
            left -= len(chunk)


def make_tree(base: Path) -> tuple[Path, Path]:
    many, big = base / "many", base / "big"
    many.mkdir(parents=True, exist_ok=True)
    big.mkdir(parents=True, exist_ok=True)
    for index in range(MANY):
        _fill(many / f"file-{index:04d}.bin", MANY_SIZE)
    _fill(big / "one.bin", BIG_SIZE)
    return many, big


def tool_manifest(tool: str, folder: Path, manifest: Path) -> Path:
    files = sorted(str(p) for p in folder.iterdir() if p.is_file())
    with manifest.open("wb") as out:
        subprocess.run([tool, "--", *files], stdout=out, check=True)
    return manifest


def cpu_seconds(command: list[str], runs: int) -> float:
    """Median user+system CPU time of a command: unlike wall time, it holds on a busy machine."""
    import statistics

    samples = []
    for _ in range(runs):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
        samples.append(usage.ru_utime + usage.ru_stime)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default="/tmp/cronchecks-bench/integrity")
    args = parser.parse_args()

    sha256sum, b2sum = shutil.which("sha256sum"), shutil.which("b2sum")
    if not sha256sum or not b2sum:
        sys.exit("needs GNU coreutils' sha256sum and b2sum")
    base = Path(args.dir)
    print(f"generating (or reusing) the tree in {base} ...", flush=True)
    many, big = make_tree(base)
    venv = bench_venv()
    check = str(venv / "check-integrity")
    print(f"CPUs: {os.cpu_count()}; {MANY} x {MANY_SIZE // 1024} KiB and 1 x {BIG_SIZE >> 30} GiB, page cache warm")
    for label, folder, target in (("2,000 files of 512 KiB", many, 5.0), ("one file of 1 GiB", big, 3.5)):
        sha = tool_manifest(sha256sum, folder, base / f"{folder.name}.sha256")
        b2 = tool_manifest(b2sum, folder, base / f"{folder.name}.b2")
        commands = [
            ("sha256sum -c --quiet", [sha256sum, "-c", "--quiet", str(sha)]),
            ("check-integrity -m M.sha256", [check, "-m", str(sha), "-t", "10m"]),
            ("b2sum -c --quiet", [b2sum, "-c", "--quiet", str(b2)]),
            ("check-integrity -m M.b2", [check, "-m", str(b2), "-t", "10m"]),
        ]
        timings = measure_all(commands, runs=args.runs, warmup=1)
        report(f"integrity, {label}", timings, "sha256sum -c --quiet")
        cpu = {name: cpu_seconds(command, args.runs) for name, command in commands}
        print("CPU time (user+system), median: " + ", ".join(
            f"{name} {seconds:.2f}s" for name, seconds in cpu.items()))
        sha256_ratio = cpu["sha256sum -c --quiet"] / cpu["check-integrity -m M.sha256"]
        b2_ratio = cpu["b2sum -c --quiet"] / cpu["check-integrity -m M.b2"]
        print(f"CPU ratios: sha256sum / check-integrity {sha256_ratio:.2f}x, b2sum / check-integrity {b2_ratio:.2f}x")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        b2_base = next(t for t in timings if t.name == "b2sum -c --quiet").median
        ours_b2 = next(t for t in timings if t.name == "check-integrity -m M.b2").median
        print(f"(check-integrity on the b2 manifest: {b2_base / ours_b2:.2f}x as fast as b2sum)")
        sha_base = next(t for t in timings if t.name == "sha256sum -c --quiet").median
        ours_sha = next(t for t in timings if t.name == "check-integrity -m M.sha256").median
        print(f"target, {label}: at least {target}x sha256sum -c: {sha_base / ours_sha:.2f}x wall "
              f"({sha256_ratio:.2f}x in CPU time), {'met' if sha_base / ours_sha >= target else 'missed'}")


if __name__ == "__main__":
    main()
