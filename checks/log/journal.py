"""The systemd journal as a log: entries read through `journalctl -o json`, after the cursor kept in --state."""

from __future__ import annotations

import os
from typing import NamedTuple

from cronchecks.core.errors import CheckError, DeadlinePassed

PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
# journalctl's own aliases for the names above (as `journalctl -p` accepts them).
_ALIASES = {"panic": 0, "error": 3, "warn": 4}
# What journalctl may print for one run: more waits for the next run (with --state) or is UNKNOWN.
OUTPUT_LIMIT = 64 * 1024 * 1024
FIELDS = "MESSAGE,PRIORITY,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER"


def _level(text: str) -> int:
    word = text.strip().lower()
    if word.isdigit() and len(word) == 1 and int(word) <= 7:
        return int(word)
    if word in PRIORITIES:
        return PRIORITIES.index(word)
    if word in _ALIASES:
        return _ALIASES[word]
    raise ValueError(f"{text!r} is not a priority: {', '.join(PRIORITIES)} or 0-7, or a range such as err..warning")


def parse_priority(text: str) -> tuple[int, int]:
    """journalctl -p's LEVEL or FROM..TO, as the lowest and highest priority number shown (0 is emerg).

    A single level means it and everything more severe (`err` is 0..3), as in journalctl.
    """
    if ".." in text:
        low, _, high = text.partition("..")
        first, last = _level(low), _level(high)
        return (min(first, last), max(first, last))
    return (0, _level(text))


def priority_argument(levels: tuple[int, int]) -> str:
    """The -p argument journalctl reads for a range of priority numbers."""
    return f"{levels[0]}..{levels[1]}"


class JournalRead(NamedTuple):
    """What one journalctl run gave: the entries' messages as lines, and where to go on from."""

    data: bytes  # one line per entry: its MESSAGE (newlines inside it made spaces)
    entries: int
    cursor: str | None  # of the last entry read (None: none read)
    truncated: bool  # journalctl printed more than OUTPUT_LIMIT: the rest is for the next run


class JournalSource(NamedTuple):
    """Which journal and which of its entries: as journalctl's options say them."""

    units: tuple[str, ...] = ()
    priority: tuple[int, int] | None = None
    directory: str | None = None
    file: str | None = None

    def describe(self) -> str:
        where = f"journal file {self.file}" if self.file else f"journal in {self.directory}" if self.directory \
            else "journal"
        if self.units:
            where += " (" + ", ".join(self.units) + ")"
        return where

    def missing(self) -> str | None:
        """Why the named journal cannot be read, before journalctl is asked (None: it may be)."""
        path = self.file or self.directory
        if path and not os.path.exists(path):
            return "missing"
        if self.directory and not os.path.isdir(self.directory):
            return "is not a directory"
        return None

    def argv(self, program: str = "journalctl") -> list[str]:
        argv = [program, "--no-pager", "-q", "-o", "json"]
        if self.file:
            argv += ["--file", self.file]
        elif self.directory:
            argv += ["--directory", self.directory]
        return argv


def _run(argv: list[str], runtime) -> str:
    from cronchecks.support.process import run_command

    runtime.log(2, "running " + " ".join(argv))
    done = run_command(argv, runtime.remaining(), passthrough=False, head_bytes=OUTPUT_LIMIT, tail_bytes=0,
                       env={**os.environ, "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", "LC_ALL": "C"})
    if done.start_error:
        if done.start_error.startswith("command not found"):
            raise CheckError("journalctl not found: --journal reads the journal through systemd's journalctl")
        raise CheckError(f"journalctl: {done.start_error}")
    if done.timed_out:
        raise DeadlinePassed("journalctl did not finish in time")
    if done.exit_code != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.exit_code}"])[-1]
        raise CheckError(f"journalctl failed: {reason}")
    return done.stdout


def newest_cursor(source: JournalSource, runtime) -> str | None:
    """The cursor of the journal's newest entry (whatever its unit or priority), or None when it is empty."""
    import json

    out = _run([*source.argv(), "-n", "1", "--output-fields=MESSAGE"], runtime)
    for line in out.splitlines():
        try:
            return json.loads(line)["__CURSOR"]
        except (ValueError, KeyError, TypeError):
            continue
    return None


def read_entries(source: JournalSource, runtime, *, after: str | None, since: float | None,
                 from_start: bool = True) -> JournalRead:
    """The entries after the cursor `after` (or all), newer than `since` (epoch seconds) when given."""
    import json

    argv = [*source.argv(), f"--output-fields={FIELDS}"]
    for unit in source.units:
        argv += ["--unit", unit]
    if source.priority is not None:
        argv += ["--priority", priority_argument(source.priority)]
    if after:
        argv += ["--after-cursor", after]  # journalctl takes no --since beside it: the window is applied here
    elif since is not None:
        argv += ["--since", f"@{int(since)}"]
    out = _run(argv, runtime)
    lines: list[bytes] = []
    cursor = after
    truncated = False
    threshold = None if since is None else int(since * 1_000_000)
    for text in out.splitlines():
        try:
            entry = json.loads(text)
            entry_cursor = entry["__CURSOR"]
        except (ValueError, KeyError, TypeError):
            truncated = truncated or bool(text)  # the cut-off end of an output beyond OUTPUT_LIMIT
            continue
        cursor = entry_cursor
        if threshold is not None:
            try:
                if int(entry.get("__REALTIME_TIMESTAMP", 0)) < threshold:
                    continue
            except (TypeError, ValueError):
                continue
        lines.append(_message(entry.get("MESSAGE")))
    data = b"\n".join(lines) + b"\n" if lines else b""
    return JournalRead(data, len(lines), cursor, truncated)


def _message(value) -> bytes:
    # journalctl's JSON gives a message that is not UTF-8 as a list of byte values, and
    # one too large to show as null.
    if isinstance(value, str):
        raw = value.encode("utf-8", "replace")
    elif isinstance(value, list):
        try:
            raw = bytes(value)
        except (TypeError, ValueError):
            raw = b""
    else:
        raw = b""
    return raw.replace(b"\r\n", b" ").replace(b"\n", b" ")
