"""The Prometheus family, real and in the foreground: node_exporter, Prometheus, the Pushgateway and Alertmanager.

Debian's own binaries, each on a free loopback port with its configuration and storage in a temp
folder (tests/daemon_fixtures.py), never the system's services. Prometheus and Alertmanager take a
second or two to start, so their fixtures are module-scoped and each test names its own checks.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.daemon_fixtures import Daemon, free_port, require_program

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
PUSHGATEWAY = "/usr/bin/prometheus-pushgateway"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
AMTOOL = "/usr/bin/amtool"


def get(url: str, timeout: float = 5.0) -> Any:
    """A GET answered with JSON (the daemons' HTTP APIs); the text when it is not JSON."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        body = answer.read().decode()
    try:
        return json.loads(body)
    except ValueError:
        return body


def answers(url: str) -> bool:
    try:
        get(url, timeout=0.5)
        return True
    except OSError:
        return False


class Engine:
    """A started daemon and its base URL."""

    def __init__(self, daemon: Daemon, url: str, folder: Path) -> None:
        self.daemon = daemon
        self.url = url
        self.folder = folder

    def log(self) -> str:
        return self.daemon.log()


def start_node_exporter(folder: Path, textfiles: Path) -> Engine:
    """node_exporter with only the textfile collector (the others cost scrape time and say nothing here)."""
    binary = require_program(NODE_EXPORTER, "prometheus-node-exporter")
    port = free_port()
    daemon = Daemon("node_exporter", [binary, "--collector.disable-defaults", "--collector.textfile",
                                      f"--collector.textfile.directory={textfiles}",
                                      f"--web.listen-address=127.0.0.1:{port}"], folder)
    url = f"http://127.0.0.1:{port}"
    daemon.start(lambda: answers(f"{url}/metrics"))
    return Engine(daemon, url, folder)


def start_pushgateway(folder: Path, *options: str) -> Engine:
    binary = require_program(PUSHGATEWAY, "prometheus-pushgateway")
    port = free_port()
    daemon = Daemon("pushgateway", [binary, f"--web.listen-address=127.0.0.1:{port}", *options], folder)
    url = f"http://127.0.0.1:{port}"
    daemon.start(port=port)
    return Engine(daemon, url, folder)


class PrometheusServer(Engine):
    """Prometheus scraping every second and evaluating rules every second."""

    def query(self, expression: str) -> list[dict[str, Any]]:
        answer = get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        assert answer["status"] == "success", answer
        return list(answer["data"]["result"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(get(f"{self.url}/api/v1/alerts")["data"]["alerts"])


def start_prometheus(folder: Path, targets: dict[str, str], *, rules: Path | None = None,
                     honor_labels: bool = False) -> PrometheusServer:
    """`targets`: job name -> host:port scraped each second; `rules`: a rule file evaluated each second."""
    binary = require_program(PROMETHEUS, "prometheus")
    port = free_port()
    scrape = [{"job_name": job, "honor_labels": honor_labels, "static_configs": [{"targets": [target]}]}
              for job, target in targets.items()]
    config: dict[str, Any] = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                                         "scrape_timeout": "900ms"}, "scrape_configs": scrape}
    if rules is not None:
        config["rule_files"] = [str(rules)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    daemon = Daemon("prometheus", [binary, f"--config.file={folder / 'prometheus.yml'}",
                                   f"--storage.tsdb.path={folder / 'data'}",
                                   f"--web.listen-address=127.0.0.1:{port}"], folder)
    url = f"http://127.0.0.1:{port}"
    daemon.start(lambda: answers(f"{url}/-/ready"), within=30)
    return PrometheusServer(daemon, url, folder)


def start_alertmanager(folder: Path, webhook: str, *, resolve_timeout: str = "2s", port: int | None = None,
                       options: tuple[str, ...] = ()) -> Engine:
    """Alertmanager without gossip, routing everything at once to `webhook` (its own notifications)."""
    binary = require_program(ALERTMANAGER, "prometheus-alertmanager")
    port = port or free_port()
    config = {
        "global": {"resolve_timeout": resolve_timeout},
        "route": {"receiver": "hook", "group_by": ["alertname", "check"], "group_wait": "0s",
                  "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "hook", "webhook_configs": [{"url": webhook, "send_resolved": True}]}],
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alertmanager.yml").write_text(json.dumps(config))
    daemon = Daemon("alertmanager", [binary, f"--config.file={folder / 'alertmanager.yml'}",
                                     f"--storage.path={folder / 'data'}", "--cluster.listen-address=",
                                     f"--web.listen-address=127.0.0.1:{port}", *options], folder)
    url = f"http://127.0.0.1:{port}"
    daemon.start(port=port, within=30)
    return Engine(daemon, url, folder)


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory):
    engine = start_pushgateway(tmp_path_factory.mktemp("pushgateway"))
    yield engine
    engine.daemon.stop()
