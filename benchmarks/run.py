"""The wrapper's own cost when no alert is sent: `cronchecks run -- CMD` beside `CMD`.

Run: python3 benchmarks/run.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The script's folder goes last: benchmarks/http.py must not hide the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv, measure_all, plugin, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    venv = bench_venv()
    state = tempfile.mkdtemp(prefix="cronchecks-bench-state-")
    wrapper = [str(venv / "cronchecks"), "run", "--state-dir", state]
    true = shutil.which("true") or "/bin/true"
    commands = [
        ("true", [true]),
        ("cronchecks run --name x -- true", [*wrapper, "--name", "x", "--", true]),
        ("python -c 'import typer' (floor)", [str(venv / "python"), "-c", "import typer"]),
    ]
    dummy = plugin("check_dummy")
    if dummy:
        commands += [
            ("check_dummy 0", [dummy, "0"]),
            ("cronchecks run -- check_dummy 0", [*wrapper, "--", dummy, "0", "fine"]),
        ]
    else:
        print("check_dummy not installed (apt-get install monitoring-plugins-basic): left out")
    timings = measure_all(commands, args.runs)
    report("cronchecks run overhead (no alert sent)", timings, "true")
    by_name = {t.name: t.median for t in timings}
    overhead = by_name["cronchecks run --name x -- true"] - by_name["true"]
    print(f"\nwrapper overhead around `true`: {overhead * 1000:.1f} ms median")
    if dummy:
        plugin_overhead = by_name["cronchecks run -- check_dummy 0"] - by_name["check_dummy 0"]
        print(f"wrapper overhead around check_dummy: {plugin_overhead * 1000:.1f} ms median")
    floor = by_name["python -c 'import typer' (floor)"]
    print(f"of which the interpreter with typer is {floor * 1000:.1f} ms")
    shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
