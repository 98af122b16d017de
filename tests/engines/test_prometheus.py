"""The textfile collector: suites' and runs' textfiles read by a real node_exporter, scraped by a real Prometheus.

node_exporter (only its textfile collector) and Prometheus (scraping every second, evaluating
examples/prometheus/cronchecks-rules.yaml every second) are Debian's, started once for the module.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, run_console_script
from tests.daemon_fixtures import require_program, wait_until
from tests.engine_fixtures import PROMTOOL, get, start_node_exporter, start_prometheus

RULES = ROOT / "examples" / "prometheus" / "cronchecks-rules.yaml"


def command_check(name: str, code: int, line: str) -> str:
    """A [[check]] table running `sh -c` (a plugin printing `line`, exiting `code`)."""
    script = f"echo {json.dumps(line)}; exit {code}"
    return f'\n[[check]]\nname = {json.dumps(name)}\ntype = "command"\nargv = ["sh", "-c", {json.dumps(script)}]\n'


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prometheus-stack")
    textfiles = folder / "textfiles"
    textfiles.mkdir()
    exporter = start_node_exporter(folder / "node", textfiles)
    prometheus = start_prometheus(folder / "prometheus", {"node": exporter.url.removeprefix("http://")},
                                  rules=RULES)
    yield exporter, prometheus, textfiles
    prometheus.daemon.stop()
    exporter.daemon.stop()


def promtool_metrics(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_program(PROMTOOL, "prometheus"), "check", "metrics"], input=text,
                          capture_output=True, text=True, timeout=30)


def test_two_suites_with_a_check_of_the_same_name_are_two_series_scraped_and_alerted_on(stack, tmp_path):
    exporter, prometheus, textfiles = stack
    web = tmp_path / "web.toml"
    web.write_text(command_check("disk", 0, "DISK OK - 40% used | used=40%;80;90;0;100"))
    db = tmp_path / "db.toml"
    db.write_text(command_check("disk", 2, "DISK CRITICAL - 95% used | used=95%;80;90;0;100 wait=250ms"))
    for suite, code in ((web, 0), (db, 2)):
        # A store each: the store keys a check by its name alone, so two suites sharing one would share
        # the check "disk" (its state and its last success) whatever the textfiles say.
        done = run_console_script("cronchecks", "suite", str(suite), "--state-dir", str(tmp_path / suite.stem),
                                  "--prometheus", str(textfiles / f"cronchecks-{suite.stem}.prom"))
        assert done.code == code, done.stdout + done.stderr
    for path in textfiles.glob("*.prom"):
        checked = promtool_metrics(path.read_text())
        assert checked.returncode == 0 and not checked.stdout + checked.stderr, (path, checked)

    scraped = get(f"{exporter.url}/metrics")
    assert 'cronchecks_check_status{check="disk",suite="web"} 0' in scraped
    assert 'cronchecks_check_status{check="disk",suite="db"} 2' in scraped
    assert "node_textfile_scrape_error 0" in scraped
    assert 'cronchecks_perfdata{check="disk",label="wait",suite="db",unit="seconds"} 0.25' in scraped
    assert "error gathering metrics" not in exporter.log()
    cronchecks_only = "".join(line + "\n" for line in scraped.splitlines() if "cronchecks_" in line)
    checked = promtool_metrics(cronchecks_only)
    assert checked.returncode == 0 and not checked.stdout + checked.stderr, checked

    def both_suites() -> bool:
        found = prometheus.query('cronchecks_check_status{check="disk"}')
        return {(s["metric"]["suite"], s["value"][1]) for s in found} == {("web", "0"), ("db", "2")}

    wait_until(both_suites, within=20, what="both suites' disk series in Prometheus")
    successes = prometheus.query('cronchecks_check_last_success_timestamp_seconds{check="disk"}')
    assert [s["metric"]["suite"] for s in successes] == ["web"]  # db never succeeded: no series, not 0

    def firing() -> list[dict]:
        return [a for a in prometheus.alerts() if a["labels"].get("alertname") == "CronchecksCheckFailing"
                and a["state"] == "firing"]

    wait_until(lambda: bool(firing()), within=20, what="the CronchecksCheckFailing alert firing")
    [alert] = firing()
    assert (alert["labels"]["check"], alert["labels"]["suite"], alert["labels"]["severity"]) == \
        ("disk", "db", "critical")
    assert alert["annotations"]["summary"].startswith("cronchecks: disk is CRITICAL on 127.0.0.1:")


def test_the_same_series_in_two_files_is_what_node_exporter_refuses(tmp_path):
    """The control: two files with one series (the suite label's reason) make node_exporter log the error."""
    textfiles = tmp_path / "textfiles"
    textfiles.mkdir()
    series = "# TYPE cronchecks_check_status gauge\ncronchecks_check_status{check=\"disk\"} 0\n"
    (textfiles / "a.prom").write_text(series)
    (textfiles / "b.prom").write_text(series.replace(" 0\n", " 2\n"))
    exporter = start_node_exporter(tmp_path / "node", textfiles)
    try:
        with contextlib.suppress(OSError):  # it may answer 500: the log says why
            get(f"{exporter.url}/metrics")
        wait_until(lambda: "error gathering metrics" in exporter.log(), within=10,
                   what="node_exporter's error for the duplicate series")
    finally:
        exporter.daemon.stop()


def test_run_writes_one_textfile_whose_last_success_survives_a_failing_run(stack, tmp_path):
    _, prometheus, textfiles = stack
    path = textfiles / "nightly-backup.prom"
    state = str(tmp_path / "state")
    ok = run_console_script("cronchecks", "run", "--state-dir", state, "--name", "nightly-backup",
                            "--prometheus", str(path), "--prometheus-label", "team=storage", "--", "true")
    assert ok.code == 0 and not ok.stderr, ok
    first = path.read_text()
    [succeeded] = [line for line in first.splitlines() if line.startswith("cronchecks_check_last_success")]
    time.sleep(0.05)
    failed = run_console_script("cronchecks", "run", "--state-dir", state, "--name", "nightly-backup",
                                "--prometheus", str(path), "--prometheus-label", "team=storage", "--",
                                "sh", "-c", "echo disk full >&2; exit 5")
    assert failed.code == 5, failed  # the job's own exit code, whatever was written
    text = path.read_text()
    assert succeeded in text.splitlines()  # kept from the store, not reset by the failure
    assert 'cronchecks_check_status{check="nightly-backup",team="storage"} 2' in text
    assert 'cronchecks_check_exit_code{check="nightly-backup",team="storage"} 5' in text
    assert promtool_metrics(text).returncode == 0
    assert not list(textfiles.glob(".*.tmp"))

    def scraped() -> bool:
        found = prometheus.query('cronchecks_check_exit_code{check="nightly-backup"}')
        return [s["value"][1] for s in found] == ["5"]

    wait_until(scraped, within=20, what="the run's textfile in Prometheus")
    [kept] = prometheus.query('cronchecks_check_last_success_timestamp_seconds{check="nightly-backup"}')
    assert float(kept["value"][1]) == pytest.approx(float(succeeded.split()[-1]))


def test_a_textfile_that_cannot_be_written_is_an_unknown_suite_and_a_line_for_run(tmp_path):
    suite = tmp_path / "web.toml"
    suite.write_text(command_check("disk", 0, "DISK OK - 40% used"))
    missing = tmp_path / "no-such-folder" / "web.prom"
    done = run_console_script("cronchecks", "suite", str(suite), "--no-record", "--prometheus", str(missing))
    assert done.code == 3, done
    assert done.first_line.startswith("SUITE UNKNOWN - 1 ok; --prometheus ") and "cannot write it" in done.first_line
    assert "cannot write it: No such file or directory" in done.stderr
    wrapped = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--prometheus",
                                 str(missing), "--", "true")
    assert wrapped.code == 0  # the wrapper never changes the job's exit code
    assert "--prometheus" in wrapped.stderr and "No such file or directory" in wrapped.stderr


@pytest.mark.parametrize("label", ["check=x", "0abc=x", "__name__=x", "a-b=x", "team", "team="])
def test_a_label_prometheus_would_refuse_is_one_unknown_line(tmp_path, label):
    done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path), "--prometheus",
                              str(tmp_path / "x.prom"), "--prometheus-label", label, "--", "true")
    assert done.code == 3 and done.first_line.startswith("CRONCHECKS UNKNOWN - invalid --prometheus-label"), done
    assert not (tmp_path / "x.prom").exists()  # refused before the job ran


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4, unique=True),
       value=st.text(min_size=1, max_size=30),
       number=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-2 ** 60, 2 ** 60))
def test_what_is_rendered_is_what_prometheus_client_parses(names, value, number):
    """Any check name, label value and perfdata value survives the exposition format, each series once."""
    from prometheus_client.parser import text_string_to_metric_families

    from cronchecks.alerting.metrics import CheckMetrics, render
    from cronchecks.core.result import Perfdata

    runs = [CheckMetrics(name, 2, 0.5, 1.7e9, None, 7, (Perfdata(name, number), Perfdata(name, 1)))
            for name in names]
    text = render(runs, {"team": value})
    parsed = {(f.name, tuple(sorted(s.labels.items())), s.value)
              for f in text_string_to_metric_families(text) for s in f.samples}
    for name in names:
        assert ("cronchecks_check_status", (("check", name), ("team", value)), 2.0) in parsed
        perf = {v for n, labels, v in parsed if n == "cronchecks_perfdata" and ("check", name) in labels}
        assert perf == {float(number)}  # the first value of a repeated label wins; one series
    lines = text.rstrip("\n").split("\n")  # not splitlines(): a label value may hold \x1e, \x85, ...
    assert len(lines) == len(set(lines))


def test_the_examples_pass_promtool_and_amtool():
    """examples/prometheus as an operator copies it: the rules, the scrape configuration and the route."""
    from tests.engine_fixtures import AMTOOL

    folder = ROOT / "examples" / "prometheus"
    for argv in ([require_program(PROMTOOL, "prometheus"), "check", "rules", str(RULES)],
                 [PROMTOOL, "check", "config", str(folder / "prometheus.yaml")],
                 [require_program(AMTOOL, "prometheus-alertmanager"), "check-config",
                  str(folder / "alertmanager.yaml")]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and "SUCCESS" in done.stdout + done.stderr, (argv, done.stdout, done.stderr)
