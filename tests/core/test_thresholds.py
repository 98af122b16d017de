"""Ranges exactly as the Monitoring Plugins guidelines define them, durations and sizes."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.result import Status
from cronchecks.core.thresholds import (
    ParseError,
    Range,
    format_duration,
    judge,
    parse_duration,
    parse_range,
    parse_size,
)

# The guidelines' table: (range, values that alert, values that do not).
GUIDELINE_TABLE = [
    ("10", [-1, -0.001, 10.001, 11, 1e9], [0, 5, 10]),
    ("10:", [-1, 0, 9.999], [10, 11, 1e9]),
    ("~:10", [10.001, 11, 1e9], [-1e9, -1, 0, 10]),
    ("10:20", [-1, 9.99, 20.01, 100], [10, 15, 20]),
    ("@10:20", [10, 15, 20], [9.99, 20.01, -5, 100]),
    ("0", [-0.5, 0.5, 1], [0]),
    ("@0", [0], [0.1, -0.1]),
    ("-5:5", [-5.1, 5.1], [-5, 0, 5]),
    ("@~:0", [-100, 0], [0.1]),
]


@pytest.mark.parametrize("text, alerting, quiet", GUIDELINE_TABLE)
def test_guideline_ranges(text, alerting, quiet):
    parsed = parse_range(text)
    for value in alerting:
        assert parsed.alerts(value), f"{text} should alert on {value}"
    for value in quiet:
        assert not parsed.alerts(value), f"{text} should not alert on {value}"


@pytest.mark.parametrize("text",
                         ["", " ", "@", "abc", "10:5", "1:2:3", "~", "5:~", "10MB", "1e", "nan", "inf", ":", "@:"])
def test_invalid_ranges_are_rejected_naming_the_text(text):
    with pytest.raises(ParseError) as caught:
        parse_range(text)
    assert repr(text.strip()) in str(caught.value) or repr(text) in str(caught.value)


def test_range_bounds_carry_units():
    assert parse_range("500ms:2s", "duration") == Range(0.5, 2.0, False, "500ms:2s")
    assert parse_range("5m", "duration").end == 300
    assert parse_range("@1h:1d", "duration") == Range(3600, 86400, True, "@1h:1d")
    assert parse_range("10MB", "size").end == 10_000_000
    assert parse_range("1GiB:", "size").start == 2**30
    with pytest.raises(ParseError):
        parse_range("5parsecs", "duration")


@pytest.mark.parametrize("text, rendered", [
    ("10", "10"), ("10:", "10:"), ("~:10", "~:10"), ("10:20", "10:20"), ("@10:20", "@10:20"),
    ("@10", "@0:10"), ("5m", None), ("0.5", "0.5"),
])
def test_range_renders_for_perfdata(text, rendered):
    unit = "duration" if text == "5m" else "number"
    assert parse_range(text, unit).render() == (rendered or "300")


def test_critical_is_judged_before_warning():
    warning, critical = parse_range("10"), parse_range("20")
    assert judge(5, warning, critical) is Status.OK
    assert judge(15, warning, critical) is Status.WARNING
    assert judge(25, warning, critical) is Status.CRITICAL
    # A value inside the warning range but outside critical is still CRITICAL.
    assert judge(25, parse_range("30"), parse_range("20")) is Status.CRITICAL
    assert judge(25, None, None) is Status.OK


@pytest.mark.parametrize("text, seconds", [
    ("0", 0), ("30", 30), ("2.5", 2.5), ("500ms", 0.5), ("250us", 0.00025), ("2s", 2), ("5m", 300),
    ("1h", 3600), ("1d", 86400), ("1w", 604800), ("1h30m", 5400), ("1h 30m", 5400), ("90 seconds", 90),
    ("-5m", -300), ("1.5h", 5400), ("5M", 300),
])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "m", "5x", "5m3", "--5", "1e5", "five", "5 m s", "-"])
def test_bad_durations(text):
    with pytest.raises(ParseError):
        parse_duration(text)


@pytest.mark.parametrize("text, size", [
    ("0", 0), ("512", 512), ("512B", 512), ("1KB", 1000), ("1kB", 1000), ("1K", 1024), ("1KiB", 1024),
    ("10MB", 10_000_000), ("10M", 10 * 2**20), ("10MiB", 10 * 2**20), ("1GiB", 2**30), ("1.5G", 1.5 * 2**30),
    ("2TB", 2e12),
])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "10XB", "ten", "1.2.3MB"])
def test_bad_sizes(text):
    with pytest.raises(ParseError):
        parse_size(text)


@pytest.mark.parametrize("seconds, text", [
    (0.042, "42 ms"), (5, "5.0 s"), (42, "42 s"), (185, "3m 05s"), (7800, "2h 10m"), (3 * 86400 + 4 * 3600, "3d 4h"),
])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


# --- properties: parsers never fail with anything but ParseError -------------------------

range_texts = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"@?(~|-?\d{1,4}(\.\d{1,3})?)?:?(-?\d{1,4}(\.\d{1,3})?)?(ms|s|m|h|d|MB|KiB)?", fullmatch=True),
)


@given(range_texts, st.sampled_from(["number", "duration", "size", "percent"]))
def test_parse_range_raises_only_parse_error(text, unit):
    try:
        parsed = parse_range(text, unit)
    except ParseError:
        return
    assert parsed.start <= parsed.end
    assert not math.isnan(parsed.start) and not math.isnan(parsed.end)


@given(st.text(max_size=16))
def test_parse_duration_raises_only_parse_error(text):
    try:
        value = parse_duration(text)
    except ParseError:
        return
    assert math.isfinite(value)


@given(st.text(max_size=16))
def test_parse_size_raises_only_parse_error(text):
    try:
        value = parse_size(text)
    except ParseError:
        return
    assert math.isfinite(value)


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(-1e7, 1e7))
def test_inside_is_the_complement_of_outside(a, b, value):
    low, high = sorted((a, b))
    text = f"{low:f}:{high:f}"
    outside = parse_range(text)
    inside = parse_range("@" + text)
    assert outside.alerts(value) != inside.alerts(value)


@given(st.integers(0, 10**6), st.sampled_from(["ms", "s", "m", "h", "d"]))
def test_duration_units_scale(number, unit):
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    assert parse_duration(f"{number}{unit}") == pytest.approx(number * scale)


@given(st.floats(0, 1e12, allow_nan=False), st.booleans())
def test_rendered_range_parses_back_to_the_same_bounds(end, inside):
    original = Range(0, end, inside)
    again = parse_range(original.render())
    assert again.end == pytest.approx(end, rel=1e-12)
    assert again.inside == inside
