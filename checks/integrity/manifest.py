"""The GNU coreutils manifest format (sha256sum, sha512sum, b2sum): lines, escapes, and which algorithm."""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from cronchecks.core.errors import CheckError, UsageError

ALGORITHMS = ("sha256", "sha512", "blake2b")

# `sha256sum --tag` / `b2sum --tag` names for each algorithm.
_TAGS = {"SHA256": ("sha256", 32), "SHA512": ("sha512", 64), "BLAKE2B": ("blake2b", 64)}


class Digest(NamedTuple):
    """How a file is hashed: the algorithm and its digest size in bytes."""

    algorithm: str
    size: int

    def new(self) -> Any:
        import hashlib

        if self.algorithm == "blake2b":
            return hashlib.blake2b(digest_size=self.size)
        return hashlib.new(self.algorithm)


class Entry(NamedTuple):
    """One manifest line: the expected hex digest, the file name (raw bytes), where it was."""

    digest: str
    name: bytes
    line: int
    tag: Digest | None = None  # from a `--tag` line, which names its algorithm


class ManifestError(CheckError):
    """The manifest cannot be read as coreutils writes it: UNKNOWN, naming the line."""


_UNTAGGED = re.compile(rb"([0-9a-fA-F]+) [ *]?(.+)", re.DOTALL)
_TAGGED = re.compile(rb"([A-Za-z0-9]+(?:-[0-9]+)?) \((.*)\) = ([0-9a-fA-F]+)", re.DOTALL)
_ESCAPES = {b"\\\\": b"\\", b"\\n": b"\n", b"\\r": b"\r"}


def needs_escape(name: bytes) -> bool:
    return b"\\" in name or b"\n" in name or b"\r" in name


def escape_name(name: bytes) -> bytes:
    """A file name as coreutils 9 writes it on an escaped line (the line starts with `\\`)."""
    return name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")


def unescape_name(text: bytes) -> bytes:
    """The inverse of escape_name; any other backslash sequence is not coreutils' and is refused."""
    def one(match: re.Match) -> bytes:
        try:
            return _ESCAPES[match.group(0)]
        except KeyError:
            raise ValueError(f"{match.group(0).decode('ascii', 'replace')!r} in an escaped name "
                             "(coreutils writes only \\\\, \\n and \\r)") from None

    return re.sub(rb"\\.?", one, text, flags=re.DOTALL)


def format_line(digest: str, name: bytes) -> bytes:
    """`HASH  name`, escaped as `\\HASH  na\\nme` when the name holds a backslash, CR or LF."""
    if needs_escape(name):
        return b"\\" + digest.encode() + b"  " + escape_name(name) + b"\n"
    return digest.encode() + b"  " + name + b"\n"


def parse_line(raw: bytes, number: int = 0) -> Entry | None:
    """One manifest line (without its LF); None for blank lines and `#` comments, as coreutils skips them."""
    line = raw[:-1] if raw.endswith(b"\r") else raw  # a manifest written on Windows
    if not line.strip() or line.startswith(b"#"):
        return None
    escaped = line.startswith(b"\\")
    body = line[1:] if escaped else line
    tagged = _TAGGED.fullmatch(body)
    if tagged:
        algorithm, name, digest = tagged.groups()
        tag = _tag_digest(algorithm.decode("ascii"), len(digest), number)
    else:
        untagged = _UNTAGGED.fullmatch(body)
        if not untagged:
            raise ManifestError(f"manifest line {number} is not 'HASH  NAME' (coreutils' format)")
        digest, name = untagged.groups()
        tag = None
    if len(digest) % 2:
        raise ManifestError(f"manifest line {number}: a hash of {len(digest)} hex digits")
    if escaped:
        try:
            name = unescape_name(name)
        except ValueError as error:
            raise ManifestError(f"manifest line {number}: {error}") from None
    return Entry(digest.decode("ascii").lower(), name, number, tag)


def _tag_digest(tag: str, hex_digits: int, number: int) -> Digest:
    key, _, bits = tag.upper().partition("-")
    if key not in _TAGS:
        raise ManifestError(f"manifest line {number}: algorithm {tag} is not one of sha256, sha512, blake2b")
    algorithm, size = _TAGS[key]
    if bits:
        if algorithm != "blake2b" or not bits.isdigit() or int(bits) % 8 or not 8 <= int(bits) <= 512:
            raise ManifestError(f"manifest line {number}: {tag} is not a digest coreutils writes")
        size = int(bits) // 8
    if hex_digits != size * 2:
        raise ManifestError(f"manifest line {number}: a {tag} hash has {size * 2} hex digits, not {hex_digits}")
    return Digest(algorithm, size)


def parse_manifest(data: bytes) -> list[Entry]:
    """Every entry of a manifest made by sha256sum, sha512sum or b2sum (plain or --tag)."""
    entries = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        entry = parse_line(raw, number)
        if entry is not None:
            entries.append(entry)
    return entries


def algorithm_hint(manifest: str) -> str | None:
    """The algorithm a manifest's name announces: `*.sha512`, `SHA512SUMS`, `*.b2`, `B2SUMS`..."""
    name = os.path.basename(manifest).lower()
    for algorithm, markers in (("sha512", ("sha512",)), ("blake2b", ("b2", "blake2b", "blake2")),
                               ("sha256", ("sha256",))):
        for marker in markers:
            if name in (f"{marker}sums", f"{marker}sum") or re.search(rf"\.{marker}(sums?)?$", name):
                return algorithm
    return None


def digest_for(entry: Entry, algorithm: str | None, hint: str | None) -> Digest:
    """How to hash an entry: --algorithm, else the line's tag, else the name's hint and the hash length."""
    digits = len(entry.digest)
    chosen = algorithm or (entry.tag.algorithm if entry.tag else None)
    if chosen is None:
        if digits == 64 and hint != "blake2b":
            chosen = "sha256"  # DESIGN 8: the default, and what a 64-digit hash nearly always is
        elif hint is not None:
            chosen = hint
        elif digits == 128:
            raise UsageError("a 128-hex-digit hash is sha512 or blake2b: say which with --algorithm "
                             "(or name the manifest *.sha512 or *.b2)")
        else:
            raise ManifestError(f"manifest line {entry.line}: no algorithm makes {digits}-hex-digit hashes "
                                "(give --algorithm blake2b for b2sum -l)")
    if chosen == "blake2b":
        if not 2 <= digits <= 128:
            raise ManifestError(f"manifest line {entry.line}: a blake2b hash has at most 128 hex digits")
        return Digest("blake2b", digits // 2)
    size = {"sha256": 32, "sha512": 64}[chosen]
    if digits != size * 2:
        raise ManifestError(f"manifest line {entry.line}: a {chosen} hash has {size * 2} hex digits, not {digits}")
    return Digest(chosen, size)


def shown(name: bytes | str) -> str:
    """A file name fit for one output line: backslash, LF and CR escaped as coreutils does."""
    raw = os.fsencode(name) if isinstance(name, str) else name
    if needs_escape(raw):
        raw = escape_name(raw)
    return os.fsdecode(raw).encode("utf-8", "backslashreplace").decode("utf-8")
