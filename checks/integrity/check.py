"""check-integrity: files against a coreutils-format manifest, or data by an SQL query or an audit command."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NamedTuple

from cronchecks.support.atomicfile import write_atomically
from cronchecks.core.errors import CheckError, UsageError
from cronchecks.core.result import Perfdata, Result, Status
from cronchecks.core.runtime import Runtime
from cronchecks.core.thresholds import Range, format_size, judge, plain_number

CHUNK = 1 << 20  # 1 MiB reads: large enough that hashing, not the syscalls, is the cost
ALGORITHMS = ("sha256", "sha512", "blake2b")
NO_ROWS = Range(0.0, 0.0, text="0")  # the default -c 0: any orphaned row is CRITICAL
# A progress bar only for work that takes a while even at full speed.
_PROGRESS_BYTES = 512 << 20
_SHOWN_NAMES = 3  # in the summary; the long output lists every file
_TAIL_LINES = 20  # of an audit command's output, as long output when it fails

# `sha256sum --tag` / `b2sum --tag` names for each algorithm.
_TAGS = {"SHA256": ("sha256", 32), "SHA512": ("sha512", 64), "BLAKE2B": ("blake2b", 64)}


@dataclass(frozen=True, kw_only=True)
class IntegrityOptions:
    """One of three sources: a manifest of files, an SQL query, or an audit command."""

    manifest: str | None = None
    create: bool = False
    paths: tuple[str, ...] = ()
    algorithm: str | None = None
    root: str | None = None
    watch: tuple[str, ...] = ()
    track_perms: bool = False
    jobs: int | None = None
    db: str | None = None
    db_env: str | None = None
    db_file: str | None = None
    query: str | None = None
    command: str | None = None
    shell: bool = False
    expect: str | None = None
    expect_regex: str | None = None
    warning: Range | None = None
    critical: Range | None = None


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


# --- the coreutils manifest format -----------------------------------------------------

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


# --- hashing ----------------------------------------------------------------------------


class Hashed(NamedTuple):
    """What hashing one file found: its digest, or the OSError that stopped it."""

    path: str
    digest: str | None
    size: int
    error: OSError | None = None


class _Cancelled(Exception):
    pass


class Hasher:
    """Hash many files with a thread pool; each file is read once, in 1 MiB chunks.

    hashlib releases the GIL while it hashes a large buffer, so threads run the hashing
    on every core; within one file the work is sequential, as a hash must be.
    """

    def __init__(self, runtime: Runtime, jobs: int | None, progress: Callable[[int], None] | None = None) -> None:
        self.runtime = runtime
        self.jobs = jobs or min(32, (os.cpu_count() or 1) + 2)
        self.progress = progress
        self._local = threading.local()

    def _buffer(self) -> tuple[bytearray, memoryview]:
        buffer = getattr(self._local, "buffer", None)
        if buffer is None:
            buffer = self._local.buffer = bytearray(CHUNK)
            self._local.view = memoryview(buffer)
        return buffer, self._local.view

    def hash_one(self, path: str, digest: Digest) -> Hashed:
        buffer, view = self._buffer()
        hasher = digest.new()
        deadline = self.runtime.deadline
        size = 0
        try:
            with open(path, "rb", buffering=0) as handle:
                while True:
                    count = handle.readinto(buffer)
                    if not count:
                        break
                    hasher.update(view[:count])
                    size += count
                    if self.progress is not None:
                        self.progress(count)
                    if deadline is not None and time.monotonic() > deadline:
                        raise _Cancelled()  # the watchdog has answered already: stop using the disk
        except OSError as error:
            return Hashed(path, None, size, error)
        return Hashed(path, hasher.hexdigest(), size)

    def hash_all(self, work: list[tuple[str, Digest]], sizes: list[int]) -> list[Hashed]:
        """Results in the order of `work`; the biggest files start first so the pool stays busy."""
        if len(work) <= 1 or self.jobs == 1:
            return [self.hash_one(path, digest) for path, digest in work]
        from concurrent.futures import ThreadPoolExecutor

        order = sorted(range(len(work)), key=lambda index: -sizes[index])
        results: list[Hashed | None] = [None] * len(work)
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(work)), thread_name_prefix="hash") as pool:
            futures = {pool.submit(self.hash_one, *work[index]): index for index in order}
            for future, index in futures.items():
                results[index] = future.result()
        return results  # type: ignore[return-value]


def _progress_for(runtime: Runtime, total: int, what: str):
    """A rich progress bar on stderr when it is a terminal and the work is long; else None."""
    isatty = getattr(runtime.stderr, "isatty", None)
    if total < _PROGRESS_BYTES or not (isatty and isatty()):
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    console = Console(file=runtime.stderr, no_color="NO_COLOR" in runtime.env)
    return Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(binary_units=True),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=console, transient=True), what


def _run_hashing(runtime: Runtime, jobs: int | None, work: list[tuple[str, Digest]], sizes: list[int],
                 what: str) -> list[Hashed]:
    bar = _progress_for(runtime, sum(sizes), what)
    if bar is None:
        return Hasher(runtime, jobs).hash_all(work, sizes)
    progress, description = bar
    with progress:
        task = progress.add_task(description, total=sum(sizes))
        return Hasher(runtime, jobs, lambda count: progress.advance(task, count)).hash_all(work, sizes)


def _size_of(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# --- shared helpers -----------------------------------------------------------------------


def shown(name: bytes | str) -> str:
    """A file name fit for one output line: backslash, LF and CR escaped as coreutils does."""
    raw = os.fsencode(name) if isinstance(name, str) else name
    if needs_escape(raw):
        raw = escape_name(raw)
    return os.fsdecode(raw).encode("utf-8", "backslashreplace").decode("utf-8")


def _names(names: list[str]) -> str:
    listed = ", ".join(names[:_SHOWN_NAMES])
    return listed + (f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else "")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


# --- permissions sidecar ---------------------------------------------------------------------

_PERMS_LINE = re.compile(rb"([0-7]{3,4}) (\d+) (\d+)  (.+)", re.DOTALL)


class Perms(NamedTuple):
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


# --- validation -------------------------------------------------------------------------------


def validate(options: IntegrityOptions) -> str:
    """The one source in use ('manifest', 'query' or 'command'); clashes are usage errors."""
    database = options.db or options.db_env or options.db_file
    sources = [name for name, given in (("--manifest", options.manifest or options.create),
                                        ("--db/--query", database or options.query),
                                        ("--command", options.command)) if given]
    if len(sources) != 1:
        raise UsageError("give one of --manifest, --db with --query, or --command" if not sources
                         else f"give one source at a time, not {' and '.join(sources)}")
    source = sources[0]
    file_options = [flag for flag, given in (("--create", options.create), ("--algorithm", options.algorithm),
                                             ("--root", options.root), ("--watch", options.watch),
                                             ("--track-perms", options.track_perms), ("--jobs", options.jobs),
                                             ("PATH", options.paths)) if given]
    if source != "--manifest" and file_options:
        raise UsageError(f"{', '.join(file_options)} go{'es' if len(file_options) == 1 else ''} with --manifest")
    command_options = [flag for flag, given in (("--shell", options.shell), ("--expect", options.expect),
                                                ("--expect-regex", options.expect_regex)) if given]
    if source != "--command" and command_options:
        raise UsageError(f"{', '.join(command_options)} go{'es' if len(command_options) == 1 else ''} with --command")
    if source != "--db/--query" and (options.warning or options.critical):
        raise UsageError("-w/-c are ranges on the --query value; a manifest or an audit command has fixed states")
    if source == "--manifest":
        if not options.manifest:
            raise UsageError("--create needs --manifest FILE, the manifest to write")
        if options.create and not options.paths:
            raise UsageError("--create needs the files or folders to list (check-integrity --create -m FILE PATH...)")
        if options.paths and not options.create:
            raise UsageError("PATH arguments go with --create; a check reads the paths from the manifest")
        if options.create and options.watch:
            raise UsageError("--watch goes with checking a manifest, not with --create")
        if options.algorithm is not None and options.algorithm not in ALGORITHMS:
            raise UsageError(f"invalid --algorithm {options.algorithm!r} ({', '.join(ALGORITHMS)})")
        if options.jobs is not None and options.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        return "manifest"
    if source == "--db/--query":
        if not database:
            raise UsageError("--query needs --db, --db-env or --db-file")
        if not options.query:
            raise UsageError("--db needs --query, a query whose first value is a number (e.g. select count(*) ...)")
        return "query"
    if options.expect is not None and options.expect_regex is not None:
        raise UsageError("give --expect or --expect-regex, not both")
    if not options.command or not options.command.strip():
        raise UsageError("--command needs a command to run")
    return "command"


def check_integrity(options: IntegrityOptions, runtime: Runtime) -> Result:
    """Verify or create a manifest, or judge a query's number or an audit command."""
    source = validate(options)
    if source == "manifest":
        return create_manifest(options, runtime) if options.create else verify_manifest(options, runtime)
    if source == "query":
        return _check_query(options, runtime)
    return _check_command(options, runtime)


# --- files: verify --------------------------------------------------------------------------


def _read_file(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
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
    sizes = [_size_of(path) for path in paths]
    started = time.perf_counter()
    hashed = _run_hashing(runtime, options.jobs, list(zip(paths, digests)), sizes, f"checking {len(paths)} files")
    elapsed = time.perf_counter() - started
    total = sum(item.size for item in hashed)
    runtime.log(1, f"hashed {len(hashed)} files, {total} bytes in {elapsed:.3f} s "
                   f"({total / max(elapsed, 1e-9) / 1e6:.0f} MB/s)")

    modified: list[str] = []
    missing: list[str] = []
    unreadable: list[str] = []
    changed_perms: list[str] = []
    details: list[str] = []
    for entry, item, path in zip(entries, hashed, paths):
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


# --- files: create -----------------------------------------------------------------------------


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
    seen: set[str] = set()
    unique = [path for path in found if not (path in seen or seen.add(path))]
    sizes = [_size_of(path) for path in unique]
    hashed = _run_hashing(runtime, options.jobs, [(path, digest) for path in unique], sizes,
                          f"hashing {len(unique)} files")
    failures = [item for item in hashed if item.error is not None]
    if failures:
        first = failures[0]
        raise CheckError(f"cannot read {shown(first.path)}: {first.error.strerror or first.error}"
                         + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
                         + "; no manifest written")
    names = [_manifest_name(item.path, options.root) for item in hashed]
    try:
        write_atomically(manifest, (format_line(item.digest or "", name) for item, name in zip(hashed, names)))
        if options.track_perms:
            write_atomically(perms_path(manifest),
                          (format_perms_line(perms_of(item.path), name) for item, name in zip(hashed, names)))
    except OSError as error:
        raise CheckError(f"cannot write {manifest}: {error.strerror or error}") from None
    total = sum(item.size for item in hashed)
    entries = "1 entry" if len(hashed) == 1 else f"{len(hashed):,} entries"
    summary = f"wrote {entries} to {manifest} ({format_size(total)} hashed, {algorithm})"
    if options.track_perms:
        summary += f", permissions in {perms_path(manifest)}"
    return Result(Status.OK, summary, [Perfdata("files", len(hashed), "", minimum=0),
                                       Perfdata("size", total, "B", minimum=0)])


# --- data: an SQL query ---------------------------------------------------------------------


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())  # Decimal, numeric text
    except ValueError:
        raise CheckError(f"the query's value is not a number: {str(value)[:40]!r}") from None


def _check_query(options: IntegrityOptions, runtime: Runtime) -> Result:
    from cronchecks.support.sql import DatabaseUnreachable, fetch_scalar

    try:
        answer, where = fetch_scalar(db=options.db, db_env=options.db_env, db_file=options.db_file,
                                     query=options.query or "", runtime=runtime)
    except DatabaseUnreachable as error:
        return Result(Status.CRITICAL, str(error))
    if not answer.found:
        raise CheckError(f"the query returned no row ({where}); count the problems, e.g. select count(*) ...")
    if answer.value is None:
        raise CheckError(f"the query returned NULL ({where}); count the problems, e.g. select count(*) ...")
    value = _as_number(answer.value)
    critical = options.critical
    if options.warning is None and options.critical is None:
        critical = NO_ROWS
    status = judge(value, options.warning, critical)
    summary = f"query returned {plain_number(value)} on {where}"
    breached = critical if status is Status.CRITICAL else options.warning if status is Status.WARNING else None
    if breached is not None:
        summary += f" ({status.name.lower()} {breached.describe()})"
    return Result(status, summary, [Perfdata("value", value, "", options.warning, critical)])


# --- data: an audit command -----------------------------------------------------------------


def _command_argv(options: IntegrityOptions) -> str | list[str]:
    command = options.command or ""
    if options.shell or os.name == "nt":
        return command  # Windows parses its own command lines; --shell hands it to the shell
    import shlex

    try:
        return shlex.split(command)
    except ValueError as error:
        raise UsageError(f"invalid --command: {error}") from None


def _end_tree(process: subprocess.Popen) -> None:
    try:
        import psutil

        children = psutil.Process(process.pid).children(recursive=True)
    except Exception:
        children = []
    for victim in [process, *children]:
        try:
            victim.kill()
        except Exception:
            pass


def _check_command(options: IntegrityOptions, runtime: Runtime) -> Result:
    pattern = None
    if options.expect_regex is not None:
        try:
            pattern = re.compile(options.expect_regex, re.MULTILINE)
        except re.error as error:
            raise UsageError(f"invalid --expect-regex {options.expect_regex!r}: {error}") from None
    argv = _command_argv(options)
    if not argv:
        raise UsageError("--command needs a command to run")
    shown_command = options.command.strip() if options.command else ""
    if len(shown_command) > 60:
        shown_command = shown_command[:57] + "..."
    runtime.log(1, f"running: {argv!r}{' (through the shell)' if options.shell else ''}")
    started = time.perf_counter()
    try:
        process = subprocess.Popen(argv, shell=options.shell, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, env=dict(runtime.env))
    except FileNotFoundError:
        program = argv if isinstance(argv, str) else argv[0]
        raise CheckError(f"cannot run the audit command: {program} not found") from None
    except OSError as error:
        raise CheckError(f"cannot run the audit command: {error.strerror or error}") from None
    remaining = runtime.remaining()
    try:
        # A little past the deadline: the whole-run watchdog answers first, with the
        # state --timeout-result asks for; this only bounds the wait for in-process callers.
        output, _ = process.communicate(timeout=None if remaining is None else remaining + 0.5)
    except subprocess.TimeoutExpired:
        _end_tree(process)
        process.communicate()
        return Result(Status.CRITICAL, f"audit command {shown_command} did not finish in time")
    finally:
        if process.poll() is None:
            _end_tree(process)
    elapsed = time.perf_counter() - started
    text = output.decode("utf-8", "replace")
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    last = lines[-1][:100] if lines else "no output"
    perfdata = [Perfdata("time", round(elapsed, 3), "s", minimum=0)]
    code = process.returncode
    failures = []
    if code != 0:
        failures.append(f"killed by signal {-code}" if code < 0 else f"exited {code}")
    expectation = ""
    if options.expect is not None:
        expectation = f"'{options.expect}'"
        if options.expect not in text:
            failures.append(f"{expectation} not in its output")
    elif pattern is not None:
        expectation = f"/{options.expect_regex}/"
        if not pattern.search(text):
            failures.append(f"no match for {expectation} in its output")
    if failures:
        summary = f"audit command {shown_command} {' and '.join(failures)}: {last}"
        return Result(Status.CRITICAL, summary, perfdata, lines[-_TAIL_LINES:])
    found = f", {expectation} found" if expectation else ""
    return Result(Status.OK, f"audit command {shown_command} passed (exit 0{found})", perfdata)
