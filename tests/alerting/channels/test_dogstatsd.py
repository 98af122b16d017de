"""DogStatsD: perfdata values as gauges beside the service check, received by a real UDP socket on loopback."""

from __future__ import annotations

import math
import os
import re
import textwrap
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from cronchecks.alerting.channels.dogstatsd import MAX_DATAGRAM, DogStatsdChannel, gauge_lines, metric_name, packets
from tests.alerting_fixtures import UDPReceiver
from tests.conftest import VENV_BIN, run_console_script

# DogStatsD's metric datagram, as Datadog documents it: <METRIC_NAME>:<VALUE>|<TYPE>|#<TAG_KEY_1>:<TAG_VALUE_1>,...
GAUGE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_.]*):(?P<value>-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)\|g"
                   r"\|#(?P<tags>[^|\s]+)$")


def received(udp: UDPReceiver) -> list[str]:
    """Every datagram line until the socket has been quiet a moment (a packet may hold several lines)."""
    lines: list[str] = []
    udp.sock.settimeout(2.0)
    while True:
        try:
            packet = udp.receive()
        except TimeoutError:
            return lines
        lines += packet.decode().split("\n")
        udp.sock.settimeout(0.3)


def gauges(lines: list[str]) -> dict[str, tuple[float, list[str]]]:
    found = {}
    for line in lines:
        matched = GAUGE.match(line)
        if matched:
            found[matched["name"]] = (float(matched["value"]), matched["tags"].split(","))
    return found


def run_event(**changes):
    event = {"event": "run", "check": "web health", "host": "web1", "status": "WARNING", "code": 1, "at": 1e9,
             "summary": "HTTP WARNING - slow", "perfdata": [
                 {"label": "time", "value": 1.25, "uom": "s"}, {"label": "size", "value": 612, "uom": "B"},
                 {"label": "cert_days", "value": None, "uom": ""}, {"label": "time", "value": 9.0, "uom": "s"}]}
    return {**event, **changes}


def test_a_run_is_a_service_check_and_a_gauge_per_perfdata_value():
    with UDPReceiver() as udp:
        DogStatsdChannel("127.0.0.1", udp.port).send(run_event(), timeout=1)
        lines = received(udp)
    assert lines[0].startswith("_sc|cronchecks.web_health|1|")
    # `U` (None) is no gauge; a label given twice keeps its first value, as one series a run
    assert gauges(lines) == {
        "cronchecks.web_health.time": (1.25, ["check:web_health", "host:web1", "source:cronchecks"]),
        "cronchecks.web_health.size": (612.0, ["check:web_health", "host:web1", "source:cronchecks"]),
    }
    assert len(lines) == 3


def test_cronchecks_run_sends_the_checks_perfdata_as_gauges(tmp_path):
    beat = tmp_path / "beat"
    beat.write_text("")
    old = time.time() - 120
    os.utime(beat, (old, old))
    with UDPReceiver() as udp:
        done = run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", "backup",
                                  "--host", "db1", "--dogstatsd", f"127.0.0.1:{udp.port}", "--",
                                  str(VENV_BIN / "check-heartbeat"), "--file", str(beat), "-w", "1h", "-c", "2h")
        lines = received(udp)
    assert done.code == 0
    assert lines[0].startswith("_sc|cronchecks.backup|0|")
    value, tags = gauges(lines)["cronchecks.backup.age"]
    assert 119 <= value < 180 and tags == ["check:backup", "host:db1", "source:cronchecks"]


def test_a_suite_sends_each_checks_gauges(tmp_path):
    beat = tmp_path / "beat"
    beat.write_text("")
    with UDPReceiver() as udp:
        path = tmp_path / "suite.toml"
        path.write_text(textwrap.dedent(f"""
            [defaults]
            dogstatsd = "127.0.0.1:{udp.port}"

            [[check]]
            name = "backup"
            type = "heartbeat"
            file = "{beat}"
            critical = "1h"

            [[check]]
            name = "app-log"
            type = "log"
            files = ["{beat}"]
            pattern = ["ERROR"]
            """))
        done = run_console_script("cronchecks", "suite", str(path), "--host", "web1", "--state-dir",
                                  str(tmp_path / "state"))
        lines = received(udp)
    assert done.code == 0, done.stdout
    found = gauges(lines)
    assert "cronchecks.backup.age" in found and found["cronchecks.app_log.matches"][0] == 0
    assert all("host:web1" in tags for _, tags in found.values())


labels = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
values = st.one_of(st.none(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.lists(st.tuples(labels, values), max_size=8))
def test_every_gauge_line_is_one_well_formed_datagram(check, host, perfdata):
    event = {"check": check, "host": host, "perfdata": [{"label": label, "value": value} for label, value in perfdata]}
    lines = gauge_lines(event)
    measured = {metric_name(check or "?", label) for label, value in perfdata
                if value is not None and math.isfinite(value)}
    assert len(lines) == len(measured)
    for line in lines:
        text = line.decode()
        assert "\n" not in text and GAUGE.match(text), text
        assert len(line) <= MAX_DATAGRAM


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=3000).map(lambda b: b.replace(b"\n", b"_")), max_size=20))
def test_packets_keep_every_line_within_the_agents_buffer(lines):
    joined = packets(lines)
    assert [line for packet in joined for line in packet.split(b"\n")] == lines
    assert all(len(packet) <= MAX_DATAGRAM for packet in joined)
