"""Where a table or key of a TOML file was written: tomllib gives values, not lines, and mistakes name lines."""

from __future__ import annotations

import re


def table_starts(lines: list[str], header: str) -> list[int]:
    """Line numbers (from 1) of every `header` line: a regex for `[defaults]`, `[[check]]`, `[channels.ops]`."""
    pattern = re.compile(header)
    return [number + 1 for number, line in enumerate(lines) if pattern.match(line)]


def key_line(lines: list[str], start: int, key: str) -> int:
    """The line of `key = ...` in the table that begins at line `start` (0: before any table); `start` if absent."""
    pattern = re.compile(rf"""\s*(?:"{re.escape(key)}"|'{re.escape(key)}'|{re.escape(key)})\s*=""")
    for number in range(start, len(lines)):
        line = lines[number]
        if re.match(r"\s*\[", line) and number + 1 != start:
            break
        if pattern.match(line):
            return number + 1
    return start
