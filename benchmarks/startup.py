"""Start-up cost of a check, side by side with the interpreter floor and Debian's check_file_age.

Run: python3 benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The script's folder goes last: benchmarks/http.py must not hide the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv, measure_all, plugin, report  # noqa: E402

HEAVY = ("requests", "rich", "psutil", "sqlalchemy", "jsonpath", "pydantic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    venv = bench_venv()
    python = str(venv / "python")
    beat = Path(tempfile.gettempdir()) / "cronchecks-bench.beat"
    beat.write_text("")

    imported = subprocess.run(
        [python, "-c", ("import sys; from cronchecks.cli import check_main; sys.argv[1:] = "
                        f"['--file', {str(beat)!r}, '-w', '5m', '-c', '15m']; import io, contextlib;"
                        "out = io.StringIO()\nwith contextlib.redirect_stdout(out): check_main('heartbeat')\n"
                        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")],
        capture_output=True, text=True).stdout.split()
    heavy = [name for name in HEAVY if name in imported]
    print(f"heavy modules imported on the heartbeat --file path: {', '.join(heavy) or 'none'}")

    commands = [
        ("python -c pass", [python, "-c", "pass"]),
        ("python -c 'import typer' (floor)", [python, "-c", "import typer"]),
        ("check-heartbeat --file F -w 5m -c 15m",
         [str(venv / "check-heartbeat"), "--file", str(beat), "-w", "5m", "-c", "15m"]),
    ]
    file_age = plugin("check_file_age")
    if file_age:
        commands.append(("check_file_age -w 300 -c 900 -f F (Perl)",
                         [file_age, "-w", "300", "-c", "900", "-f", str(beat)]))
    else:
        print("check_file_age not installed (apt-get install monitoring-plugins-basic): left out")
    # check-service --process X vs check_procs -C X: a process of a known name, started here.
    sleeper = Path(tempfile.gettempdir()) / "ccbenchproc"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", sleeper)
    sleeper.chmod(0o755)
    running = subprocess.Popen([str(sleeper), "600"])
    commands.append(("check-service --process X", [str(venv / "check-service"), "--process", sleeper.name]))
    procs = plugin("check_procs")
    if procs:
        commands.append(("check_procs -C X -c 1: (C)", [procs, "-C", sleeper.name, "-c", "1:"]))
    else:
        print("check_procs not installed (apt-get install monitoring-plugins-basic): left out")
    try:
        timings = measure_all(commands, args.runs)
    finally:
        running.kill()
        running.wait()
    report(f"start-up, {os.uname().machine if hasattr(os, 'uname') else ''}", timings,
           "python -c 'import typer' (floor)")


if __name__ == "__main__":
    main()
