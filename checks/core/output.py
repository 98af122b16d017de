"""A Result rendered as the Nagios plugin line or as JSON; nothing else formats results."""

from __future__ import annotations

import math

from cronchecks.core.result import Perfdata, Result
from cronchecks.core.thresholds import Range, plain_number


def _quote_label(label: str) -> str:
    # The guidelines: quote labels with spaces (any white space), '=' or quotes; a quote
    # inside is doubled.
    label = label.replace("|", "/").replace("\n", " ")
    if any(ch.isspace() or ch in "='" for ch in label):
        return "'" + label.replace("'", "''") + "'"
    return label


def _threshold_field(value: object | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Range):
        return value.render()
    if isinstance(value, str):  # another plugin's threshold, passed on as it wrote it
        return value
    return plain_number(float(value))  # type: ignore[arg-type]


def format_perfdata(datum: Perfdata) -> str:
    """`'label'=value[UOM];[warn];[crit];[min];[max]`, trailing empty fields dropped."""
    value = "U" if datum.value is None else plain_number(datum.value)
    fields = [
        f"{value}{datum.uom if datum.value is not None else ''}",
        _threshold_field(datum.warning),
        _threshold_field(datum.critical),
        "" if datum.minimum is None else plain_number(datum.minimum),
        "" if datum.maximum is None else plain_number(datum.maximum),
    ]
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return f"{_quote_label(datum.label)}={';'.join(fields)}"


# Control characters that are not white space (NUL, ESC and the like): shown as '?', so no
# data a check reports (a log line, a body) can move the cursor or restyle a terminal.
_CONTROLS = {code: "?" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if not chr(code).isspace()}


def _one_line(text: str) -> str:
    # A '|' would start perfdata early, and any line break (\n, \r, \x1e, \u2028: what
    # str.split takes as white space) would end the status line: a label or a summary
    # can never forge a second status line.
    return " ".join(text.translate(_CONTROLS).replace("|", "/").split())


def nagios_lines(label: str, result: Result) -> str:
    """The plugin output: `LABEL STATUS - summary | perfdata`, then detail lines."""
    line = f"{_one_line(label) or 'CHECK'} {result.status.name} - {_one_line(result.summary)}"
    if result.perfdata:
        line += " | " + " ".join(format_perfdata(p) for p in result.perfdata)
    lines = [line]
    lines.extend(detail.translate(_CONTROLS).replace("|", "/") for detail in result.details)
    return "\n".join(lines)


def _json_number(value: float | None) -> float | int | None:
    if value is None or not math.isfinite(value):
        return None
    return int(value) if value == int(value) and abs(value) < 2**53 else value


def as_dict(label: str, result: Result, duration: float | None = None) -> dict:
    """The JSON shape of a result: the same facts as the Nagios line, structured."""
    return {
        "label": label,
        "status": result.status.name,
        "code": int(result.status),
        "summary": result.summary,
        "perfdata": [
            {
                "label": p.label,
                "value": _json_number(p.value),
                "uom": p.uom,
                "warning": _threshold_field(p.warning) or None,
                "critical": _threshold_field(p.critical) or None,
                "min": _json_number(p.minimum),
                "max": _json_number(p.maximum),
            }
            for p in result.perfdata
        ],
        "details": list(result.details),
        "duration": None if duration is None else round(duration, 6),
    }


def json_line(label: str, result: Result, duration: float | None = None) -> str:
    """One JSON object on one line."""
    import json

    return json.dumps(as_dict(label, result, duration), ensure_ascii=False)


def render(label: str, result: Result, output_format: str, duration: float | None = None) -> str:
    """The text a command prints for a result in the requested format."""
    if output_format == "json":
        return json_line(label, result, duration)
    return nagios_lines(label, result)

