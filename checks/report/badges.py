"""One SVG badge per check (`--badges DIR`): its state and 7-day uptime, in the shields style, for READMEs and wikis."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

from cronchecks.report.html import SYMBOLS
from cronchecks.report.text import uptime_text

# The light scheme's colours: white text on each is at least 4.5:1 (WCAG AA), as on the page.
_COLOURS = {"OK": "#17753f", "WARNING": "#9a6200", "CRITICAL": "#c42f2f", "UNKNOWN": "#7a52b8", None: "#5d6675"}
_LABEL_COLOUR = "#454b54"


def _text_width(text: str) -> int:
    """Verdana 11px, roughly: shields measures each glyph; a fixed width per character is close enough."""
    return int(sum(7.5 if ch.isupper() or ch in "mwMW%" else 6.2 for ch in text)) + 10


def badge_svg(name: str, status: str | None, uptime_7d: float | None) -> str:
    """`name | ✓ OK 99.95%`: label and message, each in its own box, with a title for screen readers."""
    message = f"{SYMBOLS[status]} {status or 'NO DATA'}"
    if uptime_7d is not None:
        message += f" {uptime_text(uptime_7d)}"
    left, right = _text_width(name), _text_width(message)
    total = left + right
    words = f"{name}: {status or 'no data'}, uptime over 7 days {uptime_text(uptime_7d)}"
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
            f'aria-label="{escape(words)}"><title>{escape(words)}</title>'
            f'<rect width="{left}" height="20" fill="{_LABEL_COLOUR}"/>'
            f'<rect x="{left}" width="{right}" height="20" fill="{_COLOURS[status]}"/>'
            '<g fill="#fff" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
            f'<text x="{left / 2:.1f}" y="14" text-anchor="middle">{escape(name)}</text>'
            f'<text x="{left + right / 2:.1f}" y="14" text-anchor="middle">{escape(message)}</text></g></svg>\n')


def badge_file_name(name: str) -> str:
    """A check's badge file: its name with anything but letters, digits, `.`, `_` and `-` as `_` (`web_1.svg`)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "check"
    return safe[:200] + ".svg"


def write_badges(folder: Path, documents: list[dict[str, Any]]) -> list[Path]:
    """Write every check's badge atomically (a host's name in front when several hosts are drawn)."""
    from cronchecks.support.atomicfile import write_atomically

    written: list[Path] = []
    several = len(documents) > 1
    taken: set[str] = set()
    for document in documents:
        for check in document["checks"]:
            file_name = badge_file_name(f"{document['host']}-{check['name']}" if several else check["name"])
            stem, number = file_name[:-4], 2
            while file_name in taken:  # `web/1` and `web_1` would share a file
                file_name, number = f"{stem}-{number}.svg", number + 1
            taken.add(file_name)
            path = folder / file_name
            write_atomically(path, badge_svg(check["name"], check["status"], check["uptime_7d"]).encode("utf-8"))
            written.append(path)
    return written
