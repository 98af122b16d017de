"""The Nagios line and the JSON object, the only two ways a result is printed."""

import json

import pytest

from cronchecks.core.output import format_perfdata, json_line, nagios_lines
from cronchecks.core.result import Perfdata, Result, Status, worst
from cronchecks.core.thresholds import parse_range


def test_status_line_with_perfdata():
    result = Result(Status.OK, "200 OK, 612 B in 0.042 s", [
        Perfdata("time", 0.042, "s", parse_range("1"), parse_range("3"), minimum=0),
        Perfdata("size", 612, "B", minimum=0),
    ])
    assert nagios_lines("HTTP", result) == "HTTP OK - 200 OK, 612 B in 0.042 s | time=0.042s;1;3;0 size=612B;;;0"


@pytest.mark.parametrize("label, shown", [
    ("time", "time"), ("response time", "'response time'"), ("a=b", "'a=b'"), ("it's", "'it''s'"),
    ("pipe|label", "pipe/label"),
])
def test_perfdata_labels_are_quoted_when_needed(label, shown):
    assert format_perfdata(Perfdata(label, 1)) == f"{shown}=1"


@pytest.mark.parametrize("value, shown", [
    (0.0000123, "0.0000123"), (1e20, "100000000000000000000"), (12.0, "12"), (-3.5, "-3.5"), (float("nan"), "U"),
    (None, "U"), (float("inf"), "U"),
])
def test_perfdata_numbers_never_use_an_exponent(value, shown):
    assert format_perfdata(Perfdata("x", value, "s" if value is not None else "")).split("=")[1].split(";")[0] in (
        shown, shown + "s")


@pytest.mark.parametrize("unit", ["GB", "MiB", "KiB", "req/s", "seconds"])
def test_any_unit_that_reads_back_is_kept_verbatim(unit):
    assert format_perfdata(Perfdata("x", 3.2, unit)) == f"x=3.2{unit}"


@pytest.mark.parametrize("unit, canonical", [("kB", "KB"), ("kiB", "KiB"), ("µs", "us")])
def test_other_spellings_of_a_known_unit_take_its_usual_one(unit, canonical):
    assert Perfdata("x", 1, unit).uom == canonical


@pytest.mark.parametrize("unit", ["a b", "x;y", "e5", "5s", ".s", "it's", "a=b", "a|b"])
def test_a_unit_that_would_not_read_back_is_refused(unit):
    with pytest.raises(ValueError, match="cannot be written after a value"):
        Perfdata("x", 1, unit)


def test_pipe_and_newline_cannot_corrupt_the_status_line():
    result = Result(Status.CRITICAL, "body had a | in it\nand a newline", [Perfdata("n", 1)], ["detail | with pipe"])
    first, second = nagios_lines("LOG", result).split("\n")
    assert first == "LOG CRITICAL - body had a / in it and a newline | n=1"
    assert "|" not in second


def test_json_object_has_every_field():
    result = Result(Status.WARNING, "slow", [Perfdata("time", 1.5, "s", parse_range("1"), None, 0)], ["d1"])
    data = json.loads(json_line("HTTP", result, duration=1.5))
    assert data == {
        "label": "HTTP", "status": "WARNING", "code": 1, "summary": "slow",
        "perfdata": [{"label": "time", "value": 1.5, "uom": "s", "warning": "1", "critical": None, "min": 0,
                      "max": None}],
        "details": ["d1"], "duration": 1.5,
    }


@pytest.mark.parametrize("states, expected", [
    ([], Status.OK),
    ([Status.OK, Status.OK], Status.OK),
    ([Status.OK, Status.UNKNOWN], Status.UNKNOWN),
    ([Status.UNKNOWN, Status.WARNING], Status.WARNING),
    ([Status.CRITICAL, Status.UNKNOWN, Status.WARNING], Status.CRITICAL),
])
def test_worst_is_max_state_alt(states, expected):
    assert worst(states) is expected


@pytest.mark.parametrize("text, state", [("ok", Status.OK), ("WARN", Status.WARNING), ("crit", Status.CRITICAL),
                                         ("Unknown", Status.UNKNOWN)])
def test_states_parse_as_operators_write_them(text, state):
    assert Status.parse(text) is state
    with pytest.raises(ValueError, match="not a state: 'fine'"):
        Status.parse("fine")
