"""check-integrity's files: verify them against a manifest, or create the manifest."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import format_size
from cronchecks.integrity.hashing import run_hashing, size_of
from cronchecks.integrity.manifest import (
    Digest,
    ManifestError,
    algorithm_hint,
    digest_for,
    format_line,
    parse_manifest,
    shown,
)
from cronchecks.integrity.options import IntegrityOptions
from cronchecks.integrity.perms import format_perms_line, parse_perms, perms_of, perms_path
from cronchecks.support.atomicfile import write_atomically

_SHOWN_NAMES = 3  # in the summary; the long output lists every file


def _names(names: list[str]) -> str:
    listed = ", ".join(names[:_SHOWN_NAMES])
    return listed + (f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else "")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


MANIFEST_LIMIT = 1024 * 1024 * 1024  # 1 GiB: over ten million lines; a 100 GiB sparse file is not a manifest


def _read_file(path: str, what: str) -> bytes:
    from cronchecks.core.files import FileRefused, read_bounded

    try:
        return read_bounded(path, MANIFEST_LIMIT)
    except FileRefused as error:
        raise CheckError(f"not a {what}: {error}") from None
    except FileNotFoundError:
        raise CheckError(f"{what} {path} does not exist") from None
    except OSError as error:
        raise CheckError(f"cannot read {what} {path}: {error.strerror or error}") from None


def _resolve(root: str | None, name: bytes) -> str:
    path = os.fsdecode(name)
    return os.path.join(root, path) if root else path


def _walk_files(top: str, skip: set[str]) -> Iterator[str]:
    """Regular files (and symlinks to files) under `top`, recursively, in name order; symlinked
    folders are not entered, so a link loop cannot trap the walk."""
    try:
        entries = sorted(os.scandir(top), key=lambda entry: entry.name)
    except FileNotFoundError:
        raise CheckError(f"{top} does not exist") from None
    except NotADirectoryError:
        yield top
        return
    except OSError as error:
        raise CheckError(f"cannot list {top}: {error.strerror or error}") from None
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk_files(entry.path, skip)
            elif entry.is_file() and os.path.abspath(entry.path) not in skip:
                yield entry.path
        except OSError:
            continue


def verify_manifest(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Every listed file must exist and match; new files under --watch folders are WARNING."""
    manifest = options.manifest or ""
    entries = parse_manifest(_read_file(manifest, "manifest"))
    if not entries:
        raise ManifestError(f"manifest {manifest} lists no files")
    hint = algorithm_hint(manifest)
    digests = [digest_for(entry, options.algorithm, hint) for entry in entries]
    paths = [_resolve(options.root, entry.name) for entry in entries]
    expected_perms = None
    if options.track_perms:
        expected_perms = parse_perms(_read_file(perms_path(manifest), "permissions file"))
    sizes = [size_of(path) for path in paths]
    started = time.perf_counter()
    hashed = run_hashing(runtime, options.jobs, list(zip(paths, digests, strict=True)), sizes,
                         f"checking {len(paths)} files")
    elapsed = time.perf_counter() - started
    total = sum(item.size for item in hashed)
    runtime.log(1, f"hashed {len(hashed)} files, {total} bytes in {elapsed:.3f} s "
                   f"({total / max(elapsed, 1e-9) / 1e6:.0f} MB/s)")

    modified: list[str] = []
    missing: list[str] = []
    unreadable: list[str] = []
    changed_perms: list[str] = []
    details: list[str] = []
    for entry, item, path in zip(entries, hashed, paths, strict=True):
        name = shown(entry.name)
        if item.error is not None:
            if isinstance(item.error, (FileNotFoundError, NotADirectoryError)):
                missing.append(name)
                details.append(f"missing: {name}")
            elif isinstance(item.error, IsADirectoryError):
                modified.append(name)
                details.append(f"modified: {name} (now a folder)")
            else:
                unreadable.append(name)
                details.append(f"unreadable: {name} ({item.error.strerror or item.error})")
            continue
        if item.digest != entry.digest:
            modified.append(name)
            details.append(f"modified: {name}")
        if expected_perms is not None and entry.name in expected_perms:
            try:
                now = perms_of(path)
            except OSError:
                continue
            if now != expected_perms[entry.name]:
                changed_perms.append(name)
                details.append(f"permissions: {name} {expected_perms[entry.name].render()} -> {now.render()}")

    new: list[str] = []
    if options.watch:
        listed = {os.path.normpath(os.path.abspath(path)) for path in paths}
        skip = {os.path.abspath(manifest), os.path.abspath(perms_path(manifest))}
        for folder in options.watch:
            for found in _walk_files(folder, skip):
                if os.path.normpath(os.path.abspath(found)) not in listed:
                    new.append(shown(found))
                    details.append(f"new: {shown(found)}")

    perfdata = [Perfdata("files", len(entries), "", minimum=0), Perfdata("modified", len(modified), "", minimum=0),
                Perfdata("missing", len(missing), "", minimum=0)]
    if options.watch:
        perfdata.append(Perfdata("new", len(new), "", minimum=0))
    if options.track_perms:
        perfdata.append(Perfdata("permissions", len(changed_perms), "", minimum=0))
    perfdata.append(Perfdata("size", total, "B", minimum=0))

    algorithms = sorted({digest.algorithm for digest in digests})
    problems = []
    for names, label in ((modified, "modified"), (missing, "missing"), (changed_perms, "with changed permissions"),
                         (unreadable, "unreadable"), (new, "new")):
        if names:
            problems.append(f"{len(names):,} {label}: {_names(names)}")
    if modified or missing or changed_perms:
        status = Status.CRITICAL
    elif new:
        status = Status.WARNING
    elif unreadable:
        status = Status.UNKNOWN
    else:
        status = Status.OK
    where = f"{_count(len(entries), 'file')} in {manifest}"
    if status is Status.OK:
        verb = "matches" if len(entries) == 1 else "match"
        summary = f"{_count(len(entries), 'file')} {verb} {manifest} ({format_size(total)}, {', '.join(algorithms)})"
        if options.watch:
            summary += f", nothing new under {', '.join(options.watch)}"
        if options.track_perms:
            summary += ", permissions unchanged"
        details = []
    else:
        summary = f"{'; '.join(problems)} (of {where})"
    return Result(status, summary, perfdata, details)


def _manifest_name(found: str, root: str | None) -> bytes:
    if root:
        relative = os.path.relpath(found, root)
        if not relative.startswith(os.pardir):
            found = relative
    return os.fsencode(found)


def create_manifest(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Hash the given files and folders (recursively) and write the manifest atomically."""
    manifest = options.manifest or ""
    algorithm = options.algorithm or algorithm_hint(manifest) or "sha256"
    digest = Digest(algorithm, {"sha256": 32, "sha512": 64, "blake2b": 64}[algorithm])
    skip = {os.path.abspath(manifest), os.path.abspath(perms_path(manifest))}
    found: list[str] = []
    for given in options.paths:
        top = os.path.join(options.root, given) if options.root else given
        if not os.path.lexists(top):
            raise CheckError(f"{given} does not exist")
        found.extend(_walk_files(top, skip))
    unique = list(dict.fromkeys(found))  # first occurrence of each path, in the order found
    sizes = [size_of(path) for path in unique]
    hashed = run_hashing(runtime, options.jobs, [(path, digest) for path in unique], sizes,
                          f"hashing {len(unique)} files")
    failures = [(item.path, item.error) for item in hashed if item.error is not None]
    if failures:
        path, error = failures[0]
        raise CheckError(f"cannot read {shown(path)}: {error.strerror or error}"
                         + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
                         + "; no manifest written")
    names = [_manifest_name(item.path, options.root) for item in hashed]
    try:
        write_atomically(manifest, (format_line(item.digest or "", name)
                                    for item, name in zip(hashed, names, strict=True)))
        if options.track_perms:
            write_atomically(perms_path(manifest), (format_perms_line(perms_of(item.path), name)
                                                    for item, name in zip(hashed, names, strict=True)))
    except OSError as error:
        raise CheckError(f"cannot write {manifest}: {error.strerror or error}") from None
    total = sum(item.size for item in hashed)
    entries = "1 entry" if len(hashed) == 1 else f"{len(hashed):,} entries"
    summary = f"wrote {entries} to {manifest} ({format_size(total)} hashed, {algorithm})"
    if options.track_perms:
        summary += f", permissions in {perms_path(manifest)}"
    return Result(Status.OK, summary, [Perfdata("files", len(hashed), "", minimum=0),
                                       Perfdata("size", total, "B", minimum=0)])
