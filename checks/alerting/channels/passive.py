"""A result as the plugin text Nagios takes passively (command file, NSCA, NRDP), fitted to a byte limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def fit_passive_text(first_line: str, long_output: str, perfdata: Sequence[str], limit: int,
                     escaped: bool = False) -> str:
    """`first line | perfdata`, then the long output, within `limit` UTF-8 bytes.

    What a reader and a grapher need comes first: the status line and every perfdata item stay
    whole; the long output is cut in the middle (a marker says how much went) to make room.
    Only when the status line and perfdata alone are over the limit do perfdata items go, from
    the last, and then the status line's tail. `escaped`: the size is the command file's, where
    a line break and a backslash each take two bytes (see command_file_escape); the text
    returned is still raw.
    """
    from cronchecks.alerting.messages import fit

    def size(text: str) -> int:
        return len((command_file_escape(text) if escaped else text).encode("utf-8", "replace"))

    first = " ".join(first_line.replace("|", "/").split("\n")).strip()
    items = [item for item in perfdata if item]
    head = _head(first, items)
    while items and size(head) > limit:
        items.pop()
        head = _head(first, items)
    if size(head) > limit:
        return _cut_bytes(first, limit, size)
    body = long_output.replace("\r\n", "\n").replace("\r", "\n").strip("\n").replace("|", "/")
    if not body:
        return head
    room = limit - size(head + "\n")
    if room < 40:  # not even a marker fits: the status line and perfdata say it all
        return head
    return head + "\n" + fit(body, room, size)


def command_file_escape(text: str) -> str:
    """Text as Nagios' external command file takes it on one line: backslashes doubled, line breaks as
    backslash-n (Nagios undoes both when it reads a passive result)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _head(first: str, items: Sequence[str]) -> str:
    return f"{first}|{' '.join(items)}" if items else first


def _cut_bytes(text: str, limit: int, size) -> str:
    """The head of `text` within `limit` (as `size` measures), ending on a whole character."""
    kept = text.encode("utf-8", "replace")[:max(limit, 0)].decode("utf-8", "ignore")
    while kept and size(kept) > limit:
        kept = kept[:-1]
    return kept


def run_event_parts(event: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """A run event's first line, long output and perfdata items, as its check printed them.

    The event's `plugin_output` is the check's own text; an event queued without it (by an
    older version) still has its summary and perfdata values.
    """
    from cronchecks.core.output import format_perfdata
    from cronchecks.core.pluginoutput import parse_plugin_output
    from cronchecks.core.result import Perfdata

    text = event.get("plugin_output")
    if isinstance(text, str) and text.strip():
        parsed = parse_plugin_output(text)
        return parsed.summary, parsed.long_output, [format_perfdata(p) for p in parsed.perfdata]
    perf = []
    for record in event.get("perfdata") or []:
        try:
            perf.append(format_perfdata(Perfdata(str(record["label"]), record.get("value"), record.get("uom") or "")))
        except (KeyError, TypeError, ValueError):
            continue
    return str(event.get("summary") or ""), "", perf
