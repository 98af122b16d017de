"""Reading other plugins' output: summary, perfdata (first line and long output), long output."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronchecks.core.output import format_perfdata
from cronchecks.core.pluginoutput import parse_perfdata, parse_plugin_output
from cronchecks.core.result import Perfdata


def test_status_line_long_output_and_multiline_perfdata():
    text = ("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
            "/ 15272 MB (77%);\n/boot 68 MB (69%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n")
    parsed = parse_plugin_output(text)
    assert parsed.summary == "DISK OK - free space: / 3326 MB (56%);"
    assert parsed.long_output == "/ 15272 MB (77%);\n/boot 68 MB (69%); "
    assert [(p.label, p.value, p.uom, p.warning, p.critical, p.minimum, p.maximum) for p in parsed.perfdata] == [
        ("/", 2643, "MB", "5948", "5958", 0, 5968),
        ("/boot", 68, "MB", "88", "93", 0, 98),
        ("/home", 69357, "MB", "253404", "253409", 0, 253414),
    ]


@pytest.mark.parametrize("text, expected", [
    ("'resp time'=0.5s;1;2", [("resp time", 0.5, "s")]),
    ("'it''s'=3c", [("it's", 3, "c")]),
    ("a=U b=1e3 c=-2.5%", [("a", None, ""), ("b", 1000, ""), ("c", -2.5, "%")]),
    ("garbage a=1 =2 b==3 c=4furlongs", [("a", 1, ""), ("c", 4, "furlongs")]),  # an unknown unit is kept
    ("", []),
])
def test_perfdata_that_is_odd_is_skipped_not_fatal(text, expected):
    assert [(p.label, p.value, p.uom) for p in parse_perfdata(text)] == expected


def test_thresholds_pass_through_as_written():
    datum = parse_perfdata("load1=0.51;@5:10;~:20;0")[0]
    assert format_perfdata(datum) == "load1=0.51;@5:10;~:20;0"


labels = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="'=|"), min_size=1, max_size=12)


@given(st.lists(st.tuples(labels, st.floats(-1e9, 1e9, allow_nan=False), st.sampled_from(["", "s", "B", "%", "c"])),
                max_size=5))
def test_what_we_write_we_read_back(data):
    written = " ".join(format_perfdata(Perfdata(label.strip() or "x", value, uom)) for label, value, uom in data)
    read = parse_perfdata(written)
    assert [(p.label, p.uom) for p in read] == [(label.strip() or "x", uom) for label, _, uom in data]
    for datum, (_, value, _) in zip(read, data, strict=True):
        assert datum.value == pytest.approx(value, rel=1e-9, abs=1e-9)


@given(st.text(max_size=200))
def test_any_text_parses_without_error(text):
    parsed = parse_plugin_output(text)
    assert isinstance(parsed.summary, str)
