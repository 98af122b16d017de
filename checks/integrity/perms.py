"""The permissions sidecar of a manifest (`MANIFEST.perms`): mode and owner per file, coreutils-style names."""

from __future__ import annotations

import os
import re
import stat
from typing import NamedTuple

from cronchecks.integrity.manifest import ManifestError, escape_name, needs_escape, unescape_name

_PERMS_LINE = re.compile(rb"([0-7]{3,4}) (\d+) (\d+)  (.+)", re.DOTALL)


class Perms(NamedTuple):
    """A file's permission bits and numeric owner, as the sidecar keeps them."""

    mode: int
    uid: int
    gid: int

    def render(self) -> str:
        return f"{self.mode:04o} {self.uid}:{self.gid}"


def perms_path(manifest: str) -> str:
    """The sidecar that keeps mode and owner beside a manifest: `MANIFEST.perms`."""
    return manifest + ".perms"


def perms_of(path: str) -> Perms:
    info = os.stat(path)
    return Perms(stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


def format_perms_line(perms: Perms, name: bytes) -> bytes:
    fields = f"{perms.mode:04o} {perms.uid} {perms.gid}  ".encode()
    if needs_escape(name):
        return b"\\" + fields + escape_name(name) + b"\n"
    return fields + name + b"\n"


def parse_perms(data: bytes) -> dict[bytes, Perms]:
    """The sidecar's lines: `MODE UID GID  NAME`, names escaped as in the manifest."""
    table = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if not line.strip() or line.startswith(b"#"):
            continue
        escaped = line.startswith(b"\\")
        match = _PERMS_LINE.fullmatch(line[1:] if escaped else line)
        if not match:
            raise ManifestError(f"permissions file line {number} is not 'MODE UID GID  NAME'")
        mode, uid, gid, name = match.groups()
        if escaped:
            try:
                name = unescape_name(name)
            except ValueError as error:
                raise ManifestError(f"permissions file line {number}: {error}") from None
        table[name] = Perms(int(mode, 8), int(uid), int(gid))
    return table
