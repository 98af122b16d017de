"""Start-up cost of a check, side by side with the interpreter floor and Debian's check_file_age.

Run: python3 benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
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
        [python, "-c", "import sys; from checks.cli import check_main; sys.argv[1:] = "
         f"['--file', {str(beat)!r}, '-w', '5m', '-c', '15m']; import io, contextlib;"
         "out = io.StringIO()\nwith contextlib.redirect_stdout(out): check_main('heartbeat')\n"
         "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
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
        commands.append(("check_file_age -w 300 -c 900 -f F (Perl)", [file_age, "-w", "300", "-c", "900", "-f", str(beat)]))
    else:
        print("check_file_age not installed (apt-get install monitoring-plugins-basic): left out")
    timings = measure_all(commands, args.runs)
    report(f"start-up, {os.uname().machine if hasattr(os, 'uname') else ''}", timings,
           "python -c 'import typer' (floor)")


if __name__ == "__main__":
    main()
