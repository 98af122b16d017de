"""Pushgateway: `run` and `suite` push to Debian's Pushgateway, read back from its API and from Prometheus."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import run_console_script
from tests.daemon_fixtures import free_port, wait_until
from tests.engine_fixtures import get, start_prometheus, start_pushgateway


def group(pushgateway, **grouping: str) -> dict:
    """The metric families of the group with exactly these grouping labels, by name ({} when absent)."""
    for found in get(f"{pushgateway.url}/api/v1/metrics")["data"]:
        if found["labels"] == grouping:
            return {name: family for name, family in found.items() if name != "labels"}
    return {}


def values(family: dict) -> dict[str, float]:
    """`check` label -> value of every series of one family as the Pushgateway's API shows it."""
    return {series["labels"]["check"]: float(series["value"]) for series in family["metrics"]}


def test_run_pushes_its_group_and_keeps_the_last_success_across_a_failing_run(pushgateway, tmp_path):
    state = str(tmp_path / "state")
    push = ("--pushgateway", pushgateway.url, "--host", "db01")
    ok = run_console_script("cronchecks", "run", "--state-dir", state, "--name", "pg-dump", *push, "--",
                            "sh", "-c", "echo 'DUMP OK - 12 GB | size=12GB;;;0 time=310s'")
    assert ok.code == 0 and not ok.stderr, ok
    first = group(pushgateway, job="pg-dump", instance="db01")
    assert values(first["cronchecks_check_status"]) == {"pg-dump": 0}
    assert values(first["cronchecks_check_exit_code"]) == {"pg-dump": 0}  # a plain job
    success = values(first["cronchecks_check_last_success_timestamp_seconds"])["pg-dump"]
    assert values(first["cronchecks_check_last_run_timestamp_seconds"])["pg-dump"] == success
    perf = {series["labels"]["label"]: (float(series["value"]), series["labels"]["unit"])
            for series in first["cronchecks_perfdata"]["metrics"]}
    assert perf == {"size": (12e9, "bytes"), "time": (310.0, "seconds")}

    failed = run_console_script("cronchecks", "run", "--state-dir", state, "--name", "pg-dump", *push, "--",
                                "sh", "-c", "echo 'pg_dump: connection refused' >&2; exit 4")
    assert failed.code == 4 and not failed.stderr.count("not pushed"), failed
    second = group(pushgateway, job="pg-dump", instance="db01")
    assert values(second["cronchecks_check_status"]) == {"pg-dump": 2}
    assert values(second["cronchecks_check_exit_code"]) == {"pg-dump": 4}
    assert values(second["cronchecks_check_last_success_timestamp_seconds"]) == {"pg-dump": success}
    assert values(second["cronchecks_check_last_run_timestamp_seconds"])["pg-dump"] > success
    assert "cronchecks_perfdata" not in second  # PUT replaced the group: the old perfdata is gone


def test_a_suite_pushes_one_group_named_for_its_file_and_prometheus_reads_it_with_honor_labels(
        pushgateway, tmp_path):
    suite = tmp_path / "nightly.toml"
    suite.write_text("".join(
        f'\n[[check]]\nname = "{name}"\ntype = "command"\nargv = ["sh", "-c", {json.dumps(script)}]\n'
        for name, script in (("backup", "echo 'BACKUP OK - done'"),
                             ("vacuum", "echo 'VACUUM WARNING - slow | time=95s;60;120'; exit 1"))))
    done = run_console_script("cronchecks", "suite", str(suite), "--state-dir", str(tmp_path / "state"),
                              "--host", "db02", "--pushgateway", pushgateway.url, "--pushgateway-label", "env=prod")
    assert done.code == 1 and not done.stderr, done
    pushed = group(pushgateway, job="nightly", instance="db02", env="prod")
    assert values(pushed["cronchecks_check_status"]) == {"backup": 0, "vacuum": 1}
    assert "cronchecks_check_exit_code" not in pushed  # plugins: the status is the exit code

    prometheus = start_prometheus(tmp_path / "prometheus", {"pushgateway": pushgateway.url.removeprefix("http://")},
                                  honor_labels=True)
    try:
        def scraped() -> list[dict]:
            return prometheus.query('cronchecks_check_status{job="nightly"}')

        wait_until(lambda: len(scraped()) == 2, within=20, what="the pushed suite in Prometheus")
        series = {s["metric"]["check"]: (s["metric"]["instance"], s["metric"]["env"], s["value"][1])
                  for s in scraped()}
        # honor_labels: the host that pushed, not the Pushgateway's address
        assert series == {"backup": ("db02", "prod", "0"), "vacuum": ("db02", "prod", "1")}
    finally:
        prometheus.daemon.stop()


def test_a_failed_push_never_changes_the_exit_code(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}"
    done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path), "--pushgateway", closed, "--",
                              "sh", "-c", "exit 7")
    assert done.code == 7
    assert f"--pushgateway {closed}: not pushed: connection failed (refused)" in done.stderr
    suite = tmp_path / "s.toml"
    suite.write_text('[[check]]\nname = "a"\ntype = "command"\nargv = ["true"]\n')
    done = run_console_script("cronchecks", "suite", str(suite), "--no-record", "--pushgateway", closed)
    assert done.code == 0 and "not pushed: connection failed (refused)" in done.stderr


@pytest.mark.filterwarnings("ignore:'crypt' is deprecated:DeprecationWarning")
def test_credentials_from_a_file_and_a_refused_push_is_one_line(tmp_path):
    """A Pushgateway with basic auth (its --web.config.file): no credentials is a 401 said in one line."""
    import crypt  # bcrypt through libxcrypt, for the web config's hashed password (deprecated, there in 3.11)

    hashed = crypt.crypt("s3cret-pw", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    (tmp_path / "web.yml").write_text(json.dumps({"basic_auth_users": {"pusher": hashed}}))
    guarded = start_pushgateway(tmp_path / "guarded", "--web.config.file", str(tmp_path / "web.yml"))
    try:
        command = ("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "guarded", "--host", "h1",
                   "--pushgateway", guarded.url, "--", "sh", "-c", "exit 6")
        refused = run_console_script(*command)
        assert refused.code == 6, refused
        assert f"--pushgateway {guarded.url}: not pushed: HTTP 401" in refused.stderr
        (tmp_path / "password").write_text("s3cret-pw\n")
        env = {"CRONCHECKS_PUSHGATEWAY_USER": "pusher",
               "CRONCHECKS_PUSHGATEWAY_PASSWORD_FILE": str(tmp_path / "password")}
        pushed = run_console_script(*command, env=env)
        assert pushed.code == 6 and "not pushed" not in pushed.stderr, pushed
        answer = get_with_auth(f"{guarded.url}/api/v1/metrics", "pusher", "s3cret-pw")
        [found] = [g for g in answer["data"] if g["labels"] == {"job": "guarded", "instance": "h1"}]
        assert values(found["cronchecks_check_exit_code"]) == {"guarded": 6}
        assert "s3cret-pw" not in refused.stderr + pushed.stderr
    finally:
        guarded.daemon.stop()


def get_with_auth(url: str, user: str, password: str) -> dict:
    import base64
    import urllib.request

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def test_a_label_cronchecks_sets_is_refused_before_anything_runs(tmp_path):
    suite = tmp_path / "s.toml"
    suite.write_text('[[check]]\nname = "a"\ntype = "command"\nargv = ["touch", "%s"]\n' % (tmp_path / "ran"))
    for label in ("check=a", "instance=x", "job=x"):
        done = run_console_script("cronchecks", "suite", str(suite), "--no-record", "--pushgateway",
                                  "http://127.0.0.1:9", "--pushgateway-label", label)
        assert done.code == 3 and "itself" in done.first_line, done
    assert not (tmp_path / "ran").exists()


def test_without_the_prometheus_extra_a_push_is_one_unknown_line_naming_pip(tmp_path):
    """prometheus_client hidden from this interpreter (sys.modules[...] = None makes its import fail)."""
    import subprocess

    program = ("import sys; sys.modules['prometheus_client'] = None; "
               "sys.argv = ['cronchecks', 'run', '--pushgateway', 'http://127.0.0.1:9', '--', 'touch', sys.argv[1]]; "
               "from cronchecks.cli import cronchecks_entry; cronchecks_entry()")
    marker = tmp_path / "ran"
    done = subprocess.run([sys.executable, "-c", program, str(marker)], capture_output=True, text=True, timeout=60,
                          env={"CRONCHECKS_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 3, done
    assert "pip install 'cronchecks[prometheus]'" in done.stdout.splitlines()[0]
    assert not marker.exists()  # said before the job ran
