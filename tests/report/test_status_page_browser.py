"""The status page and the fleet page in Debian's headless Chromium: a phone and a desktop, light and dark.

The screenshots are kept as artifacts in build/test-artifacts/report/ (a CI run's pictures of the page). Layout
is measured inside Chromium: the page is loaded into a 390 or 1280 px wide iframe of a wrapper page written for
the test, whose script reads the page's width, colour scheme, text and the resources it fetched (none).
"""

from __future__ import annotations

import html as html_module
import json
import os
import re
import time
from pathlib import Path

import pytest

from cronchecks.core.result import Status
from tests.conftest import run_console_script
from tests.report_fixtures import CHROMIUM, DAY, HOUR, Run, T, api_runs, chromium, read_png, record

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "report"
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="headless Chromium is not installed (Debian: apt-get install chromium)")

_PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="page" src="{src}" style="width:{width}px;height:900px;border:0"></iframe><pre id="out">pending</pre>
<script>
document.getElementById('page').addEventListener('load', function () {{
  var doc = this.contentDocument, win = this.contentWindow;
  document.getElementById('out').textContent = 'PROBE' + JSON.stringify({{
    scrollWidth: doc.documentElement.scrollWidth, innerWidth: win.innerWidth,
    dark: win.matchMedia('(prefers-color-scheme: dark)').matches,
    resources: win.performance.getEntriesByType('resource').map(function (e) {{ return e.name; }}),
    text: doc.body.innerText,
    header: win.getComputedStyle(doc.querySelector('header')).backgroundColor
  }});
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """A host's page (90 days, incidents, gaps) and a fleet page of two hosts, written by the real command."""
    if CHROMIUM is None:
        pytest.fail("headless Chromium is missing: apt-get install chromium (.ci/run installs it)")
    folder = tmp_path_factory.mktemp("browser")
    env = {"TZ": "UTC"}
    web1, web2 = folder / "web1", folder / "web2"
    record(web1, "api", api_runs())
    record(web1, "checkout-page-with-a-rather-long-name-that-must-wrap", [
        Run(T - 20 * DAY + i * HOUR, Status.OK if i % 97 else Status.WARNING, 0.2, 0.2 + (i % 13) / 20)
        for i in range(0, 20 * 24, 3)])
    record(web1, "nightly-backup", [Run(T - d * DAY, Status.OK, 300.0) for d in range(40, 0, -1)])
    record(web2, "db-heartbeat", [Run(T - 5 * DAY, Status.OK, 0.05), Run(T - 2 * HOUR, Status.CRITICAL, 0.05)])
    until = str(int(T))
    page = folder / "status.html"
    done = run_console_script("cronchecks", "report", "--state-dir", str(web1), "--until", until, "--host", "web1",
                              "--html", str(page), "-q", env=env)
    assert done.code == 0, done.stdout + done.stderr
    documents = []
    for host, store in (("web1", web1), ("web2", web2)):
        done = run_console_script("cronchecks", "report", "--state-dir", str(store), "--until", until, "--host",
                                  host, "--format", "json", env=env)
        assert done.code == 0, done.stderr
        documents.append(folder / f"{host}.json")
        documents[-1].write_text(done.stdout)
    fleet = folder / "fleet.html"
    done = run_console_script("cronchecks", "report", "--merge", *map(str, documents), "--html", str(fleet), env=env)
    assert done.code == 0, done.stderr
    return {"page": page, "fleet": fleet}


def probe(page: Path, width: int, dark: bool, profile: Path) -> dict:
    wrapper = page.with_name(f"probe-{page.stem}-{width}-{'dark' if dark else 'light'}.html")
    wrapper.write_text(_PROBE.format(src=page.name, width=width))
    done = chromium(["--allow-file-access-from-files", "--virtual-time-budget=5000",
                     *(["--force-dark-mode"] if dark else []), "--dump-dom", wrapper.as_uri()], profile)
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"PROBE(\{.*?\})</pre>", done.stdout, re.DOTALL)
    assert found, done.stdout[-2000:]
    return json.loads(html_module.unescape(found.group(1)))


@pytest.mark.parametrize("which", ["page", "fleet"])
@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_page_in_chromium(pages, tmp_path, which, width, dark):
    seen = probe(pages[which], width, dark, tmp_path / "profile")
    assert seen["innerWidth"] == width and seen["dark"] is dark
    assert seen["scrollWidth"] <= width, f"{seen['scrollWidth']} px wide in a {width} px window: it scrolls sideways"
    assert seen["resources"] == []  # nothing fetched: no font, image, sheet or script
    text = seen["text"]
    names = ["api", "checkout-page-with-a-rather-long-name-that-must-wrap", "nightly-backup"]
    if which == "fleet":
        names.append("db-heartbeat")
        assert "web1" in text and "web2" in text
    for name in names:
        assert name in text
    for word in ("\u2713 ok", "uptime 24 h", "uptime 7 days", "uptime 90 days", "incidents"):
        assert word in text.lower()  # innerText as shown: the figures' names are in capitals
    assert re.search(r"\d+(\.\d\d)?%", text)
    # The header is drawn in the worst state's colour, in the scheme in use: web2's db-heartbeat is CRITICAL.
    colours = {("OK", False): "rgb(23, 117, 63)", ("OK", True): "rgb(63, 184, 113)",
               ("CRITICAL", False): "rgb(196, 47, 47)", ("CRITICAL", True): "rgb(240, 106, 106)"}
    assert seen["header"] == colours[("CRITICAL" if which == "fleet" else "OK", dark)]


@pytest.mark.parametrize("which", ["page", "fleet"])
@pytest.mark.parametrize("width,height", [(390, 1800), (1280, 1400)])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots_are_kept_as_artifacts(pages, tmp_path, which, width, height, dark):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{which}-{width}-{'dark' if dark else 'light'}.png"
    started = time.monotonic()
    done = chromium([f"--screenshot={shot}", f"--window-size={width},{height}",
                     *(["--force-dark-mode"] if dark else []), pages[which].as_uri()], tmp_path / "profile")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = read_png(shot)
    assert (image.width, image.height) == (width, height)
    background = (0x12, 0x15, 0x1B) if dark else (0xF4, 0xF6, 0xF8)
    assert image.count(background, tolerance=2) > width * 20, "the scheme's background is not on the page"
    green = (0x3F, 0xB8, 0x71) if dark else (0x17, 0x75, 0x3F)
    assert image.count(green, tolerance=3) > 500, "no OK bars drawn"
    assert time.monotonic() - started < 60  # not a speed figure (benchmarks/report.py has those): a hang guard
