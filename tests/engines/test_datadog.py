"""Datadog: the custom check under datadog_checks_base's own stubs, and the Nagios integration's perfdata parsing.

The custom check (examples/datadog/checks.d/) runs our real check-heartbeat, as the Agent would, and is
judged by `datadog_checks.base.stubs.aggregator`, the Agent's test double from the Datadog package itself.
The Nagios integration is not installable here (it needs the whole Agent): its parsing is written below
from its documented pattern (DataDog/integrations-core, nagios/datadog_checks/nagios/nagios.py) and applied
to the real output of every service in examples/nagios/, run with local stand-ins for their targets.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from cronchecks.core.pluginoutput import parse_plugin_output
from tests.alerting_fixtures import aws_env
from tests.conftest import ROOT, VENV_BIN, LoopbackHTTP, Reply
from tests.http_fixtures import LoopbackHTTPS

EXAMPLES = ROOT / "examples"
DATADOG = EXAMPLES / "datadog"

# --- the custom check, under the Agent's own stubs ------------------------------------------------


@pytest.fixture
def agent():
    """The stubs of datadog-checks-base (the `test` extra), reset around each test."""
    from datadog_checks.base.stubs import aggregator, datadog_agent

    aggregator.reset()
    datadog_agent.reset()
    yield aggregator
    aggregator.reset()


def load_custom_check():
    path = DATADOG / "checks.d" / "cronchecks_heartbeat.py"
    spec = importlib.util.spec_from_file_location("cronchecks_heartbeat", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def custom_conf() -> dict:
    return yaml.safe_load((DATADOG / "conf.d" / "cronchecks_heartbeat.d" / "conf.yaml").read_text())


def run_custom(instance: dict, init_config: dict | None = None) -> str:
    """One run of the check as the Agent runs it (`run()`: errors come back as JSON, never raised)."""
    module = load_custom_check()
    init = {**custom_conf()["init_config"], "cronchecks_bin": str(VENV_BIN), **(init_config or {})}
    check = module.CronchecksHeartbeatCheck("cronchecks_heartbeat", init, [instance])
    return check.run()


def test_the_custom_check_does_not_import_cronchecks():
    # It runs our commands from their own virtual environment; the Agent's Python needs nothing of ours.
    source = (DATADOG / "checks.d" / "cronchecks_heartbeat.py").read_text()
    assert not re.search(r"^\s*(from|import)\s+cronchecks", source, re.MULTILINE)


def test_the_custom_check_sends_ok_with_the_age_as_a_gauge(agent, tmp_path):
    instance = dict(custom_conf()["instances"][0], file=str(tmp_path / "backup.beat"))
    (tmp_path / "backup.beat").write_text("")
    assert run_custom(instance) == ""
    tags = ["check:nightly-backup", "team:ops"]
    # The stubs refuse a message on an OK service check, as the Agent does.
    agent.assert_service_check("cronchecks.heartbeat", status=0, tags=tags, count=1)
    agent.assert_metric("cronchecks.heartbeat.up", value=1, tags=tags, count=1)
    agent.assert_metric("cronchecks.heartbeat.age", tags=tags, count=1)
    assert 0 <= agent.metrics("cronchecks.heartbeat.age")[0].value < 60
    agent.assert_metric("cronchecks.heartbeat.size", value=0, tags=tags, count=1)  # the file's size, in bytes
    agent.assert_all_metrics_covered()


@pytest.mark.parametrize("case, status", [("stale", 1), ("missing", 2), ("bad range", 3)])
def test_the_custom_check_sends_problems_with_the_summary(agent, tmp_path, case, status):
    beat = tmp_path / "backup.beat"
    instance = dict(custom_conf()["instances"][0], file=str(beat))
    if case == "stale":
        beat.write_text("")
        old = time.time() - 25.5 * 3600
        os.utime(beat, (old, old))
    if case == "bad range":
        instance["warning"] = "soon"
    assert run_custom(instance) == ""
    [sent] = agent.service_checks("cronchecks.heartbeat")
    assert sent.status == status and "check:nightly-backup" in sent.tags
    expected = {"stale": "updated 1d 1h", "missing": "no heartbeat", "bad range": "invalid -w/--warning"}[case]
    local = subprocess.run([str(VENV_BIN / "check-heartbeat"), "--file", str(beat), "-w", instance["warning"],
                            "-c", "26h"], capture_output=True, text=True, check=False)
    assert local.returncode == status and sent.message in local.stdout  # the command's own summary
    assert expected in sent.message, sent.message
    agent.assert_metric("cronchecks.heartbeat.up", value=0, count=1)


def test_the_custom_check_on_a_schedule_and_without_its_command(agent, tmp_path):
    scheduled = dict(custom_conf()["instances"][1], file=str(tmp_path / "*.pdf"))
    assert run_custom(scheduled) == ""
    [sent] = agent.service_checks("cronchecks.heartbeat")
    assert sent.status in (0, 2) and "check:morning-report" in sent.tags
    agent.reset()
    assert run_custom(scheduled, {"cronchecks_bin": str(tmp_path / "nowhere")}) == ""
    [sent] = agent.service_checks("cronchecks.heartbeat")
    assert sent.status == 3 and "not found: set cronchecks_bin" in sent.message


# --- the Nagios integration's perfdata parsing ------------------------------------------------------

# The integration's pair pattern, as its source documents it: 'label'=value[UOM];[warn];[crit];[min];[max],
# each space-separated pair matched on its own.
INTEGRATION_PAIR = re.compile(
    r"'?(?P<label>[^=']+)'?="
    r"(?P<value>[-0-9.]+)"
    r"(?P<unit>s|us|ms|%|B|KB|MB|GB|TB|c)?"
    r"(;(?P<warn>@?[-0-9.~]*:?[-0-9.~]*))?"
    r"(;(?P<crit>@?[-0-9.~]*:?[-0-9.~]*))?"
    r"(;(?P<min>[-0-9.]*))?"
    r"(;(?P<max>[-0-9.]*))?"
)


def integration_line_pattern(template: str) -> re.Pattern[str]:
    """The integration's reading of service_perfdata_file_template: `[`, `]`, `*` any character, `|` literal,
    each $MACRO$ a group of anything but `$`."""
    regex = re.sub(r"[\[\]*]", ".", template)
    regex = re.sub(r"\|", r"\\|", regex)
    regex = re.sub(r"\$([^\$]*)\$", r"(?P<\1>[^\\$]*)", regex)
    return re.compile(regex)


def integration_metrics(line: re.Match[str]) -> list[tuple[str, float, str | None]]:
    """(metric, value, device) for each pair, as the integration names them: nagios.<service>.<label>."""
    prefix = ["nagios", line["SERVICEDESC"].replace(" ", "_").lower()]
    found = []
    for pair in line["SERVICEPERFDATA"].split():
        matched = INTEGRATION_PAIR.match(pair)
        if not matched:
            continue
        label = matched["label"]
        if "/" in label:
            found.append((".".join(prefix), float(matched["value"]), label))
        else:
            found.append((".".join([*prefix, label]), float(matched["value"]), None))
    return found


def perfdata_template() -> str:
    text = (DATADOG / "conf.d" / "nagios.d" / "conf.yaml").read_text()
    matched = re.search(r"^#\s+service_perfdata_file_template=(.+)$", text, re.MULTILINE)
    assert matched, "the example shows no service_perfdata_file_template"
    return matched.group(1).strip()


def nagios_objects(path: Path, kind: str) -> list[dict[str, str]]:
    objects = []
    for body in re.findall(rf"define\s+{kind}\s*\{{(.*?)\n\}}", path.read_text(), re.DOTALL):
        fields = {}
        for raw in body.splitlines():
            # `;` starts a comment, except in a check_command (where it is the command's own text)
            line = raw.strip() if raw.strip().startswith("check_command") else raw.split(";", 1)[0].strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition(" ")
                fields[key] = value.strip()
        objects.append(fields)
    return objects


def nagios_macros(text: str, macros: dict[str, str]) -> str:
    """One pass of Nagios' macro substitution: `$NAME$` from `macros`, `$$` a literal `$`."""
    return re.sub(r"\$([A-Z0-9_]*)\$", lambda m: "$" if not m.group(1) else macros[m.group(1)], text)


class StandIns:
    """Local stand-ins for the example's targets: its web endpoints, files, logs and database."""

    def __init__(self, tmp_path: Path, http: LoopbackHTTP, https: LoopbackHTTPS, listener: socket.socket):
        self.root = tmp_path / "root"
        self.http, self.https, self.listener = http, https, listener
        health = {"status": "healthy", "checks": {"database": "OK"}}
        for server in (http, https):
            server.routes["/"] = server.routes["/health/"] = Reply(200, health)
            server.routes["/api/v1/health/liveness"] = server.routes["/api/health"] = Reply(200, health)
        files = {"var/run/backup.beat": "", "var/log/peerquest/errors.log":
                 f"{time.strftime('%Y-%m-%d %H:%M:%S')},000 CRITICAL: disk full on /var\n",
                 "var/log/nginx/error.log": "2026/11/24 10:00:00 [crit] 12#12: out of memory\n",
                 "srv/app/index.html": "<html></html>\n", "srv/app/public/robots.txt": "",
                 "srv/peerquest/manage.py": "print('TOTAL ISSUES: 0')\n",
                 "etc/nagios4/app-db.url": f"sqlite:///{self.root / 'app.db'}\n"}
        for name, text in files.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text)
        (self.root / "var/lib/nagios4/cronchecks").mkdir(parents=True)
        backup = self.root / "backups" / "db-1.tar.gz"
        backup.parent.mkdir()
        with backup.open("wb") as out:
            out.truncate(2 * 1024 * 1024)
        with sqlite3.connect(self.root / "app.db") as db:
            db.executescript("""
                create table worker_instance (worker_type text, status text, last_heartbeat_at text);
                insert into worker_instance values ('schedule_daemon', 'RUNNING', datetime('now', '-1 minute'));
                create table application (id integer primary key);
                create table participant (id integer primary key, application_id integer);
                insert into application values (1); insert into participant values (1, 1);
            """)
        manifest = self.root / "var/lib/cronchecks/app.sha256"
        manifest.parent.mkdir(parents=True)
        subprocess.run([str(VENV_BIN / "check-integrity"), "--create", "--track-perms", "--root",
                        str(self.root / "srv/app"), "-m", str(manifest), "."], cwd=self.root / "srv/app", check=True,
                       capture_output=True)
        self.bin = tmp_path / "bin"  # `python` for the audit command, as the app's server has it
        self.bin.mkdir()
        (self.bin / "python").symlink_to(sys.executable)
        # No systemd runs in a test's container: systemctl answers with a recorded `systemctl show` (a stand-in
        # only for the unit's state; check-service parses it as it parses the real one).
        systemctl = self.bin / "systemctl"
        systemctl.write_text(f"#!/bin/sh\ncat '{ROOT / 'tests/fixtures/systemctl/show-running.service.txt'}'\n")
        systemctl.chmod(0o755)

    def rewrite(self, command: str) -> str:
        """The expanded command line with each target replaced by its stand-in."""
        command = re.sub(r"https://(?:127\.0\.0\.1|203\.0\.113\.10|app\.example\.com)(?::\d+)?", self.https.url,
                         command)
        command = re.sub(r"http://(?:127\.0\.0\.1|203\.0\.113\.10|app\.example\.com)(?::\d+)?", self.http.url,
                         command)
        command = re.sub(r"127\.0\.0\.1:5432", f"127.0.0.1:{self.listener.getsockname()[1]}", command)
        return re.sub(r"(?<=['\"\s])/(var|srv|backups|etc)/", lambda m: f"{self.root}/{m.group(1)}/", command)

    def env(self, ca_file: str) -> dict[str, str]:
        return {**os.environ, "PATH": f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                "REQUESTS_CA_BUNDLE": ca_file, "HOME": str(self.root), "NO_COLOR": "1"}


def example_services() -> list[tuple[dict[str, str], str]]:
    """(service, its command_line) for every service of examples/nagios/cronchecks-services.cfg."""
    commands = {c["command_name"]: c["command_line"]
                for c in nagios_objects(EXAMPLES / "nagios" / "cronchecks-commands.cfg", "command")}
    found = []
    for service in nagios_objects(EXAMPLES / "nagios" / "cronchecks-services.cfg", "service"):
        if "check_command" in service:
            name = service["check_command"].split("!", 1)[0]
            assert name in commands, f"service {service.get('service_description')}: no command {name}"
            found.append((service, commands[name]))
    return found


@pytest.fixture
def outputs(tmp_path, pki, moto_endpoint):  # moto: the recorded command's CloudWatch channel
    """Every example service's real first line, as Nagios would run it (macros expanded, through /bin/sh)."""
    hosts = {h["host_name"]: h for h in nagios_objects(EXAMPLES / "nagios" / "cronchecks-services.cfg", "host")}
    with LoopbackHTTP() as http, LoopbackHTTPS(pki) as https, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        stand_ins = StandIns(tmp_path, http, https, listener)
        found = []
        for service, command_line in example_services():
            host = hosts[service["host_name"]]
            _, *args = service["check_command"].split("!")
            macros = {"USER1": "/usr/lib/nagios/plugins", "USER2": str(VENV_BIN), "HOSTNAME": host["host_name"],
                      "HOSTADDRESS": "127.0.0.1", "SERVICEDESC": service["service_description"]}
            macros.update({f"ARG{n}": nagios_macros(arg, macros) for n, arg in enumerate(args, start=1)})
            command = stand_ins.rewrite(nagios_macros(command_line, macros))
            done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=60,
                                  env={**stand_ins.env(pki.ca_file), **aws_env(moto_endpoint)}, cwd=tmp_path,
                                  check=False)
            assert done.returncode in (0, 1, 2, 3), (command, done.stdout, done.stderr)
            first = done.stdout.splitlines()[0] if done.stdout else ""
            found.append((service, command, first))
        yield found


def test_the_integration_reads_every_example_services_perfdata(outputs):
    line_pattern = integration_line_pattern(perfdata_template())
    metrics: dict[str, list[str]] = {}
    for service, command, first in outputs:
        description = service["service_description"]
        perfdata = first.partition("|")[2].strip()
        assert perfdata, f"{description}: no perfdata from {command}: {first!r}"
        # The line Nagios writes for it: the template with its macros, \t as a tab (Nagios' own escape).
        values = {"TIMET": str(int(time.time())), "HOSTNAME": service["host_name"], "SERVICEDESC": description,
                  "SERVICEPERFDATA": perfdata, "SERVICECHECKCOMMAND": service["check_command"],
                  "HOSTSTATE": "UP", "HOSTSTATETYPE": "HARD", "SERVICESTATE": "OK", "SERVICESTATETYPE": "HARD"}
        written = nagios_macros(perfdata_template(), values).replace("\\t", "\t")
        line = line_pattern.match(written)
        assert line, f"{description}: the integration would drop its line {written!r}"
        assert line["SERVICEPERFDATA"] == perfdata and line["SERVICEDESC"] == description
        ours = [d for d in parse_plugin_output(first).perfdata if d.value is not None]  # U: no gauge, by design
        theirs = integration_metrics(line)
        prefix = "nagios." + description.replace(" ", "_").lower()
        assert [(metric, device) for metric, _, device in theirs] == [(f"{prefix}.{d.label}", None) for d in ours], \
            f"{description}: {perfdata}"
        for datum, (_, value, _) in zip(ours, theirs, strict=True):
            assert value == pytest.approx(datum.value)
            assert " " not in datum.label and "/" not in datum.label
        metrics[description] = [metric for metric, _, _ in theirs]
    assert len(metrics) == len(example_services())
    # The services whose command holds a JSONPath ($$ in the file) are read too.
    assert metrics["web health"][:2] == ["nagios.web_health.time", "nagios.web_health.size"]
    assert "nagios.critical_errors.matches" in metrics["critical errors"]


def test_a_template_with_the_check_command_loses_the_jsonpath_services():
    # Why the example's template leaves $SERVICECHECKCOMMAND$ out: the field holds the command's "$".
    # (the layout the example had: the check command before the states that follow it)
    template = perfdata_template().replace("\\tHOSTSTATE::",
                                           "\\tSERVICECHECKCOMMAND::$SERVICECHECKCOMMAND$\\tHOSTSTATE::")
    assert "SERVICECHECKCOMMAND" in template
    service = next(s for s, _ in example_services() if "$$" in s["check_command"])
    written = nagios_macros(template, {"TIMET": "1", "HOSTNAME": "web1", "SERVICEDESC": "web health",
                                       "SERVICEPERFDATA": "time=0.1s", "HOSTSTATE": "UP", "HOSTSTATETYPE": "HARD",
                                       "SERVICESTATE": "OK", "SERVICESTATETYPE": "HARD",
                                       "SERVICECHECKCOMMAND": service["check_command"]}).replace("\\t", "\t")
    assert "$" in written and integration_line_pattern(template).match(written) is None


def test_a_suites_first_line_has_labels_the_integration_reads_whole(tmp_path):
    # A suite run by Nagios as one service: its perfdata labels are `check::label`, the name's spaces as `_`.
    beat = tmp_path / "beat"
    beat.write_text("")
    suite = tmp_path / "suite.toml"
    suite.write_text(f'[[check]]\nname = "nightly backup"\ntype = "heartbeat"\nfile = "{beat}"\ncritical = "1h"\n')
    done = subprocess.run([str(VENV_BIN / "cronchecks"), "suite", str(suite), "--no-record", "--format", "nagios"],
                          capture_output=True, text=True, timeout=30, check=False)
    perfdata = done.stdout.splitlines()[0].partition("|")[2].split()
    assert done.returncode == 0 and perfdata
    labels = [matched["label"] for matched in map(INTEGRATION_PAIR.match, perfdata) if matched]
    assert labels == ["nightly_backup::age", "nightly_backup::size"]
