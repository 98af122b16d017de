"""check-integrity --update: accept the current state of named files (with --update-new, new ones) into a manifest."""

from __future__ import annotations

import os

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.integrity.attributes import (
    Sidecar,
    attributes_of,
    format_sidecar,
    parse_sidecar,
    require_tracked,
    sidecar_path,
)
from cronchecks.integrity.files import (
    excluder,
    manifest_name,
    read_manifest_file,
    resolve_name,
    tracked_attributes,
    walk_files,
)
from cronchecks.integrity.hashing import run_hashing, size_of
from cronchecks.integrity.manifest import (
    Digest,
    Entry,
    ManifestError,
    algorithm_hint,
    digest_for,
    escape_name,
    format_line,
    needs_escape,
    parse_line,
    shown,
)
from cronchecks.integrity.options import IntegrityOptions
from cronchecks.support.atomicfile import write_atomically

_TAG_NAMES = {"sha256": "SHA256", "sha512": "SHA512"}


def previous_path(path: str) -> str:
    """Where --update keeps what it replaced: `MANIFEST.prev` (and `MANIFEST.perms.prev`)."""
    return path + ".prev"


def update_manifest(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Rehash the named files into the manifest, add what --update-new finds, drop what is gone; keep the old one."""
    manifest = options.manifest or ""
    original = read_manifest_file(manifest, "manifest")
    lines = original.split(b"\n")
    entries = [entry for number, raw in enumerate(lines, start=1) if (entry := parse_line(raw, number)) is not None]
    if not entries:
        raise ManifestError(f"manifest {manifest} lists no files")
    hint = algorithm_hint(manifest)
    digest = Digest(options.algorithm, {"sha256": 32, "sha512": 64, "blake2b": 64}[options.algorithm]) \
        if options.algorithm else digest_for(entries[0], None, hint)
    by_path = {os.path.normpath(os.path.abspath(resolve_name(options.root, entry.name))): entry for entry in entries}

    targets: list[str] = []
    for given in options.paths:
        path = os.path.join(options.root, given) if options.root else given
        if os.path.isdir(path):
            raise CheckError(f"{given} is a folder: --update takes the files to accept (a folder's new files: "
                             "--watch it with --update-new)")
        targets.append(path)
    if options.update_new:
        excluded = excluder(options.exclude, options.root)
        skip = {os.path.abspath(p) for p in (manifest, sidecar_path(manifest), previous_path(manifest),
                                              previous_path(sidecar_path(manifest)))}
        for folder in options.watch:
            targets.extend(found for found in walk_files(folder, skip, excluded)
                           if os.path.normpath(os.path.abspath(found)) not in by_path)
    targets = list(dict.fromkeys(targets))
    present = [path for path in targets if os.path.lexists(path)]
    gone = {os.path.normpath(os.path.abspath(path)) for path in targets if not os.path.lexists(path)}
    hashed = {os.path.normpath(os.path.abspath(item.path)): item for item in run_hashing(
        runtime, options.jobs, [(path, _digest_of(by_path, path, digest, hint)) for path in present],
        [size_of(path) for path in present], f"hashing {len(present)} files")}
    failures = [item for item in hashed.values() if item.error is not None]
    if failures:
        raise CheckError(f"cannot read {shown(failures[0].path)}: {failures[0].error}; the manifest is unchanged")

    updated = added = removed = 0
    out: list[bytes] = []
    for number, raw in enumerate(lines, start=1):
        entry = parse_line(raw, number)
        key = os.path.normpath(os.path.abspath(resolve_name(options.root, entry.name))) if entry else None
        if entry is None or key is None:
            out.append(raw)
        elif key in gone:
            removed += 1
        elif key in hashed:
            item = hashed.pop(key)
            updated += item.digest != entry.digest
            out.append(_line_like(entry, item.digest or "").rstrip(b"\n"))
        else:
            out.append(raw)
    if out and out[-1] == b"":
        out.pop()
    for item in hashed.values():  # files the manifest did not list yet, in the order named or found
        added += 1
        out.append(format_line(item.digest or "", manifest_name(item.path, options.root)).rstrip(b"\n"))

    # The sidecar, when there is one (or --track asks for it), follows the manifest: the named files'
    # attributes are accepted too. It keeps what it kept; asking for more means creating it again.
    tracked = tracked_attributes(options)
    sidecar_file = sidecar_path(manifest)
    sidecar: Sidecar | None = None
    if tracked or os.path.exists(sidecar_file):
        sidecar = parse_sidecar(read_manifest_file(sidecar_file, "attributes file"))
        require_tracked(sidecar, tracked, sidecar_file)
    try:
        write_atomically(previous_path(manifest), original)
        write_atomically(manifest, b"\n".join(out) + b"\n")
        if sidecar is not None:
            _write_sidecar(sidecar, targets, gone, options.root, sidecar_file)
    except OSError as error:
        raise CheckError(f"cannot write {manifest}: {error.strerror or error}") from None
    counts = f"{updated} changed, {added} added, {removed} removed"
    return Result(Status.OK, f"updated {manifest}: {counts} (the previous one kept as {previous_path(manifest)})",
                  [Perfdata("changed", updated, "", minimum=0), Perfdata("added", added, "", minimum=0),
                   Perfdata("removed", removed, "", minimum=0)])


def _digest_of(by_path: dict[str, Entry], path: str, default: Digest, hint: str | None) -> Digest:
    entry = by_path.get(os.path.normpath(os.path.abspath(path)))
    return digest_for(entry, None, hint) if entry is not None else default


def _line_like(entry: Entry, digest: str) -> bytes:
    """The entry's line with its new hash, in the form it had (plain, or --tag)."""
    if entry.tag is None:
        return format_line(digest, entry.name)
    size = entry.tag.size
    tag = _TAG_NAMES.get(entry.tag.algorithm) or ("BLAKE2b" if size == 64 else f"BLAKE2b-{size * 8}")
    escaped = needs_escape(entry.name)
    name = escape_name(entry.name) if escaped else entry.name
    return (b"\\" if escaped else b"") + tag.encode() + b" (" + name + b") = " + digest.encode() + b"\n"


def _write_sidecar(sidecar: Sidecar, targets: list[str], gone: set[str], root: str | None, path: str) -> None:
    keep = sidecar.tracked
    table = dict(sidecar.table)
    for target in targets:
        name = manifest_name(target, root)
        if os.path.normpath(os.path.abspath(target)) in gone:
            table.pop(name, None)
        else:
            table[name] = attributes_of(target, keep, sidecar.follows_links)
    rows = [({key: values.get(key, "?") for key in keep}, name) for name, values in table.items()]
    write_atomically(previous_path(path), read_manifest_file(path, "attributes file"))
    if sidecar.follows_links:  # the older MODE UID GID form: written back as it was
        write_atomically(path, b"".join(_old_line(values, name) for values, name in rows))
    else:
        write_atomically(path, format_sidecar(keep, rows))


def _old_line(values: dict[str, str], name: bytes) -> bytes:
    uid, _, gid = values["owner"].partition(":")
    fields = f"{values['mode']} {uid} {gid}  ".encode()
    return (b"\\" + fields + escape_name(name) if needs_escape(name) else fields + name) + b"\n"
