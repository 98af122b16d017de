"""The status page at scale: 200 checks with 90 days of history, the page's size and its render time in Chromium.

Run: python3 benchmarks/report.py [--checks 200] [--every 3600] [--days 90]

The store is filled straight into its tables (the same rows `cronchecks run` writes, without running the alert
policy for each of millions of rows); then `cronchecks report --html` and `--format json` are timed, the page's
size is read, and Debian's headless Chromium loads it in a probe page that reports how long the page took from
navigation to its layout being done (the browser's own start-up left out).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
from harness import bench_venv  # noqa: E402

PROBE = """<!doctype html><html><body><iframe id="page" src="{src}" style="width:1280px;height:900px"></iframe>
<pre id="out"></pre><script>
var began = performance.now();
document.getElementById('page').addEventListener('load', function () {{
  var doc = this.contentDocument, width = doc.documentElement.scrollWidth;  // forces style and layout
  document.getElementById('out').textContent = 'PROBE' + JSON.stringify({{ms: performance.now() - began,
    width: width, nodes: doc.getElementsByTagName('*').length}});
}});
</script></body></html>"""


def fill(python: Path, folder: Path, checks: int, every: float, days: int, end: float) -> int:
    """`checks` checks, each with a result every `every` seconds for `days` days, a few incidents each."""
    # The schema as the wrapper makes it, by the installed package itself.
    schema = ("import sys; from pathlib import Path; from cronchecks.alerting.store import Store; "
              "Store(Path(sys.argv[1])).close()")
    subprocess.run([str(python), "-c", schema, str(folder)], check=True)
    rng = random.Random(42)
    db = sqlite3.connect(folder / "cronchecks.sqlite3")
    rows = 0
    with db:
        for index in range(checks):
            name = f"check-{index:03d}"
            bad = {int(rng.uniform(0, days * 86400 / every)) for _ in range(rng.randint(0, 6))}
            at, step, status, batch = end - days * 86400, 0, 0, []
            while at <= end:
                if step in bad:
                    status = rng.choice((1, 2))
                elif status and rng.random() < 0.5:
                    status = 0
                value = round(rng.lognormvariate(-2, 0.4), 4)
                batch.append((name, at, status, status, 0.1, f"HTTP {'OK' if not status else 'CRITICAL'} - {value}",
                              json.dumps([{"label": "time", "value": value, "uom": "s"}])))
                at, step = at + every, step + 1
            db.executemany("INSERT INTO results (check_name, at, status, exit_code, duration, summary, perfdata) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", batch)
            db.execute("INSERT INTO checks (name, status, since, consecutive, last_run, last_summary) "
                       "VALUES (?, ?, ?, 1, ?, ?)", (name, batch[-1][2], batch[-1][1], batch[-1][1], batch[-1][5]))
            rows += len(batch)
    db.close()
    return rows


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--every", type=float, default=3600.0, help="seconds between a check's results")
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    venv = bench_venv()
    work = Path(tempfile.mkdtemp(prefix="cronchecks-bench-report-"))
    end = time.time() // 3600 * 3600
    started = time.perf_counter()
    rows = fill(venv / "python", work / "state", args.checks, args.every, args.days, end)
    print(f"store: {args.checks} checks, {rows:,} results ({args.days} days, one each {args.every:g} s), "
          f"filled in {time.perf_counter() - started:.1f} s")
    report = [str(venv / "cronchecks"), "report", "--state-dir", str(work / "state"), "--until", str(int(end)),
              "--days", str(args.days)]
    page = work / "status.html"
    seconds, done = timed([*report, "--html", str(page), "-q"])
    assert done.returncode == 0, done.stdout + done.stderr
    size = page.stat().st_size
    print(f"$ cronchecks report --html status.html --days {args.days}: {seconds:.2f} s; "
          f"page {size / 1e6:.2f} MB ({size / args.checks / 1e3:.1f} kB a check)")
    seconds, done = timed([*report, "--format", "json"])
    print(f"$ cronchecks report --format json --days {args.days}: {seconds:.2f} s; document "
          f"{len(done.stdout) / 1e6:.2f} MB")
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium not installed (apt-get install chromium): render time left out")
    else:
        probe = work / "probe.html"
        probe.write_text(PROBE.format(src=page.name))
        figures = []
        for _ in range(3):
            done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                                   f"--user-data-dir={work / 'profile'}", "--allow-file-access-from-files",
                                   "--virtual-time-budget=30000", "--dump-dom", probe.as_uri()],
                                  capture_output=True, text=True, check=False)
            found = re.search(r"PROBE(\{.*?\})", done.stdout)
            if found:
                figures.append(json.loads(found.group(1).replace("&quot;", '"')))
        if figures:
            best = sorted(figure["ms"] for figure in figures)[len(figures) // 2]
            print(f"headless Chromium (1280 px): the page loaded and laid out in {best:.0f} ms (median of "
                  f"{len(figures)}), {figures[0]['nodes']:,} elements")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
