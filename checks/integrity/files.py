"""check-integrity's files: verify them against a manifest, or create the manifest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from cronchecks.core.errors import CheckError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import format_size
from cronchecks.integrity.attributes import (
    attributes_of,
    format_sidecar,
    parse_sidecar,
    require_tracked,
    sidecar_path,
)
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
from cronchecks.support.atomicfile import write_atomically

_SHOWN_NAMES = 3  # in the summary; the long output lists every file


def _names(names: list[str]) -> str:
    listed = ", ".join(names[:_SHOWN_NAMES])
    return listed + (f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else "")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


MANIFEST_LIMIT = 1024 * 1024 * 1024  # 1 GiB: over ten million lines; a 100 GiB sparse file is not a manifest


def read_manifest_file(path: str, what: str) -> bytes:
    from cronchecks.core.files import FileRefused, read_bounded

    try:
        return read_bounded(path, MANIFEST_LIMIT)
    except FileRefused as error:
        raise CheckError(f"not a {what}: {error}") from None
    except FileNotFoundError:
        raise CheckError(f"{what} {path} does not exist") from None
    except OSError as error:
        raise CheckError(f"cannot read {what} {path}: {error.strerror or error}") from None


def resolve_name(root: str | None, name: bytes) -> str:
    path = os.fsdecode(name)
    return os.path.join(root, path) if root else path


Excluded = Callable[[str], bool]


def excluder(patterns: tuple[str, ...], root: str | None) -> Excluded:
    """`--exclude GLOB`, as rsync and tar read one: a glob without `/` matches a name at any depth
    (`*.log`, `cache`), one with `/` the path under --root (or as given: `var/cache/*`)."""
    import fnmatch

    if not patterns:
        return lambda path: False
    names = [pattern for pattern in patterns if "/" not in pattern.rstrip("/")]
    paths = [pattern.strip("/") for pattern in patterns if "/" in pattern.rstrip("/")]

    def excluded(path: str) -> bool:
        base = os.path.basename(path.rstrip("/"))
        if any(fnmatch.fnmatchcase(base, pattern.rstrip("/")) for pattern in names):
            return True
        if not paths:
            return False
        relative = os.path.normpath(os.path.relpath(path, root) if root else path).lstrip("/")
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in paths)

    return excluded


def walk_files(top: str, skip: set[str], excluded: Excluded = lambda path: False) -> Iterator[str]:
    """Regular files (and symlinks to files) under `top`, recursively, in name order; symlinked
    folders are not entered, so a link loop cannot trap the walk; excluded names are not
    entered either."""
    try:
        entries = sorted(os.scandir(top), key=lambda entry: entry.name)
    except FileNotFoundError:
        raise CheckError(f"{top} does not exist") from None
    except NotADirectoryError:
        if not excluded(top):
            yield top
        return
    except OSError as error:
        raise CheckError(f"cannot list {top}: {error.strerror or error}") from None
    for entry in entries:
        try:
            if excluded(entry.path):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from walk_files(entry.path, skip, excluded)
            elif entry.is_file() and os.path.abspath(entry.path) not in skip:
                yield entry.path
        except OSError:
            continue


def tracked_attributes(options: IntegrityOptions) -> tuple[str, ...]:
    """What --track and --track-perms ask to keep, in the canonical order."""
    from cronchecks.integrity.attributes import PERMISSIONS, TRACKABLE

    wanted = set(options.track) | (set(PERMISSIONS) if options.track_perms else set())
    return tuple(name for name in TRACKABLE if name in wanted)


def verify_manifest(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Every listed file must exist and match; new files under --watch folders are WARNING."""
    manifest = options.manifest or ""
    excluded = excluder(options.exclude, options.root)
    entries = [entry for entry in parse_manifest(read_manifest_file(manifest, "manifest"))
               if not excluded(resolve_name(options.root, entry.name))]
    if not entries:
        raise ManifestError(f"manifest {manifest} lists no files"
                            + (" outside --exclude" if options.exclude else ""))
    hint = algorithm_hint(manifest)
    digests = [digest_for(entry, options.algorithm, hint) for entry in entries]
    paths = [resolve_name(options.root, entry.name) for entry in entries]
    tracked = tracked_attributes(options)
    sidecar = None
    if tracked:
        sidecar = parse_sidecar(read_manifest_file(sidecar_path(manifest), "attributes file"))
        require_tracked(sidecar, tracked, sidecar_path(manifest))
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
    changed: list[str] = []
    changed_kinds: set[str] = set()
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
        if sidecar is not None and entry.name in sidecar.table:
            try:
                now = attributes_of(path, tracked, sidecar.follows_links)
            except OSError:
                continue
            was = sidecar.table[entry.name]
            differences = [f"{key} {was.get(key, '?')} -> {now[key]}" for key in tracked if was.get(key) != now[key]]
            if differences:
                changed.append(name)
                changed_kinds.update(key for key in tracked if was.get(key) != now[key])
                details.append(f"changed: {name} ({'; '.join(differences)})")

    new: list[str] = []
    if options.watch:
        listed = {os.path.normpath(os.path.abspath(path)) for path in paths}
        skip = {os.path.abspath(manifest), os.path.abspath(sidecar_path(manifest))}
        for folder in options.watch:
            for found in walk_files(folder, skip, excluded):
                if os.path.normpath(os.path.abspath(found)) not in listed:
                    new.append(shown(found))
                    details.append(f"new: {shown(found)}")

    perfdata = [Perfdata("files", len(entries), "", minimum=0), Perfdata("modified", len(modified), "", minimum=0),
                Perfdata("missing", len(missing), "", minimum=0)]
    if options.watch:
        perfdata.append(Perfdata("new", len(new), "", minimum=0))
    if tracked:
        perfdata.append(Perfdata("changed", len(changed), "", minimum=0))
    perfdata.append(Perfdata("size", total, "B", minimum=0))

    algorithms = sorted({digest.algorithm for digest in digests})
    problems = []
    kinds = ", ".join(key for key in tracked if key in changed_kinds)
    for names, label in ((modified, "modified"), (missing, "missing"), (changed, f"with changed {kinds}"),
                         (unreadable, "unreadable"), (new, "new")):
        if names:
            problems.append(f"{len(names):,} {label}: {_names(names)}")
    if modified or missing or changed:
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
        if tracked:
            summary += f", {', '.join(tracked)} unchanged"
        details = []
    else:
        summary = f"{'; '.join(problems)} (of {where})"
    return Result(status, summary, perfdata, details)


def manifest_name(found: str, root: str | None) -> bytes:
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
    skip = {os.path.abspath(manifest), os.path.abspath(sidecar_path(manifest))}
    excluded = excluder(options.exclude, options.root)
    found: list[str] = []
    for given in options.paths:
        top = os.path.join(options.root, given) if options.root else given
        if not os.path.lexists(top):
            raise CheckError(f"{given} does not exist")
        found.extend(walk_files(top, skip, excluded))
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
    names = [manifest_name(item.path, options.root) for item in hashed]
    try:
        write_atomically(manifest, (format_line(item.digest or "", name)
                                    for item, name in zip(hashed, names, strict=True)))
        tracked = tracked_attributes(options)
        if tracked:
            write_atomically(sidecar_path(manifest), format_sidecar(
                tracked, ((attributes_of(item.path, tracked), name) for item, name in zip(hashed, names, strict=True))))
    except OSError as error:
        raise CheckError(f"cannot write {manifest}: {error.strerror or error}") from None
    total = sum(item.size for item in hashed)
    entries = "1 entry" if len(hashed) == 1 else f"{len(hashed):,} entries"
    summary = f"wrote {entries} to {manifest} ({format_size(total)} hashed, {algorithm})"
    if tracked_attributes(options):
        summary += f", {','.join(tracked_attributes(options))} in {sidecar_path(manifest)}"
    return Result(Status.OK, summary, [Perfdata("files", len(hashed), "", minimum=0),
                                       Perfdata("size", total, "B", minimum=0)])
