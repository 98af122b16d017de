"""`cronchecks demo`, the README's first command: runs to exit 0 and leaves nothing behind."""

import re
import tempfile
from pathlib import Path

import psutil

from cronchecks.core.registry import CHECKS, CheckSpec, DemoCommand
from cronchecks.demo.tour import Tour, demo_argv, demo_values
from tests.conftest import run_console_script


def test_demo_tours_every_check_and_exits_zero_leaving_nothing(tmp_path):
    leftovers_before = set(Path(tempfile.gettempdir()).glob("cronchecks-demo-*"))
    done = run_console_script("cronchecks", "demo", timeout=120, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.code == 0, done.stdout[-3000:]
    out = done.stdout
    for command in ("$ check-http ", "$ check-heartbeat --file", "$ check-heartbeat --url", "$ check-log ",
                    "$ check-service ", "$ check-integrity --create", "$ cronchecks suite ", "$ cronchecks run ",
                    "$ cronchecks report "):
        assert command in out, command
    for name in CHECKS:
        assert f"$ check-{name} " in out, f"the tour does not run check-{name}"
    assert "HTTP CRITICAL - 503 Service Unavailable" in out
    assert "the webhook received: PROBLEM web-health is CRITICAL" in out
    assert "the webhook received: RECOVERY web-health is OK, down " in out
    assert out.count("the webhook received: PROBLEM") == 1  # announced once, not every run
    assert "Every step answered as expected" in out
    named = re.search(r"pid (\d+)", out)
    assert named, out
    pid = int(named.group(1))
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert set(Path(tempfile.gettempdir()).glob("cronchecks-demo-*")) == leftovers_before
    # It ends by writing the status page where it stays, and says where.
    page = tmp_path / "cache" / "cronchecks" / "demo" / "status.html"
    assert f"The status page (one file, nothing fetched): {page}" in out
    html = page.read_text()
    assert "<h1>cronchecks demo</h1>" in html and "<h3>web-health</h3>" in html and "Daily uptime, 90 days" in html


def test_demo_keeps_its_store_where_asked(tmp_path):
    done = run_console_script("cronchecks", "demo", "--state-dir", str(tmp_path / "state"), timeout=120)
    assert done.code == 0
    assert (tmp_path / "state" / "cronchecks.sqlite3").exists()
    assert (tmp_path / "state" / "status.html").is_file()


def test_every_check_has_demo_lines_the_tour_can_fill():
    values = demo_values("http://127.0.0.1:8080", Path("/srv/demo"))
    for spec in CHECKS.values():
        assert spec.demo, f"{spec.name}: no demo lines in its registry entry, so the tour leaves it out"
        for command in spec.demo:
            argv = demo_argv(spec, command, values)  # a KeyError: a placeholder the tour does not fill
            assert argv[0] == f"check-{spec.name}" and not any("{" in part for part in argv), argv
            assert command.healthy in (0, 1, 2, 3) and command.broken in (None, 0, 1, 2, 3)


def test_a_new_check_joins_the_tour_by_its_registry_entry_alone(monkeypatch):
    extra = CheckSpec("extra", "EXTRA", "x:y", "x:z", "x:w", "number", "An extra check.", demo=(
        DemoCommand(("--probe", "{url}/extra", "--in", "{folder}"), healthy=0, broken=2),
        DemoCommand(("--only-when-healthy", "{address}"), healthy=1)))
    monkeypatch.setitem(CHECKS, "extra", extra)
    told: list[str] = []
    tour = Tour(told.append, None, False)
    try:
        tour.base = "http://127.0.0.1:8080"
        ran: list[tuple[list[str], int | None]] = []
        monkeypatch.setattr(tour, "run", lambda shown, expect=None, argv=None: ran.append((shown, expect)))
        tour.checks(broken=False)
        healthy = [entry for entry in ran if entry[0][0] == "check-extra"]
        ran.clear()
        tour.checks(broken=True)
        broken = [entry for entry in ran if entry[0][0] == "check-extra"]
    finally:
        tour.close()
    assert healthy == [(["check-extra", "--probe", "http://127.0.0.1:8080/extra", "--in", str(tour.work)], 0),
                       (["check-extra", "--only-when-healthy", "127.0.0.1:8080"], 1)]
    assert broken == [(["check-extra", "--probe", "http://127.0.0.1:8080/extra", "--in", str(tour.work)], 2)]
