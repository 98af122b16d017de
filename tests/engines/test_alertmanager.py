"""Alertmanager: cronchecks -> Debian's prometheus-alertmanager -> a webhook receiver in Alertmanager's own route.

Alertmanager runs with resolve_timeout 2s, so an alert that were not refreshed would resolve
between runs; group_wait 0s so that its notification reaches the receiver at once.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.alerting_fixtures import QuickHTTP
from tests.conftest import Reply, run_console_script
from tests.daemon_fixtures import free_port, wait_until
from tests.engine_fixtures import get, start_alertmanager


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """(Alertmanager, the receiver its route notifies): started once for the module."""
    with QuickHTTP() as receiver:
        receiver.routes["/am"] = Reply(200, b"")
        engine = start_alertmanager(tmp_path_factory.mktemp("alertmanager"), f"{receiver.url}/am")
        yield engine, receiver
        engine.daemon.stop()


def alerts(alertmanager, check: str) -> list[dict]:
    """The alerts Alertmanager holds for one check (active, silenced or inhibited; resolved ones are gone)."""
    query = urllib.parse.urlencode({"filter": f'check="{check}"'})
    return list(get(f"{alertmanager.url}/api/v2/alerts?{query}"))


def notifications(receiver, check: str) -> list[tuple[str, dict]]:
    """(group status, alert) of every notification Alertmanager sent the receiver for one check."""
    found = []
    for request in list(receiver.requests):
        if request["path"] != "/am":
            continue
        body = json.loads(request["body"])
        found += [(body["status"], alert) for alert in body["alerts"] if alert["labels"].get("check") == check]
    return found


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(tmp_path, name: str, code: int, line: str, *more: str, env: dict | None = None):
    script = f"echo {json.dumps(line)}; exit {code}"
    return run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", name,
                              "--host", "web01", "--nagios", *more, "--", "sh", "-c", script, env=env)


def test_a_failing_check_fires_stays_firing_past_resolve_timeout_and_resolves_on_recovery(chain, tmp_path):
    alertmanager, receiver = chain
    more = ("--alertmanager", alertmanager.url, "--alertmanager-label", "team=ops")
    started = time.time()
    first = run(tmp_path, "disk-full", 2, "DISK CRITICAL - / is 97% full", *more)
    assert first.code == 2 and not first.stderr, first
    [alert] = alerts(alertmanager, "disk-full")
    assert alert["labels"] == {"alertname": "cronchecks", "check": "disk-full", "host": "web01",
                               "severity": "critical", "team": "ops"}
    assert alert["annotations"]["summary"] == "DISK CRITICAL - / is 97% full"
    assert alert["annotations"]["output"].startswith("DISK CRITICAL - / is 97% full")
    assert alert["status"]["state"] == "active"
    starts = epoch(alert["startsAt"])
    assert started - 1 <= starts <= time.time()
    assert epoch(alert["endsAt"]) >= time.time() + 290  # at least 5 minutes ahead, not resolve_timeout's 2 s
    wait_until(lambda: tuple(status for status, _ in notifications(receiver, "disk-full")) == ("firing", ),
               within=10, what="Alertmanager's firing notification at the receiver")

    for _ in range(2):  # runs further apart than resolve_timeout: refreshed, never resolved in between
        time.sleep(2.2)
        again = run(tmp_path, "disk-full", 2, "DISK CRITICAL - / is 98% full", *more)
        assert again.code == 2 and not again.stderr, again
        [alert] = alerts(alertmanager, "disk-full")
        assert alert["status"]["state"] == "active" and epoch(alert["startsAt"]) == pytest.approx(starts, abs=0.01)
    assert alert["annotations"]["summary"] == "DISK CRITICAL - / is 98% full"
    assert [status for status, _ in notifications(receiver, "disk-full")] == ["firing"]  # one message, not three

    recovered = run(tmp_path, "disk-full", 0, "DISK OK - / is 60% full", *more)
    assert recovered.code == 0 and not recovered.stderr, recovered
    assert alerts(alertmanager, "disk-full") == []
    wait_until(lambda: [s for s, _ in notifications(receiver, "disk-full")] == ["firing", "resolved"], within=10,
               what="Alertmanager's resolved notification at the receiver")
    [(_, resolved)] = [n for n in notifications(receiver, "disk-full") if n[0] == "resolved"]
    assert resolved["labels"]["severity"] == "critical" and resolved["labels"]["host"] == "web01"
    quiet = run(tmp_path, "disk-full", 0, "DISK OK - / is 60% full", *more)  # OK after OK posts nothing
    assert quiet.code == 0 and alerts(alertmanager, "disk-full") == []


def test_a_change_of_severity_resolves_the_old_alert_and_after_waits_for_a_hard_state(chain, tmp_path):
    alertmanager, _ = chain
    more = ("--alertmanager", alertmanager.url, "--after", "2")
    run(tmp_path, "queue", 1, "QUEUE WARNING - 120 waiting", *more)
    assert alerts(alertmanager, "queue") == []  # a soft state: --after 2 has not been reached
    run(tmp_path, "queue", 1, "QUEUE WARNING - 150 waiting", *more)
    assert [a["labels"]["severity"] for a in alerts(alertmanager, "queue")] == ["warning"]
    run(tmp_path, "queue", 2, "QUEUE CRITICAL - 900 waiting", *more)
    assert [a["labels"]["severity"] for a in alerts(alertmanager, "queue")] == ["critical"]
    run(tmp_path, "queue", 3, "QUEUE UNKNOWN - cannot read the queue", *more)
    [alert] = alerts(alertmanager, "queue")
    assert alert["labels"]["severity"] == "unknown"


def test_a_post_that_fails_waits_in_the_outbox_and_goes_first_next_run(chain, tmp_path):
    _, receiver = chain
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = run(tmp_path, "late", 2, "LATE CRITICAL - down", "--alertmanager", url, "--notify-timeout", "1s")
    assert first.code == 2 and "kept in the outbox" in first.stderr, first
    first_at = time.time()
    late = start_alertmanager(tmp_path / "late-am", f"{receiver.url}/am", port=port)
    try:
        second = run(tmp_path, "late", 2, "LATE CRITICAL - still down", "--alertmanager", url)
        assert second.code == 2 and not second.stderr, second
        [alert] = alerts(late, "late")
        assert epoch(alert["startsAt"]) < first_at  # the problem began at the first, queued, run
        assert alert["annotations"]["summary"] == "LATE CRITICAL - still down"
    finally:
        late.daemon.stop()


def test_a_suite_file_posts_with_its_keys(chain, tmp_path):
    alertmanager, _ = chain
    suite = tmp_path / "edge.toml"
    suite.write_text(f"""
[defaults]
alertmanager = "{alertmanager.url}"
alertmanager-label = ["env=prod"]
alertmanager-refresh = "1h"

[[check]]
name = "edge-cert"
type = "command"
argv = ["sh", "-c", "echo 'CERT WARNING - expires in 9 days'; exit 1"]
""")
    done = run_console_script("cronchecks", "suite", str(suite), "--state-dir", str(tmp_path / "state"),
                              "--host", "edge01")
    assert done.code == 1 and not done.stderr, done
    [alert] = alerts(alertmanager, "edge-cert")
    assert alert["labels"] == {"alertname": "cronchecks", "check": "edge-cert", "host": "edge01",
                               "severity": "warning", "env": "prod"}
    assert epoch(alert["endsAt"]) == pytest.approx(time.time() + 3600, abs=30)


@pytest.mark.filterwarnings("ignore:'crypt' is deprecated:DeprecationWarning")
def test_basic_credentials_from_a_file_against_alertmanager_with_auth(chain, tmp_path):
    """Alertmanager's own --web.config.file with a bcrypt user: without credentials 401, refused for good."""
    import crypt  # bcrypt through libxcrypt (deprecated, there in 3.11)

    _, receiver = chain
    hashed = crypt.crypt("am-pass-1", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    (tmp_path / "web.yml").write_text(json.dumps({"basic_auth_users": {"cron": hashed}}))
    guarded = start_alertmanager(tmp_path / "guarded", f"{receiver.url}/am",
                                 options=("--web.config.file", str(tmp_path / "web.yml")))
    try:
        more = ("--alertmanager", guarded.url)
        refused = run(tmp_path, "guarded", 2, "G CRITICAL - x", *more)
        assert refused.code == 2 and "HTTP 401" in refused.stderr and "permanent" in refused.stderr, refused
        (tmp_path / "pw").write_text("am-pass-1\n")
        env = {"CRONCHECKS_ALERTMANAGER_USER": "cron", "CRONCHECKS_ALERTMANAGER_PASSWORD_FILE": str(tmp_path / "pw")}
        allowed = run(tmp_path, "guarded", 2, "G CRITICAL - x", *more, env=env)
        assert allowed.code == 2 and not allowed.stderr, allowed
    finally:
        guarded.daemon.stop()


def test_a_bearer_token_is_sent_and_never_shown(receiver, tmp_path):
    """Alertmanager itself takes no bearer tokens (a proxy in front of it does): the loopback receiver checks it."""
    receiver.routes["/api/v2/alerts"] = Reply(200, b"")
    (tmp_path / "token").write_text("tok-123456\n")
    done = run(tmp_path, "tokened", 2, "T CRITICAL - x", "--alertmanager", receiver.url,
               env={"CRONCHECKS_ALERTMANAGER_TOKEN_FILE": str(tmp_path / "token")})
    assert done.code == 2 and not done.stderr, done
    [request] = [r for r in receiver.requests if r["path"] == "/api/v2/alerts"]
    assert request["headers"]["Authorization"] == "Bearer tok-123456"
    [alert] = json.loads(request["body"])
    assert alert["labels"]["check"] == "tokened"


@pytest.mark.parametrize("given,said", [
    (("--alertmanager", "alertmanager:9093"), "invalid --alertmanager"),
    (("--alertmanager", "http://127.0.0.1:9", "--alertmanager-label", "severity=page"), "sets the label severity"),
    (("--alertmanager-label", "team=ops"), "go with --alertmanager"),
    (("--alertmanager", "http://127.0.0.1:9", "--alertmanager-refresh", "0s"), "alertmanager-refresh"),
])
def test_option_mistakes_are_one_unknown_line_before_the_job_runs(tmp_path, given, said):
    marker = tmp_path / "ran"
    done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path), *given, "--", "touch", str(marker))
    assert done.code == 3 and said in done.first_line and "UNKNOWN" in done.first_line, done
    assert not marker.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(statuses=st.lists(st.sampled_from(["OK", "WARNING", "CRITICAL", "UNKNOWN"]), min_size=1, max_size=12),
       after=st.integers(1, 3))
def test_what_alertmanager_holds_is_always_the_checks_hard_state(tmp_path_factory, statuses, after):
    """Any sequence of results, through the real store and recorder, leaves Alertmanager's view right.

    Alertmanager's memory is modelled as it merges posts (labels -> endsAt): after every run,
    the alerts it holds active are exactly the current severity once --after runs failed in a
    row, and none otherwise.
    """
    from cronchecks.alerting.channels.alertmanager import AlertmanagerChannel, alerts_for
    from cronchecks.alerting.policy import Policy
    from cronchecks.alerting.recorder import record_result
    from cronchecks.alerting.store import Store
    from cronchecks.core.result import Status

    channel = AlertmanagerChannel("http://127.0.0.1:9", {}, None, {})
    store = Store(tmp_path_factory.mktemp("store"))
    held: dict[str, float] = {}  # severity label -> endsAt
    failing = 0
    start = time.time()
    try:
        for index, name in enumerate(statuses):
            at = start + 60 * index
            status = Status[name]
            record_result(store, check="c", host="h", status=status, exit_code=int(status), duration=0.1,
                          summary=f"C {name}", perfdata=(), output="", at=at, policy=Policy(after=after),
                          channels=[channel], keep=None)
            for entry in store.outbox():
                if channel.accepts(entry.event):
                    for alert in alerts_for(entry.event, {}, None, None, now=at):
                        held[alert["labels"]["severity"]] = epoch(alert["endsAt"])
                store.delivered(entry.id)
            failing = failing + 1 if status is not Status.OK else 0
            active = {level for level, ends in held.items() if ends > at}
            expected = {name.lower()} if failing >= after else set()
            assert active == expected, (statuses[:index + 1], after, held)
    finally:
        store.close()
