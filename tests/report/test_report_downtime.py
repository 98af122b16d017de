"""The report counts downtime apart: results recorded in a downtime hold time outside every uptime, and show."""

from __future__ import annotations

import json
import time

from cronchecks.alerting.policy import Policy
from cronchecks.alerting.recorder import record_result
from cronchecks.alerting.store import Store
from cronchecks.core.result import Status
from tests.conftest import run_console_script


def record(store: Store, status: Status, at: float) -> None:
    record_result(store, check="db", host="h", status=status, exit_code=int(status), duration=0.1, summary="s",
                  perfdata=(), output="", at=at, policy=Policy(), channels=(), keep=None)


def test_uptime_is_over_the_time_outside_downtimes_and_the_downtime_is_shown(tmp_path):
    now = time.time()
    store = Store(tmp_path)
    store.add_downtime(["d*"], now - 3700, now - 3500, "disk swap", now - 3700)
    record(store, Status.CRITICAL, now - 3600)  # in the downtime: held, and counted apart
    record(store, Status.OK, now - 1800)
    store.close()
    done = run_console_script("cronchecks", "report", "--format", "json", "--state-dir", str(tmp_path))
    assert done.code == 0, done.stdout
    check, = json.loads(done.stdout)["checks"]
    assert check["uptime"] == 100.0  # not 50 %: the failing half hour was in a downtime
    assert 1799 < check["in_downtime"] < 1801 and check["seconds"]["CRITICAL"] == 0
    today = check["daily"][-1]
    assert today["in_downtime"] > 0 or check["daily"][-2]["in_downtime"] > 0  # the hour may straddle midnight
    incident, = check["incidents"]
    assert 1799 < incident["in_downtime"] < 1801
    page = tmp_path / "status.html"
    drawn = run_console_script("cronchecks", "report", "--quiet", "--html", str(page), "--state-dir", str(tmp_path))
    assert drawn.code == 0 and "in downtime" in page.read_text()  # on the day's bar and in the incidents table
