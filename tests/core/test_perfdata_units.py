"""Perfdata units from real plugins to every sink: the suite's line, the Prometheus file, CloudWatch (moto).

The Monitoring Plugins' own check_disk and check_load run for real (Debian's monitoring-plugins-basic);
a plugin in the style of check_disk before 2.3 (which wrote `/=25GB`) stands in for the units
today's check_disk no longer writes.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.output import format_perfdata, nagios_lines
from cronchecks.core.pluginoutput import parse_perfdata, parse_plugin_output
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.thresholds import Range, parse_range
from cronchecks.core.units import BINARY_UNITS, GUIDELINE_UNITS, is_valid_unit, to_base
from tests.alerting_fixtures import aws_env
from tests.conftest import run_console_script

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.literals import StandardUnitType

PLUGINS = Path("/usr/lib/nagios/plugins")
CHECK_DISK, CHECK_LOAD = PLUGINS / "check_disk", PLUGINS / "check_load"
needs_plugins = pytest.mark.skipif(not CHECK_DISK.exists() or not CHECK_LOAD.exists(),
                                   reason="needs monitoring-plugins-basic (apt-get install monitoring-plugins-basic)")

DISK_ARGS = {"percent": ["-w", "10%", "-c", "5%", "-p", "/"], "GB": ["-w", "10%", "-c", "5%", "-u", "GB", "-p", "/"],
             "MiB": ["-w", "10%", "-c", "5%", "-u", "MiB", "-p", "/"]}
LOAD_ARGS = ["-w", "50,40,30", "-c", "100,80,60"]


def run_plugin(path: Path, *args: str) -> Perfdata:
    """The plugin's first datum, as it printed it when run directly."""
    done = subprocess.run([str(path), *args], capture_output=True, text=True, timeout=30)
    return parse_plugin_output(done.stdout).perfdata[0]


def old_style_disk(tmp_path: Path) -> str:
    """check_disk's output before 2.3 (`-u GB` wrote GB perfdata), plus the units other plugins write."""
    path = tmp_path / "check_olddisk"
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent("""
        print("DISK OK - free space: / 76 GB (75% inode=96%); | /=3.2GB;226;239;0;251 "
              "/srv=512MiB;;;0;1024 swap=64KiB rate=12.5req/s;;;0 wait=850ms;1000;2000;0")
    """))
    path.chmod(0o755)
    return str(path)


def suite_file(tmp_path: Path, checks: dict[str, list[str]]) -> Path:
    tables = "".join(f'\n[[check]]\nname = "{name}"\ntype = "command"\nargv = {argv!r}\n'
                     for name, argv in checks.items())
    path = tmp_path / "suite.toml"
    path.write_text(tables.replace("'", '"'))
    return path


def run_suite(tmp_path: Path, checks: dict[str, list[str]]) -> tuple[str, dict[tuple[str, str], tuple[float, str]]]:
    """The suite's first line, and its Prometheus file read by prometheus_client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    out = tmp_path / "cronchecks.prom"
    done = run_console_script("cronchecks", "suite", str(suite_file(tmp_path, checks)), "--no-record",
                              "--prometheus", str(out))
    assert done.code in (0, 1, 2), done.stdout + done.stderr
    families = {family.name: family for family in text_string_to_metric_families(out.read_text())}
    perf = {(s.labels["check"], s.labels["label"]): (s.value, s.labels["unit"])
            for s in families["cronchecks_perfdata"].samples}
    return done.stdout.splitlines()[0], perf


def suite_datum(first_line: str, label: str) -> Perfdata:
    [datum] = [d for d in parse_plugin_output(first_line).perfdata if d.label == label]
    return datum


@needs_plugins
def test_real_check_disk_and_check_load_through_a_suite_and_prometheus(tmp_path):
    checks = {f"disk-{name}": [str(CHECK_DISK), *args] for name, args in DISK_ARGS.items()}
    checks["load"] = [str(CHECK_LOAD), *LOAD_ARGS]
    direct = {name: run_plugin(Path(argv[0]), *argv[1:]) for name, argv in checks.items()}
    first_line, prometheus = run_suite(tmp_path, checks)
    for name, own in direct.items():
        label = own.label
        datum = suite_datum(first_line, f"{name}::{label}")
        # the unit as the plugin wrote it, and the same disk: its size (max) does not move between runs
        assert (datum.uom, datum.maximum, datum.minimum) == (own.uom, own.maximum, own.minimum)
        assert datum.value == pytest.approx(own.value, rel=0.01)
        value, unit = prometheus[(name, label)]
        assert own.value is not None
        base_value, base_unit = to_base(own.value, own.uom)
        assert value == pytest.approx(base_value, rel=0.01)
        assert unit == {"B": "bytes", "": ""}[base_unit]
    assert direct["load"].uom == "" and prometheus[("load", "load1")][1] == ""
    assert direct["disk-GB"].uom in ("B", "GB")  # check_disk 2.3+ writes bytes whatever -u says; older wrote GB


def test_units_older_plugins_write_reach_the_suite_line_and_prometheus(tmp_path):
    first_line, prometheus = run_suite(tmp_path, {"old": [old_style_disk(tmp_path)]})
    assert "old::/=3.2GB;226;239;0;251" in first_line  # verbatim: the thresholds are in the plugin's unit too
    assert "old::/srv=512MiB;;;0;1024" in first_line and "old::rate=12.5req/s;;;0" in first_line
    assert prometheus[("old", "/")] == (3.2e9, "bytes")
    assert prometheus[("old", "/srv")] == (512.0 * 2**20, "bytes")
    assert prometheus[("old", "swap")] == (64.0 * 1024, "bytes")
    assert prometheus[("old", "wait")] == (0.85, "seconds")
    assert prometheus[("old", "rate")] == (12.5, "req/s")  # unknown: unscaled, its unit a label


def cloudwatch_reader(endpoint: str):
    import boto3

    return boto3.client("cloudwatch", region_name="eu-west-1", endpoint_url=endpoint,
                        aws_access_key_id="AKIDTESTTESTTEST", aws_secret_access_key="dummy-secret-key-4711")


def cloudwatch_point(endpoint: str, namespace: str, name: str, check: str, unit: StandardUnitType) -> float:
    """The one datapoint of a metric, asked for in `unit` (moto answers only for the unit it was sent in)."""
    now = datetime.now(UTC)
    stats = cloudwatch_reader(endpoint).get_metric_statistics(
        Namespace=namespace, MetricName=name, StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=10), Period=60, Statistics=["Maximum"], Unit=unit,
        Dimensions=[{"Name": "Check", "Value": check}, {"Name": "Host", "Value": "web1"}])
    [point] = stats["Datapoints"]
    assert point["Unit"] == unit
    return point["Maximum"]


def wrap(tmp_path: Path, name: str, namespace: str, endpoint: str, *command: str):
    return run_console_script("cronchecks", "run", "--state-dir", str(tmp_path / "state"), "--name", name,
                              "--host", "web1", "--cloudwatch", namespace, "--", *command,
                              env=aws_env(endpoint), timeout=60)


@needs_plugins
@pytest.mark.parametrize("how", sorted(DISK_ARGS))
def test_real_check_disk_through_cronchecks_run_reaches_cloudwatch_in_bytes(tmp_path, moto_endpoint, how):
    own = run_plugin(CHECK_DISK, *DISK_ARGS[how])
    assert own.value is not None
    done = wrap(tmp_path, f"disk-{how}", "Cron/Units", moto_endpoint, str(CHECK_DISK), *DISK_ARGS[how])
    assert done.code == 0 and done.stdout.startswith("DISK OK"), done.stdout + done.stderr
    base_value, base_unit = to_base(own.value, own.uom)
    assert base_unit == "B"
    sent = cloudwatch_point(moto_endpoint, "Cron/Units", own.label, f"disk-{how}", "Bytes")
    assert sent == pytest.approx(base_value, rel=0.01)


@needs_plugins
def test_real_check_load_through_cronchecks_run_reaches_cloudwatch_unitless(tmp_path, moto_endpoint):
    done = wrap(tmp_path, "load", "Cron/Units", moto_endpoint, str(CHECK_LOAD), *LOAD_ARGS)
    assert done.code == 0, done.stdout + done.stderr
    own = parse_plugin_output(done.stdout).perfdata  # what the wrapper printed is the plugin's own line
    assert [d.label for d in own] == ["load1", "load5", "load15"]
    assert cloudwatch_point(moto_endpoint, "Cron/Units", "load1", "load", "None") == pytest.approx(own[0].value)


def test_old_style_units_through_cronchecks_run_reach_cloudwatch_scaled(tmp_path, moto_endpoint):
    done = wrap(tmp_path, "old", "Cron/Old", moto_endpoint, old_style_disk(tmp_path))
    assert done.code == 0 and "/=3.2GB;226;239;0;251" in done.stdout  # passed through unchanged
    assert cloudwatch_point(moto_endpoint, "Cron/Old", "/", "old", "Bytes") == 3.2e9
    assert cloudwatch_point(moto_endpoint, "Cron/Old", "/srv", "old", "Bytes") == 512 * 2**20
    assert cloudwatch_point(moto_endpoint, "Cron/Old", "wait", "old", "Seconds") == pytest.approx(0.85)
    assert cloudwatch_point(moto_endpoint, "Cron/Old", "rate", "old", "Count/Second") == 12.5


# --- the grammar, as a property -----------------------------------------------------------------

# Labels: anything printable but the characters the renderer must replace (| and line breaks end the
# status line); spaces, '=' and quotes are allowed, since the renderer quotes them.
_labels = st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"], exclude_characters="|\x85"),
                  min_size=1, max_size=16)
_units = st.one_of(st.sampled_from(["", *GUIDELINE_UNITS, *BINARY_UNITS, "req/s", "MiB/s", "kB"]),
                   st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=6).filter(is_valid_unit))
_numbers = st.floats(allow_nan=False, allow_infinity=False)
_bounds = st.one_of(st.none(), _numbers)


@st.composite
def _ranges(draw) -> Range | None:
    if draw(st.booleans()):
        return None
    start = draw(st.one_of(st.just(-math.inf), st.floats(-1e12, 1e12)))
    end = draw(st.one_of(st.just(math.inf), st.floats(-1e12, 1e12)))
    start, end = min(start, end), max(start, end)
    return Range(start, end, draw(st.booleans()))


@st.composite
def _data(draw) -> Perfdata:
    value = draw(st.one_of(st.none(), _numbers))
    return Perfdata(draw(_labels), value, draw(_units), draw(_ranges()), draw(_ranges()), draw(_bounds),
                    draw(_bounds))


def _equivalent(read: Perfdata, written: Perfdata) -> None:
    assert read.label == written.label
    assert read.value == written.value
    if written.value is not None:  # 'U' carries no unit
        assert read.uom == written.uom
    for got, put in ((read.warning, written.warning), (read.critical, written.critical)):
        assert got == (None if put is None else put.render())
        if put is not None:  # and the text read back means the same range
            again = parse_range(got)
            assert (again.start, again.end, again.inside) == (put.start, put.end, put.inside)
    assert (read.minimum, read.maximum) == (written.minimum, written.maximum)


@given(st.lists(_data(), min_size=1, max_size=6))
def test_any_perfdata_the_guidelines_allow_reads_back_as_written(data):
    line = nagios_lines("X", Result(Status.OK, "fine", data))
    assert " | " in line and "\n" not in line
    read = parse_plugin_output(line).perfdata
    assert len(read) == len(data)
    for got, put in zip(read, data, strict=True):
        _equivalent(got, put)
        assert format_perfdata(got) == format_perfdata(put)  # and renders back to the same text


_datum_text = st.builds(
    lambda label, value, unit, fields: f"{label}={value}{unit}" + "".join(f";{f}" for f in fields),
    st.from_regex(r"[A-Za-z_/][A-Za-z0-9_/.:-]{0,10}", fullmatch=True) | st.from_regex(r"'[^'|\n\r]{1,8}'",
                                                                                       fullmatch=True),
    st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,4})?", fullmatch=True) | st.just("U"),
    st.sampled_from(["", *GUIDELINE_UNITS, *BINARY_UNITS]),
    st.lists(st.from_regex(r"(@?(~|-?[0-9]{1,4}(\.[0-9]{1,2})?)?:?(-?[0-9]{1,4})?)?", fullmatch=True), max_size=4),
)


@given(st.lists(_datum_text, min_size=1, max_size=6))
def test_perfdata_text_in_the_guidelines_grammar_round_trips(items):
    text = " ".join(items)
    read = parse_perfdata(text)
    assert len(read) == len(items)
    rendered = " ".join(format_perfdata(d) for d in read)
    assert parse_perfdata(rendered) == read


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_and_what_is_read_renders(text):
    parsed = parse_plugin_output(text)
    line = nagios_lines("X", Result(Status.UNKNOWN, parsed.summary, parsed.perfdata))
    assert line.startswith("X UNKNOWN - ")
    assert parse_plugin_output(line).perfdata == parsed.perfdata


def test_a_bar_in_a_label_of_long_output_perfdata_reads_as_it_would_be_written():
    parsed = parse_plugin_output("X OK - fine\nlong output | a=1\nb|c=2 'd|e'=3GB")
    assert [(d.label, d.value, d.uom) for d in parsed.perfdata] == [("a", 1, ""), ("b/c", 2, ""), ("d/e", 3, "GB")]
    line = nagios_lines("X", Result(Status.OK, "fine", parsed.perfdata))
    assert line == "X OK - fine | a=1 b/c=2 d/e=3GB"
