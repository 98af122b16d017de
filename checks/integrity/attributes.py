"""The attributes sidecar of a manifest (`MANIFEST.perms`): mode, owner, size, mtime, inode, links, link target.

A manifest in coreutils' format holds only hashes; what else `--track` keeps goes beside it, one line a file:
`mode=0644 owner=0:0 target=-  NAME`, names escaped as in the manifest (a leading backslash), values with no
spaces in them (a symlink target's backslash, space, CR and LF are escaped). The first line says what is kept:
`# cronchecks attributes: mode,owner,target`. Attributes are read without following symlinks, so a link is
recorded by its own target and a link swapped to another file of the same content is caught. A sidecar without
that line is the older `MODE UID GID  NAME` form (`--track-perms` before `--track`), read as mode and owner of the
file a link points to, as it was written.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from cronchecks.core.errors import UsageError
from cronchecks.integrity.manifest import ManifestError, escape_name, needs_escape, unescape_name

TRACKABLE = ("mode", "owner", "size", "mtime", "inode", "links", "target")
PERMISSIONS = ("mode", "owner")  # what --track-perms keeps
_HEADER = b"# cronchecks attributes: "
_OLD_LINE = re.compile(rb"([0-7]{3,4}) (\d+) (\d+)  (.+)", re.DOTALL)
_VALUE_ESCAPES = {b"\\\\": b"\\", b"\\s": b" ", b"\\n": b"\n", b"\\r": b"\r"}


class Sidecar(NamedTuple):
    """A sidecar read back: which attributes it keeps, whether links were followed, each file's values."""

    tracked: tuple[str, ...]
    follows_links: bool
    table: dict[bytes, dict[str, str]]


def sidecar_path(manifest: str) -> str:
    """The sidecar that keeps attributes beside a manifest: `MANIFEST.perms`."""
    return manifest + ".perms"


def parse_track(text: str) -> tuple[str, ...]:
    """`--track mode,owner,size`: known names, in the canonical order, each once."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"no attribute named ({', '.join(TRACKABLE)})")
    unknown = [name for name in names if name not in TRACKABLE]
    if unknown:
        raise ValueError(f"unknown attribute {unknown[0]!r} ({', '.join(TRACKABLE)})")
    return tuple(name for name in TRACKABLE if name in names)


def attributes_of(path: str, tracked: Iterable[str], follow_links: bool = False) -> dict[str, str]:
    """The tracked attributes of one file as the sidecar writes them."""
    info = os.stat(path) if follow_links else os.lstat(path)
    values: dict[str, str] = {}
    for name in tracked:
        if name == "mode":
            values[name] = f"{stat.S_IMODE(info.st_mode):04o}"
        elif name == "owner":
            values[name] = f"{info.st_uid}:{info.st_gid}"
        elif name == "size":
            values[name] = str(info.st_size)
        elif name == "mtime":
            values[name] = str(info.st_mtime_ns)
        elif name == "inode":
            values[name] = str(info.st_ino)
        elif name == "links":
            values[name] = str(info.st_nlink)
        elif name == "target":
            values[name] = os.fsdecode(os.readlink(path)) if stat.S_ISLNK(info.st_mode) else "-"
    return values


def _escape_value(value: str) -> bytes:
    raw = os.fsencode(value)
    return raw.replace(b"\\", b"\\\\").replace(b" ", b"\\s").replace(b"\n", b"\\n").replace(b"\r", b"\\r")


def _unescape_value(raw: bytes, number: int) -> str:
    def one(match: re.Match) -> bytes:
        try:
            return _VALUE_ESCAPES[match.group(0)]
        except KeyError:
            raise ManifestError(f"attributes file line {number}: {match.group(0)!r} is no escape") from None

    return os.fsdecode(re.sub(rb"\\.?", one, raw, flags=re.DOTALL))


def format_sidecar(tracked: tuple[str, ...], rows: Iterable[tuple[dict[str, str], bytes]]) -> Iterator[bytes]:
    """The sidecar's lines: the header, then `key=value ...  NAME` per file."""
    yield _HEADER + ",".join(tracked).encode() + b"\n"
    for values, name in rows:
        fields = b" ".join(key.encode() + b"=" + _escape_value(values[key]) for key in tracked) + b"  "
        yield (b"\\" + fields + escape_name(name) if needs_escape(name) else fields + name) + b"\n"


def parse_sidecar(data: bytes) -> Sidecar:
    """A sidecar in either form; a line that fits neither is a ManifestError naming it."""
    lines = data.split(b"\n")
    if not lines[0].startswith(_HEADER):
        return _parse_old(lines)
    try:
        tracked = parse_track(lines[0][len(_HEADER):].decode("ascii"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestError(f"attributes file line 1: {error}") from None
    table: dict[bytes, dict[str, str]] = {}
    for number, raw in enumerate(lines[1:], start=2):
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if not line.strip() or line.startswith(b"#"):
            continue
        escaped = line.startswith(b"\\")
        fields, sep, name = (line[1:] if escaped else line).partition(b"  ")
        if not sep or not name:
            raise ManifestError(f"attributes file line {number} is not 'KEY=VALUE ...  NAME'")
        values = {}
        for field in fields.split(b" "):
            key, equals, value = field.partition(b"=")
            if not equals or key.decode("ascii", "replace") not in tracked:
                raise ManifestError(f"attributes file line {number}: {field!r} is not one of {','.join(tracked)}")
            values[key.decode("ascii")] = _unescape_value(value, number)
        if escaped:
            try:
                name = unescape_name(name)
            except ValueError as error:
                raise ManifestError(f"attributes file line {number}: {error}") from None
        table[name] = values
    return Sidecar(tracked, False, table)


def _parse_old(lines: list[bytes]) -> Sidecar:
    table: dict[bytes, dict[str, str]] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if not line.strip() or line.startswith(b"#"):
            continue
        escaped = line.startswith(b"\\")
        match = _OLD_LINE.fullmatch(line[1:] if escaped else line)
        if not match:
            raise ManifestError(f"attributes file line {number} is not 'MODE UID GID  NAME'")
        mode, uid, gid, name = match.groups()
        if escaped:
            try:
                name = unescape_name(name)
            except ValueError as error:
                raise ManifestError(f"attributes file line {number}: {error}") from None
        table[name] = {"mode": f"{int(mode, 8):04o}", "owner": f"{int(uid)}:{int(gid)}"}
    return Sidecar(PERMISSIONS, True, table)


def require_tracked(sidecar: Sidecar, wanted: tuple[str, ...], path: str) -> None:
    """Asked to compare what the sidecar never kept: say how to record it."""
    missing = [name for name in wanted if name not in sidecar.tracked]
    if missing:
        raise UsageError(f"{path} does not keep {', '.join(missing)}: create the manifest again with "
                         f"--track {','.join(wanted)}")
